"""Read and parse source files: in parallel when there are many, from a content cache when warm.

Parsing is a pure function of (path, content), so results are cached by a key over the
soc2lint version, the parser kind, the path and the file's bytes. Parses are kept in packs, many
entries to a file (a worker's batch, or a serial scan's whole run), since a file per parse
cost more to write than many of the parses themselves; other entries (whole reports, built
rules) are a file each. Both are written atomically (write to a temporary file, then rename),
so concurrent scans never see half of one; an entry that does not load is ignored and
rewritten.
"""

from __future__ import annotations

import codecs
import contextlib
import functools
import hashlib
import itertools
import os
import stat
import struct
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from soc2lint import __version__, collector, platforms
from soc2lint.model import Skipped
from soc2lint.pipeline import codec, unsupported
from soc2lint.pipeline.discover import SourceFile
from soc2lint.platforms.contract import Parsed
from soc2lint.policies.suppressions import Marker, find_markers

PARALLEL_THRESHOLD = 200  # fewer files than this parse faster in one process
CACHE_FORMAT = 3  # 3: entries are restricted pickles (codec), no longer JSON


@dataclass
class Loaded:
    """One file after reading and parsing: what the scan needs of it."""

    source: SourceFile
    digest: str = ""
    skip: Skipped | None = None
    parsed: Parsed | None = None  # None: skipped before parsing
    markers: list[Marker] = field(default_factory=list)
    ours: bool = False  # a skipped file soc2lint would have read (said in the report)
    unsupported: str | None = None  # the kind of infrastructure it is, when no platform reads it


def default_cache_dir() -> Path:
    """The user cache directory where the platform keeps them (platformdirs): ~/.cache/soc2lint
    or $XDG_CACHE_HOME/soc2lint on Linux, ~/Library/Caches/soc2lint on macOS,
    %LOCALAPPDATA%\\soc2lint\\Cache on Windows."""
    from platformdirs import user_cache_path

    return user_cache_path("soc2lint", appauthor=False)


