"""`connected: {within: module}`, alarms linked to metric filters by name, nested connections."""

from __future__ import annotations

from pathlib import Path

import pytest

from soc2lint.engine.rules import RuleError, parse_rule
from soc2lint.scan import scan

BASE = {
    "id": "SOC2-TEST-001",
    "name": "test-rule",
    "title": "t",
    "severity": "low",
    "platform": "terraform",
    "criteria": ["CC7.3"],
    "rationale": "CC7.3 test rule",
    "remediation": {"description": "d", "example": "e"},
}


def _results(tmp_path: Path, files: dict[str, str], **rule) -> set[tuple]:
    for name, text in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    report = scan([str(tmp_path)], [parse_rule({**BASE, **rule}, "x.yaml")])
    assert not report.rule_errors, report.rule_errors
    return {(f.resource, f.status.value, f.location.start_line) for f in report.findings}


def test_within_module_sees_unlinked_resources_of_the_same_module_only(tmp_path: Path) -> None:
    files = {
        "main.tf": 'resource "aws_guardduty_detector" "d" {}\n'
        'resource "aws_cloudwatch_event_rule" "r" {\n  name = "x"\n}\n'
        'module "m" {\n  source = "./m"\n}\n',
        "m/main.tf": 'resource "aws_guardduty_detector" "d" {}\n',
    }
    got = _results(
        tmp_path,
        files,
        resource_types=["aws_guardduty_detector"],
        condition={"connected": {"type": "aws_cloudwatch_event_rule", "within": "module"}},
    )
    assert got == {
        ("aws_guardduty_detector.d", "pass", 2),  # points at the rule that decided
        ("module.m.aws_guardduty_detector.d", "fail", 1),
    }


def test_within_takes_no_via_or_direction() -> None:
    rule = {
        **BASE,
        "resource_types": ["x"],
        "condition": {"connected": {"type": "y", "within": "module", "via": ["a"]}},
    }
    with pytest.raises(RuleError, match="condition.connected.within"):
        parse_rule(rule, "x.yaml")


_ALARM = """
resource "aws_cloudwatch_log_metric_filter" "f" {
  name           = "f"
  log_group_name = "trail"
  pattern        = "{ $.userIdentity.type = Root }"
  metric_transformation {
    name      = "RootUse"
    namespace = "CIS"
    value     = "1"
  }
}
resource "aws_cloudwatch_metric_alarm" "a" {
  alarm_name  = "a"
  metric_name = "RootUse"
  namespace   = "%s"
}
"""


# another namespace: no link, and the alarm's literal metric name keeps it a possible match
@pytest.mark.parametrize("namespace, status", [("CIS", "pass"), ("Other", "unknown")])
def test_an_alarm_links_to_the_filter_whose_metric_it_names(
    tmp_path: Path, namespace: str, status: str
) -> None:
    got = _results(
        tmp_path,
        {"main.tf": _ALARM % namespace},
        resource_types=["aws_cloudwatch_log_metric_filter"],
        condition={"connected": {"type": "aws_cloudwatch_metric_alarm", "direction": "in"}},
    )
    assert {(r, s) for r, s, _ in got} == {("aws_cloudwatch_log_metric_filter.f", status)}


def test_a_nested_connection_points_at_the_resource_that_decided(tmp_path: Path) -> None:
    text = (
        'resource "aws_cloudwatch_log_group" "g" {\n  name = "g"\n}\n'
        'resource "aws_cloudwatch_log_metric_filter" "f" {\n'
        "  log_group_name = aws_cloudwatch_log_group.g.name\n"
        '  metric_transformation {\n    name = "m"\n    namespace = "n"\n  }\n}\n'
        'resource "aws_cloudwatch_metric_alarm" "a" {\n'
        "  metric_name = aws_cloudwatch_log_metric_filter.f.metric_transformation[0].name\n"
        "  alarm_actions = []\n}\n"
    )
    got = _results(
        tmp_path,
        {"main.tf": text},
        resource_types=["aws_cloudwatch_log_group"],
        condition={
            "connected": {
                "type": "aws_cloudwatch_log_metric_filter",
                "condition": {
                    "connected": {
                        "type": "aws_cloudwatch_metric_alarm",
                        "condition": {"attribute": "alarm_actions", "op": "exists"},
                    }
                },
            }
        },
    )
    # alarm_actions = [] on line 13 of the alarm, not the filter's or the group's header
    assert got == {("aws_cloudwatch_log_group.g", "fail", 13)}


def test_a_resource_without_the_linking_attribute_hides_no_link(tmp_path: Path) -> None:
    # neither queue writes redrive_policy: neither can be another's unresolved dead-letter link
    text = 'resource "aws_sqs_queue" "a" {\n  name = "a"\n}\nresource "aws_sqs_queue" "b" {}\n'
    got = _results(
        tmp_path,
        {"main.tf": text},
        resource_types=["aws_sqs_queue"],
        condition={
            "connected": {"type": "aws_sqs_queue", "direction": "in", "via": ["redrive_policy"]}
        },
    )
    assert got == {("aws_sqs_queue.a", "fail", 1), ("aws_sqs_queue.b", "fail", 4)}
