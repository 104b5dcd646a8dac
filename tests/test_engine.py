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
    with pytest.raises(RuleError, match="bad.yaml:1: title: is required"):
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
        ({"attribute": "p", "op": "port_list_includes", "value": 22}, {"p": ["80", "20-25"]}, P),
        ({"attribute": "p", "op": "port_list_includes", "value": 22}, {"p": ["22"]}, P),
        ({"attribute": "p", "op": "port_list_includes", "value": 22}, {"p": [3389, "80-443"]}, F),
        ({"attribute": "p", "op": "port_list_includes", "value": 22}, {"p": ["ssh"]}, F),
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
        # Azure writes ports as strings: one port, a range, "*", or a list of them
        ({"attribute": "p", "op": "port_list_includes", "value": 22}, {"p": "22"}, P),
        ({"attribute": "p", "op": "port_list_includes", "value": 22}, {"p": "1-1024"}, P),
        ({"attribute": "p", "op": "port_list_includes", "value": 22}, {"p": "*"}, P),
        ({"attribute": "p", "op": "port_list_includes", "value": 22}, {"p": ["80", "443"]}, F),
        ({"attribute": "p", "op": "port_list_includes", "value": 22}, {"p": "2222"}, F),
        ({"attribute": "p", "op": "port_list_includes", "value": 22}, {"p": ["22", U]}, P),
        ({"attribute": "p", "op": "port_list_includes", "value": 22}, {"p": ["80", U]}, Q),
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


def test_a_connection_to_nothing_scanned_can_be_unknown() -> None:
    # `missing: unknown`: what the resource names (a StorageClass) is declared elsewhere, so
    # neither `any` (fail) nor `all` (pass) can be decided without it
    encrypted = {"attribute": "encrypted", "op": "is_true"}
    graph = ResourceGraph()
    claim, other = _res({}, "a.claim", "claim"), _res({}, "a.other", "claim")
    klass = _res({"encrypted": True}, "a.klass", "klass")
    for r in (claim, other, klass):
        graph.add_resource(r)
    graph.add_edge(claim.key, klass.key, "storage", "class")
    for match in ("any", "all"):
        spec = {"type": "klass", "match": match, "condition": encrypted, "missing": "unknown"}
        rule = _rule(condition={"connected": spec})
        ev = Evaluator(graph)
        assert ev.check(rule.condition, claim, claim.attributes).status is P
        assert ev.check(rule.condition, other, other.attributes).status is Q
        del spec["missing"]
        plain = _rule(condition={"connected": spec}).condition
        assert ev.check(plain, other, {}).status is (F if match == "any" else P)
    with pytest.raises(RuleError, match="connected.missing"):
        _rule(condition={"connected": {"type": "klass", "missing": "pass"}})


def test_an_orphan_that_fails_the_condition_changes_nothing() -> None:
    rule = _rule(
        condition={
            "connected": {
                "type": "aws_s3_bucket_versioning",
                "condition": {"attribute": "status", "op": "equals", "value": "Enabled"},
            }
        }
    )
    graph = ResourceGraph()
    bucket = _res({})
    suspended = _res(
        {"status": "Suspended"}, "aws_s3_bucket_versioning.o", "aws_s3_bucket_versioning"
    )
    for r in (bucket, suspended):
        graph.add_resource(r)
    # wherever the unresolved resource points, it does not enable versioning
    assert Evaluator(graph).check(rule.condition, bucket, bucket.attributes).status is F
    unknown = _res({"status": U}, "aws_s3_bucket_versioning.u", "aws_s3_bucket_versioning")
    graph.add_resource(unknown)
    assert Evaluator(graph).check(rule.condition, bucket, bucket.attributes).status is Q


def test_project_metadata_links_to_instances_of_the_same_project() -> None:
    from soc2lint.platforms.terraform.linker import link

    def gcp(address: str, attrs: dict) -> Resource:
        rtype = address.split(".")[0]
        return Resource(address, rtype, "terraform", attrs, Location("main.tf", 1, 5), scope=".")

    default_meta = gcp("google_compute_project_metadata.d", {"metadata": {}})
    named_meta = gcp("google_compute_project_metadata_item.n", {"project": "p1", "key": "k"})
    unknown_meta = gcp("google_compute_project_metadata.u", {"project": U})
    vm = gcp("google_compute_instance.vm", {})
    vm_p1 = gcp("google_compute_instance.p1", {"project": "p1"})
    resources = [default_meta, named_meta, unknown_meta, vm, vm_p1]
    graph = ResourceGraph()
    for r in resources:
        graph.add_resource(r)
    link(graph, resources)
    assert [n.address for n in graph.neighbours(vm.key, None, "in")] == [default_meta.address]
    assert [n.address for n in graph.neighbours(vm_p1.key, None, "in")] == [named_meta.address]
    assert graph.neighbours(unknown_meta.key, None, "any") == []


