"""Adopting soc2lint on a repository that already has findings: `soc2lint baseline create`
writes the baseline and names it in the configuration, so every later scan (the pre-commit
hooks and CI included) applies it without another flag. The configuration is edited as text,
one line added, so its comments and order stay as they were; the result is read back with
the configuration loader and the file restored when it would not load."""

from __future__ import annotations

import os
import re
from pathlib import Path

from soc2lint.cli.config import ConfigError, load_config

TABLE = re.compile(r"^\[tool\.soc2lint\][ \t]*(#.*)?$", re.M)


def record_baseline(config_path: str | None, root: Path, baseline: Path) -> str:
    """Name `baseline` in the configuration (a new .soc2lint.yaml at `root` when there is none)
    and say what was done, in one line."""
    path = Path(config_path) if config_path else root / ".soc2lint.yaml"
    relative = Path(os.path.relpath(baseline.resolve(), path.parent.resolve())).as_posix()
    before = path.read_text(encoding="utf-8") if path.exists() else None
    if path.name == "pyproject.toml":
        line = f'baseline = "{_toml_escape(relative)}"  # written by soc2lint baseline create\n'
        text = before or ""
        header = TABLE.search(text)
        if header:
            at = header.end() + 1 if header.end() < len(text) else len(text)
            text = text[:at] + ("" if text[:at].endswith("\n") else "\n") + line + text[at:]
        else:
            text += ("" if not text or text.endswith("\n") else "\n") + "\n[tool.soc2lint]\n" + line
    else:
        line = f"baseline: {_yaml_string(relative)}  # written by soc2lint baseline create\n"
        text = before or "# soc2lint configuration (`soc2lint init` writes a commented one)\n"
        text += ("" if text.endswith("\n") else "\n") + line
    path.write_text(text, encoding="utf-8")
    try:
        config = load_config(path, set(), root=None)
    except ConfigError as exc:
        _restore(path, before)
        return f"could not add it to {path} ({exc}); add `baseline: {relative}` there yourself"
    if not config.baseline or Path(config.baseline).resolve() != baseline.resolve():
        _restore(path, before)
        return f"could not add it to {path}; add `baseline: {relative}` there yourself"
    shown = os.path.relpath(path) if Path.cwd() in path.resolve().parents else str(path)
    made = "created" if before is None else "updated"
    return f"{shown} {made}: scans and the pre-commit hooks now apply it (commit both files)"


def _restore(path: Path, before: str | None) -> None:
    if before is None:
        path.unlink(missing_ok=True)
    else:
        path.write_text(before, encoding="utf-8")


def _yaml_string(value: str) -> str:
    """A double-quoted YAML string (a path may hold characters YAML would read otherwise)."""
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _toml_escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"')
