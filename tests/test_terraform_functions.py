"""Terraform built-in functions, evaluated through the HCL parser and the evaluator."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from soc2lint.model import Unknown, is_unknown
from soc2lint.platforms.terraform.evaluate import Scope, evaluate
from soc2lint.platforms.terraform.functions import FUNCTIONS, number, to_string
from soc2lint.platforms.terraform.hcl import parse_expression


def run(text: str, scope: Scope | None = None) -> Any:
    return evaluate(parse_expression(text), scope or Scope())


def shape(value: Any) -> Any:
    """The Terraform type structure of a value: tells true from 1, which == does not."""
    if isinstance(value, list):
        return [shape(v) for v in value]
    if isinstance(value, dict):
        return {k: shape(v) for k, v in value.items()}
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, (int, float)):
        return "number"
    return type(value).__name__


CASES = [
    # conversions
    ('tostring("hello")', "hello"),
    ("tostring(1)", "1"),
    ("tostring(1.5)", "1.5"),
    ("tostring(true)", "true"),
    ("tostring(null)", None),
    ('tonumber("1")', 1),
    ('tonumber("1.5")', 1.5),
    ("tonumber(3)", 3),
    ("tonumber(null)", None),
    ('tobool("true")', True),
    ('tobool("false")', False),
    ("tobool(true)", True),
    ("tobool(null)", None),
    ('tolist(["a", "b"])', ["a", "b"]),
    ('tolist(["a", 1, true])', ["a", "1", "true"]),
    ('toset(["c", "a", "b", "a"])', ["a", "b", "c"]),
    ("toset([3, 1, 2, 1])", [1, 2, 3]),
    ('toset(["b", 1])', ["1", "b"]),
    ('tomap({a = "x", b = 1})', {"a": "x", "b": "1"}),
    # strings
    ('upper("hello")', "HELLO"),
    ('lower("HeLLo")', "hello"),
    ('upper("straße")', "STRAßE"),
    ('title("hello world")', "Hello World"),
    ('title("hello-world foo_bar")', "Hello-World Foo_bar"),
    ('trimspace("  hello\\n")', "hello"),
    ('trim("?!hello?!", "!?")', "hello"),
    ('trim("foobar", "far")', "oob"),
    ('trim("   hello! world.!  ", "! ")', "hello! world."),
    ('trimprefix("helloworld", "hello")', "world"),
    ('trimprefix("helloworld", "cat")', "helloworld"),
    ('trimsuffix("helloworld", "world")', "hello"),
    ('startswith("hello world", "hello")', True),
    ('startswith("hello world", "world")', False),
    ('endswith("hello world", "world")', True),
    ('endswith("hello world", "hello")', False),
    ('substr("hello world", 1, 4)', "ello"),
    ('substr("hello world", -5, -1)', "world"),
    ('substr("hello", 2, 100)', "llo"),
    ('substr("hello", 10, 2)', ""),
    ('substr("héllo", 0, 2)', "hé"),
    ('split(",", "foo,bar,baz")', ["foo", "bar", "baz"]),
    ('split(",", "foo")', ["foo"]),
    ('split(",", "")', [""]),
    ('join(", ", ["foo", "bar", "baz"])', "foo, bar, baz"),
    ('join(", ", ["foo"])', "foo"),
    ('join("-", ["a", 1, true])', "a-1-true"),
    ('join("-", ["a"], ["b", "c"])', "a-b-c"),
    ('join(",", [])', ""),
    ('replace("1 + 2 + 3", "+", "-")', "1 - 2 - 3"),
    ('replace("hello world", "/w.*d/", "everybody")', "hello everybody"),
    ('replace("hello world 123", "/[0-9]/", "X")', "hello world XXX"),
    ('replace("John Doe", "/(\\\\w+) (\\\\w+)/", "$2, $1")', "Doe, John"),
    ('replace("abc", "/(?P<mid>b)/", "[$${mid}]")', "a[b]c"),
    ('replace("a.b", "/\\\\./", "$$")', "a$b"),
    ('replace("abxd", "/x*/", "-")', "-a-b-d-"),
    # Go's regexp (RE2) has Unicode classes: Terraform replaces each letter
    ('replace("ab", "/\\\\pL/", "x")', "xx"),
    ('replace("abc", "/", "-")', "abc"),
    ('length("hello")', 5),
    ('length("héllo")', 5),
    ('length(["a", "b"])', 2),
    ("length({a = 1, b = 2, c = 3})", 3),
    ("length([])", 0),
    # format
    ('format("%s-%03d", "web", 7)', "web-007"),
    ('format("Hello, %s!", "Ander")', "Hello, Ander!"),
    ('format("There are %d lights", 4)', "There are 4 lights"),
    ('format("%d", "12")', "12"),
    ('format("%5d|%-5d|%05d|%+d", 42, 42, -42, 42)', "   42|42   |-0042|+42"),
    ('format("%x %X %o %b %#x", 255, 255, 8, 5, 255)', "ff FF 10 101 0xff"),
    ('format("%f", 3.14159)', "3.141590"),
    ('format("%.2f", 3.14159)', "3.14"),
    ('format("%8.2f|%-8.2f|%08.2f", 3.14159, 3.14159, -3.14159)', "    3.14|3.14    |-0003.14"),
    ('format("%.0f %.0f %.1f %.2f", 0.5, 1.5, 0.05, 2.675)', "0 2 0.1 2.67"),
    ('format("%.2f", 12345678901234567890)', "12345678901234567890.00"),
    ('format("%e %.2E", 1234.5678, 0.000123)', "1.234568e+03 1.23E-04"),
    ('format("%g %g %.3g", 1000000, 0.0001, 1234.5678)', "1e+06 0.0001 1.23e+03"),
    ('format("%s|%5s|%-5s|%.2s", "abc", "ab", "ab", "abc")', "abc|   ab|ab   |ab"),
    ('format("%s %s %s", 1.5, true, 10)', "1.5 true 10"),
    ('format("%q", "a\\"b<c>")', '"a\\"b\\u003cc\\u003e"'),
    ('format("%v %v %v %v", "s", 1.5, true, null)', "s 1.5 true null"),
    ('format("%v|%v", [1, "a"], {b = 1, a = 2})', '[1,"a"]|{"a":2,"b":1}'),
    ('format("%#v %#v", "hello", 1)', '"hello" 1'),
    ('format("%t %t", true, "false")', "true false"),
    ('format("100%% %s", "sure")', "100% sure"),
    ('format("%[2]s %[1]s %s", "a", "b")', "b a b"),
    ('format("no verbs")', "no verbs"),
    ('formatlist("Hello, %s!", ["Valentina", "Ander"])', ["Hello, Valentina!", "Hello, Ander!"]),
    ('formatlist("%s, %s!", "Hi", ["Olivia", "Sam"])', ["Hi, Olivia!", "Hi, Sam!"]),
    ('formatlist("%s=%d", ["a", "b"], [1, 2])', ["a=1", "b=2"]),
    ('formatlist("%s", [])', []),
    # collections
    ("merge({a = 1, b = 2}, {b = 3, c = 4})", {"a": 1, "b": 3, "c": 4}),
    ("merge({a = 1}, null)", {"a": 1}),
    ("merge()", {}),
    ('concat(["a", ""], ["b", "c"])', ["a", "", "b", "c"]),
    ("concat([1], [], [[2]])", [1, [2]]),
    ('lookup({a = "ay", b = "bee"}, "a", "what?")', "ay"),
    ('lookup({a = "ay", b = "bee"}, "c", "what?")', "what?"),
    ('lookup({a = "ay"}, "a")', "ay"),
    ('lookup({"1" = "one"}, 1)', "one"),
    ('coalesce("a", "b")', "a"),
    ('coalesce("", "b")', "b"),
    ("coalesce(1, 2)", 1),
    ("coalesce(null, 0, 1)", 0),
    ('coalesce(1, "hello")', "1"),
    ('coalesce(true, "hello")', "true"),
    ('coalesce(["", "b"]...)', "b"),
    ('coalescelist(["a", "b"], ["c", "d"])', ["a", "b"]),
    ('coalescelist([], ["c", "d"])', ["c", "d"]),
    ('contains(["a", "b", "c"], "a")', True),
    ('contains(["a", "b", "c"], "d")', False),
    ("contains([1, 2], 1.0)", True),
    ("contains([1, 2], true)", False),
    ('contains(["1"], 1)', False),
    ('element(["a", "b", "c"], 1)', "b"),
    ('element(["a", "b", "c"], 3)', "a"),
    ('element(["a", "b", "c"], 7)', "b"),
    ('element(["a", "b", "c"], length(["a", "b", "c"]) - 1)', "c"),
    ('index(["a", "b", "c"], "b")', 1),
    ("keys({a = 1, c = 2, d = 3})", ["a", "c", "d"]),
    ("keys({b = 1, a = 2})", ["a", "b"]),
    ("values({b = 1, a = 2, c = 3})", [2, 1, 3]),
    ('flatten([["a", "b"], [], ["c"]])', ["a", "b", "c"]),
    ('flatten([[["a", "b"], []], ["c"]])', ["a", "b", "c"]),
    ("flatten([{a = [1]}, [2]])", [{"a": [1]}, 2]),
    ('distinct(["a", "b", "a", "c", "d", "b"])', ["a", "b", "c", "d"]),
    ("distinct([1, 1.0, true])", [1, True]),
    ('compact(["a", "", "b", null, "c"])', ["a", "b", "c"]),
    ('compact(["a", 1])', ["a", "1"]),
    ('slice(["a", "b", "c", "d"], 1, 3)', ["b", "c"]),
    ('slice(["a", "b"], 2, 2)', []),
    ("reverse([1, 2, 3])", [3, 2, 1]),
    ("reverse([])", []),
    ('zipmap(["a", "b"], [1, 2])', {"a": 1, "b": 2}),
    ('zipmap(["a", "a"], [1, 2])', {"a": 2}),
    ('zipmap(["a", "b"], [[1], {x = 2}])', {"a": [1], "b": {"x": 2}}),
    # numbers
    ("range(3)", [0, 1, 2]),
    ("range(1, 4)", [1, 2, 3]),
    ("range(1, 8, 2)", [1, 3, 5, 7]),
    ("range(1, 4, 0.5)", [1, 1.5, 2, 2.5, 3, 3.5]),
    ("range(4, 1)", [4, 3, 2]),
    ("range(10, 5, -2)", [10, 8, 6]),
    ("range(0)", []),
    ("range(1, 5, -1)", []),
    ("range(0, 0.5, 0.1)", [0, 0.1, 0.2, 0.3, 0.4]),
    ("min(12, 54, 3)", 3),
    ("max(12, 54, 3)", 54),
    ("max([12, 54, 3]...)", 54),
    ("min(1.5, 2)", 1.5),
    ('max("7", 3)', 7),
    ("abs(23)", 23),
    ("abs(0)", 0),
    ("abs(-12.4)", 12.4),
    ("ceil(5)", 5),
    ("ceil(5.1)", 6),
    ("ceil(-5.1)", -5),
    ("floor(5)", 5),
    ("floor(4.9)", 4),
    ("floor(-4.1)", -5),
    ("sum([10, 13, 6, 4.5])", 33.5),
    ("sum([0.1, 0.2])", 0.3),
    ("sum([-1, 1])", 0),
    # encodings
    ('jsonencode({"hello" = "world"})', '{"hello":"world"}'),
    ('jsonencode({b = [1, 2.5, true, null], a = "x"})', '{"a":"x","b":[1,2.5,true,null]}'),
    ('jsonencode("<b> & c")', '"\\u003cb\\u003e \\u0026 c"'),
    ('jsonencode("é\\n")', '"é\\n"'),
    ("jsonencode(1.0)", "1"),
    ("jsonencode([])", "[]"),
    ('jsondecode("{\\"hello\\": \\"world\\"}")', {"hello": "world"}),
    ('jsondecode("[1, 2.5, true, null]")', [1, 2.5, True, None]),
    ('jsondecode("true")', True),
    ('jsondecode(jsonencode({a = [1, {b = "c"}]}))', {"a": [1, {"b": "c"}]}),
    ('base64encode("Hello World")', "SGVsbG8gV29ybGQ="),
    ('base64encode("")', ""),
    ('base64decode("SGVsbG8gV29ybGQ=")', "Hello World"),
    ('base64decode(base64encode("héllo"))', "héllo"),
    # networks
    ('cidrsubnet("172.16.0.0/12", 4, 2)', "172.18.0.0/16"),
    ('cidrsubnet("10.1.2.0/24", 4, 15)', "10.1.2.240/28"),
    ('cidrsubnet("10.0.0.0/16", 8, 0)', "10.0.0.0/24"),
    ('cidrsubnet("10.0.5.7/16", 8, 3)', "10.0.3.0/24"),
    ('cidrsubnet("fd00:fd12:3456:7890::/56", 16, 162)', "fd00:fd12:3456:7800:a200::/72"),
    ('cidrhost("10.12.112.0/20", 16)', "10.12.112.16"),
    ('cidrhost("10.12.112.0/20", 268)', "10.12.113.12"),
    ('cidrhost("10.0.0.0/8", 2)', "10.0.0.2"),
    ('cidrhost("10.0.0.0/8", -2)', "10.255.255.254"),
    ('cidrhost("fd00:fd12:3456:7890:00a2::/72", 34)', "fd00:fd12:3456:7890::22"),
    ('cidrhost("10.1.2.240/28", 14)', "10.1.2.254"),
    ('cidrnetmask("172.16.0.0/12")', "255.240.0.0"),
    ('cidrnetmask("10.0.0.0/32")', "255.255.255.255"),
    ('cidrnetmask("010.001.0.0/16")', "255.255.0.0"),
    # functions compose with the rest of the language
    ('upper("${"a"}b")', "AB"),
    ('[for s in split(",", "a,b") : upper(s)]', ["A", "B"]),
    ("length(keys(merge({a = 1}, {b = 2})))", 2),
]


@pytest.mark.parametrize(("text", "expected"), CASES, ids=[text for text, _ in CASES])
def test_function_value(text: str, expected: Any) -> None:
    value = run(text)
    assert not is_unknown(value), value
    assert value == expected
    assert shape(value) == shape(expected)


UNKNOWN = [
    # wrong types
    'upper(["a"])',
    "length(5)",
    "length(null)",
    "length(true)",
    'concat("ab", ["c"])',
    'merge({a = 1}, ["b"])',
    'contains("abc", "a")',
    'keys(["a"])',
    "tolist({a = 1})",
    "tolist([1, true])",
    "tobool(1)",
    'tobool("yes")',
    'tonumber("one")',
    'tonumber(" 1")',
    "tonumber(true)",
    "tostring([])",
    "tostring({})",
    'coalesce({}, "hello")',
    'join(",", ["a", null])',
    'join(",", [["a"]])',
    'join(",")',
    'abs("x")',
    "sum([])",
    'sum(["a"])',
    "min()",
    # out of range, missing, empty
    "element([], 0)",
    'element(["a"], -1)',
    'element(["a"], 1.5)',
    'lookup({a = 1}, "b")',
    'lookup({a = 1}, "a", 1, 2)',
    'index(["a"], "b")',
    'index(["a", null], null)',
    'contains(["a"], null)',
    'slice(["a", "b"], 1, 3)',
    'slice(["a", "b"], 2, 1)',
    'zipmap(["a"], [1, 2])',
    'coalesce("", null)',
    "coalesce()",
    "coalescelist([], [])",
    'substr("hello", 1.5, 2)',
    "range(0, 2000)",
    "range(0, 5, 0)",
    "range()",
    # format errors
    'format("%z", 1)',
    'format("%s")',
    'format("%s", "a", "b")',
    'format("no verbs", "a")',
    'format("100%")',
    'format("%d", 1.5)',
    'format("%d", "x")',
    'format("%d", true)',
    'format("%s", null)',
    'format("%s", ["a"])',
    'format("%t", 1)',
    'format("%[3]s", "a")',
    'formatlist("%s %s", ["a"], ["b", "c"])',
    # encodings
    'jsondecode("{")',
    'jsondecode("NaN")',
    'base64decode("not base64!")',
    'base64decode("SGVsbG8gV29ybGQ")',
    'base64decode("/w==")',
    # regex patterns Terraform would reject or read differently
    'replace("ab", "/(/", "x")',
    'replace("ab", "/(?=a)/", "x")',
    'replace("aa", "/(a)\\\\1/", "x")',
    # characters Terraform counts as one grapheme cluster, soc2lint as several code points
    'length("e\u0301")',
    'length("a\r\nb")',
    'substr("👍🏽 ok", 0, 1)',
    'format("%5s", "e\u0301")',
    # valid calls soc2lint does not evaluate
    'format("%*d", 5, 1)',
    'format("%20000s", "a")',
    'jsondecode("1e400")',
    # networks
    'cidrsubnet("10.1.2.0/24", 4, 16)',
    'cidrsubnet("10.1.2.0/24", 10, 0)',
    'cidrsubnet("10.1.2.0/24", -1, 0)',
    'cidrsubnet("not a cidr", 4, 1)',
    'cidrsubnet("10.0.0.0", 8, 1)',
    'cidrhost("10.0.0.0/30", 4)',
    'cidrhost("10.0.0.0/30", -5)',
    'cidrhost("300.0.0.0/8", 1)',
    'cidrnetmask("fd00::/8")',
    # unknown arguments, unknown functions
    "upper(var.x)",
    'format("%s", var.x)',
    "merge({a = 1}, var.m)",
    "concat([1], var.l)",
    "flatten([var.x, [1]])",
    'element(["a"], var.i)',
    'nosuchfunction("a")',
    'file("x.txt")',
]


@pytest.mark.parametrize("text", UNKNOWN)
def test_invalid_call_is_unknown(text: str) -> None:
    assert isinstance(run(text), Unknown)


@pytest.mark.parametrize(
    ("name", "args"),
    [
        ("element", [[], 0]),
        ("lookup", [{"a": 1}, "b"]),
        ("upper", [["a"]]),
        ("format", ["%d", 1.5]),
        ("format", ["%s"]),
        ("tobool", [1]),
        ("cidrhost", ["10.0.0.0/30", 4]),
    ],
)
def test_invalid_call_raises(name: str, args: list[Any]) -> None:
    """Calls Terraform rejects raise; the evaluator turns the exception into Unknown."""
    with pytest.raises((TypeError, ValueError, KeyError, IndexError, ZeroDivisionError)):
        FUNCTIONS[name](*args)


@pytest.mark.parametrize(
    ("name", "args"),
    [
        ("length", ["e\u0301"]),
        ("substr", ["a\r\nb", 0, 2]),
        ("format", ["%*d", 5, 1]),
        ("formatlist", ["%5s", ["e\u0301"]]),
        ("jsondecode", ["1e400"]),
    ],
)
def test_valid_call_not_evaluated_is_unknown(name: str, args: list[Any]) -> None:
    """Calls Terraform accepts but soc2lint cannot mirror return Unknown rather than raise."""
    assert isinstance(FUNCTIONS[name](*args), Unknown)


def test_regex_replace_has_go_regexp_semantics() -> None:
    """RE2 is Go's regexp syntax: Unicode classes, and `$` only at the very end of the text."""
    assert FUNCTIONS["replace"]("ab", "/\\pL/", "x") == "xx"
    assert FUNCTIONS["replace"]("a\n", "/a$/", "x") == "a\n"
    assert FUNCTIONS["replace"]("a\nb", "/(?m)a$/", "x") == "x\nb"


