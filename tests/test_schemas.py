"""The published JSON Schemas (soc2lint/schemas/, shipped in the wheel) hold for what soc2lint
writes and reads: real JSON reports, the starter and a full configuration, every bundled rule;
and they name exactly the keys, operators, platforms and criteria the code knows."""

from __future__ import annotations

import json
import re
from importlib import resources
from pathlib import Path

import pytest
from click.testing import CliRunner
from jsonschema import Draft202012Validator
from ruamel.yaml import YAML

from soc2lint.cli import main
from soc2lint.cli.config import KEYS, STARTER, schema_url
from soc2lint.engine import rules as rules_mod
from soc2lint.engine.operators import ALL_OPERATOR_NAMES
from soc2lint.engine.rules import PEERS, SEVERITIES, bundled_rules_dir
from soc2lint.engine.tsc import catalogue

REPO = Path(__file__).resolve().parents[1]


def _schema(name: str) -> Draft202012Validator:
    text = (resources.files("soc2lint") / "schemas" / f"{name}.schema.json").read_text()
    schema = json.loads(text)
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema)


def _errors(validator: Draft202012Validator, doc: object) -> list[str]:
    return [
        f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(doc)
    ]


def _yaml(text: str) -> object:
    return YAML(typ="safe").load(text)


# -- the JSON report --------------------------------------------------------------------------


