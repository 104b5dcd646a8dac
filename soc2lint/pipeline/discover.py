"""Find the files to scan under the given paths, and say which were skipped and why."""

from __future__ import annotations

import contextlib
import hashlib
import os
import stat
import subprocess
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from soc2lint import platforms
from soc2lint.model import Skipped
from soc2lint.pipeline import unsupported

if TYPE_CHECKING:
    import pathspec

DEFAULT_MAX_BYTES = 2 * 1024 * 1024
# directories that hold tools' copies, never sources (platforms add their own)
_SKIP_DIRS = {".git", "node_modules", ".venv", "venv", "__pycache__", ".tox"}


def _skip_dirs() -> set[str]:
    return _SKIP_DIRS.union(*(p.skip_dirs for p in platforms.platforms()))


Signature = tuple[int, int, int, int, int]  # size, mtime_ns, ctime_ns, inode, device


def signature(info: os.stat_result) -> Signature:
    """A file's status as the walk took it: what pipeline.facts trusts a remembered fact by."""
    return (info.st_size, info.st_mtime_ns, info.st_ctime_ns, info.st_ino, info.st_dev)


@dataclass(frozen=True, slots=True)
class SourceFile:
    path: str  # relative to the root, POSIX separators
    abspath: str
    platform: str  # the platform that claims it by path; "" when its content decides
    kind: str  # the platform's kind of file: "tf", "tfvars", "workflow", ...


def _maker() -> Callable[[str, str, str, str], SourceFile]:
    """SourceFile(path, abspath, platform, kind), each field stored through its slot: the
    frozen dataclass's __init__ stores them through object.__setattr__, twice as slow, and a
    walk makes one per file."""
    new = object.__new__
    slots = vars(SourceFile)
    set_path, set_abspath, set_platform, set_kind = (
        slots[name].__set__ for name in ("path", "abspath", "platform", "kind")
    )

    def make(path: str, abspath: str, platform: str, kind: str) -> SourceFile:
        made = new(SourceFile)
        set_path(made, path)
        set_abspath(made, abspath)
        set_platform(made, platform)
        set_kind(made, kind)
        return made

    return make


source_file = _maker()


@dataclass
class Discovery:
    root: str
    files: list[SourceFile] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    # left out on purpose: {path, reason}; directories end with "/"
    excluded: list[dict] = field(default_factory=list)
    # infrastructure files no platform reads, by name: {path, kind}
    unsupported: list[dict] = field(default_factory=list)
    # how the walk went where it matters to a reader: {path, message}
    notes: list[dict] = field(default_factory=list)
    # each file's status as the walk found it (size, mtime_ns, ctime_ns, inode, device), and
    # the time the walk began: what pipeline.facts needs to trust what it remembers of a file
    signatures: dict[str, Signature] = field(default_factory=dict)
    started_ns: int = 0
    facts: object = None  # the scope's pipeline.facts.Facts for these files, once made


def classify(path: str) -> tuple[str, str] | None:
    """(platform, kind) for a repository-relative path, from the platform registry: ("", "")
    when the content decides (a `.yaml` may be a manifest), None when no platform reads it."""
    return platforms.claim(path)


Verdict = tuple[str, str] | None  # what platforms.claim() gives a path
_UNKNOWN: Verdict = ("?", "?")  # no verdict remembered (never one claim() gives)
CLAIMS_FORMAT = 1


