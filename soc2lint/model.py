"""The core model: frozen dataclasses shared by parsers, engine and reporters."""

from __future__ import annotations

import enum
from dataclasses import FrozenInstanceError, dataclass, field, fields
from operator import attrgetter
from typing import Any


def pickled_by_fields(cls: type) -> type:
    """Give a frozen dataclass with __slots__ a __reduce__ that pickles it as its class and its
    field values, rebuilt in one constructor call: the default for such a class gets and sets
    its state through dataclasses.fields() for every object, several times slower, and worker
    processes send tens of thousands of them to the parent."""
    names = [f.name for f in fields(cls)]  # type: ignore[arg-type]
    get = attrgetter(*names)

    def reduce(self: Any) -> tuple[type, tuple[Any, ...]]:
        values = get(self)
        return (cls, (values,) if len(names) == 1 else values)

    cls.__reduce__ = reduce  # type: ignore[assignment,method-assign]
    return cls


# Most dataclasses here and in the modules a scan imports first (the Terraform syntax tree, the
# rules) are declared @dataclass(init=False, repr=False, eq=False) with their methods written
# out: still dataclasses to fields(), replace() and the cache codec, but making the methods at
# import costs dataclasses five or six compile() calls, about 1.5 ms a class and a sixth of a
# one-file pre-commit run in all. tests/test_written_out_dataclasses.py checks each against the
# dataclass it stands for (signature, repr, equality, hash, order, frozenness, pickling).
_set = object.__setattr__


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


@dataclass(init=False, repr=False, eq=False, slots=True)
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

    def __repr__(self) -> str:
        return (
            f"{self.__class__.__qualname__}(path={self.path!r}, start_line={self.start_line!r}, "
            f"end_line={self.end_line!r}, start_col={self.start_col!r}, end_col={self.end_col!r})"
        )

    def _values(self) -> tuple:
        """The fields compared and hashed, in order."""
        return (self.path, self.start_line, self.end_line, self.start_col, self.end_col)

    def __eq__(self, other: Any) -> bool:
        if other.__class__ is self.__class__:
            return self._values() == other._values()
        return NotImplemented

    def __lt__(self, other: Any) -> bool:
        if other.__class__ is self.__class__:
            return self._values() < other._values()
        return NotImplemented

    def __le__(self, other: Any) -> bool:
        if other.__class__ is self.__class__:
            return self._values() <= other._values()
        return NotImplemented

    def __gt__(self, other: Any) -> bool:
        if other.__class__ is self.__class__:
            return self._values() > other._values()
        return NotImplemented

    def __ge__(self, other: Any) -> bool:
        if other.__class__ is self.__class__:
            return self._values() >= other._values()
        return NotImplemented

    def __hash__(self) -> int:
        return hash(self._values())

    __setattr__ = frozen_setattr
    __delattr__ = frozen_delattr

    @property
    def repository_level(self) -> bool:
        """True for REPOSITORY: the repository as a whole, no file and no line."""
        return self.path == "." and self.start_line == 0

    def __reduce__(self) -> tuple:
        # rebuilt from its fields in one call: parse workers send tens of thousands of these
        # back to the parent, and a frozen dataclass's default state restore is several times
        # slower
        return (Location, (self.path, self.start_line, self.end_line, self.start_col, self.end_col))


# where a finding about the repository as a whole points (no CODEOWNERS file, say): its root,
# no line; reporters show it as "repository" and SARIF gives it no region
REPOSITORY = Location(".", 0, 0)


@pickled_by_fields
@dataclass(init=False, repr=False, eq=False, slots=True)
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

    def _values(self) -> tuple:
        """The fields compared and hashed, in order."""
        return (self.reason, self.not_null, self.prefix)

    def __eq__(self, other: Any) -> bool:
        if other.__class__ is self.__class__:
            return self._values() == other._values()
        return NotImplemented

    def __hash__(self) -> int:
        return hash(self._values())

    __setattr__ = frozen_setattr
    __delattr__ = frozen_delattr

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


@dataclass(init=False, repr=False, eq=False)
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

    def __init__(
        self,
        inputs: tuple[str, ...],
        files: tuple[str, ...],
        before: tuple[Any, ...],
        again: Any = None,
    ) -> None:
        _set(self, "inputs", inputs)
        _set(self, "files", files)
        _set(self, "before", before)
        _set(self, "again", again)

    def __repr__(self) -> str:
        return (
            f"{self.__class__.__qualname__}(inputs={self.inputs!r}, files={self.files!r}, "
            f"before={self.before!r}, again={self.again!r})"
        )

    def _values(self) -> tuple:
        """The fields compared and hashed, in order."""
        return (self.inputs, self.files, self.before, self.again)

    def __eq__(self, other: Any) -> bool:
        if other.__class__ is self.__class__:
            return self._values() == other._values()
        return NotImplemented

    def __hash__(self) -> int:
        return hash(self._values())

    __setattr__ = frozen_setattr
    __delattr__ = frozen_delattr


