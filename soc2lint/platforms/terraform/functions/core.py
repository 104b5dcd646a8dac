"""The function registry and the value conversions every Terraform function shares.

The evaluator calls a function only when every argument is known; a function that raises
(TypeError, ValueError, KeyError, IndexError, ...) yields Unknown: the call is one Terraform would
reject. A valid call that soc2lint cannot evaluate faithfully returns a plain Unknown instead (see
_Unsupported). Functions not listed here are Unknown too.

Values are plain Python: str, int/float, bool, None, list (also for tuples and sets, which are
sorted lists) and dict. Arguments convert as Terraform converts them (a number where a string is
wanted becomes its decimal text; a numeric string where a number is wanted becomes the number).
Terraform measures strings in grapheme clusters; soc2lint counts code points, and where the two
could differ (combining marks, emoji sequences, CRLF) the result is Unknown.
"""

from __future__ import annotations

import functools
import json
import math
import re
import unicodedata
from collections.abc import Callable
from decimal import Context, Decimal
from typing import Any

from soc2lint.model import Unknown

FUNCTIONS: dict[str, Callable[..., Any]] = {}


# Values an attacker's expression may build: past these the evaluation stops (Unknown), before
# a string doubled through 40 locals or a number squared 40 times exhausts memory.
MAX_STRING = 8_000_000  # characters
MAX_ITEMS = 200_000  # elements of one list or map
MAX_INT_BITS = 4096


class BudgetExceeded(Exception):
    """An evaluation did more work or built a larger value than the budget allows."""


def sized(value: Any) -> Any:
    """value, if it is within the size limits; BudgetExceeded otherwise."""
    if isinstance(value, str):
        if len(value) > MAX_STRING:
            raise BudgetExceeded(f"a string longer than {MAX_STRING} characters")
    elif isinstance(value, (list, dict)):
        if len(value) > MAX_ITEMS:
            raise BudgetExceeded(f"a collection of more than {MAX_ITEMS} elements")
    elif isinstance(value, int) and value.bit_length() > MAX_INT_BITS:
        raise BudgetExceeded(f"a number of more than {MAX_INT_BITS} bits")
    return value


class _Unsupported(Exception):
    """A call Terraform accepts but soc2lint cannot evaluate faithfully: Unknown, not an error."""