class _Claims:
    """The registry's verdict on each path (platforms.claimer()), remembered in the cache
    directory between walks of a tree. A claim is by the path alone (the platform contract),
    so a verdict stays true while soc2lint's code and the platforms registered are the same:
    the entry is keyed by both (and the root), and one malformed anywhere is not used. A walk
    that asked the registry about a path not remembered writes the entry anew."""

    def __init__(self, root: str, cache_dir: str | None) -> None:
        self.root = root
        self.claimer = platforms.claimer()
        self.known: dict[str, Verdict] = {}
        self.asked: dict[str, Verdict] = {}  # the verdicts the registry gave this walk
        self.met: set[str] = set()  # paths looked up one at a time (__call__)
        self.cache = None
        if cache_dir:
            from soc2lint.pipeline.load import Cache  # here: load imports this module

            cache = Cache(Path(cache_dir))
            self.cache = cache if cache.usable else None
        if self.cache is not None:
            with contextlib.suppress(Exception):  # anything unexpected: not used at all
                self.known = _verdicts(self.cache.get(self._key()), root) or {}

    def _key(self) -> str:
        from soc2lint.pipeline.load import code_digest

        h = hashlib.sha256(f"claims\0{CLAIMS_FORMAT}\0{code_digest()}\0{self.root}\0".encode())
        h.update(platforms.identity().encode())
        return "claims-" + h.hexdigest()

    def __call__(self, path: str) -> Verdict:
        self.met.add(path)
        verdict = self.known.get(path, _UNKNOWN)
        return self.ask(path) if verdict is _UNKNOWN else verdict

    def ask(self, path: str) -> Verdict:
        """The registry's verdict on a path not remembered (the walk's inline look-up)."""
        verdict = self.asked[path] = self.claimer(path)
        return verdict

    def save(self, met: set[str] | None) -> None:
        """Write the verdicts when this walk asked the registry anything. met: when the walk
        covered the whole tree, the paths it looked up inline (with those looked up one at a
        time, every path it met: the others are gone, and dropped); else None."""
        if self.cache is None:
            return
        known = self.known
        if met is not None:
            gone = {p for p in known if p not in met and p not in self.met}
            known = {p: v for p, v in known.items() if p not in gone} if gone else known
        elif not self.asked:
            return
        if not self.asked and known is self.known:
            return  # nothing new, nothing gone
        merged = {**known, **self.asked}
        paths = sorted(merged)
        table: dict[Verdict, int] = {}
        rows = bytearray()
        for path in paths:
            verdict = merged[path]
            at = table.setdefault(verdict, len(table))
            if at > 255:
                return  # more kinds of verdict than a byte holds: not remembered
            rows.append(at)
        if any("\0" in p for p in paths):
            return  # no file name holds a NUL: not a path to remember
        verdicts = [None if v is None else list(v) for v in table]
        self.cache.put(
            self._key(),
            {
                "format": CLAIMS_FORMAT,
                "root": self.root,
                "paths": "\0".join(paths),  # one string: a load splits it, at C speed
                "verdicts": verdicts,
                "rows": bytes(rows),
            },
        )


def _verdicts(value: object, root: str) -> dict[str, Verdict] | None:
    """path -> verdict of a stored entry, or None when anything in it is not as save() wrote."""
    if not isinstance(value, dict) or set(value) != {"format", "root", "paths", "verdicts", "rows"}:
        return None
    if value["format"] != CLAIMS_FORMAT or value["root"] != root:
        return None
    joined, verdicts, rows = value["paths"], value["verdicts"], value["rows"]
    if type(joined) is not str or type(verdicts) is not list or type(rows) is not bytes:
        return None
    paths = joined.split("\0") if joined else []
    if len(rows) != len(paths) or (rows and max(rows) >= len(verdicts)):
        return None
    table: list[Verdict] = []
    for verdict in verdicts:
        if verdict is None:
            table.append(None)
        elif type(verdict) is list and len(verdict) == 2 and set(map(type, verdict)) == {str}:
            table.append((verdict[0], verdict[1]))
        else:
            return None
    known = dict(zip(paths, map(table.__getitem__, rows), strict=True))
    return known if len(known) == len(paths) else None  # a path twice: not as written


