"""The repository itself as a resource: its CODEOWNERS file and what that file leaves unowned.

Rules about change control ask repository-wide questions (is there a CODEOWNERS file; does it
give every infrastructure file an owner?). The repository root is the scanned directory when it
holds a CODEOWNERS of its own, else the enclosing git work tree.
"""

from __future__ import annotations

from pathlib import Path

from soc2lint.model import Location, ParseError, Platform, Resource
from soc2lint.parsers.codeowners import find_codeowners, parse, uncovered

CANDIDATES = (".github/CODEOWNERS", "CODEOWNERS", "docs/CODEOWNERS", ".gitlab/CODEOWNERS")


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
    inside = [p[len(prefix) :] for p in scanned if p.startswith(prefix)]
    if found is None:
        location = Location(scanned[0], 1, 1)
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
        attributes["codeowners_uncovered"] = [prefix + p for p in uncovered(entries, inside)]
    return Resource(
        address="repository",
        type="repository",
        platform=Platform.GITHUB_ACTIONS.value,
        attributes=attributes,
        location=location,
        attribute_locations={"codeowners": location, "codeowners_uncovered": location},
        kind="object",
        scope="repository",
    )


def _found(base: Path) -> str | None:
    return find_codeowners({c for c in CANDIDATES if (base / c).is_file()})


def _relative(base: Path, root: Path) -> str:
    try:
        rel = base.relative_to(root).as_posix()
    except ValueError:
        return ""
    return "" if rel == "." else rel + "/"
