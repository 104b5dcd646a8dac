"""The cache codec: whatever encode() writes, decode() gives back equal and of the same types;
anything encode() could not have written is a ValueError (the cache turns it into a miss)."""

from __future__ import annotations

import collections
import contextlib
import dataclasses
import os
import pickle
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from soc2lint import model
from soc2lint.pipeline import codec

_leaves = (
    st.none() | st.booleans() | st.integers() | st.text(max_size=8) | st.floats(allow_nan=False)
)
_locations = st.builds(model.Location, st.text(max_size=6), st.integers(1, 99), st.integers(1, 99))
_hashable = st.recursive(
    _leaves | _locations | st.sampled_from(list(model.Status)),
    lambda inner: st.tuples(inner, inner) | st.frozensets(inner, max_size=3),
    max_leaves=6,
)
_values = st.recursive(
    _hashable | st.builds(model.Unknown, st.text(max_size=5)),
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(_hashable, inner, max_size=4)
        | st.sets(_hashable, max_size=3)
        | st.tuples(inner, inner)
    ),
    max_leaves=20,
)


def _typed(value: object) -> object:
    """value with every container's type spelled out, so equality also compares types
    (1 == True and (1,) != [1] would otherwise hide a wrong decoding)."""
    if isinstance(value, dict):
        return ("dict", sorted((repr(_typed(k)), repr(_typed(v))) for k, v in value.items()))
    if isinstance(value, (list, tuple, set, frozenset)):
        items = [repr(_typed(v)) for v in value]
        return (type(value).__name__, items if isinstance(value, (list, tuple)) else sorted(items))
    return (type(value).__name__, value)


@settings(max_examples=150, deadline=None)
@given(_values)
def test_decode_gives_back_what_encode_wrote(value: object) -> None:
    decoded = codec.decode(codec.encode(value))
    assert decoded == value
    assert _typed(decoded) == _typed(value)


def test_model_records_come_back_as_their_class() -> None:
    finding = model.Unknown("var.x", not_null=True, prefix="arn:", source="var.x")
    back = codec.decode(codec.encode({"k": [finding, (model.Status.FAIL,)]}))
    assert type(back["k"][0]) is model.Unknown and back["k"][0].source == "var.x"
    assert back["k"][1] == (model.Status.FAIL,) and type(back["k"][1][0]) is model.Status


class _Call:
    """Pickles as fn(*args), then state set on the result when given: a stream written by
    hand, as a planted cache entry would be."""

    def __init__(self, fn: object, args: tuple, state: object = None) -> None:
        self.fn, self.args, self.state = fn, args, state

    def __reduce__(self) -> tuple:
        return (self.fn, self.args) if self.state is None else (self.fn, self.args, self.state)


def _stream(value: object) -> bytes:
    return pickle.dumps(value, protocol=5)


@pytest.mark.parametrize(
    "planted",
    [
        _stream(_Call(os.system, ("id",))),  # a function the codec does not name
        _stream(_Call(model.Status, ("fail",))),  # an enum class called (only members resolve)
        _stream(_Call(model.Location, ("a.tf", 1))),  # a field missing
        _stream(_Call(model.Location, ("a.tf", 1, 1, 1, 1, 1))),  # a field too many
        _stream(_Call(codec.Rows, ({"k": 1},))),  # rows are a list
        b"csoc2lint.model\nLocation.__init__\n.",  # a name under a table class
        b"csoc2lint.model\nStatus.__class__\n.",
        b"cbuiltins\neval\n(S'1'\ntR.",
        b"(P1\nl.",  # a persistent id
        b"\x80\x05K\x01",  # cut short
        codec.encode([1]) + b"trailing",
        b"not a pickle",
        b"",
    ],
)
def test_anything_encode_could_not_have_written_is_refused(planted: bytes) -> None:
    with pytest.raises(ValueError):
        codec.decode(planted)