def discover(
    root: str | Path,
    targets: list[str] | None = None,
    max_bytes: int = DEFAULT_MAX_BYTES,
    exclude: list[str] | None = None,
    cache_dir: str | None = None,
) -> Discovery:
    """Walk root (or targets under it) in a stable order; never follow links out of root.
    cache_dir: where the registry's verdict on each path is remembered between walks."""
    root_path = Path(root).resolve()
    result = Discovery(str(root_path), started_ns=time.time_ns())
    ignore = _Ignore(root_path, exclude or [])
    starts = [Path(t) for t in (targets or [str(root_path)])]
    seen_dirs: set[str] = set()
    seen_files: set[str] = set()
    skip_dirs = _skip_dirs()
    kind_of = _Claims(str(root_path), cache_dir)
    remembered, ask = kind_of.known.get, kind_of.ask
    nobody: list[str] = []  # paths looked up inline that no platform reads
    make = source_file
    files, signatures, lstat, is_regular = result.files, result.signatures, os.lstat, stat.S_ISREG
    for start in starts:
        start = start if start.is_absolute() else (Path.cwd() / start)
        _force_if_ignored(start, root_path, ignore, result)
        plain = ignore.leaves_nothing_out()
        if start.is_file() or start.is_symlink() and not start.is_dir():
            _consider(start, root_path, result, ignore, max_bytes, seen_files, kind_of=kind_of)
            continue
        resolved = _resolve(start)
        if resolved is None:
            result.skipped.append(Skipped(_rel(start, root_path), "symbolic link loop"))
            continue
        if not _inside(resolved, root_path):
            reason = (
                "symbolic link leads outside the scanned root"
                if start.is_symlink()
                else "outside the scanned root"
            )
            result.skipped.append(Skipped(_rel(start, root_path), reason))
            continue

        def unreadable(exc: OSError) -> None:
            where = _rel(Path(exc.filename), root_path) if exc.filename else "?"
            result.skipped.append(Skipped(where, f"cannot read directory: {exc.strerror or exc}"))

        # each directory's real path and relative path, from its parent's (a directory that is
        # no link adds its name to both): no realpath() or pathlib per directory
        known = {os.fspath(start): (os.path.realpath(start), _rel(start, root_path))}
        for dirpath, dirnames, filenames, linked in _walk(os.fspath(start), unreadable):
            real, rel_dir = known.pop(dirpath, None) or (
                os.path.realpath(dirpath),
                _rel(Path(dirpath), root_path),
            )
            if real in seen_dirs:
                dirnames[:] = []
                continue
            seen_dirs.add(real)
            keep, links = [], []
            prefix = dirpath if dirpath.endswith("/") else dirpath + "/"  # os.path.join's
            real_prefix = real if real.endswith("/") else real + "/"
            for d in sorted(dirnames):
                full = prefix + d
                rel = f"{rel_dir}/{d}" if rel_dir else d
                if d in skip_dirs:
                    continue
                reason = ignore.reason(rel + "/")
                if reason:
                    result.excluded.append({"path": rel + "/", "reason": reason})
                    continue
                if d in linked:
                    target = _resolve(Path(full))
                    if target is None:
                        result.skipped.append(Skipped(rel, "symbolic link loop"))
                        continue
                    if not _inside(target, root_path):
                        result.skipped.append(
                            Skipped(rel, "symbolic link leads outside the scanned root")
                        )
                        continue
                    if str(target) in seen_dirs or _inside(Path(dirpath).resolve(), target):
                        result.skipped.append(Skipped(rel, "symbolic link loop"))
                        continue
                    links.append(full)
                else:
                    known[full] = (real_prefix + d, rel)
                keep.append(d)
            dirnames[:] = keep
            # symlinked dirs inside root are walked by hand (os.walk does not follow them)
            for full in links:
                for sub, _dirs, files in os.walk(full, onerror=unreadable, followlinks=False):
                    for f in sorted(files):
                        _consider(
                            Path(sub) / f,
                            root_path,
                            result,
                            ignore,
                            max_bytes,
                            seen_files,
                            kind_of=kind_of,
                        )
            rel_prefix = rel_dir + "/" if rel_dir else ""
            for name in sorted(filenames):
                rel = rel_prefix + name
                if not (plain and rel.isascii()) or rel in seen_files:
                    _consider(
                        prefix + name,
                        root_path,
                        result,
                        ignore,
                        max_bytes,
                        seen_files,
                        rel,
                        kind_of,
                    )
                    continue
                # _consider, for the common case: a name that is ASCII (so valid UTF-8), seen
                # for the first time, in a walk that leaves nothing out (plain)
                kind = remembered(rel, _UNKNOWN)
                if kind is _UNKNOWN:
                    kind = ask(rel)
                if kind is None:
                    nobody.append(rel)
                    _unsupported(rel, result, ignore, seen_files)
                    continue
                seen_files.add(rel)
                full = prefix + name
                try:
                    info = lstat(full)
                except OSError:
                    seen_files.discard(rel)
                    _consider(full, root_path, result, ignore, max_bytes, seen_files, rel, kind_of)
                    continue
                size = info.st_size
                if not is_regular(info.st_mode) or size > max_bytes:  # a link, or to skip
                    seen_files.discard(rel)
                    _consider(full, root_path, result, ignore, max_bytes, seen_files, rel, kind_of)
                    continue
                files.append(make(rel, full, kind[0], kind[1]))
                signatures[rel] = signature(info)
    _name_ignore_sources(ignore, result)
    whole = [os.path.abspath(s) for s in starts] == [str(root_path)]
    kind_of.save(seen_files.union(nobody) if whole else None)
    result.files.sort(key=lambda f: f.path)
    result.skipped.sort(key=lambda s: s.path)
    result.excluded.sort(key=lambda e: e["path"])
    result.unsupported.sort(key=lambda u: u["path"])
    return result


