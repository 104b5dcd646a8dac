"""The fast HCL path (tree-sitter) against the reference (python-hcl2's Lark grammar).

For any text, hcl.parse_body must give exactly what the Lark path gives: the same Body, or the
same HCLSyntaxError (message and line). The fast path either produces an identical Body or
declines, and then the reference parses the whole file.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from soc2lint.platforms.terraform import hcl, hcl_fast
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

_names = st.sampled_from(["a", "b", "name", "tags", "for_each", "count", "x_1", "my-key", "id"])
_roots = st.sampled_from(["var", "local", "each", "aws_s3_bucket", "data", "module", "count"])


def _string_text(allow_interp: bool):
    pieces = [
        st.sampled_from(["abc", " ", "  two  spaces ", "x-y", "a.b", "$", "%", "$$", "100%", ":"]),
        st.sampled_from(["\\n", "\\t", '\\"', "\\\\", "\\u00e9", "\\r", "é", "$${esc}", "%%{esc}"]),
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


# -- (3) the cases the fast path must leave to the reference --

FALLBACK_CASES = {
    "syntax error": 'resource "a" "b" {\n  x = \n}\n',
    "unclosed block": 'resource "a" "b" {\n  x = 1\n',
    "legacy index": "x = aws_instance.web.0.id\n",
    "capitalised literal": "x = True\n",
    "capitalised null": "x = {a = NULL}\n",
    "duplicate attribute": "x = 1\ny = 2\nx = 3\n",
    "deep nesting": "x = " + "[" * 80 + "]" * 80 + "\n",
    "too deep for the reference": "x = " + "[" * 300 + "]" * 300 + "\n",
    "newline after =": "x =\n  1\n",
    "newline before a traversal": "x = a\n  .b\n",
    "newline before minus": "x = a\n  - b\n",
    "newline before plus": "x = a\n  + b\n",
    "chained conditional": "x = a ? b : c ? d : e\n",
    "block comment in expression": "x = /* c */ 1\n",
    "parenthesised key": "x = {(a) = 1}\n",
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
    "dollar before an escaped interpolation": 'x = "$$${var.x}"\n',
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
