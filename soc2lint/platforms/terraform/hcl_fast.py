"""A fast HCL path: tree-sitter's compiled `tree-sitter-hcl` grammar -> the same ast.Body that
hcl.py's Lark converter builds.

python-hcl2 (Lark) stays the reference. This module converts a tree-sitter tree only while it is
sure the result is identical; on anything else (a syntax error, a node type or a spelling where the
two grammars disagree) it raises Decline and the caller parses the whole file with Lark, so error
messages, their lines and every quirk of the reference are kept. tests/test_hcl_fast.py compares
both paths on every fixture and on generated bodies.

Where the grammars differ, and what is done about it:
- tree-sitter treats newlines as whitespace, Lark does not: `x =\\n1`, `a\\n.b`, `a\\n- b` are
  errors for Lark, so a newline where Lark allows none declines (row checks below); a newline
  before a binary operator declines too (Lark folds it into the operator's text).
- template_literal nodes drop whitespace and keep escapes raw: quoted strings are rebuilt from the
  source bytes with Lark's own token patterns and python-hcl2's escape processing; heredocs are
  cut with Lark's heredoc pattern and handed to hcl.py's heredoc code.
- `-1.5` is one float literal for Lark but `- 1` a unary minus on an int; `a ? b : c ? d : e`
  nests to the right for Lark, to the left for tree-sitter; `a.0` loses its number in
  tree-sitter's legacy_index; `{(a) = 1}` has a quirky key in the reference: all handled or
  declined explicitly.
"""

from __future__ import annotations

import os
import re
from typing import Any

from soc2lint.platforms.terraform import ast

try:  # the fast path is optional: without the wheels, hcl.py uses Lark alone
    import tree_sitter
    import tree_sitter_hcl

    _PARSER: Any = tree_sitter.Parser(tree_sitter.Language(tree_sitter_hcl.language()))
except Exception:  # pragma: no cover - depends on the installation
    _PARSER = None

# nesting deeper than this declines, far below the depth at which the reference reports
# "nesting is too deep" (hcl.MAX_DEPTH counts about three of its levels per level here)
MAX_FAST_DEPTH = 50


class Decline(Exception):
    """The fast path is not sure: parse this file with the reference (Lark) path."""


def available() -> bool:
    return _PARSER is not None and os.environ.get("SOC2LINT_HCL", "").lower() != "lark"


def parse_body(text: str) -> ast.Body:
    """Parse text into a Body identical to hcl.parse_body's, or raise Decline."""
    if _ODD_SPACE.search(text):
        raise Decline("a byte-order mark or whitespace Lark does not ignore")
    # the reference parses text + "\n" (a Lark work-around); parse the same bytes
    src = (text + "\n").encode("utf-8")
    tree = _PARSER.parse(src)
    root = tree.root_node
    if root.has_error:
        raise Decline("syntax error")
    if b"/*" in src:
        _check_block_comments(root)
    return _Fast(src).config(root)


# tree-sitter skips these as whitespace, Lark ignores only space, tab and CR
_ODD_SPACE = re.compile("[\ufeff\f\v\x00\x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]")
# capitalised literals are errors in the reference (hcl._NOT_KEYWORDS): leave them to it
_NOT_KEYWORDS = frozenset({"True", "TRUE", "False", "FALSE", "Null", "NULL", "None"})
# Lark lexes these as keyword terminals in some states: declining is simpler than modelling it
_KEYWORDS = frozenset({"in", "for", "if", "else", "endif", "endfor"})
_NAME = re.compile(r"[a-zA-Z_][a-zA-Z0-9_-]*\Z")
_INT = re.compile(r"[0-9]+\Z")
_FLOAT = re.compile(r"[0-9]+(?:\.[0-9]+(?:[eE][+-]?[0-9]+)?|[eE][+-]?[0-9]+)\Z")
_BINARY_OPS = frozenset({"==", "!=", "<", ">", "<=", ">=", "+", "-", "*", "/", "%", "&&", "||"})