def _walk(
    top: str, onerror: Callable[[OSError], None]
) -> Iterator[tuple[str, list[str], list[str], set[str]]]:
    """os.walk(top, onerror=onerror, followlinks=False), top-down, yielding with each directory
    the names of its subdirectories that are symbolic links (as os.scandir's entries tell
    them, without a status call each: os.walk asks os.path.islink of every directory). A
    subdirectory's path is its parent's and its name joined as os.path.join joins them; the
    walk goes into the subdirectories the caller leaves in the list, in its order."""
    stack = [top]
    while stack:
        top = stack.pop()
        dirs: list[str] = []
        nondirs: list[str] = []
        linked: set[str] = set()
        try:
            entries = os.scandir(top)
        except OSError as error:
            onerror(error)
            continue
        with entries:
            failed = False
            while True:
                try:
                    entry = next(entries)
                except StopIteration:
                    break
                except OSError as error:
                    onerror(error)
                    failed = True
                    break
                try:
                    is_dir = entry.is_dir()
                except OSError:
                    is_dir = False
                if is_dir:
                    dirs.append(entry.name)
                    try:
                        if entry.is_symlink():
                            linked.add(entry.name)
                    except OSError:
                        pass
                else:
                    nondirs.append(entry.name)
        if failed:
            continue  # as os.walk: a directory whose listing fails midway is not yielded
        yield top, dirs, nondirs, linked
        base = top if top.endswith("/") else top + "/"
        stack.extend(base + name for name in reversed(dirs) if name not in linked)


def _force_if_ignored(start: Path, root: Path, ignore: _Ignore, result: Discovery) -> None:
    """A path named on the command line is scanned even when an ignore file leaves it out (as
    ruff and eslint do), with a note saying so."""
    if not _inside(start.absolute(), root) or start.absolute() == root:
        return
    rel = _rel(start, root)
    if not rel or ignore.ignored_by(rel + ("/" if start.is_dir() else "")) is None:
        return
    ignore.forced.append(rel)
    why = ignore.sources([rel]).get(rel, IGNORED)
    result.notes.append({"path": rel, "message": f"{why}, but named on the command line: scanned"})


def _name_ignore_sources(ignore: _Ignore, result: Discovery) -> None:
    """Say which ignore file (and line) leaves each ignored path out."""
    ignored = [e["path"] for e in result.excluded if e["reason"] == IGNORED]
    named = ignore.sources([p.rstrip("/") for p in ignored])
    for entry in result.excluded:
        if entry["reason"] == IGNORED and entry["path"].rstrip("/") in named:
            entry["reason"] = named[entry["path"].rstrip("/")]


def read_text(
    source: SourceFile, max_bytes: int = DEFAULT_MAX_BYTES
) -> tuple[str | None, str, Skipped | None]:
    """(text, sha256, skip reason) for a file; binary, non-UTF-8 and huge files are skipped."""
    try:
        if Path(source.abspath).stat().st_size > max_bytes:
            return None, "", Skipped(source.path, f"larger than the size cap ({max_bytes} bytes)")
        raw = Path(source.abspath).read_bytes()
    except OSError as exc:
        return None, "", Skipped(source.path, f"cannot read: {exc.strerror or exc}")
    digest = hashlib.sha256(raw).hexdigest()
    if b"\x00" in raw[:8192]:
        return None, digest, Skipped(source.path, "binary file (contains NUL bytes)")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        return None, digest, Skipped(source.path, f"not UTF-8 (byte {exc.start})")
    return text, digest, None


