"""Compose's `${VAR}` interpolation, as far as it is known without the environment.

The Compose specification substitutes `$VAR` and `${VAR}` from the shell and the `.env` file,
with `${VAR:-default}` / `${VAR-default}` giving a default, `${VAR:?err}` / `${VAR?err}`
requiring a value and `${VAR:+alt}` / `${VAR+alt}` an alternative when set; `$$` is a literal
`$`. A static reader knows neither the shell nor the deployment's `.env`, so a default is taken
as the value (as a CloudFormation parameter's default is) and a variable without one is Unknown.
"""

from __future__ import annotations

import re

from soc2lint.model import Unknown

_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


class _Unset(Exception):
    def __init__(self, name: str) -> None:
        self.name = name


def interpolate(text: str) -> str | Unknown:
    """The string with every substitution made, or Unknown naming the first variable that
    has no default."""
    if "$" not in text:
        return text
    try:
        value, _ = _scan(text, 0, top=True)
    except _Unset as unset:
        prefix = text[: text.find("$")].replace("$$", "$")
        return Unknown(f"${{{unset.name}}} has no default in the file", prefix=prefix)
    return value


def _scan(text: str, i: int, top: bool) -> tuple[str, int]:
    """Substitute from i up to the end (top) or to the `}` closing a default; (value, end)."""
    out: list[str] = []
    while i < len(text):
        ch = text[i]
        if ch == "}" and not top:
            return "".join(out), i
        if ch != "$":
            out.append(ch)
            i += 1
            continue
        nxt = text[i + 1 : i + 2]
        if nxt == "$":
            out.append("$")
            i += 2
        elif nxt == "{":
            value, i = _braced(text, i + 2)
            out.append(value)
        else:
            m = _NAME.match(text, i + 1)
            if m is None:  # a lone `$` is kept as written
                out.append("$")
                i += 1
            else:
                raise _Unset(m.group(0))
    return "".join(out), i


def _braced(text: str, i: int) -> tuple[str, int]:
    """`${NAME...}` starting after `${`; (value, index after the closing brace)."""
    m = _NAME.match(text, i)
    if m is None:
        raise _Unset(text[i : i + 20] or "?")
    name, i = m.group(0), m.end()
    op = ""
    for candidate in (":-", ":?", ":+", "-", "?", "+"):
        if text.startswith(candidate, i):
            op = candidate
            break
    if not op:  # `${NAME}`, or a malformed expression: either way not known here
        raise _Unset(name)
    rest, end = _scan_or_unknown(text, i + len(op))
    if end >= len(text):
        raise _Unset(name)  # no closing brace
    if op.endswith("-"):
        if isinstance(rest, _Unset):
            raise rest
        return rest, end + 1
    raise _Unset(name)  # required (`?`) or alternative (`+`): depends on whether it is set


def _scan_or_unknown(text: str, i: int) -> tuple[str | _Unset, int]:
    """The default's value, or the unset variable inside it, with the index of its `}`."""
    try:
        return _scan(text, i, top=False)
    except _Unset as unset:
        depth, j = 1, i
        while j < len(text) and depth:
            if text[j] == "{":
                depth += 1
            elif text[j] == "}":
                depth -= 1
            j += 1
        return unset, j - 1 if depth == 0 else len(text)
