"""Find the files to scan under the given paths, and say which were skipped and why."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

import pathspec

from soc2lint.model import Skipped

DEFAULT_MAX_BYTES = 2 * 1024 * 1024
_SKIP_DIRS = {".git", ".terraform", "node_modules", ".venv", "venv", "__pycache__", ".tox"}


@dataclass(frozen=True, slots=True)
class SourceFile:
    path: str  # relative to the root, POSIX separators
    abspath: str
    platform: str
    kind: str  # "tf", "tfvars", "tfjson", ...


@dataclass
class Discovery:
    root: str
    files: list[SourceFile] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)


def classify(name: str) -> tuple[str, str] | None:
    """(platform, kind) for a file name, or None when no parser reads it."""
    if name.endswith(".tf"):
        return ("terraform", "tf")
    if name.endswith(".tf.json"):
        return ("terraform", "tfjson")
    if name == "terraform.tfvars" or name.endswith(".auto.tfvars"):
        return ("terraform", "tfvars")
    if name == "terraform.tfvars.json" or name.endswith(".auto.tfvars.json"):
        return ("terraform", "tfvars")
    if name.endswith((".yaml", ".yml")) or name.endswith(".json") and name not in _NOT_MANIFESTS:
        return ("yaml", "yaml")  # the platform is decided from path and content when read
    if name == "CODEOWNERS":
        return ("repository", "codeowners")
    return None


_NOT_MANIFESTS = {
    "package.json",
    "package-lock.json",
    "tsconfig.json",
    "composer.json",
    "composer.lock",
    ".eslintrc.json",
    "renovate.json",
}


def discover(
    root: str | Path,
    targets: list[str] | None = None,
    max_bytes: int = DEFAULT_MAX_BYTES,
    exclude: list[str] | None = None,
) -> Discovery:
    """Walk root (or targets under it) in a stable order; never follow links out of root."""
    root_path = Path(root).resolve()
    result = Discovery(str(root_path))
    ignore = _gitignore(root_path, exclude or [])
    starts = [Path(t) for t in (targets or [str(root_path)])]
    seen_dirs: set[str] = set()
    seen_files: set[str] = set()
    for start in starts:
        start = start if start.is_absolute() else (Path.cwd() / start)
        if start.is_file() or start.is_symlink() and not start.is_dir():
            _consider(start, root_path, result, ignore, max_bytes, seen_files)
            continue
        for dirpath, dirnames, filenames in os.walk(start, followlinks=False):
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
                if d in _SKIP_DIRS or ignore.match_file(rel + "/"):
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
                    for sub, _dirs, files in os.walk(full, followlinks=False):
                        for f in sorted(files):
                            _consider(
                                Path(sub) / f, root_path, result, ignore, max_bytes, seen_files
                            )
            for name in sorted(filenames):
                _consider(Path(dirpath) / name, root_path, result, ignore, max_bytes, seen_files)
    result.files.sort(key=lambda f: f.path)
    result.skipped.sort(key=lambda s: s.path)
    return result


def _consider(
    path: Path,
    root: Path,
    result: Discovery,
    ignore: pathspec.PathSpec,
    max_bytes: int,
    seen: set[str],
) -> None:
    kind = classify(path.name)
    if kind is None:
        return
    rel = _rel(path, root)
    if rel in seen or ignore.match_file(rel):
        return
    seen.add(rel)
    if path.is_symlink():
        target = path.resolve()
        if not _inside(target, root):
            result.skipped.append(Skipped(rel, "symbolic link leads outside the scanned root"))
            return
        if not target.exists():
            result.skipped.append(Skipped(rel, "broken symbolic link"))
            return
    try:
        size = path.stat().st_size
    except OSError as exc:
        result.skipped.append(Skipped(rel, f"cannot read: {exc.strerror or exc}"))
        return
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


def _gitignore(root: Path, extra: list[str]) -> pathspec.PathSpec:
    lines: list[str] = []
    gitignore = root / ".gitignore"
    if gitignore.is_file():
        try:
            lines = gitignore.read_text(encoding="utf-8", errors="replace").splitlines()
        except OSError:
            lines = []
    return pathspec.PathSpec.from_lines("gitignore", lines + extra)