class Cache:
    """A directory of parse results (and whole reports) addressed by content.

    Entries are data, never code: values written by soc2lint.pipeline.codec, whose reader can
    only rebuild plain values and soc2lint's model classes. Each entry also carries the sha256
    of its payload, so a corrupt entry (a flipped byte, a torn write) is a miss and is rewritten.
    Whoever can write the directory could still plant wrong results, so an entry is read only
    when every directory on the way to it, and the entry itself, belongs to this user (or root,
    above the cache) and nobody else may write it (a world-writable ancestor such as /tmp only
    with its sticky bit); an entry that is not a regular file, or is larger than MAX_ENTRY, is
    not read.

    Parses (parse_payload, add_parse) live in packs under packs/: each pack a file of many
    entries behind an index of (key, place, length, sha256), written whole and renamed into
    place like any entry, and never changed after. The same checks hold for a pack and its
    directory as for an entry; the index has its own digest, each entry its own, so a torn or
    altered pack costs the entries it spoils and no more, and a pack that does not read is
    none. Where packs hold the same key, the newest is read first. A pack is named by the keys
    it holds, so a scan that parses the same files again writes the same name over it."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.hits = 0
        self.misses = 0
        self.usable = trusted(directory)
        self._root = os.path.join(directory, f"v{CACHE_FORMAT}")
        self._packs = os.path.join(self._root, "packs")
        # temporary names unique to this object: no random name drawn per entry
        self._temporary = f".tmp-{os.getpid()}-{os.urandom(4).hex()}-"
        self._count = itertools.count()
        # the packs' indexes, newest pack first, as they are stored (records sorted by key, so
        # a look-up is a binary search in each: no table of every key is built); read on the
        # first look-up. And what this object wrote itself since (read before them)
        self._indexes: list[tuple[str, int, bytes]] | None = None  # (name, size, records)
        self._written: dict[bytes, list[_Place]] = {}
        self._open: dict[str, int] = {}  # pack name -> a descriptor read with pread
        self._pending: dict[bytes, bytes] = {}  # parses for the next pack (flush)

    def _path(self, key: str) -> str:
        return os.path.join(self._root, key[:2], key)

    def get(self, key: str) -> object | None:
        try:
            value = codec.decode(self._entry(key))
        except Exception:  # missing, corrupt, foreign or unsafe: a miss; put() rewrites it
            self.misses += 1
            return None
        self.hits += 1
        return value

    def get_payload(self, key: str) -> bytes | None:
        """An entry's bytes, for codec.decode (which may still refuse them), or None: missing,
        corrupt or unsafe."""
        try:
            payload = self._entry(key)
        except Exception:
            self.misses += 1
            return None
        self.hits += 1
        return payload

    def _entry(self, key: str) -> bytes:
        if not self.usable:
            raise PermissionError("the cache directory is not trusted")
        return self._read(key)

    def _read(self, key: str) -> bytes:
        path = self._path(key)
        for directory in (self._root, os.path.dirname(path)):
            if not _private(os.lstat(directory), directory=True):
                raise PermissionError(f"{directory} may be written by others")
        flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
        fd = os.open(path, flags)
        with os.fdopen(fd, "rb") as handle:
            info = os.fstat(handle.fileno())
            if not stat.S_ISREG(info.st_mode) or not _private(info, directory=False):
                raise PermissionError(f"{path} is not a private regular file")
            if info.st_size > MAX_ENTRY:
                raise ValueError("entry larger than the cap")
            data = handle.read(MAX_ENTRY + 1)
        head, digest, payload = data[: len(_MAGIC)], data[len(_MAGIC) : _BODY], data[_BODY:]
        if head != _MAGIC or hashlib.sha256(payload).digest() != digest:
            raise ValueError("corrupt entry")
        return payload

    def put(self, key: str, value: object) -> bytes | None:
        """Store value; its encoding (for codec.decode), or None when nothing is stored (the
        format cannot hold the value, or the directory is not to be used)."""
        if not self.usable:
            return None
        try:
            payload = codec.encode(value)
        except codec.Unencodable:
            return None  # a value the format cannot hold is not cached
        self.put_payload(key, payload)
        return payload

    def put_payload(self, key: str, payload: bytes) -> None:
        """Store bytes codec.encode wrote, atomically: written under a temporary name in the
        entry's directory, then renamed over the entry."""
        if not self.usable or len(payload) + _BODY > MAX_ENTRY:
            return
        path = self._path(key)
        directory = os.path.dirname(path)
        tmp = os.path.join(directory, f"{self._temporary}{next(self._count)}")
        made = False
        try:
            try:
                fd = os.open(tmp, _CREATE, 0o600)
            except FileNotFoundError:  # the first entry in its directory
                os.makedirs(directory, mode=0o700, exist_ok=True)
                fd = os.open(tmp, _CREATE, 0o600)
            made = True
            try:
                data = memoryview(_MAGIC + hashlib.sha256(payload).digest() + payload)
                while data:
                    data = data[os.write(fd, data) :]
            finally:
                os.close(fd)
            os.replace(tmp, path)
        except OSError:  # a read-only or full cache directory only costs speed
            if made:
                with contextlib.suppress(OSError):
                    os.unlink(tmp)

    # packs of parses

    def parse_payload(self, key: str) -> bytes | None:
        """The bytes add_parse stored under key (for codec.decode, which may still refuse
        them), or None: missing, corrupt or unsafe."""
        try:
            places = self._places(bytes.fromhex(key))
        except (OSError, ValueError):
            places = []
        for place in places:
            try:
                payload = self._read_place(place)
            except (OSError, ValueError):
                continue
            self.hits += 1
            return payload
        self.misses += 1
        return None

    def add_parse(self, key: str, payload: bytes) -> None:
        """Keep payload (codec bytes) under key (a hex sha256) for the next flush()."""
        if self.usable and len(payload) <= MAX_ENTRY and len(key) == 64:
            with contextlib.suppress(ValueError):
                self._pending[bytes.fromhex(key)] = payload

    def flush(self) -> list[str] | None:
        """Write the parses add_parse kept as one pack, atomically (a temporary name in the
        packs' directory, then renamed); a read-only or full cache directory only costs speed.
        The names of the packs written; None when a write failed."""
        pending, self._pending = self._pending, {}
        if not pending or not self.usable:
            return []
        keys = sorted(pending)
        records = []
        offset = _PACK_HEAD + _RECORD.size * len(keys)
        for key in keys:
            payload = pending[key]
            records.append(
                _RECORD.pack(key, offset, len(payload), hashlib.sha256(payload).digest())
            )
            offset += len(payload)
        if offset > MAX_PACK:  # a batch this large: two packs
            half = len(keys) // 2
            names: list[str] | None = []
            for part in (keys[:half], keys[half:]):
                self._pending = {k: pending[k] for k in part}
                written = self.flush()
                names = None if names is None or written is None else names + written
            return names
        # written when: what orders packs holding the same key (a file's time may be coarser
        # than the time between two packs)
        stamp = struct.pack("<IQ", len(keys), time.time_ns())
        index = b"".join(records)
        head = _PACK_MAGIC + stamp + hashlib.sha256(stamp + index).digest()
        name = hashlib.sha256(b"".join(keys)).hexdigest()[:40] + ".pack"
        tmp = os.path.join(self._packs, f"{self._temporary}{next(self._count)}")
        made = False
        try:
            try:
                fd = os.open(tmp, _CREATE, 0o600)
            except FileNotFoundError:  # the first pack
                os.makedirs(self._packs, mode=0o700, exist_ok=True)
                fd = os.open(tmp, _CREATE, 0o600)
            made = True
            try:
                for piece in (head + index, *(pending[k] for k in keys)):
                    view = memoryview(piece)
                    while view:
                        view = view[os.write(fd, view) :]
            finally:
                os.close(fd)
            os.replace(tmp, os.path.join(self._packs, name))
        except OSError:
            if made:
                with contextlib.suppress(OSError):
                    os.unlink(tmp)
            return None
        stale = self._open.pop(name, None)  # a pack of this name this object had open
        if stale is not None:
            with contextlib.suppress(OSError):
                os.close(stale)
        # this object reads what it wrote, before older packs
        for key, record in zip(keys, records, strict=True):
            _key, offset, length, digest = _RECORD.unpack(record)
            self._written.setdefault(key, []).insert(0, (name, offset, length, digest))
        return [name]

    def compact(self, above: int | None = None) -> bool:
        """Once there are more than `above` packs (every scan that parses something new adds
        one, and a pre-commit run parses the file just changed): every entry that still reads
        (for a key held twice, the newest pack's) is written again into a few packs of up to
        COMPACT_PACK bytes, newer than any, and the packs read are removed. No entry that
        reads is lost, so caches shared by several trees lose nothing either; a pack that does
        not read is left as it is (it costs a failed read, never a wrong entry). Packs written
        by others meanwhile are not touched; one removed under a reader is a miss there. True
        when the packs were compacted."""
        if not self.usable:
            return False
        try:
            with os.scandir(self._packs) as entries:
                count = sum(1 for e in entries if e.name.endswith(".pack"))
        except OSError:
            return False
        if count <= (COMPACT_ABOVE if above is None else above):
            return False
        reader, writer = Cache(self.directory), Cache(self.directory)
        try:
            indexes = reader._read_indexes()
            taken: set[bytes] = set()
            written: list[str] = []
            size = 0
            for name, pack_size, index in indexes:  # newest first
                for key, offset, length, digest in _RECORD.iter_unpack(index):
                    if key in taken or offset + length > pack_size:
                        continue
                    try:
                        payload = reader._read_place((name, offset, length, digest))
                    except (OSError, ValueError):
                        continue  # lost already: not carried over
                    taken.add(key)
                    writer._pending[key] = payload
                    size += len(payload)
                    if size >= COMPACT_PACK:
                        names = writer.flush()
                        if names is None:
                            return False  # the packs read stay: nothing is lost
                        written += names
                        size = 0
            names = writer.flush()
            if names is None:
                return False
            written += names
        except (OSError, ValueError):
            return False
        finally:
            reader.close()
            writer.close()
        for name, _size, _index in indexes:
            if name not in written:  # a merged pack may take an old pack's name (same keys)
                with contextlib.suppress(OSError):
                    os.unlink(os.path.join(self._packs, name))
        self.close()
        self._indexes, self._written = None, {}  # read afresh on the next look-up
        return True

    def _places(self, key: bytes) -> list[_Place]:
        """Where packs hold key, newest pack first. The packs' indexes are read once (packs
        written later by others are not seen: their entries are misses); each is searched by
        halves, as flush() writes its records sorted by key (an index out of order only
        misses: whatever a search finds is the key asked for, and its entry is still checked
        against its digest)."""
        found = list(self._written.get(key, ()))
        size = _RECORD.size
        for name, pack_size, index in self._read_indexes():
            lo, hi = 0, len(index) // size
            while lo < hi:
                mid = (lo + hi) // 2
                if index[mid * size : mid * size + 32] < key:
                    lo = mid + 1
                else:
                    hi = mid
            at = lo * size
            while index[at : at + 32] == key:  # a key twice in one pack: each place
                _key, offset, length, digest = _RECORD.unpack_from(index, at)
                if offset + length <= pack_size:
                    found.append((name, offset, length, digest))
                at += size
        return found

    def _read_indexes(self) -> list[tuple[str, int, bytes]]:
        """Every readable pack's (name, size, index records), newest first; read once."""
        if self._indexes is not None:
            return self._indexes
        self._indexes = []
        if not self.usable:
            return self._indexes
        for directory in (self._root, self._packs):
            if not _private(os.lstat(directory), directory=True):
                raise PermissionError(f"{directory} may be written by others")
        found = []
        for entry in os.scandir(self._packs):
            if entry.name.endswith(".pack"):
                with contextlib.suppress(OSError, ValueError):
                    found.append(self._index_bytes(entry.name))
        found.sort(key=lambda f: f[0], reverse=True)  # newest first
        self._indexes = [(name, size, index) for _written, name, size, index in found]
        return self._indexes

    def _read_index(self, name: str) -> tuple[int, str, int, list[tuple[bytes, int, int, bytes]]]:
        """(when written, name, size, its records as (key, offset, length, sha256))."""
        written, name, size, index = self._index_bytes(name)
        return written, name, size, list(_RECORD.iter_unpack(index))

    def _index_bytes(self, name: str) -> tuple[int, str, int, bytes]:
        """(when written, name, size, its index records as stored), the index's digest checked."""
        fd = self._descriptor(name)
        info = os.fstat(fd)
        head = _pread(fd, _PACK_HEAD, 0)
        if len(head) != _PACK_HEAD or head[: len(_PACK_MAGIC)] != _PACK_MAGIC:
            raise ValueError("not a pack")
        stamp = head[len(_PACK_MAGIC) : len(_PACK_MAGIC) + 12]
        count, written = struct.unpack("<IQ", stamp)
        if _PACK_HEAD + count * _RECORD.size > info.st_size:
            raise ValueError("index longer than the pack")
        index = _pread(fd, count * _RECORD.size, _PACK_HEAD)
        if len(index) != count * _RECORD.size:
            raise ValueError("index cut short")
        if hashlib.sha256(stamp + index).digest() != head[len(_PACK_MAGIC) + 12 :]:
            raise ValueError("corrupt index")
        return written, name, info.st_size, index

    def _descriptor(self, name: str) -> int:
        fd = self._open.get(name)
        if fd is not None:
            return fd
        if len(self._open) >= 64:  # a bounded number open at once
            for other in self._open.values():
                with contextlib.suppress(OSError):
                    os.close(other)
            self._open.clear()
        flags = (
            os.O_RDONLY
            | getattr(os, "O_NOFOLLOW", 0)
            | getattr(os, "O_NONBLOCK", 0)
            | getattr(os, "O_CLOEXEC", 0)
            | getattr(os, "O_BINARY", 0)
        )
        fd = os.open(os.path.join(self._packs, name), flags)
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode) or not _private(info, directory=False):
            os.close(fd)
            raise PermissionError(f"{name} is not a private regular file")
        if info.st_size > MAX_PACK:
            os.close(fd)
            raise ValueError("pack larger than the cap")
        self._open[name] = fd
        return fd

    def _read_place(self, place: _Place) -> bytes:
        name, offset, length, digest = place
        payload = _pread(self._descriptor(name), length, offset)
        if len(payload) != length or hashlib.sha256(payload).digest() != digest:
            raise ValueError("corrupt entry")
        return payload

    def close(self) -> None:
        """Close the packs this object has open (it reopens them when read again)."""
        for fd in self._open.values():
            with contextlib.suppress(OSError):
                os.close(fd)
        self._open.clear()

    def __del__(self) -> None:
        with contextlib.suppress(Exception):
            self.close()


