"""Benchmark: the cost of evaluating rules on resources, in process, with the full rule set on
a generated repository (bench_scale's realistic mix), and how it grows with the rule set.

    python benchmarks/bench_rules.py                  # 2,000 files, the bundled rules
    python benchmarks/bench_rules.py --files 5000 --grow 4
    python benchmarks/bench_rules.py --repo PATH      # an existing repository instead

It parses and links the repository once (the scan, with evaluation left out), then times, in
CPU seconds of this one process (the best of --repeat runs):
- the interpreter (Evaluator.check, the definition) and the compiled evaluation the scan uses,
  over every (rule, resource) pair, findings made as the scan makes them; the findings of the
  two are compared;
- per resource judged and per rule application (one rule on one resource);
- the rules costing most, per application;
- the rule set grown --grow times over: copies that name types no resource has (a resource
  meets only the rules that can apply: the cost per resource should not move), and copies of
  every rule on the same types (the cost per application should not move).
Not a timed test: the machine's noise is in every figure, so read the ratios.
"""

from __future__ import annotations

import argparse
import gc
import sys
import tempfile
import time
from collections import Counter
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from soc2lint import scan as scan_module  # noqa: E402
from soc2lint.engine import evaluate  # noqa: E402
from soc2lint.engine.compiled import Context  # noqa: E402
from soc2lint.engine.rules import Rule, load_rules  # noqa: E402
from soc2lint.graph import ResourceGraph  # noqa: E402
from soc2lint.pipeline.report import ScanOptions  # noqa: E402


def graph_of(root: Path, rules: list[Rule]) -> tuple[list[Rule], ResourceGraph]:
    """The rules the scan judges with and the linked graph of root, evaluation left out."""
    got: list[tuple[list[Rule], ResourceGraph]] = []

    def capture(judged: list[Rule], graph: ResourceGraph, jobs: int = 1) -> tuple[list, list]:
        got.append((judged, graph))
        return [], []

    real = scan_module.evaluate_rules
    scan_module.evaluate_rules = capture  # type: ignore[assignment]
    try:
        scan_module.scan([str(root)], rules, ScanOptions(jobs=2))
    finally:
        scan_module.evaluate_rules = real
    return got[0]


def cpu(fn, repeat: int) -> tuple[float, object]:  # noqa: ANN001
    """The best CPU time of repeat runs of fn (the collector off, as the scan runs it)."""
    best, result = float("inf"), None
    for _ in range(repeat):
        gc.collect()
        gc.disable()
        try:
            start = time.process_time()
            result = fn()
            best = min(best, time.process_time() - start)
        finally:
            gc.enable()
    return best, result


def interpreted(graph: ResourceGraph, work: evaluate.Work) -> list:
    checker = evaluate.Evaluator(graph)
    return [
        evaluate.make_finding(rule, res, checker.check(cond, res, res.attributes))
        for res, rules in work
        for rule, cond in rules
    ]


def compiled(graph: ResourceGraph, work: evaluate.Work) -> list:
    return evaluate._evaluate(graph, evaluate._plan(work))[0]


def grown(rules: list[Rule], times: int, same_types: bool) -> list[Rule]:
    """rules and times-1 copies of each: on the same types, or on types no resource has."""
    out = list(rules)
    for k in range(1, times):

        def moved(types: tuple[str, ...], k: int = k) -> tuple[str, ...]:
            return types if same_types else tuple(f"{t}_copy{k}" for t in types)

        for r in rules:
            others = tuple(replace(v, resource_types=moved(v.resource_types)) for v in r.others)
            out.append(
                replace(
                    r,
                    id=f"{r.id}-{k}",
                    name=f"{r.name}-{k}",
                    resource_types=moved(r.resource_types),
                    others=others,
                )
            )
    return out


def per_rule(graph: ResourceGraph, work: evaluate.Work) -> list[tuple[str, int, float]]:
    """(rule id, applications, seconds) for every rule, by timing each application."""
    context, plan = Context(graph), evaluate._plan(work)
    spent: Counter[str] = Counter()
    count: Counter[str] = Counter()
    clock = time.perf_counter
    gc.disable()
    try:
        for res, rules in plan:
            for rule, check in rules:
                start = clock()
                evaluate.make_finding(rule, res, check(context, res, res.attributes, ""))
                spent[rule.id] += clock() - start
                count[rule.id] += 1
    finally:
        gc.enable()
    return [(rid, count[rid], spent[rid]) for rid in spent]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--files", type=int, default=2000, help="size of the generated repo")
    parser.add_argument("--repo", type=Path, help="an existing repository instead")
    parser.add_argument("--grow", type=int, default=4, help="grow the rule set this many times")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--top", type=int, default=10, help="most costly rules to list")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        root = args.repo
        if root is None:
            from bench_scale import generate_realistic

            root = Path(tmp) / "repo"
            generate_realistic(root, args.files)
        start = time.perf_counter()
        rules, graph = graph_of(root, load_rules())
        print(f"repository: {root} ({time.perf_counter() - start:.1f} s to parse and link)")

    work = evaluate._work(rules, graph)
    resources = len(work)
    pairs = sum(len(r) for _res, r in work)
    print(
        f"{len(rules)} rules, {len(graph)} graph nodes, {resources} resources judged, "
        f"{pairs} rule applications ({pairs / max(resources, 1):.1f} rules a resource)"
    )

    index_s, _ = cpu(lambda: evaluate._work(rules, graph), args.repeat)
    print(f"rule index and work list: {index_s * 1e3:.1f} ms")

    old_s, old = cpu(lambda: interpreted(graph, work), args.repeat)
    new_s, new = cpu(lambda: compiled(graph, work), args.repeat)
    same = old == new
    print()
    print(f"{'evaluation':<14}{'CPU s':>9}{'µs/resource':>14}{'µs/application':>17}")
    for name, s in (("interpreted", old_s), ("compiled", new_s)):
        print(f"{name:<14}{s:>9.2f}{s / resources * 1e6:>14.1f}{s / pairs * 1e6:>17.2f}")
    print(f"speed-up {old_s / new_s:.2f}x; findings identical: {same}")

    print()
    print(f"most costly rules (compiled, per application, of {len(rules)}):")
    costs = sorted(per_rule(graph, work), key=lambda r: -r[2] / r[1])
    for rid, n, s in costs[: args.top]:
        print(f"  {rid:<18}{n:>8} applications {s / n * 1e6:>9.1f} µs each {s:>7.2f} s")

    if args.grow > 1:
        print()
        print(f"the rule set grown {args.grow} times (compiled):")
        print(
            f"{'rule set':<34}{'rules':>7}{'applications':>14}{'CPU s':>8}"
            f"{'µs/resource':>13}{'µs/application':>16}"
        )
        for label, rule_set in (
            ("bundled", rules),
            ("+ copies on types nobody has", grown(rules, args.grow, same_types=False)),
            ("+ copies on the same types", grown(rules, args.grow, same_types=True)),
        ):
            grown_work = evaluate._work(rule_set, graph)
            n = sum(len(r) for _res, r in grown_work)
            s, _ = cpu(lambda w=grown_work: compiled(graph, w), args.repeat)
            print(
                f"{label:<34}{len(rule_set):>7}{n:>14}{s:>8.2f}"
                f"{s / resources * 1e6:>13.1f}{s / n * 1e6:>16.2f}"
            )


if __name__ == "__main__":
    main()
