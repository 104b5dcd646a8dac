"""A small syntax tree for HCL bodies and expressions, with line numbers: plain frozen dataclasses
(their methods written out, see soc2lint.model), so the parse cache can store it as data
(soc2lint.pipeline.codec)."""

from __future__ import annotations

from dataclasses import dataclass, field, is_dataclass
from typing import Any

from soc2lint.model import FACTORY, frozen_delattr, frozen_setattr, pickled_by_fields

# the dataclasses below have their methods written out (soc2lint.model says why)
_set = object.__setattr__


@dataclass(init=False, repr=False, eq=False, slots=True)
class Lit:
    value: Any

    def __init__(self, value: Any) -> None:
        _set(self, "value", value)

    def __repr__(self) -> str:
        return f"{self.__class__.__qualname__}(value={self.value!r})"

    def __eq__(self, other: Any) -> bool:
        if other.__class__ is self.__class__:
            return (self.value,) == (other.value,)
        return NotImplemented

    def __hash__(self) -> int:
        return hash((self.value,))

    __setattr__ = frozen_setattr
    __delattr__ = frozen_delattr


@dataclass(init=False, repr=False, eq=False, slots=True)
class Template:
    """A quoted string or heredoc: literal text and interpolated expressions."""

    parts: tuple[str | Expr, ...]

    def __init__(self, parts: tuple[str | Expr, ...]) -> None:
        _set(self, "parts", parts)

    def __repr__(self) -> str:
        return f"{self.__class__.__qualname__}(parts={self.parts!r})"

    def __eq__(self, other: Any) -> bool:
        if other.__class__ is self.__class__:
            return (self.parts,) == (other.parts,)
        return NotImplemented

    def __hash__(self) -> int:
        return hash((self.parts,))

    __setattr__ = frozen_setattr
    __delattr__ = frozen_delattr


@dataclass(init=False, repr=False, eq=False, slots=True)
class Var:
    """A bare identifier: the root of a traversal (var, local, aws_s3_bucket, each...)."""

    name: str

    def __init__(self, name: str) -> None:
        _set(self, "name", name)

    def __repr__(self) -> str:
        return f"{self.__class__.__qualname__}(name={self.name!r})"

    def __eq__(self, other: Any) -> bool:
        if other.__class__ is self.__class__:
            return (self.name,) == (other.name,)
        return NotImplemented

    def __hash__(self) -> int:
        return hash((self.name,))

    __setattr__ = frozen_setattr
    __delattr__ = frozen_delattr


@dataclass(init=False, repr=False, eq=False, slots=True)
class GetAttr:
    obj: Expr
    name: str

    def __init__(self, obj: Expr, name: str) -> None:
        _set(self, "obj", obj)
        _set(self, "name", name)

    def __repr__(self) -> str:
        return f"{self.__class__.__qualname__}(obj={self.obj!r}, name={self.name!r})"

    def __eq__(self, other: Any) -> bool:
        if other.__class__ is self.__class__:
            return (self.obj, self.name) == (other.obj, other.name)
        return NotImplemented

    def __hash__(self) -> int:
        return hash((self.obj, self.name))

    __setattr__ = frozen_setattr
    __delattr__ = frozen_delattr


@dataclass(init=False, repr=False, eq=False, slots=True)
class Index:
    obj: Expr
    key: Expr

    def __init__(self, obj: Expr, key: Expr) -> None:
        _set(self, "obj", obj)
        _set(self, "key", key)

    def __repr__(self) -> str:
        return f"{self.__class__.__qualname__}(obj={self.obj!r}, key={self.key!r})"

    def __eq__(self, other: Any) -> bool:
        if other.__class__ is self.__class__:
            return (self.obj, self.key) == (other.obj, other.key)
        return NotImplemented

    def __hash__(self) -> int:
        return hash((self.obj, self.key))

    __setattr__ = frozen_setattr
    __delattr__ = frozen_delattr


@dataclass(init=False, repr=False, eq=False, slots=True)
class Splat:
    """`obj[*].a.b` / `obj.*.a`: apply the traversal `each` to every element of obj."""

    obj: Expr
    each: tuple[tuple[str, Any], ...]  # ("attr", name) | ("index", Expr)

    def __init__(self, obj: Expr, each: tuple[tuple[str, Any], ...]) -> None:
        _set(self, "obj", obj)
        _set(self, "each", each)

    def __repr__(self) -> str:
        return f"{self.__class__.__qualname__}(obj={self.obj!r}, each={self.each!r})"

    def __eq__(self, other: Any) -> bool:
        if other.__class__ is self.__class__:
            return (self.obj, self.each) == (other.obj, other.each)
        return NotImplemented

    def __hash__(self) -> int:
        return hash((self.obj, self.each))

    __setattr__ = frozen_setattr
    __delattr__ = frozen_delattr


