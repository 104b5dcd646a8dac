"""A narrowed scope that checks nothing says so on standard error, and a suppression naming a
rule that exists but is out of this scan (a custom rule included) is not reported as unknown."""

from __future__ import annotations

import shutil
from pathlib import Path

from click.testing import CliRunner

from soc2lint.cli import main
from soc2lint.cli.run import Request, run

REPO = Path(__file__).resolve().parents[1]


def test_a_scope_no_rule_evidences_warns_on_stderr(tmp_path: Path) -> None:
    (tmp_path / ".git").mkdir()
    (tmp_path / "main.tf").write_text('resource "aws_s3_bucket" "b" {}\n')
    (tmp_path / ".soc2lint.yaml").write_text("criteria: [privacy]\n")
    result = CliRunner().invoke(main, ["scan", str(tmp_path), "--no-cache"])
    assert "soc2lint: warning:" in result.stderr and "privacy" in result.stderr


def test_a_marker_for_a_custom_rule_out_of_the_scan_is_not_unknown(tmp_path: Path) -> None:
    (tmp_path / ".git").mkdir()
    custom = next((REPO / "rules" / "terraform").rglob("*.yaml"))
    (tmp_path / "policies").mkdir()
    text = custom.read_text()
    rule_id = next(
        line.split(":", 1)[1].strip() for line in text.splitlines() if line.startswith("id:")
    )
    name = next(
        line.split(":", 1)[1].strip() for line in text.splitlines() if line.startswith("name:")
    )
    (tmp_path / "policies" / "r.yaml").write_text(
        text.replace(rule_id, "SOC2-ACME-001").replace(f"name: {name}", "name: acme-custom")
    )
    (tmp_path / ".soc2lint.yaml").write_text("rules_dirs: [policies/]\n")
    (tmp_path / "main.tf").write_text(
        '# soc2lint:ignore SOC2-ACME-001 reason="accepted"\nresource "aws_s3_bucket" "b" {}\n'
    )
    report = run(Request(paths=[str(tmp_path)], only=["SOC2-AWS-001"], diff_base="")).report
    assert not [p for p in report.suppression_problems if "SOC2-ACME-001" in str(p)]
    shutil.rmtree(tmp_path / "policies")
