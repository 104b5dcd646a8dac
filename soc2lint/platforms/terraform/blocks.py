"""A block's body as Terraform gives it to the provider: attributes evaluated with their lines,
nested and `dynamic` blocks, typed variable values, and the instances `count` and `for_each`
make of a resource or module block.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from typing import Any

from soc2lint.model import Location, Unknown, is_unknown, record
from soc2lint.platforms.terraform import ast
from soc2lint.platforms.terraform.evaluate import Scope, evaluate

# _Expansion, made for every resource and module block, writes its own __init__
# (soc2lint.model.record says why)
_set = object.__setattr__

# Meta-arguments are Terraform's, not the provider's: never part of a resource's attributes.
_META = {"count", "for_each", "depends_on", "provider", "lifecycle", "provisioner", "connection"}
MAX_INSTANCES = 1000  # more count/for_each instances than this: one template node


def root_of(path: tuple[str, ...]) -> str | None:
    """The address a reference points at: var.x, local.x, module.m.out, data.t.n, t.n."""
    if len(path) < 2:
        return None
    head = path[0]
    if head in ("var", "local"):
        return f"{head}.{path[1]}"
    if head == "module":
        # module.NAME[KEY].OUTPUT, the key and the output optional
        key = path[2] if len(path) >= 3 and path[2].startswith("[") else ""
        rest = path[3 if key else 2 :]
        return f"module.{path[1]}{key}" + (f".{rest[0]}" if rest else "")
    if head == "data":
        return f"data.{path[1]}.{path[2]}" if len(path) >= 3 else None
    if head in ("count", "each", "self", "path", "terraform"):
        return None
    return f"{head}.{path[1]}"


# What every module instance of one build shares: facts of the syntax tree that no value changes
# (the references an expression makes, the Location of a line span, a module's blocks by kind),
# computed once however many instances (and root modules) use the same tree. Keyed by id():
# each entry holds the object itself, so no id is reused while the entry lives. Only inside
# shared_facts(); forgotten when the outermost one ends.
_memos: dict[str, dict] | None = None
# the two asked for most (by every argument of every instance), kept at hand
_roots_memo: dict[int, tuple[ast.Expr, tuple[str, ...]]] | None = None
_locations_memo: dict[tuple[str, int, int], Location] | None = None
_shared_depth = 0


@contextmanager
def shared_facts() -> Iterator[None]:
    """Share syntax-tree facts between the module instances built inside (a project's root
    modules); forgotten when the outermost one ends, so nothing outlives the build."""
    global _memos, _roots_memo, _locations_memo, _shared_depth
    if _shared_depth == 0:
        _memos, _roots_memo, _locations_memo = {}, {}, {}
    _shared_depth += 1
    try:
        yield
    finally:
        _shared_depth -= 1
        if _shared_depth == 0:
            _memos = _roots_memo = _locations_memo = None


def shared_memo(name: str) -> dict | None:
    """The memo of that name while facts are shared, else None (compute every time)."""
    memos = _memos
    if memos is None:
        return None
    memo = memos.get(name)
    if memo is None:
        memo = memos[name] = {}
    return memo


def reference_roots(expr: ast.Expr) -> tuple[str, ...]:
    """root_of() of every static traversal in expr (those that name something), in order."""
    return _once(_roots_memo, expr, _reference_roots)


def _reference_roots(expr: ast.Expr) -> tuple[str, ...]:
    return tuple(t for t in map(root_of, ast.traversals(expr)) if t is not None)


def _source_text(expr: ast.Expr) -> str:
    """repr(expr) (the source an Unknown argument was written as), once per expression."""
    return _once(shared_memo("source"), expr, repr)


def _once(memo: dict | None, expr: ast.Expr, compute: Callable[[ast.Expr], Any]) -> Any:
    """compute(expr), kept in memo (keyed by id; the entry holds expr, so the id is not reused
    while it lives) when a build shares one, else computed again."""
    if memo is None:
        return compute(expr)
    entry = memo.get(id(expr))
    if entry is None:
        entry = memo[id(expr)] = (expr, compute(expr))
    return entry[1]


def location(path: str, line: int, end_line: int) -> Location:
    """Location(path, line, end_line), one object per span while facts are shared (Locations
    are immutable, so every resource written at a span may hold the same one)."""
    memo = _locations_memo
    if memo is None:
        return Location(path, line, end_line)
    key = (path, line, end_line)
    found = memo.get(key)
    if found is None:
        found = memo[key] = Location(path, line, end_line)
    return found


@record(frozen=True)
class _Expansion:
    instances: list[tuple[str, dict[str, Any]]]  # (address suffix, iterator roots)
    keys: list[Any]
    keyed: bool  # for_each (map keys) rather than count
    is_list: bool  # count
    template: bool = False

    def __init__(
        self,
        instances: list[tuple[str, dict[str, Any]]],
        keys: list[Any],
        keyed: bool,
        is_list: bool,
        template: bool = False,
    ) -> None:
        _set(self, "instances", instances)
        _set(self, "keys", keys)
        _set(self, "keyed", keyed)
        _set(self, "is_list", is_list)
        _set(self, "template", template)


def expansion_of(block: ast.Block, scope: Scope) -> _Expansion | None:
    """The instances of a resource or module block; None when they are not known statically."""
    count_attr = block.body.attributes.get("count")
    each_attr = block.body.attributes.get("for_each")
    if count_attr is not None:
        count = evaluate(count_attr.expr, scope)
        if isinstance(count, bool) or not isinstance(count, (int, float)) or count < 0:
            return None
        if count > MAX_INSTANCES:
            return None
        n = int(count)
        return _Expansion(
            [(f"[{i}]", {"count": {"index": i}}) for i in range(n)],
            list(range(n)),
            keyed=False,
            is_list=True,
        )
    if each_attr is not None:
        value = evaluate(each_attr.expr, scope)
        if isinstance(value, dict):
            pairs = sorted(value.items())
        elif isinstance(value, list) and all(isinstance(v, str) for v in value):
            pairs = [(v, v) for v in sorted(set(value))]
        else:
            return None
        if len(pairs) > MAX_INSTANCES or any(is_unknown(k) for k, _v in pairs):
            return None
        return _Expansion(
            [(f'["{k}"]', {"each": {"key": k, "value": v}}) for k, v in pairs],
            [k for k, _v in pairs],
            keyed=True,
            is_list=False,
        )
    return _Expansion([("", {})], [None], keyed=False, is_list=False)


def template_roots(block: ast.Block) -> dict[str, Any]:
    """Iterator values for a resource whose instances are not known: all Unknown."""
    if "count" in block.body.attributes:
        return {"count": {"index": Unknown("count.index of a resource whose count is not known")}}
    return {
        "each": {
            "key": Unknown("each.key of a for_each that is not known statically"),
            "value": Unknown("each.value of a for_each that is not known statically"),
        }
    }


def typed_value(value: Any, block: ast.Block) -> Any:
    """A raw string from the environment or --var, converted as the variable's type says."""
    if not isinstance(value, _Raw):
        return value
    type_attr = block.body.attributes.get("type")
    type_name = ast.traversal(type_attr.expr) if type_attr is not None else None
    simple = type_attr is None or (
        type_name is not None and type_name[0] in ("string", "number", "bool", "any")
    )
    if simple:
        return value.text
    from soc2lint.platforms.terraform.hcl import HCLSyntaxError, parse_expression

    try:
        return evaluate(parse_expression(value.text), Scope())
    except HCLSyntaxError:
        return Unknown("value given on the command line or environment does not parse")


