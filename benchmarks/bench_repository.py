"""Benchmark: one real repository (a module repository such as terraform-aws-eks), soc2lint
cold and warm side by side with Checkov in the same run.

Not a timed test: run it by hand on a quiet machine and read the ratios.
    python benchmarks/bench_repository.py CHECKOUT [--runs 5] [--checkov PATH] [--checkov-runs 1]

cold: a new, empty cache directory each run (nothing parsed, nothing reused); warm: the same
cache directory again, the repository unchanged. Each figure is the median of --runs fresh
processes of `python -m soc2lint scan CHECKOUT --format json` (jobs: all cores), and Checkov's
the median of --checkov-runs of `checkov -d CHECKOUT --quiet --compact -o json`. The targets of
issue 22 on terraform-aws-eks: cold at least 80 times faster than Checkov, warm 300 times.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_scale import timed  # noqa: E402  (a script beside this one)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("checkout", type=Path)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--checkov", default=shutil.which("checkov"))
    parser.add_argument("--checkov-runs", type=int, default=1)
    args = parser.parse_args()
    root = args.checkout.resolve()
    soc2lint = [sys.executable, "-m", "soc2lint", "scan", str(root), "--format", "json"]
    files = sum(1 for _ in root.rglob("*.tf"))
    with tempfile.TemporaryDirectory(prefix="soc2lint-repo-bench-") as tmp:
        cold = []
        for i in range(args.runs):
            cold.append(timed([*soc2lint, "--cache-dir", f"{tmp}/cold-{i}"], root).seconds)
        warm_cache = f"{tmp}/warm"
        timed([*soc2lint, "--cache-dir", warm_cache], root)  # fills it
        warm = [
            timed([*soc2lint, "--cache-dir", warm_cache], root).seconds for _ in range(args.runs)
        ]
    print(f"{root.name}: {files} .tf files")
    line = f"soc2lint cold {statistics.median(cold):.2f} s, warm {statistics.median(warm):.3f} s"
    if args.checkov:
        checkov = statistics.median(
            timed(
                [args.checkov, "-d", str(root), "--quiet", "--compact", "-o", "json"], root
            ).seconds
            for _ in range(args.checkov_runs)
        )
        line += (
            f"; checkov {checkov:.1f} s: cold {checkov / statistics.median(cold):.0f}x, "
            f"warm {checkov / statistics.median(warm):.0f}x faster"
        )
    print(line)


if __name__ == "__main__":
    main()
