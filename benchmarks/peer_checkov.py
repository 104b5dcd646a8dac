"""Agreement with Checkov on its own CloudFormation test templates (or, with --dockerfile, on
its Dockerfile fixtures under tests/dockerfile/, judged per file).

For every soc2lint rule with a CloudFormation condition and a Checkov reference, both tools
judge every resource of Checkov's tests/cloudformation/checks/resource/aws/ fixtures; the script
prints, per rule, how many (file, resource) results agree and lists each disagreement.

    python benchmarks/peer_checkov_cfn.py CHECKOV_CHECKOUT [--checkov /path/to/checkov]

CHECKOV_CHECKOUT is a checkout (or `git archive`) of bridgecrewio/checkov. Unknown results of
soc2lint are counted apart: Checkov has no such outcome.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

from soc2lint.engine.rules import load_rules
from soc2lint.scan import scan


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("checkout")
    ap.add_argument("--checkov", default="checkov")
    ap.add_argument("--dockerfile", action="store_true", help="compare the Dockerfile rules")
    args = ap.parse_args()
    platform = "dockerfile" if args.dockerfile else "cloudformation"
    sub = "tests/dockerfile" if args.dockerfile else "tests/cloudformation/checks/resource/aws"
    root = (Path(args.checkout) / sub).resolve()
    rules = [r for r in load_rules() if platform in r.platforms and r.references.get("checkov")]
    ours_by_ckv = defaultdict(list)
    for rule in rules:
        for ckv in rule.references["checkov"]:
            ours_by_ckv[ckv].append(rule)
    framework = "dockerfile" if args.dockerfile else "cloudformation"
    proc = subprocess.run(
        [
            args.checkov,
            "-d",
            str(root),
            "--framework",
            framework,
            "-o",
            "json",
            "--quiet",
            "--compact",
            "--check",
            ",".join(sorted(ours_by_ckv)),
            "--skip-download",
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    data = json.loads(proc.stdout or "[]")
    data = data if isinstance(data, list) else [data]
    theirs: dict[tuple[str, str, str], str] = {}
    for block in data:
        results = block.get("results", {})
        for status in ("passed_checks", "failed_checks"):
            for c in results.get(status, []):
                path = c["file_path"].lstrip("/")
                # Checkov judges a Dockerfile as a whole; soc2lint each stage (worst wins below)
                resource = "file" if args.dockerfile else c["resource"].rsplit(".", 1)[-1]
                key = (c["check_id"], path, resource)
                verdict = status.split("_")[0]
                if theirs.get(key) != "failed":
                    theirs[key] = verdict
    report = scan([str(root)], rules)
    ours: dict[tuple[str, str, str], str] = {}
    rank = {"pass": 0, "unknown": 1, "fail": 2}
    for f in report.findings:
        path = f.resource_location.path if f.resource_location else f.location.path
        key = (f.rule_id, path, "file" if args.dockerfile else f.resource)
        if rank[f.status.value] >= rank.get(ours.get(key, "pass"), 0) or key not in ours:
            ours[key] = f.status.value
    total_agree = total = 0
    for rule in sorted(rules, key=lambda r: r.id):
        agree, unknown, diffs = 0, 0, []
        for ckv in rule.references["checkov"]:
            for (cid, path, res), verdict in sorted(theirs.items()):
                if cid != ckv:
                    continue
                mine = ours.get((rule.id, _ours_path(path, root, report.root), res))
                if mine is None:
                    diffs.append(f"  {ckv} {path} {res}: checkov {verdict}, soc2lint no result")
                elif mine == "unknown":
                    unknown += 1
                elif (mine == "fail") == (verdict == "failed"):
                    agree += 1
                else:
                    diffs.append(f"  {ckv} {path} {res}: checkov {verdict}, soc2lint {mine}")
        n = agree + len(diffs)
        total_agree, total = total_agree + agree, total + n
        print(
            f"{rule.id} {','.join(rule.references['checkov'])}: "
            f"{agree}/{n} agree, {unknown} unknown"
        )
        for line in diffs:
            print(line)
    print(f"total: {total_agree}/{total} agree")
    return 0


def _ours_path(path: str, root: Path, report_root: str) -> str:
    full = root / path
    try:
        return full.relative_to(report_root).as_posix()
    except ValueError:
        return path


if __name__ == "__main__":
    sys.exit(main())
