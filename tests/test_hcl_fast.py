"""The fast HCL path (tree-sitter) against the reference (python-hcl2's Lark grammar).

For any text, hcl.parse_body must give exactly what the Lark path gives: the same Body, or the
same HCLSyntaxError (message and line). The fast path either produces an identical Body or
declines, and then the reference parses the whole file.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from soc2lint.platforms.terraform import ast, hcl, hcl_fast
from soc2lint.platforms.terraform.hcl import HCLSyntaxError

ROOT = Path(__file__).resolve().parent.parent

pytestmark = pytest.mark.skipif(
    hcl_fast._PARSER is None, reason="tree-sitter / tree-sitter-hcl not installed"
)


def _reference(text: str):
    try:
        return hcl.parse_body_lark(text)
    except HCLSyntaxError as exc:
        return ("error", exc.message, exc.line)


def _public(text: str):
    try:
        return hcl.parse_body(text)
    except HCLSyntaxError as exc:
        return ("error", exc.message, exc.line)


def _fast(text: str):
    """The fast path's Body, or None when it declines."""
    try:
        return hcl_fast.parse_body(text)
    except hcl_fast.Decline:
        return None


# -- (1) every .tf file of the fixtures and the demo --


def test_every_fixture_file_agrees_and_few_decline(record_property):
    files = sorted((ROOT / "fixtures").rglob("*.tf"))
    assert len(files) > 100
    assert any("demo" in f.parts for f in files)
    declined = []
    for path in files:
        text = path.read_text(encoding="utf-8")
        fast = _fast(text)
        if fast is None:
            declined.append(path)
            continue
        assert fast == _reference(text), path
    record_property("hcl_fast_declined", f"{len(declined)}/{len(files)}")
    print(f"fast HCL path declined {len(declined)} of {len(files)} fixture files")
    assert len(declined) < 0.05 * len(files), declined


# -- (2) generated bodies --

_names = st.sampled_from(
    ["a", "b", "name", "tags", "for_each", "count", "x_1", "my-key", "id", "in", "if", "endfor"]
)
_roots = st.sampled_from(["var", "local", "each", "aws_s3_bucket", "data", "module", "count"])


def _string_text(allow_interp: bool):
    pieces = [
        st.sampled_from(["abc", " ", "  two  spaces ", "x-y", "a.b", "$", "%", "$$", "100%", ":"]),
        st.sampled_from(["\\n", "\\t", '\\"', "\\\\", "\\u00e9", "\\r", "é", "$${esc}", "%%{esc}"]),
        # runs of `$` before `{`: Lark's escape terminal against tree-sitter's interpolations
        st.sampled_from(["$$$", "$$", "$$${", "}", "$${a}}"]),
    ]
    return st.lists(st.one_of(*pieces), max_size=4).map("".join)


def _quoted(exprs):
    plain = _string_text(False)
    interp = exprs.map(lambda e: "${" + e + "}")
    return st.lists(st.one_of(plain, interp), max_size=4).map(lambda ps: '"' + "".join(ps) + '"')


_heredoc_line = st.sampled_from(
    ["hello", "  indented ${var.x}", "\tTab", "", "${local.a} and ${upper(var.b)}", "%{ if x }y"]
)
_heredoc = st.tuples(
    st.sampled_from(["<<", "<<-"]),
    st.sampled_from(["EOF", "EOT", "POLICY"]),
    st.lists(_heredoc_line, max_size=4),
    st.sampled_from(["", "  "]),
).map(lambda t: f"{t[0]}{t[1]}\n" + "".join(line + "\n" for line in t[2]) + f"{t[3]}{t[1]}")

_literals = st.one_of(
    st.integers(min_value=0, max_value=10**6).map(str),
    st.sampled_from(["1.5", "0.25", "2e3", "1.5e-2", "true", "false", "null", "007"]),
)


def _traversal(exprs):
    step = st.one_of(
        _names.map(lambda n: "." + n),
        exprs.map(lambda e: "[" + e + "]"),
        st.integers(0, 3).map(lambda i: f"[{i}]"),
        st.sampled_from([".0", ".1", ".12", ".01", ". 0"]),  # the legacy index
        st.sampled_from(["[*]", ".*", "[*].id", ".*.arn"]),
    )
    return st.tuples(_roots, st.lists(step, max_size=3)).map(lambda t: t[0] + "".join(t[1]))