@dataclass(init=False, repr=False, eq=False, slots=True)
class TupleExpr:
    items: tuple[Expr, ...]

    def __init__(self, items: tuple[Expr, ...]) -> None:
        _set(self, "items", items)

    def __repr__(self) -> str:
        return f"{self.__class__.__qualname__}(items={self.items!r})"

    def __eq__(self, other: Any) -> bool:
        if other.__class__ is self.__class__:
            return (self.items,) == (other.items,)
        return NotImplemented

    def __hash__(self) -> int:
        return hash((self.items,))

    __setattr__ = frozen_setattr
    __delattr__ = frozen_delattr


@dataclass(init=False, repr=False, eq=False, slots=True)
class ObjectExpr:
    items: tuple[tuple[Expr, Expr, int], ...]  # key, value, line

    def __init__(self, items: tuple[tuple[Expr, Expr, int], ...]) -> None:
        _set(self, "items", items)

    def __repr__(self) -> str:
        return f"{self.__class__.__qualname__}(items={self.items!r})"

    def __eq__(self, other: Any) -> bool:
        if other.__class__ is self.__class__:
            return (self.items,) == (other.items,)
        return NotImplemented

    def __hash__(self) -> int:
        return hash((self.items,))

    __setattr__ = frozen_setattr
    __delattr__ = frozen_delattr


@dataclass(init=False, repr=False, eq=False, slots=True)
class Call:
    name: str
    args: tuple[Expr, ...]
    expand_final: bool = False

    def __init__(self, name: str, args: tuple[Expr, ...], expand_final: bool = False) -> None:
        _set(self, "name", name)
        _set(self, "args", args)
        _set(self, "expand_final", expand_final)

    def __repr__(self) -> str:
        return (
            f"{self.__class__.__qualname__}(name={self.name!r}, args={self.args!r}, "
            f"expand_final={self.expand_final!r})"
        )

    def _values(self) -> tuple:
        """The fields compared and hashed, in order."""
        return (self.name, self.args, self.expand_final)

    def __eq__(self, other: Any) -> bool:
        if other.__class__ is self.__class__:
            return self._values() == other._values()
        return NotImplemented

    def __hash__(self) -> int:
        return hash(self._values())

    __setattr__ = frozen_setattr
    __delattr__ = frozen_delattr


@dataclass(init=False, repr=False, eq=False, slots=True)
class Conditional:
    cond: Expr
    then: Expr
    other: Expr

    def __init__(self, cond: Expr, then: Expr, other: Expr) -> None:
        _set(self, "cond", cond)
        _set(self, "then", then)
        _set(self, "other", other)

    def __repr__(self) -> str:
        return (
            f"{self.__class__.__qualname__}(cond={self.cond!r}, then={self.then!r}, "
            f"other={self.other!r})"
        )

    def __eq__(self, other: Any) -> bool:
        if other.__class__ is self.__class__:
            return (self.cond, self.then, self.other) == (other.cond, other.then, other.other)
        return NotImplemented

    def __hash__(self) -> int:
        return hash((self.cond, self.then, self.other))

    __setattr__ = frozen_setattr
    __delattr__ = frozen_delattr


@dataclass(init=False, repr=False, eq=False, slots=True)
class BinOp:
    op: str
    left: Expr
    right: Expr

    def __init__(self, op: str, left: Expr, right: Expr) -> None:
        _set(self, "op", op)
        _set(self, "left", left)
        _set(self, "right", right)

    def __repr__(self) -> str:
        return (
            f"{self.__class__.__qualname__}(op={self.op!r}, left={self.left!r}, "
            f"right={self.right!r})"
        )

    def __eq__(self, other: Any) -> bool:
        if other.__class__ is self.__class__:
            return (self.op, self.left, self.right) == (other.op, other.left, other.right)
        return NotImplemented

    def __hash__(self) -> int:
        return hash((self.op, self.left, self.right))

    __setattr__ = frozen_setattr
    __delattr__ = frozen_delattr


@dataclass(init=False, repr=False, eq=False, slots=True)
class UnOp:
    op: str
    operand: Expr

    def __init__(self, op: str, operand: Expr) -> None:
        _set(self, "op", op)
        _set(self, "operand", operand)

    def __repr__(self) -> str:
        return f"{self.__class__.__qualname__}(op={self.op!r}, operand={self.operand!r})"

    def __eq__(self, other: Any) -> bool:
        if other.__class__ is self.__class__:
            return (self.op, self.operand) == (other.op, other.operand)
        return NotImplemented

    def __hash__(self) -> int:
        return hash((self.op, self.operand))

    __setattr__ = frozen_setattr
    __delattr__ = frozen_delattr


