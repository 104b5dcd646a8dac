"""Terraform collection functions (merge, lookup, element, flatten, zipmap, ...)."""

from __future__ import annotations

from typing import Any

from soc2lint.model import Unknown
from soc2lint.platforms.terraform.functions.core import (
    _DECIMAL,
    _chars,
    _decimal,
    _distinct,
    _from_decimal,
    _int,
    _json,
    _list,
    _map,
    _not_null,
    _num,
    _str,
    _unify,
    function,
)

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
def _flatten(items: Any) -> Any:
    """flatten(list): nested lists replaced by their elements, recursively."""
    out: list[Any] = []
    for item in _list(items):
        if isinstance(item, Unknown):
            return Unknown("flatten() of an element that is not known (it may be a list)")
        flat = _flatten(item) if isinstance(item, list) else [item]
        if isinstance(flat, Unknown):
            return flat
        out.extend(flat)
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