_Place = tuple[str, int, int, bytes]  # pack name, offset, length, sha256 of the entry


def _pread(fd: int, length: int, offset: int) -> bytes:
    """length bytes at offset (os.pread, or a seek and a read where there is none: Windows)."""
    if hasattr(os, "pread"):
        return os.pread(fd, length, offset)
    os.lseek(fd, offset, os.SEEK_SET)
    chunks = []
    while length > 0:
        chunk = os.read(fd, length)
        if not chunk:
            break
        chunks.append(chunk)
        length -= len(chunk)
    return b"".join(chunks)


# a new file, never an existing one or a link's target; not inherited by programs run
_CREATE = (
    os.O_WRONLY
    | os.O_CREAT
    | os.O_EXCL
    | getattr(os, "O_NOFOLLOW", 0)
    | getattr(os, "O_CLOEXEC", 0)
    | getattr(os, "O_BINARY", 0)
)
_MAGIC = b"soc2lint-cache\x03\n"
_BODY = len(_MAGIC) + 32
MAX_ENTRY = 256 * 1024 * 1024
_PACK_MAGIC = b"soc2lint-pack\x01\n"
# magic, number of entries, when written (ns), sha256 of those two and the index
_PACK_HEAD = len(_PACK_MAGIC) + 12 + 32
_RECORD = struct.Struct("<32sQQ32s")  # key, offset in the pack, length, sha256 of the entry
MAX_PACK = 1024 * 1024 * 1024
COMPACT_ABOVE = 200  # packs, before compact() writes them again as a few
COMPACT_PACK = 64 * 1024 * 1024  # bytes of entries in each pack compact() writes