def _extend(exprs):
    ops = st.sampled_from(["+", "-", "*", "/", "%", "==", "!=", "<", ">", "<=", ">=", "&&", "||"])
    return st.one_of(
        st.lists(exprs, max_size=3).map(lambda xs: "[" + ", ".join(xs) + "]"),
        st.lists(exprs, max_size=3).map(lambda xs: "[\n" + ",\n".join(xs) + ",\n]"),
        st.lists(st.tuples(_names, exprs), max_size=3).map(
            lambda kv: "{" + ", ".join(f"{k} = {v}" for k, v in kv) + "}"
        ),
        st.lists(st.tuples(_names, exprs), max_size=3).map(
            lambda kv: "{\n" + "".join(f'  "{k}": {v}\n' for k, v in kv) + "}"
        ),
        st.tuples(
            st.sampled_from(["max", "merge", "lookup", "format"]), st.lists(exprs, max_size=3)
        ).map(lambda t: f"{t[0]}({', '.join(t[1])})"),
        st.lists(exprs, min_size=1, max_size=2).map(lambda xs: f"concat({', '.join(xs)}...)"),
        st.tuples(exprs, exprs, exprs).map(lambda t: f"{t[0]} ? {t[1]} : {t[2]}"),
        st.tuples(st.lists(st.tuples(exprs, exprs), min_size=2, max_size=3), exprs).map(
            lambda t: "".join(f"{c} ? {v} : " for c, v in t[0]) + t[1]
        ),
        st.lists(st.tuples(exprs, exprs), max_size=2).map(
            lambda kv: "{" + ", ".join(f"({k}) = {v}" for k, v in kv) + "}"
        ),
        st.lists(exprs, max_size=3).map(lambda xs: "[/* c */ " + " /* d */, ".join(xs) + "]"),
        st.tuples(exprs, ops, exprs).map(lambda t: f"{t[0]} {t[1]} {t[2]}"),
        st.tuples(st.sampled_from(["!", "-", "- "]), exprs).map(lambda t: f"{t[0]}{t[1]}"),
        exprs.map(lambda e: f"({e})"),
        st.tuples(exprs, exprs).map(lambda t: f"[for v in {t[0]} : {t[1]}]"),
        st.tuples(exprs, exprs, exprs).map(lambda t: f"[for k, v in {t[0]} : {t[1]} if {t[2]}]"),
        st.tuples(exprs, exprs, st.sampled_from(["", "..."])).map(
            lambda t: f"{{for k, v in {t[0]} : k => {t[1]}{t[2]}}}"
        ),
        _traversal(exprs),
        _quoted(exprs),
    )


_leaves = st.one_of(
    _literals,
    _roots,
    _quoted(st.sampled_from(["var.x", "local.y"])),
    _heredoc,
    st.sampled_from(["-1", "-10", "-1.5", "- 2", "a-b", "5-1", "!a", "-x"]),
)
# deferred rather than st.recursive: the same strategy objects at every level keep hypothesis's
# bookkeeping small; leaves are three times as likely as compounds, so the depth stays small
_exprs = st.deferred(lambda: st.one_of(_leaves, _leaves, _leaves, _compound))
_compound = _extend(_exprs)


def _body(depth: int):
    attr = st.tuples(_names, _exprs).map(lambda t: f"{t[0]} = {t[1]}\n")
    comment = st.sampled_from(["# note\n", "// note\n", "/* block */\n", "\n"])
    items = [attr, comment]
    if depth > 0:
        label = st.sampled_from(['"aws_s3_bucket"', '"main"', "plain", '"with space"', '"é"'])
        block = st.tuples(
            st.sampled_from(["resource", "dynamic", "lifecycle", "in"]),
            st.lists(label, max_size=2),
            _body(depth - 1),
        ).map(lambda t: f"{t[0]} {' '.join(t[1])} {{\n{t[2]}}}\n")
        items.append(block)
    return st.lists(st.one_of(*items), max_size=5).map("".join)


