"""The compiled evaluation (soc2lint.engine.compiled) against the interpreter it replaces in
scans (Evaluator.check, the definition), the rule index against asking every rule, and the
graph's (type, scope) index that the search for unresolved links uses."""

from __future__ import annotations

import fnmatch
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from soc2lint.engine import evaluate
from soc2lint.engine.compiled import Context, compiled
from soc2lint.engine.evaluate import (
    Evaluator,
    Outcome,
    RuleIndex,
    _finding,
    _finding_by_init,
    lazy_text,
)
from soc2lint.engine.rules import Condition, RuleError, load_rules, parse_condition, parse_rule
from soc2lint.graph import ResourceGraph
from soc2lint.model import Location, Resource, Status, Unknown

P, F, Q = Status.PASS, Status.FAIL, Status.UNKNOWN
RULES = load_rules()


def _fail(field: str, why: str) -> RuleError:
    return RuleError(f"{field}: {why}", field, why)


def _cond(node: dict) -> Condition:
    return parse_condition(node, "condition", _fail)


def _seen(o: Outcome) -> tuple:
    """An outcome as a report sees it: the lazy texts told."""
    where = o.resource.key if o.resource is not None else None
    return (o.status, where, lazy_text(o.path), lazy_text(o.detail), lazy_text(o.value_path))


def _both(cond: Condition, graph: ResourceGraph, res: Resource) -> tuple[Any, Any]:
    """(the interpreter's outcome, the compiled one), or the type of what each raised."""
    results = []
    for run in (
        lambda: Evaluator(graph).check(cond, res, res.attributes),
        lambda: compiled(cond)(Context(graph), res, res.attributes, ""),
    ):
        try:
            results.append(_seen(run()))
        except Exception as exc:  # a rule that raises raises the same way compiled
            results.append(type(exc))
    return results[0], results[1]


# -- every bundled rule over every fixture -------------------------------------------------------


def _fixture_graph(monkeypatch: pytest.MonkeyPatch, repo) -> tuple[list, ResourceGraph]:  # noqa: ANN001
    from soc2lint import scan as scan_module
    from soc2lint.pipeline.report import ScanOptions

    got: list = []
    monkeypatch.setattr(
        scan_module,
        "evaluate_rules",
        lambda rules, graph, jobs=1: got.append((rules, graph)) or ([], []),
    )
    scan_module.scan([str(repo / "fixtures")], RULES, ScanOptions(jobs=2))
    return got[0]


def test_every_rule_on_every_fixture_gives_the_interpreters_outcome(
    monkeypatch: pytest.MonkeyPatch, repo
) -> None:  # noqa: ANN001
    # one scan of the whole fixtures tree (as the golden test), not one per rule; each rule's
    # outcome on each resource it judges there, compared to the interpreter's, texts included
    rules, graph = _fixture_graph(monkeypatch, repo)
    work = evaluate._work(rules, graph)
    judged, compared = set(), 0
    interpreter, context = Evaluator(graph), Context(graph)
    for res, applicable in work:
        for rule, cond in applicable:
            want = interpreter.check(cond, res, res.attributes)
            got = compiled(cond)(context, res, res.attributes, "")
            assert _seen(got) == _seen(want), f"{rule.id} on {res.address}"
            judged.add(rule.id)
            compared += 1
    assert compared > 10_000
    # every rule judged something (a rule left out by configuration aside)
    assert {r.id for r in rules if not r.needs_config} <= judged


# -- generated conditions and values -------------------------------------------------------------

KEYS = ["a", "b", "c", "x.io/y"]
SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-2, 30),
    st.sampled_from(
        ["", "22", "tcp", "-1", "true", "0.0.0.0/0", "10.0.0.0/8", "Enabled", "a", "20-25"]
    ),
    st.sampled_from(['{"a": 1}', '[{"b": "tcp"}, {"b": 22}]', "[1, ", "{}"]),
)
UNKNOWNS = st.builds(
    Unknown,
    st.sampled_from(["input variable", "data source"]),
    st.booleans(),
    st.sampled_from(["", "10.", "ta", "x"]),
)
VALUES = st.recursive(
    st.one_of(SCALARS, UNKNOWNS),
    lambda inner: st.one_of(
        st.lists(inner, max_size=3), st.dictionaries(st.sampled_from(KEYS), inner, max_size=3)
    ),
    max_leaves=8,
)
ATTRIBUTES = st.dictionaries(st.sampled_from(KEYS), VALUES, max_size=4)
PATHS = st.lists(st.sampled_from([*KEYS, "*", "0", "1", "x.io/*", "[*]"]), min_size=1, max_size=3)


