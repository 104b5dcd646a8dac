"""GitHub Actions `${{ ... }}` expressions -> the contexts they read.

A small tokenizer and recursive-descent parser for the expression language (literals, context
paths with `.name`, `[*]`, `['name']` and `[0]` indexes, function calls, `!`, comparisons, `&&`,
`||`, parentheses). For every expression it reports:

- `contexts`: every context path read, e.g. `github.event.pull_request.title`;
- `flowing`: the paths whose text can reach the expansion's result. `contains(x, 'y')` or
  `x == 'y'` yields a boolean, so `x` is read but cannot inject anything; `format()`, `join()`,
  `toJSON()` and `||` pass their operands' text through.

Paths are lower-cased (context and property names are case-insensitive) and indexes are
normalised to `*`, so `github.event.commits[0].message` reads `github.event.commits.*.message`.
Nothing here raises: input that does not parse falls back to a scan for context-like names.
`attacker_controlled` then says which of the flowing paths an outsider can choose.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from soc2lint.model import Unknown

_ROOTS = "github env vars job jobs steps runner secrets strategy matrix needs inputs"
CONTEXT_ROOTS = frozenset(_ROOTS.split())
# functions whose result is a boolean or a hash: their arguments' text never reaches the output
_OPAQUE = "contains startswith endswith hashfiles success always failure cancelled"
_OPAQUE_FUNCTIONS = frozenset(_OPAQUE.split())
# event contexts whose text the author of an issue, comment, discussion, wiki page, commit, fork
# or pull request chooses (zizmor's context capabilities list them as "arbitrary"); names and
# e-mail addresses of commit authors and committers are free text in git
_ATTACKER_TEXT = """
    github.head_ref
    github.event.issue.title github.event.issue.body github.event.comment.body
    github.event.discussion.title github.event.discussion.body github.event.answer.body
    github.event.review.body github.event.review_comment.body
    github.event.pages.*.page_name github.event.pages.*.title github.event.pages.*.summary
    github.event.pull_request.title github.event.pull_request.body
    github.event.pull_request.head.ref github.event.pull_request.head.label
    github.event.pull_request.head.repo.default_branch github.event.pull_request.head.repo.name
    github.event.pull_request.head.repo.full_name github.event.pull_request.head.repo.description
    github.event.pull_request.head.repo.homepage
    github.event.commits.*.message github.event.commits.*.author.email
    github.event.commits.*.author.name github.event.commits.*.author.username
    github.event.commits.*.committer.email github.event.commits.*.committer.name
    github.event.commits.*.committer.username
    github.event.head_commit.message github.event.head_commit.author.email
    github.event.head_commit.author.name github.event.head_commit.author.username
    github.event.head_commit.committer.email github.event.head_commit.committer.name
    github.event.head_commit.committer.username
    github.event.merge_group.head_commit.message github.event.merge_group.head_commit.author.email
    github.event.merge_group.head_commit.author.name
    github.event.workflow_run.head_branch github.event.workflow_run.display_title
    github.event.workflow_run.head_commit.message
    github.event.workflow_run.head_commit.author.email
    github.event.workflow_run.head_commit.author.name
    github.event.workflow_run.head_commit.committer.email
    github.event.workflow_run.head_commit.committer.name
    github.event.workflow_run.head_repository.name
    github.event.workflow_run.head_repository.full_name
    github.event.workflow_run.head_repository.description
    github.event.workflow_run.pull_requests.*.head.ref
    github.event.check_suite.head_branch github.event.check_run.check_suite.head_branch
    github.event.check_suite.pull_requests.*.head.ref
    github.event.check_run.pull_requests.*.head.ref
    github.event.changes.*.from github.event.changes.*.*.from