def test_json_report_of_a_scan_with_every_kind_of_entry_matches_its_schema(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    (repo / "modules" / "store").mkdir(parents=True)
    (repo / "modules" / "store" / "main.tf").write_text(
        'resource "aws_s3_bucket" "this" {\n  bucket = "x"\n}\n'
    )
    for example in ("one", "two"):  # one finding listing both call sites
        (repo / example).mkdir()
        (repo / example / "main.tf").write_text(
            'module "store" {\n  source = "../modules/store"\n}\n'
        )
    (repo / "app.tf").write_text(
        '# soc2lint:ignore SOC2-AWS-001 reason="encrypted by the account default"\n'
        'resource "aws_s3_bucket" "app" {\n  bucket = "app"\n}\n'
        'module "gone" {\n  source = "./missing"\n}\n'
    )
    (repo / "broken.tf").write_text('resource "aws_s3_bucket" "b" {\n')
    (repo / "template.json").write_text('{"AWSTemplateFormatVersion": "2010-09-09"}')
    result = CliRunner().invoke(
        main, ["scan", str(repo), "--no-cache", "--format", "json", "--fail-on", "none"]
    )
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert _errors(_schema("report"), doc) == []
    # the scan did produce what the schema describes
    merged = [f for f in doc["findings"] if f["instances"] == 2]
    assert merged and len(merged[0]["call_sites"]) == 2
    assert any(f["scope"] == "repository" for f in doc["findings"])
    assert any(f["status"] == "suppressed" for f in doc["findings"])
    assert doc["errors"] and doc["unavailable_modules"]


@pytest.mark.parametrize("name", ["demo.json", "fixtures.json", "corpus.json"])
def test_golden_json_reports_match_the_schema(name: str) -> None:
    doc = json.loads((REPO / "tests" / "golden" / name).read_text())
    assert _errors(_schema("report"), doc) == []


def test_report_schema_rejects_what_the_report_never_holds() -> None:
    doc = json.loads((REPO / "tests" / "golden" / "demo.json").read_text())
    doc["findings"][0]["status"] = "pass"
    doc["surprise"] = 1
    assert len(_errors(_schema("report"), doc)) == 2


# -- the configuration ------------------------------------------------------------------------


def test_configuration_schema_names_every_key_and_accepts_the_starter() -> None:
    validator = _schema("config")
    assert set(validator.schema["properties"]) == set(KEYS)
    assert _errors(validator, _yaml(STARTER)) == []
    full = {
        "include": ["infra"],
        "exclude": "**/examples/**",
        "rules": {"enable": [], "disable": ["SOC2-AWS-001"], "opt_in": ["SOC2-K8S-025"]},
        "severity": {"SOC2-AWS-019": "high"},
        "rules_dirs": ["policy"],
        "fail_on": "none",
        "fail_on_uncovered": True,
        "criteria": ["security", "CC6.*", "A1.2"],
        "max_file_size": 1000000,
        "baseline": ".soc2lint-baseline.json",
        "helm": {
            "kube_version": 1.30,
            "api_versions": ["monitoring.coreos.com/v1"],
            "charts": {"charts/app": {"values": ["v.yaml"], "set": ["a=b"], "release": "r"}},
        },
        "cfn_parameters": "params.json",
        "var_files": ["env/prod.tfvars"],
        "plan": "plan.json",
        "github_actions": {"code_inputs": {"acme/run": ["script"]}},
    }
    assert _errors(validator, full) == []
    for bad in ({"fail_on": "severe"}, {"rules": {"enabled": []}}, {"excludes": []}):
        assert _errors(validator, bad), bad


def test_init_points_editors_at_the_configuration_schema(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(main, ["init"])
    assert result.exit_code == 0, result.output
    first = (tmp_path / ".soc2lint.yaml").read_text().splitlines()[0]
    assert first == f"# yaml-language-server: $schema={schema_url('config')}"
    # the URL names the file in this repository, at this version's tag
    from soc2lint import __version__

    match = re.fullmatch(
        r"# yaml-language-server: \$schema=https://raw\.githubusercontent\.com/soc2lint/soc2lint/"
        r"v(?P<version>[^/]+)/(?P<path>.+)",
        first,
    )
    assert match and match["version"] == __version__
    assert (REPO / match["path"]).is_file()


# -- rules --------------------------------------------------------------------------------------


def test_every_bundled_rule_matches_the_rule_schema() -> None:
    validator = _schema("rule")
    files = sorted(bundled_rules_dir().rglob("*.y*ml"))
    assert len(files) > 100
    problems = {str(p.relative_to(REPO)): _errors(validator, _yaml(p.read_text())) for p in files}
    assert {k: v for k, v in problems.items() if v} == {}


def test_rule_schema_knows_what_the_loader_knows() -> None:
    from soc2lint import platforms

    schema = _schema("rule").schema
    assert set(schema["properties"]) == rules_mod._RULE_KEYS
    assert schema["properties"]["severity"]["enum"] == list(SEVERITIES)
    assert set(schema["properties"]["platform"]["enum"]) == set(platforms.by_rule_platform())
    assert list(schema["properties"]["references"]["properties"]) == list(PEERS)
    assert schema["properties"]["criteria"]["items"]["enum"] == list(catalogue().criteria)
    attribute = next(
        branch
        for branch in schema["$defs"]["condition"]["oneOf"]
        if "attribute" in branch["required"]
    )
    assert attribute["properties"]["op"]["enum"] == ALL_OPERATOR_NAMES


def test_rule_schema_rejects_what_the_loader_rejects(tmp_path: Path) -> None:
    validator = _schema("rule")
    good = (REPO / "rules" / "terraform" / "aws" / "s3-encryption.yaml").read_text()
    for old, new in (
        ("severity: high", "severity: severe"),
        ("op: in", "op: among"),
        ("id: SOC2-AWS-001", "id: AWS-1"),
        ("criteria: [CC6.1, C1.1]", "criteria: [CC99.9]"),
        ("rationale:", "rationales:"),
    ):
        bad = good.replace(old, new, 1)
        assert bad != good
        assert _errors(validator, _yaml(bad)), new
        path = tmp_path / "r.yaml"
        path.write_text(bad)
        with pytest.raises(rules_mod.RuleError):
            rules_mod.load_rule_file(path)


def test_a_rule_file_may_point_at_the_rule_schema(tmp_path: Path) -> None:
    good = (REPO / "rules" / "terraform" / "aws" / "s3-encryption.yaml").read_text()
    path = tmp_path / "r.yaml"
    path.write_text(f"# yaml-language-server: $schema={schema_url('rule')}\n{good}")
    assert rules_mod.load_rule_file(path).id == "SOC2-AWS-001"
    assert (REPO / "soc2lint" / "schemas" / "rule.schema.json").is_file()
