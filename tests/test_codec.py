"""The cache codec: whatever encode() writes, decode() gives back equal and of the same types;
anything encode() could not have written is a ValueError (the cache turns it into a miss)."""

from __future__ import annotations

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


@pytest.mark.parametrize(
    "planted",
    [
        '{"x": 1}',  # a plain object is never written
        '{"c": "os.system", "f": ["id"]}',  # a class the codec does not name
        '{"c": "soc2lint.model.Status", "f": ["fail"]}',  # an enum built field by field
        '{"e": "soc2lint.model.Location", "v": 1}',  # a record built as an enum
        '{"e": "soc2lint.model.Status", "v": "maybe"}',  # not a member
        '{"c": "soc2lint.model.Location", "f": ["a.tf", 1]}',  # a field missing
        '{"c": "soc2lint.model.Location", "f": "a.tf"}',
        '{"m": [[1]]}',
        '{"m": {"a": 1}}',
        '{"t": "abc"}',
        '{"s": [[1, 2]]}',  # an unhashable member
        '{"m": [[[1], 2]]}',  # an unhashable key
        '{"t": [1], "s": [2]}',
    ],
)
def test_anything_encode_could_not_have_written_is_refused(planted: str) -> None:
    with pytest.raises((ValueError, TypeError)):
        codec.decode(planted)


def test_values_of_other_types_are_not_encoded() -> None:
    with pytest.raises(codec.Unencodable):
        codec.encode({"k": object()})


def test_rows_are_written_as_they_are_and_read_back_as_rows() -> None:
    rows = codec.Rows([["a", "b"], [0, 1, None, [2, 3]]])
    text = codec.encode({"k": rows})
    assert '"r":[["a","b"],[0,1,null,[2,3]]]' in text
    assert codec.decode(text) == {"k": rows}
    with pytest.raises(ValueError):
        codec.decode('{"r": {"m": []}}')  # rows are a list
