"""The evidence record's criteria matrix has a cell per registered platform (schema 1.3), and
records written before 1.3, with the first four cells only, still validate, render and verify."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest

from soc2lint.cli.run import Request, run
from soc2lint.evidence import ledger as ledger_mod
from soc2lint.evidence import render_html, render_markdown, schema_text, verify, write_evidence
from soc2lint.evidence.hashing import sha256_hex
from soc2lint.evidence.record import FIRST_PLATFORMS, SCHEMA_VERSION, platforms, record_id

FILES = {
    "Dockerfile": 'FROM python:3.12-slim\nUSER root\nCMD ["python"]\n',
    "docker-compose.yml": "services:\n  web:\n    image: nginx:1.27.0\n    privileged: true\n",
    "stack.yaml": (
        'AWSTemplateFormatVersion: "2010-09-09"\nResources:\n  Repo:\n'
        "    Type: AWS::ECR::Repository\n    Properties:\n      ImageTagMutability: MUTABLE\n"
    ),
    "main.tf": 'resource "aws_ecr_repository" "r" {\n  name = "r"\n}\n',
}


def _validator() -> jsonschema.Draft202012Validator:
    return jsonschema.Draft202012Validator(json.loads(schema_text()))


@pytest.fixture(scope="module")
def written(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict]:
    """One scan of a tree with a file of each new platform, written as evidence."""
    tmp_path = tmp_path_factory.mktemp("cells")
    repo = tmp_path / "repo"
    repo.mkdir()
    for name, text in FILES.items():
        (repo / name).write_text(text)
    outcome = run(Request(paths=[str(repo)]))
    path = write_evidence(outcome.report, tmp_path / "evidence", gate="fail", threshold="high")
    return path, json.loads(path.read_text())


def test_every_registered_platform_has_a_cell(written: tuple[Path, dict]) -> None:
    _, record = written
    _validator().validate(record)
    assert record["schema_version"] == SCHEMA_VERSION
    assert platforms()[:4] == FIRST_PLATFORMS
    assert {"cloudformation", "dockerfile", "docker_compose"} <= set(platforms())
    for crit in record["results"]["criteria"]:
        assert list(crit["platforms"]) == list(platforms())
    cells = {c["criterion"]: c["platforms"] for c in record["results"]["criteria"]}
    # CC8.1: ECR tag mutability fails in Terraform and CloudFormation, each counted on its own
    assert cells["CC8.1"]["terraform"]["counts"]["fail"] >= 1
    assert cells["CC8.1"]["cloudformation"]["counts"]["fail"] >= 1
    assert cells["CC8.1"]["cloudformation"]["result"] == "fail"
    # CC6.8: a privileged Compose service and a Dockerfile running as root
    assert cells["CC6.8"]["docker_compose"]["counts"]["fail"] >= 1
    assert cells["CC6.8"]["dockerfile"]["counts"]["fail"] >= 1
    # a platform with rules for the criterion but nothing scanned, and one with no rules at all
    assert cells["CC6.8"]["gitlab_ci"]["result"] in ("not_evaluated", "no_rules")
    html = render_html(record)
    for name in ("cloudformation", "dockerfile", "docker_compose"):
        assert f"<th>{name}</th>" in html
    assert render_markdown(record)


def _as_before_1_3(record: dict) -> dict:
    """The same record as soc2lint 1.2 wrote it: no schema_version, four cells."""
    old = json.loads(json.dumps(record))
    del old["schema_version"]
    for crit in old["results"]["criteria"]:
        crit["platforms"] = {p: crit["platforms"][p] for p in FIRST_PLATFORMS}
    old["record_id"] = record_id(old)
    return old


def test_a_record_written_before_1_3_still_validates_renders_and_verifies(
    written: tuple[Path, dict], tmp_path: Path
) -> None:
    new_path, record = written
    evidence = new_path.parent
    old = _as_before_1_3(record)
    _validator().validate(old)
    html = render_html(old)
    assert "<th>terraform</th>" in html and "docker_compose" not in html
    assert render_markdown(old)
    # a ledger holding an older record before a newer one is intact
    ledger = tmp_path / "mixed" / "ledger.jsonl"
    ledger.parent.mkdir()
    data = (json.dumps(old, indent=2) + "\n").encode()
    (ledger.parent / f"{old['record_id']}.json").write_bytes(data)
    ledger_mod.append(ledger, old["record_id"], sha256_hex(data), old["repository"]["commit"])
    newer = new_path.read_bytes()
    (ledger.parent / new_path.name).write_bytes(newer)
    ledger_mod.append(ledger, record["record_id"], sha256_hex(newer), None)
    result = verify(ledger)
    assert result.ok, result.problems
    assert result.entries == 2
    # and a changed older record is still caught
    (ledger.parent / f"{old['record_id']}.json").write_bytes(data.replace(b"1", b"2", 1))
    assert not verify(ledger).ok
    assert (evidence / "ledger.jsonl").is_file()


def test_platform_cells_are_named_cells_whatever_the_platform() -> None:
    """A cell for a platform added from outside soc2lint validates under its rule platform name;
    anything else in the matrix (not a cell, an odd name, a first-four cell missing) does not."""
    schema = json.loads(schema_text())
    criteria = schema["properties"]["results"]["properties"]["criteria"]
    matrix = {"$defs": schema["$defs"], **criteria["items"]["properties"]["platforms"]}
    check = jsonschema.Draft202012Validator(matrix)
    counts = dict.fromkeys(("pass", "fail", "unknown", "suppressed", "known"), 0)
    cell = {"rules": 0, "counts": counts, "result": "no_rules"}
    first = {p: cell for p in FIRST_PLATFORMS}
    assert not list(check.iter_errors({**first, "props": cell, "docker_compose": cell}))
    assert list(check.iter_errors({**first, "Bad-Name": cell}))
    assert list(check.iter_errors({**first, "props": {"rules": "x"}}))
    assert list(check.iter_errors({p: cell for p in FIRST_PLATFORMS[:3]}))
