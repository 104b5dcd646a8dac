"""Evaluate HCL expressions statically; anything not knowable before apply is Unknown."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from soc2lint.model import Unknown, contains_unknown, is_unknown
from soc2lint.platforms.terraform import ast
from soc2lint.platforms.terraform.functions import FUNCTIONS
from soc2lint.platforms.terraform.functions import number as _number
from soc2lint.platforms.terraform.functions import to_string as _to_string
from soc2lint.platforms.terraform.functions.core import (
    MAX_INT_BITS,
    MAX_ITEMS,
    BudgetExceeded,
    sized,
)

# Roots whose values exist only after `terraform apply` or in the provider.
_SPECIAL_ROOTS = {"path", "terraform", "self", "count", "each"}


class Scope:
    """Names visible to an expression: `var`, `local`, iterators; everything else is Unknown."""

    def __init__(
        self,
        roots: Mapping[str, Any] | None = None,
        parent: Scope | None = None,
    ) -> None:
        self.roots = dict(roots or {})
        self.parent = parent

    def child(self, **roots: Any) -> Scope:
        return Scope(roots, self)

    def lookup(self, name: str) -> Any:
        scope: Scope | None = self
        while scope is not None:
            if name in scope.roots:
                return scope.roots[name]
            scope = scope.parent
        return _MISSING


_MISSING = object()


class LazyMap(Mapping[str, Any]):
    """A mapping whose values are computed on first use, with cycles resolved as Unknown."""

    def __init__(self, kind: str, compute: Callable[[str], Any], names: list[str]) -> None:
        self.kind = kind
        self._compute = compute
        self._names = names
        self._values: dict[str, Any] = {}
        self._busy: set[str] = set()

    def __getitem__(self, name: str) -> Any:
        if name in self._values:
            return self._values[name]
        if name not in self._names:
            raise KeyError(name)
        if name in self._busy:
            return Unknown(f"{self.kind}.{name} refers to itself (cycle)")
        self._busy.add(name)
        try:
            value = self._compute(name)
        finally:
            self._busy.discard(name)
        self._values[name] = value
        return value

    def __iter__(self):  # type: ignore[no-untyped-def]
        return iter(self._names)

    def __len__(self) -> int:
        return len(self._names)


def render(expr: ast.Expr) -> str:
    """A short source-like rendering of a traversal, for Unknown reasons."""
    path = ast.traversal(expr)
    return ".".join(path) if path else type(expr).__name__


BUDGET_EXCEEDED = "evaluation budget exceeded"
MAX_STEPS_PER_EXPRESSION = 200_000  # one attribute's value, the locals it reads included
MAX_STEPS_PER_MODULE = 5_000_000  # a root module and every module it calls


class Budget:
    """The work a root module's evaluation may do: steps per expression and in all.

    Expressions written to blow up (for over range() three deep, a local doubled 40 times)
    stop here and are Unknown with the reason BUDGET_EXCEEDED, never a hang or an OOM."""

    def __init__(self, total: int = MAX_STEPS_PER_MODULE) -> None:
        self.total = total
        self.expression = 0
        self.nesting = 0
        self.exceeded = False


_budget = Budget()


def start_budget(total: int = MAX_STEPS_PER_MODULE) -> Budget:
    """A fresh budget for the evaluations that follow (one root module's)."""
    global _budget
    _budget = Budget(total)
    return _budget


def evaluate(expr: ast.Expr, scope: Scope) -> Any:
    """The value of expr in scope; Unknown where it cannot be known statically."""
    budget = _budget
    if budget.nesting == 0:
        budget.expression = MAX_STEPS_PER_EXPRESSION
    budget.nesting += 1
    try:
        return _eval(expr, scope, 0)
    except RecursionError:
        return Unknown("expression too deeply nested")
    except (BudgetExceeded, MemoryError):
        budget.exceeded = True
        return Unknown(BUDGET_EXCEEDED)
    finally:
        budget.nesting -= 1


def _eval(expr: ast.Expr, scope: Scope, depth: int) -> Any:
    if depth > 150:
        return Unknown("expression too deeply nested")
    depth += 1
    budget = _budget
    budget.expression -= 1
    budget.total -= 1
    if budget.expression < 0 or budget.total < 0:
        raise BudgetExceeded(BUDGET_EXCEEDED)
    if isinstance(expr, ast.Lit):
        return expr.value
    if isinstance(expr, ast.Template):
        return _template(expr, scope, depth)
    if isinstance(expr, ast.Var):
        value = scope.lookup(expr.name)
        if value is _MISSING:
            return _unknown_root(expr.name, expr)
        return value
    if isinstance(expr, ast.GetAttr):
        return _get_attr(expr, scope, depth)
    if isinstance(expr, ast.Index):
        obj = _eval(expr.obj, scope, depth)
        key = _eval(expr.key, scope, depth)
        return _index(obj, key, expr)
    if isinstance(expr, ast.Splat):
        return _splat(expr, scope, depth)
    if isinstance(expr, ast.TupleExpr):
        return [_eval(item, scope, depth) for item in expr.items]
    if isinstance(expr, ast.ObjectExpr):
        result: dict[str, Any] = {}
        for key_expr, value_expr, _line in expr.items:
            key = _eval(key_expr, scope, depth)
            if is_unknown(key):
                return Unknown("object key is not known statically")
            result[_to_string(key)] = _eval(value_expr, scope, depth)
        return result
    if isinstance(expr, ast.Conditional):
        cond = _eval(expr.cond, scope, depth)
        if _is_error(cond):
            return cond  # Terraform rejects the whole expression: try() moves on, can() is false
        if is_unknown(cond):
            then = _eval(expr.then, scope, depth)
            other = _eval(expr.other, scope, depth)
            if not is_unknown(then) and then == other:
                return then
            return Unknown(f"condition {render(expr.cond)} is not known statically")
        if not isinstance(cond, bool):
            return Unknown("condition is not a boolean")
        return _eval(expr.then if cond else expr.other, scope, depth)
    if isinstance(expr, ast.BinOp):
        return _binop(expr, scope, depth)
    if isinstance(expr, ast.UnOp):
        value = _eval(expr.operand, scope, depth)
        if is_unknown(value):
            return value
        if expr.op == "!" and isinstance(value, bool):
            return not value
        if expr.op == "-" and isinstance(value, (int, float)) and not isinstance(value, bool):
            return -value
        return Unknown(f"operator {expr.op} on {type(value).__name__}")
    if isinstance(expr, ast.Call):
        return _call(expr, scope, depth)
    if isinstance(expr, ast.ForExpr):
        return _for(expr, scope, depth)
    return Unknown(f"{getattr(expr, 'what', 'expression')} is not evaluated")


def _unknown_root(name: str, expr: ast.Expr) -> Unknown:
    if name == "var":
        return Unknown("input variable")
    if name == "data":
        return Unknown("data source read at plan time")
    if name == "module":
        return Unknown("module output")
    if name in _SPECIAL_ROOTS:
        return Unknown(f"{name} is only known when Terraform runs")
    return Unknown(f"{name} is known only after apply")


def _get_attr(expr: ast.GetAttr, scope: Scope, depth: int) -> Any:
    obj = _eval(expr.obj, scope, depth)
    if is_unknown(obj):
        path = ast.traversal(expr)
        if path and path[0] == "var" and len(path) >= 2:
            return Unknown(f"var.{path[1]} has no value (no default, no tfvars)")
        if path and path[0] == "data":
            return Unknown(f"data source {'.'.join(path[:3])} is read at plan time", True)
        if path and path[0] == "module":
            return Unknown(f"module.{path[1] if len(path) > 1 else '?'} output is not known")
        if path and path[0] not in _SPECIAL_ROOTS and path[0] not in ("local", "var"):
            return Unknown(f"{'.'.join(path)} is known only after apply", True)
        return obj
    return _index(obj, expr.name, expr)


def _index(obj: Any, key: Any, expr: ast.Expr) -> Any:
    if is_unknown(obj):
        return obj
    if is_unknown(key):
        return key
    if isinstance(obj, Mapping):
        if isinstance(key, (int, float)) and not isinstance(key, bool):
            key = _to_string(key)
        if key in obj:
            return obj[key]
        return _error(f"{render(expr)}: no such key {key!r}")
    if isinstance(obj, list):
        if isinstance(key, str) and key.isdigit():
            key = int(key)
        if isinstance(key, int) and not isinstance(key, bool) and 0 <= key < len(obj):
            return obj[key]
        return _error(f"{render(expr)}: index {key!r} out of range")
    return _error(f"{render(expr)}: cannot index {type(obj).__name__}")


def _splat(expr: ast.Splat, scope: Scope, depth: int) -> Any:
    obj = _eval(expr.obj, scope, depth)
    if is_unknown(obj):
        return obj
    if obj is None:
        return []
    items = obj if isinstance(obj, list) else [obj]
    result = []
    for item in items:
        for kind, step in expr.each:
            key = step if kind == "attr" else _eval(step, scope, depth)
            item = _index(item, key, expr)
        result.append(item)
    return result


def _template(expr: ast.Template, scope: Scope, depth: int) -> Any:
    if len(expr.parts) == 1 and not isinstance(expr.parts[0], str):
        # "${x}" is x itself, not its string form
        return _eval(expr.parts[0], scope, depth)
    out: list[str] = []
    unknowns: list[Unknown] = []
    for part in expr.parts:
        if isinstance(part, str):
            out.append(part)
            continue
        value = _eval(part, scope, depth)
        if is_unknown(value):
            unknowns.append(value)
            out.append(f"{_HOLE}{len(unknowns) - 1}{_HOLE}")
            continue
        if isinstance(value, (list, dict)):
            return Unknown("cannot interpolate a collection into a string")
        out.append(_to_string(value))
    text = sized("".join(out))
    if not unknowns:
        return text
    structured = _json_with_holes(text, unknowns)
    if structured is not None:
        return structured
    if any(isinstance(part, str) and part for part in expr.parts):
        # "${var.project}.svc.id.goog" is not known, but surely not empty; and
        # "serviceAccount:${...}" is surely not "allUsers"
        return Unknown(unknowns[0].reason, not_null=True, prefix=text.split(_HOLE, 1)[0])
    return unknowns[0]


_HOLE = "\ue000soc2lint-unknown\ue000"  # private-use code points: never in real text


def _json_with_holes(text: str, unknowns: list[Unknown]) -> Any:
    """A JSON document (an IAM policy heredoc) with unknown parts: the structure, holes Unknown.

    Rules look into JSON strings by path, so the structure with Unknown leaves lets them judge
    `"Effect": "Deny"` even when `"Resource": "${aws_s3_bucket.b.arn}/*"` is not known.
    """
    import json

    if text.lstrip()[:1] not in ("{", "["):
        return None
    try:
        doc = json.loads(text)
    except ValueError:
        return None

    def fill(node: Any) -> Any:
        if isinstance(node, str) and _HOLE in node:
            index = int(node.split(_HOLE)[1])
            return unknowns[index]
        if isinstance(node, list):
            return [fill(v) for v in node]
        if isinstance(node, dict):
            if any(_HOLE in k for k in node):
                return Unknown("a JSON key is not known statically")
            return {k: fill(v) for k, v in node.items()}
        return node

    return fill(doc)


def _binop(expr: ast.BinOp, scope: Scope, depth: int) -> Any:
    left = _eval(expr.left, scope, depth)
    op = expr.op
    if op in ("&&", "||"):
        # short-circuit only where the known side decides the result
        if left is False and op == "&&":
            return False
        if left is True and op == "||":
            return True
        right = _eval(expr.right, scope, depth)
        if right is False and op == "&&":
            return False
        if right is True and op == "||":
            return True
        if is_unknown(left) or is_unknown(right):
            return Unknown(f"operand of {op} is not known statically")
        if not isinstance(left, bool) or not isinstance(right, bool):
            return Unknown(f"{op} needs booleans")
        return left and right if op == "&&" else left or right
    right = _eval(expr.right, scope, depth)
    if is_unknown(left):
        return left
    if is_unknown(right):
        return right
    if op == "==":
        return _equal(left, right)
    if op == "!=":
        return not _equal(left, right)
    a, b = _number(left), _number(right)
    if a is None or b is None:
        return Unknown(f"operator {op} needs numbers")
    wide = isinstance(a, int) and isinstance(b, int) and a.bit_length() + b.bit_length()
    if op == "*" and wide and wide > MAX_INT_BITS + 1:  # before Python multiplies them
        raise BudgetExceeded(f"a number of more than {MAX_INT_BITS} bits")
    try:
        if op == "+":
            return sized(a + b)
        if op == "-":
            return sized(a - b)
        if op == "*":
            return a * b
        if op == "/":
            return a / b
        if op == "%":
            return a % b
        if op == "<":
            return a < b
        if op == ">":
            return a > b
        if op == "<=":
            return a <= b
        if op == ">=":
            return a >= b
    except (ZeroDivisionError, OverflowError):
        return Unknown(f"arithmetic error in {op}")
    return Unknown(f"operator {op}")


def _equal(left: Any, right: Any) -> bool:
    if isinstance(left, bool) or isinstance(right, bool):
        return left is right
    return bool(left == right)


def _call(expr: ast.Call, scope: Scope, depth: int) -> Any:
    if expr.name == "try":
        # the first argument that evaluates without an error; an unknown one stays unknown
        for arg in expr.args:
            value = _eval(arg, scope, depth)
            if not _is_error(value):
                return value
        return _error("no argument of try() evaluates without an error")
    if expr.name == "can":
        value = _eval(expr.args[0], scope, depth) if expr.args else _error("can() needs one")
        return False if _is_error(value) else (value if is_unknown(value) else True)
    fn = FUNCTIONS.get(expr.name)
    if fn is None:
        return Unknown(f"function {expr.name}() is not evaluated")
    args = [_eval(arg, scope, depth) for arg in expr.args]
    if expr.expand_final and args:
        last = args.pop()
        if is_unknown(last) or not isinstance(last, list):
            return Unknown(f"{expr.name}(...) expansion is not known")
        args.extend(last)
    leaves = False
    for arg in args:
        if is_unknown(arg):
            return arg
        if contains_unknown(arg):
            if expr.name == "jsonencode":
                # keep the document's shape; rules read it by path, unknown leaves stay Unknown
                return arg
            if expr.name not in _STRUCTURAL:
                return Unknown(f"an argument of {expr.name}() is not known")
            leaves = True
    try:
        return sized(fn(*args))
    except (TypeError, ValueError, KeyError, IndexError, ZeroDivisionError, OverflowError) as exc:
        if leaves:
            # the unknown leaf may be what the function could not read: not an error
            return Unknown(f"an argument of {expr.name}() is not known")
        return _error(f"{expr.name}() failed: {exc}")


# Functions that move values around without reading them: an unknown leaf inside an argument
# stays an unknown leaf of the result (`concat([{alg = "aws:kms", kms = k.arn}])[0].alg` is
# known). Each one either leaves element values alone or raises when it would read one (then the
# result is Unknown); flatten returns Unknown itself for an unknown element, which may be a list.
_STRUCTURAL = frozenset(
    {
        "concat",
        "merge",
        "flatten",
        "tolist",
        "tomap",
        "lookup",
        "element",
        "slice",
        "reverse",
        "keys",
        "values",
        "length",
        "coalescelist",
        "zipmap",
    }
)


_ERROR = "error: "


def _error(reason: str) -> Unknown:
    """An expression Terraform would reject: try() skips it, can() is false for it."""
    return Unknown(_ERROR + reason)


def _is_error(value: Any) -> bool:
    return isinstance(value, Unknown) and value.reason.startswith(_ERROR)


def _for(expr: ast.ForExpr, scope: Scope, depth: int) -> Any:
    collection = _eval(expr.collection, scope, depth)
    if is_unknown(collection):
        return collection
    if isinstance(collection, dict):
        pairs = list(collection.items())
    elif isinstance(collection, list):
        pairs = list(enumerate(collection))
    else:
        return Unknown("for expression over a non-collection")
    out_list: list[Any] = []
    out_map: dict[str, Any] = {}
    for key, value in pairs:
        roots = {expr.value_var: value}
        if expr.key_var:
            roots[expr.key_var] = key
        inner = scope.child(**roots)
        if expr.cond is not None:
            keep = _eval(expr.cond, inner, depth)
            if is_unknown(keep):
                return keep
            if not keep:
                continue
        item = _eval(expr.value, inner, depth)
        if expr.key is None:
            out_list.append(item)
            if len(out_list) > MAX_ITEMS:
                sized(out_list)
            continue
        out_key = _eval(expr.key, inner, depth)
        if is_unknown(out_key):
            return out_key
        out_key = _to_string(out_key)
        if expr.group:
            out_map.setdefault(out_key, []).append(item)
        elif out_key in out_map:
            return Unknown(f"duplicate key {out_key!r} in for expression")
        else:
            out_map[out_key] = item
    return out_list if expr.key is None else out_map
