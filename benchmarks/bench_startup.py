"""Benchmark: how long the command line takes to start, as a pre-commit hook pays it.

Not a timed test: run it by hand and read the table (the machines are shared; take the median).
    python benchmarks/bench_startup.py [--runs 15] [--importtime 15] [--against OTHER]

It times (wall clock and CPU), each as the median of --runs fresh processes of the installed
`soc2lint` script:
  --version, --help, -h, `scan --help`, and a one-file Terraform change through the pre-commit
  path (`soc2lint scan --no-diff-base --only-changed FILE`, as the soc2lint-changed hook runs it)
  in a small generated git repository: the same change again (the whole result reused from the
  cache: an amended commit, a second hook), a new edit before each run (the commit's file parsed
  again and the scan evaluated, every other file's parse from the cache: what a hook pays on
  each new commit), and cold (--no-cache).
Then `python -X importtime` of `soc2lint --version` and of the one-file scan, and lists the
modules that cost most (cumulative microseconds), so a regression names its culprit.

--against OTHER (another installation's `soc2lint` script, say a virtual environment of the
main branch): both are timed in turn, run for run, each with its own cache directory, and the
table shows both, so that a change is measured against its base at the same moment (on a
shared machine, numbers taken minutes apart differ more than most changes do).
The targets (issue 21): --version and --help at most 150 ms, the one-file change 350 ms, on a
2-core machine.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

TARGETS_MS = {
    "--version": 150,
    "--help": 150,
    "one-file change (warm cache)": 350,
    "one-file change (new edit each run)": 350,
}

MODULE = """resource "aws_s3_bucket" "b{i}" {{
  bucket = "bucket-{i}"
}}

resource "aws_s3_bucket_server_side_encryption_configuration" "b{i}" {{
  bucket = aws_s3_bucket.b{i}.id
  rule {{
    apply_server_side_encryption_by_default {{
      sse_algorithm = "aws:kms"
    }}
  }}
}}

