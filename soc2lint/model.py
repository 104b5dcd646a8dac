"""The core model: frozen dataclasses shared by parsers, engine and reporters."""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import MISSING, Field, FrozenInstanceError, dataclass, field, fields
from inspect import Parameter, Signature, formatannotation
from operator import attrgetter, ge, gt, le, lt
from typing import TYPE_CHECKING, Any, TypeVar

T = TypeVar("T")

if TYPE_CHECKING:
    from typing_extensions import dataclass_transform
else:

    def dataclass_transform(**_: Any) -> Callable[[T], T]:
        return lambda decorator: decorator


_set = object.__setattr__
_MISSING: Any = MISSING


class _Factory:
    """The default of a parameter whose field has a default_factory, shown as dataclasses shows
    it; __init__ makes the field's value when it is given."""

    def __repr__(self) -> str:
        return "<factory>"


FACTORY: Any = _Factory()


def frozen_setattr(self: Any, name: str, value: Any) -> None:
    """__setattr__ of a frozen dataclass."""
    raise FrozenInstanceError(f"cannot assign to field {name!r}")


def frozen_delattr(self: Any, name: str) -> None:
    """__delattr__ of a frozen dataclass."""
    raise FrozenInstanceError(f"cannot delete field {name!r}")


@dataclass_transform(field_specifiers=(field,))
def record(
    *, frozen: bool = False, order: bool = False, slots: bool = False
) -> Callable[[type[T]], type[T]]:
    """@dataclass(frozen=..., order=..., slots=...) with eq, for the classes a scan imports first
    (the model, the Terraform syntax tree, the rules): the same class, made without compile().

    dataclasses writes each class's __init__, __repr__, __eq__, __hash__, ordering and frozen
    __setattr__/__delattr__ as source text and compiles it, about 1.5 ms a class and a sixth of
    a one-file pre-commit run over the sixty classes. Here the class is a dataclass made with
    init=False, repr=False, eq=False (fields(), replace() and the cache codec see no difference)
    and those methods are closures over its field names, their values got by one
    operator.attrgetter call. A class that writes a method itself keeps it: the classes made
    by the thousand (the syntax tree's nodes, Location, Unknown, Resource, and per file or
    block platforms.contract.Parsed and terraform's TfFile, ModuleCall, _Expansion) write a
    short __init__, since a generic one (arguments as a tuple, keywords through a dict) takes
    two to three times as long. The class docstring that dataclasses makes for a class without
    one comes from the fields, not from inspect.signature(). A frozen class with __slots__
    pickles as its class and its field values (see _reduce). Each such class is compared with
    the dataclass it stands for by tests/test_written_out_dataclasses.py."""

    def make(cls: type[T]) -> type[T]:
        documented = bool(cls.__doc__)
        if not documented:
            cls.__doc__ = cls.__name__  # for now: dataclass would work it out with inspect
        cls = dataclass(init=False, repr=False, eq=False, slots=slots)(cls)
        _add_methods(cls, frozen=frozen, order=order)
        if not documented:
            cls.__doc__ = _doc(cls)
        return cls

    return make


def _add_methods(cls: type, *, frozen: bool, order: bool) -> None:
    if hasattr(cls, "__post_init__"):
        raise TypeError(f"{cls.__name__}: record() makes no __init__ that calls __post_init__")
    own = vars(cls)
    every = fields(cls)  # type: ignore[arg-type]
    methods: dict[str, Any] = {}
    if "__init__" not in own:
        methods["__init__"] = _init(cls, every)
        cls.__signature__ = _Signature()  # type: ignore[attr-defined]
    if "__repr__" not in own:
        methods["__repr__"] = _repr([f.name for f in every if f.repr])
    compared = [f.name for f in every if f.compare]
    methods["__eq__"] = _eq(compared)
    if order:
        for name, op in (("__lt__", lt), ("__le__", le), ("__gt__", gt), ("__ge__", ge)):
            methods[name] = _compare(compared, op)
    if frozen:
        hashed = [f.name for f in every if (f.compare if f.hash is None else f.hash)]
        methods["__hash__"] = _hash(hashed)
        methods["__setattr__"] = frozen_setattr
        methods["__delattr__"] = frozen_delattr
        if "__slots__" in own and "__reduce__" not in own:
            methods["__reduce__"] = _reduce(cls, [f.name for f in every])
    for name, method in methods.items():
        if method is not frozen_setattr and method is not frozen_delattr:
            method.__name__ = name
            method.__qualname__ = f"{cls.__qualname__}.{name}"
        setattr(cls, name, method)
    if not frozen:
        cls.__hash__ = None  # type: ignore[assignment]  # eq without frozen, as dataclasses


