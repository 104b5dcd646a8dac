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
import struct
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from itertools import chain
from pathlib import Path
from typing import Any

from soc2lint import platforms
from soc2lint.pipeline.discover import Signature, signature
from soc2lint.pipeline.load import Cache, code_digest

FORMAT = 2  # 2: statuses packed as bytes, equal fact values stored once
# a status as stored: size, mtime_ns, ctime_ns (signed: before 1970), inode, device
_STATUS = struct.Struct("<QqqQQ")
# FAT keeps times to 2 s, HFS+ and some network file systems to 1 s, others finer
SLACK_NS = 2_000_000_000


@dataclass(frozen=True)
class Kind:
    """One fact: how to take it from a file's bytes (given its path; never None), and whether
    stored values (a list of them) all look like what take() gives (an index holding anything
    else is not used)."""

    take: Callable[[str, bytes], Any]
    valid: Callable[[list[Any]], bool]


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
        kinds_of: Callable[[str], tuple[str, ...]] | None = None,
    ) -> None:
        if signatures is not None and started_ns is None:
            raise ValueError("statuses taken by a walk need the time the walk began")
        self.root = os.fspath(root)
        self.kinds = kinds
        self.signatures = signatures
        # the facts that apply to a file: all are taken when it is read for one of them
        self.kinds_of = kinds_of
        # statuses taken here (not by the walk) are all taken after this moment
        self.started = time.time_ns() if started_ns is None else started_ns
        self.cache = Cache(Path(cache_dir)) if cache_dir else None
        if self.cache is not None and not self.cache.usable:
            self.cache = None  # not trusted (Cache says why): nothing is read from or kept in it
        self.read = 0  # files read this run (for tests and profiles)
        self._changed = False
        # what the stored index holds, as stored: path -> row; a status a row; kind -> one
        # value a row (None: not taken)
        self._rows: dict[str, int] = {}
        self._statuses: list[Signature] = []
        self._columns: dict[str, list[Any]] = {}
        # what this run has learnt, over the stored rows: path -> (status, facts)
        self._new: dict[str, tuple[Signature, dict[str, Any]]] = {}
        self._load()

    def _key(self) -> str:
        h = hashlib.sha256(f"facts\0{FORMAT}\0{code_digest()}\0{self.root}\0".encode())
        # the sniffs of content come from the platforms registered now
        h.update(platforms.identity().encode())
        return "facts-" + h.hexdigest()

    def _load(self) -> None:
        if self.cache is None:
            return
        try:
            stored = _decoded(self.cache.get(self._key()), self.root, self.kinds)
        except Exception:  # anything unexpected in a stored value: not used at all
            stored = None
        if stored is not None:
            paths, statuses, columns = stored
            rows = {path: i for i, path in enumerate(paths)}
            if len(rows) == len(paths):  # a path twice: not as save() writes it
                self._rows, self._statuses, self._columns = rows, statuses, columns

    def _status(self, path: str) -> Signature | None:
        if self.signatures is not None and path in self.signatures:
            return self.signatures[path]
        try:
            return signature(os.stat(os.path.join(self.root, path)))
        except OSError:
            return None

    def _known(self, path: str, status: Signature | None) -> dict[str, Any] | None:
        """The facts remembered of a file whose status is still status, else None."""
        if status is None:
            return None
        if path in self._new:
            entry = self._new[path]
            return entry[1] if entry[0] == status else None
        i = self._rows.get(path)
        if i is None or self._statuses[i] != status:
            return None
        return {k: c[i] for k, c in self._columns.items() if c[i] is not None}

    def many(self, paths: Iterable[str], kind: str) -> list[Any]:
        """get(path, kind) for each path, in order: the stored value straight from its column
        while the walk's status of the file is the stored one, else as get() finds it."""
        out: list[Any] = []
        append, rows, statuses, new = out.append, self._rows, self._statuses, self._new
        column = self._columns.get(kind)
        walked = self.signatures
        if column is None or walked is None:
            return [self.get(path, kind) for path in paths]
        for path in paths:
            i = rows.get(path)
            if i is not None and path not in new:
                value = column[i]
                if value is not None and statuses[i] == walked.get(path):
                    append(value)
                    continue
            append(self.get(path, kind))
        return out

    def get(self, path: str, kind: str) -> Any:
        """One fact of one file, from the index when the file is unchanged, else read."""
        status = self._status(path)
        known = self._known(path, status)
        if known is not None and kind in known:
            return known[kind]
        return self._take(path, status, known, (kind,))[kind]

    def take_all(self, path: str, kinds: Iterable[str]) -> None:
        """Make sure the index holds these facts of a file (reading it once if not)."""
        status = self._status(path)
        i = self._rows.get(path)
        if (
            i is not None
            and path not in self._new
            and self._statuses[i] == status
            and all(self._columns[k][i] is not None for k in kinds)
        ):
            return  # the common case of a whole scan: known, and unchanged
        known = self._known(path, status) or {}
        missing = tuple(k for k in kinds if k not in known)
        if missing:
            self._take(path, status, known, missing)

    def _take(
        self,
        path: str,
        status: Signature | None,
        known: dict[str, Any] | None,
        kinds: tuple[str, ...],
    ) -> dict[str, Any]:
        raw = read_bytes(self.root, path)
        self.read += 1
        if self.kinds_of is not None:
            more = [k for k in self.kinds_of(path) if k not in kinds and k not in (known or {})]
            kinds = (*kinds, *more)
        taken = {k: self.kinds[k].take(path, raw) for k in kinds}
        if status is not None and self._settled(status):
            self._new[path] = (status, {**(known or {}), **taken})
            self._changed = True
        elif self._new.get(path) is not None:
            # what this run learnt of it earlier is stale; a stored entry, stale too, may stay
            # (its status no longer matches), so a pre-commit scan of a file just written
            # need not rewrite the index
            del self._new[path]
        return taken

    def _settled(self, status: Signature) -> bool:
        return max(status[1], status[2]) < self.started - SLACK_NS

    def save(self, prune: bool = False) -> None:
        """Write the index when this run learnt something. prune: the walk saw the whole tree,
        so entries of files it did not find (deleted, renamed) are dropped."""
        if self.cache is None:
            return
        known = self.signatures if prune and self.signatures is not None else None
        gone = known is not None and not self._rows.keys() <= known.keys()
        if not self._changed and not gone:
            return
        paths = sorted({*self._rows, *self._new})
        if known is not None:
            paths = [p for p in paths if p in known]
        kept: list[str] = []
        statuses: list[bytes] = []
        columns: dict[str, list[Any]] = {kind: [] for kind in self.kinds}
        # equal values stored as one object, written once (most files have the same few
        # facts: no module call, no namespace), so a load makes a few objects, not one a file
        shared: dict[tuple[str, str], Any] = {}
        for path in paths:
            if path in self._new:
                status, facts = self._new[path]
            else:
                i = self._rows[path]
                status, facts = self._statuses[i], {k: c[i] for k, c in self._columns.items()}
            try:
                statuses.append(_STATUS.pack(*status))
            except struct.error:  # a status beyond 64 bits: not kept (read again each run)
                continue
            kept.append(path)
            for kind, column in columns.items():
                fact = facts.get(kind)
                if fact is not None and not isinstance(fact, bool):
                    fact = shared.setdefault((kind, repr(fact)), fact)
                column.append(fact)
        value = {"format": FORMAT, "root": self.root, "paths": kept}
        value["status"], value["facts"] = b"".join(statuses), columns
        self.cache.put(self._key(), value)
        self._changed = False


