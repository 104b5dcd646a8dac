"""CODEOWNERS files (GitHub and GitLab): where the file is, what it says, who owns a path.

Matching follows GitHub's documented semantics, which are gitignore-like with exceptions:

- the LAST matching entry wins; an entry without owners un-owns what it matches;
- a pattern with a `/` at its start or in its middle is anchored to the repository root,
  one without (or with only a trailing `/`) matches at any depth;
- a trailing `/` matches the contents of a directory, never a file of that name;
- `*` and `?` stay within one path segment, `**` spans any number of segments;
- a pattern that names a directory also covers everything beneath it, except a final `/*`,
  which covers the direct children only (`docs/*` owns `docs/a.md`, not `docs/b/c.md`);
- `!` negation and `[ ]` character ranges are not supported by GitHub: they are reported.

GitLab additions are understood too: `[Section]` and `^[Optional section]` headers (with an
optional `[N]` approval count and default owners), sections combined case-insensitively, and
each section evaluated on its own, so a path's owners are the union over sections of the last
matching entry in each. A file without section headers behaves exactly as on GitHub.

Matching walks path segments with small position sets rather than regular expressions, so a
hostile pattern (`**/**/**/...`) cannot cause catastrophic backtracking.
"""

from __future__ import annotations

import re
from functools import lru_cache

from soc2lint.model import ParseError, record

# Where GitHub looks, in its order (first found wins); GitLab also reads .gitlab/CODEOWNERS.
LOCATIONS = (".github/CODEOWNERS", "CODEOWNERS", "docs/CODEOWNERS", ".gitlab/CODEOWNERS")

_SECTION = re.compile(r"^(\^)?\[([^\]]*)\](?:\[(\d*)\])?(?:\s+(.*))?$")
_OWNER = re.compile(
    r"^(?:@@?[A-Za-z0-9_][A-Za-z0-9_.\-]*(?:/[A-Za-z0-9_.\-]+)*"  # @user, @org/team, @@role
    r"|[^@\s]+@[^@\s]+\.[^@\s]+)$"  # e-mail address
)


@record(frozen=True)
class Entry:
    """One rule of a CODEOWNERS file: a pattern and its owners (none: the path is un-owned)."""

    pattern: str  # escapes for spaces and `#` resolved; other backslash escapes kept
    owners: tuple[str, ...]
    line: int
    section: str  # GitLab section name as written ("" before any header)
    optional: bool = False  # in a GitLab ^[optional] section: owners listed, approval not required


def find_codeowners(root_files: set[str]) -> str | None:
    """The CODEOWNERS file GitHub (or GitLab) would use among repository-relative paths."""
    normalized = {_normalize(p) for p in root_files}
    return next((loc for loc in LOCATIONS if loc in normalized), None)


def parse(path: str, text: str) -> tuple[list[Entry], list[ParseError]]:
    """Entries in file order and the problems found.

    As on GitHub, a line with an invalid owner or pattern is skipped. Two exceptions are kept and
    reported: brackets (matched literally) and `!` negations (kept as entries without owners).
    """
    entries: list[Entry] = []
    errors: list[ParseError] = []
    section, optional = "", False
    defaults: tuple[str, ...] = ()
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        header = _SECTION.match(line)
        if header and not line.startswith("\\"):
            name = header.group(2).strip()
            if not name:
                errors.append(ParseError(path, number, "section header without a name"))
                continue
            owners, bad = _owners(_tokens(header.group(4) or ""))
            if bad:
                errors.append(ParseError(path, number, f"invalid owner {bad!r} in section header"))
                continue
            section, optional, defaults = name, bool(header.group(1)), owners
            continue
        tokens = _tokens(line)
        if not tokens:  # a line holding only escaped whitespace
            errors.append(ParseError(path, number, "empty pattern"))
            continue
        pattern, rest = tokens[0], tokens[1:]
        owners, bad = _owners(rest)
        if bad:
            errors.append(ParseError(path, number, f"invalid owner {bad!r}"))
            continue
        problem = _pattern_problem(pattern)
        if problem:
            errors.append(ParseError(path, number, problem))
        if pattern.startswith("!"):
            # GitHub ignores the line; GitLab (17.10+) excludes the paths from ownership.
            # Un-owning them is the conservative reading for a coverage check.
            entries.append(Entry(pattern[1:], (), number, section, optional))
            continue
        if "***" in pattern:
            continue
        if not owners and section:
            owners = defaults  # GitLab: entries without owners take the section's defaults
        entries.append(Entry(pattern, owners, number, section, optional))
    return entries, errors


def owners_of(entries: list[Entry], path: str, *, required_only: bool = False) -> tuple[str, ...]:
    """The owners of path: per section the last matching entry wins; sections add up.

    required_only leaves out GitLab optional sections, whose owners need not approve.
    """
    segments = _segments(path)
    winners: dict[str, Entry] = {}  # section key -> last matching entry
    for entry in entries:
        if required_only and entry.optional:
            continue
        if _matches(entry.pattern, segments):
            winners[entry.section.lower()] = entry
    owners: list[str] = []
    for entry in winners.values():
        owners.extend(o for o in entry.owners if o not in owners)
    return tuple(owners)


def matching(entries: list[Entry], path: str) -> list[Entry]:
    """The entries whose pattern matches path, in file order."""
    segments = _segments(path)
    return [e for e in entries if _matches(e.pattern, segments)]


def uncovered(entries: list[Entry], paths: list[str], *, required_only: bool = False) -> list[str]:
    """The paths nobody owns, in the order given."""
    return [p for p in paths if not owners_of(entries, p, required_only=required_only)]


