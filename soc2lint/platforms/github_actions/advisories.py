"""Known-vulnerable actions from the bundled, dated advisory snapshot
(soc2lint/data/github_action_advisories.yaml; scripts/refresh_action_advisories.py refreshes it)."""

from __future__ import annotations

import dataclasses
import re
from functools import cache
from typing import Any

from ruamel.yaml import YAML

from soc2lint import package_file
from soc2lint.model import Unknown

_VERSION = re.compile(r"^v?(\d+(?:\.\d+)*)$")


@cache
def snapshot() -> dict[str, Any]:
    """The bundled snapshot: snapshot_date, source and advisories."""
    raw = package_file("data", "github_action_advisories.yaml")
    return YAML(typ="safe").load(raw.read_text("utf-8")) or {}


@cache
def _by_action() -> dict[str, list[dict]]:
    out: dict[str, list[dict]] = {}
    for entry in snapshot().get("advisories") or []:
        out.setdefault(str(entry["action"]).lower(), []).append(entry)
    return out


def _tuple(text: str) -> tuple[int, ...]:
    return tuple(int(p) for p in str(text).lstrip("v").split("."))


def _pad(version: tuple[int, ...], n: int = 3) -> tuple[int, ...]:
    return version + (0,) * (n - len(version))


def _affected(version: tuple[int, ...], rng: dict) -> bool:
    v = _pad(version)
    if v < _pad(_tuple(rng.get("introduced", "0"))):
        return False
    if "fixed" in rng:
        return v < _pad(_tuple(rng["fixed"]))
    if "last_affected" in rng:
        return v <= _pad(_tuple(rng["last_affected"]))
    return True


def known_vulnerabilities(uses_name: Any, ref: Any) -> Any:
    """The advisories of the snapshot that the action at ref is affected by; Unknown where the
    ref (a commit SHA, a branch, a floating major tag) cannot be placed in a range offline."""
    entries = _by_action().get(str(uses_name or "").lower())
    if not entries:
        return []
    date = snapshot().get("snapshot_date")
    m = _VERSION.match(str(ref or ""))
    if not m:
        ids = ", ".join(e["id"] for e in entries)
        return Unknown(
            f"{uses_name}@{ref} has advisories ({ids}; snapshot {date}) and its ref is not a "
            "version the offline data can place"
        )
    version = _tuple(m.group(1))
    # a tag of fewer than three parts (v4, v4.1) moves: it may be any release under it
    top = _pad(version) if len(version) >= 3 else version + (10**9,) * (3 - len(version))
    found = []
    maybe = []
    for entry in entries:
        ranges = entry.get("ranges") or []
        low = any(_affected(version, r) for r in ranges)
        high = any(_affected(top, r) for r in ranges)
        if low and high:
            found.append(
                f"{entry['id']} ({entry.get('cve', '')}, fixed in {entry.get('fixed', '?')})"
            )
        elif low or high:
            maybe.append(entry)
    if found:
        return found
    if maybe:
        return Unknown(
            f"{uses_name}@{ref} is a moving tag over affected and fixed releases of "
            f"{maybe[0]['id']} (fixed in {maybe[0].get('fixed', '?')}; snapshot {date})"
        )
    return []


_COMMENT_VERSION = re.compile(r"#\s*(?:tag\s*[:=]?\s*)?(v?\d+(?:\.\d+){0,2})\b")


def version_comment(line: str) -> str:
    """The version a `uses: owner/repo@<sha> # v4.2.2` line's comment names ("" for none)."""
    _code, sep, comment = line.partition(" #")
    m = _COMMENT_VERSION.search("#" + comment) if sep else None
    return m.group(1) if m else ""


def with_commented_versions(resources: list, text: str) -> list:
    """SHA-pinned actions with the version their `uses:` line's comment names
    (`uses_version_comment`, "" for none), and their advisories judged by that version
    (Dependabot and Renovate keep the comment up to date)."""
    lines = text.splitlines()
    out = []
    for res in resources:
        attrs = res.attributes
        loc = res.attribute_locations.get("uses")
        if attrs.get("uses_kind") in ("action", "reusable") and attrs.get("uses_pinned"):
            line = lines[loc.start_line - 1] if loc and 0 < loc.start_line <= len(lines) else ""
            version = version_comment(line)
            extra: dict[str, Any] = {"uses_version_comment": version}
            if version and isinstance(attrs.get("known_vulnerabilities"), Unknown):
                extra["known_vulnerabilities"] = known_vulnerabilities(
                    attrs.get("uses_name"), version
                )
            locs = dict(res.attribute_locations)
            if loc is not None:
                locs["uses_version_comment"] = loc
            res = dataclasses.replace(res, attributes={**attrs, **extra}, attribute_locations=locs)
        out.append(res)
    return out
