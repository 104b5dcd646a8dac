"""The GitHub Action's inputs as a workflow author sets them: var files (one a line), a plan,
custom rules, excludes, a SARIF category, and the same Terraform inputs set once in the
configuration file; a finding about the repository as a whole annotated without a file."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

from soc2lint.integrations.github_action import automation_id, entry

REPO = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")

VERSIONED = (
    'variable "status" {}\n'
    'resource "aws_s3_bucket" "b" {\n  bucket = "b"\n}\n'
    'resource "aws_s3_bucket_versioning" "b" {\n  bucket = aws_s3_bucket.b.id\n'
    "  versioning_configuration {\n    status = var.status\n  }\n}\n"
)


def _workspace(tmp_path: Path) -> Path:
    ws = tmp_path / "ws"
    ws.mkdir()
    subprocess.run(["git", "init", "-q", "-b", "main"], cwd=ws, check=True)
    (ws / "main.tf").write_text(VERSIONED)
    (ws / "vars").mkdir()
    (ws / "vars" / "a.tfvars").write_text('status = "Suspended"\n')
    (ws / "vars" / "b prod.tfvars").write_text('status = "Enabled"\n')  # a name with a space
    (ws / "vendor").mkdir()
    (ws / "vendor" / "main.tf").write_text('resource "aws_s3_bucket" "v" {\n  bucket = "v"\n}\n')
    return ws


@pytest.fixture
def action(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture, tmp_path: Path):
    """The Action's step in this process (as action.yml runs it, minus the interpreter start):
    inputs as SOC2LINT_* variables, the runner's files, the workspace as working directory."""

    def step(ws: Path, **inputs: str) -> tuple[Result, Path]:
        out = tmp_path / "github"
        if out.exists():
            shutil.rmtree(out)
        out.mkdir()
        for name in list(os.environ):
            if name.startswith(("SOC2LINT_", "GITHUB_")):
                monkeypatch.delenv(name)
        monkeypatch.setenv("GITHUB_ACTIONS", "true")
        monkeypatch.setenv("GITHUB_WORKSPACE", str(ws))
        monkeypatch.setenv("GITHUB_OUTPUT", str(out / "output.txt"))
        monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(out / "summary.md"))
        for key, value in inputs.items():
            monkeypatch.setenv(f"SOC2LINT_{key.upper()}", value)
        monkeypatch.chdir(ws)
        code = entry()
        captured = capsys.readouterr()
        return Result(code, captured.out, captured.err), out

    return step


@dataclass
class Result:
    returncode: int
    stdout: str
    stderr: str


def _results(path: Path, rule: str) -> list[tuple[str, str]]:
    doc = json.loads(path.read_text())
    return [(f["resource"], f["status"]) for f in doc["findings"] if f["rule_id"] == rule]


