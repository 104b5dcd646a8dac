"""The JSON report's own indenting writer (fast) writes exactly what json.dumps(indent=2)
writes."""

from __future__ import annotations

import functools

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
    """The report's own indenting writer is byte for byte json.dumps(indent=2), with or
    without ensure_ascii."""
    import json

    from soc2lint.reporters.json_report import _dumps

    doc = {"findings": value, "tuple": (1, "a"), 1: "not a str key"} if value == 0 else {"v": value}
    assert _dumps(doc) == json.dumps(doc, indent=2) + "\n"
    # as the SARIF report writes its log: texts as they are, not as ASCII escapes
    assert _dumps(doc, ensure_ascii=False) == json.dumps(doc, indent=2, ensure_ascii=False) + "\n"


@functools.lru_cache(maxsize=1)
def _rules():  # type: ignore[no-untyped-def]
    from soc2lint.engine.rules import load_rules

    return load_rules()[:3]


def _report(findings, suppressed):  # type: ignore[no-untyped-def]
    from soc2lint.scan import Report

    rules = _rules()
    return Report(
        root="/r",
        targets=["."],
        rules=rules,
        findings=findings,
        errors=[],
        skipped=[],
        rule_errors=[],
        files={},
        resources=len(findings),
        started="",
        finished="",
        suppressed=suppressed,
    )


_TEXT = st.text(max_size=8)
# values files inside the repository (SARIF names them as related locations) and outside
_VALUES_FILE = st.sampled_from(["v.yaml", "../up.yaml", "/abs.yaml", "d/ü v.yaml"])
_PLACE = st.builds(
    lambda path, line: __import__("soc2lint.model").model.Location(path, line, line + 1),
    st.sampled_from([".", "a.tf", "dir/ü.tf", '"q"\n.tf']),
    st.integers(0, 3),
)


@st.composite
def _findings(draw):  # type: ignore[no-untyped-def]
    from soc2lint.model import Finding, Status, Suppression

    ids = [r.id for r in _rules()]
    made = [
        Finding(
            rule_id=draw(st.sampled_from(ids)),
            resource=draw(_TEXT),
            resource_type=draw(_TEXT),
            status=draw(st.sampled_from(list(Status))),
            location=draw(_PLACE),
            message=draw(_TEXT),
            call_sites=tuple(draw(st.lists(_PLACE, max_size=3))),
            value_source=draw(st.sampled_from(["", "value from values file v.yaml"])),
            value_files=tuple(draw(st.lists(_TEXT | _VALUES_FILE, max_size=2))),
            instances=draw(st.integers(1, 3)),
        )
        for _ in range(draw(st.integers(0, 6)))
    ]
    suppressed = [
        (f, Suppression(f.rule_id, f.location.path, 1, draw(_TEXT), draw(st.none() | _TEXT)))
        for f in draw(st.lists(st.sampled_from(made), max_size=2) if made else st.just([]))
    ]
    return made, suppressed


@settings(max_examples=150, deadline=None)
@given(_findings())
def test_findings_written_as_text_are_what_their_dicts_give(drawn) -> None:  # type: ignore[no-untyped-def]
    """The findings array, written entry by entry as text, is what json.dumps writes for the
    entries as dicts: every key, call site, value source and suppression, and the order."""
    import json

    from soc2lint.reporters.json_report import _dict_entries, _document, render

    report = _report(*drawn)
    expected = json.dumps(_document(report, _dict_entries(report)), indent=2) + "\n"
    assert render(report) == expected


@settings(max_examples=100, deadline=None)
@given(_findings(), st.booleans())
def test_sarif_results_written_directly_are_what_sarif_om_gives(drawn, suppressed) -> None:  # type: ignore[no-untyped-def]
    """The SARIF log, its results written straight from the findings, is what the sarif-om
    objects of build() give through to_dict: every location, call site, values file,
    suppression and property, and the order."""
    from soc2lint.reporters import sarif
    from soc2lint.reporters.json_report import _dumps

    report = _report(*drawn)
    expected = _dumps(sarif.to_dict(sarif.build(report, "a/", suppressed)), ensure_ascii=False)
    assert sarif.render(report, "a/", suppressed) == expected
