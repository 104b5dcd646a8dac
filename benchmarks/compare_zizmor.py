"""soc2lint's GitHub Actions rules side by side with zizmor, per zizmor audit, on the same files.

    python benchmarks/compare_zizmor.py TEST_DATA_DIR [--zizmor PATH] [--out FILE] [--keep DIR]

TEST_DATA_DIR is a directory of workflow and composite-action files (zizmor's own fixtures:
crates/zizmor/tests/integration/test-data/ of a zizmor checkout). Each workflow (a YAML file with
a `jobs:` mapping) is copied to `.github/workflows/<path with / as __>.yml` of a scratch
repository, each composite action (`action.yml` with `runs:`) to `actions/<its directory>/`, so
that both tools discover the same files. zizmor runs once on the scratch repository with its
default persona and no network (`--offline`, no GitHub token, `--no-config`); soc2lint runs
once with every GitHub Actions rule (opt-in ones included). For each zizmor audit that a
soc2lint rule maps to, a file counts as flagged by zizmor when zizmor reports that audit in it,
and by soc2lint when one of the mapped rules fails in it (unknown results are counted apart).
The report gives recall (of zizmor's flagged files, how many soc2lint flags) and precision (of
soc2lint's flagged files, how many zizmor flags), and lists every file on which they disagree.
Needs no network; zizmor is not a dependency of soc2lint (pip install zizmor in another venv).
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

from ruamel.yaml import YAML

# zizmor audit -> soc2lint rules that test the same thing (or the part of it soc2lint covers)
AUDIT_TO_RULES = {
    "template-injection": ["SOC2-GHA-005"],
    "artipacked": ["SOC2-GHA-007"],
    "dangerous-triggers": ["SOC2-GHA-004"],
    "unsafe-checkout": ["SOC2-GHA-004"],
    "excessive-permissions": ["SOC2-GHA-002", "SOC2-GHA-003", "SOC2-GHA-015"],
    "unpinned-uses": ["SOC2-GHA-001"],
    "unpinned-images": ["SOC2-GHA-014"],
    "insecure-commands": ["SOC2-GHA-011"],
    "secrets-inherit": ["SOC2-GHA-006"],
    "self-hosted-runner": ["SOC2-GHA-008"],
    "hardcoded-container-credentials": ["SOC2-GHA-009"],
    "github-env": ["SOC2-GHA-016"],
    "bot-conditions": ["SOC2-GHA-017"],
    "cache-poisoning": ["SOC2-GHA-018"],
    "overprovisioned-secrets": ["SOC2-GHA-019"],
    "secrets-outside-env": ["SOC2-GHA-020"],
    "use-trusted-publishing": ["SOC2-GHA-023"],
    "known-vulnerable-actions": ["SOC2-GHA-021"],
    "unsound-condition": ["SOC2-GHA-025"],
    "unsound-contains": ["SOC2-GHA-025"],
    "unsound-ternary": ["SOC2-GHA-025", "SOC2-GHA-026"],
}
GHA_OPT_IN = ["SOC2-GHA-020"]


def collect(src: Path, dest: Path) -> dict[str, str]:
    """Copy workflows and composite actions of src into a scratch repository at dest; returns
    scratch path -> original path (both relative)."""
    yaml = YAML(typ="safe")
    mapping: dict[str, str] = {}
    for path in sorted(src.rglob("*")):
        if path.suffix not in (".yml", ".yaml") or not path.is_file():
            continue
        rel = path.relative_to(src).as_posix()
        try:
            data = yaml.load(path.read_text(encoding="utf-8"))
        except Exception:  # invalid YAML fixtures: neither tool can read them
            continue
        if not isinstance(data, dict):
            continue
        if path.name in ("action.yml", "action.yaml") and isinstance(data.get("runs"), dict):
            target = f"actions/{path.parent.relative_to(src).as_posix()}/{path.name}"
        elif isinstance(data.get("jobs"), dict):
            target = ".github/workflows/" + rel.replace("/", "__")
        else:
            continue
        out = dest / target
        out.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, out)
        mapping[target] = rel
    return mapping


def run_zizmor(zizmor: str, repo: Path) -> dict[str, set[str]]:
    """audit -> scratch paths zizmor flags it in."""
    proc = subprocess.run(
        [zizmor, "--offline", "--no-config", "--format", "json", "."],
        cwd=repo,
        capture_output=True,
        text=True,
        env={"PATH": "/usr/bin:/bin", "HOME": str(repo)},
    )
    if proc.returncode not in (0, 10, 11, 12, 13, 14):  # 1x: findings of some severity
        sys.exit(f"zizmor failed ({proc.returncode}): {proc.stderr[-2000:]}")
    flagged: dict[str, set[str]] = defaultdict(set)
    for finding in json.loads(proc.stdout or "[]"):
        for loc in finding.get("locations", []):
            key = loc.get("symbolic", {}).get("key", {}).get("Local", {})
            given = key.get("verbatim_path") or key.get("given_path")
            if given and loc.get("symbolic", {}).get("kind") == "Primary":
                flagged[finding["ident"]].add(str(Path(given)).removeprefix("./"))
    return flagged


def run_soc2lint(repo: Path) -> tuple[dict[str, set[str]], dict[str, set[str]]]:
    """(rule -> scratch paths it fails in, rule -> paths it is unknown in)."""
    (repo / ".soc2lint.yaml").write_text(f"rules:\n  opt_in: {json.dumps(GHA_OPT_IN)}\n")
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "soc2lint",
            "scan",
            ".",
            "--format",
            "json",
            "--no-cache",
            "--fail-on",
            "none",
            "--no-diff-base",
        ],
        cwd=repo,
        capture_output=True,
        text=True,
    )
    if proc.returncode != 0:
        sys.exit(f"soc2lint failed ({proc.returncode}): {proc.stderr[-2000:]}")
    report = json.loads(proc.stdout)
    fails: dict[str, set[str]] = defaultdict(set)
    unknown: dict[str, set[str]] = defaultdict(set)
    for f in report.get("findings", []):
        path = f.get("path") or ""
        status = f.get("status")
        (fails if status == "fail" else unknown if status == "unknown" else {}).setdefault(
            f.get("rule_id") or f.get("rule"), set()
        ).add(path)
    return fails, unknown


def compare(zz: dict, fails: dict, unknown: dict, mapping: dict[str, str]) -> dict:
    out = {}
    for audit, rules in AUDIT_TO_RULES.items():
        z = set(zz.get(audit, set()))
        s = set().union(*(fails.get(r, set()) for r in rules))
        u = set().union(*(unknown.get(r, set()) for r in rules)) - s
        both = z & s
        out[audit] = {
            "rules": rules,
            "zizmor_files": len(z),
            "soc2lint_files": len(s),
            "both": len(both),
            "recall": round(len(both) / len(z), 2) if z else None,
            "precision": round(len(both) / len(s), 2) if s else None,
            "zizmor_only": sorted(mapping.get(p, p) for p in z - s),
            "zizmor_only_but_soc2lint_unknown": sorted(mapping.get(p, p) for p in (z - s) & u),
            "soc2lint_only": sorted(mapping.get(p, p) for p in s - z),
        }
    return out


def timing(src: Path, zizmor: str, count: int, runs: int) -> None:
    """Wall-clock and CPU (user + system) time of both tools on a repository of `count`
    workflows, made by cycling the workflows of src (each copy renamed); best of `runs`, caches
    off. On a shared machine the CPU ratio is the steadier of the two."""
    repo = Path(tempfile.mkdtemp(prefix="compare-zizmor-timing-"))
    seed = Path(tempfile.mkdtemp(prefix="compare-zizmor-seed-"))
    try:
        mapping = collect(src, seed)
        workflows = sorted(p for p in mapping if p.startswith(".github/workflows/"))
        out = repo / ".github" / "workflows"
        out.mkdir(parents=True)
        for i in range(count):
            name = workflows[i % len(workflows)]
            shutil.copyfile(seed / name, out / f"w{i:04d}-{Path(name).name}")
        commands = {
            "zizmor": [zizmor, "--offline", "--no-config", "--format", "json", "."],
            "soc2lint": [
                sys.executable,
                "-m",
                "soc2lint",
                "scan",
                ".",
                "--format",
                "json",
                "--no-cache",
                "--fail-on",
                "none",
                "--no-diff-base",
            ],
        }
        best: dict[str, float] = {}
        cpu: dict[str, float] = {}
        for tool, cmd in commands.items():
            times, cpus = [], []
            for _ in range(runs):
                before = resource.getrusage(resource.RUSAGE_CHILDREN)
                start = time.perf_counter()
                subprocess.run(cmd, cwd=repo, capture_output=True, env=_env(tool, repo))
                times.append(time.perf_counter() - start)
                after = resource.getrusage(resource.RUSAGE_CHILDREN)
                cpus.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
            best[tool], cpu[tool] = min(times), min(cpus)
            print(
                f"{tool:9} {count} workflows: best of {runs} = {best[tool]:.2f}s wall, "
                f"{cpu[tool]:.2f}s CPU"
            )
        print(
            f"ratio soc2lint/zizmor = {best['soc2lint'] / best['zizmor']:.2f} wall, "
            f"{cpu['soc2lint'] / cpu['zizmor']:.2f} CPU"
        )
    finally:
        shutil.rmtree(repo, ignore_errors=True)
        shutil.rmtree(seed, ignore_errors=True)


def _env(tool: str, repo: Path) -> dict[str, str] | None:
    # zizmor gets no GitHub token (offline); soc2lint keeps the caller's environment
    return {"PATH": "/usr/bin:/bin", "HOME": str(repo)} if tool == "zizmor" else None


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("test_data", type=Path)
    ap.add_argument("--zizmor", default=shutil.which("zizmor") or "zizmor")
    ap.add_argument("--out", type=Path, help="write the JSON comparison here")
    ap.add_argument("--keep", type=Path, help="build the scratch repository here and keep it")
    ap.add_argument("--timing", type=int, metavar="N", help="time both tools on N workflows")
    ap.add_argument("--runs", type=int, default=3, help="timing runs per tool (best is kept)")
    args = ap.parse_args()
    if args.timing:
        timing(args.test_data, args.zizmor, args.timing, args.runs)
        return
    repo = args.keep or Path(tempfile.mkdtemp(prefix="compare-zizmor-"))
    repo.mkdir(parents=True, exist_ok=True)
    mapping = collect(args.test_data, repo)
    zz = run_zizmor(args.zizmor, repo)
    fails, unknown = run_soc2lint(repo)
    result = compare(zz, fails, unknown, mapping)
    unmapped = sorted(set(zz) - set(AUDIT_TO_RULES))
    print(f"{len(mapping)} files; zizmor audits with no soc2lint rule: {', '.join(unmapped)}")
    head = ("audit", "rules", "zizmor", "soc2l", "both", "recall", "prec")
    print("{:34} {:28} {:>6} {:>6} {:>5} {:>6} {:>5}".format(*head))
    for audit, r in result.items():
        print(
            f"{audit:34} {','.join(x[-3:] for x in r['rules']):28} {r['zizmor_files']:>6} "
            f"{r['soc2lint_files']:>6} {r['both']:>5} {r['recall']!s:>6} {r['precision']!s:>5}"
        )
    if args.out:
        args.out.write_text(
            json.dumps({"files": len(mapping), "unmapped": unmapped, "audits": result}, indent=1)
            + "\n"
        )
    if not args.keep:
        shutil.rmtree(repo, ignore_errors=True)


if __name__ == "__main__":
    main()