def test_arguments_from_scope() -> None:
    scope = Scope({"local": {"names": ["b", "a", "b"], "tags": {"env": "prod"}}})
    assert run("toset(local.names)", scope) == ["a", "b"]
    assert run('lookup(local.tags, "env", "dev")', scope) == "prod"
    assert run('merge(local.tags, {owner = "me"})', scope) == {"env": "prod", "owner": "me"}


def test_helpers_used_by_the_evaluator() -> None:
    assert to_string(True) == "true"
    assert to_string(False) == "false"
    assert to_string(None) == ""
    assert to_string(2.0) == "2"
    assert to_string(1.5) == "1.5"
    assert to_string(1e-7) == "0.0000001"
    assert to_string(1e21) == "1000000000000000000000"
    assert to_string(7) == "7"
    assert to_string("s") == "s"
    assert number("12") == 12
    assert number("1.5") == 1.5
    assert number(3) == 3
    assert number(True) is None
    assert number("1_000") is None
    assert number("abc") is None
    assert number(None) is None


# --- property: no function raises, whatever it is given -----------------------------------------

_SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(10**6), max_value=10**6)
    | st.floats(allow_nan=False, allow_infinity=False, min_value=-1e9, max_value=1e9)
    | st.text(max_size=8)
    | st.sampled_from(["", ",", "%s", "%d", "%v %q", "%5.2f", "10.0.0.0/16", "/a+/", "true", "1.5"])
)
_VALUES = st.recursive(
    _SCALARS,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=3), inner, max_size=3)
    ),
    max_leaves=6,
)


def _plain(value: Any) -> bool:
    """True for the values Terraform expressions have: JSON-like Python data."""
    if isinstance(value, list):
        return all(_plain(v) for v in value)
    if isinstance(value, dict):
        return all(isinstance(k, str) and _plain(v) for k, v in value.items())
    return value is None or isinstance(value, (str, int, float, bool))


@settings(max_examples=200, deadline=None)
@given(name=st.sampled_from(sorted(FUNCTIONS)), args=st.lists(_VALUES, max_size=4))
def test_functions_return_a_value_or_unknown(name: str, args: list[Any]) -> None:
    names = [f"arg{i}" for i in range(len(args))]
    before = copy.deepcopy(args)
    value = run(f"{name}({', '.join(names)})", Scope(dict(zip(names, args, strict=True))))
    assert is_unknown(value) or _plain(value)
    assert args == before  # arguments are never modified