@settings(max_examples=200, deadline=None)
@given(_body(2))
def test_generated_bodies_agree(text):
    reference = _reference(text)
    fast = _fast(text)
    if fast is not None:
        assert fast == reference
    assert _public(text) == reference


@settings(max_examples=200, deadline=None)
@given(_exprs, st.sampled_from(["\n", "\r\n"]))
def test_generated_expressions_agree(expr, newline):
    text = f'resource "t" "n" {{{newline}  value = {expr}{newline}  other = 1{newline}}}{newline}'
    reference = _reference(text)
    fast = _fast(text)
    if fast is not None:
        assert fast == reference
    assert _public(text) == reference


# line breaks and comments between tokens: tree-sitter takes them anywhere, Lark in some places
# only, and before `?` only one (python-hcl2's post-lexer merges it into the operator)
_GAPS = ["\n", "\n\n", " # c\n", "\n  ", " // c\n", "\r\n", " /* c */ ", "/* c\n d */"]
_GAPS += [" /* c */\n"]
_BOUNDARY = re.compile(r" |(?<=[(\[{,?:])|(?=[)\]},?:])|(?=\.\.\.)")


@settings(max_examples=200, deadline=None)
@given(_exprs, st.data())
def test_generated_expressions_with_line_breaks_agree(expr, data):
    pieces, last = [], 0
    for match in _BOUNDARY.finditer(expr):
        if data.draw(st.integers(0, 4)) == 0:
            pieces += [expr[last : match.start()], data.draw(st.sampled_from(_GAPS))]
            last = match.end()  # a space is replaced, an empty boundary kept
    expr = "".join(pieces) + expr[last:]
    text = f'resource "t" "n" {{\n  value = {expr}\n  other = 1\n}}\n'
    reference = _reference(text)
    fast = _fast(text)
    if fast is not None:
        assert fast == reference
    assert _public(text) == reference


# -- (3) constructs of real module repositories the fast path reads itself --

HANDLED_CASES = {
    # terraform-aws-eks, terraform-aws-vpc: Lark nests to the right, tree-sitter to the left
    "chained conditional": "x = a ? b : c ? d : e\n",
    "chain of three": "x = a == 1 ? b : c || d ? e : f ? g : h\n",
    "chain with a nested then": "x = a ? b : c ? d ? x : y : e\n",
    "chain over lines": "x = (\n  a ? b\n  : c ? d\n  : e\n)\n",
    "chain in a tuple": "x = [a ? b : c ? d : e, 1]\n",
    "parenthesised chain": "x = (a ? b : c) ? d : e\n",
    "newline before ?": "x = a\n  ? b : c\n",
    "comment before ?": "x = a # c\n  ? b : c\n",
    "operation, then newlines before ?": "x = a || b\n\n  ? c : d\n",
    "block comment before ?": "x = a /* c */ ? b : c\n",
    # terraform-aws-lambda: a parenthesised key is an expression (its value), not a name
    "parenthesised key": "x = {(k) = v, ((k)) = 1, (var.x) = 2, k = 3}\n",
    # terragoat: `$$${x}` is `$` and the escaped `$${x}` for Lark, not an interpolation
    "dollar before an escaped interpolation": 'x = "a/$$${local.n}"\ny = "$$${f("x")}"\n',
    "dollars after an interpolation": 'x = "${a}$$${b}}${c}"\n',
    # terragoat: Terraform 0.11's index, `a.0`, whose number tree-sitter-hcl leaves out
    "legacy index": 'x = aws_instance.web.0.id\ny = "${a.*.0}"\nz = a.1.5\n',
    # checkov's alicloud tests: python-hcl2 takes keywords as names (not as references)
    "keywords as names": (
        'in "for" if {\n  in = "QUERY"\n  else = {if = 1, endfor = 2}\n  x = a.in.for\n}\n'
    ),
    # terraform-google-*: block comments between body items and list elements
    "block comment at the start of a body": "locals {\n  /* c\n  */\n  a = 1\n}\n",
    "block comment in a tuple": "x = [\n  /* c */\n  a, /* d */ b /* e */,\n]\n",
    "block comment in an object": "x = {\n  /* c */ a = 1 /* d */, /* e */\n  b = 2 /* f */\n}\n",
    "block comment in arguments": "x = f(/* c */ a /* d */, b /* e */)\n",
    "block comment before {": "b /* c */ {\n}\n",
    "block comment in a conditional": "x = a ? /* c */ b : /* d */ c\n",
    # terraform-aws-ecs, terraform-aws-autoscaling: deeply nested variable types
    "deep nesting": "x = " + "[" * 80 + "]" * 80 + "\n",
}


