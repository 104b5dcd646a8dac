"""Terraform's format() and formatlist(), with Go's verbs, flags, widths and rounding."""

from __future__ import annotations

import re
from decimal import Context, Decimal
from fractions import Fraction
from typing import Any

from soc2lint.platforms.terraform.functions.core import (
    _DECIMAL,
    _chars,
    _decimal,
    _int,
    _json,
    _num,
    _str,
    _tobool,
    _Unsupported,
    function,
    to_string,
)

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