def _private(info: os.stat_result, directory: bool) -> bool:
    """Owned by this user and writable by nobody else (a directory: not a link either)."""
    if not hasattr(os, "getuid"):
        return True  # no POSIX ownership to check
    if directory and not stat.S_ISDIR(info.st_mode):
        return False
    return info.st_uid == os.getuid() and not info.st_mode & 0o022


def _safe_ancestor(info: os.stat_result) -> bool:
    """A directory above the cache: ours or root's, and writable by others only when sticky
    (so nobody else can rename our cache directory away and put another in its place)."""
    if info.st_uid not in (0, os.getuid()):
        return False
    return not info.st_mode & 0o022 or bool(info.st_mode & stat.S_ISVTX)


@functools.cache
def trusted(directory: Path) -> bool:
    """Whether a cache directory is safe to read entries from: it belongs to this user and
    nobody else may write it (one that does not exist yet is made by this user), and no
    directory above it lets another user replace it. Says why on standard error, once, when
    it is not."""
    if not hasattr(os, "getuid"):
        return True  # no POSIX ownership to check
    problem = ""
    try:
        info = os.stat(directory)
        if not _private(info, directory=True):
            problem = "it must be a directory that belongs to you and is writable by nobody else"
    except FileNotFoundError:
        pass
    except OSError as exc:
        problem = f"cannot inspect it ({exc.strerror or exc})"
    if not problem:
        above = {
            *Path(os.path.abspath(directory)).parents,
            *Path(os.path.realpath(directory)).parents,
        }
        for ancestor in sorted(above):
            try:
                info = os.stat(ancestor)
            except FileNotFoundError:
                continue
            except OSError as exc:
                problem = f"cannot inspect {ancestor} ({exc.strerror or exc})"
                break
            if not _safe_ancestor(info):
                problem = f"{ancestor} above it may be changed by another user"
                break
    if problem:
        print(
            f"soc2lint: not using the cache {directory}: {problem} (whoever can write it "
            "decides the results); scanning without it",
            file=sys.stderr,
        )
    return not problem


