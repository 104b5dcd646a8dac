"""Facts about files that a scoped scan's scope needs, remembered between runs by file status.

A scoped scan (`--only-changed`, pre-commit) parses the changed files and their context, but
finding that context asks something of nearly every file: which local modules a Terraform file
calls, whether a YAML file outside the scope is infrastructure (for the repository-wide
CODEOWNERS check), what namespaces a manifest names. In a repository of 50,000 files, reading
them all for that costs more than the scan itself. This index keeps those answers in the cache
directory, one entry per file, so a scan reads again only the files that changed.

An entry is trusted only while the file's status is what it was when the fact was taken:
size, modification and status-change times (nanoseconds), inode and device. The status-change
time (ctime) cannot be set by a user (os.utime sets it to now), so a content change that keeps
the size and sets the modification time back is still seen; a rename or a new file at a deleted
file's path is a new inode.

A write in the same tick of the file system's clock as the previous one leaves the times as they
were (git's "racily clean" files). So an entry is kept only for a file whose times were more
than SLACK_NS (above any file system's timestamp granularity) before the walk that took its
status began: any later write gives it a later time. A file changed within that window is read
again on each run until it has settled.

The index is one cache entry (pipeline.load.Cache: private, checksummed, plain data only), keyed
by the root, soc2lint's code and the platforms registered. One that is missing, corrupt, foreign
or malformed anywhere is ignored whole: every fact is then read from the files, and the index is
written anew.
"""

from __future__ import annotations

import hashlib
import os
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from soc2lint import platforms
from soc2lint.pipeline.load import Cache, code_digest

FORMAT = 1
# FAT keeps times to 2 s, HFS+ and some network file systems to 1 s, others finer
SLACK_NS = 2_000_000_000

Signature = tuple[int, int, int, int, int]  # size, mtime_ns, ctime_ns, inode, device


def signature(info: os.stat_result) -> Signature:
    return (info.st_size, info.st_mtime_ns, info.st_ctime_ns, info.st_ino, info.st_dev)


@dataclass(frozen=True)
class Kind:
    """One fact: how to take it from a file's bytes (given its path), and what a stored value
    may look like (an index holding anything else is not used)."""

    take: Callable[[str, bytes], Any]
    valid: Callable[[Any], bool]


def read_bytes(root: str, path: str) -> bytes:
    """A file's bytes; b"" when it cannot be read (as the scope has always treated it)."""
    try:
        with open(os.path.join(root, path), "rb") as handle:
            return handle.read()
    except OSError:
        return b""


