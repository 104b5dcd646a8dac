"""Memory machinery of a scan: what it freezes for forked workers it unfreezes after."""

from __future__ import annotations

import gc
import weakref
from pathlib import Path

import pytest

from soc2lint import scan as scan_module
from soc2lint.engine import evaluate
from soc2lint.engine.rules import load_rules
from soc2lint.scan import ScanOptions, scan

REPO = Path(__file__).resolve().parents[1]
RULES = load_rules()
FIXTURE = REPO / "fixtures" / "SOC2-AWS-001"


def _spy(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The collector's frozen count each time the scan evaluates."""
    seen: list[int] = []
    real = scan_module.evaluate_rules

    def spy(*args: object, **kwargs: object) -> object:
        seen.append(gc.get_freeze_count())
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(scan_module, "evaluate_rules", spy)
    return seen


def test_evaluation_runs_frozen_and_the_scan_leaves_nothing_frozen(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert gc.get_freeze_count() == 0
    seen = _spy(monkeypatch)
    frozen = scan([str(FIXTURE)], RULES, ScanOptions(jobs=1))
    assert seen and seen[0] > 0  # the graph was out of the collector's sight while judged
    assert gc.get_freeze_count() == 0
    monkeypatch.undo()
    plain = scan([str(FIXTURE)], RULES, ScanOptions(jobs=1))
    assert frozen.findings == plain.findings


def test_objects_frozen_by_the_caller_stay_frozen(monkeypatch: pytest.MonkeyPatch) -> None:
    gc.freeze()
    try:
        before = gc.get_freeze_count()
        seen = _spy(monkeypatch)
        scan([str(FIXTURE)], RULES, ScanOptions(jobs=1))
        # frozen objects that die leave the frozen generation, none joins it unless frozen:
        # the scan neither froze more nor unfroze
        assert len(seen) == 1 and 0 < seen[0] <= before
        assert 0 < gc.get_freeze_count() <= before
    finally:
        gc.unfreeze()


def test_findings_come_back_from_evaluation_workers_whole(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(evaluate, "PARALLEL_PAIRS", 1)  # evaluate in forked processes
    if not evaluate._can_fork():
        pytest.skip("no fork on this platform")
    two = scan([str(FIXTURE)], RULES, ScanOptions(jobs=2))
    monkeypatch.setattr(evaluate, "PARALLEL_PAIRS", 10**9)
    one = scan([str(FIXTURE)], RULES, ScanOptions(jobs=1))
    assert two.findings == one.findings and one.findings


def test_a_plan_too_large_to_share_is_judged_in_one_process(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # a forked worker would copy most of the graph: above SERIAL_PAIRS no worker is forked
    monkeypatch.setattr(evaluate, "PARALLEL_PAIRS", 1)
    monkeypatch.setattr(evaluate, "SERIAL_PAIRS", 2)
    forked: list[object] = []
    monkeypatch.setattr(evaluate, "_evaluate_forked", lambda *a: forked.append(a))
    two = scan([str(FIXTURE)], RULES, ScanOptions(jobs=2))
    assert forked == []
    monkeypatch.undo()
    one = scan([str(FIXTURE)], RULES, ScanOptions(jobs=1))
    assert two.findings == one.findings and one.findings


def test_keep_sets_aside_what_a_phase_made_only_inside_a_block_that_froze() -> None:
    from soc2lint import collector

    assert gc.get_freeze_count() == 0
    collector.keep(collect=False)  # outside a block: nothing frozen
    assert gc.get_freeze_count() == 0
    with collector.set_aside():
        before = gc.get_freeze_count()
        made = [[i] for i in range(1000)]  # a phase's objects, tracked by the collector
        collector.keep(collect=True)
        assert gc.get_freeze_count() >= before + len(made)
        # a phase's garbage cycles are collected before the rest is set aside
        cycle = _Node()
        cycle.me = cycle
        gone = weakref.ref(cycle)
        del cycle
        collector.keep(collect=True)
        assert gone() is None
    assert gc.get_freeze_count() == 0  # all put back
    gc.freeze()  # frozen by someone else: keep adds nothing to theirs
    try:
        before = gc.get_freeze_count()
        with collector.set_aside():
            fresh = [[i] for i in range(1000)]
            collector.keep(collect=False)
            assert gc.get_freeze_count() <= before and fresh
    finally:
        gc.unfreeze()


class _Node:
    me: object = None