"""
ATTACKER_CONTEXTS = tuple(tuple(p.split(".")) for p in _ATTACKER_TEXT.split())
# inputs of these types cannot carry text of the user's choosing
SAFE_INPUT_TYPES = {"boolean", "number", "choice", "environment"}
_MAX_DEPTH = 60
_TOKEN = re.compile(
    r"""
    (?P<ws>\s+)
  | (?P<string>'(?:[^']|'')*'?)
  | (?P<number>-?(?:0x[0-9a-fA-F]+|\d+(?:\.\d+)?(?:[eE][+-]?\d+)?))
  | (?P<op>&&|\|\||==|!=|<=|>=|[<>!().\[\],*])
  | (?P<ident>[A-Za-z_][A-Za-z0-9_-]*)
  | (?P<other>.)
    """,
    re.X | re.S,
)
_FALLBACK_PATH = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*(?:\.(?:[A-Za-z_][A-Za-z0-9_-]*|\*))*")


@dataclass(frozen=True)
class Expression:
    """One `${{ ... }}` found in a string."""

    text: str  # the inner text, without the delimiters
    start: int  # offset of `${{` in the source string
    end: int  # offset just past `}}`
    contexts: tuple[str, ...]  # every context path read, sorted
    flowing: tuple[str, ...]  # the paths whose text can reach the result, sorted


def find_expressions(text: object) -> list[Expression]:
    """Every `${{ ... }}` in text (a string; anything else has none)."""
    if not isinstance(text, str) or "${{" not in text:
        return []
    found = []
    pos = 0
    while True:
        start = text.find("${{", pos)
        if start < 0:
            break
        inner_start = start + 3
        close = _closing(text, inner_start)
        inner = text[inner_start:close] if close >= 0 else text[inner_start:]
        end = close + 2 if close >= 0 else len(text)
        contexts, flowing = analyse(inner)
        found.append(Expression(inner.strip(), start, end, contexts, flowing))
        pos = end
    return found


def contexts_in(text: object) -> list[str]:
    """The sorted context paths read by every expression in text."""
    out: set[str] = set()
    for expr in find_expressions(text):
        out.update(expr.contexts)
    return sorted(out)


def flowing_in(text: object) -> list[str]:
    """The sorted context paths whose text can reach the expansion of text's expressions."""
    out: set[str] = set()
    for expr in find_expressions(text):
        out.update(expr.flowing)
    return sorted(out)


def is_expression(value: object) -> bool:
    """True when value is a string holding an expression (its value is known only at run time)."""
    return isinstance(value, str) and "${{" in value


def _closing(text: str, pos: int) -> int:
    """The offset of the `}}` closing an expression that starts at pos (strings skipped)."""
    in_string = False
    i = pos
    while i < len(text):
        ch = text[i]
        if in_string:
            if ch == "'":
                if text.startswith("''", i):
                    i += 2
                    continue
                in_string = False
        elif ch == "'":
            in_string = True
        elif text.startswith("}}", i):
            return i
        i += 1
    return -1


