"""Cache entries as data: a pickle stream restricted to plain values and soc2lint's model classes.

encode() writes a value with pickle (protocol 5), which holds None, bool, int, float, str,
bytes, list, tuple, set, frozenset and dict natively and at C speed; every other object must be
an instance of a class named in TYPES (written as its class and its field values in declaration
order) or a member of an enum named there (written by name). A value of any other type raises
Unencodable: that parse or report is simply not cached.

decode() reads only what encode() can write. Its unpickler resolves no name but those of the
table: a class name resolves to a builder that makes an instance field by field (no
constructor or __reduce__ runs, and the class object itself is never handed to the stream, so
an entry cannot change a class), an enum member's name to that member; any other name, and
anything that does not build (a wrong number of fields, trailing bytes, an opcode that needs a
class), is a ValueError. A hand-written stream could still set state on what it holds (pickle's
BUILD): on an instance it built, that is other field values, as a planted value could give
anyway; on a builder, nothing it uses (it takes *values, so has no defaults to set); on an enum
member, nothing (model's enums refuse state). So a planted entry can at worst describe wrong
data in its own value, which the digest check in Cache and the re-hash of every file in the
result cache already guard against.

The same bytes carry a parse from a worker process to the parent (pipeline.load): the worker
encodes a file's parse once, for the cache and for the parent alike.

Terraform's parse classes join the table the first time an entry needs them (an encoded value
of a type not yet known, a decoded name not yet known), so that a scan that parses no Terraform,
or reuses a whole result, never imports the Terraform parser.
"""

from __future__ import annotations

import dataclasses
import enum
import io
import pickle
from collections.abc import Callable
from operator import attrgetter
from typing import Any

from soc2lint import model
from soc2lint.engine import rules
from soc2lint.platforms.contract import Parsed
from soc2lint.policies.suppressions import Marker

PROTOCOL = 5


class Unencodable(TypeError):
    """A value the cache format has no encoding for."""


@dataclasses.dataclass(frozen=True)
class Rows:
    """Bulk data of plain values (lists, str, int, None only): one record holding a list, which
    pickle writes and reads without a Python call per value; the reader checks the shape."""

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
        Rows,
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
_FIELDS: dict[type, tuple[str, ...]] = {}
_REDUCE: dict[type, Callable[[Any], Any]] = {}  # class -> what encode() writes of an instance
_ENUMS: dict[type, str] = {}  # enum class -> its qualified name, its members' prefix
_NAMES: dict[tuple[str, str], Any] = {}  # (module, name) in a stream -> what decode() gives
_pending = [_terraform]  # classes not yet in the table, imported on first need


def _add(classes: list[type]) -> None:
    for c in classes:
        TYPES[f"{c.__module__}.{c.__qualname__}"] = c
        if issubclass(c, enum.Enum):
            # a member by name, as a global: written once per stream, then taken from the memo
            _ENUMS[c] = c.__qualname__
            for member in c:
                _NAMES[(c.__module__, f"{c.__qualname__}.{member.name}")] = member
        elif dataclasses.is_dataclass(c):
            names = _FIELDS[c] = tuple(f.name for f in dataclasses.fields(c))
            _REDUCE[c] = _reducer(c, names)
            _NAMES[(c.__module__, c.__qualname__)] = _builder(c, names)


def _reducer(cls: type, names: tuple[str, ...]) -> Callable[[Any], Any]:
    """(cls, field values): pickle writes the class by name, then the values, then REDUCE."""
    get = attrgetter(*names)
    if len(names) == 1:
        return lambda obj: (cls, (get(obj),))
    return lambda obj: (cls, get(obj))


