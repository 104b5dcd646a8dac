"""JSON text as located values: strict JSON (RFC 8259), with the line of every key and item.

A `.json` file is JSON: read by a YAML parser it would also take comments, anchors and
aliases (an alias bomb in a `.tf.json`), and Terraform, kubectl and the other tools would reject
it. Objects keep every property in order, repeated names included, because HCL's JSON syntax
gives a repeated block type a meaning; the consumer decides what a repeat means.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from dataclasses import dataclass
from json.decoder import scanstring
from typing import Any

MAX_DEPTH = 200

_SPACE = re.compile(r"[ \t\n\r]*")
_NUMBER = re.compile(r"-?(?:0|[1-9][0-9]*)(\.[0-9]+)?([eE][-+]?[0-9]+)?")


class JsonError(ValueError):
    def __init__(self, message: str, line: int, column: int = 0) -> None:
        super().__init__(message)
        self.message = message
        self.line = line
        self.column = column


@dataclass(frozen=True, slots=True)
class JObject:
    pairs: tuple[tuple[str, Any, int], ...]  # (name, value, line of the name)
    line: int
    end_line: int


@dataclass(frozen=True, slots=True)
class JArray:
    items: tuple[tuple[Any, int], ...]  # (value, line it starts on)
    line: int
    end_line: int


def parse(text: str) -> Any:
    """The JSON value of text: JObject, JArray, str, int, float, bool or None."""
    return _Parser(text).document()


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.breaks = [m.start() for m in re.finditer("\n", text)]

    def line(self, pos: int) -> int:
        return bisect_right(self.breaks, pos - 1) + 1

    def fail(self, message: str, pos: int) -> JsonError:
        line = self.line(pos)
        start = self.breaks[line - 2] + 1 if line > 1 else 0
        return JsonError(message, line, pos - start + 1)

    def skip(self, pos: int) -> int:
        return _SPACE.match(self.text, pos).end()  # type: ignore[union-attr]

    def document(self) -> Any:
        pos = self.skip(0)
        value, pos = self.value(pos, 0)
        pos = self.skip(pos)
        if pos != len(self.text):
            raise self.fail("extra data after the JSON value", pos)
        return value

    def value(self, pos: int, depth: int) -> tuple[Any, int]:
        if depth > MAX_DEPTH:
            raise self.fail(f"nesting deeper than {MAX_DEPTH} levels", pos)
        text = self.text
        char = text[pos : pos + 1]
        if char == "{":
            return self.object(pos, depth)
        if char == "[":
            return self.array(pos, depth)
        if char == '"':
            return self.string(pos)
        for word, value in (("true", True), ("false", False), ("null", None)):
            if text.startswith(word, pos):
                return value, pos + len(word)
        match = _NUMBER.match(text, pos)
        if match is not None and match.end() > pos:
            number = match.group()
            if match.group(1) or match.group(2):
                return float(number), match.end()
            return int(number), match.end()
        if not char:
            raise self.fail("unexpected end of file", pos)
        raise self.fail(f"unexpected character {char!r}", pos)

    def string(self, pos: int) -> tuple[str, int]:
        try:
            return scanstring(self.text, pos + 1, True)
        except ValueError:
            raise self.fail("invalid string", pos) from None

    def object(self, pos: int, depth: int) -> tuple[JObject, int]:
        start = pos
        pairs: list[tuple[str, Any, int]] = []
        pos = self.skip(pos + 1)
        if self.text.startswith("}", pos):
            return JObject((), self.line(start), self.line(pos)), pos + 1
        while True:
            if not self.text.startswith('"', pos):
                raise self.fail("expected a property name in double quotes", pos)
            key_line = self.line(pos)
            key, pos = self.string(pos)
            pos = self.skip(pos)
            if not self.text.startswith(":", pos):
                raise self.fail("expected ':' after a property name", pos)
            value, pos = self.value(self.skip(pos + 1), depth + 1)
            pairs.append((key, value, key_line))
            pos = self.skip(pos)
            if self.text.startswith(",", pos):
                pos = self.skip(pos + 1)
            elif self.text.startswith("}", pos):
                return JObject(tuple(pairs), self.line(start), self.line(pos)), pos + 1
            else:
                raise self.fail("expected ',' or '}'", pos)

    def array(self, pos: int, depth: int) -> tuple[JArray, int]:
        start = pos
        items: list[tuple[Any, int]] = []
        pos = self.skip(pos + 1)
        if self.text.startswith("]", pos):
            return JArray((), self.line(start), self.line(pos)), pos + 1
        while True:
            item_line = self.line(pos)
            value, pos = self.value(pos, depth + 1)
            items.append((value, item_line))
            pos = self.skip(pos)
            if self.text.startswith(",", pos):
                pos = self.skip(pos + 1)
            elif self.text.startswith("]", pos):
                return JArray(tuple(items), self.line(start), self.line(pos)), pos + 1
            else:
                raise self.fail("expected ',' or ']'", pos)


def plain(value: Any) -> Any:
    """value as plain Python data (a repeated name: the last one, as most JSON readers do)."""
    if isinstance(value, JObject):
        return {key: plain(item) for key, item, _line in value.pairs}
    if isinstance(value, JArray):
        return [plain(item) for item, _line in value.items]
    return value


def repeated_name(value: Any) -> tuple[str, int] | None:
    """(name, line) of the first property name repeated within one object, if any."""
    stack = [value]
    while stack:
        node = stack.pop()
        if isinstance(node, JObject):
            seen: set[str] = set()
            for key, item, line in node.pairs:
                if key in seen:
                    return key, line
                seen.add(key)
                stack.append(item)
        elif isinstance(node, JArray):
            stack.extend(item for item, _line in node.items)
    return None


def located(value: Any) -> tuple[Any, dict[str, tuple[int, int]], int]:
    """(plain value, dotted path -> (line, 1), last line) as yamlsrc's documents give them."""
    locations: dict[str, tuple[int, int]] = {}
    stack: list[tuple[Any, str]] = [(value, "")]
    while stack:
        node, path = stack.pop()
        if isinstance(node, JObject):
            for key, item, line in node.pairs:
                child = f"{path}.{key}" if path else key
                locations[child] = (line, 1)
                stack.append((item, child))
        elif isinstance(node, JArray):
            for i, (item, line) in enumerate(node.items):
                child = f"{path}.{i}" if path else str(i)
                locations[child] = (line, 1)
                stack.append((item, child))
    end = value.end_line if isinstance(value, (JObject, JArray)) else 1
    return plain(value), locations, end