# -- parsing helpers ----------------------------------------------------------------------------


def _normalize(path: str) -> str:
    path = path.replace("\\", "/")
    while path.startswith("./"):
        path = path[2:]
    return path.lstrip("/")


def _tokens(text: str) -> list[str]:
    """Whitespace-separated tokens; `\\ ` and `\\#` are literal, an unescaped ` #` ends the line."""
    tokens: list[str] = []
    current: list[str] = []
    started = False
    i = 0
    while i < len(text):
        ch = text[i]
        if ch == "\\" and i + 1 < len(text):
            nxt = text[i + 1]
            # spaces and `#` lose their escape; others keep it so the matcher reads them literally
            current.append(nxt if nxt in " \t#" else ch + nxt)
            started = True
            i += 2
            continue
        if ch in " \t":
            if started:
                tokens.append("".join(current))
                current, started = [], False
            i += 1
            continue
        if ch == "#" and not started:  # an inline comment (GitHub) starts after whitespace
            break
        current.append(ch)
        started = True
        i += 1
    if started:
        tokens.append("".join(current))
    return tokens


def _owners(tokens: list[str]) -> tuple[tuple[str, ...], str]:
    """(owners, first invalid token or "")."""
    for token in tokens:
        if not _OWNER.match(token):
            return (), token
    return tuple(tokens), ""


def _pattern_problem(pattern: str) -> str:
    if "***" in pattern:
        return "pattern contains three consecutive asterisks"
    if pattern.startswith("!"):
        return "negation ('!') is not supported by GitHub; GitLab treats it as an exclusion"
    if "[" in _unescaped(pattern) or "]" in _unescaped(pattern):
        return "character ranges ('[ ]') are not supported by GitHub; brackets match literally"
    return ""


def _unescaped(pattern: str) -> str:
    return re.sub(r"\\.", "", pattern)


# -- matching -----------------------------------------------------------------------------------

# tokens of a compiled pattern
_ANY = ("any",)  # zero or more whole segments
_SOME = ("some",)  # one or more whole segments (a trailing `/` or `/**`)
_ONE = ("one",)  # exactly one non-empty segment (a `*` segment)


def _segments(path: str) -> tuple[str, ...]:
    return tuple(s for s in _normalize(path).split("/") if s)


@lru_cache(maxsize=4096)
def _compile(pattern: str) -> tuple[tuple[tuple[str, ...], ...], bool] | None:
    """(tokens, descendants allowed) or None when the pattern can match nothing."""
    if pattern in ("", "/"):
        return None
    segs = pattern.split("/")
    if segs[0] == "":
        segs = segs[1:]  # leading slash: anchored to the root
    elif (len(segs) == 1 or (len(segs) == 2 and segs[1] == "")) and segs[0] != "**":
        segs = ["**", *segs]  # no slash but a trailing one: matches at any depth
    tokens: list[tuple[str, ...]] = []
    descendants = False
    last = len(segs) - 1
    for i, seg in enumerate(segs):
        if i == last and seg in ("", "**") and i > 0:
            tokens.append(_SOME)  # trailing `/` or `/**`: the directory's contents
        elif seg == "**":
            tokens.append(_SOME if i == last else _ANY)  # a lone `**` matches every path
        elif seg == "*":
            tokens.append(_ONE)  # a final `/*` covers direct children only
        else:
            tokens.append(("glob", seg))
            descendants = i == last  # a named file or directory covers what is beneath it
    return tuple(tokens), descendants


def _matches(pattern: str, segments: tuple[str, ...]) -> bool:
    compiled = _compile(pattern)
    if compiled is None or not segments:
        return False
    tokens, descendants = compiled
    n = len(segments)
    positions = {0}
    for token in tokens:
        kind = token[0]
        if kind == "any":
            start = min(positions)
            positions = set(range(start, n + 1))
        elif kind == "some":
            start = min(positions)
            positions = set(range(start + 1, n + 1))
        elif kind == "one":
            positions = {i + 1 for i in positions if i < n}
        else:
            positions = {i + 1 for i in positions if i < n and _glob(token[1], segments[i])}
        if not positions:
            return False
    return n in positions or (descendants and bool(positions))


_STAR, _QMARK = 0, 1  # wildcards; literal characters are one-character strings


def _glob(pattern: str, name: str) -> bool:
    """fnmatch within one segment: `*` any run, `?` one character, `\\x` a literal x."""
    items = _glob_items(pattern)
    p = s = 0
    star_p, star_s = -1, 0
    while s < len(name):
        if p < len(items) and (items[p] == _QMARK or items[p] == name[s]):
            p += 1
            s += 1
        elif p < len(items) and items[p] == _STAR:
            star_p, star_s = p, s
            p += 1
        elif star_p >= 0:  # let the last star swallow one more character
            star_s += 1
            p, s = star_p + 1, star_s
        else:
            return False
    while p < len(items) and items[p] == _STAR:
        p += 1
    return p == len(items)


@lru_cache(maxsize=4096)
def _glob_items(pattern: str) -> tuple[str | int, ...]:
    """Pattern characters with escapes resolved into literals; wildcards as _STAR / _QMARK."""
    items: list[str | int] = []
    i = 0
    while i < len(pattern):
        ch = pattern[i]
        if ch == "\\" and i + 1 < len(pattern):
            items.append(pattern[i + 1])
            i += 2
            continue
        items.append(_STAR if ch == "*" else _QMARK if ch == "?" else ch)
        i += 1
    return tuple(items)
