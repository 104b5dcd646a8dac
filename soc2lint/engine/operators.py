"""The closed set of attribute operators: one table of small typed functions.

Each operator takes (actual, expected) and returns True, False, or Unknown. Unknown actual
values never reach an operator: the engine turns them into an unknown outcome first.
"""

from __future__ import annotations

import functools
import ipaddress
import re
from collections.abc import Callable
from typing import Any

from soc2lint.engine.linear_regex import RegexError, compile_linear
from soc2lint.model import Unknown, record

OPEN_CIDRS = {"0.0.0.0/0", "::/0"}


@record(frozen=True)
class Operator:
    name: str
    fn: Callable[[Any, Any], Any]
    needs_value: bool
    doc: str


# int() and float() read only text with a decimal digit, or inf/infinity/nan: anything else is
# known to stay text without raising two exceptions (most compared values are names)
_DIGIT = re.compile(r"\d")
_NON_FINITE = ("inf", "infinity", "nan")


def _scalar(v: Any) -> Any:
    """Terraform turns "true"/"7" into bool/number where the schema says so; compare alike."""
    if isinstance(v, str):
        low = v.strip().lower()
        if low in ("true", "false"):
            return low == "true"
        if _DIGIT.search(v) is None and low.lstrip("+-") not in _NON_FINITE:
            return v
        try:
            return int(v)
        except ValueError:
            try:
                return float(v)
            except ValueError:
                return v
    return v


def _eq(a: Any, b: Any) -> bool:
    a, b = _scalar(a), _scalar(b)
    if isinstance(a, bool) or isinstance(b, bool):
        return a is b
    return bool(a == b)


def _as_list(v: Any) -> list[Any]:
    if v is None:
        return []
    return v if isinstance(v, list) else [v]


def _num(v: Any) -> float | Unknown:
    v = _scalar(v)
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        return Unknown(f"{v!r} is not a number")
    return v


def _compare(cmp: Callable[[float, float], bool]) -> Callable[[Any, Any], Any]:
    def op(actual: Any, expected: Any) -> Any:
        a = _num(actual)
        if isinstance(a, Unknown):
            return False
        return cmp(a, float(expected))

    return op


def _contains(actual: Any, expected: Any) -> bool:
    if isinstance(actual, str):
        return str(expected) in actual
    if isinstance(actual, dict):
        return expected in actual
    return any(_eq(item, expected) for item in _as_list(actual))


def _matches(actual: Any, expected: Any) -> bool:
    if not isinstance(actual, (str, int, float)) or isinstance(actual, bool):
        return False
    return _found(str(expected), str(actual))


# A scan asks the same few patterns of the same few values (protocols, images, actions) on
# every resource; RE2's Python wrapper costs microseconds a search, a dictionary look-up far less
@functools.lru_cache(maxsize=16384)
def _found(pattern: str, text: str) -> bool:
    try:
        return compile_linear(pattern).search(text) is not None
    except RegexError:
        return False  # refused when the rule was loaded (check_regex); never reached


def _open_cidr(actual: Any, _expected: Any) -> bool:
    """True when any CIDR in actual admits the whole internet (0.0.0.0/0, ::/0)."""
    return any(isinstance(item, str) and _admits_all(item) for item in _as_list(actual))


@functools.lru_cache(maxsize=4096)
def _admits_all(item: str) -> bool:
    """Whether one CIDR admits the whole internet (remembered: parsing an address is slow, and
    a scan sees the same few ranges on every security group)."""
    text = item.strip()
    if text in OPEN_CIDRS:
        return True
    try:
        net = ipaddress.ip_network(text, strict=False)
    except ValueError:
        return False
    return net.prefixlen == 0


def _port_range_includes(actual: Any, expected: Any) -> Any:
    """actual is [from_port, to_port] (the engine pairs them); expected is a port number."""
    low, high = actual
    low_n, high_n = _num(low), _num(high)
    if isinstance(low_n, Unknown) or isinstance(high_n, Unknown):
        return False
    # literal: protocol "-1" (all traffic) is a separate predicate, as 0/0 means port 0 for TCP
    return low_n <= int(expected) <= high_n