def _getter(names: list[str]) -> Callable[[Any], Any]:
    """A function giving an object's values of names: a tuple for several, the value itself for
    one (what attrgetter gives; the methods below put it in a tuple themselves, which is faster
    than a getter that does)."""
    if not names:
        return lambda obj: ()
    return attrgetter(*names)


def _eq(names: list[str]) -> Callable[[Any, Any], Any]:
    values = _getter(names)
    if len(names) == 1:

        def one(self: Any, other: Any) -> Any:
            if other.__class__ is self.__class__:
                return (values(self),) == (values(other),)
            return NotImplemented

        return one

    def method(self: Any, other: Any) -> Any:
        if other.__class__ is self.__class__:
            return values(self) == values(other)
        return NotImplemented

    return method


def _compare(names: list[str], op: Callable[[Any, Any], bool]) -> Callable[[Any, Any], Any]:
    values = _getter(names)
    single = len(names) == 1

    def method(self: Any, other: Any) -> Any:
        if other.__class__ is self.__class__:
            if single:
                return op((values(self),), (values(other),))
            return op(values(self), values(other))
        return NotImplemented

    return method


def _hash(names: list[str]) -> Callable[[Any], int]:
    values = _getter(names)
    if len(names) == 1:

        def one(self: Any) -> int:
            return hash((values(self),))

        return one

    def method(self: Any) -> int:
        return hash(values(self))

    return method


def _repr(names: list[str]) -> Callable[[Any], str]:
    """__repr__ as dataclasses writes it, `Name(field=value!r, ...)`, by one %-format (faster
    than str.format). Like the methods written out before it, and unlike dataclasses', it does
    not show an object that holds itself as "...": these classes hold trees, and the guard
    would cost a third."""
    values = _getter(names)
    template = "%s(" + ", ".join(f"{name}=%r" for name in names) + ")"
    if len(names) == 1:

        def one(self: Any) -> str:
            return template % (self.__class__.__qualname__, values(self))

        return one

    def method(self: Any) -> str:
        return template % (self.__class__.__qualname__, *values(self))

    return method


def _reduce(cls: type, names: list[str]) -> Callable[[Any], tuple[type, tuple[Any, ...]]]:
    """__reduce__ for a frozen class with __slots__: its class and field values, rebuilt in one
    constructor call (the default sets each slot through the frozen __setattr__, and would fail;
    dataclasses' own frozen slots classes get and set their state through fields(), several
    times slower, and worker processes send tens of thousands of them to the parent)."""
    values = _getter(names)
    if len(names) == 1:
        return lambda self: (cls, (values(self),))
    return lambda self: (cls, values(self))


