"""Terraform's built-in functions that soc2lint evaluates: pure, over known values only.

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

import base64
import functools
import ipaddress
import json
import math
import re
import unicodedata
import warnings
from collections.abc import Callable
from decimal import Context, Decimal
from fractions import Fraction
from typing import Any

from soc2lint.model import Unknown

FUNCTIONS: dict[str, Callable[..., Any]] = {}


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
    return _str(separator).join(_str(item) for items in lists for item in _list(items))


@function("replace")
def _replace(text: Any, search: Any, replacement: Any) -> str:
    """replace(s, substring, replacement): every occurrence replaced; /re/ is a regex."""
    text, search, replacement = _str(text), _str(search), _str(replacement)
    if len(search) > 1 and search.startswith("/") and search.endswith("/"):
        return _regex_replace(text, search[1:-1], replacement)
    return text.replace(search, replacement)


# Go's RE2 and Python's re share most syntax; refuse the constructs that differ or that only
# one of them accepts, so a pattern is either evaluated as Terraform would or left Unknown.
_REGEX_DIFFERENCES = re.compile(r"\\[pPzCQEZ1-9]|\[\[:|\(\?<?[=!]|\(\?[>(]|\(\?P=|[*+?}]\+")
_REPLACEMENT_REFERENCE = re.compile(r"\$(?:(\$)|\{(\w+)\}|(\w+))")


def _regex(pattern: str, text: str) -> re.Pattern[str]:
    """pattern (RE2 syntax) compiled with Python's re; _Unsupported where the two may differ."""
    plain = pattern.replace("\\\\", "")
    if _REGEX_DIFFERENCES.search(plain):
        raise _Unsupported(f"regular expression {pattern!r} differs between RE2 and Python")
    if "$" in plain and text.endswith("\n"):
        raise _Unsupported("$ before a final newline matches differently in Python")
    try:
        with warnings.catch_warnings():  # "possible nested set" notes: same meaning as in RE2
            warnings.simplefilter("ignore", FutureWarning)
            return re.compile(re.sub(r"\(\?<(?=\w)", "(?P<", pattern), re.ASCII)
    except re.error as exc:
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


# --- format -----------------------------------------------------------------------------------

_VERB = re.compile(
    r"%(?:(%)|([-+# 0]*)(?:\[([1-9][0-9]*)\])?([1-9][0-9]*|\*)?(?:\.([0-9]*|\*))?([A-Za-z])|)"
)
_MAX_WIDTH = 10_000


@function("format")
def _format(spec: Any, *args: Any) -> str:
    """format(spec, values...): printf-style formatting with Terraform's verbs."""
    spec = _str(spec)
    out, last, next_arg, used = [], 0, 0, 0
    for match in _VERB.finditer(spec):
        out.append(spec[last : match.start()])
        last = match.end()
        if match.group(1):
            out.append("%")
            continue
        flags, index, width, precision, verb = match.group(2, 3, 4, 5, 6)
        if verb is None:
            raise ValueError(f"invalid format string at offset {match.start()}")
        if "*" in (width, precision):
            raise _Unsupported("* width or precision")
        position = int(index) - 1 if index else next_arg
        if position >= len(args):
            raise IndexError(f"not enough arguments for {match.group()!r}")
        next_arg = position + 1
        used = max(used, next_arg)
        size = int(width) if width else None
        places = None if precision is None else int(precision or 0)
        if max(size or 0, places or 0) > _MAX_WIDTH:
            raise _Unsupported("format width or precision too large")
        out.append(_format_value(verb, flags, size, places, args[position]))
    if used < len(args):
        raise ValueError(f"too many arguments; only {used} used by format string")
    return "".join(out) + spec[last:]


def _format_value(
    verb: str, flags: str, width: int | None, precision: int | None, value: Any
) -> str:
    """One formatted value for the verb letter with its flags, width and precision."""
    if value is None and verb != "v":
        raise ValueError(f"null value cannot be formatted with %{verb}")
    if verb == "v":
        if "#" not in flags and isinstance(value, str):
            return _pad(value, width, flags)
        if "#" not in flags and isinstance(value, (int, float)) and not isinstance(value, bool):
            return _pad(_g(_decimal(value), None, "e"), width, flags)
        return _pad(_json(value), width, flags)
    if verb == "t":
        return to_string(_tobool(value))
    if verb in "bdoxX":
        return _format_integer(verb, flags, width, precision, _int(value))
    if verb in "eEfgG":
        return _format_float(verb, flags, width, precision, _num(value))
    if verb in "sq":
        text = _str(value)
        if precision:
            text = _chars(text)[:precision]
        return _pad(_json(text) if verb == "q" else text, width, flags)
    raise ValueError(f"unsupported format verb %{verb}")


