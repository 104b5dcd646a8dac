"""A small syntax tree for HCL bodies and expressions, with line numbers: plain frozen dataclasses
(made by soc2lint.model.record), so the parse cache can store it as data
(soc2lint.pipeline.codec)."""

from __future__ import annotations

from dataclasses import field
from typing import Any

from soc2lint.model import FACTORY, record

# each node writes its own short __init__: parses make them by the hundred thousand, and the
# generic one of record() takes two to three times as long (soc2lint.model.record)
_set = object.__setattr__


@record(frozen=True, slots=True)
class Lit:
    value: Any

    def __init__(self, value: Any) -> None:
        _set(self, "value", value)


@record(frozen=True, slots=True)
class Template:
    """A quoted string or heredoc: literal text and interpolated expressions."""

    parts: tuple[str | Expr, ...]

    def __init__(self, parts: tuple[str | Expr, ...]) -> None:
        _set(self, "parts", parts)


@record(frozen=True, slots=True)
class Var:
    """A bare identifier: the root of a traversal (var, local, aws_s3_bucket, each...)."""

    name: str

    def __init__(self, name: str) -> None:
        _set(self, "name", name)


@record(frozen=True, slots=True)
class GetAttr:
    obj: Expr
    name: str

    def __init__(self, obj: Expr, name: str) -> None:
        _set(self, "obj", obj)
        _set(self, "name", name)


@record(frozen=True, slots=True)
class Index:
    obj: Expr
    key: Expr

    def __init__(self, obj: Expr, key: Expr) -> None:
        _set(self, "obj", obj)
        _set(self, "key", key)


@record(frozen=True, slots=True)
class Splat:
    """`obj[*].a.b` / `obj.*.a`: apply the traversal `each` to every element of obj."""

    obj: Expr
    each: tuple[tuple[str, Any], ...]  # ("attr", name) | ("index", Expr)

    def __init__(self, obj: Expr, each: tuple[tuple[str, Any], ...]) -> None:
        _set(self, "obj", obj)
        _set(self, "each", each)


@record(frozen=True, slots=True)
class TupleExpr:
    items: tuple[Expr, ...]

    def __init__(self, items: tuple[Expr, ...]) -> None:
        _set(self, "items", items)


@record(frozen=True, slots=True)
class ObjectExpr:
    items: tuple[tuple[Expr, Expr, int], ...]  # key, value, line

    def __init__(self, items: tuple[tuple[Expr, Expr, int], ...]) -> None:
        _set(self, "items", items)


@record(frozen=True, slots=True)
class Call:
    name: str
    args: tuple[Expr, ...]
    expand_final: bool = False

    def __init__(self, name: str, args: tuple[Expr, ...], expand_final: bool = False) -> None:
        _set(self, "name", name)
        _set(self, "args", args)
        _set(self, "expand_final", expand_final)


@record(frozen=True, slots=True)
class Conditional:
    cond: Expr
    then: Expr
    other: Expr

    def __init__(self, cond: Expr, then: Expr, other: Expr) -> None:
        _set(self, "cond", cond)
        _set(self, "then", then)
        _set(self, "other", other)


@record(frozen=True, slots=True)
class BinOp:
    op: str
    left: Expr
    right: Expr

    def __init__(self, op: str, left: Expr, right: Expr) -> None:
        _set(self, "op", op)
        _set(self, "left", left)
        _set(self, "right", right)


@record(frozen=True, slots=True)
class UnOp:
    op: str
    operand: Expr

    def __init__(self, op: str, operand: Expr) -> None:
        _set(self, "op", op)
        _set(self, "operand", operand)


@record(frozen=True, slots=True)
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


@record(frozen=True, slots=True)
class Opaque:
    """Syntax we keep but do not evaluate (template directives); always Unknown."""

    what: str
    refs: tuple[Expr, ...] = ()

    def __init__(self, what: str, refs: tuple[Expr, ...] = ()) -> None:
        _set(self, "what", what)
        _set(self, "refs", refs)


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


@record(frozen=True, slots=True)
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


@record(frozen=True, slots=True)
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


@record(frozen=True, slots=True)
class Body:
    attributes: dict[str, Attribute] = field(default_factory=dict)
    blocks: tuple[Block, ...] = ()

    def __init__(
        self, attributes: dict[str, Attribute] = FACTORY, blocks: tuple[Block, ...] = ()
    ) -> None:
        _set(self, "attributes", {} if attributes is FACTORY else attributes)
        _set(self, "blocks", blocks)


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
