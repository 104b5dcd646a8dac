"""Agreement between soc2lint and Checkov, rule by rule, on the resources both scan.

For every soc2lint rule whose `references` name Checkov ids (optionally only rules whose id
starts with --prefix), the script runs both tools over each directory given and compares the
resources each one fails:

    both            failed by soc2lint and by at least one of the referenced Checkov checks
    only_checkov    failed by Checkov; soc2lint passed it, left it Unknown, or did not read it
    only_soc2lint   failed by soc2lint; no referenced Checkov check failed it

A resource is identified by its directory and its address (`dir/`, `google_storage_bucket.b`),
so fixture directories that reuse the same resource names stay apart. soc2lint Unknown results
on resources Checkov fails are counted separately, since Unknown is neither agreement nor a miss.

Commands run, per directory:
    checkov -d DIR -o json --compact --quiet
    soc2lint scan DIR --format json --no-cache --fail-on none --rule ID ... (opt-in rules too)

Usage:
    python benchmarks/peer_agreement.py PEER_DIR [PEER_DIR ...] --prefix SOC2-GCP-
        [--checkov PATH] [--soc2lint PATH] [--format text|json] [--details]

Only the standard library and the soc2lint command are needed; Checkov is run as a program.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
from collections import defaultdict
from pathlib import PurePosixPath

Key = tuple[str, str]  # (directory relative to the scanned root, resource address)


def _run_json(cmd: list[str], cwd: str | None = None) -> object:
    proc = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, check=False)
    text = proc.stdout.strip()
    if not text:
        raise SystemExit(
            f"{' '.join(cmd)} printed nothing (exit {proc.returncode}):\n{proc.stderr}"
        )
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise SystemExit(f"{' '.join(cmd)} did not print JSON: {exc}\n{text[:500]}") from exc


def _dir_of(path: str) -> str:
    parent = str(PurePosixPath(path.replace(os.sep, "/").lstrip("/")).parent)
    return "" if parent == "." else parent


def soc2lint_rules(exe: str, prefix: str) -> list[dict]:
    """Rules with Checkov references, as `soc2lint rules --format json` lists them."""
    rules = _run_json([exe, "rules", "--format", "json"])
    assert isinstance(rules, list)
    return [
        r
        for r in rules
        if r["id"].startswith(prefix) and (r.get("references") or {}).get("checkov")
    ]


def checkov_failures(exe: str, directory: str) -> dict[str, set[Key]]:
    """Check id -> failed resources, from `checkov -d DIR -o json --compact --quiet`."""
    report = _run_json([exe, "-d", directory, "-o", "json", "--compact", "--quiet"])
    reports = report if isinstance(report, list) else [report]
    failed: dict[str, set[Key]] = defaultdict(set)
    for rep in reports:
        if not isinstance(rep, dict) or rep.get("check_type") not in (None, "terraform"):
            continue
        for check in (rep.get("results") or {}).get("failed_checks", []):
            key = (_dir_of(check.get("file_path", "")), check.get("resource", ""))
            failed[check["check_id"]].add(key)
    return failed


def soc2lint_results(
    exe: str, directory: str, rule_ids: list[str]
) -> dict[str, dict[str, set[Key]]]:
    """Rule id -> status -> resources, from `soc2lint scan DIR --format json`."""
    cmd = [exe, "scan", ".", "--format", "json", "--no-cache", "--fail-on", "none"]
    for rule_id in rule_ids:  # naming each rule also runs the opt-in ones
        cmd += ["--rule", rule_id]
    report = _run_json(cmd, cwd=directory)
    assert isinstance(report, dict)
    # soc2lint reports paths from the enclosing git repository's root; Checkov from DIR
    inside = _inside_repository(directory)
    out: dict[str, dict[str, set[Key]]] = defaultdict(lambda: defaultdict(set))
    for f in report.get("findings", []):
        path = f.get("path", "")
        if inside and path.startswith(inside + "/"):
            path = path[len(inside) + 1 :]
        key = (_dir_of(path), f["resource"])
        out[f["rule_id"]][f["status"]].add(key)
    return out


def _inside_repository(directory: str) -> str:
    """DIR relative to the git repository that holds it ("" when none does, or DIR is its root)."""
    start = os.path.abspath(directory)
    candidate = start
    while True:
        if os.path.exists(os.path.join(candidate, ".git")):
            rel = os.path.relpath(start, candidate)
            return "" if rel == "." else rel.replace(os.sep, "/")
        parent = os.path.dirname(candidate)
        if parent == candidate:
            return ""
        candidate = parent


def _tag(label: str, keys: set[Key]) -> set[str]:
    return {f"{label}/{d}: {a}" if d else f"{label}: {a}" for d, a in keys}


def compare(directories: list[str], prefix: str, checkov: str, soc2lint: str) -> list[dict]:
    """One row per rule: the resources both fail, and where the tools disagree."""
    rules = soc2lint_rules(soc2lint, prefix)
    rows = {
        r["id"]: {
            "rule": r["id"],
            "name": r["name"],
            "checkov": r["references"]["checkov"],
            "both": set(),
            "only_checkov": set(),
            "only_soc2lint": set(),
            "unknown_where_checkov_fails": set(),
        }
        for r in rules
    }
    for directory in directories:
        label = os.path.basename(directory.rstrip("/"))
        peer = checkov_failures(checkov, directory)
        ours = soc2lint_results(soc2lint, directory, list(rows))
        for rule_id, row in rows.items():
            theirs = set().union(*(peer.get(c, set()) for c in row["checkov"]))
            failed = ours[rule_id]["fail"]
            unknown = ours[rule_id]["unknown"]

            row["both"] |= _tag(label, failed & theirs)
            row["only_checkov"] |= _tag(label, theirs - failed - unknown)
            row["only_soc2lint"] |= _tag(label, failed - theirs)
            row["unknown_where_checkov_fails"] |= _tag(label, theirs & unknown)
    return [
        {k: (sorted(v) if isinstance(v, set) else v) for k, v in row.items()}
        for row in rows.values()
    ]


def render_text(rows: list[dict], details: bool) -> str:
    lines = [
        f"{'rule':<13} {'checkov':<32} {'both':>5} {'only ck':>8} {'only s2l':>9} {'unknown':>8}",
    ]
    totals = [0, 0, 0, 0]
    for row in rows:
        counts = [
            len(row["both"]),
            len(row["only_checkov"]),
            len(row["only_soc2lint"]),
            len(row["unknown_where_checkov_fails"]),
        ]
        totals = [t + c for t, c in zip(totals, counts, strict=True)]
        ids = ",".join(row["checkov"])
        lines.append(
            f"{row['rule']:<13} {ids[:32]:<32} {counts[0]:>5} {counts[1]:>8} {counts[2]:>9} "
            f"{counts[3]:>8}"
        )
        if details:
            for field in ("only_checkov", "only_soc2lint", "unknown_where_checkov_fails"):
                for item in row[field]:
                    lines.append(f"    {field}: {item}")
    lines.append(
        f"{'total':<13} {'':<32} {totals[0]:>5} {totals[1]:>8} {totals[2]:>9} {totals[3]:>8}"
    )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="Compare the resources soc2lint and Checkov fail, per soc2lint rule that "
        "references Checkov ids (through the rule's `references`).",
    )
    parser.add_argument("directories", nargs="+", help="peer fixture directories to scan")
    parser.add_argument(
        "--prefix", default="SOC2-", help="only soc2lint rules whose id starts with this"
    )
    parser.add_argument(
        "--checkov",
        default=shutil.which("checkov") or "checkov",
        help="the checkov program (default: checkov on PATH)",
    )
    parser.add_argument(
        "--soc2lint",
        default=shutil.which("soc2lint") or "soc2lint",
        help="the soc2lint program (default: soc2lint on PATH)",
    )
    parser.add_argument(
        "--format", choices=("text", "json"), default="text", help="output format (text)"
    )
    parser.add_argument(
        "--details", action="store_true", help="list the resources of every disagreement"
    )
    args = parser.parse_args(argv)
    for directory in args.directories:
        if not os.path.isdir(directory):
            parser.error(f"not a directory: {directory}")
    directories = [os.path.abspath(d) for d in args.directories]
    rows = compare(directories, args.prefix, args.checkov, args.soc2lint)
    if args.format == "json":
        print(json.dumps(rows, indent=2))
    else:
        print(render_text(rows, args.details))
    return 0


if __name__ == "__main__":
    sys.exit(main())