@pytest.mark.parametrize("name", sorted(HANDLED_CASES))
def test_handled_cases_give_the_reference_result(name):
    text = HANDLED_CASES[name]
    fast = _fast(text)
    assert fast is not None, name
    assert fast == _reference(text)


# the reference stops at hcl.MAX_DEPTH levels of its converter; the fast path counts depth the
# same way. Each case nests one construct n times in an attribute's value; the reference reads
# it up to n = limit - 1 and reports "nesting is too deep" from the limit on: the fast path must
# read the deepest text the reference reads, and decline the first it rejects
DEPTH_CASES = {  # name: (text of n, limit)
    "tuple": (lambda n: "[" * n + "]" * n, 101),
    "object": (lambda n: "{a = " * n + "1" + "}" * n, 100),
    "call": (lambda n: "f(" * n + ")" * n, 101),
    "parentheses": (lambda n: "(" * n + "a" + ")" * n, 199),
    "traversal": (lambda n: "a" + ".b" * n, 100),
    "index": (lambda n: "a" + "[0]" * n, 100),
    "splat": (lambda n: "a" + "[*].b" * n, 100),
    "index of index": (lambda n: "a[" * n + "0" + "]" * n, 100),
    "conditional chain": (lambda n: "a ? b : " * n + "c", 199),
    "conditional in then": (lambda n: "a ? " * n + "b" + " : c" * n, 199),
    "operation": (lambda n: "a" + " + a" * n, 199),
    "unary": (lambda n: "!(" * n + "a" + ")" * n, 100),
    "for": (lambda n: "[for v in " * n + "a : v]" + " : v]" * (n - 1), 100),
    # (strings nested 60 deep are a syntax error for tree-sitter-hcl: tuples make up the depth)
    "interpolation": (lambda n: '"${[' * n + "a" + ']}"' * n, 40),
    "object key": (lambda n: "{(" * n + "k" + ") = 1}" * n, 67),
}


@pytest.mark.parametrize("name", [*sorted(DEPTH_CASES), "blocks"])
def test_the_fast_path_stops_where_the_reference_does(name):
    if name == "blocks":
        limit = 197
        text = lambda n: "b {\n" * n + "x = [1]\n" + "}\n" * n  # noqa: E731
    else:
        make, limit = DEPTH_CASES[name]
        text = lambda n: f"x = {make(n)}\n"  # noqa: E731
    deepest = text(limit - 1)
    fast, reference = _fast(deepest), _reference(deepest)
    assert isinstance(reference, ast.Body)
    limit_before = sys.getrecursionlimit()
    sys.setrecursionlimit(10_000)  # == on 200 nested blocks recurses deeper than either parser
    try:
        assert fast == reference
    finally:
        sys.setrecursionlimit(limit_before)
    assert _reference(text(limit))[:2] == ("error", "nesting is too deep to analyse")
    assert _fast(text(limit)) is None


# -- (4) the cases the fast path must leave to the reference --