@functools.lru_cache(maxsize=1)
def code_digest() -> str:
    """soc2lint's own code, so a changed parser (a development checkout) never reads old parses:
    each module's path, size and mtime, in the order of sorted(package.rglob("*.py")) (found by
    os.scandir, passing over __pycache__: rglob's Path per entry cost every run a few ms)."""
    found: list[tuple[tuple[str, ...], int, int]] = []

    def walk(where: str, parts: tuple[str, ...]) -> None:
        with os.scandir(where) as entries:
            for entry in entries:
                if entry.is_dir() and not entry.is_symlink():
                    if entry.name != "__pycache__":
                        walk(entry.path, (*parts, entry.name))
                elif os.path.normcase(entry.name).endswith(".py"):
                    stat = entry.stat()
                    found.append(((*parts, entry.name), stat.st_size, stat.st_mtime_ns))

    walk(os.path.dirname(os.path.dirname(os.path.realpath(__file__))), ())
    h = hashlib.sha256(__version__.encode())
    for parts, size, mtime in sorted(found, key=lambda f: tuple(map(os.path.normcase, f[0]))):
        h.update(f"{os.path.join(*parts)}\0{size}\0{mtime}\n".encode())
    return h.hexdigest()


def _key(kind: str, path: str, raw: bytes) -> str:
    h = hashlib.sha256(f"{code_digest()}\0{kind}\0{path}\0".encode())
    h.update(raw)
    return h.hexdigest()


