#!/usr/bin/env python3
"""Check that a release's version is the same everywhere a user meets it.

    python3 scripts/check_release.py              # any commit: the references agree
    python3 scripts/check_release.py --tag v0.2.0 # before tagging: and the release is dated

The version lives in soc2lint/__init__.py (pyproject.toml reads it from there). It must be the
CHANGELOG's first versioned heading (`## 0.2.0 (2026-12-05)`; before the first release,
`## 0.1.0 (unreleased)`; a `## Unreleased` section above it collects the next release's
entries), and every `rev: v…` (pre-commit) and `soc2lint/soc2lint@v…` (the Action) in
README.md must name it, so the snippets users copy name the released tag.
docs/RELEASING.md is the whole process. Exit 1 with one line per problem.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
HEADING = re.compile(r"^## (?P<version>\d+\.\d+\.\d+(?:[-.a-z0-9]*)?) \((?P<when>[^)]*)\)\s*$")
REFERENCES = re.compile(r"(?:\brev:\s*v|soc2lint/soc2lint@v)(?P<version>[0-9][0-9A-Za-z.\-]*)")


def version(repo: Path) -> str:
    text = (repo / "soc2lint" / "__init__.py").read_text(encoding="utf-8")
    match = re.search(r'^__version__ = "([^"]+)"$', text, re.M)
    if not match:
        raise SystemExit("soc2lint/__init__.py: no __version__ line")
    return match.group(1)


def problems(repo: Path, tag: str | None = None) -> list[str]:
    out: list[str] = []
    current = version(repo)
    pyproject = (repo / "pyproject.toml").read_text(encoding="utf-8")
    if re.search(r"^version\s*=", pyproject, re.M) or 'dynamic = ["version"]' not in pyproject:
        out.append("pyproject.toml: the version must be dynamic, read from soc2lint/__init__.py")
    headings = [
        m
        for line in (repo / "CHANGELOG.md").read_text(encoding="utf-8").splitlines()
        if (m := HEADING.match(line))
    ]
    if not headings:
        out.append("CHANGELOG.md: no `## X.Y.Z (date or unreleased)` heading")
    elif headings[0]["version"] != current:
        out.append(
            f"CHANGELOG.md: the first heading is {headings[0]['version']}, the version {current}"
        )
    readme = (repo / "README.md").read_text(encoding="utf-8")
    found = list(REFERENCES.finditer(readme))
    if not found:
        out.append("README.md: no `rev: v…` or `soc2lint/soc2lint@v…` reference")
    for match in found:
        if match["version"] != current:
            line = readme.count("\n", 0, match.start()) + 1
            out.append(f"README.md:{line}: {match.group(0)!r} does not name v{current}")
    if tag is not None:
        if tag != f"v{current}":
            out.append(f"tag {tag} is not v{current}")
        if headings and not re.fullmatch(r"\d{4}-\d{2}-\d{2}", headings[0]["when"]):
            out.append(
                f"CHANGELOG.md: `## {current} ({headings[0]['when']})` is not dated "
                "(YYYY-MM-DD) for the release"
            )
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tag", help="the tag about to be pushed, e.g. v0.2.0")
    args = parser.parse_args()
    found = problems(REPO, args.tag)
    for line in found:
        print(line, file=sys.stderr)
    if not found:
        print(f"release references agree on v{version(REPO)}")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