def _pad(text: str, width: int | None, flags: str) -> str:
    """text padded to width with spaces (zeros with 0), on the right with -."""
    if width is None or len(_chars(text)) >= width:
        return text
    padding = ("0" if "0" in flags else " ") * (width - len(text))
    return text + padding if "-" in flags else padding + text


def _format_integer(verb: str, flags: str, width: int | None, precision: int | None, n: int) -> str:
    """An integer in base 2, 8, 10 or 16, padded as Go's big.Int formats it."""
    if precision == 0 and n == 0:
        return ""
    digits = format(abs(n), verb)
    sign = "-" if n < 0 else "+" if "+" in flags else " " if " " in flags else ""
    prefix = {"b": "0b", "o": "0", "x": "0x", "X": "0X"}.get(verb, "") if "#" in flags else ""
    zeros = max((precision or 0) - len(digits), 0)
    left = right = 0
    gap = (width or 0) - len(sign + prefix + digits) - zeros
    if gap > 0:
        if "-" in flags:
            right = gap
        elif "0" in flags and precision is None:
            zeros = gap
        else:
            left = gap
    return " " * left + sign + prefix + "0" * zeros + digits + " " * right


def _binary(value: int | float) -> Decimal:
    """value as Terraform holds it: the decimal as written, rounded to a 512-bit binary float."""
    if isinstance(value, int) or value == 0:
        return Decimal(value)
    written = Fraction(repr(value))
    power = abs(written.numerator).bit_length() - written.denominator.bit_length()
    if Fraction(2) ** power > abs(written):
        power -= 1
    shift = 511 - power
    mantissa = round(written * Fraction(2) ** shift)
    if shift <= 0:
        return Decimal(mantissa * 2**-shift)
    return Decimal(f"{mantissa * 5**shift}e-{shift}")


def _g(value: Decimal, precision: int | None, exponent: str) -> str:
    """value as Go's %g writes it; the shortest digits when precision is None."""
    if precision is not None:
        value = Context(prec=max(precision, 1)).plus(value)
    value = _DECIMAL.normalize(value)
    if value == 0:
        return "0"
    sign, digits, power = value.as_tuple()
    mantissa = "".join(map(str, digits))
    point = len(mantissa) + int(power)
    limit = 6 if precision is None else max(precision, 1)
    if limit > len(mantissa) >= point and precision is not None:
        limit = len(mantissa)
    if -4 <= point - 1 < limit:
        return format(value, "f")
    fraction = "." + mantissa[1:] if len(mantissa) > 1 else ""
    return f"{'-' if sign else ''}{mantissa[0]}{fraction}{exponent}{point - 1:+03d}"


def _format_float(
    verb: str, flags: str, width: int | None, precision: int | None, n: int | float
) -> str:
    """A number in %e, %f or %g notation, padded as Go's big.Float formats it."""
    if verb in "gG":
        value = _decimal(n) if precision is None else _binary(n)
        body = _g(value, precision, "e" if verb == "g" else "E")
    else:
        spec = f".{6 if precision is None else precision}{verb}"
        body = format(0.0, spec) if n == 0 else format(_binary(n), spec)
        body = re.sub(r"([eE][+-])([0-9])$", r"\g<1>0\2", body)
    sign = "+" if "+" in flags else " " if " " in flags else ""
    if body.startswith("-"):
        sign, body = "-", body[1:]
    gap = max((width or 0) - len(sign) - len(body), 0)
    if "0" in flags:
        return sign + "0" * gap + body
    if "-" in flags:
        return sign + body + " " * gap
    return " " * gap + sign + body


@function("formatlist")
def _formatlist(spec: Any, *args: Any) -> list[str]:
    """formatlist(spec, values...): format once per element of the list arguments."""
    lengths = {len(arg) for arg in args if isinstance(arg, list)}
    if len(lengths) > 1:
        raise ValueError("list arguments of formatlist must have the same length")
    count = lengths.pop() if lengths else 1
    rows = [[arg[i] if isinstance(arg, list) else arg for arg in args] for i in range(count)]
    return [_format(spec, *row) for row in rows]


# --- collections ------------------------------------------------------------------------------


@function("length")
def _length(value: Any) -> int:
    """length(v): characters in a string, elements in a list or map."""
    if isinstance(value, str):
        return len(_chars(value))
    if isinstance(value, (list, dict)):
        return len(value)
    raise TypeError(f"length of {value!r} is not defined")


@function("merge")
def _merge(*maps: Any) -> dict[str, Any]:
    """merge(maps...): one map; later keys win, null arguments are skipped."""
    return {k: v for m in maps if m is not None for k, v in _map(m).items()}