def with_type_defaults(value: Any, type_expr: ast.Expr | None) -> Any:
    """value as a variable of that type holds it: an optional object attribute left out (or
    null) becomes its default, or null, as Terraform's type conversion makes it."""
    if not isinstance(type_expr, ast.Call) or not type_expr.args or value is None:
        return value
    if is_unknown(value):
        return value
    name, inner = type_expr.name, type_expr.args[0]
    if name in ("list", "set") and isinstance(value, list):
        return [with_type_defaults(v, inner) for v in value]
    if name == "map" and isinstance(value, dict):
        return {k: with_type_defaults(v, inner) for k, v in value.items()}
    if name != "object" or not isinstance(inner, ast.ObjectExpr) or not isinstance(value, dict):
        return value
    out = dict(value)
    for key_expr, attr_type, _line in inner.items:
        key = _type_key(key_expr)
        if key is None:
            continue
        if isinstance(attr_type, ast.Call) and attr_type.name == "optional" and attr_type.args:
            if out.get(key) is None:
                default = attr_type.args[1] if len(attr_type.args) > 1 else None
                out[key] = evaluate(default, Scope()) if default is not None else None
            attr_type = attr_type.args[0]
        if key in out:
            out[key] = with_type_defaults(out[key], attr_type)
    return out


