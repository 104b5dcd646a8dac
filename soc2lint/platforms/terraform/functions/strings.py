"""Terraform string functions (upper, trimprefix, replace, regex forms, ...)."""

from __future__ import annotations

import re
import unicodedata
from typing import Any

from soc2lint.engine.linear_regex import RegexError, compile_linear
from soc2lint.platforms.terraform.functions.core import (
    MAX_STRING,
    BudgetExceeded,
    _chars,
    _int,
    _list,
    _str,
    _Unsupported,
    function,
)

# --- strings ----------------------------------------------------------------------------------


def _simple_case(mapped: str, char: str) -> str:
    """A one-character case mapping, as Go applies it (no 'ß' -> 'SS')."""
    return mapped if len(mapped) == 1 else char


@function("upper")
def _upper(text: Any) -> str:
    """upper(s): s in upper case."""
    return "".join(_simple_case(c.upper(), c) for c in _str(text))


@function("lower")
def _lower(text: Any) -> str:
    """lower(s): s in lower case."""
    return "".join(_simple_case(c.lower(), c) for c in _str(text))


def _word_separator(char: str) -> bool:
    """True where Go's strings.Title starts a new word after char."""
    if char < "\x80":
        return not (char.isalnum() or char == "_")
    category = unicodedata.category(char)
    return not (category[0] == "L" or category == "Nd") and char.isspace()


@function("title")
def _title(text: Any) -> str:
    """title(s): the first letter of each word in upper case, the rest unchanged."""
    out, previous = [], " "
    for char in _str(text):
        out.append(_simple_case(char.title(), char) if _word_separator(previous) else char)
        previous = char
    return "".join(out)


@function("trimspace")
def _trimspace(text: Any) -> str:
    """trimspace(s): s without leading and trailing whitespace."""
    return _str(text).strip()


@function("trim")
def _trim(text: Any, cutset: Any) -> str:
    """trim(s, chars): s without leading and trailing characters from chars."""
    return _str(text).strip(_str(cutset))


@function("trimprefix")
def _trimprefix(text: Any, prefix: Any) -> str:
    """trimprefix(s, prefix): s without prefix at its start."""
    return _str(text).removeprefix(_str(prefix))


@function("trimsuffix")
def _trimsuffix(text: Any, suffix: Any) -> str:
    """trimsuffix(s, suffix): s without suffix at its end."""
    return _str(text).removesuffix(_str(suffix))


@function("startswith")
def _startswith(text: Any, prefix: Any) -> bool:
    """startswith(s, prefix): whether s begins with prefix."""
    return _str(text).startswith(_str(prefix))


@function("endswith")
def _endswith(text: Any, suffix: Any) -> bool:
    """endswith(s, suffix): whether s ends with suffix."""
    return _str(text).endswith(_str(suffix))


@function("substr")
def _substr(text: Any, offset: Any, length: Any) -> str:
    """substr(s, offset, length): a substring; negative offset counts from the end, negative
    length takes the rest."""
    text, start, size = _chars(_str(text)), _int(offset), _int(length)
    if start < 0:
        start = max(len(text) + start, 0)
    return text[start:] if size < 0 else text[start : start + size]


@function("split")
def _split(separator: Any, text: Any) -> list[str]:
    """split(sep, s): s divided at every sep (an empty sep splits into characters)."""
    separator, text = _str(separator), _str(text)
    return text.split(separator) if separator else list(text)


@function("join")
def _join(separator: Any, *lists: Any) -> str:
    """join(sep, lists...): the elements of the lists joined with sep."""
    if not lists:
        raise TypeError("join needs at least one list")
    parts = [_str(item) for items in lists for item in _list(items)]
    sep = _str(separator)
    if sum(map(len, parts)) + len(sep) * len(parts) > MAX_STRING:
        raise BudgetExceeded(f"join() would build more than {MAX_STRING} characters")
    return sep.join(parts)


@function("replace")
def _replace(text: Any, search: Any, replacement: Any) -> str:
    """replace(s, substring, replacement): every occurrence replaced; /re/ is a regex."""
    text, search, replacement = _str(text), _str(search), _str(replacement)
    if len(search) > 1 and search.startswith("/") and search.endswith("/"):
        return _regex_replace(text, search[1:-1], replacement)
    if len(replacement) > len(search):
        found = text.count(search) if search else len(text) + 1
        if len(text) + found * (len(replacement) - len(search)) > MAX_STRING:
            raise BudgetExceeded(f"replace() would build more than {MAX_STRING} characters")
    return text.replace(search, replacement)


# Go's regexp is RE2 syntax; only \C (one byte) is RE2's alone
_REGEX_DIFFERENCES = re.compile(r"\\C")
_REPLACEMENT_REFERENCE = re.compile(r"\$(?:(\$)|\{(\w+)\}|(\w+))")


def _regex(pattern: str, text: str) -> Any:
    """pattern compiled by RE2, the engine (and syntax) of Go's regexp that Terraform uses, in
    linear time; _Unsupported for a pattern Terraform would reject too."""
    if _REGEX_DIFFERENCES.search(pattern.replace("\\\\", "")):
        raise _Unsupported(f"regular expression {pattern!r}: \\C is not in Go's regexp")
    try:
        return compile_linear(pattern)
    except RegexError as exc:
        raise _Unsupported(f"regular expression {pattern!r}: {exc}") from None


def _expand(template: str, match: re.Match[str]) -> str:
    """template with Go's $1, ${1}, $name, ${name} and $$ references filled from match."""

    def reference(ref: re.Match[str]) -> str:
        if ref.group(1):
            return "$"
        name = ref.group(2) or ref.group(3)
        try:
            return match.group(int(name) if name.isdigit() else name) or ""
        except (IndexError, ValueError):
            return ""

    return _REPLACEMENT_REFERENCE.sub(reference, template)


def _regex_replace(text: str, pattern: str, template: str) -> str:
    """Every match of pattern in text replaced as Go's ReplaceAllString does."""
    out, last, previous_end = [], 0, -1
    for match in _regex(pattern, text).finditer(text):
        if match.start() == match.end() == previous_end:
            continue  # Go skips an empty match right after another match
        out += [text[last : match.start()], _expand(template, match)]
        last = previous_end = match.end()
    return "".join(out) + text[last:]
