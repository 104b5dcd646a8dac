"""The repository itself as a resource: its identity, its CODEOWNERS file and what that file
leaves unowned.

Rules about change control ask repository-wide questions (is there a CODEOWNERS file; does it
give every infrastructure file an owner?). The repository root is the scanned directory when it
holds a CODEOWNERS of its own, else the enclosing git work tree. Findings point into the
CODEOWNERS file (at the entry that un-owns a path, else its first line); without one, at the
repository as a whole (model.REPOSITORY: no file, no line), never at a file that does not exist.

The identity (`owner/repo`) lets CI rules recognise the repository's own actions and reusable
workflows: it is read from the `origin` remote in the root's git configuration, else from
`GITHUB_REPOSITORY` (set on GitHub Actions runners).
"""

from __future__ import annotations

import configparser
import os
import re
from pathlib import Path

from soc2lint.model import REPOSITORY, Location, ParseError, Platform, Resource
from soc2lint.platforms.repository.codeowners import (
    Entry,
    find_codeowners,
    matching,
    parse,
    uncovered,
)

CANDIDATES = (".github/CODEOWNERS", "CODEOWNERS", "docs/CODEOWNERS", ".gitlab/CODEOWNERS")
# https://host/owner/repo(.git), ssh://git@host/owner/repo, git@host:owner/repo.git
_REMOTE = re.compile(r"^(?:[a-z+]+://(?:[^@/]+@)?[^/]+/|[^@/:]+@[^:/]+:)(.+?)(?:\.git)?/?$")


def repository_resource(
    root: Path, targets: list[Path], scanned: list[str], errors: list[ParseError]
) -> Resource | None:
    """The `repository` resource, or None when nothing was scanned."""
    if not scanned:
        return None
    bases = [t.resolve() for t in targets if t.is_dir()] + [root]
    base = next((b for b in bases if _found(b)), bases[0] if bases else root)
    prefix = _relative(base, root)
    found = _found(base)
    attributes: dict[str, object] = {"codeowners": None, "codeowners_uncovered": []}
    identity = repository_identity(root)
    if identity:
        attributes["identity"] = identity
    inside = [p[len(prefix) :] for p in scanned if p.startswith(prefix)]
    locations: dict[str, Location] = {}
    if found is None:  # GitHub reads CODEOWNERS only from the root of the repository
        location = REPOSITORY
        attributes["codeowners_uncovered"] = inside
    else:
        shown = prefix + found
        location = Location(shown, 1, 1)
        try:
            text = (base / found).read_text(encoding="utf-8", errors="replace")
        except OSError as exc:
            errors.append(ParseError(shown, 1, f"cannot read CODEOWNERS: {exc.strerror or exc}"))
            text = ""
        entries, problems = parse(shown, text)
        errors.extend(problems)
        attributes["codeowners"] = shown
        missing = uncovered(entries, inside)
        attributes["codeowners_uncovered"] = [prefix + p for p in missing]
        for i, path in enumerate(missing):
            line = _unowning_line(entries, path)
            locations[f"codeowners_uncovered.{i}"] = Location(shown, line, line)
        if missing:
            locations["codeowners_uncovered"] = locations["codeowners_uncovered.0"]
    return Resource(
        address="repository",
        type="repository",
        platform=Platform.GITHUB_ACTIONS.value,
        attributes=attributes,
        location=location,
        attribute_locations={"codeowners": location, "codeowners_uncovered": location, **locations},
        kind="object",
        scope="repository",
    )


def repository_identity(root: Path) -> str:
    """`owner/repo` of the repository at root (lower case), or "" when it cannot be told."""
    url = _origin_url(root)
    match = _REMOTE.match(url.strip()) if url else None
    if match and "/" in match.group(1):
        return match.group(1).strip("/").lower()
    env = os.environ.get("GITHUB_REPOSITORY", "").strip()
    return env.lower() if re.fullmatch(r"[\w.-]+/[\w.-]+", env) else ""


def _origin_url(root: Path) -> str:
    git = root / ".git"
    if git.is_file():  # a worktree or submodule: "gitdir: <path>"
        text = git.read_text(encoding="utf-8", errors="replace").strip()
        if not text.startswith("gitdir:"):
            return ""
        git = (root / text[len("gitdir:") :].strip()).resolve()
        common = git / "commondir"
        if common.is_file():
            git = (git / common.read_text(encoding="utf-8").strip()).resolve()
    parser = configparser.ConfigParser(strict=False, interpolation=None)
    try:
        parser.read(git / "config", encoding="utf-8")
    except (configparser.Error, OSError, UnicodeDecodeError):
        return ""
    return parser.get('remote "origin"', "url", fallback="")


def _unowning_line(entries: list[Entry], path: str) -> int:
    """The entry without owners that leaves path un-owned (the last such match), else line 1."""
    unowning = [e for e in matching(entries, path) if not e.owners]
    return unowning[-1].line if unowning else 1


def _found(base: Path) -> str | None:
    return find_codeowners({c for c in CANDIDATES if (base / c).is_file()})


def _relative(base: Path, root: Path) -> str:
    try:
        rel = base.relative_to(root).as_posix()
    except ValueError:
        return ""
    return "" if rel == "." else rel + "/"