def _type_key(expr: ast.Expr) -> str | None:
    if isinstance(expr, ast.Var):
        return expr.name
    if isinstance(expr, ast.Lit) and isinstance(expr.value, str):
        return expr.value
    return None


@record(frozen=True)
class _Raw:
    """A variable value given as text (TF_VAR_x, --var x=...): typed by the declaration."""

    text: str


def raw_value(text: str) -> _Raw:
    return _Raw(text)


def evaluate_body(
    body: ast.Body,
    scope: Scope,
    path: str,
    prefix: str,
    locations: dict[str, Location],
    refs: set[tuple[str, str]],
    top: bool = False,
) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, attr in body.attributes.items():
        key = prefix + name
        for target in reference_roots(attr.expr):
            refs.add((target, key))
        if top and name in _META:
            continue
        value = evaluate(attr.expr, scope)
        if top and isinstance(value, Unknown) and not value.source:
            value = replace(value, source=_source_text(attr.expr))
        out[name] = value
        locations[key] = location(path, attr.line, attr.end_line)
        if isinstance(attr.expr, ast.ObjectExpr):
            for key_expr, _value, line in attr.expr.items:
                if isinstance(key_expr, ast.Lit):
                    locations[f"{key}.{key_expr.value}"] = location(path, line, line)
    for block in body.blocks:
        if top and block.type in _META:
            continue
        if block.type == "dynamic" and block.labels:
            _dynamic(block, scope, path, prefix, out, locations, refs)
            continue
        items = out.setdefault(block.type, [])
        if not isinstance(items, list):
            continue
        item_prefix = f"{prefix}{block.type}.{len(items)}."
        here = location(path, block.line, block.end_line)
        locations[item_prefix[:-1]] = here
        locations.setdefault(prefix + block.type, here)
        items.append(evaluate_body(block.body, scope, path, item_prefix, locations, refs))
    return out


def _dynamic(
    block: ast.Block,
    scope: Scope,
    path: str,
    prefix: str,
    out: dict[str, Any],
    locations: dict[str, Location],
    refs: set[tuple[str, str]],
) -> None:
    """`dynamic "x" { for_each = ...; content {...} }` -> one x block per element."""
    block_type = block.labels[0]
    iterator = block_type
    iterator_attr = block.body.attributes.get("iterator")
    if iterator_attr is not None and isinstance(iterator_attr.expr, ast.Var):
        iterator = iterator_attr.expr.name
    for_each = block.body.attributes.get("for_each")
    content = next((b for b in block.body.blocks if b.type == "content"), None)
    if content is None:
        return
    if for_each is not None:
        for target in reference_roots(for_each.expr):
            refs.add((target, prefix + block_type))
    collection = evaluate(for_each.expr, scope) if for_each else Unknown("no for_each")
    items = out.setdefault(block_type, [])
    if not isinstance(items, list):
        return
    if is_unknown(collection) or not isinstance(collection, (list, dict)):
        # content is present, with the iterator's values unknown
        elements: list[tuple[Any, Any]] = [
            (Unknown("dynamic block key"), Unknown(f"{iterator}.value of a dynamic block"))
        ]
    elif isinstance(collection, dict):
        elements = list(collection.items())
    else:
        elements = list(enumerate(collection))
    for key, value in elements:
        item_prefix = f"{prefix}{block_type}.{len(items)}."
        locations[item_prefix[:-1]] = location(path, content.line, content.end_line)
        locations.setdefault(prefix + block_type, location(path, block.line, block.end_line))
        inner = scope.child(**{iterator: {"key": key, "value": value}})
        items.append(evaluate_body(content.body, inner, path, item_prefix, locations, refs))