def analyse(inner: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(contexts read, contexts flowing to the result) of one expression's inner text."""
    try:
        tokens = _tokens(inner)
        parser = _Parser(tokens)
        node = parser.expression(0)
        if parser.pos != len(tokens):
            raise _Invalid("trailing tokens")
        parser._read(node)
        return tuple(sorted(_contexts(parser.reads))), tuple(sorted(_contexts(_flow(node))))
    except (_Invalid, RecursionError):
        paths = _contexts(m.group(0).lower() for m in _FALLBACK_PATH.finditer(inner))
        return tuple(sorted(paths)), tuple(sorted(paths))


def _contexts(paths) -> set[str]:  # type: ignore[no-untyped-def]
    return {p for p in paths if p and p.split(".", 1)[0] in CONTEXT_ROOTS}


class _Invalid(Exception):
    pass


@dataclass
class _Node:
    path: str | None = None  # a context path this node evaluates to
    flow: frozenset[str] = frozenset()  # context paths whose text reaches this node's value
    literal: str | None = None  # a string literal's value (for ['name'] indexes)
    is_ident: bool = False  # a bare identifier (maybe a function name)
    name: str = ""


def _tokens(text: str) -> list[tuple[str, str]]:
    out = []
    for m in _TOKEN.finditer(text):
        kind = m.lastgroup or "other"
        if kind == "ws":
            continue
        if kind == "other":
            raise _Invalid(f"unexpected character {m.group(0)!r}")
        out.append((kind, m.group(0)))
    return out


class _Parser:
    """Precedence climbing over the operators of the expression language."""

    _BINARY = {"||": 1, "&&": 2, "==": 3, "!=": 3, "<": 4, "<=": 4, ">": 4, ">=": 4}

    def __init__(self, tokens: list[tuple[str, str]]) -> None:
        self.tokens = tokens
        self.pos = 0
        self.reads: set[str] = set()
        self.depth = 0

    def peek(self) -> tuple[str, str]:
        return self.tokens[self.pos] if self.pos < len(self.tokens) else ("end", "")

    def take(self, value: str | None = None) -> tuple[str, str]:
        tok = self.peek()
        if tok[0] == "end" or (value is not None and tok[1] != value):
            raise _Invalid(f"expected {value or 'a token'}, found {tok[1]!r}")
        self.pos += 1
        return tok

    def expression(self, min_prec: int) -> _Node:
        self.depth += 1
        if self.depth > _MAX_DEPTH:
            raise _Invalid("nested too deeply")
        try:
            left = self.unary()
            while True:
                kind, value = self.peek()
                prec = self._BINARY.get(value) if kind == "op" else None
                if prec is None or prec < min_prec:
                    return left
                self.take()
                right = self.expression(prec + 1)
                left = self._combine(value, left, right)
        finally:
            self.depth -= 1

    def _combine(self, op: str, left: _Node, right: _Node) -> _Node:
        for side in (left, right):
            self._read(side)
        if op in ("||", "&&"):  # either operand's value can be the result
            return _Node(flow=_flow(left) | _flow(right))
        return _Node()  # a comparison is a boolean

    def _read(self, node: _Node) -> None:
        if node.path:
            self.reads.add(node.path)

    def unary(self) -> _Node:
        if self.peek() == ("op", "!"):
            self.take()
            operand = self.unary()
            self._read(operand)
            return _Node()
        return self.postfix(self.primary())

    def primary(self) -> _Node:
        kind, value = self.take()
        if kind == "string":
            body = value[1:-1] if len(value) >= 2 and value.endswith("'") else value[1:]
            return _Node(literal=body.replace("''", "'"))
        if kind == "number":
            return _Node()
        if kind == "ident":
            low = value.lower()
            if low in ("true", "false", "null"):
                return _Node()
            if self.peek() == ("op", "("):
                return self.call(low)
            return _Node(path=low, is_ident=True, name=low)
        if value == "(":
            inner = self.expression(0)
            self.take(")")
            return _Node(path=inner.path, flow=inner.flow)
        raise _Invalid(f"unexpected {value!r}")

    def call(self, name: str) -> _Node:
        self.take("(")
        args: list[_Node] = []
        if self.peek() != ("op", ")"):
            while True:
                args.append(self.expression(0))
                if self.peek() == ("op", ","):
                    self.take()
                    continue
                break
        self.take(")")
        for arg in args:
            self._read(arg)
        if name in _OPAQUE_FUNCTIONS:
            return _Node()
        flow: frozenset[str] = frozenset()
        for arg in args:
            flow |= _flow(arg)
        return _Node(flow=flow)

    def postfix(self, node: _Node) -> _Node:
        while True:
            kind, value = self.peek()
            if value == "." and kind == "op":
                self.take()
                kind2, name = self.take()
                if kind2 not in ("ident", "op") or (kind2 == "op" and name != "*"):
                    raise _Invalid("expected a property name")
                node = self._member(node, name.lower())
            elif value == "[" and kind == "op":
                self.take()
                if self.peek() == ("op", "*"):
                    self.take()
                    key: str | None = "*"
                else:
                    index = self.expression(0)
                    self._read(index)
                    key = index.literal.lower() if index.literal is not None else "*"
                self.take("]")
                node = self._member(node, key or "*")
            else:
                return node

    @staticmethod
    def _member(node: _Node, name: str) -> _Node:
        if node.path is not None:
            return _Node(path=f"{node.path}.{name}")
        # a property of a function result (fromJSON(x).y): the text still comes from x
        return _Node(flow=node.flow)


def _flow(node: _Node) -> frozenset[str]:
    return node.flow | ({node.path} if node.path else frozenset())


def attacker_controlled(
    flowing: list[str],
    env: dict[str, Any],
    inputs: dict[str, str],
    matrix: dict[str, list[Any]] | None = None,
) -> Any:
    """The attacker-controlled contexts among flowing; Unknown where a caller decides.

    `${{ env.X }}` and `${{ matrix.X }}` are followed to the expressions X's values hold."""
    known: set[str] = set()
    maybe: set[str] = set()
    for ctx in flowing:
        via = [ctx]
        if ctx.startswith("env.") and ctx.count(".") == 1:
            via = flowing_in(env.get(ctx[4:]))  # ${{ env.X }} where X holds an expression
        elif ctx.startswith("matrix.") and matrix:
            key = ctx.split(".")[1]
            via = sorted({c for v in matrix.get(key, ()) for c in _flowing_deep(v)})
        for c in via:
            verdict = _classify(c, inputs)
            (known if verdict == "attacker" else maybe if verdict == "caller" else set()).add(c)
    if known:
        return sorted(known)
    if maybe:
        return Unknown(f"{sorted(maybe)[0]} is chosen by the caller of this workflow or action")
    return []


def _classify(ctx: str, inputs: dict[str, str]) -> str:
    parts = ctx.split(".")
    for pattern in ATTACKER_CONTEXTS:
        # the value itself, or an object that holds it (toJSON(github.event))
        head = pattern[: len(parts)]
        if len(parts) <= len(pattern) and all(
            a == b or "*" in (a, b) for a, b in zip(parts, head, strict=True)
        ):
            return "attacker"
    name = None
    if parts[0] == "inputs" and len(parts) >= 2:
        name = parts[1]
    elif parts[:3] == ["github", "event", "inputs"] and len(parts) >= 4:
        name = parts[3]
    elif parts in (["inputs"], ["github", "event", "inputs"]):
        name = "*"
    if name is None:
        return ""
    return inputs.get(name, inputs.get("*", ""))


def input_classes(on: Any, triggers: list[str]) -> dict[str, str]:
    """Input name -> attacker (workflow_dispatch text), caller (workflow_call text) or safe."""
    out: dict[str, str] = {}
    events = on if isinstance(on, dict) else {}
    for event, verdict in (("workflow_call", "caller"), ("workflow_dispatch", "attacker")):
        spec = events.get(event)
        declared = spec.get("inputs") if isinstance(spec, dict) else None
        declared = declared if isinstance(declared, dict) else {}
        for name, item in declared.items():
            kind = item.get("type", "string") if isinstance(item, dict) else "string"
            if str(kind) not in SAFE_INPUT_TYPES:
                out[str(name).lower()] = verdict
            else:
                out.setdefault(str(name).lower(), "safe")
    if "workflow_dispatch" in triggers:
        out["*"] = "attacker"
    elif "workflow_call" in triggers:
        out["*"] = "caller"
    return out


def _flowing_deep(value: Any) -> list[str]:
    """The flowing contexts of every string in value (a matrix entry may be a mapping)."""
    if isinstance(value, dict):
        return [c for v in value.values() for c in _flowing_deep(v)]
    if isinstance(value, list):
        return [c for v in value for c in _flowing_deep(v)]
    return flowing_in(value)


def matrix_values(strategy: Any) -> dict[str, list[Any]]:
    """Matrix key (lower-case) -> every value written for it, in its list or in include:."""
    matrix = strategy.get("matrix") if isinstance(strategy, dict) else None
    if not isinstance(matrix, dict):
        return {}
    out: dict[str, list[Any]] = {}
    for key, values in matrix.items():
        if key in ("include", "exclude"):
            continue
        out.setdefault(str(key).lower(), []).extend(
            values if isinstance(values, list) else [values]
        )
    include = matrix.get("include")
    for entry in include if isinstance(include, list) else []:
        if isinstance(entry, dict):
            for key, value in entry.items():
                out.setdefault(str(key).lower(), []).append(value)
    return out


# --- a syntax tree, for the questions that need the operators (pseudo-ternaries, results) ---
# nodes: ("lit", value, raw) | ("ref", raw) | ("call", name, args, raw) | ("not", x, raw)
#        | (op, left, right, raw) with op one of || && == != < <= > >=
_FALSY_RAW = ("''", "0", "false", "null")


def parse_tree(inner: str) -> tuple | None:
    """The syntax tree of one expression's inner text, None when it does not parse."""
    if len(inner) > 4000:
        return None
    try:
        toks = [
            (m.lastgroup, m.group(0), m.start(), m.end())
            for m in _TOKEN.finditer(inner)
            if m.lastgroup != "ws"
        ]
        if any(t[0] == "other" for t in toks):
            return None
        tree = _TreeParser(inner, toks)
        node = tree.expression(0)
        return node if tree.pos == len(toks) else None
    except (_Invalid, RecursionError):
        return None


class _TreeParser:
    def __init__(self, text: str, toks: list) -> None:
        self.text, self.toks, self.pos, self.depth = text, toks, 0, 0

    def peek(self) -> tuple:
        return self.toks[self.pos] if self.pos < len(self.toks) else ("end", "", -1, -1)

    def take(self, value: str | None = None) -> tuple:
        tok = self.peek()
        if tok[0] == "end" or (value is not None and tok[1] != value):
            raise _Invalid("unexpected token")
        self.pos += 1
        return tok

    def expression(self, min_prec: int) -> tuple:
        self.depth += 1
        if self.depth > _MAX_DEPTH:
            raise _Invalid("nested too deeply")
        try:
            start = self.peek()[2]
            left = self.unary()
            while True:
                kind, value, _s, _e = self.peek()
                prec = _Parser._BINARY.get(value) if kind == "op" else None
                if prec is None or prec < min_prec:
                    return left
                self.take()
                right = self.expression(prec + 1)
                end = self.toks[self.pos - 1][3]
                left = (value, left, right, self.text[start:end])
        finally:
            self.depth -= 1

    def unary(self) -> tuple:
        start = self.peek()[2]
        if self.peek()[1] == "!" and self.peek()[0] == "op":
            self.take()
            operand = self.unary()
            return ("not", operand, self.text[start : self.toks[self.pos - 1][3]])
        node = self.primary()
        while self.peek()[0] == "op" and self.peek()[1] in (".", "["):
            if self.take()[1] == ".":
                self.take()
            else:
                if self.peek()[1] == "*":
                    self.take()
                else:
                    self.expression(0)
                self.take("]")
            node = ("ref", self.text[start : self.toks[self.pos - 1][3]])
        return node

    def primary(self) -> tuple:
        kind, value, start, end = self.take()
        if kind == "string":
            body = value[1:-1] if len(value) >= 2 and value.endswith("'") else value[1:]
            return ("lit", body.replace("''", "'"), value)
        if kind == "number":
            try:
                return ("lit", float(int(value, 16) if "x" in value.lower() else value), value)
            except ValueError:
                return ("ref", value)
        if kind == "ident":
            low = value.lower()
            if low in ("true", "false", "null"):
                return ("lit", {"true": True, "false": False, "null": None}[low], value)
            if self.peek()[1] == "(":
                self.take()
                args = []
                if self.peek()[1] != ")":
                    while True:
                        args.append(self.expression(0))
                        if self.peek()[1] != ",":
                            break
                        self.take()
                self.take(")")
                return ("call", low, args, self.text[start : self.toks[self.pos - 1][3]])
            return ("ref", value)
        if value == "(":
            inner = self.expression(0)
            self.take(")")
            raw = self.text[start : self.toks[self.pos - 1][3]]
            return (*inner[:-1], raw)
        raise _Invalid("unexpected token")


_NOT_CONSTANT = object()


def constant_value(node: tuple) -> Any:
    """The value of a node that holds no context (literals, `!`, `&&`, `||`, `fromJSON` and
    `format` of constants); _NOT_CONSTANT otherwise."""
    kind = node[0]
    if kind == "lit":
        return node[1]
    if kind == "not":
        value = constant_value(node[1])
        return _NOT_CONSTANT if value is _NOT_CONSTANT else not truthy(value)
    if kind in ("&&", "||"):
        left = constant_value(node[1])
        if left is _NOT_CONSTANT:
            return _NOT_CONSTANT
        if truthy(left) == (kind == "||"):
            return left
        return constant_value(node[2])
    if kind == "call" and node[1] in ("fromjson", "format"):
        args = [constant_value(a) for a in node[2]]
        if not args or any(a is _NOT_CONSTANT for a in args):
            return _NOT_CONSTANT
        if node[1] == "fromjson":
            try:
                value = json.loads(str(args[0]))
            except ValueError:
                return _NOT_CONSTANT
            return value if isinstance(value, (str, int, float, bool, type(None))) else {}
        if not isinstance(args[0], str) or "{" in re.sub(r"\{\d+\}|\{\{|\}\}", "", args[0]):
            return _NOT_CONSTANT
        return _format_constant(args[0], args[1:])
    return _NOT_CONSTANT


def _format_constant(template: str, args: list) -> Any:
    def one(m: re.Match) -> str:
        if m.group(0) in ("{{", "}}"):
            return m.group(0)[0]
        index = int(m.group(0)[1:-1])
        return _as_text(args[index]) if index < len(args) else m.group(0)

    return re.sub(r"\{\d+\}|\{\{|\}\}", one, template)


def _as_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else str(value)
    return str(value)


def truthy(value: Any) -> bool:
    """GitHub's truthiness: false, 0, -0, NaN, '' and null are falsy."""
    if value is None or value is False or value == "":
        return False
    if isinstance(value, float | int) and not isinstance(value, bool):
        return value == value and value != 0
    return True


def falsy_ternary_values(node: tuple) -> list[str]:
    """The true values of `cond && value || fallback` pseudo-ternaries in node that are always
    falsy (`''`, `0`, `false`, `null`, or a constant that evaluates to one): such an expression
    yields the fallback even when cond holds. A wholly constant expression is not judged."""
    if constant_value(node) is not _NOT_CONSTANT:
        return []
    kind = node[0]
    out: list[str] = []
    if kind == "call":
        for arg in node[2]:
            out += falsy_ternary_values(arg)
    elif kind == "not":
        out += falsy_ternary_values(node[1])
    elif kind == "||":
        operands = _or_operands(node)
        for operand in operands[:-1]:
            if operand[0] == "&&":
                value = constant_value(operand[2])
                if value is not _NOT_CONSTANT and not truthy(value):
                    out.append(operand[2][-1])
        for operand in operands:
            out += falsy_ternary_values(operand)
    elif kind in _Parser._BINARY:
        out += falsy_ternary_values(node[1]) + falsy_ternary_values(node[2])
    return out


def _or_operands(node: tuple) -> list[tuple]:
    if node[0] == "||" and constant_value(node) is _NOT_CONSTANT:
        return _or_operands(node[1]) + _or_operands(node[2])
    return [node]


def possible_results(node: tuple) -> list[Any] | None:
    """Every value node can evaluate to, when each is a constant (`cond && 'a' || 'b'` gives
    ['a', 'b']); None when a context's own value can be the result."""
    value = constant_value(node)
    if value is not _NOT_CONSTANT:
        return [value]
    kind = node[0]
    if kind in ("not", "==", "!=", "<", "<=", ">", ">=") or (
        kind == "call" and node[1] in _OPAQUE_FUNCTIONS
    ):
        return [True, False]
    if kind in ("&&", "||"):
        left = possible_results(node[1])
        right = possible_results(node[2])
        if left is None or right is None:
            return None
        # `a && b` yields a falsy a or b; `a || b` yields a truthy a or b
        keep = [v for v in left if truthy(v) == (kind == "||")]
        return keep + right
    return None
