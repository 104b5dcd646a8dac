"""What a kustomization reads: the manifests its build includes and the files that only modify
or configure them (patches, replacements, generator inputs), following bases and components.

A manifest a kustomization includes is checked as the build renders it; a patch is never an
object of its own, so it is never checked as one (with or without kustomize installed).
"""

from __future__ import annotations

import posixpath
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from soc2lint.platforms.kubernetes.classify import KUSTOMIZATION_NAMES
from soc2lint.platforms.shared.yamlsrc import load_documents

# entries that are manifests (files) or other kustomizations (directories)
_RESOURCE_KEYS = ("resources", "bases", "components")
# entries naming files that modify, configure or feed the build: never objects themselves
_FILE_LIST_KEYS = ("patchesStrategicMerge", "configurations", "crds", "transformers", "generators")
_PATH_ITEM_KEYS = ("patches", "patchesJson6902", "replacements")


@dataclass
class Kustomization:
    directory: str  # repository-relative; "" at the root
    marker: str  # the kustomization file's repository-relative path
    # manifest file -> (namePrefix, nameSuffix) the build applies to its objects (one per route)
    resources: dict[str, set[tuple[str, str]]] = field(default_factory=dict)
    patches: set[str] = field(default_factory=set)  # patches and other non-object inputs
    directories: set[str] = field(default_factory=set)  # this and every kustomization it reads
    # resources outside the repository (a remote base, a path above the root), as written: the
    # build reads what no digest of the scan covers, so its result is never reused
    # (result_cache), and the report says so
    outside: list[str] = field(default_factory=list)

    @property
    def reads_outside(self) -> bool:
        return bool(self.outside)


def marker_name(base: Path) -> str | None:
    """The kustomization file in a directory, if it has one."""
    return next((n for n in KUSTOMIZATION_NAMES if (base / n).is_file()), None)


def read(root: Path, directory: str) -> Kustomization:
    """The files a kustomization directory reads, recursively; unreadable parts are left out
    (the tool reports them when it builds)."""
    name = marker_name(_abs(root, directory)) or KUSTOMIZATION_NAMES[0]
    out = Kustomization(directory, _join(directory, name))
    _walk(root, directory, "", "", out, set())
    return out


def _walk(
    root: Path, directory: str, prefix: str, suffix: str, out: Kustomization, stack: set[str]
) -> None:
    if directory in stack:  # a cycle: kustomize reports it
        return
    base = _abs(root, directory)
    name = marker_name(base)
    if name is None:
        return
    data = _load(base / name, _join(directory, name))
    if not isinstance(data, dict):
        return
    out.directories.add(directory)
    # an outer kustomization's prefix goes in front of an inner one's, its suffix after
    prefix = prefix + _text(data.get("namePrefix"))
    suffix = _text(data.get("nameSuffix")) + suffix
    for key in _RESOURCE_KEYS:
        for entry in _strings(data.get(key)):
            path = _local(directory, entry)
            if path is None:
                if entry.strip() and entry.strip() not in out.outside:
                    out.outside.append(entry.strip())
                continue
            if _abs(root, path).is_dir():
                _walk(root, path, prefix, suffix, out, stack | {directory})
            else:
                out.resources.setdefault(path, set()).add((prefix, suffix))
    for key in _FILE_LIST_KEYS:
        for entry in _strings(data.get(key)):
            if "\n" not in entry:  # not an inline patch
                _add(out.patches, directory, entry)
    for key in _PATH_ITEM_KEYS:
        for item in data.get(key) or []:
            if isinstance(item, dict) and isinstance(item.get("path"), str):
                _add(out.patches, directory, item["path"])
            elif isinstance(item, str) and "\n" not in item:
                _add(out.patches, directory, item)
    for key in ("configMapGenerator", "secretGenerator"):
        for gen in data.get(key) or []:
            if not isinstance(gen, dict):
                continue
            for entry in [*_strings(gen.get("files")), *_strings(gen.get("envs"))]:
                _add(out.patches, directory, entry.rpartition("=")[2])
            if isinstance(gen.get("env"), str):
                _add(out.patches, directory, gen["env"])
    for chart in data.get("helmCharts") or []:
        if isinstance(chart, dict) and isinstance(chart.get("valuesFile"), str):
            _add(out.patches, directory, chart["valuesFile"])
    openapi = data.get("openapi")
    if isinstance(openapi, dict) and isinstance(openapi.get("path"), str):
        _add(out.patches, directory, openapi["path"])


def _load(path: Path, shown: str) -> Any:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None
    docs, _errors = load_documents(shown, text)
    return docs[0].data if docs else None


def _strings(value: Any) -> list[str]:
    return [v for v in value if isinstance(v, str)] if isinstance(value, list) else []


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _local(directory: str, entry: str) -> str | None:
    """A repository-relative path for a local entry; None for remote ones or outside the root."""
    entry = entry.strip()
    if not entry or "://" in entry or entry.startswith(("git@", "github.com/", "gitlab.com/")):
        return None
    if "?ref=" in entry or "?version=" in entry:
        return None
    path = posixpath.normpath(_join(directory, entry))
    if path == "." or path.startswith("../") or path == ".." or path.startswith("/"):
        return "" if path == "." else None
    return path


def _add(into: set[str], directory: str, entry: str) -> None:
    path = _local(directory, entry)
    if path:
        into.add(path)


def _join(directory: str, name: str) -> str:
    return f"{directory}/{name}" if directory else name


def _abs(root: Path, rel: str) -> Path:
    return root / rel if rel else root
