"""`include:` entries as written: where they point and whether that is pinned. Never fetched."""

from __future__ import annotations

import re
from typing import Any

from soc2lint.model import Unknown
from soc2lint.platforms.gitlab_ci.config import config_document
from soc2lint.platforms.shared.yamlsrc import YamlDoc

SHA_RE = re.compile(r"^[0-9a-fA-F]{40}$")
_RAW_SHA = re.compile(r"(^|/)[0-9a-fA-F]{40}(/|$)")


def include_locations(docs: list[YamlDoc]) -> list[str]:
    """The `include: local:` locations of a file, as written (leading `/` removed)."""
    doc = config_document(docs)
    if doc is None:
        return []
    infos = [include_entry(e) for e in include_entries(doc.data)]
    return [i["location"] for i in infos if i["type"] == "local" and i["location"]]


def include_pattern(location: str) -> re.Pattern[str] | None:
    """A wildcard local include as a regular expression over repository-relative paths (`*`
    within one directory, `**` across directories); None when the location has no wildcard."""
    if "*" not in location and "?" not in location:
        return None
    out = []
    i = 0
    while i < len(location):
        if location.startswith("**", i):
            out.append(".*")
            i += 2
        elif location[i] == "*":
            out.append("[^/]*")
            i += 1
        elif location[i] == "?":
            out.append("[^/]")
            i += 1
        else:
            out.append(re.escape(location[i]))
            i += 1
    return re.compile("".join(out) + r"\Z")


def include_entries(data: dict) -> list:
    """The `include:` entries of a file's configuration, as written."""
    entries = data.get("include")
    return entries if isinstance(entries, list) else [entries] if entries else []


def include_entry(entry: Any) -> dict[str, Any]:
    """An include entry as {type, location, file, ref, pinned}: recorded, never fetched."""
    if isinstance(entry, str):
        text = entry.strip()
        entry = {"remote" if re.match(r"^https?://", text) else "local": text}
    kinds = ("local", "remote", "project", "template", "component")
    kind = next((k for k in kinds if isinstance(entry, dict) and k in entry), None)
    if kind is None:
        odd = Unknown(f"include entry {str(entry)[:60]!r} is not one GitLab documents")
        return {"type": "unknown", "location": "", "file": [], "ref": None, "pinned": odd}
    location = str(entry[kind])
    files = entry.get("file")
    files = [str(f) for f in files] if isinstance(files, list) else [str(files)] if files else []
    ref = entry.get("ref")
    if kind == "local":
        location = location.lstrip("/")
    if kind == "component":
        location, _, ref = location.partition("@")
    out = {"type": kind, "location": location, "file": files, "ref": ref}
    out["pinned"] = _include_pinned(kind, location, ref, entry)
    return out


def _include_pinned(kind: str, location: str, ref: Any, entry: dict) -> Any:
    if kind in ("local", "template"):
        return True  # the repository's own files; templates ship with the GitLab instance
    if kind == "remote":
        return bool(entry.get("integrity")) or bool(_RAW_SHA.search(location))
    if isinstance(ref, str) and "$" in ref:
        return Unknown(f"ref {ref} is a CI/CD variable")
    return isinstance(ref, str) and bool(SHA_RE.match(ref))