def test_var_files_one_a_line_exclude_category_and_rules_dir(tmp_path: Path, action) -> None:
    ws = _workspace(tmp_path)
    custom = ws / "policy"
    custom.mkdir()
    bundled = (REPO / "rules/terraform/aws/s3-encryption.yaml").read_text()
    (custom / "mine.yaml").write_text(
        bundled.replace("id: SOC2-AWS-001", "id: SOC2-ACME-001").replace(
            "name: s3-bucket-encryption-at-rest", "name: acme-s3-encryption"
        )
    )
    # without the var files the status is not known; the later file wins, as in Terraform
    proc, _ = action(ws, format="json", output="plain.json", fail_on="none")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert ("aws_s3_bucket.b", "unknown") in _results(ws / "plain.json", "SOC2-AWS-003")
    proc, github = action(
        ws,
        format="sarif",
        output="out.sarif",
        fail_on="none",
        var_file="vars/a.tfvars\n\n# production last\nvars/b prod.tfvars\n",
        exclude="vendor/\n",
        rules_dir="policy\n",
        category="soc2lint-infra",
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    sarif = json.loads((ws / "out.sarif").read_text())
    run = sarif["runs"][0]
    assert run["automationDetails"]["id"] == "soc2lint-infra/"
    results = {(r["ruleId"], r["properties"]["resource"]) for r in run["results"]}
    assert ("SOC2-AWS-003", "aws_s3_bucket.b") not in results  # versioning Enabled: a pass
    assert ("SOC2-ACME-001", "aws_s3_bucket.b") in results  # the custom rule ran
    assert not any(res == "aws_s3_bucket.v" for _rule, res in results)  # vendor/ excluded
    outputs = dict(line.split("=", 1) for line in (github / "output.txt").read_text().split())
    assert outputs["sarif-file"] == "out.sarif"
    assert "the SARIF file `out.sarif`" in (github / "summary.md").read_text()


def test_input_files_that_do_not_exist_are_one_error_line(tmp_path: Path, action) -> None:
    ws = _workspace(tmp_path)
    for inputs, said in (
        ({"var_file": "vars/a.tfvars\nvars/missing.tfvars"}, "var-file 'vars/missing.tfvars'"),
        ({"plan": "plan.json"}, "plan 'plan.json' is not a file"),
        ({"rules_dir": "nope"}, "rules-dir 'nope' is not a directory"),
    ):
        proc, github = action(ws, output="o.sarif", **inputs)
        assert proc.returncode == 2, proc.stdout
        errors = [line for line in proc.stdout.splitlines() if line.startswith("::error")]
        assert len(errors) == 1 and said in errors[0], errors
        assert "Traceback" not in proc.stdout + proc.stderr
        assert not (github / "output.txt").exists()


def test_configuration_sets_var_files_and_plan_once(tmp_path: Path, action) -> None:
    ws = _workspace(tmp_path)
    (ws / ".soc2lint.yaml").write_text("var_files: [vars/a.tfvars, vars/b prod.tfvars]\n")
    proc, _ = action(ws, format="json", output="o.json", fail_on="none")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert ("aws_s3_bucket.b", "unknown") not in _results(ws / "o.json", "SOC2-AWS-003")
    assert ("aws_s3_bucket.b", "fail") not in _results(ws / "o.json", "SOC2-AWS-003")
    # the input replaces the configuration's list: Suspended alone fails the rule
    proc, _ = action(ws, format="json", output="o.json", fail_on="none", var_file="vars/a.tfvars")
    assert ("aws_s3_bucket.b", "fail") in _results(ws / "o.json", "SOC2-AWS-003")
    (ws / ".soc2lint.yaml").write_text("var_files: [vars/none.tfvars]\n")
    proc, _ = action(ws, format="json", output="o.json")
    assert proc.returncode == 2
    assert "var_files: 'vars/none.tfvars' is not a file (relative to this file)" in proc.stdout


def test_configuration_plan_is_evaluated(tmp_path: Path) -> None:
    from soc2lint.cli.config import ConfigError, load_config

    ws = _workspace(tmp_path)
    (ws / "plan.json").write_text("{}")
    (ws / ".soc2lint.yaml").write_text("plan: plan.json\nvar_files: vars/a.tfvars\n")
    config = load_config(ws / ".soc2lint.yaml", root=ws)
    assert config.plan == str(ws / "plan.json")
    assert config.var_files == [str(ws / "vars" / "a.tfvars")]
    (ws / ".soc2lint.yaml").write_text("plan: [plan.json]\n")
    with pytest.raises(ConfigError, match="plan: must be a path"):
        load_config(ws / ".soc2lint.yaml", root=ws)
    outside = tmp_path / "outside.tfvars"
    outside.write_text("")
    (ws / ".soc2lint.yaml").write_text("var_files: [../outside.tfvars]\n")
    with pytest.raises(ConfigError, match="var_files"):
        load_config(ws / ".soc2lint.yaml", root=ws)


def test_category_becomes_the_sarif_automation_id() -> None:
    assert automation_id("") == "soc2lint/"
    assert automation_id("soc2lint-k8s") == "soc2lint-k8s/"
    assert automation_id("/infra/") == "infra/"


def test_repository_level_findings_are_annotated_without_a_file(tmp_path: Path, action) -> None:
    ws = _workspace(tmp_path)  # no CODEOWNERS: SOC2-GOV-101 is about the repository
    proc, github = action(ws, format="json", output="o.json", fail_on="medium")
    assert proc.returncode == 1
    gov = [line for line in proc.stdout.splitlines() if "SOC2-GOV-101" in line and "::" in line]
    assert gov and gov[0].startswith("::error title=SOC2-GOV-101 "), gov
    assert "file=CODEOWNERS" not in proc.stdout
    summary = (github / "summary.md").read_text()
    row = next(line for line in summary.splitlines() if "SOC2-GOV-101" in line)
    assert "| `repository` | `repository` |" in row