def _builder(cls: type, names: tuple[str, ...]) -> Callable[..., Any]:
    """A function that makes an instance of cls from its field values, without its constructor
    (frozen or not): the values straight into the instance's __dict__, or, for a class with
    __slots__, through each slot's descriptor. Decoding a cache entry is mostly this, so it is
    worked out once per class rather than for every object."""
    new = object.__new__
    if cls is Rows:

        def rows(*fields: Any) -> Rows:
            (values,) = fields
            if type(values) is not list:
                raise ValueError("Rows holds a list")
            obj: Any = new(Rows)
            obj.__dict__["rows"] = values
            return obj

        return rows
    if "__slots__" in vars(cls):
        return _slots_builder(cls, names)

    def build(*values: Any) -> Any:
        obj: Any = new(cls)
        obj.__dict__.update(zip(names, values, strict=True))  # ValueError: a field short
        return obj

    build.__qualname__ = build.__name__ = f"build_{cls.__name__}"
    return build


def _slots_builder(cls: type, names: tuple[str, ...]) -> Callable[..., Any]:
    """For a class with __slots__: a function that stores each field value through its slot's
    descriptor, written out field by field (as dataclasses writes __init__), two to three times
    faster than a loop over the fields; most of what a parse holds (Location, the Terraform
    syntax tree) is of such classes. The text is made of numbered names only: no field name or
    value enters it."""
    descriptors = {f"set_{i}": vars(cls)[name].__set__ for i, name in enumerate(names)}
    unpack = "".join(f"v{i}, " for i in range(len(names)))
    stores = "".join(f"    set_{i}(obj, v{i})\n" for i in range(len(names)))
    # *values, unpacked in the body (ValueError: a field short or too many): the function has
    # no parameters whose defaults a stream could set (see decode)
    source = (
        f"def build(*values):\n    {unpack}= values\n    obj = new(cls)\n{stores}    return obj\n"
    )
    scope = {"new": object.__new__, "cls": cls, **descriptors}
    exec(source, scope)  # noqa: S102 - the text above
    build = scope["build"]
    build.__qualname__ = build.__name__ = f"build_{cls.__name__}"
    return build


def _more() -> bool:
    """Add the classes not yet in the table; False when there were none left."""
    if not _pending:
        return False
    while _pending:
        _add(_pending.pop()())
    return True


_add(_core())


class _Pickler(pickle.Pickler):
    """Writes the table's classes by their fields and refuses every other kind of object (the
    plain types never reach reducer_override: pickle writes them itself)."""

    def reducer_override(self, obj: Any) -> Any:
        reduce = _REDUCE.get(type(obj))
        if reduce is not None:
            return reduce(obj)
        if type(obj) is type and obj in _REDUCE:
            return NotImplemented  # a table class, by name (once per stream)
        prefix = _ENUMS.get(type(obj))
        if prefix is not None:
            return f"{prefix}.{obj.name}"
        if _more():
            return self.reducer_override(obj)
        raise Unencodable(f"no cache encoding for {type(obj).__module__}.{type(obj).__qualname__}")


class _Unpickler(pickle.Unpickler):
    """Resolves only the names _Pickler writes, to builders and enum members."""

    def find_class(self, module: str, name: str) -> Any:
        found = _NAMES.get((module, name))
        if found is None and _more():
            found = _NAMES.get((module, name))
        if found is None:
            raise ValueError(f"unknown type in cache entry: {module}.{name}")
        return found

    def persistent_load(self, pid: Any) -> Any:
        raise ValueError("persistent ids are not written")


def encode(value: Any) -> bytes:
    """value as bytes; Unencodable when it holds anything but the types above."""
    out = io.BytesIO()
    try:
        _Pickler(out, PROTOCOL).dump(value)
    except RecursionError:
        raise Unencodable("nested too deeply") from None
    except pickle.PicklingError as exc:  # a value pickle itself refuses
        raise Unencodable(str(exc)) from None
    return out.getvalue()


def decode(data: bytes) -> Any:
    """The value encode() wrote; ValueError for anything it could not have written."""
    stream = io.BytesIO(data)
    try:
        value = _Unpickler(stream).load()
    except ValueError:
        raise
    except Exception as exc:  # a malformed stream: UnpicklingError, EOFError, TypeError, ...
        raise ValueError(f"not a cache value ({type(exc).__name__})") from None
    if stream.tell() != len(data):
        raise ValueError("bytes after the value")
    return value