@dataclass(init=False, repr=False, eq=False, slots=True)
class ForExpr:
    key_var: str | None
    value_var: str
    collection: Expr
    key: Expr | None  # None for a tuple-producing for
    value: Expr
    cond: Expr | None
    group: bool = False

    def __init__(
        self,
        key_var: str | None,
        value_var: str,
        collection: Expr,
        key: Expr | None,
        value: Expr,
        cond: Expr | None,
        group: bool = False,
    ) -> None:
        _set(self, "key_var", key_var)
        _set(self, "value_var", value_var)
        _set(self, "collection", collection)
        _set(self, "key", key)
        _set(self, "value", value)
        _set(self, "cond", cond)
        _set(self, "group", group)

    def __repr__(self) -> str:
        return (
            f"{self.__class__.__qualname__}(key_var={self.key_var!r}, "
            f"value_var={self.value_var!r}, collection={self.collection!r}, key={self.key!r}, "
            f"value={self.value!r}, cond={self.cond!r}, group={self.group!r})"
        )

    def _values(self) -> tuple:
        """The fields compared and hashed, in order."""
        return (
            self.key_var,
            self.value_var,
            self.collection,
            self.key,
            self.value,
            self.cond,
            self.group,
        )

    def __eq__(self, other: Any) -> bool:
        if other.__class__ is self.__class__:
            return self._values() == other._values()
        return NotImplemented

    def __hash__(self) -> int:
        return hash(self._values())

    __setattr__ = frozen_setattr
    __delattr__ = frozen_delattr


@dataclass(init=False, repr=False, eq=False, slots=True)
class Opaque:
    """Syntax we keep but do not evaluate (template directives); always Unknown."""

    what: str
    refs: tuple[Expr, ...] = ()

    def __init__(self, what: str, refs: tuple[Expr, ...] = ()) -> None:
        _set(self, "what", what)
        _set(self, "refs", refs)

    def __repr__(self) -> str:
        return f"{self.__class__.__qualname__}(what={self.what!r}, refs={self.refs!r})"

    def __eq__(self, other: Any) -> bool:
        if other.__class__ is self.__class__:
            return (self.what, self.refs) == (other.what, other.refs)
        return NotImplemented

    def __hash__(self) -> int:
        return hash((self.what, self.refs))

    __setattr__ = frozen_setattr
    __delattr__ = frozen_delattr


Expr = (
    Lit
    | Template
    | Var
    | GetAttr
    | Index
    | Splat
    | TupleExpr
    | ObjectExpr
    | Call
    | Conditional
    | BinOp
    | UnOp
    | ForExpr
    | Opaque
)


@dataclass(init=False, repr=False, eq=False, slots=True)
class Attribute:
    name: str
    expr: Expr
    line: int
    end_line: int

    def __init__(self, name: str, expr: Expr, line: int, end_line: int) -> None:
        _set(self, "name", name)
        _set(self, "expr", expr)
        _set(self, "line", line)
        _set(self, "end_line", end_line)

    def __repr__(self) -> str:
        return (
            f"{self.__class__.__qualname__}(name={self.name!r}, expr={self.expr!r}, "
            f"line={self.line!r}, end_line={self.end_line!r})"
        )

    def _values(self) -> tuple:
        """The fields compared and hashed, in order."""
        return (self.name, self.expr, self.line, self.end_line)

    def __eq__(self, other: Any) -> bool:
        if other.__class__ is self.__class__:
            return self._values() == other._values()
        return NotImplemented

    def __hash__(self) -> int:
        return hash(self._values())

    __setattr__ = frozen_setattr
    __delattr__ = frozen_delattr


@dataclass(init=False, repr=False, eq=False, slots=True)
class Block:
    type: str
    labels: tuple[str, ...]
    body: Body
    line: int
    end_line: int

    def __init__(
        self, type: str, labels: tuple[str, ...], body: Body, line: int, end_line: int
    ) -> None:
        _set(self, "type", type)
        _set(self, "labels", labels)
        _set(self, "body", body)
        _set(self, "line", line)
        _set(self, "end_line", end_line)

    def __repr__(self) -> str:
        return (
            f"{self.__class__.__qualname__}(type={self.type!r}, labels={self.labels!r}, "
            f"body={self.body!r}, line={self.line!r}, end_line={self.end_line!r})"
        )

    def _values(self) -> tuple:
        """The fields compared and hashed, in order."""
        return (self.type, self.labels, self.body, self.line, self.end_line)

    def __eq__(self, other: Any) -> bool:
        if other.__class__ is self.__class__:
            return self._values() == other._values()
        return NotImplemented

    def __hash__(self) -> int:
        return hash(self._values())

    __setattr__ = frozen_setattr
    __delattr__ = frozen_delattr