@function("concat")
def _concat(*lists: Any) -> list[Any]:
    """concat(lists...): the lists one after another."""
    return [item for items in lists for item in _list(items)]


@function("lookup")
def _lookup(mapping: Any, key: Any, *default: Any) -> Any:
    """lookup(map, key, default): map[key], or default when the key is missing."""
    if len(default) > 1:
        raise TypeError("lookup takes at most three arguments")
    mapping, key = _map(mapping), _str(key)
    if key in mapping:
        return mapping[key]
    if default:
        return default[0]
    raise KeyError(key)


@function("coalesce")
def _coalesce(*values: Any) -> Any:
    """coalesce(values...): the first value that is not null nor an empty string."""
    for value in _unify(list(values)):
        if value is not None and value != "":
            return value
    raise ValueError("no non-null, non-empty-string arguments")


@function("coalescelist")
def _coalescelist(*lists: Any) -> list[Any]:
    """coalescelist(lists...): the first list that is not empty."""
    for items in lists:
        if items is not None and _list(items):
            return list(items)
    raise ValueError("no non-empty list arguments")


@function("contains")
def _contains(items: Any, value: Any) -> bool:
    """contains(list, value): whether the list has an element equal to value."""
    key = _json(_not_null(value))
    return any(_json(item) == key for item in _list(items))


@function("index")
def _index(items: Any, value: Any) -> int:
    """index(list, value): the position of the first element equal to value."""
    keys = [_json(item) for item in _list(items)]
    return keys.index(_json(_not_null(value)))


@function("element")
def _element(items: Any, position: Any) -> Any:
    """element(list, index): the element at index, wrapping around past the end."""
    items, position = _list(items), _int(position)
    if position < 0:
        raise IndexError("element index must not be negative")
    return items[position % len(items)]


@function("keys")
def _keys(mapping: Any) -> list[str]:
    """keys(map): the keys in sorted order."""
    return sorted(_map(mapping))


@function("values")
def _values(mapping: Any) -> list[Any]:
    """values(map): the values in the order of their sorted keys."""
    mapping = _map(mapping)
    return [mapping[key] for key in sorted(mapping)]


@function("flatten")
def _flatten(items: Any) -> list[Any]:
    """flatten(list): nested lists replaced by their elements, recursively."""
    out: list[Any] = []
    for item in _list(items):
        out.extend(_flatten(item) if isinstance(item, list) else [item])
    return out


@function("distinct")
def _distinct_function(items: Any) -> list[Any]:
    """distinct(list): the list without repeated elements, first occurrences kept."""
    return _distinct(_list(items))


@function("compact")
def _compact(items: Any) -> list[str]:
    """compact(list): the strings of the list that are neither null nor empty."""
    return [_str(item) for item in _list(items) if item is not None and item != ""]


@function("slice")
def _slice(items: Any, start: Any, end: Any) -> list[Any]:
    """slice(list, start, end): the elements from start up to (not including) end."""
    items, first, last = _list(items), _int(start), _int(end)
    if not 0 <= first <= last <= len(items):
        raise IndexError(f"slice bounds [{first}:{last}] out of range")
    return items[first:last]


@function("reverse")
def _reverse(items: Any) -> list[Any]:
    """reverse(list): the elements in the opposite order."""
    return _list(items)[::-1]


@function("zipmap")
def _zipmap(keys: Any, values: Any) -> dict[str, Any]:
    """zipmap(keys, values): a map from each key to the value at the same position."""
    keys, values = _list(keys), _list(values)
    if len(keys) != len(values):
        raise ValueError("zipmap needs lists of the same length")
    return {_str(key): value for key, value in zip(keys, values, strict=True)}


@function("range")
def _range(*args: Any) -> list[int | float]:
    """range([start,] limit[, step]): numbers from start towards limit (at most 1024)."""
    numbers = [_num(arg) for arg in args]
    if not 1 <= len(numbers) <= 3:
        raise TypeError("range takes one to three arguments")
    start, limit = (0, numbers[0]) if len(numbers) == 1 else (numbers[0], numbers[1])
    step = numbers[2] if len(numbers) == 3 else (1 if limit >= start else -1)
    if step == 0:
        raise ValueError("range step must not be zero")
    out: list[int | float] = []
    current, end, delta = _decimal(start), _decimal(limit), _decimal(step)
    while current < end if delta > 0 else current > end:
        if len(out) == 1024:
            raise ValueError("range would have more than 1024 elements")
        out.append(_from_decimal(current))
        current = _DECIMAL.add(current, delta)
    return out


# --- numbers ----------------------------------------------------------------------------------


