"""A report the result cache gives back (a warm scan) makes its passes only when something reads
every result (pipeline.report.Findings), and is in every other way the report the scan made:
every format, the evidence record, a baseline, the diff-base filter."""

from __future__ import annotations

import base64
import shutil
import zlib
from dataclasses import replace
from pathlib import Path

import pytest

from soc2lint.engine.rules import load_rules
from soc2lint.evidence.record import build_record
from soc2lint.model import Status
from soc2lint.pipeline import codec, result_cache
from soc2lint.pipeline.report import Findings, Report
from soc2lint.policies.baseline import create as create_baseline
from soc2lint.policies.baseline import key as baseline_key
from soc2lint.reporters import FORMATS, renderer
from soc2lint.reporters.common import summary
from soc2lint.scan import ScanOptions, scan

RULES = load_rules()
DEMO = Path(__file__).resolve().parents[1] / "fixtures" / "demo"


@pytest.fixture(scope="module")
def pair(tmp_path_factory: pytest.TempPathFactory) -> tuple[Report, Report]:
    """(the scan's own report, the same scan's report reused from the result cache)."""
    root = tmp_path_factory.mktemp("reused")
    repo = root / "repo"
    shutil.copytree(DEMO, repo)
    (repo / ".git").mkdir()
    # an exception too: the first failure in a Terraform file, accepted on the line above it
    first = next(
        f
        for f in scan([str(repo)], RULES, ScanOptions(jobs=1)).failing()
        if f.location.path.endswith(".tf") and f.location.start_line > 1
    )
    lines = (repo / first.location.path).read_text().splitlines(keepends=True)
    lines.insert(
        first.location.start_line - 1, f'# soc2lint:ignore {first.rule_id} reason="a test"\n'
    )
    (repo / first.location.path).write_text("".join(lines))
    options = ScanOptions(jobs=1, cache_dir=str(root / "cache"))
    fresh = scan([str(repo)], RULES, options)
    again = scan([str(repo)], RULES, options)
    again.started, again.finished = fresh.started, fresh.finished
    return fresh, again


def test_the_demo_has_what_these_tests_compare(pair: tuple[Report, Report]) -> None:
    fresh, again = pair
    assert type(fresh.findings) is list and type(again.findings) is Findings
    assert {f.status for f in fresh.findings} == set(Status)
    assert fresh.suppressed and any(f.call_sites for f in fresh.findings)


def test_reporters_make_no_pass(pair: tuple[Report, Report]) -> None:
    """What reporters read (visible, failing, counts) is there without the passes."""
    fresh, _ = pair
    reused = _reused(fresh)
    for fmt in FORMATS:
        renderer(fmt)(reused)
    assert reused.findings._all is None  # type: ignore[union-attr]
    assert reused.visible() == fresh.visible() and reused.failing() == fresh.failing()
    assert reused.counts() == fresh.counts() and len(reused.findings) == len(fresh.findings)


@pytest.mark.parametrize("fmt", FORMATS)
def test_every_format_is_the_same(pair: tuple[Report, Report], fmt: str) -> None:
    fresh, again = pair
    options = {"include_suppressed": True} if fmt == "sarif" else {}
    assert renderer(fmt)(again, **options) == renderer(fmt)(fresh, **options)


def test_the_evidence_record_and_a_baseline_are_the_same(pair: tuple[Report, Report]) -> None:
    fresh, again = pair
    for gate in ("pass", "fail"):
        env = {"GITHUB_ACTIONS": ""}
        want = build_record(fresh, gate=gate, threshold="high", environ=env)
        assert build_record(again, gate=gate, threshold="high", environ=env) == want
    assert create_baseline(again.findings) == create_baseline(fresh.findings)
    assert again.findings == fresh.findings and fresh.findings == again.findings
    assert list(again.findings) == fresh.findings and again.findings[3] == fresh.findings[3]


def test_keeping_some_results_is_the_same(pair: tuple[Report, Report]) -> None:
    """Report.keep (the diff-base filter): every pass stays, in order, and the counts of what
    was left out go, leaving no (rule, status) counted zero (summary lists every criterion of
    what it is given)."""
    fresh, _ = pair
    shown = fresh.visible()
    for gone in ({baseline_key(f) for f in shown}, {baseline_key(shown[0])}, set()):
        one, two = replace(fresh), _reused(fresh)

        def wanted(f: object, gone: set = gone) -> bool:
            return baseline_key(f) not in gone  # type: ignore[arg-type]

        one.keep(wanted)
        two.keep(wanted)
        assert two.counts() == one.counts() and summary(two) == summary(one)
        assert two.visible() == one.visible() and not any(n <= 0 for n in two.counts().values())
        # each result kept has its own fingerprint (the cache's, left out with its result)
        assert two.fingerprints() == one.fingerprints()
        assert renderer("json")(two) == renderer("json")(one)
        assert two.findings == one.findings  # made now: the passes, in their places
        assert [f for f in two.findings if f.status is not Status.PASS] == two.visible()
        if gone:
            assert len(one.findings) < len(fresh.findings)
        # kept again, now that every result is made
        first = {baseline_key(f) for f in one.visible()[:1]}
        one.keep(lambda f, first=first: baseline_key(f) not in first)
        two.keep(lambda f, first=first: baseline_key(f) not in first)
        assert two.findings == one.findings and two.counts() == one.counts()