# python-hcl2's string-part terminals (hcl2.lark), tried in Lark's priority order
_STRING_TOKEN = re.compile(
    r"(?P<esc>\$\$\{[^}]*\}|%%\{[^}]*\})"
    r"|(?P<chars>(?:(?!\$\$\{)(?!\$\{)(?!%%\{)(?!%\{)[^\"\\]|\\.|(?:\$(?!\$?\{))|(?:%(?!%?\{)))+)",
    re.S,
)
# python-hcl2's heredoc terminals, on bytes
_HEREDOC = re.compile(
    rb"<<(?P<heredoc>[a-zA-Z][a-zA-Z0-9._-]*)\r?\n(?:(?:.|\n)*?\r?\n)??\s*(?P=heredoc)\r?\n"
)
_HEREDOC_TRIM = re.compile(
    rb"<<-(?P<heredoc_trim>[a-zA-Z][a-zA-Z0-9._-]*)\r?\n(?:(?:.|\n)*?\r?\n)??\s*(?P=heredoc_trim)\r?\n"
)

_POSTFIX = frozenset({"get_attr", "index", "splat"})


def _kids(node: Any) -> list:
    """Children without comments (tree-sitter extras)."""
    return [child for child in node.children if child.type != "comment"]


def _check_block_comments(node: Any) -> None:
    """A `/* */` comment is whitespace to tree-sitter anywhere, but Lark allows comments only
    where it allows a newline: decline one that is not between body items."""
    stack = [node]
    while stack:
        current = stack.pop()
        for child in current.children:
            if child.type == "comment":
                if current.type not in ("body", "config_file") and child.text.startswith(b"/*"):
                    raise Decline("block comment inside an expression")
            elif child.child_count:
                stack.append(child)


def _row(node: Any) -> int:
    return node.start_point[0]


def _end_row(node: Any) -> int:
    return node.end_point[0]


