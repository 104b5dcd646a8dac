"""Agreement with Hadolint on Dockerfiles, per file, for every soc2lint rule that names a
Hadolint check in its `references`.

    python benchmarks/peer_hadolint.py DIR [DIR ...] [--hadolint /path/to/hadolint]

Every Dockerfile under the directories (soc2lint's own fixtures/SOC2-DKR-*, Checkov's
tests/dockerfile) is judged by both tools. Hadolint reports lines; soc2lint judges stages. A file
counts as failing a rule when any of its stages fails it (Unknown counted apart), and as failing a
Hadolint check when Hadolint reports it anywhere in the file. DL3057 is off in Hadolint by default
and is switched on here. The references say where each check covers more or less than the rule
(`partial`), so the disagreements printed are expected to be of those kinds.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

from soc2lint.engine.rules import load_rules
from soc2lint.platforms.dockerfile.platform import PLATFORM
from soc2lint.scan import scan

EXAMPLES = 4  # files named per kind of disagreement
VERBOSE = "-v" in sys.argv  # every file, not only examples


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("dirs", nargs="+")
    ap.add_argument("--hadolint", default="hadolint")
    ap.add_argument("-v", action="store_true", help="list every disagreeing file")
    args = ap.parse_args()
    rules = [r for r in load_rules() if r.references.get("hadolint")]
    files = sorted(
        p.resolve()
        for d in args.dirs
        for p in Path(d).rglob("*")
        if p.is_file() and PLATFORM.claim(p.name)
    )
    codes = sorted({c for r in rules for c in r.references["hadolint"]})
    theirs: dict[tuple[str, str], bool] = {}
    for path in files:
        proc = subprocess.run(
            [args.hadolint, "-f", "json", "--no-fail", "--info", "DL3057", str(path)],
            capture_output=True,
            text=True,
            check=False,
        )
        try:
            found = {item["code"] for item in json.loads(proc.stdout or "[]")}
        except ValueError:
            continue
        if "DL1000" in found:
            continue  # a file Hadolint cannot parse (it reports only that) is not compared
        for code in codes:
            theirs[(code, str(path))] = code in found
    ours: dict[tuple[str, str], str] = defaultdict(lambda: "pass")
    rank = {"pass": 0, "unknown": 1, "fail": 2}
    for path in files:
        report = scan([str(path)], rules)
        for f in report.findings:
            key = (f.rule_id, str(path))
            if rank[f.status.value] > rank[ours[key]]:
                ours[key] = f.status.value
    total_agree = total = 0
    for rule in sorted(rules, key=lambda r: r.id):
        # a rule is compared with all the checks it names together (DL3006 and DL3007 make up
        # SOC2-DKR-003): a file fails on Hadolint's side when any of them flags it
        refs = rule.references["hadolint"]
        agree, unknown = 0, 0
        diffs: dict[str, list[str]] = defaultdict(list)
        for path in files:
            seen = [theirs[(c, str(path))] for c in refs if (c, str(path)) in theirs]
            if not seen:
                continue
            flagged, mine = any(seen), ours[(rule.id, str(path))]
            if mine == "unknown":
                unknown += 1
            elif (mine == "fail") == flagged:
                agree += 1
            else:
                diffs[
                    "hadolint flags, soc2lint passes"
                    if flagged
                    else "soc2lint fails, hadolint passes"
                ].append(str(path))
        n = agree + sum(len(v) for v in diffs.values())
        total_agree, total = total_agree + agree, total + n
        print(f"{rule.id} {','.join(refs)}: {agree}/{n} agree, {unknown} unknown")
        for direction, paths in sorted(diffs.items()):
            examples = ", ".join(_short(Path(x)) for x in paths[:EXAMPLES])
            print(f"  {direction}: {len(paths)}, e.g. {examples}")
            if VERBOSE:
                print("\n".join(f"    {p}" for p in paths))
    print(f"total: {total_agree}/{total} agree over {len(files)} Dockerfiles")
    return 0


def _short(path: Path) -> str:
    parts = path.parts
    return "/".join(parts[-4:])


if __name__ == "__main__":
    sys.exit(main())
