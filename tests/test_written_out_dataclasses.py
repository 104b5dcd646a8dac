"""The dataclasses whose methods are written out (soc2lint.model explains why: start-up time)
behave as the dataclasses they stand for: each is compared with one that dataclasses makes from
the same fields and the options it was declared with before."""

from __future__ import annotations

import ast
import copy
import dataclasses
import importlib
import inspect
import pickle
import textwrap
from functools import partial
from typing import Any

import pytest

_FROZEN_SLOTS = {"frozen": True, "slots": True}
# module -> class -> the options of the @dataclass it stands for (besides init, repr and eq)
WRITTEN_OUT: dict[str, dict[str, dict[str, Any]]] = {
    "soc2lint.model": {
        "Location": {"frozen": True, "slots": True, "order": True},
        "Unknown": {"frozen": True, "slots": True, "own": ("__repr__",)},
        "Provenance": {"frozen": True},
        "Resource": {"frozen": True},
        "ParseError": {"frozen": True, "slots": True},
        "Skipped": {"frozen": True, "slots": True},
        "Suppression": _FROZEN_SLOTS,
    },
    "soc2lint.platforms.terraform.ast": {
        "Lit": _FROZEN_SLOTS,
        "Template": _FROZEN_SLOTS,
        "Var": _FROZEN_SLOTS,
        "GetAttr": _FROZEN_SLOTS,
        "Index": _FROZEN_SLOTS,
        "Splat": _FROZEN_SLOTS,
        "TupleExpr": _FROZEN_SLOTS,
        "ObjectExpr": _FROZEN_SLOTS,
        "Call": _FROZEN_SLOTS,
        "Conditional": _FROZEN_SLOTS,
        "BinOp": _FROZEN_SLOTS,
        "UnOp": _FROZEN_SLOTS,
        "ForExpr": _FROZEN_SLOTS,
        "Opaque": _FROZEN_SLOTS,
        "Attribute": _FROZEN_SLOTS,
        "Block": _FROZEN_SLOTS,
        "Body": _FROZEN_SLOTS,
    },
    "soc2lint.engine.rules": {
        "Peer": {"frozen": True},
        "All": {"frozen": True},
        "AnyOf": {"frozen": True},
        "Not": {"frozen": True},
        "Attr": {"frozen": True},
        "Each": {"frozen": True},
        "Connected": {"frozen": True},
        "Variant": {"frozen": True},
        "Rule": {"frozen": True},
    },
    "soc2lint.engine.tsc": {"Catalogue": {"frozen": True}},
    "soc2lint.engine.operators": {"Operator": {"frozen": True}},
    "soc2lint.platforms.contract": {"Parsed": {}, "Assembly": {}},
    "soc2lint.policies.suppressions": {"Marker": {"frozen": True}, "Outcome": {}},
    "soc2lint.platforms.repository.codeowners": {"Entry": {"frozen": True}},
    "soc2lint.platforms.terraform.module": {
        "TfFile": {"frozen": True},
        "ModuleResult": {},
        "ModuleCall": {"frozen": True},
    },
    "soc2lint.platforms.terraform.blocks": {
        "_Expansion": {"frozen": True},
        "_Raw": {"frozen": True},
    },
    "soc2lint.platforms.terraform.project": {"ProjectResult": {}},
    "soc2lint.platforms.terraform.override": {"Merged": {}},
    "soc2lint.cli.config": {"Config": {}},
    "soc2lint.cli.run": {"Request": {}, "Outcome": {}},
}

CASES = [
    pytest.param(module, name, options, id=f"{module.rpartition('.')[2]}.{name}")
    for module, classes in WRITTEN_OUT.items()
    for name, options in classes.items()
]
_MADE = (
    "__init__",
    "__repr__",
    "__eq__",
    "__hash__",
    "__lt__",
    "__le__",
    "__gt__",
    "__ge__",
    "__setattr__",
    "__delattr__",
    "_values",
    "__signature__",
)


def _reference(cls: type, options: dict[str, Any], doc: bool = True) -> type:
    """The dataclass that cls stands for: its fields, made by dataclasses (with the docstring
    dataclasses gives a class without one unless doc)."""
    specs = []
    for f in dataclasses.fields(cls):
        kwargs: dict[str, Any] = {"repr": f.repr, "compare": f.compare, "hash": f.hash}
        if f.default is not dataclasses.MISSING:
            kwargs["default"] = f.default
        if f.default_factory is not dataclasses.MISSING:
            kwargs["default_factory"] = f.default_factory
        specs.append((f.name, f.type, dataclasses.field(**kwargs)))
    # what the class has of its own besides the written-out methods comes along unchanged
    namespace = {
        k: v
        for k, v in vars(cls).items()
        if (k not in _MADE or k in options.get("own", ()))
        and not k.startswith("__dataclass")
        and k not in ("__dict__", "__weakref__", "__slots__", "__match_args__")
        and not isinstance(v, inspect.types.MemberDescriptorType)  # type: ignore[attr-defined]
        and (doc or k != "__doc__")
    }
    made = dataclasses.make_dataclass(
        cls.__name__,
        specs,
        namespace=namespace,
        frozen=options.get("frozen", False),
        slots=options.get("slots", False),
        order=options.get("order", False),
    )
    made.__module__ = cls.__module__
    return made


def _values(cls: type, tag: str) -> dict[str, str]:
    """A distinct, hashable value for every field."""
    return {f.name: f"{f.name}-{tag}" for f in dataclasses.fields(cls)}


def _required(cls: type) -> dict[str, str]:
    return {
        f.name: f"{f.name}-r"
        for f in dataclasses.fields(cls)
        if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING
    }