@dataclass(init=False, repr=False, eq=False, slots=True)
class Body:
    attributes: dict[str, Attribute] = field(default_factory=dict)
    blocks: tuple[Block, ...] = ()

    def __init__(
        self, attributes: dict[str, Attribute] = FACTORY, blocks: tuple[Block, ...] = ()
    ) -> None:
        _set(self, "attributes", {} if attributes is FACTORY else attributes)
        _set(self, "blocks", blocks)

    def __repr__(self) -> str:
        return (
            f"{self.__class__.__qualname__}(attributes={self.attributes!r}, blocks={self.blocks!r})"
        )

    def __eq__(self, other: Any) -> bool:
        if other.__class__ is self.__class__:
            return (self.attributes, self.blocks) == (other.attributes, other.blocks)
        return NotImplemented

    def __hash__(self) -> int:
        return hash((self.attributes, self.blocks))

    __setattr__ = frozen_setattr
    __delattr__ = frozen_delattr


# pickled as class and field values (parse results cross from worker processes to the parent)
for _node in [c for c in list(globals().values()) if isinstance(c, type) and is_dataclass(c)]:
    pickled_by_fields(_node)


def children(expr: Expr) -> list[Expr]:
    """The direct sub-expressions of expr."""
    if isinstance(expr, Template):
        return [p for p in expr.parts if not isinstance(p, str)]
    if isinstance(expr, GetAttr):
        return [expr.obj]
    if isinstance(expr, Index):
        return [expr.obj, expr.key]
    if isinstance(expr, Splat):
        return [expr.obj] + [v for kind, v in expr.each if kind == "index"]
    if isinstance(expr, TupleExpr):
        return list(expr.items)
    if isinstance(expr, ObjectExpr):
        return [e for k, v, _ in expr.items for e in (k, v)]
    if isinstance(expr, Call):
        return list(expr.args)
    if isinstance(expr, Conditional):
        return [expr.cond, expr.then, expr.other]
    if isinstance(expr, BinOp):
        return [expr.left, expr.right]
    if isinstance(expr, UnOp):
        return [expr.operand]
    if isinstance(expr, ForExpr):
        return [e for e in (expr.collection, expr.key, expr.value, expr.cond) if e is not None]
    if isinstance(expr, Opaque):
        return list(expr.refs)
    return []


def traversal(expr: Expr) -> tuple[str, ...] | None:
    """`a.b[0].c["k"]` as ("a", "b", "[0]", "c", '["k"]') when every step is static; else None."""
    parts: list[str] = []
    while True:
        if isinstance(expr, Var):
            parts.append(expr.name)
            return tuple(reversed(parts))
        if isinstance(expr, GetAttr):
            parts.append(expr.name)
            expr = expr.obj
        elif isinstance(expr, Index) and isinstance(expr.key, Lit):
            key = expr.key.value
            parts.append(f'["{key}"]' if isinstance(key, str) else f"[{key}]")
            expr = expr.obj
        elif isinstance(expr, (Index, Splat)):
            # keep the static prefix: aws_instance.a[count.index].id -> aws_instance.a
            parts = []
            expr = expr.obj
        else:
            return None


def traversals(expr: Expr) -> list[tuple[str, ...]]:
    """Every maximal static traversal (reference) inside expr."""
    found: list[tuple[str, ...]] = []
    stack = [expr]
    while stack:
        node = stack.pop()
        if isinstance(node, (Var, GetAttr, Index, Splat)):
            path = traversal(node)
            if path is not None:
                found.append(path)
                # index keys may hold references of their own
                stack.extend(_index_keys(node))
                continue
        stack.extend(children(node))
    return found


def _index_keys(expr: Expr) -> list[Expr]:
    keys: list[Expr] = []
    while isinstance(expr, (GetAttr, Index, Splat)):
        if isinstance(expr, Index):
            keys.append(expr.key)
        elif isinstance(expr, Splat):
            keys.extend(v for kind, v in expr.each if kind == "index")
        expr = expr.obj
    return keys


def for_expr(
    names: list[str], collection: Expr, parts: list[Expr], cond: Expr | None, group: bool
) -> ForExpr:
    """A for expression from its converted parts (either parser's): `[for v in c : x]` has one
    part, `{for k, v in c : key => value}` two (and may group with `...`)."""
    key_var, value_var = (names[0], names[1]) if len(names) == 2 else (None, names[0])
    if len(parts) == 2:
        return ForExpr(key_var, value_var, collection, parts[0], parts[1], cond, group)
    return ForExpr(key_var, value_var, collection, None, parts[0], cond)
