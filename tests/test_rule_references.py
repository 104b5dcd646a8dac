"""Peer references: plain ids, or `{id, partial}` where the peer check covers more or less."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from soc2lint.cli import main
from soc2lint.engine.rules import PEER_TOOLS, PEERS, RuleError, load_rules, parse_rule
from soc2lint.reporters import sarif
from soc2lint.reporters.rule_docs import help_markdown, peers_markdown
from soc2lint.scan import scan

BASE = {
    "id": "SOC2-TEST-001",
    "name": "test-rule",
    "title": "t",
    "severity": "low",
    "platform": "terraform",
    "resource_types": ["aws_s3_bucket"],
    "criteria": ["CC6.1"],
    "rationale": "CC6.1 test rule",
    "remediation": {"description": "d", "example": "e"},
    "condition": {"attribute": "a", "op": "exists"},
}


def _rule(references: object):
    return parse_rule({**BASE, "references": references}, "rules/x.yaml")


def test_a_partial_reference_keeps_its_id_and_its_note() -> None:
    rule = _rule({"checkov": ["CKV_A", {"id": "CKV_B", "partial": "also   checks\nX"}]})
    assert rule.references == {"checkov": ("CKV_A", "CKV_B")}
    assert rule.partial_references == {("checkov", "CKV_B"): "also checks X"}
    assert rule.reference_label("checkov", "CKV_A") == "CKV_A"
    assert rule.reference_label("checkov", "CKV_B") == "CKV_B (partial: also checks X)"
    assert "checkov: CKV_A, CKV_B (partial: also checks X)" in help_markdown(rule)


@pytest.mark.parametrize(
    "references, field",
    [
        ({"checkov": [{"id": "CKV_B"}]}, "references.checkov[0]"),
        ({"checkov": [{"id": "CKV_B", "partial": ""}]}, "references.checkov[0].partial"),
        ({"checkov": [{"id": "CKV_B", "partial": "x", "why": "y"}]}, "references.checkov[0]"),
        ({"checkov": [{"id": 3, "partial": "x"}]}, "references.checkov"),
        ({"checkov": ["CKV_A", "CKV_A"]}, "references.checkov"),
        ({"checkov": [7]}, "references.checkov"),
    ],
)
def test_malformed_references_are_refused_at_load(references: object, field: str) -> None:
    with pytest.raises(RuleError) as err:
        _rule(references)
    assert str(err.value).startswith(f"rules/x.yaml: {field}:")


def test_explain_docs_and_sarif_help_say_partial(tmp_path: Path) -> None:
    rules = {r.id: r for r in load_rules()}
    rule = rules["SOC2-AWS-026"]
    assert ("checkov", "CKV_AWS_103") in rule.partial_references
    out = CliRunner().invoke(main, ["explain", "SOC2-AWS-026"]).output
    assert "checkov: CKV_AWS_103 (partial: also fails plain HTTP listeners" in out
    docs = (Path(__file__).resolve().parents[1] / "docs" / "rules.md").read_text()
    assert "CKV_AWS_103 (partial: also fails plain HTTP listeners" in docs
    (tmp_path / "main.tf").write_text('resource "aws_lb_listener" "l" {\n  protocol = "HTTPS"\n}\n')
    report = scan([str(tmp_path)], [rule])
    doc = json.loads(sarif.render(report))
    help_md = doc["runs"][0]["tool"]["driver"]["rules"][0]["help"]["markdown"]
    assert "CKV_AWS_103 (partial:" in help_md


def test_one_approval_rules_do_not_claim_the_two_approval_peer_checks() -> None:
    rules = {r.id: r for r in load_rules()}
    assert "CKV_GIT_5" not in rules["SOC2-GOV-001"].references.get("checkov", ())
    assert "CKV_GLB_1" not in rules["SOC2-GOV-019"].references.get("checkov", ())


@pytest.mark.parametrize(
    "peer, good, bad",
    [
        ("hadolint", "DL3002", "DL300"),
        ("hadolint", "SC2086", "dl3002"),
        ("cfn-lint", "I3013", "3013"),
        ("cfn-nag", "F25", "F-25"),
        ("cfn-guard", "S3_BUCKET_VERSIONING_ENABLED", "s3_bucket_versioning_enabled.guard"),
    ],
)
def test_peers_with_a_fixed_id_form_refuse_a_malformed_id(peer: str, good: str, bad: str) -> None:
    assert _rule({peer: [good]}).references == {peer: (good,)}
    assert _rule({peer: [{"id": good, "partial": "narrower"}]}).references == {peer: (good,)}
    with pytest.raises(RuleError) as err:
        _rule({peer: [bad]})
    assert str(err.value).startswith(f"rules/x.yaml: references.{peer}: {bad!r} is not a {peer} id")


def test_every_peer_is_documented_with_the_number_of_rules_naming_it() -> None:
    rules = load_rules()
    rows = peers_markdown(rules)
    assert set(PEERS) == set(PEER_TOOLS)
    for peer in PEERS:
        count = sum(1 for r in rules if r.references.get(peer))
        row = next(r for r in rows if r.startswith(f"| `{peer}` |"))
        assert row.endswith(f"| {count} |")
    # the CloudFormation and Dockerfile peers are in use, on rules of those platforms only
    for peer, platform in (
        ("hadolint", "dockerfile"),
        ("cfn-nag", "cloudformation"),
        ("cfn-guard", "cloudformation"),
        ("cfn-lint", "cloudformation"),
    ):
        naming = [r for r in rules if r.references.get(peer)]
        assert naming, peer
        assert all(platform in r.platforms for r in naming), peer
    docs = (Path(__file__).resolve().parents[1] / "docs" / "rules.md").read_text()
    assert "\n".join(rows) in docs
