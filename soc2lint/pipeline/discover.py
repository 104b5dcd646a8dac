"""Find the files to scan under the given paths, and say which were skipped and why."""

from __future__ import annotations

import hashlib
import os
import stat
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

import pathspec

from soc2lint import platforms
from soc2lint.model import Skipped

DEFAULT_MAX_BYTES = 2 * 1024 * 1024
# directories that hold tools' copies, never sources (platforms add their own)
_SKIP_DIRS = {".git", "node_modules", ".venv", "venv", "__pycache__", ".tox"}


def _skip_dirs() -> set[str]:
    return _SKIP_DIRS.union(*(p.skip_dirs for p in platforms.platforms()))


@dataclass(frozen=True, slots=True)
class SourceFile:
    path: str  # relative to the root, POSIX separators
    abspath: str
    platform: str  # the platform that claims it by path; "" when its content decides
    kind: str  # the platform's kind of file: "tf", "tfvars", "workflow", ...


@dataclass
class Discovery:
    root: str
    files: list[SourceFile] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    # left out on purpose: {path, reason}; directories end with "/"
    excluded: list[dict] = field(default_factory=list)


def classify(path: str) -> tuple[str, str] | None:
    """(platform, kind) for a repository-relative path, from the platform registry: ("", "")
    when the content decides (a `.yaml` may be a manifest), None when no platform reads it."""
    return platforms.claim(path)


def discover(
    root: str | Path,
    targets: list[str] | None = None,
    max_bytes: int = DEFAULT_MAX_BYTES,
    exclude: list[str] | None = None,
) -> Discovery:
    """Walk root (or targets under it) in a stable order; never follow links out of root."""
    root_path = Path(root).resolve()
    result = Discovery(str(root_path))
    ignore = _Ignore(root_path, exclude or [])
    starts = [Path(t) for t in (targets or [str(root_path)])]
    seen_dirs: set[str] = set()
    seen_files: set[str] = set()
    skip_dirs = _skip_dirs()
    for start in starts:
        start = start if start.is_absolute() else (Path.cwd() / start)
        if start.is_file() or start.is_symlink() and not start.is_dir():
            _consider(start, root_path, result, ignore, max_bytes, seen_files)
            continue
        if not _inside(start.resolve(), root_path):
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

        for dirpath, dirnames, filenames in os.walk(start, onerror=unreadable, followlinks=False):
            real = os.path.realpath(dirpath)
            if real in seen_dirs:
                dirnames[:] = []
                continue
            seen_dirs.add(real)
            rel_dir = _rel(Path(dirpath), root_path)
            keep = []
            for d in sorted(dirnames):
                full = Path(dirpath) / d
                rel = f"{rel_dir}/{d}" if rel_dir else d
                if d in skip_dirs:
                    continue
                reason = ignore.reason(rel + "/")
                if reason:
                    if reason != _UNTRACKED:
                        result.excluded.append({"path": rel + "/", "reason": reason})
                    continue
                if full.is_symlink():
                    target = full.resolve()
                    if not _inside(target, root_path):
                        result.skipped.append(
                            Skipped(rel, "symbolic link leads outside the scanned root")
                        )
                        continue
                    if str(target) in seen_dirs or _inside(Path(dirpath).resolve(), target):
                        result.skipped.append(Skipped(rel, "symbolic link loop"))
                        continue
                keep.append(d)
            dirnames[:] = keep
            # symlinked dirs inside root are walked by hand (os.walk does not follow them)
            for d in keep:
                full = Path(dirpath) / d
                if full.is_symlink():
                    for sub, _dirs, files in os.walk(full, onerror=unreadable, followlinks=False):
                        for f in sorted(files):
                            _consider(
                                Path(sub) / f, root_path, result, ignore, max_bytes, seen_files
                            )
            for name in sorted(filenames):
                _consider(Path(dirpath) / name, root_path, result, ignore, max_bytes, seen_files)
    result.files.sort(key=lambda f: f.path)
    result.skipped.sort(key=lambda s: s.path)
    result.excluded.sort(key=lambda e: e["path"])
    return result


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
    path: Path,
    root: Path,
    result: Discovery,
    ignore: _Ignore,
    max_bytes: int,
    seen: set[str],
) -> None:
    rel = _rel(path, root)
    kind = classify(rel)
    if kind is None:
        return
    if rel in seen:
        return
    seen.add(rel)
    reason = ignore.reason(rel)
    if reason:
        if reason != _UNTRACKED:
            result.excluded.append({"path": rel, "reason": reason})
        return
    if path.is_symlink():
        target = path.resolve()
        if not _inside(target, root):
            result.skipped.append(Skipped(rel, "symbolic link leads outside the scanned root"))
            return
        if not target.exists():
            result.skipped.append(Skipped(rel, "broken symbolic link"))
            return
    try:
        info = path.stat()
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
    result.files.append(SourceFile(rel, str(path), kind[0], kind[1]))


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


_UNTRACKED = "ignored by .gitignore and not in git"


class _Ignore:
    """--exclude and configuration patterns, then .gitignore; a file git tracks is part of the
    repository (and of the change under review) whatever .gitignore says, so it is scanned."""

    def __init__(self, root: Path, exclude: list[str]) -> None:
        self.exclude = [(p, pathspec.PathSpec.from_lines("gitignore", [p])) for p in exclude]
        lines: list[str] = []
        gitignore = root / ".gitignore"
        if gitignore.is_file():
            try:
                lines = gitignore.read_text(encoding="utf-8", errors="replace").splitlines()
            except OSError:
                lines = []
        self.gitignore = pathspec.PathSpec.from_lines("gitignore", lines)
        self.root = root
        self._tracked: tuple[set[str], set[str]] | None = None

    def reason(self, rel: str) -> str | None:
        """Why rel (a directory when it ends with "/") is left out, or None."""
        for pattern, spec in self.exclude:
            if spec.match_file(rel):
                return f"excluded by pattern {pattern!r}"
        if not self.gitignore.match_file(rel):
            return None
        files, dirs = self.tracked()
        if rel.rstrip("/") in (dirs if rel.endswith("/") else files):
            return None
        return _UNTRACKED

    def tracked(self) -> tuple[set[str], set[str]]:
        """(files, directories) git tracks under root; empty outside a repository."""
        if self._tracked is None:
            files: set[str] = set()
            try:
                out = subprocess.run(
                    ["git", "-C", str(self.root), "ls-files", "-z", "--full-name", "."],
                    capture_output=True,
                    timeout=60,
                    check=False,
                )
                prefix = subprocess.run(
                    ["git", "-C", str(self.root), "rev-parse", "--show-prefix"],
                    capture_output=True,
                    text=True,
                    timeout=60,
                    check=False,
                ).stdout.strip()
                if out.returncode == 0:
                    for name in out.stdout.decode("utf-8", "replace").split("\0"):
                        if name and name.startswith(prefix):
                            files.add(name[len(prefix) :])
            except (OSError, subprocess.SubprocessError):
                files = set()
            dirs = {"/".join(f.split("/")[:i]) for f in files for i in range(1, f.count("/") + 1)}
            self._tracked = (files, dirs)
        return self._tracked