def _consider(
    path: Path | str,
    root: Path,
    result: Discovery,
    ignore: _Ignore,
    max_bytes: int,
    seen: set[str],
    rel: str | None = None,
    kind_of: Callable[[str], tuple[str, str] | None] = classify,
) -> None:
    """One file found; rel: its repository-relative path, when the walk knows it already;
    kind_of: classify, or the walk's platforms.claimer()."""
    if rel is None:
        rel = _rel(Path(path), root)
    if not _valid_name(rel):
        shown = printable_name(rel)
        if shown not in seen:
            seen.add(shown)
            result.skipped.append(Skipped(shown, "file name is not valid UTF-8"))
        return
    kind = kind_of(rel)
    if kind is None:
        _unsupported(rel, result, ignore, seen)
        return
    if rel in seen:
        return
    seen.add(rel)
    reason = ignore.reason(rel)
    if reason:
        result.excluded.append({"path": rel, "reason": reason})
        return
    try:
        info = os.lstat(path)  # one call for most files: what is not a link is its own target
        if stat.S_ISLNK(info.st_mode):
            target = _resolve(Path(path))
            if target is None:
                result.skipped.append(Skipped(rel, "symbolic link loop"))
                return
            if not _inside(target, root):
                result.skipped.append(Skipped(rel, "symbolic link leads outside the scanned root"))
                return
            if not target.exists():
                result.skipped.append(Skipped(rel, "broken symbolic link"))
                return
            info = os.stat(path)
    except OSError as exc:
        result.skipped.append(Skipped(rel, f"cannot read: {exc.strerror or exc}"))
        return
    if not stat.S_ISREG(info.st_mode):  # a FIFO or device would block or never end
        result.skipped.append(Skipped(rel, "not a regular file"))
        return
    size = info.st_size
    if size > max_bytes:
        result.skipped.append(
            Skipped(rel, f"larger than the size cap ({size} > {max_bytes} bytes)")
        )
        return
    result.files.append(SourceFile(rel, os.fspath(path), kind[0], kind[1]))
    result.signatures[rel] = signature(info)


def _unsupported(rel: str, result: Discovery, ignore: _Ignore, seen: set[str]) -> None:
    """An infrastructure file no platform reads is listed, never silently passed."""
    kind = unsupported.by_path(rel)
    if kind is None or rel in seen:
        return
    seen.add(rel)
    reason = ignore.reason(rel)
    if reason:
        result.excluded.append({"path": rel, "reason": reason})
        return
    result.unsupported.append({"path": rel, "kind": kind})


def _resolve(path: Path) -> Path | None:
    """path with every link followed; None for a link loop (a.tf -> b.tf -> a.tf)."""
    try:
        return path.resolve()
    except (RuntimeError, OSError):  # Python < 3.13 raises RuntimeError for a loop
        return None


def _valid_name(rel: str) -> bool:
    """Whether a path is valid UTF-8 (os.walk hands other bytes over as surrogates)."""
    try:
        rel.encode("utf-8")
        return True
    except UnicodeEncodeError:
        return False


def printable_name(rel: str) -> str:
    """A path that is not valid UTF-8, with its stray bytes written as \\xNN."""
    return rel.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")


def _rel(path: Path, root: Path) -> str:
    try:
        rel = path.absolute().relative_to(root)
    except ValueError:
        rel = Path(os.path.relpath(path.absolute(), root))
    text = rel.as_posix()
    return "" if text == "." else text


def _inside(path: Path, root: Path) -> bool:
    try:
        path.relative_to(root)
        return True
    except ValueError:
        return False


def _gitignore_spec(lines: list[str]) -> pathspec.PathSpec:
    # imported here: inside a git repository (git decides what is ignored) a scan without
    # --exclude needs no pattern matching of its own
    import pathspec

    return pathspec.PathSpec.from_lines("gitignore", lines)