def test_a_stream_cannot_change_an_enum_member_or_how_records_are_built() -> None:
    """A stream may set state on what it made (wrong data in its own value, as any planted
    value), never on what other values share: an enum member, or the function that builds a
    class's records."""
    member = b"csoc2lint.model\nStatus.FAIL\n(N(dS'_value_'\nS'pass'\nstb."
    with pytest.raises(ValueError):
        codec.decode(member)
    assert model.Status.FAIL.value == "fail"
    # defaults on Location's builder, so that a short record would build
    builder = b"csoc2lint.model\nLocation\n(N(dS'__defaults__'\n(S'x'\nI1\nI1\nI1\nI1\ntstb."
    with contextlib.suppress(ValueError):  # what it gives back is the builder itself
        codec.decode(builder)
    with pytest.raises(ValueError):
        codec.decode(_stream(_Call(model.Location, ("a.tf",))))


def test_values_of_other_types_are_not_encoded() -> None:
    for value in (object(), collections.OrderedDict(a=1), _Str("s"), os.system, 1j):
        with pytest.raises(codec.Unencodable):
            codec.encode({"k": value})


class _Str(str):
    pass


def test_rows_are_read_back_as_rows() -> None:
    rows = codec.Rows([["a", "b"], [0, 1, None, [2, 3]]])
    back = codec.decode(codec.encode({"k": rows}))
    assert back == {"k": rows} and type(back["k"]) is codec.Rows
    assert type(back["k"].rows) is list


# --- whole models: what a parse and an evaluation hold -------------------------------------


