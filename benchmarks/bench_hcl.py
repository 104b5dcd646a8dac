"""Benchmark: HCL parsing alone, the reference (python-hcl2's Lark) path against the fast
(tree-sitter) path, both producing the same ast.Body.

Not a timed test: run it by hand and read the ratios (the machine may be shared; process time
of this process is measured, several repetitions, the best kept).
    python benchmarks/bench_hcl.py [--files 1000] [--repeat 5] [--dir some/terraform/tree ...]
"""

from __future__ import annotations

import argparse
import contextlib
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from bench_terraform import generate  # noqa: E402

from soc2lint.platforms.terraform import hcl, hcl_fast  # noqa: E402


def _texts(paths: list[Path]) -> list[str]:
    return [p.read_text(encoding="utf-8", errors="replace") for p in paths]


def _time(parse, texts: list[str], repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        start = time.process_time()
        for text in texts:
            with contextlib.suppress(hcl.HCLSyntaxError):
                parse(text)
        best = min(best, time.process_time() - start)
    return best


def _declined(texts: list[str]) -> int:
    count = 0
    for text in texts:
        try:
            hcl_fast.parse_body(text)
        except hcl_fast.Decline:
            count += 1
    return count


def _ts_only(texts: list[str], repeat: int) -> float:
    sources = [(t + "\n").encode() for t in texts]
    best = float("inf")
    for _ in range(repeat):
        start = time.process_time()
        for src in sources:
            hcl_fast._PARSER.parse(src)
        best = min(best, time.process_time() - start)
    return best


def report(name: str, texts: list[str], repeat: int) -> None:
    size = sum(len(t) for t in texts)
    hcl.parse_body_lark("x = 1\n")  # load Lark's grammar outside the timing
    lark = _time(hcl.parse_body_lark, texts, repeat)
    public = _time(hcl.parse_body, texts, repeat)
    ts_only = _ts_only(texts, repeat)
    declined = _declined(texts)
    print(
        f"{name:<28} {len(texts):>6} {size / 1e6:>6.2f} {lark:>8.3f} {public:>8.3f} "
        f"{lark / public:>6.1f}x {ts_only:>8.3f} {declined:>5}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--files", type=int, default=1000, help="generated corpus size")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--dir", action="append", default=[], help="also time this tree's .tf")
    args = parser.parse_args()
    if not hcl_fast.available():
        sys.exit("the fast path is unavailable (tree-sitter missing or SOC2LINT_HCL=lark)")
    load = subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()
    print(f"cpus {os.cpu_count()}; {load}")
    print(
        f"{'corpus':<28} {'files':>6} {'MB':>6} {'lark s':>8} {'fast s':>8} {'ratio':>7} "
        f"{'ts only':>8} {'decl':>5}"
    )
    report("fixtures/ (all .tf)", _texts(sorted((ROOT / "fixtures").rglob("*.tf"))), args.repeat)
    with tempfile.TemporaryDirectory() as tmp:
        generate(Path(tmp), args.files)
        report(
            f"generated ({args.files} files)",
            _texts(sorted(Path(tmp).rglob("*.tf"))),
            args.repeat,
        )
    for extra in args.dir:
        report(Path(extra).name[:28], _texts(sorted(Path(extra).rglob("*.tf"))), args.repeat)
    load = subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()
    print(f"after: {load}")
    print("process time in seconds, best of --repeat; 'fast' is hcl.parse_body (tree-sitter,")
    print("Lark for declined files); 'ts only' is tree-sitter's parse without the conversion")


if __name__ == "__main__":
    main()