def function(name: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Register fn as the Terraform function `name`."""

    def register(fn: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(fn)
        def call(*args: Any) -> Any:
            try:
                return fn(*args)
            except _Unsupported as exc:
                return Unknown(f"{name}() is not evaluated here: {exc}")

        FUNCTIONS[name] = call
        return fn

    return register


# --- values and conversions -------------------------------------------------------------------

_DECIMAL = Context(prec=200)
_NUMBER_TEXT = re.compile(r"[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?")


def _decimal(value: int | float) -> Decimal:
    """A number as an exact Decimal; floats by their shortest text, as Terraform parsed them."""
    return Decimal(repr(value)) if isinstance(value, float) else Decimal(value)


def _from_decimal(value: Decimal) -> int | float:
    """A Decimal as a Python number: int when whole."""
    return int(value) if value == value.to_integral_value() else float(value)


def to_string(value: Any) -> str:
    """The string form of a primitive, as in interpolation: decimal numbers, no exponent."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return ""
    if isinstance(value, float) and math.isfinite(value):
        if value == 0:
            return "0"
        return format(_DECIMAL.normalize(_decimal(value)), "f")
    return str(value)


def number(value: Any) -> Any:
    """value as a Terraform number (numeric strings convert), or None when it is not one."""
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return value
    if isinstance(value, str) and _NUMBER_TEXT.fullmatch(value):
        try:
            return int(value)
        except ValueError:
            result = float(value)
            return result if math.isfinite(result) else None
    return None


def _num(value: Any) -> int | float:
    """value converted to a number, or an error."""
    result = number(value)
    if result is None:
        raise TypeError(f"a number is required, not {value!r}")
    return result  # type: ignore[no-any-return]


def _int(value: Any) -> int:
    """value converted to a whole number, or an error."""
    result = _num(value)
    if isinstance(result, float):
        if not result.is_integer():
            raise ValueError(f"a whole number is required, not {value!r}")
        result = int(result)
    return result


def _str(value: Any) -> str:
    """value converted to a string (numbers and bools convert), or an error."""
    if isinstance(value, str):
        return value
    if value is None or isinstance(value, (list, dict)):
        raise TypeError(f"a string is required, not {value!r}")
    return to_string(value)


# Characters besides marks that join a grapheme cluster with their neighbours: joiners,
# variation selectors, regional indicators, emoji modifiers and tags, Hangul jamo.
_CLUSTERING = re.compile(
    "[\u1100-\u11ff\u200c\u200d\ufe00-\ufe0f\U0001f1e6-\U0001f1ff"
    "\U0001f3fb-\U0001f3ff\U000e0020-\U000e007f]"
)


def _chars(text: str) -> str:
    """text, when its code points are its characters (grapheme clusters), else _Unsupported."""
    if not text.isascii() and (
        _CLUSTERING.search(text) or any(unicodedata.category(c) in ("Mn", "Mc", "Me") for c in text)
    ):
        raise _Unsupported("the string has multi-code-point characters")
    if "\r\n" in text:
        raise _Unsupported("CRLF is a single character in Terraform")
    return text


def _not_null(value: Any) -> Any:
    """value, unless it is null: most parameters do not accept null."""
    if value is None:
        raise TypeError("argument must not be null")
    return value


def _list(value: Any) -> list[Any]:
    """value when it is a list (or tuple or set), else an error."""
    if not isinstance(value, list):
        raise TypeError(f"a list is required, not {value!r}")
    return value


def _map(value: Any) -> dict[str, Any]:
    """value when it is a map (or object), else an error."""
    if not isinstance(value, dict):
        raise TypeError(f"a map is required, not {value!r}")
    return value


def _kind(value: Any) -> str:
    """The Terraform type name of a non-null value."""
    for kind, types in _KINDS:
        if isinstance(value, types):
            return kind
    raise TypeError(f"not a Terraform value: {value!r}")


_KINDS: list[tuple[str, type | tuple[type, ...]]] = [
    ("bool", bool),
    ("number", (int, float)),
    ("string", str),
    ("list", list),
    ("map", dict),
]


def _unify(values: list[Any]) -> list[Any]:
    """values converted to one type as Terraform does: primitives mixed with strings become
    strings; other mixtures are an error."""
    kinds = {_kind(v) for v in values if v is not None}
    if len(kinds) <= 1:
        return list(values)
    if "string" in kinds and kinds <= {"string", "number", "bool"}:
        return [v if v is None else to_string(v) for v in values]
    raise TypeError(f"values of types {sorted(kinds)} have no common type")


_JSON_ESCAPES = str.maketrans(
    {"<": "\\u003c", ">": "\\u003e", "&": "\\u0026", "\u2028": "\\u2028", "\u2029": "\\u2029"}
)


def _json(value: Any) -> str:
    """Minified JSON as Terraform writes it: sorted keys, plain numbers, HTML-safe strings."""
    if value is None or isinstance(value, bool):
        return "null" if value is None else to_string(value)
    if isinstance(value, (int, float)):
        if isinstance(value, float) and not math.isfinite(value):
            raise ValueError("infinity or NaN cannot be encoded as JSON")
        return to_string(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False).translate(_JSON_ESCAPES)
    if isinstance(value, list):
        return "[" + ",".join(_json(item) for item in value) + "]"
    if isinstance(value, dict):
        items = (f"{_json(str(k))}:{_json(value[k])}" for k in sorted(value))
        return "{" + ",".join(items) + "}"
    raise TypeError(f"cannot encode {value!r} as JSON")


def _set_order(value: Any) -> tuple[int, Any, str]:
    """A sort key giving Terraform's set order: numbers, strings, bools, then the rest."""
    if isinstance(value, bool):
        return (2, int(value), "")
    if isinstance(value, (int, float)):
        return (0, value, "")
    if isinstance(value, str):
        return (1, 0, value)
    return (3, 0, _json(value))


def _distinct(values: list[Any]) -> list[Any]:
    """values without repeats (Terraform equality: 1 == 1.0, 1 != true), first one kept."""
    seen: dict[str, Any] = {}
    for value in values:
        seen.setdefault(_json(value), value)
    return list(seen.values())


@function("tostring")
def _tostring(value: Any) -> str | None:
    """tostring(v): a primitive as a string; null stays null."""
    return None if value is None else _str(value)


@function("tonumber")
def _tonumber(value: Any) -> int | float | None:
    """tonumber(v): a number or numeric string as a number; null stays null."""
    return None if value is None else _num(value)


@function("tobool")
def _tobool(value: Any) -> bool | None:
    """tobool(v): a bool or "true"/"false" as a bool; null stays null."""
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, str) and value in ("true", "false"):
        return value == "true"
    raise ValueError(f"cannot convert {value!r} to bool")


@function("tolist")
def _tolist(value: Any) -> list[Any] | None:
    """tolist(v): a tuple or set as a list of one element type; null stays null."""
    return None if value is None else _unify(_list(value))


@function("toset")
def _toset(value: Any) -> list[Any] | None:
    """toset(v): a list as a set (a sorted list without repeats); null stays null."""
    if value is None:
        return None
    return sorted(_distinct(_unify(_list(value))), key=_set_order)


@function("tomap")
def _tomap(value: Any) -> dict[str, Any] | None:
    """tomap(v): an object as a map of one element type; null stays null."""
    if value is None:
        return None
    mapping = _map(value)
    return dict(zip(mapping, _unify(list(mapping.values())), strict=True))