def _deep(value: object) -> object:
    """value as nested tuples naming every type and every field, those left out of == too
    (Unknown.source, Resource.attribute_locations, Resource.provenance): two values are the
    same model exactly when their _deep forms are equal."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        fields = tuple(_deep(getattr(value, f.name)) for f in dataclasses.fields(value))
        return (type(value).__qualname__, fields)
    if isinstance(value, dict):
        return ("dict", tuple((_deep(k), _deep(v)) for k, v in value.items()))
    if isinstance(value, (list, tuple)):
        return (type(value).__name__, tuple(_deep(v) for v in value))
    if isinstance(value, (set, frozenset)):
        return (type(value).__name__, tuple(sorted(repr(_deep(v)) for v in value)))
    return (type(value).__name__, value)


_text = st.text(max_size=6)
_line = st.integers(0, 5000)
_loc = st.builds(model.Location, _text, _line, _line, _line, _line)
_unknown = st.builds(model.Unknown, _text, st.booleans(), _text, _text)
_scalar = st.none() | st.booleans() | st.integers() | _text | st.floats(allow_nan=False)
_attr_value = st.recursive(
    _scalar | _unknown,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(_text, inner, max_size=3),
    max_leaves=8,
)
_provenance = st.builds(
    model.Provenance,
    st.tuples(_text),
    st.tuples(_text),
    st.tuples(_attr_value),
    _attr_value,
)
_resource = st.builds(
    model.Resource,
    address=_text,
    type=_text,
    platform=st.sampled_from([p.value for p in model.Platform]),
    attributes=st.dictionaries(_text, _attr_value, max_size=3),
    location=_loc,
    attribute_locations=st.dictionaries(_text, _loc, max_size=3),
    references=st.lists(st.tuples(_text, _text), max_size=2).map(tuple),
    kind=_text,
    scope=_text,
    call_sites=st.lists(_loc, max_size=2).map(tuple),
    template=st.booleans(),
    also_types=st.lists(_text, max_size=2).map(tuple),
    provenance=st.none() | _provenance,
)
_finding = st.builds(
    model.Finding,
    _text,
    _text,
    _text,
    st.sampled_from(list(model.Status)),
    _loc,
    _text,
    st.lists(_text, max_size=2).map(tuple),
    st.none() | _loc,
    st.lists(_loc, max_size=2).map(tuple),
    _text,
    st.lists(_text, max_size=2).map(tuple),
    st.integers(1, 9),
)


def _tf_nodes() -> st.SearchStrategy:
    from soc2lint.platforms.terraform import ast

    expr = st.recursive(
        st.builds(ast.Lit, _scalar) | st.builds(ast.Var, _text),
        lambda e: (
            st.builds(ast.GetAttr, e, _text)
            | st.builds(ast.Index, e, e)
            | st.builds(ast.Template, st.lists(_text | e, max_size=3).map(tuple))
            | st.builds(
                ast.Splat,
                e,
                st.lists(st.tuples(st.just("attr"), _text) | st.tuples(st.just("index"), e)).map(
                    tuple
                ),
            )
            | st.builds(ast.TupleExpr, st.lists(e, max_size=3).map(tuple))
            | st.builds(ast.ObjectExpr, st.lists(st.tuples(e, e, _line), max_size=2).map(tuple))
            | st.builds(ast.Call, _text, st.lists(e, max_size=2).map(tuple), st.booleans())
            | st.builds(ast.Conditional, e, e, e)
            | st.builds(ast.BinOp, _text, e, e)
            | st.builds(ast.UnOp, _text, e)
            | st.builds(
                ast.ForExpr,
                st.none() | _text,
                _text,
                e,
                st.none() | e,
                e,
                st.none() | e,
                st.booleans(),
            )
            | st.builds(ast.Opaque, _text, st.lists(e, max_size=2).map(tuple))
        ),
        max_leaves=12,
    )
    attribute = st.builds(ast.Attribute, _text, expr, _line, _line)
    body = st.recursive(
        st.builds(ast.Body, st.dictionaries(_text, attribute, max_size=3)),
        lambda b: st.builds(
            ast.Body,
            st.dictionaries(_text, attribute, max_size=2),
            st.lists(
                st.builds(
                    ast.Block, _text, st.lists(_text, max_size=2).map(tuple), b, _line, _line
                ),
                max_size=2,
            ).map(tuple),
        ),
        max_leaves=4,
    )
    return body


def _parsed() -> st.SearchStrategy:
    from soc2lint.platforms.contract import Parsed
    from soc2lint.platforms.terraform.module import TfFile
    from soc2lint.policies.suppressions import Marker

    parse_error = st.builds(model.ParseError, _text, _line, _text, _line)
    unit = st.none() | st.builds(
        TfFile, _text, st.none() | _tf_nodes(), st.lists(parse_error, max_size=2).map(tuple)
    )
    parsed = st.builds(
        Parsed,
        st.none() | _text,
        st.lists(_resource, max_size=2),
        st.lists(parse_error, max_size=2),
        _text,
        unit,
        st.booleans(),
    )
    marker = st.builds(Marker, _text, _line, _text, _text, _text, st.none() | _text, _text, _line)
    return st.tuples(parsed, st.lists(marker, max_size=2), st.none() | _text)


@settings(max_examples=30, deadline=None)
@given(st.data())
def test_a_parse_comes_back_the_same_model_through_the_cache_and_through_pickle(
    data: st.DataObject,
) -> None:
    """What a parse worker stores and sends (codec) and what crosses processes by pickle (a
    finding, a syntax tree) is rebuilt field for field, with every type."""
    value = data.draw(
        _parsed()
        | st.lists(_finding, max_size=3)
        | st.builds(model.Suppression, _text, _text, _line, _text, st.none() | _text, _text)
        | st.builds(model.Skipped, _text, _text)
    )
    assert _deep(codec.decode(codec.encode(value))) == _deep(value)
    assert _deep(pickle.loads(pickle.dumps(value))) == _deep(value)


def test_real_parses_come_back_the_same_model(repo: Path) -> None:
    """Every file of the demo and of a sample of the Terraform fixtures, as parsed."""
    from soc2lint.pipeline import discover, load

    roots = [repo / "fixtures" / "demo", *sorted((repo / "fixtures").glob("SOC2-AWS-00*"))]
    seen = 0
    for root in roots:
        for source in discover.discover(root).files:
            loaded = load.load_one(source, 10**7, None)
            if loaded.parsed is None:
                continue
            value = (loaded.parsed, loaded.markers, loaded.unsupported)
            assert _deep(pickle.loads(pickle.dumps(value))) == _deep(value)
            try:
                encoded = codec.encode(value)
            except codec.Unencodable:  # not cached (a CloudFormation template's unit)
                continue
            assert _deep(codec.decode(encoded)) == _deep(value)
            seen += 1
    assert seen > 20
