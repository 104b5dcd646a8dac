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

# the reference reports "nesting is too deep to analyse" beyond this depth of its own converter
# (hcl.MAX_DEPTH is this value); the fast path counts depth as the reference does, level for
# level of Lark's tree (see _Fast.expr), and declines where the reference would stop
MAX_DEPTH = 200


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

# python-hcl2's string-part terminals (hcl2.lark), tried in Lark's priority order: escaped
# interpolations and directives (priority 2), then the string characters (priority 1); on bytes,
# which cut a string where the same patterns on its text do (they test ASCII characters only)
_STRING_TOKEN = re.compile(
    rb"(?P<esc>\$\$\{[^}]*\}|%%\{[^}]*\})"
    rb"|(?P<chars>(?:(?!\$\$\{)(?!\$\{)(?!%%\{)(?!%\{)[^\"\\]|\\.|(?:\$(?!\$?\{))|(?:%(?!%?\{)))+)",
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
# `.0`: Lark's short_index, DOT INT_LITERAL (a newline between them is an error for Lark)
# HCL's escapes in a quoted string, resolved as python-hcl2's process_escape_sequences does
# (one pass, left to right; an escape it does not know, a code point past U+10FFFF or a lone
# surrogate kept verbatim); our own, so that a string with an escape does not import
# python-hcl2 and Lark (tests/test_hcl_fast.py compares the two)
_ESCAPE = re.compile(r'\\(?:([nrt"\\])|u([0-9a-fA-F]{4})|U([0-9a-fA-F]{8}))')
_SIMPLE_ESCAPES = {"n": "\n", "r": "\r", "t": "\t", '"': '"', "\\": "\\"}


def _escaped(match: re.Match[str]) -> str:
    simple, short, long = match.groups()
    if simple:
        return _SIMPLE_ESCAPES[simple]
    code = int(short or long, 16)
    if code > 0x10FFFF or 0xD800 <= code < 0xE000:
        return match.group(0)
    return chr(code)


def unescape(text: str) -> str:
    """text with its escapes resolved (see _ESCAPE)."""
    return _ESCAPE.sub(_escaped, text) if "\\" in text else text


_LEGACY_INDEX = re.compile(rb"\.[ \t\r]*([0-9]+)\Z")
# what may stand between two tokens for Lark: ignored space, or one NL_OR_COMMENT token (group 1)
_GAP = re.compile(rb"[ \t\r]+|(\n[ \t]*|#[^\n]*\n|//[^\n]*\n|/\*.*?\*/)", re.S)


def _kids(node: Any) -> list:
    """Children without comments (tree-sitter extras)."""
    return [child for child in node.children if child.type != "comment"]


def _check_block_comments(node: Any) -> None:
    """A `/* */` comment is whitespace to tree-sitter anywhere, but one NL_OR_COMMENT token to
    Lark, allowed only where its grammar allows a newline (`x = /* c */ 1` is an error there):
    decline a block comment anywhere else. A `#` or `//` comment ends in a newline, which the
    row checks of _Fast already place; the gap before `?` counts both kinds (_Fast.qmark_gap)."""
    stack = [node]
    while stack:
        current = stack.pop()
        kids = current.children
        for i, child in enumerate(kids):
            if child.type == "comment":
                if child.text.startswith(b"/*") and not _comment_allowed(current.type, kids, i):
                    raise Decline("block comment where the reference allows no newline")
            elif child.child_count:
                stack.append(child)


# parents in which Lark's grammar has `new_line_or_comment?` between every two tokens: body
# items; tuple and object elements, before and after their commas and brackets; a conditional's
# parts after `?` and around `:` (the gap before `?` is checked where the conditional is read)
_COMMENTS_ANYWHERE = frozenset({"body", "config_file", "tuple", "object", "conditional"})


def _comment_allowed(parent: str, kids: list, i: int) -> bool:
    if parent in _COMMENTS_ANYWHERE:
        return True
    before = [c.type for c in kids[:i]]
    after = [c.type for c in kids[i + 1 :] if c.type != "comment"]
    if parent == "block":  # in the body, or just before its `{`
        return "block_start" in before or (bool(after) and after[0] == "block_start")
    if parent == "function_call":  # after `(`: `f /* c */ (a)` is an error
        return "(" in before
    if parent == "function_arguments":  # anywhere but before `...`
        return not (after and after[0] == "ellipsis")
    return False


def _unwrap(node: Any) -> Any:
    """The node an expression or operation wrapper stands for (itself when it has several
    children: a term with traversals, or parentheses)."""
    while node.type in ("expression", "operation"):
        kids = _kids(node)
        if len(kids) != 1:
            return node
        node = kids[0]
    return node


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
        """A name where python-hcl2 takes an identifier only (a reference, a for's names)."""
        name = self.name(node)
        if name in _KEYWORDS:
            raise Decline("identifier the reference lexes differently")
        return name

    def name(self, node: Any) -> str:
        """A name where python-hcl2 takes a keyword too: an attribute's name, a block's type
        and labels, an object's key, a `.name` (its rules list `keyword` beside `identifier`,
        or the contextual lexer reads NAME where no keyword is expected)."""
        if node.type != "identifier":
            raise Decline(f"unexpected {node.type}")
        name = self.text(node)
        if not _NAME.match(name):
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
        if depth > MAX_DEPTH:
            raise Decline("deep nesting")
        attributes: dict[str, ast.Attribute] = {}
        blocks: list[ast.Block] = []
        for child in _kids(node):
            kind = child.type
            if kind == "attribute":
                kids = _kids(child)
                if len(kids) != 3 or kids[1].type != "=":
                    raise Decline("unexpected attribute shape")
                name = self.name(kids[0])
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
                names.append(self.name(child))
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
        """node's expression; depth is the one at which the reference's converter meets the
        Lark node of this expression, so that the fast path declines exactly where the
        reference reports "nesting is too deep". Per level of Lark's tree: a term (expr_term)
        and what it wraps count one each, so a tuple's, object's or call's items and a for
        expression's parts are two deeper, a string's interpolations three, each traversal
        step (`.a`, `[i]`, a splat) two; a conditional's, operation's or unary operation's
        operands one. tree-sitter's own wrappers (expression, operation, collection_value,
        template_expr) count nothing."""
        if depth >= MAX_DEPTH:  # the reference meets at least one node a level deeper
            raise Decline("deep nesting")
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
        operations: `count.index + 1` has the children count, .index, +, 1). Lark nests them
        to the left, each step two levels deeper than the one after it."""
        if not kids:
            raise Decline("empty expression")
        if kids[0].type == "(":
            if len(kids) < 3 or kids[2].type != ")":
                raise Decline("unexpected parentheses")
            first, prev, rest = kids[1], kids[2], kids[3:]
        else:
            first, prev, rest = kids[0], kids[0], kids[1:]
        steps = len(rest)
        base = depth + 2 * steps
        # `(e)` is a term wrapping e: one level more
        obj = self.expr(first, base + 1 if first is not kids[0] else base)
        for i, op in enumerate(rest):
            if op.type not in _POSTFIX:
                raise Decline(f"unexpected {op.type} after a term")
            if _row(op) != _end_row(prev):
                raise Decline("newline before a traversal")
            at = depth + 2 * (steps - i)  # the reference's depth for this step
            if op.type == "splat":
                obj = self.splat(obj, op, at)
            else:
                kind, value = self.op(op, at)
                obj = ast.GetAttr(obj, value) if kind == "attr" else ast.Index(obj, value)
            prev = op
        return obj

    def op(self, op: Any, depth: int) -> tuple[str, Any]:
        if op.type == "get_attr":
            kids = _kids(op)
            if len(kids) != 2 or _row(kids[1]) != _row(kids[0]):
                raise Decline("unexpected get_attr")
            return ("attr", self.name(kids[1]))
        if op.type == "index":
            kids = _kids(op)
            if len(kids) == 1 and kids[0].type == "legacy_index":
                # `a.0`: tree-sitter-hcl has no node for the number, the source has it
                match = _LEGACY_INDEX.match(self.src, kids[0].start_byte, kids[0].end_byte)
                if match is None:
                    raise Decline("unexpected legacy index")
                return ("index", ast.Lit(int(match.group(1))))
            if len(kids) != 1 or kids[0].type != "new_index":
                raise Decline("unexpected index")
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
        """A quoted string, read as Lark lexes it: from the source bytes after the opening
        quote, with python-hcl2's string terminals in Lark's priority order. tree-sitter gives
        only the end of the string and where its interpolations are: each `${` Lark reads must
        open one of them (its expression is converted from tree-sitter's tree), and Lark's string
        must end at tree-sitter's closing quote. Where Lark reads literal text over an
        interpolation of tree-sitter's (`$$${x}` is `$` and an escaped `$${x}` for Lark), the
        text is Lark's."""
        kids = node.children  # a comment cannot occur inside quotes
        if (
            len(kids) < 2
            or kids[0].type != "quoted_template_start"
            or kids[-1].type != "quoted_template_end"
        ):
            raise Decline("unexpected string")
        src = self.src
        pos = kids[0].end_byte
        end = kids[-1].start_byte
        if len(kids) <= 3:
            # no interpolation: the common case, often without escapes either
            raw = src[pos:end]
            if not (b"\\" in raw or b"$" in raw or b"%" in raw) and (
                len(kids) == 2 or kids[1].type == "template_literal"
            ):
                return ast.Lit(raw.decode("utf-8"))
        interpolations = {
            child.start_byte: child
            for child in kids[1:-1]
            if child.type == "template_interpolation"
        }
        parts: list[str | ast.Expr] = []
        while pos < end:
            if src.startswith(b"${", pos):
                child = interpolations.get(pos)
                if child is None:
                    raise Decline("an interpolation where tree-sitter has none")
                parts.append(self.interpolation(child, depth))
                pos = child.end_byte
                continue
            if src.startswith(b"%{", pos):
                raise Decline("template directive in a quoted string")
            match = _STRING_TOKEN.match(src, pos)
            if match is None or match.end() > end:
                raise Decline("string text the reference lexes differently")
            token = match.group(0).decode("utf-8")
            if match.group("esc"):
                parts.append(token[1:])
            elif "\\" in token:
                parts.append(unescape(token))
            else:
                parts.append(token)
            pos = match.end()
        return _template(parts)

    def interpolation(self, node: Any, depth: int) -> ast.Expr:
        inner = node.children
        if (
            len(inner) != 3
            or inner[0].type != "template_interpolation_start"
            or inner[2].type != "template_interpolation_end"
            or inner[1].type != "expression"
        ):
            raise Decline("unexpected interpolation")  # strip markers, comments
        if not (self.tight(inner[0], inner[1]) and self.tight(inner[1], inner[2])):
            raise Decline("newline inside ${ }")  # Lark allows none there
        # expr_term > string > interpolation's expression: three levels below the string's term
        return self.expr(inner[1], depth + 3)

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
                items.append(self.expr(child, depth + 2))
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
                # `{ a = 1 }`: a bare identifier key is the literal name, not a reference;
                # `{ (a) = 1 }` is the value of a, an expression like any other
                key: ast.Expr = ast.Lit(self.name(_kids(key_kids[0])[0]))
            else:
                key = self.expr(key_node, depth + 2)
            items.append((key, self.expr(value_node, depth + 2), _row(elem) + 1))
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
                prev = None
                for arg in _kids(child):
                    if arg.type == "expression":
                        if expand:
                            raise Decline("argument after an ellipsis")
                        args.append(self.expr(arg, depth + 2))
                    elif arg.type == "ellipsis":
                        if prev is None or not self.tight(prev, arg):
                            raise Decline("newline before `...`")  # Lark allows none there
                        expand = True
                    elif arg.type != ",":
                        raise Decline(f"unexpected {arg.type} in arguments")
                    prev = arg
            elif child.type != ")":
                raise Decline(f"unexpected {child.type} in call")
        return ast.Call("::".join(parts), tuple(args), expand)

    def e_conditional(self, node: Any, depth: int) -> ast.Expr:
        """`a ? b : c ? d : e` nests to the left in tree-sitter-hcl, to the right in Lark (whose
        condition is an operation or a term, never a conditional): the chain is read in source
        order and rebuilt as Lark's, the n-th conditional of the chain one level deeper."""
        links = []  # innermost first: [cond, ?, then, :, else] of each tree-sitter node
        while True:
            kids = _kids(node)
            if len(kids) != 5 or kids[1].type != "?" or kids[3].type != ":":
                raise Decline("unexpected conditional")
            links.append(kids)
            node = _unwrap(kids[0])
            if node.type != "conditional":
                break
        links.reverse()
        # source order: cond0 ? then0 : cond1 ? then1 : ... : last
        conds = [links[0][0]] + [link[4] for link in links[:-1]]
        for cond, link in zip(conds, links, strict=True):
            self.qmark_gap(cond, link[1])
        result = self.expr(links[-1][4], depth + len(links))
        for n in range(len(links) - 1, -1, -1):
            at = depth + n + 1
            result = ast.Conditional(self.expr(conds[n], at), self.expr(links[n][2], at), result)
        return result

    def qmark_gap(self, cond: Any, qmark: Any) -> None:
        """Between a condition and its `?`, Lark takes one newline or comment (python-hcl2's
        post-lexer merges it into the `?`) and any number after an operation (whose rule ends
        in an optional new_line_or_comment); more is an error for Lark."""
        pos, end = cond.end_byte, qmark.start_byte
        count = 0
        while pos < end:
            match = _GAP.match(self.src, pos, end)
            if match is None:
                raise Decline("unexpected text before `?`")
            if match.lastindex:
                count += 1
            pos = match.end()
        if count > 1 and _unwrap(cond).type != "binary_operation":
            raise Decline("several newlines or comments before `?`")

    def tight(self, left: Any, right: Any) -> bool:
        """No newline and no comment between two nodes (only what Lark ignores)."""
        return not self.src[left.end_byte : right.start_byte].strip(b" \t\r")

    def e_operation(self, node: Any, depth: int) -> ast.Expr:
        kids = _kids(node)
        if len(kids) != 1:
            raise Decline("unexpected operation")
        return self.expr(kids[0], depth)

    def e_binary_operation(self, node: Any, depth: int) -> ast.Expr:
        """`a + b + c` nests to the left in both grammars; the left spine is walked in a loop
        (one Python frame per operator would be five here, against the reference's two)."""
        chain = []  # outermost first: the operator and its right operand's terms
        while True:
            kids = _kids(node)
            at = [i for i, c in enumerate(kids) if not c.is_named and c.type in _BINARY_OPS]
            if len(at) != 1 or at[0] == 0 or at[0] == len(kids) - 1:
                raise Decline("unexpected binary operation")
            i = at[0]
            op_node = kids[i]
            if _row(op_node) != _end_row(kids[i - 1]):
                # Lark folds the newline into the operator token (or rejects it before `-`)
                raise Decline("newline before an operator")
            chain.append((op_node.type, kids[i + 1 :]))
            left = kids[:i]
            inner = _unwrap(left[0]) if len(left) == 1 else None
            if inner is None or inner.type != "binary_operation":
                break
            node = inner
        # the n-th operation of the chain is n levels deeper, its operands one more
        result = self.terms(left, depth + len(chain))
        for n in range(len(chain) - 1, -1, -1):
            op, right = chain[n]
            result = ast.BinOp(op, result, self.terms(right, depth + n + 1))
        return result

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
        return ast.UnOp(op_node.type, self.terms(operand, depth + 1))

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
            elif kind == "=>":
                if len(body) != 1 or not self.tight(body[0], child):
                    raise Decline("newline before `=>`")  # Lark allows none there
            elif kind not in ("tuple_start", "tuple_end", "object_start", "object_end"):
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
        depth += 2  # the term, then the for expression
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