def _path(segments: list[str]) -> str:
    out = ""
    for seg in segments:
        if seg == "[*]":
            out += "[*]" if out else "x[*]"
        elif "." in seg or "/" in seg:
            out += f'["{seg}"]' if out else f'a["{seg}"]'
        else:
            out += f".{seg}" if out else seg
    return out


@st.composite
def attribute_conditions(draw: st.DrawFn) -> dict:
    op = draw(
        st.sampled_from(
            [
                "equals",
                "not_equals",
                "in",
                "not_in",
                "contains",
                "not_contains",
                "matches",
                "not_matches",
                "greater_than",
                "less_or_equal",
                "is_true",
                "is_false",
                "is_open_cidr",
                "port_list_includes",
                "port_range_includes",
                "exists",
                "absent",
                "written",
            ]
        )
    )
    node: dict = {"attribute": _path(draw(PATHS)), "op": op}
    if op in ("equals", "not_equals", "contains", "not_contains"):
        node["value"] = draw(st.sampled_from(["tcp", 22, "22", True, "a", "10.", ["a"]]))
    elif op in ("in", "not_in"):
        node["value"] = draw(st.lists(st.sampled_from(["tcp", 22, "a", "tab", True]), max_size=3))
    elif op in ("matches", "not_matches"):
        node["value"] = draw(st.sampled_from(["^(?i:tcp|6)$", "^a", "0/0$", "x"]))
    elif op in ("greater_than", "less_or_equal", "port_list_includes"):
        node["value"] = draw(st.integers(0, 30))
    elif op == "port_range_includes":
        node["value"] = 22
        node["to_attribute"] = _path(draw(PATHS))
    if draw(st.booleans()):
        node["match"] = draw(st.sampled_from(["all", "any"]))
    if draw(st.booleans()):
        node["missing"] = draw(st.sampled_from(["fail", "pass", "unknown"]))
    if draw(st.booleans()):
        node["unknown"] = draw(st.sampled_from(["fail", "pass", "unknown"]))
    return node


TYPES = ["bucket", "versioning", "policy"]


@st.composite
def connections(draw: st.DrawFn, inner: st.SearchStrategy) -> dict:
    spec: dict = {"type": draw(st.sampled_from([*TYPES, "vers*", ["versioning", "policy"]]))}
    spec["match"] = draw(st.sampled_from(["any", "all", "none"]))
    if spec["match"] == "all" or draw(st.booleans()):
        spec["condition"] = draw(inner)
    if draw(st.booleans()):
        spec["within"] = "module"
    else:
        if draw(st.booleans()):
            spec["direction"] = draw(st.sampled_from(["any", "in", "out"]))
        if draw(st.booleans()):
            spec["via"] = draw(st.sampled_from(["bucket", ["bucket", "policy"]]))
    if draw(st.booleans()):
        spec["missing"] = "unknown"
    return {"connected": spec}


CONDITIONS = st.recursive(
    attribute_conditions(),
    lambda inner: st.one_of(
        st.builds(lambda items: {"all": items}, st.lists(inner, min_size=1, max_size=3)),
        st.builds(lambda items: {"any": items}, st.lists(inner, min_size=1, max_size=3)),
        st.builds(lambda item: {"not": item}, inner),
        st.builds(
            lambda q, path, c, entries: {q: _path(path), "condition": c, "entries": entries},
            st.sampled_from(["every", "some"]),
            PATHS,
            inner,
            st.booleans(),
        ),
        connections(inner),
    ),
    max_leaves=5,
)