def _init(cls: type, every: tuple[Field[Any], ...]) -> Callable[..., None]:
    """__init__ taking each field in order, by position or by name, as dataclasses' does: the
    values set with object.__setattr__, a default factory called when its field is not given
    (FACTORY stands for it, as dataclasses' own sentinel does)."""
    names = tuple(f.name for f in every)
    count = len(names)
    defaults = _defaults(every)
    position = {name: i for i, name in enumerate(names)}
    required = tuple(i for i, default in enumerate(defaults) if default is _MISSING)
    factories: list[tuple[int, Callable[[], Any]]] = [
        (i, f.default_factory)  # type: ignore[misc]
        for i, f in enumerate(every)
        if f.default_factory is not _MISSING
    ]
    qualname = f"{cls.__qualname__}.__init__"

    def __init__(self: Any, *args: Any, **kwargs: Any) -> None:
        values: Any = args
        if kwargs or len(args) != count:
            if len(args) > count:
                _too_many(qualname, defaults, len(args))
            values = [*args, *defaults[len(args) :]]
            for name, value in kwargs.items():
                i = position.get(name, -1)
                if i < len(args):
                    _not_a_keyword(qualname, name, i)
                values[i] = value
            for i in required:
                if values[i] is _MISSING:
                    _missing(qualname, names, values, len(args), kwargs)
        if factories:
            values = [*values]
            for i, make in factories:
                if values[i] is FACTORY:
                    values[i] = make()
        for name, value in zip(names, values, strict=True):
            _set(self, name, value)

    return __init__


def _defaults(every: tuple[Field[Any], ...]) -> tuple[Any, ...]:
    """Each field's default: its value, FACTORY for a default factory, or MISSING."""
    return tuple(f.default if f.default_factory is _MISSING else FACTORY for f in every)


class _Signature:
    """What inspect.signature() gives for a class whose __init__ record() made (that __init__
    takes *args and **kwargs): the fields as dataclasses' __init__ takes them, worked out when
    asked, since the Parameter objects would cost some 40 us a class at every start."""

    def __get__(self, obj: Any, cls: type) -> Signature:
        every = fields(cls)  # type: ignore[arg-type]
        positional = Parameter.POSITIONAL_OR_KEYWORD
        return Signature(
            [
                Parameter(
                    f.name,
                    positional,
                    default=Parameter.empty if default is _MISSING else default,
                    annotation=f.type,
                )
                for f, default in zip(every, _defaults(every), strict=True)
            ],
            return_annotation=None,
        )


# the TypeErrors Python gives for a call that does not match the parameters


def _too_many(qualname: str, defaults: tuple[Any, ...], given: int) -> None:
    least = sum(default is _MISSING for default in defaults) + 1
    most = len(defaults) + 1
    takes = f"from {least} to {most}" if least < most else most
    raise TypeError(f"{qualname}() takes {takes} positional arguments but {given + 1} were given")


def _not_a_keyword(qualname: str, name: str, i: int) -> None:
    if i < 0:
        raise TypeError(f"{qualname}() got an unexpected keyword argument {name!r}")
    raise TypeError(f"{qualname}() got multiple values for argument {name!r}")


def _missing(
    qualname: str, names: tuple[str, ...], values: list[Any], given: int, kwargs: dict[str, Any]
) -> None:
    """Raises for the required parameters not given (a value that is MISSING itself was)."""
    missing = [
        repr(name)
        for i, name in enumerate(names)
        if i >= given and values[i] is _MISSING and name not in kwargs
    ]
    if not missing:
        return
    listed = (
        missing[0]
        if len(missing) == 1
        else f"{', '.join(missing[:-1])}{',' if len(missing) > 2 else ''} and {missing[-1]}"
    )
    plural = "" if len(missing) == 1 else "s"
    raise TypeError(
        f"{qualname}() missing {len(missing)} required positional argument{plural}: {listed}"
    )


def _doc(cls: type) -> str:
    """The docstring dataclasses gives a class without one, its name and signature."""
    shown = []
    for f in fields(cls):  # type: ignore[arg-type]
        text = f"{f.name}: {formatannotation(f.type)}"
        if f.default_factory is not _MISSING:
            text += " = <factory>"
        elif f.default is not _MISSING:
            text += f" = {f.default!r}"
        shown.append(text)
    return f"{cls.__name__}({', '.join(shown)})"


