"""Cache entries as data: JSON with an explicit encoding of soc2lint's model classes.

Decoding an entry can only build the plain values JSON holds and instances of the classes
named in TYPES, field by field (no constructor, no __reduce__, no import by name), so a
planted entry can at worst describe wrong data, which the digest check in Cache and the
re-hash of every file in the result cache already guard against. A value of any other type
raises Unencodable: that parse or report is simply not cached.

    None, bool, int, float, str  as themselves
    list                         [..]
    tuple / set / frozenset      {"t": [..]} / {"s": [..]} / {"z": [..]}
    dict                         {"m": [[key, value], ..]}   (keys of any encodable type)
    model class instance         {"c": "Name", "f": [field values in declaration order]}
    enum member                  {"e": "Name", "v": value}
    Rows                         {"r": [[..], ..]}  (lists of str, int and None, written as is)

Terraform's parse classes join the table the first time an entry needs them (an encoded value
of a type not yet known, a decoded name not yet known), so that a scan that parses no Terraform,
or reuses a whole result, never imports the Terraform parser.
"""

from __future__ import annotations

import dataclasses
import enum
import json
from collections.abc import Callable
from typing import Any

from soc2lint import model
from soc2lint.engine import rules
from soc2lint.platforms.contract import Parsed
from soc2lint.policies.suppressions import Marker


class Unencodable(TypeError):
    """A value the cache format has no encoding for."""


@dataclasses.dataclass(frozen=True)
class Rows:
    """Bulk data of plain values (lists, str, int, None only), written without the walk the
    other values take and read back at the JSON parser's speed; the reader checks the shape."""

    rows: list


def _core() -> list[type]:
    return [
        model.Location,
        model.Unknown,
        model.Resource,
        model.Provenance,
        model.ParseError,
        model.Skipped,
        model.Finding,
        model.Suppression,
        model.Status,
        model.Platform,
        Parsed,
        Marker,
        # built rules (engine.rules.load_rules keeps them, so a run need not validate again)
        rules.Rule,
        rules.Variant,
        rules.All,
        rules.AnyOf,
        rules.Not,
        rules.Attr,
        rules.Each,
        rules.Connected,
    ]


def _terraform() -> list[type]:
    from soc2lint.platforms.terraform import ast
    from soc2lint.platforms.terraform.module import TfFile

    dataclasses_of_ast = [
        c for c in vars(ast).values() if isinstance(c, type) and dataclasses.is_dataclass(c)
    ]
    return [TfFile, *dataclasses_of_ast]


TYPES: dict[str, type] = {}
_NAMES: dict[type, str] = {}
_FIELDS: dict[type, tuple[str, ...]] = {}
_ENUMS: dict[str, type] = {}
_RECORDS: dict[str, Callable[[Any], Any]] = {}  # name -> builder from the field values
_pending = [_terraform]  # classes not yet in the table, imported on first need


def _add(classes: list[type]) -> None:
    for c in classes:
        name = f"{c.__module__}.{c.__qualname__}"
        TYPES[name], _NAMES[c] = c, name
        if issubclass(c, enum.Enum):
            _ENUMS[name] = c
        elif dataclasses.is_dataclass(c):
            _FIELDS[c] = tuple(f.name for f in dataclasses.fields(c))
            _RECORDS[name] = _builder(c, _FIELDS[c])


def _builder(cls: type, names: tuple[str, ...]) -> Callable[[Any], Any]:
    """A function that makes an instance of cls from its field values, without its constructor
    (frozen or not): the values straight into the instance's __dict__, or, for a class with
    __slots__, set one by one. Decoding a cache entry is mostly this, so it is done once per
    class rather than worked out for every object."""
    count = len(names)
    new = object.__new__
    try:
        new(cls).__dict__  # noqa: B018 - does the instance have one?
        has_dict = True
    except AttributeError:
        has_dict = False

    def check(values: Any) -> None:
        if type(values) is not list or len(values) != count:
            raise ValueError("malformed record")

    if has_dict:

        def build(values: Any) -> Any:
            check(values)
            obj = new(cls)
            obj.__dict__.update(zip(names, values, strict=True))
            return obj

    else:
        put = object.__setattr__

        def build(values: Any) -> Any:
            check(values)
            obj = new(cls)
            for name, value in zip(names, values, strict=True):
                put(obj, name, value)
            return obj

    return build


def _more() -> bool:
    """Add the classes not yet in the table; False when there were none left."""
    if not _pending:
        return False
    while _pending:
        _add(_pending.pop()())
    return True


_add(_core())


def encode(value: Any) -> str:
    """value as JSON text; Unencodable when it holds anything but the types above."""
    try:
        return json.dumps(_enc(value), ensure_ascii=False, separators=(",", ":"))
    except RecursionError:
        raise Unencodable("nested too deeply") from None


def decode(text: str | bytes) -> Any:
    """The value encode() wrote; ValueError for anything it could not have written.

    Objects are rebuilt by the JSON parser's object hook, innermost first, so the plain values
    (most of an entry) never pass through Python code."""
    try:
        return json.loads(text, object_hook=_object)
    except RecursionError:
        raise ValueError("nested too deeply") from None


def _enc(v: Any) -> Any:
    t = type(v)
    if v is None or t in (bool, int, float, str):
        return v
    if t is list:
        return [_enc(x) for x in v]
    if t is tuple:
        return {"t": [_enc(x) for x in v]}
    if t is set or t is frozenset:
        return {"s" if t is set else "z": [_enc(x) for x in v]}
    if t is dict:
        return {"m": [[_enc(k), _enc(x)] for k, x in v.items()]}
    if t is Rows:
        if type(v.rows) is not list:
            raise Unencodable("Rows holds a list")
        return {"r": v.rows}
    name = _NAMES.get(t)
    if name is None and _more():
        name = _NAMES.get(t)
    if name is None:
        raise Unencodable(f"no cache encoding for {t.__module__}.{t.__qualname__}")
    if isinstance(v, enum.Enum):
        return {"e": name, "v": _enc(v.value)}
    return {"c": name, "f": [_enc(getattr(v, f)) for f in _FIELDS[t]]}


def _object(v: dict[str, Any]) -> Any:
    """One encoded object (its members already decoded) as the value it stands for."""
    if len(v) == 1:
        ((tag, raw),) = v.items()
        if tag in _SEQUENCES:
            if type(raw) is not list:
                raise ValueError("malformed sequence")
            return _SEQUENCES[tag](raw)
        if tag == "r":
            if type(raw) is not list:
                raise ValueError("malformed rows")
            return Rows(raw)
        if tag == "m":
            if type(raw) is not list or not all(type(p) is list and len(p) == 2 for p in raw):
                raise ValueError("malformed mapping")
            return dict(raw)
    elif len(v) == 2 and "c" in v and "f" in v:
        build = _named(_RECORDS, v["c"])
        if build is None:
            raise ValueError("unknown type in cache entry")
        return build(v["f"])
    elif len(v) == 2 and "e" in v and "v" in v:
        cls = _named(_ENUMS, v["e"])
        if cls is None:
            raise ValueError("unknown type in cache entry")
        return cls(v["v"])  # an Enum lookup by value: ValueError when not a member
    raise ValueError("not a cache value")


_SEQUENCES: dict[str, Any] = {"t": tuple, "s": set, "z": frozenset}


def _named(table: dict[str, Any], name: Any) -> Any:
    """table's entry for a class name; None when it names no class of the table's kind."""
    if type(name) is not str:
        return None
    found = table.get(name)
    if found is None and _more():
        found = table.get(name)
    return found