@st.composite
def graphs(draw: st.DrawFn) -> ResourceGraph:
    graph = ResourceGraph()
    count = draw(st.integers(1, 6))
    for i in range(count):
        rtype = draw(st.sampled_from(TYPES))
        module = draw(st.sampled_from(["", 'module.m["a"].', "module.n."]))
        res = Resource(
            f"{module}{rtype}.r{i}",
            rtype,
            draw(st.sampled_from(["terraform", "kubernetes"])),
            draw(ATTRIBUTES),
            Location("main.tf", i + 1, i + 2),
            attribute_locations={"a": Location("main.tf", i + 1, i + 1)},
            scope=draw(st.sampled_from(["s1", "s2"])),
            kind=draw(st.sampled_from(["resource", "resource", "data"])),
        )
        graph.add_resource(res)
    keys = [r.key for r in graph.resources()]
    for _ in range(draw(st.integers(0, 6))):
        graph.add_edge(
            draw(st.sampled_from(keys)),
            draw(st.sampled_from(keys)),
            "reference",
            draw(st.sampled_from(["bucket", "policy.id", "other"])),
        )
    return graph


U, ARN = Unknown("input variable"), Unknown("known after apply", not_null=True)
TEN = Unknown("interpolated", prefix="10.")
IS_TRUE_B = {"attribute": "b", "op": "is_true"}

# each a branch of the interpreter a random condition rarely takes
EXAMPLES = [
    # where a value is missing: the deepest written part, through lists (the first of them)
    ({"attribute": "a.*.b", "op": "equals", "value": 1}, {"a": [{"c": 1}, {"c": 2}]}),
    ({"attribute": "a.b.*", "op": "exists"}, {"a": {"c": 1}}),
    ({"attribute": "a.b.c", "op": "absent"}, {"a": {"b": {}}}),
    ({"attribute": "a.b.c", "op": "is_true", "missing": "unknown"}, {"a": [{"b": {}}]}),
    ({"attribute": "a.0.b", "op": "is_true"}, {"a": [{"c": 1}]}),
    ({"attribute": "a.5", "op": "equals", "value": 1}, {"a": [1]}),
    # a partly known string, and lists partly known
    ({"attribute": "a", "op": "equals", "value": "tcp"}, {"a": TEN}),
    ({"attribute": "a", "op": "not_in", "value": ["tcp", "udp"]}, {"a": TEN}),
    ({"attribute": "a", "op": "in", "value": ["tcp", "10.1"]}, {"a": TEN}),
    ({"attribute": "a", "op": "contains", "value": "x"}, {"a": ["x", U]}),
    ({"attribute": "a", "op": "not_contains", "value": "x"}, {"a": ["y", TEN]}),
    ({"attribute": "a", "op": "is_open_cidr"}, {"a": ["10.0.0.0/8", U]}),
    ({"attribute": "a", "op": "equals", "value": 1}, {"a": [1, U]}),
    # unknown: and missing: as a rule says
    ({"attribute": "a.*", "op": "equals", "value": 1, "unknown": "pass"}, {"a": [2, U]}),
    (
        {"attribute": "a.*", "op": "equals", "value": 1, "unknown": "fail", "match": "any"},
        {"a": [1, U]},
    ),
    ({"attribute": "a", "op": "exists", "unknown": "pass"}, {"a": U}),
    ({"attribute": "a", "op": "exists"}, {"a": ARN}),
    ({"attribute": "a", "op": "absent"}, {"a": ""}),
    ({"attribute": "a", "op": "written"}, {"a": None}),
    ({"attribute": "a", "op": "equals", "value": 1, "missing": "pass"}, {"a": None}),
    # the upper end of a port range
    (
        {"attribute": "f", "op": "port_range_includes", "value": 22, "to_attribute": "t"},
        {"f": 0, "t": U},
    ),
    (
        {"attribute": "r.*.f", "op": "port_range_includes", "value": 22, "to_attribute": "r.*.t"},
        {"r": [{"f": 30, "t": 40}, {"f": 0, "t": 100}]},
    ),
    # combinations: a failure before an unknown, an unknown after a pass
    ({"all": [{"attribute": "a", "op": "is_true"}, IS_TRUE_B]}, {"a": U, "b": False}),
    ({"all": [{"attribute": "a", "op": "is_true"}, IS_TRUE_B]}, {"a": True, "b": U}),
    ({"any": [{"attribute": "a", "op": "is_true"}, IS_TRUE_B]}, {"a": False, "b": U}),
    ({"not": {"all": [{"attribute": "a", "op": "is_true"}, IS_TRUE_B]}}, {"a": True}),
    # elements: every and some, unknown lists and unknown elements, maps' entries, JSON
    ({"every": "a", "condition": IS_TRUE_B}, {"a": [{"b": True}, {"b": False}]}),
    ({"some": "a", "condition": IS_TRUE_B}, {"a": [U, {"b": False}]}),
    ({"some": "a", "condition": IS_TRUE_B}, {"a": U}),
    ({"every": "a", "condition": IS_TRUE_B}, {"a": {"b": True}}),
    ({"some": "a.*.c", "condition": IS_TRUE_B}, {"a": [{"c": [{"b": 1}]}, {"c": U}]}),
    (
        {
            "every": "a",
            "entries": True,
            "condition": {"attribute": "key", "op": "matches", "value": "^x"},
        },
        {"a": {"y": 1, "x": 2, 3: 4}},
    ),
    (
        {"attribute": "p.S.*.E", "op": "equals", "value": "Deny"},
        {"p": '{"S": [{"E": "Allow"}, {"E": "Deny"}]}'},
    ),
    ({"attribute": "p.S", "op": "exists"}, {"p": "[1, "}),
    ({"attribute": 'a["x.io/*"]', "op": "equals", "value": 1}, {"a": {"x.io/b": 2, "x.io/a": 1}}),
    ({"attribute": 'a["x.io/*"]', "op": "exists"}, {"a": {"y.io/b": 2}}),
]