def test_google_resources_link_to_the_project_they_name() -> None:
    from soc2lint.platforms.terraform.linker import link

    def gcp(address: str, attrs: dict) -> Resource:
        rtype = address.split(".")[0]
        return Resource(address, rtype, "terraform", attrs, Location("main.tf", 1, 5), scope=".")

    project = gcp("google_project.p", {"project_id": "acme-prod"})
    sink = gcp("google_logging_project_sink.s", {"project": "acme-prod"})
    other = gcp("google_logging_project_sink.o", {"project": "acme-dev"})
    resources = [project, sink, other]
    graph = ResourceGraph()
    for r in resources:
        graph.add_resource(r)
    link(graph, resources)
    assert [n.address for n in graph.neighbours(project.key, None, "in")] == [sink.address]


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
        ({"attribute": "p", "op": "port_list_includes", "value": 22}, {"p": ["22", U]}, P),
        ({"attribute": "p", "op": "port_list_includes", "value": 22}, {"p": ["80", U]}, Q),
    ],
)
def test_one_known_element_can_decide_a_partly_unknown_list(cond, attrs, expected) -> None:
    assert _check(cond, attrs) is expected


def test_sensitive_rules_keep_the_matched_value_out_of_findings(tmp_path: Path) -> None:
    from soc2lint.scan import scan

    (tmp_path / "main.tf").write_text(
        'resource "aws_s3_bucket" "b" {\n  a = "AKIAIOSFODNN7EXAMPLE"\n}\n'
    )
    cond = {"attribute": "a", "op": "not_matches", "value": "AKIA[A-Z0-9]{16}"}
    plain = scan([str(tmp_path)], [_rule(condition=cond)]).findings
    masked = scan([str(tmp_path)], [_rule(condition=cond, sensitive=True)]).findings
    assert [f.status for f in plain] == [f.status for f in masked] == [Status.FAIL]
    assert "AKIAIOSFODNN7EXAMPLE" in plain[0].message
    assert "AKIAIOSFODNN7EXAMPLE" not in masked[0].message
    assert masked[0].message.endswith("a holds a literal value (not shown)")
    assert masked[0].location.start_line == 2
    with pytest.raises(RuleError) as err:
        _rule(sensitive="yes")
    assert str(err.value).startswith("rules/x.yaml: sensitive:")


def test_entries_walks_a_map_as_key_value_pairs_at_each_keys_line(tmp_path: Path) -> None:
    from soc2lint.scan import scan

    (tmp_path / "main.tf").write_text(
        'variable "env" {\n  type = map(string)\n}\n\n'
        'resource "aws_s3_bucket" "b" {\n'
        "  env = {\n"
        '    TABLE       = "orders"\n'
        '    DB_PASSWORD = "hunter22"\n'
        "  }\n"
        "}\n\n"
        'resource "aws_s3_bucket" "c" {\n  env = var.env\n}\n'
    )
    secretish = {"attribute": "key", "op": "not_matches", "value": "PASSWORD$"}
    rule = _rule(condition={"every": "env", "entries": True, "condition": secretish})
    got = {
        (f.resource, f.status, f.location.start_line)
        for f in scan([str(tmp_path)], [rule]).findings
    }
    assert got == {("aws_s3_bucket.b", Status.FAIL, 8), ("aws_s3_bucket.c", Status.UNKNOWN, 13)}
    # without entries the map is one element, which has no `key`
    plain = _rule(condition={"every": "env", "condition": secretish})
    assert {f.status for f in scan([str(tmp_path)], [plain]).findings} == {
        Status.FAIL,
        Status.UNKNOWN,
    }
    with pytest.raises(RuleError):
        _rule(condition={"every": "env", "entries": "yes", "condition": secretish})


def test_a_link_through_via_to_another_type_is_not_an_orphan() -> None:
    # aws_lb and aws_alb are one AWS resource under two names: an association whose resource_arn
    # names an aws_alb configures that load balancer, and says nothing about an aws_lb
    rule = _rule(
        resource_types=["aws_lb"],
        condition={
            "connected": {
                "type": "aws_wafv2_web_acl_association",
                "direction": "in",
                "via": ["resource_arn"],
            }
        },
    )
    graph = ResourceGraph()
    lb = _res({}, "aws_lb.public", "aws_lb")
    alb = _res({}, "aws_alb.other", "aws_alb")
    assoc = _res({}, "aws_wafv2_web_acl_association.a", "aws_wafv2_web_acl_association")
    for r in (lb, alb, assoc):
        graph.add_resource(r)
    graph.add_edge(assoc.key, alb.key, "reference", "resource_arn")
    assert Evaluator(graph).check(rule.condition, lb, lb.attributes).status is F
    # an association whose resource_arn resolves to nothing may still be the aws_lb's
    unresolved = _res(
        {"resource_arn": Unknown("var.arn")},
        "aws_wafv2_web_acl_association.b",
        "aws_wafv2_web_acl_association",
    )
    graph.add_resource(unresolved)
    assert Evaluator(graph).check(rule.condition, lb, lb.attributes).status is Q


SA = Unknown("email known after apply", True, "serviceAccount:")