class _Ignore:
    """--exclude and configuration patterns, then the ignore files as git applies them (nested
    .gitignore files, .git/info/exclude, the user's global excludes). A file git tracks is part
    of the repository (and of the change under review) whatever an ignore file says, so it is
    scanned. Outside a repository the .gitignore files under the root are read by hand."""

    def __init__(self, root: Path, exclude: list[str]) -> None:
        self.exclude = [(p, _gitignore_spec([p])) for p in exclude]
        self.root = root
        self.forced: list[str] = []  # named on the command line: scanned even when ignored
        self._git = (root / ".git").exists()
        self._ignored: set[str] | None = None  # what git ignores (directories end with "/")
        self._specs: dict[str, pathspec.PathSpec | None] = {}  # outside git: dir -> .gitignore
        self._directories: dict[str, bool] = {}  # in git: whether git ignores a directory

    def leaves_nothing_out(self) -> bool:
        """True when reason() is None for every path: no pattern, no path named on the command
        line, and git (whose verdict decides) ignores nothing."""
        return not self.exclude and not self.forced and self._git and not self._git_ignored()

    def reason(self, rel: str) -> str | None:
        """Why rel (a directory when it ends with "/") is left out, or None."""
        for pattern, spec in self.exclude:
            if spec.match_file(rel):
                return f"excluded by pattern {pattern!r}"
        if any(rel == f or rel.startswith(f + "/") for f in self.forced):
            return None
        return self.ignored_by(rel)

    def ignored_by(self, rel: str) -> str | None:
        """The ignore file that leaves rel out ("ignored by .gitignore"), or None."""
        if self._git:
            ignored = self._git_ignored()
            if not ignored:
                return None
            directory, _, _name = rel.rstrip("/").rpartition("/")
            if directory and self._git_ignores_directory(directory):
                return IGNORED
            path = rel.rstrip("/")
            return IGNORED if path in ignored or path + "/" in ignored else None
        directory = ""
        for part in rel.rstrip("/").split("/")[:-1] + [None]:  # type: ignore[list-item]
            spec = self._spec(directory)
            tail = rel[len(directory) + 1 :] if directory else rel
            if spec is not None and spec.match_file(tail):
                return IGNORED
            if part is None:
                break
            directory = f"{directory}/{part}" if directory else part
        return None

    def _git_ignores_directory(self, directory: str) -> bool:
        """Whether git ignores a directory or one above it (each directory asked once)."""
        verdict = self._directories.get(directory)
        if verdict is None:
            ignored = self._git_ignored()
            parent = directory.rpartition("/")[0]
            verdict = self._directories[directory] = (
                directory in ignored
                or directory + "/" in ignored
                or (bool(parent) and self._git_ignores_directory(parent))
            )
        return verdict

    def _spec(self, directory: str) -> pathspec.PathSpec | None:
        if directory not in self._specs:
            lines: list[str] = []
            path = self.root / directory / ".gitignore"
            if path.is_file():
                try:
                    lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
                except OSError:
                    lines = []
            self._specs[directory] = _gitignore_spec(lines) if lines else None
        return self._specs[directory]

    def _git_ignored(self) -> set[str]:
        """Untracked paths git ignores, a directory once (with "/") rather than its files."""
        if self._ignored is None:
            out = _git(
                self.root,
                "ls-files",
                "-z",
                "--others",
                "--ignored",
                "--exclude-standard",
                "--directory",
            )
            self._ignored = set(out.split("\0")) - {""} if out is not None else set()
        return self._ignored

    def sources(self, paths: list[str]) -> dict[str, str]:
        """path -> "ignored by FILE:LINE (PATTERN)" for ignored paths, as git tells it (the
        pattern may match the path or a directory above it)."""
        if not self._git or not paths:
            return {}
        asked = {p: [p, *_ancestors(p)] for p in paths}
        every = sorted({c for chain in asked.values() for c in chain})
        listed = "".join(f"{p}\0" for p in every).encode()
        out = _git(self.root, "check-ignore", "-v", "-z", "--stdin", given=listed)
        if out is None:
            return {}
        fields = out.split("\0")
        matched = {}
        for i in range(0, len(fields) - 3, 4):
            source, line, pattern, path = fields[i : i + 4]
            if source and not pattern.startswith("!"):
                matched[path] = f"ignored by {_shown_source(self.root, source)}:{line} ({pattern})"
        found = {}
        for path, chain in asked.items():
            hit = next((matched[c] for c in chain if c in matched), None)
            if hit is not None:
                found[path] = hit
        return found


IGNORED = "ignored by .gitignore"


def _ancestors(path: str) -> list[str]:
    """The directories above a repository-relative path, nearest first."""
    parts = path.rstrip("/").split("/")[:-1]
    return ["/".join(parts[:i]) for i in range(len(parts), 0, -1)]


def _shown_source(root: Path, source: str) -> str:
    """An ignore file as the report shows it: repository-relative, else as git names it."""
    full = Path(source) if os.path.isabs(source) else root / source
    try:
        return full.resolve().relative_to(root).as_posix()
    except (ValueError, OSError):
        return source


def _git(root: Path, *args: str, given: bytes | None = None) -> str | None:
    try:
        done = subprocess.run(
            ["git", "-C", str(root), *args],
            input=given,
            capture_output=True,
            timeout=60,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    # check-ignore exits 1 when nothing is ignored
    return done.stdout.decode("utf-8", "replace") if done.returncode in (0, 1) else None