@function("min")
def _min(*values: Any) -> int | float:
    """min(numbers...): the smallest."""
    return min(_num(value) for value in values)


@function("max")
def _max(*values: Any) -> int | float:
    """max(numbers...): the largest."""
    return max(_num(value) for value in values)


@function("abs")
def _abs(value: Any) -> int | float:
    """abs(n): n without its sign."""
    return abs(_num(value))


@function("ceil")
def _ceil(value: Any) -> int:
    """ceil(n): the smallest whole number not less than n."""
    return math.ceil(_num(value))


@function("floor")
def _floor(value: Any) -> int:
    """floor(n): the largest whole number not greater than n."""
    return math.floor(_num(value))


@function("sum")
def _sum(items: Any) -> int | float:
    """sum(list): the total of a non-empty list of numbers."""
    numbers = [_num(item) for item in _list(items)]
    if not numbers:
        raise ValueError("cannot sum an empty list")
    total = Decimal(0)
    for n in numbers:
        total = _DECIMAL.add(total, _decimal(n))
    return _from_decimal(total)


# --- encodings --------------------------------------------------------------------------------


@function("jsonencode")
def _jsonencode(value: Any) -> str:
    """jsonencode(v): v as minified JSON with sorted keys."""
    return _json(value)


def _json_float(text: str) -> float:
    """A JSON number as a float; one too large for a float is Unknown rather than infinite."""
    result = float(text)
    if not math.isfinite(result):
        raise _Unsupported(f"JSON number {text} is beyond a float")
    return result


def _json_constant(name: str) -> Any:
    """JSON has no NaN or Infinity, though Python's decoder accepts them."""
    raise ValueError(f"invalid JSON value {name}")


@function("jsondecode")
def _jsondecode(text: Any) -> Any:
    """jsondecode(s): the value a JSON document represents."""
    return json.loads(_str(text), parse_float=_json_float, parse_constant=_json_constant)


@function("base64encode")
def _base64encode(text: Any) -> str:
    """base64encode(s): the Base64 of s's UTF-8 bytes."""
    return base64.b64encode(_str(text).encode("utf-8")).decode("ascii")


@function("base64decode")
def _base64decode(text: Any) -> str:
    """base64decode(s): the UTF-8 text that s encodes in Base64."""
    encoded = _str(text).replace("\r", "").replace("\n", "")
    return base64.b64decode(encoded, validate=True).decode("utf-8")


# --- networks ---------------------------------------------------------------------------------


def _network(prefix: Any) -> ipaddress.IPv4Network | ipaddress.IPv6Network:
    """A CIDR prefix as a network; host bits are dropped, IPv4 octets with leading zeros are
    decimal as in Terraform."""
    text = _str(prefix)
    address, slash, bits = text.partition("/")
    if not slash or not re.fullmatch(r"[0-9]+", bits):
        raise ValueError(f"invalid CIDR prefix {text!r}")
    if re.fullmatch(r"[0-9]+(\.[0-9]+){3}", address):
        address = ".".join(str(int(octet)) for octet in address.split("."))
    return ipaddress.ip_network(f"{address}/{int(bits)}", strict=False)


@function("cidrsubnet")
def _cidrsubnet(prefix: Any, newbits: Any, netnum: Any) -> str:
    """cidrsubnet(prefix, newbits, netnum): subnet netnum of the prefix extended by newbits."""
    network, extra, index = _network(prefix), _int(newbits), _int(netnum)
    length = network.prefixlen + extra
    if extra < 0 or length > network.max_prefixlen:
        raise ValueError(f"cannot extend /{network.prefixlen} by {extra} bits")
    if not 0 <= index < 2**extra:
        raise ValueError(f"netnum {index} does not fit in {extra} bits")
    address = int(network.network_address) + (index << (network.max_prefixlen - length))
    return str(type(network)((address, length)))


@function("cidrhost")
def _cidrhost(prefix: Any, hostnum: Any) -> str:
    """cidrhost(prefix, hostnum): the address of host hostnum (negative: from the end)."""
    network, index = _network(prefix), _int(hostnum)
    size = 2 ** (network.max_prefixlen - network.prefixlen)
    if index < 0:
        index += size
    if not 0 <= index < size:
        raise ValueError(f"host number {hostnum} is outside {network}")
    return str(network.network_address + index)


@function("cidrnetmask")
def _cidrnetmask(prefix: Any) -> str:
    """cidrnetmask(prefix): the dotted-decimal netmask of an IPv4 prefix."""
    network = _network(prefix)
    if network.version != 4:
        raise ValueError("cidrnetmask only accepts IPv4 prefixes")
    return str(network.netmask)