def _fields(obj: Any) -> list[Any]:
    return [getattr(obj, f.name) for f in dataclasses.fields(obj)]


def _outcome(call: Any) -> tuple[str, str]:
    """What a call gives or raises, as text (a class compares by name across the two)."""
    try:
        return ("value", repr(call()))
    except Exception as exc:  # noqa: BLE001 - the exception is the outcome compared
        return (type(exc).__name__, str(exc))


@pytest.mark.parametrize(("module", "name", "options"), CASES)
def test_written_out_dataclass_behaves_as_the_dataclass(
    module: str, name: str, options: dict[str, Any]
) -> None:
    cls = getattr(importlib.import_module(module), name)
    ref = _reference(cls, options)
    assert dataclasses.is_dataclass(cls)
    # the parameters, their defaults (a default factory's shown as <factory>) and annotations
    # (the return annotation differs: a written `-> None` is a string)
    params = [str(p) for p in inspect.signature(cls).parameters.values()]
    assert params == [str(p) for p in inspect.signature(ref).parameters.values()]
    assert cls.__match_args__ == ref.__match_args__
    assert ("__slots__" in vars(cls)) == ("__slots__" in vars(ref))
    if "__slots__" in vars(cls):
        assert tuple(cls.__slots__) == tuple(ref.__slots__)

    # the docstring: the class's own, or the one dataclasses makes of its name and signature
    written = ast.get_docstring(ast.parse(textwrap.dedent(inspect.getsource(cls))).body[0])
    if written is None:
        assert cls.__doc__ == _reference(cls, options, doc=False).__doc__
    else:
        assert inspect.cleandoc(cls.__doc__ or "") == written

    # calls that do not match the parameters fail as they do for the dataclass
    values = _values(cls, "a")
    first = next(iter(values))
    for args, kwargs in (
        ((), {}),
        ((*values.values(), "extra"), {}),
        ((), {**values, "not_a_field": 1}),
        ((values[first],), {first: values[first]}),
    ):
        assert _outcome(partial(cls, *args, **kwargs)) == _outcome(partial(ref, *args, **kwargs))

    # defaults, and default factories made afresh for each instance
    required = _required(cls)
    ours, theirs = cls(**required), ref(**required)
    assert repr(ours) == repr(theirs) and _fields(ours) == _fields(theirs)
    for f in dataclasses.fields(cls):
        if f.default_factory is not dataclasses.MISSING:
            assert getattr(ours, f.name) is not getattr(cls(**required), f.name)

    values = _values(cls, "a")
    ours, theirs = cls(**values), ref(**values)
    positional = cls(*values.values())
    assert repr(ours) == repr(theirs) == repr(positional)
    assert _fields(ours) == _fields(theirs) == _fields(positional)
    assert ours == positional
    assert ours.__eq__(object()) is NotImplemented
    frozen = options.get("frozen", False)
    if frozen:
        assert hash(ours) == hash(theirs) == hash(positional)
    else:
        assert cls.__hash__ is None and ref.__hash__ is None

    # each field changed on its own: equal or not, ordered or not, as the dataclass says
    for f in dataclasses.fields(cls):
        changed = {**values, f.name: f"{f.name}-b"}
        a, b = cls(**changed), ref(**changed)
        assert (ours == a) == (theirs == b), f.name
        if frozen:
            assert (hash(ours) == hash(a)) == (hash(theirs) == hash(b)), f.name
        if options.get("order"):
            for op in ("__lt__", "__le__", "__gt__", "__ge__"):
                assert getattr(ours, op)(a) == getattr(theirs, op)(b), (f.name, op)
                assert getattr(a, op)(ours) == getattr(b, op)(theirs), (f.name, op)
                assert getattr(ours, op)(object()) is NotImplemented
        # replace() builds through __init__
        again = dataclasses.replace(ours, **{f.name: f"{f.name}-b"})
        assert _fields(again) == _fields(dataclasses.replace(theirs, **{f.name: f"{f.name}-b"}))

    # frozen or not: assigning and deleting a field
    first = dataclasses.fields(cls)[0].name
    a, b = cls(**values), ref(**values)
    assert _outcome(lambda: setattr(a, first, 1)) == _outcome(lambda: setattr(b, first, 1))
    assert _outcome(lambda: delattr(a, first)) == _outcome(lambda: delattr(b, first))
    # another name: refused by a frozen class (FrozenInstanceError; Python 3.11's own frozen
    # class with slots raises TypeError there, from super() on the class it replaced)
    fails = _outcome(lambda: setattr(a, "not_a_field", 1))[0] != "value"
    assert fails == (_outcome(lambda: setattr(b, "not_a_field", 1))[0] != "value")
    if frozen:
        assert _outcome(lambda: setattr(a, "not_a_field", 1))[0] == "FrozenInstanceError"

    # copies and pickles are equal instances of the class
    for twin in (
        copy.copy(ours),
        copy.deepcopy(ours),
        pickle.loads(pickle.dumps(ours)),
        pickle.loads(pickle.dumps(ours, protocol=2)),
    ):
        assert type(twin) is cls
        assert twin == ours and _fields(twin) == _fields(ours)
        assert (twin != ours) is False


def test_every_written_out_dataclass_is_compared() -> None:
    """A class declared with init=False, repr=False and eq=False in these modules is one whose
    methods are written out: it must be in WRITTEN_OUT above."""
    for module in WRITTEN_OUT:
        found = {
            value.__name__
            for value in vars(importlib.import_module(module)).values()
            if isinstance(value, type)
            and dataclasses.is_dataclass(value)
            and value.__module__ == module
            and not value.__dataclass_params__.init  # type: ignore[attr-defined]
        }
        assert found == set(WRITTEN_OUT[module]), module
