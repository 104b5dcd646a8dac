"""A small Dockerfile reader that keeps lines.

It follows the BuildKit frontend's rules where they matter for checks: parser directives
(`# escape=`), line continuations (the escape character at the end of a line; comment and blank
lines inside a continued instruction are dropped), heredocs (`RUN <<EOF ... EOF`, `<<-EOF`,
quoted delimiters, several per instruction), JSON (exec) and shell forms, and multi-stage builds
(`FROM image AS name`) with `ARG`s declared before the first `FROM` substituted into `FROM`.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field

_DIRECTIVE = re.compile(r"^#\s*([a-zA-Z][a-zA-Z0-9]*)\s*=\s*(.+?)\s*$")
_HEREDOC = re.compile(r"<<(-?)\s*(['\"]?)([A-Za-z_][A-Za-z0-9_]*)\2")
_VAR = re.compile(r"\$(?:\{([A-Za-z_][A-Za-z0-9_]*)(?::?[-+][^}]*)?\}|([A-Za-z_][A-Za-z0-9_]*))")


@dataclass
class Instruction:
    keyword: str  # upper case: FROM, RUN, ...
    value: str  # the arguments as written, continuations joined with a space
    line: int  # first line
    end_line: int
    heredocs: list[str] = field(default_factory=list)  # bodies of its heredocs, in order

    def exec_form(self) -> list[str] | None:
        """The JSON array form's items, or None for the shell form."""
        text = self.value.strip()
        if text.startswith("["):
            try:
                items = json.loads(text)
            except ValueError:
                return None
            if isinstance(items, list) and all(isinstance(i, str) for i in items):
                return items
        return None


def instructions(text: str) -> list[Instruction]:
    lines = text.splitlines()
    escape = "\\"
    i = 0
    # parser directives: only at the very top, before any other line
    while i < len(lines):
        m = _DIRECTIVE.match(lines[i].strip())
        if not m:
            break
        if m.group(1).lower() == "escape" and m.group(2) in ("\\", "`"):
            escape = m.group(2)
        i += 1
    out: list[Instruction] = []
    while i < len(lines):
        raw = lines[i]
        stripped = raw.strip()
        if not stripped or stripped.startswith("#"):
            i += 1
            continue
        start = i
        parts = []
        current = raw
        while True:
            body = current.rstrip()
            if body.endswith(escape) and not body.endswith(escape * 2):
                parts.append(body[:-1].strip())
                i += 1
                # comment and empty lines inside a continuation are skipped
                while i < len(lines) and (not lines[i].strip() or lines[i].strip().startswith("#")):
                    i += 1
                if i >= len(lines):
                    break
                current = lines[i]
                continue
            parts.append(body.strip())
            break
        joined = " ".join(p for p in parts if p)
        keyword, _, value = joined.partition(" ")
        end = i
        heredocs: list[str] = []
        for m in _HEREDOC.finditer(value) if keyword.upper() in ("RUN", "COPY", "ADD") else []:
            strip_tabs, delimiter = m.group(1) == "-", m.group(3)
            body_lines = []
            i += 1
            while i < len(lines) and (
                (lines[i].lstrip("\t") if strip_tabs else lines[i]) != delimiter
            ):
                body_lines.append(lines[i].lstrip("\t") if strip_tabs else lines[i])
                i += 1
            end = min(i, len(lines) - 1)
            heredocs.append("\n".join(body_lines))
        out.append(Instruction(keyword.upper(), value.strip(), start + 1, end + 1, heredocs))
        i += 1
    return out


def substitute(text: str, values: dict[str, str | None]) -> tuple[str, list[str]]:
    """`$NAME`, `${NAME}` (and `${NAME:-default}`) replaced; names with no value listed."""
    missing: list[str] = []

    def one(m: re.Match[str]) -> str:
        name = m.group(1) or m.group(2)
        whole = m.group(0)
        value = values.get(name)
        if value is None:
            default = re.match(r"\$\{[A-Za-z_][A-Za-z0-9_]*:?-([^}]*)\}", whole)
            if default:
                return default.group(1)
            missing.append(name)
            return whole
        return value

    return _VAR.sub(one, text), missing


def split_image(ref: str) -> dict:
    """`registry/name:tag@sha256:...` -> {image, tag, digest} (tag/digest absent if not written)."""
    out: dict = {"ref": ref}
    name, at, digest = ref.partition("@")
    if at:
        out["digest"] = digest
    slash = name.rfind("/")
    colon = name.rfind(":")
    if colon > slash:
        out["tag"] = name[colon + 1 :]
        name = name[:colon]
    out["image"] = name
    return out
