"""The rules engine: validation at load, three-valued logic, paths, operators, connections."""

from __future__ import annotations

from pathlib import Path

import pytest

from soc2lint.engine.evaluate import Evaluator, resolve
from soc2lint.engine.operators import OPERATORS, check_regex
from soc2lint.engine.rules import RuleError, load_rules, parse_rule
from soc2lint.graph import ResourceGraph
from soc2lint.model import Location, Resource, Status, Unknown

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


def _rule(**changes):
    data = {**BASE, **changes}
    return parse_rule(data, "rules/x.yaml")


@pytest.mark.parametrize(
    "changes, field",
    [
        ({"colour": "red"}, "colour"),
        ({"criteria": ["CC6.9"]}, "criteria"),
        ({"criteria": []}, "criteria"),
        ({"severity": "urgent"}, "severity"),
        ({"id": "AWS-1"}, "id"),
        ({"name": "Not_Kebab"}, "name"),
        ({"resource_types": ["aws s3"]}, "resource_types"),
        ({"references": {"snyk": ["x"]}}, "references"),
        ({"condition": {"attribute": "a", "op": "approximately", "value": 1}}, "condition.op"),
        ({"condition": {"attribute": "a", "op": "matches", "value": "(?=a)b"}}, "condition.value"),
        ({"condition": {"all": [{"attribute": "a", "op": "equals"}]}}, "condition.all[0].value"),
        ({"condition": {"whatever": 1}}, "condition"),
        (
            {"condition": {"connected": {"type": "x", "match": "all"}}},
            "condition.connected.condition",
        ),
    ],
)
def test_invalid_rules_name_the_file_and_field(changes: dict, field: str) -> None:
    with pytest.raises(RuleError) as err:
        _rule(**changes)
    assert str(err.value).startswith(f"rules/x.yaml: {field}:")


def test_custom_rule_directory_is_validated_the_same_way(tmp_path: Path) -> None:
    (tmp_path / "bad.yaml").write_text("id: SOC2-X-001\nname: x\n")
    with pytest.raises(RuleError, match="bad.yaml: title: is required"):
        load_rules([str(tmp_path)], include_bundled=False)


def _res(attrs: dict, address: str = "aws_s3_bucket.b", rtype: str = "aws_s3_bucket") -> Resource:
    return Resource(address, rtype, "terraform", attrs, Location("main.tf", 1, 5), scope=".")


def _check(cond: dict, attrs: dict) -> Status:
    rule = _rule(condition=cond)
    res = _res(attrs)
    graph = ResourceGraph()
    graph.add_resource(res)
    return Evaluator(graph).check(rule.condition, res, res.attributes).status


U = Unknown("input variable")
P, F, Q = Status.PASS, Status.FAIL, Status.UNKNOWN


@pytest.mark.parametrize(
    "cond, attrs, expected",
    [
        ({"attribute": "a", "op": "equals", "value": 1}, {"a": 1}, P),
        ({"attribute": "a", "op": "equals", "value": 1}, {"a": 2}, F),
        ({"attribute": "a", "op": "equals", "value": 1}, {"a": U}, Q),
        ({"attribute": "a", "op": "equals", "value": 1}, {}, F),
        ({"attribute": "a", "op": "equals", "value": 1, "missing": "pass"}, {}, P),
        ({"not": {"attribute": "a", "op": "equals", "value": 1}}, {"a": U}, Q),
        ({"not": {"attribute": "a", "op": "equals", "value": 1}}, {"a": 1}, F),
        (
            {"all": [{"attribute": "a", "op": "is_true"}, {"attribute": "b", "op": "is_true"}]},
            {"a": U, "b": False},
            F,
        ),
        (
            {"all": [{"attribute": "a", "op": "is_true"}, {"attribute": "b", "op": "is_true"}]},
            {"a": U, "b": True},
            Q,
        ),
        (
            {"any": [{"attribute": "a", "op": "is_true"}, {"attribute": "b", "op": "is_true"}]},
            {"a": U, "b": True},
            P,
        ),
        (
            {"any": [{"attribute": "a", "op": "is_true"}, {"attribute": "b", "op": "is_true"}]},
            {"a": U, "b": False},
            Q,
        ),
        ({"attribute": "a", "op": "exists"}, {"a": U}, Q),
        ({"attribute": "a", "op": "exists"}, {"a": Unknown("arn after apply", True)}, P),
        ({"attribute": "a", "op": "absent"}, {"a": None}, P),
        ({"attribute": "a", "op": "is_true"}, {"a": "true"}, P),
        ({"attribute": "n", "op": "greater_or_equal", "value": 7}, {"n": "7"}, P),
        (
            {"attribute": "x.*", "op": "equals", "value": "*", "match": "any"},
            {"x": ["s3:*", "*"]},
            P,
        ),
        ({"attribute": "x.*", "op": "equals", "value": "*", "match": "any"}, {"x": "s3:Get"}, F),
        (
            {"attribute": "p.Statement.*.Effect", "op": "equals", "value": "Deny"},
            {"p": '{"Statement": {"Effect": "Deny"}}'},
            P,
        ),
        ({"attribute": "c", "op": "is_open_cidr"}, {"c": ["10.0.0.0/8", "::/0"]}, P),
        ({"attribute": "c", "op": "is_open_cidr"}, {"c": ["10.0.0.0/8"]}, F),
        (
            {"attribute": "f", "op": "port_range_includes", "value": 22, "to_attribute": "t"},
            {"f": 0, "t": 1024},
            P,
        ),
        (
            {"attribute": "f", "op": "port_range_includes", "value": 22, "to_attribute": "t"},
            {"f": 80, "t": 443},
            F,
        ),
        (
            {"attribute": "f", "op": "port_range_includes", "value": 22, "to_attribute": "t"},
            {"f": 80, "t": U},
            Q,
        ),
        (
            {
                "every": "ingress",
                "condition": {"attribute": "port", "op": "not_equals", "value": 22},
            },
            {"ingress": [{"port": 80}, {"port": 22}]},
            F,
        ),
        (
            {
                "every": "ingress",
                "condition": {"attribute": "port", "op": "not_equals", "value": 22},
            },
            {},
            P,
        ),
        (
            {"some": "ingress", "condition": {"attribute": "port", "op": "equals", "value": 22}},
            {"ingress": U},
            Q,
        ),
    ],
)
def test_three_valued_evaluation(cond: dict, attrs: dict, expected: Status) -> None:
    assert _check(cond, attrs) is expected