@record(frozen=True, order=True, slots=True)
class Location:
    """A span in a file; path is repository-relative with POSIX separators."""

    path: str
    start_line: int
    end_line: int
    start_col: int = 1
    end_col: int = 1

    def __init__(
        self, path: str, start_line: int, end_line: int, start_col: int = 1, end_col: int = 1
    ) -> None:
        _set(self, "path", path)
        _set(self, "start_line", start_line)
        _set(self, "end_line", end_line)
        _set(self, "start_col", start_col)
        _set(self, "end_col", end_col)

    @property
    def repository_level(self) -> bool:
        """True for REPOSITORY: the repository as a whole, no file and no line."""
        return self.path == "." and self.start_line == 0


# where a finding about the repository as a whole points (no CODEOWNERS file, say): its root,
# no line; reporters show it as "repository" and SARIF gives it no region
REPOSITORY = Location(".", 0, 0)


@record(frozen=True, slots=True)
class Unknown:
    """A value that static analysis cannot know (input without default, data source, ...)."""

    reason: str
    # True where the value is surely set, only not yet known (an id or ARN known after apply)
    not_null: bool = False
    # the known start of a string built by interpolation ("serviceAccount:${...}")
    prefix: str = ""
    # the source expression of a resource argument that is Unknown (`var.name`): two arguments
    # written the same way in one module hold the same value (links S3 settings to their bucket)
    source: str = field(default="", compare=False)

    def __init__(
        self, reason: str, not_null: bool = False, prefix: str = "", source: str = ""
    ) -> None:
        _set(self, "reason", reason)
        _set(self, "not_null", not_null)
        _set(self, "prefix", prefix)
        _set(self, "source", source)

    def __repr__(self) -> str:
        return f"Unknown({self.reason!r})"


def is_unknown(value: Any) -> bool:
    """True when value is the Unknown sentinel."""
    return isinstance(value, Unknown)


def contains_unknown(value: Any) -> bool:
    """True when value is Unknown or a list/dict holding one at any depth."""
    if is_unknown(value):
        return True
    if isinstance(value, list):
        return any(contains_unknown(v) for v in value)
    if isinstance(value, dict):
        return any(contains_unknown(v) for v in value.values())
    return False


def _no_state(self: Any, state: Any) -> None:
    """An enum member is a singleton: a pickle stream that would set its state (a planted cache
    entry, soc2lint.pipeline.codec) is refused rather than changing it for the whole process."""
    raise TypeError(f"{type(self).__name__} members have no state to set")


class Status(str, enum.Enum):
    FAIL = "fail"
    PASS = "pass"
    UNKNOWN = "unknown"

    __setstate__ = _no_state


class Platform(str, enum.Enum):
    TERRAFORM = "terraform"
    KUBERNETES = "kubernetes"
    GITHUB_ACTIONS = "github_actions"
    GITLAB_CI = "gitlab_ci"

    __setstate__ = _no_state


@record(frozen=True)
class Provenance:
    """The inputs a rendered object was built from, for findings to name the one a value came
    from: a Helm chart's values files and --set items, in the order helm applies them, and the
    object as rendered with only the inputs before each one (`before[k]` lacks `inputs[k]`
    and the later ones; None where that rendering has no such object, Unknown where it failed).
    """

    inputs: tuple[str, ...]  # shown: "values file deploy/prod.yaml", "--set image.tag=1.2"
    files: tuple[str, ...]  # the repository-relative file of each input ("" for --set)
    before: tuple[Any, ...]
    # the object in a second rendering with every input: a value that differs between the two
    # is made at random by the template (randAlphaNum, uuidv4, now) and no input set it
    again: Any = None