def _port_list_includes(actual: Any, expected: Any) -> bool:
    """actual is a port specification or a list of them ("22", "8000-8080", 443, "*"), as Google
    Cloud firewall rules and Azure network security rules write ports; true when one of them
    covers port `expected`. An empty list (all ports) is a predicate of its own (`absent`)."""
    port = int(expected)
    for item in _as_list(actual):
        text = str(item).strip()
        if text in ("*", "Any", "any"):
            return True
        low, sep, high = (part.strip() for part in text.partition("-"))
        if not low.isdigit() or (sep and not high.isdigit()):
            continue  # not a port specification
        if int(low) <= port <= int(high if sep else low):
            return True
    return False


def _is_true(actual: Any, _e: Any) -> bool:
    return _scalar(actual) is True


def _is_false(actual: Any, _e: Any) -> bool:
    return _scalar(actual) is False


OPERATORS: dict[str, Operator] = {
    op.name: op
    for op in [
        Operator("equals", _eq, True, 'the value equals `value` ("true"/7 compare as true/7)'),
        Operator("not_equals", lambda a, e: not _eq(a, e), True, "the value differs from `value`"),
        Operator("in", lambda a, e: any(_eq(a, x) for x in e), True, "the value is one of `value`"),
        Operator(
            "not_in",
            lambda a, e: not any(_eq(a, x) for x in e),
            True,
            "the value is none of `value`",
        ),
        Operator(
            "contains",
            _contains,
            True,
            "a list holds `value`, a map has the key, or a string has the substring",
        ),
        Operator(
            "not_contains", lambda a, e: not _contains(a, e), True, "the opposite of contains"
        ),
        Operator("matches", _matches, True, "the value matches the regular expression `value`"),
        Operator(
            "not_matches",
            lambda a, e: not _matches(a, e),
            True,
            "the value does not match the regular expression `value`",
        ),
        Operator("greater_than", _compare(lambda a, e: a > e), True, "a number > `value`"),
        Operator("greater_or_equal", _compare(lambda a, e: a >= e), True, "a number >= `value`"),
        Operator("less_than", _compare(lambda a, e: a < e), True, "a number < `value`"),
        Operator("less_or_equal", _compare(lambda a, e: a <= e), True, "a number <= `value`"),
        Operator("is_true", _is_true, False, "the value is true"),
        Operator("is_false", _is_false, False, "the value is false"),
        Operator(
            "is_open_cidr",
            _open_cidr,
            False,
            "a CIDR (or any in a list) admits the whole internet: 0.0.0.0/0 or ::/0",
        ),
        Operator(
            "port_list_includes",
            _port_list_includes,
            True,
            'a port, range or "*" ("22", "8000-8080"), or any in a list, includes port `value`',
        ),
        Operator(
            "port_range_includes",
            _port_range_includes,
            True,
            "the port range [attribute, to_attribute] includes port `value`",
        ),
    ]
}

# Operators that one known element can decide for a list that also holds Unknowns:
# ["0.0.0.0/0", var.extra] is open whatever var.extra turns out to be.
DECIDED_BY_ONE = {
    "is_open_cidr": True,
    "contains": True,
    "not_contains": False,
    "port_list_includes": True,
}


def excluded_by_prefix(value: Any, candidate: Any) -> bool:
    """Whether a partly known string (Unknown with a known prefix) surely differs from candidate."""
    prefix = getattr(value, "prefix", "")
    return bool(prefix) and not str(candidate).startswith(prefix)


def decide_by_prefix(op: str, value: Any, expected: Any) -> bool | None:
    """The result of an equality operator on a partly known string, when its prefix decides."""
    if op in ("equals", "not_equals"):
        if excluded_by_prefix(value, expected):
            return op == "not_equals"
    elif (
        op in ("in", "not_in")
        and isinstance(expected, list)
        and all(excluded_by_prefix(value, e) for e in expected)
    ):
        return op == "not_in"
    return None


# exists / absent look at whether the attribute is there at all; the engine handles them.
SET_OPERATORS = {
    "exists": "the attribute is set (to anything but null, an empty string or an empty collection)",
    "absent": "the attribute is not set, or null",
    "written": "the attribute is written in the configuration, whatever its (maybe unknown) value",
}

ALL_OPERATOR_NAMES = sorted(set(OPERATORS) | set(SET_OPERATORS))


def check_regex(pattern: str) -> str | None:
    """Why RE2 (linear time, see soc2lint.engine.linear_regex) refuses the pattern, or None."""
    if len(pattern) > 500:
        return "regular expression longer than 500 characters"
    try:
        compile_linear(pattern)
    except RegexError as exc:
        return str(exc)
    return None
