"""The allow-list of approved actions and images (SOC2-GHA-024): configured, it judges; not
configured, the rule is not evaluated and the report says so instead of passing."""

from __future__ import annotations

from pathlib import Path

import pytest

from soc2lint.cli.config import ConfigError, load_config
from soc2lint.engine.rules import RuleError, load_rules, parse_rule
from soc2lint.pipeline.report import ScanOptions
from soc2lint.platforms.github_actions.approved import action_approved, image_approved
from soc2lint.scan import scan

FAIL_CASE = Path(__file__).resolve().parents[1] / "fixtures" / "SOC2-GHA-024" / "fail"
TERRAFORM_CASE = Path(__file__).resolve().parents[1] / "fixtures" / "SOC2-AWS-001" / "pass"


def _rule():
    return [r for r in load_rules() if r.id == "SOC2-GHA-024"]


def test_unconfigured_list_is_not_evaluated_and_said() -> None:
    report = scan([str(FAIL_CASE)], _rule())
    assert report.findings == []
    assert [n["message"] for n in report.notes] == [
        "SOC2-GHA-024 (actions-and-images-approved) was not evaluated: it needs "
        "`github_actions: approved:` in the configuration; no result of it is a pass"
    ]
    # the rule judged nothing, so coverage does not count the steps and jobs as judged
    assert report.coverage["resources"]["judged"] > 0
    assert all(t["rules"] == 0 for t in report.coverage["resources"]["types"])


def test_configured_list_judges() -> None:
    options = ScanOptions(github_actions={"approved": {"actions": ["actions/*"], "images": []}})
    report = scan([str(FAIL_CASE)], _rule(), options)
    assert not report.notes
    assert {f.status.value for f in report.findings} == {"fail", "pass"}


def test_no_note_without_resources_the_rule_judges() -> None:
    assert scan([str(TERRAFORM_CASE)], _rule()).notes == []


def test_matching() -> None:
    assert action_approved("actions/checkout", ["v4", ""], ["actions/*"])
    assert action_approved("github/codeql-action/init", ["v3"], ["github/codeql-action"])
    assert not action_approved("github/codeql-action-fork", ["v3"], ["github/codeql-action"])
    sha = "465a07811f14bebb1938fbed4728c6a1ff8901fc"
    assert action_approved("docker/login-action", [sha, "v3.3.0"], ["docker/login-action@v3*"])
    assert not action_approved("docker/login-action", [sha, "v2.2.0"], ["docker/login-action@v3*"])
    assert not action_approved("docker/login-action", [sha, ""], ["docker/login-action@v3*"])
    assert image_approved("ghcr.io/acme/redis:7.2", ["ghcr.io/acme/*"])
    assert image_approved("python:3.12.7-slim@sha256:ab", ["python"])
    assert not image_approved("localhost:5000/python:3", ["localhost"])
    assert image_approved("localhost:5000/python:3", ["localhost:5000/python"])
    assert not image_approved("node:20", ["python:*"])
    assert not isinstance(image_approved("${{ vars.IMAGE }}", ["*"]), bool)


def test_config_key_is_checked(tmp_path: Path) -> None:
    cfg = tmp_path / ".soc2lint.yaml"
    cfg.write_text("github_actions:\n  approved:\n    actions: [Actions/*]\n")
    assert load_config(cfg).github_actions["approved"] == {"actions": ["actions/*"], "images": []}
    # written but empty is a list that approves nothing, not an unconfigured one
    cfg.write_text("github_actions:\n  approved:\n")
    assert load_config(cfg).github_actions["approved"] == {"actions": [], "images": []}
    cfg.write_text("github_actions:\n  code_inputs: {}\n")
    assert "approved" not in load_config(cfg).github_actions
    for bad in ("approved: [actions/*]", "approved: {action: [x]}", "approved: {images: x}"):
        cfg.write_text(f"github_actions:\n  {bad}\n")
        with pytest.raises(ConfigError, match="github_actions.approved"):
            load_config(cfg)


def test_needs_config_is_a_dotted_key() -> None:
    data = {
        "id": "SOC2-GHA-999",
        "name": "x-y",
        "title": "T",
        "severity": "low",
        "platform": "github_actions",
        "resource_types": ["github_step"],
        "criteria": ["CC9.2"],
        "rationale": "CC9.2 " * 10,
        "remediation": {"description": "d", "example": "e"},
        "condition": {"attribute": "a", "op": "exists"},
    }
    assert parse_rule({**data, "needs_config": "github_actions.approved"}, "x").needs_config
    with pytest.raises(RuleError, match="needs_config"):
        parse_rule({**data, "needs_config": "approved list"}, "x")