class Facts:
    """The facts of one tree's files for one run. signatures: path -> status, as the walk took
    them (others are taken when asked); started_ns: the time before the walk began."""

    def __init__(
        self,
        root: str | Path,
        kinds: dict[str, Kind],
        cache_dir: str | None = None,
        signatures: dict[str, Signature] | None = None,
        started_ns: int | None = None,
    ) -> None:
        if signatures is not None and started_ns is None:
            raise ValueError("statuses taken by a walk need the time the walk began")
        self.root = os.fspath(root)
        self.kinds = kinds
        self.signatures = signatures
        # statuses taken here (not by the walk) are all taken after this moment
        self.started = time.time_ns() if started_ns is None else started_ns
        self.cache = Cache(Path(cache_dir)) if cache_dir else None
        if self.cache is not None and not self.cache.usable:
            self.cache = None  # not trusted (Cache says why): nothing is read from or kept in it
        self.read = 0  # files read this run (for tests and profiles)
        self._changed = False
        self._entries: dict[str, tuple[Signature, dict[str, Any]]] = self._load()

    def _key(self) -> str:
        h = hashlib.sha256(f"facts\0{FORMAT}\0{code_digest()}\0{self.root}\0".encode())
        # the sniffs of content come from the platforms registered now
        for platform in platforms.platforms():
            kind = type(platform)
            h.update(f"{platform.name}\0{kind.__module__}.{kind.__qualname__}\n".encode())
        return "facts-" + h.hexdigest()

    def _load(self) -> dict[str, tuple[Signature, dict[str, Any]]]:
        if self.cache is None:
            return {}
        try:
            return _decoded(self.cache.get(self._key()), self.root, self.kinds)
        except Exception:  # anything unexpected in a stored value: not used at all
            return {}

    def _status(self, path: str) -> Signature | None:
        if self.signatures is not None and path in self.signatures:
            return self.signatures[path]
        try:
            return signature(os.stat(os.path.join(self.root, path)))
        except OSError:
            return None

    def get(self, path: str, kind: str) -> Any:
        """One fact of one file, from the index when the file is unchanged, else read."""
        status = self._status(path)
        entry = self._entries.get(path)
        if entry is not None and status is not None and entry[0] == status and kind in entry[1]:
            return entry[1][kind]
        return self._take(path, status, entry, (kind,))[kind]

    def take_all(self, path: str, kinds: Iterable[str]) -> None:
        """Make sure the index holds these facts of a file (reading it once if not)."""
        status = self._status(path)
        entry = self._entries.get(path)
        known = entry[1] if entry is not None and entry[0] == status else {}
        missing = tuple(k for k in kinds if k not in known)
        if missing:
            self._take(path, status, entry, missing)

    def _take(
        self,
        path: str,
        status: Signature | None,
        entry: tuple[Signature, dict[str, Any]] | None,
        kinds: tuple[str, ...],
    ) -> dict[str, Any]:
        raw = read_bytes(self.root, path)
        self.read += 1
        taken = {k: self.kinds[k].take(path, raw) for k in kinds}
        if status is not None and self._settled(status):
            kept = entry[1] if entry is not None and entry[0] == status else {}
            self._entries[path] = (status, {**kept, **taken})
            self._changed = True
        elif entry is not None:
            del self._entries[path]  # stale, and what replaces it cannot be kept yet
            self._changed = True
        return taken

    def _settled(self, status: Signature) -> bool:
        return max(status[1], status[2]) < self.started - SLACK_NS

    def save(self, prune: bool = False) -> None:
        """Write the index when this run learnt something. prune: the walk saw the whole tree,
        so entries of files it did not find (deleted, renamed) are dropped."""
        if self.cache is None:
            return
        if prune and self.signatures is not None:
            gone = [p for p in self._entries if p not in self.signatures]
            for path in gone:
                del self._entries[path]
            self._changed = self._changed or bool(gone)
        if not self._changed:
            return
        paths = sorted(self._entries)
        flat: list[int] = []
        for path in paths:
            flat.extend(self._entries[path][0])
        columns = {
            kind: [self._entries[p][1].get(kind, _ABSENT) for p in paths] for kind in self.kinds
        }
        value = {"format": FORMAT, "root": self.root, "paths": paths, "status": flat}
        value["facts"] = {k: [None if v is _ABSENT else [v] for v in c] for k, c in columns.items()}
        self.cache.put(self._key(), value)
        self._changed = False


_ABSENT = object()


def _decoded(
    value: object, root: str, kinds: dict[str, Kind]
) -> dict[str, tuple[Signature, dict[str, Any]]]:
    """The entries of a stored index, or {} when anything in it is not as save() writes it."""
    if not isinstance(value, dict) or set(value) != {"format", "root", "paths", "status", "facts"}:
        return {}
    paths, flat, facts = value["paths"], value["status"], value["facts"]
    if value["format"] != FORMAT or value["root"] != root:
        return {}
    if type(paths) is not list or type(flat) is not list or type(facts) is not dict:
        return {}
    if len(flat) != 5 * len(paths) or not set(map(type, paths)) <= {str}:
        return {}
    if not set(map(type, flat)) <= {int} or len(set(paths)) != len(paths):
        return {}
    if set(facts) != set(kinds):
        return {}
    for kind, column in facts.items():
        if type(column) is not list or len(column) != len(paths):
            return {}
        valid = kinds[kind].valid
        for cell in column:
            # a fact is stored boxed ([value]) so that None is a value and absence is not
            if cell is not None and not (type(cell) is list and len(cell) == 1 and valid(cell[0])):
                return {}
    out: dict[str, tuple[Signature, dict[str, Any]]] = {}
    names = list(facts)
    for i, path in enumerate(paths):
        status = tuple(flat[5 * i : 5 * i + 5])
        known = {}
        for kind in names:
            cell = facts[kind][i]
            if cell is not None:
                known[kind] = cell[0]
        out[path] = (status, known)  # type: ignore[assignment]
    return out


def strings(value: object) -> bool:
    """A list of strings (a valid stored fact of that shape)."""
    return type(value) is list and set(map(type, value)) <= {str}