# byte order marks, longest first (UTF-32 LE's begins with UTF-16 LE's)
_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)


def decode_text(raw: bytes) -> tuple[str, str]:
    """(text, "") or (the text as far as it reads, why it cannot be read as text).

    UTF-8 is the default; a UTF-16 or UTF-32 byte order mark says otherwise (editors on Windows
    write them, and kubectl and the Actions runner read such files). Lone carriage returns
    (classic Mac line ends) are line ends for YAML and for our line numbers alike."""
    for bom, encoding in _BOMS:
        if raw.startswith(bom):
            try:
                text = raw[len(bom) :].decode(encoding)
            except UnicodeDecodeError as exc:
                why = f"not valid {encoding.upper()} after its byte order mark"
                return raw[len(bom) :].decode(encoding, "replace"), f"{why} (byte {exc.start})"
            break
    else:
        if b"\x00" in raw[:8192]:
            return raw.decode("utf-8", "replace"), "binary file (contains NUL bytes)"
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            return raw.decode("utf-8", "replace"), f"not UTF-8 (byte {exc.start})"
    if "\x00" in text[:8192]:
        return text, "binary file (contains NUL characters)"
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    return text, ""


def load_one(
    source: SourceFile, max_bytes: int, cache_dir: str | None, cache: Cache | None = None
) -> Loaded:
    """Read, check and parse one file (or take its parse from the cache). cache: the Cache of
    cache_dir when the caller has one (its directories' trust is checked once, not per file)."""
    return _load(source, max_bytes, cache_dir, cache, look=True)