@pytest.mark.parametrize(
    "cond, attrs, expected",
    [
        (
            {"attribute": "m", "op": "not_in", "value": ["allUsers", "allAuthenticatedUsers"]},
            {"m": SA},
            P,
        ),
        ({"attribute": "m", "op": "equals", "value": "allUsers"}, {"m": SA}, F),
        ({"attribute": "m", "op": "equals", "value": "serviceAccount:a@b"}, {"m": SA}, Q),
        ({"attribute": "m", "op": "not_contains", "value": "allUsers"}, {"m": [SA, "user:a@b"]}, P),
        ({"attribute": "m", "op": "contains", "value": "allUsers"}, {"m": [SA]}, F),
        ({"attribute": "m", "op": "not_contains", "value": "allUsers"}, {"m": [SA, U]}, Q),
        ({"attribute": "m", "op": "not_in", "value": ["allUsers"]}, {"m": U}, Q),
    ],
)
def test_a_known_prefix_can_decide_a_partly_unknown_string(cond, attrs, expected) -> None:
    assert _check(cond, attrs) is expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("main", "main"),
        ("7", 7),
        (" 7 ", 7),
        ("1_000", 1000),
        ("٣", 3),  # a decimal digit of another script: int() reads it
        ("1.5e3", 1500.0),
        ("TRUE", True),
        ("-inf", float("-inf")),
        ("Infinity", float("inf")),
        ("+-inf", "+-inf"),
        ("information", "information"),
        ("²", "²"),  # a digit, not a decimal digit: text
    ],
)
def test_scalars_compare_as_terraform_reads_them(text: str, expected: object) -> None:
    from soc2lint.engine.operators import _scalar

    got = _scalar(text)
    assert got == expected and type(got) is type(expected)
    assert _scalar("nan") != _scalar("nan")  # NaN, as float() gives it


def test_graph_keeps_each_link_once_and_finds_neighbours_both_ways() -> None:
    graph = ResourceGraph()
    a, b, c = (
        Resource(f"t.{n}", "t", "terraform", {}, Location("m.tf", i, i))
        for i, n in enumerate("abc", 1)
    )
    for res in (a, b, c):
        graph.add_resource(res)
    graph.add_edge(a.key, b.key, "ref", "x.y")
    graph.add_edge(a.key, b.key, "ref", "x.y")  # the same link again: kept once
    graph.add_edge(a.key, b.key, "ref", "z")
    graph.add_edge(c.key, a.key, "ref", "w")
    graph.add_edge(a.key, a.key, "ref", "self")  # to itself: ignored
    graph.add_edge(a.key, "t.missing", "ref", "q")  # to nothing scanned: ignored
    assert len(graph) == 3 and graph.edge_count() == 3
    assert graph.edge_attributes(a.key, b.key) == ["x.y", "z"]
    assert graph.edge_attributes(b.key, a.key) == []
    assert graph.neighbours(a.key) == [b, c]
    assert graph.neighbours(a.key, direction="out") == [b]
    assert graph.neighbours(a.key, direction="in", via=("w",)) == [c]
    assert graph.neighbours(a.key, via=("x",)) == [b]
    assert graph.neighbours("t.missing") == []
    assert graph.reachable(c.key) == {a.key, b.key}
    assert graph.cycles() == []
    assert list(graph.resources()) == [a, b, c] and graph.get("t.b") is b


def test_the_catalogue_json_is_the_yaml_as_written() -> None:
    """data/tsc.json (read so a run imports no YAML parser) is what --write makes of tsc.yaml;
    after an edit of the YAML, run `python -m soc2lint.engine.tsc --write`."""
    from importlib import resources

    from soc2lint.engine import tsc

    shipped = resources.files("soc2lint").joinpath("data/tsc.json").read_text(encoding="utf-8")
    assert shipped == tsc._json_text()
    tsc.catalogue.cache_clear()
    cat = tsc.catalogue()
    raw = resources.files("soc2lint").joinpath("data/tsc.yaml").read_bytes()
    from_yaml = tsc._from_yaml(raw)
    assert list(cat.criteria) == [str(k) for k in from_yaml["criteria"]]
    assert cat.categories["security"] == ("Security", "CC")


def test_a_lazy_pattern_compiles_on_first_use_and_matches_as_compiled() -> None:
    import re

    from soc2lint.engine.linear_regex import Lazy, RegexError

    lazy = Lazy(r"tfsec:ignore:([a-z0-9-]+)", re.IGNORECASE)
    assert lazy._compiled is None  # nothing compiled at definition
    assert lazy.search("x TFSEC:IGNORE:aws-s3 y").group(1) == "aws-s3"
    assert lazy._compiled is not None and lazy.pattern == r"tfsec:ignore:([a-z0-9-]+)"
    linear = Lazy(r"^(\s*)-\s+x$", linear=True)
    assert linear.match("  - x") is not None and linear.match("- y") is None
    with pytest.raises(RegexError):  # RE2 refuses a backreference when first used
        Lazy(r"(a)\1", linear=True).search("aa")