@record(frozen=True)
class Resource:
    """One declared thing the rules can look at, identified by a stable address."""

    address: str
    type: str
    platform: str
    attributes: dict[str, Any]
    location: Location
    # attribute path ("a.0.b") -> where it is written
    attribute_locations: dict[str, Location] = field(default_factory=dict, compare=False)
    # references this resource makes: (target address, attribute path it appears in)
    references: tuple[tuple[str, str], ...] = ()
    # "resource", "data", "module", "variable", ...
    kind: str = "resource"
    # where the address is unique: the root module directory for Terraform
    scope: str = ""
    # module call sites that instantiated this resource, outermost first
    call_sites: tuple[Location, ...] = ()
    # count/for_each whose keys are not known statically: one node stands for all instances
    template: bool = False
    # further types whose rules judge it, found by its shape (a Kubernetes custom kind with a
    # pod template is also a `Workload`)
    also_types: tuple[str, ...] = ()
    # a rendered object (Helm): the inputs its values came from, to name them in findings
    provenance: Provenance | None = field(default=None, compare=False)

    def __init__(
        self,
        address: str,
        type: str,
        platform: str,
        attributes: dict[str, Any],
        location: Location,
        attribute_locations: dict[str, Location] = FACTORY,
        references: tuple[tuple[str, str], ...] = (),
        kind: str = "resource",
        scope: str = "",
        call_sites: tuple[Location, ...] = (),
        template: bool = False,
        also_types: tuple[str, ...] = (),
        provenance: Provenance | None = None,
    ) -> None:
        _set(self, "address", address)
        _set(self, "type", type)
        _set(self, "platform", platform)
        _set(self, "attributes", attributes)
        _set(self, "location", location)
        _set(
            self,
            "attribute_locations",
            {} if attribute_locations is FACTORY else attribute_locations,
        )
        _set(self, "references", references)
        _set(self, "kind", kind)
        _set(self, "scope", scope)
        _set(self, "call_sites", call_sites)
        _set(self, "template", template)
        _set(self, "also_types", also_types)
        _set(self, "provenance", provenance)

    @property
    def key(self) -> str:
        """The graph node id: address qualified by its scope."""
        return f"{self.scope}::{self.address}" if self.scope else self.address

    def location_of(self, path: str) -> Location:
        """The location of an attribute path, or of its nearest written ancestor."""
        while path:
            loc = self.attribute_locations.get(path)
            if loc is not None:
                return loc
            path = path.rpartition(".")[0]
        return self.location


@record(frozen=True, slots=True)
class ParseError:
    """A file (or part of one) that could not be read; the scan goes on without it."""

    path: str
    line: int
    message: str
    column: int = 0


@record(frozen=True, slots=True)
class Skipped:
    """A file the scan chose not to read, and why."""

    path: str
    reason: str


@dataclass(frozen=True)
class Finding:
    """The result of one rule on one resource."""

    rule_id: str
    resource: str
    resource_type: str
    status: Status
    location: Location
    message: str
    evidence: tuple[str, ...] = ()
    # the resource's own header location, when location points elsewhere
    resource_location: Location | None = None
    # module call sites of the resource, outermost first (SARIF relatedLocations); a finding
    # that stands for several instances lists the call sites of every one, in order
    call_sites: tuple[Location, ...] = ()
    # a rendered object: where the deciding value came from ("value from values file
    # prod.yaml", or "rendered with values files a.yaml, b.yaml" when no one input set it),
    # and that input's file, if it is one
    value_source: str = ""
    value_files: tuple[str, ...] = ()
    # how many module instances gave this same result at this place: a module that several
    # root modules call is one finding listing every call site (soc2lint.pipeline.report)
    instances: int = 1

    @property
    def sort_key(self) -> tuple:
        return (self.location.path, self.location.start_line, self.rule_id, self.resource)


@record(frozen=True, slots=True)
class Suppression:
    """An accepted exception: which rule, where its marker is, why, and until when."""

    rule_id: str
    path: str
    line: int  # the marker's line
    reason: str
    expires: str | None = None  # YYYY-MM-DD, inclusive
    source: str = "inline"  # inline | annotation | checkov | tfsec | trivy | kics | zizmor