def _load(
    source: SourceFile, max_bytes: int, cache_dir: str | None, cache: Cache | None, look: bool
) -> Loaded:
    """load_one; look=False: parse even when the cache has an entry (one found wanting)."""
    out, text, raw = _read(source, max_bytes)
    if raw is None:
        return out
    own = cache is None and bool(cache_dir)
    if own:
        cache = _shared(str(cache_dir))
    key = _key(f"{source.platform}/{source.kind}", source.path, raw)
    if cache and look:
        payload = cache.parse_payload(key)
        if payload is not None:
            with contextlib.suppress(ValueError):
                if _fill(out, codec.decode(payload)):
                    return out
    parse = _parse(out, text)
    if cache:
        with contextlib.suppress(codec.Unencodable):  # a parse the format cannot hold
            cache.add_parse(key, codec.encode(parse))
        if own:
            cache.flush()
    return out


@functools.lru_cache(maxsize=1)
def _shared(cache_dir: str) -> Cache:
    """One Cache per process for the files loaded one at a time (load_one without a cache):
    its packs' index is read once, not for every file."""
    return Cache(Path(cache_dir))


def _read(source: SourceFile, max_bytes: int) -> tuple[Loaded, str, bytes | None]:
    """(loaded, text, raw); raw is None when the file is not to be parsed (loaded says why)."""
    out = Loaded(source)
    try:
        if Path(source.abspath).stat().st_size > max_bytes:
            out.skip = Skipped(source.path, f"larger than the size cap ({max_bytes} bytes)")
            return out, "", None
        raw = Path(source.abspath).read_bytes()
    except OSError as exc:
        out.skip = Skipped(source.path, f"cannot read: {exc.strerror or exc}")
        return out, "", None
    out.digest = hashlib.sha256(raw).hexdigest()
    text, problem = decode_text(raw)
    if problem:
        out.skip = Skipped(source.path, problem)
        # an unreadable manifest is worth saying; an unreadable stray YAML file is not ours
        out.ours = bool(source.platform) or _sniffed(source.path, text)
        return out, "", None
    owner = platforms.get(source.platform) if source.platform else None
    if not text.strip() and not (owner is not None and owner.keeps_empty_files):
        out.skip = Skipped(source.path, "empty file")
        return out, "", None
    return out, text, raw


def _parse(out: Loaded, text: str) -> tuple[Parsed, list[Marker], str | None]:
    """Parse out's file (its text given): out filled in, and what the cache keeps of it."""
    source = out.source
    out.parsed = parse_source(source.path, text, source.platform, source.kind)
    if out.parsed.markers:
        out.markers = find_markers(source.path, text)
    if out.parsed.platform is None and not out.parsed.skip_reason:
        out.unsupported = unsupported.by_content(source.path, text)
    return (out.parsed, out.markers, out.unsupported)


def _fill(out: Loaded, cached: object) -> bool:
    """Fill out from a cached parse; False (out unchanged) when cached is not one."""
    if (
        isinstance(cached, tuple)
        and len(cached) == 3
        and isinstance(cached[0], Parsed)
        and isinstance(cached[1], list)
        and isinstance(cached[2], (str, type(None)))
    ):
        out.parsed, out.markers, out.unsupported = cached
        return True
    return False


def _sniffed(path: str, text: str) -> bool:
    return any(p.sniff(path, text) is not None for p in platforms.content_candidates(path))


def parse_source(path: str, text: str, platform: str | None = None, kind: str = "") -> Parsed:
    """One file's parse by the platform that claims it: by path (or as given), else the first
    whose look at the content takes it. Parsed(None) when no platform does."""
    if platform is None:
        claimed = platforms.claim(path)
        platform, kind = claimed if claimed else ("", "")
    if platform:
        return platforms.get(platform).parse(path, text, kind)
    for candidate in platforms.content_candidates(path):
        sniffed = candidate.sniff(path, text)
        if sniffed is None:
            continue
        parsed = candidate.parse(path, text, sniffed)
        if parsed.platform is not None or parsed.skip_reason:
            return parsed
    return Parsed(None)


