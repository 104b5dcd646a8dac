"""The JSON report's own indenting writer (fast) writes exactly what json.dumps(indent=2)
writes."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st


@settings(max_examples=200, deadline=None)
@given(
    st.recursive(
        st.none() | st.booleans() | st.integers() | st.text() | st.floats(),
        lambda inner: (
            st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=5), inner, max_size=4)
        ),
        max_leaves=25,
    )
)
def test_the_json_report_writes_what_json_dumps_writes(value: object) -> None:
    """The report's own indenting writer is byte for byte json.dumps(indent=2)."""
    import json

    from soc2lint.reporters.json_report import _dumps

    doc = {"findings": value, "tuple": (1, "a"), 1: "not a str key"} if value == 0 else {"v": value}
    assert _dumps(doc) == json.dumps(doc, indent=2) + "\n"
