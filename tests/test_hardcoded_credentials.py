"""Credentials written in Terraform: found in providers and resources, never printed."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from soc2lint.engine.rules import RuleError, parse_rule
from soc2lint.scan import scan

REPO = Path(__file__).resolve().parents[1]
SECRETS = (
    "AKIAIOSFODNN7EXAMPLE",
    "wJalrXUtnFEMI",
    "je7MtGbClwBF",
    "AKIAI44QH8DHBEXAMPLE",
    "Sup3rS3cret",
    "correct-horse",
    "sk_live_0123456789",
)


@pytest.fixture(scope="module")
def repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("creds")
    shutil.copytree(REPO / "fixtures" / "SOC2-AWS-119" / "fail", root / "providers")
    shutil.copytree(REPO / "fixtures" / "SOC2-AWS-120" / "fail", root / "resources")
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    return root


@pytest.mark.parametrize("fmt", ["text", "json", "sarif", "markdown"])
def test_no_output_format_prints_the_secret(repo: Path, fmt: str, tmp_path: Path) -> None:
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "soc2lint",
            "scan",
            str(repo),
            "--no-cache",
            "--fail-on",
            "none",
            "--rule",
            "SOC2-AWS-119",
            "--rule",
            "SOC2-AWS-120",
            "--format",
            fmt,
            "--evidence",
            str(tmp_path / "evidence"),
        ],
        capture_output=True,
        text=True,
        cwd=repo,
        check=False,
    )
    assert out.returncode == 0, out.stderr
    if fmt != "markdown":  # the Markdown summary lists titles, not messages
        assert "holds a literal value (not shown)" in out.stdout
    written = [out.stdout, out.stderr] + [
        p.read_text(errors="replace") for p in (tmp_path / "evidence").rglob("*") if p.is_file()
    ]
    assert len(written) > 2, "no evidence record was written"
    for text in written:
        for secret in SECRETS:
            assert secret not in text


def test_secret_attributes_are_named_and_the_findings_point_at_them(repo: Path) -> None:
    from soc2lint.engine.rules import load_rules

    rules = [r for r in load_rules() if r.id in ("SOC2-AWS-119", "SOC2-AWS-120")]
    report = scan([str(repo)], rules)
    failing = {
        (f.resource, f.location.start_line, f.message.rsplit(": ", 1)[-1])
        for f in report.findings
        if f.status.value == "fail"
    }
    assert (
        "aws_db_instance.literal",
        7,
        "password holds a literal value (not shown)",
    ) in failing
    assert (
        "provider.aws.backup",
        19,
        "access_key holds a literal value (not shown)",
    ) in failing


def test_the_unknown_option_is_validated() -> None:
    rule = {
        "id": "SOC2-TEST-001",
        "name": "t",
        "title": "t",
        "severity": "low",
        "platform": "terraform",
        "resource_types": ["x"],
        "criteria": ["CC6.1"],
        "rationale": "r",
        "remediation": {"description": "d", "example": "e"},
        "condition": {"attribute": "a", "op": "absent", "unknown": "maybe"},
    }
    with pytest.raises(RuleError, match="condition.unknown"):
        parse_rule(rule, "x.yaml")
    with pytest.raises(RuleError, match="sensitive"):
        parse_rule(
            {**rule, "sensitive": "yes", "condition": {"attribute": "a", "op": "absent"}}, "x.yaml"
        )