def _decoded(
    value: object, root: str, kinds: dict[str, Kind]
) -> tuple[list[str], list[Signature], dict[str, list[Any]]] | None:
    """(paths, statuses, fact columns) of a stored index, or None when anything in it is not as
    save() writes it. The fact values may be shared between files: they are only read."""
    if not isinstance(value, dict) or set(value) != {"format", "root", "paths", "status", "facts"}:
        return None
    paths, statuses, facts = value["paths"], value["status"], value["facts"]
    if value["format"] != FORMAT or value["root"] != root:
        return None
    if type(paths) is not list or type(statuses) is not bytes or type(facts) is not dict:
        return None
    if len(statuses) != len(paths) * _STATUS.size or not set(map(type, paths)) <= {str}:
        return None
    if set(facts) != set(kinds):
        return None
    for kind, column in facts.items():
        if type(column) is not list or len(column) != len(paths):
            return None
        if not kinds[kind].valid([v for v in column if v is not None]):
            return None
    return paths, list(_STATUS.iter_unpack(statuses)), facts


def strings(values: list[Any]) -> bool:
    """Whether every value is a list of strings."""
    return set(map(type, values)) <= {list} and set(map(type, chain.from_iterable(values))) <= {str}


def booleans(values: list[Any]) -> bool:
    return set(map(type, values)) <= {bool}