@dataclass(init=False, repr=False, eq=False)
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

    def __repr__(self) -> str:
        return (
            f"{self.__class__.__qualname__}(address={self.address!r}, type={self.type!r}, "
            f"platform={self.platform!r}, attributes={self.attributes!r}, "
            f"location={self.location!r}, attribute_locations={self.attribute_locations!r}, "
            f"references={self.references!r}, kind={self.kind!r}, scope={self.scope!r}, "
            f"call_sites={self.call_sites!r}, template={self.template!r}, "
            f"also_types={self.also_types!r}, provenance={self.provenance!r})"
        )

    def _values(self) -> tuple:
        """The fields compared and hashed, in order."""
        return (
            self.address,
            self.type,
            self.platform,
            self.attributes,
            self.location,
            self.references,
            self.kind,
            self.scope,
            self.call_sites,
            self.template,
            self.also_types,
        )

    def __eq__(self, other: Any) -> bool:
        if other.__class__ is self.__class__:
            return self._values() == other._values()
        return NotImplemented

    def __hash__(self) -> int:
        return hash(self._values())

    __setattr__ = frozen_setattr
    __delattr__ = frozen_delattr

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


@pickled_by_fields
@dataclass(init=False, repr=False, eq=False, slots=True)
class ParseError:
    """A file (or part of one) that could not be read; the scan goes on without it."""

    path: str
    line: int
    message: str
    column: int = 0

    def __init__(self, path: str, line: int, message: str, column: int = 0) -> None:
        _set(self, "path", path)
        _set(self, "line", line)
        _set(self, "message", message)
        _set(self, "column", column)

    def __repr__(self) -> str:
        return (
            f"{self.__class__.__qualname__}(path={self.path!r}, line={self.line!r}, "
            f"message={self.message!r}, column={self.column!r})"
        )

    def _values(self) -> tuple:
        """The fields compared and hashed, in order."""
        return (self.path, self.line, self.message, self.column)

    def __eq__(self, other: Any) -> bool:
        if other.__class__ is self.__class__:
            return self._values() == other._values()
        return NotImplemented

    def __hash__(self) -> int:
        return hash(self._values())

    __setattr__ = frozen_setattr
    __delattr__ = frozen_delattr


@pickled_by_fields
@dataclass(init=False, repr=False, eq=False, slots=True)
class Skipped:
    """A file the scan chose not to read, and why."""

    path: str
    reason: str

    def __init__(self, path: str, reason: str) -> None:
        _set(self, "path", path)
        _set(self, "reason", reason)

    def __repr__(self) -> str:
        return f"{self.__class__.__qualname__}(path={self.path!r}, reason={self.reason!r})"

    def __eq__(self, other: Any) -> bool:
        if other.__class__ is self.__class__:
            return (self.path, self.reason) == (other.path, other.reason)
        return NotImplemented

    def __hash__(self) -> int:
        return hash((self.path, self.reason))

    __setattr__ = frozen_setattr
    __delattr__ = frozen_delattr


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


@pickled_by_fields
@dataclass(init=False, repr=False, eq=False, slots=True)
class Suppression:
    """An accepted exception: which rule, where its marker is, why, and until when."""

    rule_id: str
    path: str
    line: int  # the marker's line
    reason: str
    expires: str | None = None  # YYYY-MM-DD, inclusive
    source: str = "inline"  # inline | annotation | checkov | tfsec | trivy | kics | zizmor

    def __init__(
        self,
        rule_id: str,
        path: str,
        line: int,
        reason: str,
        expires: str | None = None,
        source: str = "inline",
    ) -> None:
        _set(self, "rule_id", rule_id)
        _set(self, "path", path)
        _set(self, "line", line)
        _set(self, "reason", reason)
        _set(self, "expires", expires)
        _set(self, "source", source)

    def __repr__(self) -> str:
        return (
            f"{self.__class__.__qualname__}(rule_id={self.rule_id!r}, path={self.path!r}, "
            f"line={self.line!r}, reason={self.reason!r}, expires={self.expires!r}, "
            f"source={self.source!r})"
        )

    def _values(self) -> tuple:
        """The fields compared and hashed, in order."""
        return (self.rule_id, self.path, self.line, self.reason, self.expires, self.source)

    def __eq__(self, other: Any) -> bool:
        if other.__class__ is self.__class__:
            return self._values() == other._values()
        return NotImplemented

    def __hash__(self) -> int:
        return hash(self._values())

    __setattr__ = frozen_setattr
    __delattr__ = frozen_delattr
