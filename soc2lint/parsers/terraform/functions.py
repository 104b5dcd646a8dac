"""Terraform's built-in functions that soc2lint evaluates: pure, over known values only.

The evaluator calls a function only when every argument is known; a function that raises
(TypeError, ValueError, KeyError, IndexError, ...) yields Unknown. Functions not listed here are
Unknown too.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

FUNCTIONS: dict[str, Callable[..., Any]] = {}


def function(name: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Register fn as the Terraform function `name`."""

    def register(fn: Callable[..., Any]) -> Callable[..., Any]:
        FUNCTIONS[name] = fn
        return fn

    return register


def to_string(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def number(value: Any) -> Any:
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return value
    if isinstance(value, str):
        try:
            return int(value)
        except ValueError:
            try:
                return float(value)
            except ValueError:
                return None
    return None


# A first set of pure functions; more arrive with the full expression support.
function("lower")(lambda s: s.lower())
function("upper")(lambda s: s.upper())
function("tostring")(to_string)
function("tobool")(lambda v: v if isinstance(v, bool) else {"true": True, "false": False}[v])
function("tonumber")(lambda v: number(v) if number(v) is not None else int("x"))
function("tolist")(lambda v: list(v))
function("toset")(lambda v: sorted(set(v), key=repr))
function("tomap")(lambda v: dict(v))
function("length")(lambda v: len(v))
function("concat")(lambda *lists: [x for lst in lists for x in lst])
function("merge")(lambda *maps: {k: v for m in maps if m is not None for k, v in m.items()})
function("coalesce")(lambda *vals: next(v for v in vals if v not in (None, "")))
function("join")(lambda sep, items: sep.join(to_string(i) for i in items))
function("split")(lambda sep, s: s.split(sep))
function("contains")(lambda coll, v: v in coll)


def _jsonencode(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), sort_keys=False)


def _jsondecode(text: Any) -> Any:
    return json.loads(text)


function("jsonencode")(_jsonencode)
function("jsondecode")(_jsondecode)