class _Fast:
    def __init__(self, src: bytes) -> None:
        self.src = src

    def text(self, node: Any) -> str:
        return self.src[node.start_byte : node.end_byte].decode("utf-8")

    def ident(self, node: Any) -> str:
        if node.type != "identifier":
            raise Decline(f"unexpected {node.type}")
        name = self.text(node)
        if not _NAME.match(name) or name in _KEYWORDS:
            raise Decline("identifier the reference lexes differently")
        return name

    # -- structure ---------------------------------------------------------------------------

    def config(self, root: Any) -> ast.Body:
        if root.type != "config_file":
            raise Decline("unexpected root")
        bodies = [c for c in _kids(root)]
        if not bodies:
            return ast.Body()
        if len(bodies) != 1 or bodies[0].type != "body":
            raise Decline("unexpected top level")
        return self.body(bodies[0], 0)

    def body(self, node: Any, depth: int) -> ast.Body:
        if depth > MAX_FAST_DEPTH:
            raise Decline("deep nesting")
        attributes: dict[str, ast.Attribute] = {}
        blocks: list[ast.Block] = []
        for child in _kids(node):
            kind = child.type
            if kind == "attribute":
                kids = _kids(child)
                if len(kids) != 3 or kids[1].type != "=":
                    raise Decline("unexpected attribute shape")
                name = self.ident(kids[0])
                if not (_row(kids[0]) == _row(kids[1]) == _row(kids[2])):
                    raise Decline("newline inside attribute head")
                if name in attributes:
                    raise Decline("duplicate attribute")  # the reference raises the error
                expr = self.expr(kids[2], depth + 1)
                attributes[name] = ast.Attribute(name, expr, _row(child) + 1, _end_row(kids[2]) + 1)
            elif kind == "block":
                blocks.append(self.block(child, depth + 1))
            else:
                raise Decline(f"unexpected {kind} in body")
        return ast.Body(attributes, tuple(blocks))

    def block(self, node: Any, depth: int) -> ast.Block:
        names: list[str] = []
        body: ast.Body | None = None
        end = None
        head_row = _row(node)
        for child in _kids(node):
            kind = child.type
            if kind == "identifier":
                names.append(self.ident(child))
            elif kind == "string_lit":
                value = self.quoted(child, depth)
                if not isinstance(value, ast.Lit):
                    raise Decline("label with interpolation")
                names.append(str(value.value))
            elif kind == "block_start":
                pass
            elif kind == "body":
                body = self.body(child, depth)
            elif kind == "block_end":
                end = child
            else:
                raise Decline(f"unexpected {kind} in block")
            if kind in ("identifier", "string_lit") and _row(child) != head_row:
                raise Decline("block labels on several lines")
        if not names or end is None:
            raise Decline("unexpected block shape")
        return ast.Block(
            names[0], tuple(names[1:]), body or ast.Body(), head_row + 1, _end_row(end) + 1
        )

    # -- expressions -------------------------------------------------------------------------

    def expr(self, node: Any, depth: int) -> ast.Expr:
        if depth > MAX_FAST_DEPTH:
            raise Decline("deep nesting")
        depth += 1
        kind = node.type
        if kind == "expression":
            kids = _kids(node)
            if len(kids) == 1:
                return self.expr(kids[0], depth)
            return self.terms(kids, depth)
        handler = _HANDLERS.get(kind)
        if handler is None:
            raise Decline(f"unknown node {kind}")
        return handler(self, node, depth)

    def terms(self, kids: list, depth: int) -> ast.Expr:
        """A term and its traversals; tree-sitter-hcl lays them out as siblings (also inside
        operations: `count.index + 1` has the children count, .index, +, 1)."""
        if not kids:
            raise Decline("empty expression")
        if kids[0].type == "(":
            if len(kids) < 3 or kids[2].type != ")":
                raise Decline("unexpected parentheses")
            obj = self.expr(kids[1], depth)
            prev, rest = kids[2], kids[3:]
        else:
            obj = self.expr(kids[0], depth)
            prev, rest = kids[0], kids[1:]
        for op in rest:
            if op.type not in _POSTFIX:
                raise Decline(f"unexpected {op.type} after a term")
            if _row(op) != _end_row(prev):
                raise Decline("newline before a traversal")
            if op.type == "splat":
                obj = self.splat(obj, op, depth)
            else:
                kind, value = self.op(op, depth)
                obj = ast.GetAttr(obj, value) if kind == "attr" else ast.Index(obj, value)
            prev = op
        return obj

    def op(self, op: Any, depth: int) -> tuple[str, Any]:
        if op.type == "get_attr":
            kids = _kids(op)
            if len(kids) != 2 or _row(kids[1]) != _row(kids[0]):
                raise Decline("unexpected get_attr")
            return ("attr", self.ident(kids[1]))
        if op.type == "index":
            kids = _kids(op)
            if len(kids) != 1 or kids[0].type != "new_index":
                raise Decline("legacy index")  # tree-sitter-hcl drops the number of `a.0`
            inner = [c for c in _kids(kids[0]) if c.type not in ("[", "]")]
            if len(inner) != 1:
                raise Decline("unexpected index")
            return ("index", self.expr(inner[0], depth))
        raise Decline(f"unexpected {op.type}")

    def splat(self, obj: ast.Expr, node: Any, depth: int) -> ast.Expr:
        kids = _kids(node)
        if len(kids) != 1 or kids[0].type not in ("attr_splat", "full_splat"):
            raise Decline("unexpected splat")
        each: list[tuple[str, Any]] = []
        prev = None
        for child in _kids(kids[0]):
            if child.type in (".*", "[*]"):
                prev = child
                continue
            if prev is None or _row(child) != _end_row(prev):
                raise Decline("newline inside a splat")
            each.append(self.op(child, depth))
            prev = child
        return ast.Splat(obj, tuple(each))

    def e_variable_expr(self, node: Any, depth: int) -> ast.Expr:
        kids = _kids(node)
        if len(kids) != 1:
            raise Decline("unexpected variable")
        name = self.ident(kids[0])
        if name in _NOT_KEYWORDS:
            raise Decline("capitalised literal")  # the reference raises the error
        return ast.Var(name)

    def e_literal_value(self, node: Any, depth: int) -> ast.Expr:
        kids = _kids(node)
        if len(kids) != 1:
            raise Decline("unexpected literal")
        inner = kids[0]
        kind = inner.type
        if kind == "numeric_lit":
            return ast.Lit(self.number(self.text(inner)))
        if kind == "bool_lit":
            word = self.text(inner)
            if word not in ("true", "false"):
                raise Decline("unexpected bool")
            return ast.Lit(word == "true")
        if kind == "null_lit":
            if self.text(inner) != "null":
                raise Decline("unexpected null")
            return ast.Lit(None)
        if kind == "string_lit":
            return self.quoted(inner, depth)
        raise Decline(f"unknown literal {kind}")

    @staticmethod
    def number(text: str) -> int | float:
        if _INT.match(text):
            return int(text)
        if _FLOAT.match(text):
            return float(text)
        raise Decline("unexpected number")

    def e_template_expr(self, node: Any, depth: int) -> ast.Expr:
        kids = _kids(node)
        if len(kids) != 1:
            raise Decline("unexpected template")
        inner = kids[0]
        if inner.type == "quoted_template":
            return self.quoted(inner, depth)
        if inner.type == "heredoc_template":
            return self.heredoc(inner)
        raise Decline(f"unknown template {inner.type}")

    def quoted(self, node: Any, depth: int) -> ast.Expr:
        """A quoted string: literal text from the source bytes, cut into Lark's tokens."""
        kids = node.children  # a comment cannot occur inside quotes
        if (
            len(kids) < 2
            or kids[0].type != "quoted_template_start"
            or kids[-1].type != "quoted_template_end"
        ):
            raise Decline("unexpected string")
        if len(kids) <= 3:
            # no interpolation: the common case, often without escapes either
            raw = self.src[kids[0].end_byte : kids[-1].start_byte]
            if not (b"\\" in raw or b"$" in raw or b"%" in raw) and (
                len(kids) == 2 or kids[1].type == "template_literal"
            ):
                return ast.Lit(raw.decode("utf-8"))
        parts: list[str | ast.Expr] = []
        pos = kids[0].end_byte
        for child in kids[1:-1]:
            kind = child.type
            if kind == "template_literal":
                continue
            if kind != "template_interpolation":
                raise Decline(f"{kind} in a quoted string")
            if self.src[child.start_byte - 1 : child.start_byte] == b"$":
                raise Decline("`$${` escape across an interpolation")  # Lark reads `$` `$${...}`
            self.literal(self.src[pos : child.start_byte], parts)
            inner = child.children
            if (
                len(inner) != 3
                or inner[0].type != "template_interpolation_start"
                or inner[2].type != "template_interpolation_end"
                or inner[1].type != "expression"
            ):
                raise Decline("unexpected interpolation")  # strip markers, comments
            if _row(inner[1]) != _end_row(inner[0]) or _row(inner[2]) != _end_row(inner[1]):
                raise Decline("newline inside ${ }")  # Lark allows none there
            parts.append(self.expr(inner[1], depth + 1))
            pos = child.end_byte
        self.literal(self.src[pos : kids[-1].start_byte], parts)
        return _template(parts)

    @staticmethod
    def literal(raw: bytes, parts: list[str | ast.Expr]) -> None:
        if not raw:
            return
        text = raw.decode("utf-8")
        pos = 0
        while pos < len(text):
            match = _STRING_TOKEN.match(text, pos)
            if match is None:
                raise Decline("string text the reference lexes differently")
            token = match.group(0)
            if match.group("esc"):
                parts.append(token[1:])
            elif "\\" in token:  # python-hcl2 (and Lark) imported only for an escape
                from hcl2.utils import process_escape_sequences

                parts.append(process_escape_sequences(token))
            else:
                parts.append(token)
            pos = match.end()

    def heredoc(self, node: Any) -> ast.Expr:
        from soc2lint.platforms.terraform.hcl import _Converter

        kids = node.children
        if (
            len(kids) < 3
            or kids[0].type != "heredoc_start"
            or kids[-1].type != "heredoc_identifier"
        ):
            raise Decline("unexpected heredoc")
        trim = self.src[kids[0].start_byte : kids[0].end_byte] == b"<<-"
        pattern = _HEREDOC_TRIM if trim else _HEREDOC
        match = pattern.match(self.src, node.start_byte)
        if match is None:
            raise Decline("heredoc the reference lexes differently")
        close = kids[-1].end_byte
        if match.end() not in (close + 1, close + 2) or self.src[close : match.end()] not in (
            b"\n",
            b"\r\n",
        ):
            raise Decline("heredoc ends elsewhere for the reference")
        raw = match.group(0).decode("utf-8")
        return _Converter().heredoc(raw, _row(node) + 1, trim=trim)

    def e_collection_value(self, node: Any, depth: int) -> ast.Expr:
        kids = _kids(node)
        if len(kids) != 1:
            raise Decline("unexpected collection")
        return self.expr(kids[0], depth)

    def e_tuple(self, node: Any, depth: int) -> ast.Expr:
        items = []
        for child in _kids(node):
            if child.type == "expression":
                items.append(self.expr(child, depth))
            elif child.type not in ("tuple_start", "tuple_end", ","):
                raise Decline(f"unexpected {child.type} in tuple")
        return ast.TupleExpr(tuple(items))

    def e_object(self, node: Any, depth: int) -> ast.Expr:
        items = []
        for elem in _kids(node):
            if elem.type in ("object_start", "object_end", ","):
                continue
            if elem.type != "object_elem":
                raise Decline(f"unexpected {elem.type} in object")
            kids = _kids(elem)
            if len(kids) != 3 or kids[1].type not in ("=", ":"):
                raise Decline("unexpected object element")
            key_node, value_node = kids[0], kids[2]
            if not (_end_row(key_node) == _row(kids[1]) == _row(value_node)):
                raise Decline("newline inside an object element")
            key_kids = _kids(key_node) if key_node.type == "expression" else []
            if len(key_kids) == 1 and key_kids[0].type == "variable_expr":
                # `{ a = 1 }`: a bare identifier key is the literal name, not a reference
                key: ast.Expr = ast.Lit(self.ident(_kids(key_kids[0])[0]))
            else:
                key = self.expr(key_node, depth)
                if isinstance(key, ast.Var):
                    raise Decline("parenthesised name as an object key")  # a reference quirk
            items.append((key, self.expr(value_node, depth), _row(elem) + 1))
        return ast.ObjectExpr(tuple(items))

    def e_function_call(self, node: Any, depth: int) -> ast.Expr:
        kids = _kids(node)
        if not kids or kids[0].type != "identifier":
            raise Decline("unexpected call")
        parts = self.text(kids[0]).split("::")
        if len(parts) not in (1, 3):
            raise Decline("unexpected function name")
        for part in parts:
            if not _NAME.match(part) or part in _KEYWORDS:
                raise Decline("unexpected function name")
        if len(kids) < 2 or kids[1].type != "(" or _row(kids[1]) != _end_row(kids[0]):
            raise Decline("unexpected call shape")
        args: list[ast.Expr] = []
        expand = False
        for child in kids[2:]:
            if child.type == "function_arguments":
                for arg in _kids(child):
                    if arg.type == "expression":
                        if expand:
                            raise Decline("argument after an ellipsis")
                        args.append(self.expr(arg, depth))
                    elif arg.type == "ellipsis":
                        expand = True
                    elif arg.type != ",":
                        raise Decline(f"unexpected {arg.type} in arguments")
            elif child.type != ")":
                raise Decline(f"unexpected {child.type} in call")
        return ast.Call("::".join(parts), tuple(args), expand)

    def e_conditional(self, node: Any, depth: int) -> ast.Expr:
        kids = _kids(node)
        if len(kids) != 5 or kids[1].type != "?" or kids[3].type != ":":
            raise Decline("unexpected conditional")
        cond_node = kids[0]
        inner = _kids(cond_node) if cond_node.type == "expression" else []
        if cond_node.type == "conditional" or (inner and inner[0].type == "conditional"):
            # tree-sitter nests `a ? b : c ? d : e` to the left, Lark to the right
            raise Decline("chained conditional")
        return ast.Conditional(
            self.expr(cond_node, depth), self.expr(kids[2], depth), self.expr(kids[4], depth)
        )

    def e_operation(self, node: Any, depth: int) -> ast.Expr:
        kids = _kids(node)
        if len(kids) != 1:
            raise Decline("unexpected operation")
        return self.expr(kids[0], depth)

    def e_binary_operation(self, node: Any, depth: int) -> ast.Expr:
        kids = _kids(node)
        at = [i for i, c in enumerate(kids) if not c.is_named and c.type in _BINARY_OPS]
        if len(at) != 1 or at[0] == 0 or at[0] == len(kids) - 1:
            raise Decline("unexpected binary operation")
        i = at[0]
        op_node = kids[i]
        if _row(op_node) != _end_row(kids[i - 1]):
            # Lark folds the newline into the operator token (or rejects it before `-`)
            raise Decline("newline before an operator")
        left = self.terms(kids[:i], depth)
        return ast.BinOp(op_node.type, left, self.terms(kids[i + 1 :], depth))

    def e_unary_operation(self, node: Any, depth: int) -> ast.Expr:
        kids = _kids(node)
        if len(kids) < 2 or kids[0].type not in ("-", "!"):
            raise Decline("unexpected unary operation")
        op_node, operand = kids[0], kids[1:]
        if operand[0].type == "operation":
            raise Decline("operation as the operand of a unary operator")  # Lark: expr_term only
        if _row(operand[0]) != _row(op_node):
            raise Decline("newline after a unary operator")
        if op_node.type == "-" and operand[0].start_byte == op_node.end_byte:
            first = self.src[operand[0].start_byte : operand[0].start_byte + 1]
            if first.isdigit():
                lit = _kids(operand[0])
                if (
                    len(operand) != 1
                    or operand[0].type != "literal_value"
                    or lit[0].type != "numeric_lit"
                ):
                    raise Decline("negative number with a traversal")
                text = self.text(lit[0])
                if self.src[operand[0].end_byte : operand[0].end_byte + 1] == b"-":
                    raise Decline("`-1-2.5` is one float token for Lark")
                # Lark's INT_LITERAL is "-" DECIMAL DECIMAL+ and FLOAT_LITERAL takes a leading
                # "-" too: `-10` and `-1.5` are literals, `-1` is a minus and an int
                if _FLOAT.match(text):
                    return ast.Lit(float("-" + text))
                if len(text) >= 2:
                    return ast.Lit(int("-" + text))
        return ast.UnOp(op_node.type, self.terms(operand, depth))

    def e_for_expr(self, node: Any, depth: int) -> ast.Expr:
        kids = _kids(node)
        if len(kids) != 1:
            raise Decline("unexpected for")
        inner = kids[0]
        if inner.type not in ("for_tuple_expr", "for_object_expr"):
            raise Decline("unexpected for")
        is_object = inner.type == "for_object_expr"
        intro = None
        cond_node = None
        body: list[Any] = []
        group = False
        for child in _kids(inner):
            kind = child.type
            if kind == "for_intro":
                intro = child
            elif kind == "for_cond":
                cond_node = child
            elif kind == "expression":
                body.append(child)
            elif kind == "ellipsis":
                group = True
            elif kind not in ("tuple_start", "tuple_end", "object_start", "object_end", "=>"):
                raise Decline(f"unexpected {kind} in for")
        if intro is None or len(body) != (2 if is_object else 1) or (group and not is_object):
            raise Decline("unexpected for shape")
        names: list[str] = []
        coll = None
        first_row = None
        for child in _kids(intro):
            if child.type in ("identifier", ","):
                # Lark: `for k, v`, with no newline before or after the comma
                if first_row is None:
                    first_row = _row(child)
                elif _row(child) != first_row:
                    raise Decline("newline between the names of a for")
            if child.type == "identifier":
                names.append(self.ident(child))
            elif child.type == "expression":
                coll = child
            elif child.type not in ("for", ",", "in", ":"):
                raise Decline(f"unexpected {child.type} in for intro")
        if coll is None or len(names) not in (1, 2):
            raise Decline("unexpected for intro")
        collection = self.expr(coll, depth)
        cond = None
        if cond_node is not None:
            cond_kids = [c for c in _kids(cond_node) if c.type == "expression"]
            if len(cond_kids) != 1:
                raise Decline("unexpected for condition")
            cond = self.expr(cond_kids[0], depth)
        parts = [self.expr(b, depth) for b in body[: 2 if is_object else 1]]
        return ast.for_expr(names, collection, parts, cond, group)


_HANDLERS = {name[2:]: function for name, function in vars(_Fast).items() if name.startswith("e_")}


def _template(parts: list[str | ast.Expr]) -> ast.Expr:
    from soc2lint.platforms.terraform.hcl import _template as reference_template

    return reference_template(parts)