FALLBACK_CASES = {
    "syntax error": 'resource "a" "b" {\n  x = \n}\n',
    "unclosed block": 'resource "a" "b" {\n  x = 1\n',
    "newline inside a legacy index": "x = aws_instance.web.\n0.id\n",
    "capitalised literal": "x = True\n",
    "capitalised null": "x = {a = NULL}\n",
    "duplicate attribute": "x = 1\ny = 2\nx = 3\n",
    "too deep for the reference": "x = " + "[" * 300 + "]" * 300 + "\n",
    "newline after =": "x =\n  1\n",
    "newline before a traversal": "x = a\n  .b\n",
    "newline before minus": "x = a\n  - b\n",
    "newline before plus": "x = a\n  + b\n",
    "block comment in expression": "x = /* c */ 1\n",
    "block comment between labels": 'b /* c */ "x" {\n}\n',
    "block comment before a call's (": "x = f /* c */ (1)\n",
    "block comment before ...": "x = f(a /* c */ ...)\n",
    "newline before ...": "x = f(a\n  ...)\n",
    "newline before =>": "x = {for k, v in m : k\n  => v}\n",
    "two newlines before ?": "x = a\n\n  ? b : c\n",
    "comment and newline before ?": "x = a /* c */\n  ? b : c\n",
    "two newlines before ? in a chain": "x = a ? b : c\n\n  ? d : e\n",
    "traversal too deep for the reference": "x = a" + ".b" * 150 + "\n",
    "directive in quoted string": 'x = "%{ if a }b%{ endif }"\n',
    "strip marker": 'x = "${~ a ~}"\n',
    "byte-order mark": "\ufeffx = 1\n",
    "label on the next line": 'resource "a"\n"b" {}\n',
    "interpolated label": 'resource "a${b}" "c" {}\n',
    "unicode identifier": "x = é\n",
    "keyword variable": "x = [in]\n",
    "negative number traversal": "x = -1.5.a\n",
    "heredoc without end": "x = <<EOF\nabc\n",
    "newline inside an interpolation": 'x = "${\n  a}"\n',
    "newline after the comma of a for": "x = [for k,\n v in m : v]\n",
    "newline before the comma of a for": "x = [for k\n, v in m : v]\n",
    "newline before &&": "x = (a\n  && b)\n",
    "unary on an operation": "x = !-1\n",
    "float token for Lark": "x = (-1-2)\n",
    "escaped interpolation closing Lark's string early": 'x = "$$${"}"}"\n',
}


@pytest.mark.parametrize("name", sorted(FALLBACK_CASES))
def test_fallback_cases_give_the_reference_result(name):
    text = FALLBACK_CASES[name]
    assert _fast(text) is None, name
    assert _public(text) == _reference(text)


def test_forcing_the_reference_path(monkeypatch):
    monkeypatch.setenv("SOC2LINT_HCL", "lark")
    assert not hcl_fast.available()
    monkeypatch.delenv("SOC2LINT_HCL")
    assert hcl_fast.available()


def test_quirks_the_fast_path_reproduces():
    text = (
        'x = -1.5\ny = -1\nz = "a\\n$${b} %%{c} \\u0041  "\n'
        "w = <<-EOT\n    hi ${var.a}\n  EOT\n"
        'v = {for_each = 1, true = 2, "s" = 3}\nu = a.*.b[0]\n'
    )
    fast = _fast(text)
    assert fast is not None
    assert fast == _reference(text)


def test_without_tree_sitter_the_reference_path_is_used(monkeypatch):
    monkeypatch.setattr(hcl_fast, "_PARSER", None)
    assert not hcl_fast.available()
    text = "x = 1\ny = True\n"
    with pytest.raises(HCLSyntaxError) as exc:
        hcl.parse_body(text)
    assert exc.value.line == 2
    assert hcl.parse_body("x = -10\n") == hcl.parse_body_lark("x = -10\n")


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet='\\nrtuU"0123456789abcdefABCDEFDx\U0001f600 ', max_size=24))
def test_escapes_are_resolved_as_python_hcl2_resolves_them(text: str) -> None:
    """The fast path's own escape handling (it imports no python-hcl2 for a string with an
    escape) against the reference's: the simple escapes, \\uNNNN and \\UNNNNNNNN, and what it
    keeps verbatim (unknown escapes, lone surrogates, code points past U+10FFFF, a last
    backslash)."""
    from hcl2.utils import process_escape_sequences

    assert hcl_fast.unescape(text) == process_escape_sequences(text)


@pytest.mark.parametrize(
    "text",
    [
        "\\uD800",
        "\\U00110000",
        "\\U0001F600",
        "\\u00e9\\\\n",
        "\\q\\",
        "\\\\\\u0041",
        "\\U0000\\u0041",
    ],
)
def test_escape_corner_cases_match_python_hcl2(text: str) -> None:
    from hcl2.utils import process_escape_sequences

    assert hcl_fast.unescape(text) == process_escape_sequences(text)