@pytest.mark.parametrize("node, attributes", EXAMPLES)
def test_a_compiled_condition_on_the_interpreters_corners(node: dict, attributes: dict) -> None:
    cond = _cond(node)
    for prefix_node in (None, {"some": "w", "condition": node}):
        # at the resource's top, and inside an element (the paths then have a prefix)
        checked = cond if prefix_node is None else _cond(prefix_node)
        attrs = attributes if prefix_node is None else {"w": [attributes]}
        res = Resource("bucket.b", "bucket", "terraform", attrs, Location("m.tf", 1, 1))
        graph = ResourceGraph()
        graph.add_resource(res)
        want, got = _both(checked, graph, res)
        assert got == want


@given(CONDITIONS, graphs())
def test_a_compiled_condition_gives_the_interpreters_outcome(node: dict, graph) -> None:  # noqa: ANN001
    cond = _cond(node)
    for res in graph.resources():
        want, got = _both(cond, graph, res)
        assert got == want, (node, res)


@given(CONDITIONS, ATTRIBUTES)
def test_inside_an_element_too(node: dict, attributes: dict) -> None:
    # the paths of an element's values are under its own (a prefix); at the top they are not
    cond = _cond({"some": "a", "condition": node})
    res = Resource("bucket.b", "bucket", "terraform", attributes, Location("m.tf", 1, 1))
    graph = ResourceGraph()
    graph.add_resource(res)
    want, got = _both(cond, graph, res)
    assert got == want


def test_a_condition_is_compiled_once() -> None:
    cond = _cond({"attribute": "a", "op": "exists"})
    assert compiled(cond) is compiled(cond)
    # an equal condition that is another object is compiled for itself
    assert compiled(_cond({"attribute": "a", "op": "exists"})) is not compiled(cond)


def test_findings_are_made_as_their_constructor_makes_them() -> None:
    loc, other = Location("a.tf", 1, 2), Location("a.tf", 3, 3)
    values = ("R-1", "x.y", "x", Status.FAIL, loc, "m", ("e",), other, (loc,), "s", ("f",))
    fast, slow = _finding(*values), _finding_by_init(*values)
    assert fast == slow and vars(fast) == vars(slow)
    assert list(vars(fast)) == list(vars(slow))  # the same order, so the same pickled bytes
    assert _finding is not _finding_by_init  # the fast path is the one scans use