resource "aws_s3_bucket_public_access_block" "b{i}" {{
  bucket                  = aws_s3_bucket.b{i}.id
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}}
"""


def soc2lint_command() -> list[str]:
    """The console script next to this interpreter (what pre-commit runs), else `-m soc2lint`."""
    script = Path(sys.executable).parent / "soc2lint"
    return [str(script)] if script.exists() else [sys.executable, "-m", "soc2lint"]


def make_repo(root: Path, files: int) -> Path:
    """A git repository with `files` Terraform files in a few module directories."""
    root.mkdir(parents=True, exist_ok=True)
    for i in range(files):
        directory = root / "infra" / f"stack{i % 4}"
        directory.mkdir(parents=True, exist_ok=True)
        (directory / f"s3_{i}.tf").write_text(MODULE.format(i=i))
    env = {**os.environ, "GIT_AUTHOR_NAME": "b", "GIT_AUTHOR_EMAIL": "b@example.com"}
    env |= {"GIT_COMMITTER_NAME": "b", "GIT_COMMITTER_EMAIL": "b@example.com"}
    for args in (["init", "-q", "-b", "main"], ["add", "."], ["commit", "-q", "-m", "base"]):
        subprocess.run(["git", *args], cwd=root, env=env, check=True)
    return root


def median_ms(
    argvs: list[list[str]],
    runs: int,
    cwd: Path,
    env: dict,
    before: Callable[[int], None] | None = None,
) -> list[tuple[float, float, int]]:
    """For each argv: median wall and median CPU (user + system) time in ms of `runs` fresh
    processes, and the last exit code. The argvs take turns, run for run (before(i), untimed,
    ahead of each run, with i counting every run). On a shared machine the CPU time is the
    steadier of the two."""
    walls: list[list[float]] = [[] for _ in argvs]
    cpus: list[list[float]] = [[] for _ in argvs]
    codes = [0 for _ in argvs]
    for i in range(runs):
        for k, argv in enumerate(argvs):
            if before is not None:
                before(i * len(argvs) + k)
            used = resource.getrusage(resource.RUSAGE_CHILDREN)
            start = time.perf_counter()
            proc = subprocess.run(argv, cwd=cwd, env=env, capture_output=True)
            walls[k].append((time.perf_counter() - start) * 1000)
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            cpu = after.ru_utime - used.ru_utime + after.ru_stime - used.ru_stime
            cpus[k].append(cpu * 1000)
            codes[k] = proc.returncode
    return [
        (statistics.median(w), statistics.median(c), code)
        for w, c, code in zip(walls, cpus, codes, strict=True)
    ]


def importtime(argv: list[str], cwd: Path, env: dict) -> list[tuple[int, int, str]]:
    """(self µs, cumulative µs, module) of every import in one run of argv."""
    python = [sys.executable, "-X", "importtime", "-c", "from soc2lint.cli import main; main()"]
    proc = subprocess.run([*python, *argv[1:]], cwd=cwd, env=env, capture_output=True, text=True)
    rows = []
    for line in proc.stderr.splitlines():
        if not line.startswith("import time:") or "cumulative" in line:
            continue
        own, cumulative, name = line.split(":", 1)[1].split("|")
        rows.append((int(own), int(cumulative), name.strip()))
    return rows


def offenders(rows: list[tuple[int, int, str]], top: int) -> list[str]:
    """The third-party packages (cumulative) and the modules (own time) that cost most."""
    packages = sorted(
        (c, n) for _, c, n in rows if "." not in n and not n.startswith(("_", "soc2lint"))
    )
    own = sorted((o, n) for o, _, n in rows)
    lines = [f"  {c / 1000:8.1f}  {n}  (package, cumulative)" for c, n in packages[::-1][:top]]
    lines += [f"  {o / 1000:8.1f}  {n}  (module, own)" for o, n in own[::-1][:top]]
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=15, help="processes per measurement")
    parser.add_argument("--files", type=int, default=40, help="Terraform files in the repository")
    parser.add_argument("--importtime", type=int, default=15, help="offenders to list")
    parser.add_argument(
        "--against", help="another soc2lint script to time in turn with this one (its base)"
    )
    args = parser.parse_args()
    cli = soc2lint_command()
    clis = [cli, *([[str(Path(args.against).resolve())]] if args.against else [])]
    work = Path(tempfile.mkdtemp(prefix="soc2lint-startup-"))
    try:
        repo = make_repo(work / "repo", args.files)
        env = {**os.environ, "NO_COLOR": "1"}
        env.pop("GITHUB_BASE_REF", None)
        # an installed package has its bytecode compiled (pip does it); without it every run
        # would compile soc2lint's modules from source again and time that instead
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        changed = "infra/stack1/s3_1.tf"
        # as the soc2lint-changed hook runs it; each installation with a cache directory of its own
        scan = ["scan", "--no-diff-base", "--only-changed", changed, "--cache-dir"]
        hooks = [[*c, *scan, str(work / f"cache{k}")] for k, c in enumerate(clis)]
        for hook in hooks:  # warm the parse cache
            subprocess.run(hook, cwd=repo, env=env, capture_output=True)
        with (repo / changed).open("a") as handle:  # the commit's change: one edited file
            handle.write('\nresource "aws_s3_bucket" "added" {\n  bucket = "added"\n}\n')
        edited = (repo / changed).read_text()

        def new_edit(i: int) -> None:  # the next commit's change to the same file
            (repo / changed).write_text(f"{edited}\n# edit {i}\n")

        cases = [
            ("--version", [[*c, "--version"] for c in clis], None),
            ("--help", [[*c, "--help"] for c in clis], None),
            ("-h", [[*c, "-h"] for c in clis], None),
            ("scan --help", [[*c, "scan", "--help"] for c in clis], None),
            ("one-file change (warm cache)", hooks, None),
            ("one-file change (new edit each run)", hooks, new_edit),
            ("one-file change (--no-cache)", [[*h[:-2], "--no-cache"] for h in hooks], None),
        ]
        cores = os.cpu_count()
        load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
        print(f"{cores} cores, load average {load:.2f}; median of {args.runs} runs; {cli[0]}")
        other = f" {'against: wall':>14} {'cpu':>5}  exit" if args.against else ""
        print(f"{'command':<36} {'wall ms':>8} {'cpu ms':>7} {'target':>7}  exit{other}")
        for label, argvs, before in cases:
            (median, cpu, code), *base = median_ms(argvs, args.runs, repo, env, before)
            target = TARGETS_MS.get(label)
            mark = "" if target is None else f"{target}" + ("" if median <= target else "!")
            row = f"{label:<36} {median:>8.0f} {cpu:>7.0f} {mark:>7}  {code:>4}"
            for wall_b, cpu_b, code_b in base:
                row += f" {wall_b:>14.0f} {cpu_b:>5.0f}  {code_b:>4}"
            print(row)
        if args.against:
            print(f"against: {args.against}")
        hook = hooks[0]
        for label, argv in (("--version", [*cli, "--version"]), ("one-file change", hook)):
            print(f"\npython -X importtime, {label}: top {args.importtime} (ms)")
            rows = importtime(argv, repo, env)
            print(f"  {sum(o for o, _, _ in rows) / 1000:8.1f}  all {len(rows)} imports")
            print("\n".join(offenders(rows, args.importtime)))
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