def _load_chunk(args: tuple[list[SourceFile], int, str | None]) -> list[Loaded | _Sent]:
    """In a worker process: each file loaded, or, when it parsed, (digest, the parse as
    codec bytes). The bytes are those the cache holds (read from it, or just written to it),
    so a parse is encoded once, and the parent decodes it (load_all)."""
    sources, max_bytes, cache_dir = args
    cache = Cache(Path(cache_dir)) if cache_dir else None
    out: list[Loaded | _Sent] = []
    for source in sources:
        loaded, text, raw = _read(source, max_bytes)
        if raw is None:
            out.append(loaded)
            continue
        key = _key(f"{source.platform}/{source.kind}", source.path, raw)
        payload = cache.parse_payload(key) if cache else None
        if payload is None:
            try:
                payload = codec.encode(_parse(loaded, text))
            except codec.Unencodable:  # sent as it is, and not cached
                out.append(loaded)
                continue
            if cache:
                cache.add_parse(key, payload)
        out.append((loaded.digest, payload))
    if cache:
        cache.flush()  # the chunk's parses: one pack
        cache.close()
    return out


_Sent = tuple[str, bytes]


def _received(
    item: Loaded | _Sent, source: SourceFile, max_bytes: int, cache_dir: str | None
) -> Loaded:
    """A worker's result for source as the Loaded it stands for."""
    if type(item) is not tuple:
        return item  # type: ignore[return-value]
    digest, payload = item
    out = Loaded(source, digest)
    try:
        cached = codec.decode(payload)
    except ValueError:
        cached = None
    if _fill(out, cached):
        return out
    # a cache entry the format cannot read after all (planted, or from a foreign build):
    # parsed here, and the entry rewritten (newer than it, so read before it)
    return _load(source, max_bytes, cache_dir, None, look=False)


def load_all(
    sources: list[SourceFile],
    max_bytes: int,
    jobs: int,
    cache_dir: str | None,
    progress: Callable[[int, int], None] | None = None,
) -> list[Loaded]:
    """Every source loaded, in the order given, whatever the number of processes."""
    total = len(sources)
    if jobs <= 1 or total < PARALLEL_THRESHOLD:
        out = []
        cache = Cache(Path(cache_dir)) if cache_dir else None
        for i, source in enumerate(sources, 1):
            out.append(load_one(source, max_bytes, cache_dir, cache))
            if progress and i % 50 == 0:
                progress(i, total)
        if cache:
            cache.flush()  # the run's parses: one pack
            cache.compact()  # when packs have piled up
            cache.close()
        return out
    size = max(16, total // (jobs * 8))
    chunks = [sources[i : i + size] for i in range(0, total, size)]
    out = []
    from concurrent.futures import ProcessPoolExecutor  # here: a small scan starts no workers

    with ProcessPoolExecutor(max_workers=jobs) as pool:
        results = pool.map(_load_chunk, [(c, max_bytes, cache_dir) for c in chunks])
        # the workers are running (started by map): from here this process only decodes what
        # they send, a great many small objects and no cycles, which the cyclic collector
        # would otherwise walk again and again as the heap grows (a third of the decoding)
        with collector.paused():
            for chunk, items in zip(chunks, results, strict=True):
                out.extend(
                    _received(item, source, max_bytes, cache_dir)
                    for item, source in zip(items, chunk, strict=True)
                )
                if progress:
                    progress(len(out), total)
            # inside a scan that sets its phases' objects aside: the parses too, before the
            # collector is back (they hold no cycles: nothing for it to free)
            collector.keep(collect=False)
    if cache_dir:
        Cache(Path(cache_dir)).compact()  # the workers' packs are all written
    return out


def tty_progress(label: str = "parsing") -> Callable[[int, int], None] | None:
    """A progress line on stderr, only on a terminal (never mixed into JSON or SARIF)."""
    if not sys.stderr.isatty():
        return None

    def show(done: int, total: int) -> None:
        end = "\n" if done >= total else ""
        sys.stderr.write(f"\r{label} {done}/{total} files{end}")
        sys.stderr.flush()

    return show