def test_findings_take_no_more_memory_than_an_object_with_the_same_attributes() -> None:
    # asking an object for its __dict__ gives it a dictionary of its own: findings made that
    # way took nearly three times the memory (and a scan keeps one for every rule on every
    # resource), where attributes set one by one share their keys with the class's other
    # objects, as Plain's do
    import tracemalloc

    names = [f"a{i}" for i in range(len(evaluate._FINDING_FIELDS))]

    class Plain:
        def __init__(self, *values: object) -> None:
            for name, value in zip(names, (*values, 1), strict=True):
                setattr(self, name, value)

    loc = Location("a.tf", 1, 2)
    values = ("R-1", "x.y", "x", Status.PASS, loc, "m", (), loc, (), "", ())

    def each(make: Any) -> float:
        tracemalloc.start()
        try:
            made = [make(*values) for _ in range(2000)]
            return tracemalloc.get_traced_memory()[0] / len(made)
        finally:
            tracemalloc.stop()

    assert each(_finding) <= each(Plain) + 16


# -- the rule index ------------------------------------------------------------------------------


def _asking_every_rule(rules: list, platform: str, names: tuple[str, ...]) -> list:
    """What the rule index replaces: every rule asked about every type name."""
    out = []
    for rule in rules:
        if not any(rule.applies_to(n) for n in names):
            continue
        cond = next((c for n in names if (c := rule.condition_for(platform, n)) is not None), None)
        if cond is not None:
            out.append((rule, cond))
    return out


def test_the_rule_index_answers_as_asking_every_rule() -> None:
    index = RuleIndex(RULES)
    names: set[tuple[str, str]] = set()
    for rule in RULES:
        for variant in rule.variants:
            for pattern in variant.resource_types:
                # a name each pattern matches, and one it almost matches
                name = pattern.replace("*", "x").replace("?", "y")
                names |= {(variant.platform, name), (variant.platform, name + "_z")}
    assert len(names) > 300
    platforms_ = sorted({p for p, _ in names})
    for platform, name in sorted(names):
        # on its own platform, and on another one (where a rule of the same name judges nothing)
        other = platforms_[(platforms_.index(platform) + 1) % len(platforms_)]
        for asked in (platform, other):
            assert index.applicable(asked, (name,)) == _asking_every_rule(RULES, asked, (name,)), (
                asked,
                name,
            )
    # a Kubernetes object judged also as the workload its shape makes it
    shaped = ("Rollout", "Workload", "LongRunningWorkload")
    assert index.applicable("kubernetes", shaped) == _asking_every_rule(RULES, "kubernetes", shaped)
    assert index.applicable("kubernetes", shaped)


def test_a_pattern_and_a_name_on_another_platform_are_not_mixed_up() -> None:
    def rule(rid: str, platform: str, types: list[str]):  # noqa: ANN202
        data = {
            "id": rid,
            "name": rid.lower(),
            "title": "t",
            "severity": "low",
            "platform": platform,
            "resource_types": types,
            "criteria": ["CC6.1"],
            "rationale": "CC6.1 r",
            "remediation": {"description": "d", "example": "e"},
            "condition": {"attribute": "a", "op": "exists"},
        }
        return parse_rule(data, "x.yaml")

    rules = [
        rule("SOC2-T-001", "terraform", ["aws_s3_*"]),
        rule("SOC2-T-002", "kubernetes", ["Deployment"]),
        rule("SOC2-T-003", "terraform", ["aws_s3_bucket"]),
    ]
    index = RuleIndex(rules)
    assert [r.id for r, _ in index.applicable("terraform", ("aws_s3_bucket",))] == [
        "SOC2-T-001",
        "SOC2-T-003",
    ]
    assert index.applicable("kubernetes", ("aws_s3_bucket",)) == []
    assert index.applicable("terraform", ("Deployment",)) == []
    assert fnmatch.fnmatchcase("aws_s3_x", "aws_s3_*")


# -- the (type, scope) index and unresolved links ------------------------------------------------