def _reused(report: Report) -> Report:
    """The report as the result cache gives it back (decoded from its table)."""
    table = codec.decode(codec.encode(result_cache._table(report.findings)))
    return replace(report, findings=result_cache._findings(table))


# a pass (status 1) whose numbers name what is not there: a miss when the entry is read, not
# an error when something reads the passes
_GOOD = [0, 1, 1, 1, 0, 1, 0, 0, 0, 1, 0, 1]
_FAIL = [*_GOOD[:3], 0, *_GOOD[4:]]


@pytest.mark.parametrize(
    "row, groups",
    [
        (_GOOD, [[]]),  # the control: well formed
        ([0, 1, 9, *_GOOD[3:]], [[]]),  # resource type: no string 9
        ([*_GOOD[:5], 9, *_GOOD[6:]], [[]]),  # message
        ([*_GOOD[:4], 3, *_GOOD[5:]], [[]]),  # location: no place 3
        ([*_GOOD[:7], 2, *_GOOD[8:]], [[]]),  # resource location: none is 0, place 0 is 1
        ([*_GOOD[:6], 1, *_GOOD[7:]], [[], [7]]),  # evidence naming string 7
        ([*_GOOD[:8], 1, *_GOOD[9:]], [[], [4]]),  # call sites naming place 4
        ([*_GOOD[:10], 1, _GOOD[11]], [[], ["a"]]),  # values files: a member not a number
        ([*_GOOD[:10], 2, _GOOD[11]], [[]]),  # values files: no tuple 2
    ],
)
def test_a_pass_naming_what_is_not_there_is_a_miss_when_read(row: list, groups: list) -> None:
    table = codec.Rows(
        [
            ["SOC2-X", "a"],
            [result_cache._pack([1, 1, 1, 1, 1])],
            groups,
            [result_cache._pack(_FAIL)],  # a failing result
            [result_cache._pack(row)],  # then the pass
            [base64.b64encode(zlib.compress(bytes([0, 1]))).decode()],  # in that order
            [base64.b64encode(bytes(16)).decode()],  # the failing result's fingerprint
        ]
    )
    if row is _GOOD:
        findings = result_cache._findings(table)
        assert [f.status for f in findings] == [Status.FAIL, Status.PASS]
        return
    with pytest.raises((ValueError, TypeError, KeyError, IndexError)):
        result_cache._findings(table)


def _order(*which: int) -> list[str]:
    return [base64.b64encode(zlib.compress(bytes(which))).decode()]


@pytest.mark.parametrize(
    "shown, passes, order, printed",
    [
        ([*_FAIL, *_FAIL], _GOOD, _order(0, 1), 16),  # the order lists one failing result
        (_FAIL, _GOOD, _order(0, 2), 16),  # a list that is not there
        (_FAIL, _GOOD, _order(0, 1, 1), 16),  # a pass more than the table holds
        (_GOOD, _GOOD, _order(0, 1), 16),  # a pass among the failing and unknown results
        (_FAIL, _FAIL, _order(0, 1), 16),  # a failure among the passes
        (_FAIL, _GOOD, _order(0, 1), 15),  # a fingerprint cut short
        (_FAIL, _GOOD, _order(0, 1), 32),  # a fingerprint too many
        (_FAIL, _GOOD, ["not base64!"], 16),
    ],
)
def test_results_in_the_wrong_list_or_without_their_fingerprint_are_a_miss(
    shown: list, passes: list, order: list, printed: int
) -> None:
    table = codec.Rows(
        [
            ["SOC2-X", "a"],
            [result_cache._pack([1, 1, 1, 1, 1])],
            [[]],
            [result_cache._pack(shown)],
            [result_cache._pack(passes)],
            order,
            [base64.b64encode(bytes(printed)).decode()],
        ]
    )
    with pytest.raises((ValueError, TypeError, KeyError, IndexError)):
        result_cache._findings(table)