def test_connections_either_direction_and_orphans_are_unknown() -> None:
    rule = _rule(
        condition={
            "connected": {
                "type": "aws_s3_bucket_versioning",
                "condition": {"attribute": "status", "op": "equals", "value": "Enabled"},
            }
        }
    )
    graph = ResourceGraph()
    bucket, other = _res({}), _res({}, "aws_s3_bucket.other")
    linked = _res({"status": "Enabled"}, "aws_s3_bucket_versioning.v", "aws_s3_bucket_versioning")
    for r in (bucket, other, linked):
        graph.add_resource(r)
    graph.add_edge(linked.key, bucket.key, "reference", "bucket")
    ev = Evaluator(graph)
    assert ev.check(rule.condition, bucket, bucket.attributes).status is P
    assert ev.check(rule.condition, other, other.attributes).status is F
    # a versioning resource whose bucket is not resolvable might belong to `other`
    orphan = _res({"status": "Enabled"}, "aws_s3_bucket_versioning.o", "aws_s3_bucket_versioning")
    graph.add_resource(orphan)
    assert Evaluator(graph).check(rule.condition, other, other.attributes).status is Q


def test_resolve_walks_lists_and_json() -> None:
    matches = resolve({"a": [{"b": 1}, {"b": 2}], "j": '[{"k": "v"}]'}, ("a", "b"))
    assert [(m.value, m.path) for m in matches] == [(1, "a.0.b"), (2, "a.1.b")]
    assert [m.value for m in resolve({"j": '[{"k": "v"}]'}, ("j", "k"))] == ["v"]


def test_regex_safety_check() -> None:
    # RE2 runs every pattern it accepts in linear time: nested repetition is no danger
    assert check_regex("(a+)+") is None
    assert OPERATORS["matches"].fn("a" * 100_000 + "!", "^(a+)+$") is False
    assert check_regex("(x|y)*z") is None
    assert check_regex("[") is not None
    assert check_regex("(?=a)b") is not None  # lookaround: not RE2, refused with a reason
    assert check_regex("^ELBSecurityPolicy-TLS13-.*$") is None


def test_operator_table_is_documented() -> None:
    for op in OPERATORS.values():
        assert op.doc and callable(op.fn)


@pytest.mark.parametrize(
    "cond, attrs, expected",
    [
        ({"attribute": "c", "op": "is_open_cidr"}, {"c": ["0.0.0.0/0", U]}, P),
        ({"attribute": "c", "op": "is_open_cidr"}, {"c": ["10.0.0.0/8", U]}, Q),
        ({"attribute": "c", "op": "contains", "value": "a"}, {"c": ["a", U]}, P),
        ({"attribute": "c", "op": "not_contains", "value": "a"}, {"c": ["a", U]}, F),
        ({"attribute": "c", "op": "not_contains", "value": "a"}, {"c": ["b", U]}, Q),
        ({"attribute": "c", "op": "equals", "value": ["a"]}, {"c": ["a", U]}, Q),
    ],
)
def test_one_known_element_can_decide_a_partly_unknown_list(cond, attrs, expected) -> None:
    assert _check(cond, attrs) is expected