def _res(address: str, rtype: str, scope: str, attrs: dict | None = None) -> Resource:
    return Resource(address, rtype, "terraform", attrs or {}, Location("m.tf", 1, 1), scope=scope)


VERSIONING = {
    "connected": {
        "type": "aws_s3_bucket_versioning",
        "condition": {"attribute": "status", "op": "equals", "value": "Enabled"},
    }
}


def test_an_unresolved_link_is_looked_for_in_every_scope_and_only_there() -> None:
    # three root modules: in s1 and s3 a versioning resource whose bucket is not resolved may
    # configure the bucket there; in s2 the only one is linked to its own bucket
    graph = ResourceGraph()
    buckets = {s: _res("aws_s3_bucket.b", "aws_s3_bucket", s) for s in ("s1", "s2", "s3")}
    lone = _res("aws_s3_bucket.lone", "aws_s3_bucket", "s2")
    enabled = {"status": "Enabled"}
    orphans = {
        s: _res("aws_s3_bucket_versioning.v", "aws_s3_bucket_versioning", s, enabled)
        for s in ("s1", "s3")
    }
    linked = _res("aws_s3_bucket_versioning.v", "aws_s3_bucket_versioning", "s2", enabled)
    for res in [*buckets.values(), lone, *orphans.values(), linked]:
        graph.add_resource(res)
    graph.add_edge(linked.key, buckets["s2"].key, "reference", "bucket")
    cond = _cond(VERSIONING)
    context = Context(graph)
    got = {
        res.key: compiled(cond)(context, res, res.attributes, "")
        for res in [*buckets.values(), lone]
    }
    assert got["s1::aws_s3_bucket.b"].status is Q
    assert got["s1::aws_s3_bucket.b"].resource is orphans["s1"]
    assert got["s3::aws_s3_bucket.b"].resource is orphans["s3"]  # not s1's: another scope
    assert got["s2::aws_s3_bucket.b"].status is P  # linked
    assert got["s2::aws_s3_bucket.lone"].status is F  # s2's only versioning is linked
    for res in [*buckets.values(), lone]:
        want, seen = _both(cond, graph, res)
        assert seen == want
    # a resource added later is found: the index is made again
    late = _res("aws_s3_bucket_versioning.w", "aws_s3_bucket_versioning", "s2", enabled)
    graph.add_resource(late)
    again = compiled(cond)(Context(graph), lone, lone.attributes, "")
    assert again.status is Q and again.resource is late


def test_the_scope_index_holds_each_type_in_each_scope_in_graph_order() -> None:
    graph = ResourceGraph()
    made = [_res(f"t.r{i}", "t" if i % 3 else "u", f"s{i % 4}") for i in range(24)]
    for res in made:
        graph.add_resource(res)
    for rtype in ("t", "u", "v"):
        for scope in ("s0", "s1", "s2", "s3", "s4"):
            want = [r for r in graph.of_type(rtype) if r.scope == scope]
            assert graph.in_scope(rtype, scope) == want


def test_members_of_a_module_come_from_its_own_scope_and_instance() -> None:
    detector = {"connected": {"type": "aws_cloudwatch_event_*", "within": "module"}}
    graph = ResourceGraph()
    subject = _res('module.a["x"].aws_guardduty_detector.d', "aws_guardduty_detector", "s1")
    same = _res('module.a["x"].aws_cloudwatch_event_rule.r', "aws_cloudwatch_event_rule", "s1")
    other_instance = _res(
        'module.a["y"].aws_cloudwatch_event_rule.r', "aws_cloudwatch_event_rule", "s1"
    )
    other_scope = _res(
        'module.a["x"].aws_cloudwatch_event_rule.r', "aws_cloudwatch_event_rule", "s2"
    )
    for res in (subject, same, other_instance, other_scope):
        graph.add_resource(res)
    got = compiled(_cond(detector))(Context(graph), subject, subject.attributes, "")
    assert got.status is P and got.resource is same
    # a member of the types itself is not its own neighbour
    alone = compiled(_cond(detector))(Context(graph), same, same.attributes, "")
    assert alone.status is F
    for res in (subject, same, other_instance, other_scope):
        want, seen = _both(_cond(detector), graph, res)
        assert seen == want
