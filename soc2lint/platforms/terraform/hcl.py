"""HCL text -> our syntax tree, using python-hcl2's Lark grammar for the parsing itself.

python-hcl2's dict API (`hcl2.loads(..., with_meta=True)`) gives start/end lines for blocks and
attributes only, and turns expressions back into strings like "${var.x}". We need expressions as
trees (to evaluate them and to extract references) and lines for nested blocks and object keys,
so we take the raw Lark tree (`hcl2.parses_to_tree`, positions propagated) and convert it here.

python-hcl2 and Lark are imported when the first file takes this path (`_import_lark`): the
tree-sitter path parses most files, and importing them cost every run that starts afresh (a
pre-commit hook) about a fifth of a second.
"""

from __future__ import annotations

import dataclasses
import re
import textwrap
from typing import TYPE_CHECKING, Any

from soc2lint.platforms.terraform import ast, hcl_fast

if TYPE_CHECKING:
    from lark import Token, Tree
    from lark.exceptions import UnexpectedInput


def _import_lark() -> None:
    """Bind python-hcl2's and Lark's names in this module, once, before the Lark path runs."""
    global hcl2, process_escape_sequences, Token, Tree, LarkError, UnexpectedCharacters
    global UnexpectedInput
    if "hcl2" in globals():
        return
    import hcl2
    from hcl2.utils import process_escape_sequences
    from lark import Token, Tree
    from lark.exceptions import LarkError, UnexpectedCharacters, UnexpectedInput


# nesting beyond this is reported as a parse error, not a crash; the fast path counts depth as
# _Converter does and declines beyond the same limit
MAX_DEPTH = hcl_fast.MAX_DEPTH


# capitalised spellings of HCL's literals, which are invalid references
_NOT_KEYWORDS = {
    "True": "true",
    "TRUE": "true",
    "False": "false",
    "FALSE": "false",
    "Null": "null",
    "NULL": "null",
    "None": "null",
}


class HCLSyntaxError(Exception):
    def __init__(self, message: str, line: int, column: int = 0) -> None:
        super().__init__(message)
        self.message = message
        self.line = line
        self.column = column


def parse_body(text: str) -> ast.Body:
    """Parse HCL text into a Body; raises HCLSyntaxError with a line number.

    The compiled tree-sitter path (hcl_fast) is tried first; whenever it is not sure it gives the
    same Body as the reference, the whole file is parsed by python-hcl2's Lark grammar below.
    SOC2LINT_HCL=lark forces the reference path."""
    if hcl_fast.available():
        try:
            return hcl_fast.parse_body(text)
        except (hcl_fast.Decline, RecursionError):
            pass
    return parse_body_lark(text)


def parse_body_lark(text: str) -> ast.Body:
    """The reference path: python-hcl2's Lark parse tree, converted by _Converter."""
    try:
        return _parse_body(text)
    except HCLSyntaxError as first:
        if text.isascii():
            raise
        unicode = _UnicodeNames(text)  # python-hcl2 reads ASCII identifiers only
        if not unicode.table:
            raise
        try:
            return unicode.restore(_parse_body(unicode.text))
        except HCLSyntaxError:
            raise first from None  # worded and placed in the text as written


def _parse_body(text: str) -> ast.Body:
    _import_lark()
    try:
        tree = hcl2.parses_to_tree(text)
    except UnexpectedInput as exc:
        raise HCLSyntaxError(_describe(exc), exc.line if exc.line > 0 else 1, exc.column) from None
    except (LarkError, RecursionError, ValueError) as exc:
        raise HCLSyntaxError(f"cannot parse HCL: {type(exc).__name__}", 1) from None
    try:
        return _Converter().body(tree.children[0], 0)
    except RecursionError:
        raise HCLSyntaxError("nesting is too deep to analyse", 1) from None


class _UnicodeNames:
    """HCL identifiers are Unicode (`größe`), python-hcl2's grammar ASCII: each run of non-ASCII
    identifier characters is written as an ASCII placeholder for the parse, and put back in
    every name and string of the tree. Placeholders keep lines; the marker is chosen so that it
    occurs nowhere in the text."""

    def __init__(self, text: str) -> None:
        n = 0
        while f"Q{n}uni" in text:
            n += 1
        self.mark = f"Q{n}uni"
        self.table: list[str] = []
        self.text = _NON_ASCII_NAME.sub(self._hold, text)
        self.placeholder = re.compile(re.escape(self.mark) + r"(\d+)" + re.escape(self.mark))

    def _hold(self, match: re.Match[str]) -> str:
        self.table.append(match.group())
        return f"{self.mark}{len(self.table) - 1}{self.mark}"

    def restore(self, node: Any) -> Any:
        if isinstance(node, str):
            if self.mark not in node:
                return node
            return self.placeholder.sub(lambda m: self.table[int(m.group(1))], node)
        if isinstance(node, tuple):
            return tuple(self.restore(item) for item in node)
        if isinstance(node, dict):
            return {self.restore(k): self.restore(v) for k, v in node.items()}
        if dataclasses.is_dataclass(node) and not isinstance(node, type):
            changes = {
                f.name: self.restore(getattr(node, f.name)) for f in dataclasses.fields(node)
            }
            return dataclasses.replace(node, **changes)
        return node


# non-ASCII characters that may continue an identifier (letters, marks, digits of any script)
_NON_ASCII_NAME = re.compile(r"(?:(?![\x00-\x7f])\w)+")


def parse_expression(text: str, line: int = 1) -> ast.Expr:
    """Parse a lone expression (used for heredoc interpolations and --var values)."""
    body = parse_body(f"x = {text}\n")
    attr = body.attributes.get("x")
    if attr is None or body.blocks or len(body.attributes) != 1:
        raise HCLSyntaxError("not a single expression", line)
    return attr.expr


def _describe(exc: UnexpectedInput) -> str:
    if isinstance(exc, UnexpectedCharacters):
        char = exc.char if exc.char not in "\n\r" else "end of line"
        return f"unexpected character {char!r}"
    token = getattr(exc, "token", None)
    if token is not None and getattr(token, "type", "") == "$END":
        return "unexpected end of file (unclosed block or string?)"
    if token is not None:
        text = str(token)
        if text.startswith(("\n", "\r")):
            return "unexpected end of line (missing value or closing bracket?)"
        return f"unexpected {text.strip()[:40]!r}"
    return "syntax error"


_BINARY_OPS = {"==", "!=", "<", ">", "<=", ">=", "+", "-", "*", "/", "%", "&&", "||"}


class _Converter:
    def body(self, tree: Tree, depth: int) -> ast.Body:
        if depth > MAX_DEPTH:
            raise HCLSyntaxError("nesting is too deep to analyse", tree.meta.line)
        attributes: dict[str, ast.Attribute] = {}
        blocks: list[ast.Block] = []
        for child in tree.children:
            if not isinstance(child, Tree):
                continue
            if child.data == "attribute":
                name = self.name(child.children[0])
                expr = self.expr(child.children[2], depth + 1)
                if name in attributes:
                    raise HCLSyntaxError(
                        f"attribute {name!r} is set twice (first on line {attributes[name].line})",
                        child.meta.line,
                    )
                attributes[name] = ast.Attribute(name, expr, child.meta.line, _end_line(child))
            elif child.data == "block":
                blocks.append(self.block(child, depth + 1))
        return ast.Body(attributes, tuple(blocks))

    def block(self, tree: Tree, depth: int) -> ast.Block:
        names: list[str] = []
        body: ast.Body | None = None
        for child in tree.children:
            if isinstance(child, Tree):
                if child.data == "body":
                    body = self.body(child, depth)
                elif child.data == "string":
                    names.append(self.plain_string(child))
                elif child.data in ("identifier", "keyword", "literal_value"):
                    names.append(self.name(child))
        return ast.Block(
            names[0], tuple(names[1:]), body or ast.Body(), tree.meta.line, tree.meta.end_line
        )

    @staticmethod
    def name(tree: Any) -> str:
        if isinstance(tree, Tree):
            return str(tree.children[0])
        return str(tree)

    def plain_string(self, tree: Tree) -> str:
        value = self.string(tree, 0)
        if isinstance(value, ast.Lit):
            return str(value.value)
        raise HCLSyntaxError("block labels cannot contain interpolation", tree.meta.line)

    # -- expressions -------------------------------------------------------------------------

    def expr(self, node: Any, depth: int) -> ast.Expr:
        if depth > MAX_DEPTH:
            line = node.meta.line if isinstance(node, Tree) else getattr(node, "line", 1)
            raise HCLSyntaxError("nesting is too deep to analyse", line)
        depth += 1
        kind = node.data
        kids = [c for c in node.children if not _is_trivia(c)]
        if kind == "expr_term":
            inner = [c for c in kids if isinstance(c, Tree)]
            if len(inner) == 1:
                return self.expr(inner[0], depth)
            raise HCLSyntaxError("unexpected expression", node.meta.line)
        handler = getattr(self, "e_" + kind, None)
        if handler is None:
            return ast.Opaque(kind)
        return handler(node, kids, depth)

    def e_int_lit(self, node: Tree, kids: list, depth: int) -> ast.Expr:
        return ast.Lit(int(str(kids[0])))

    def e_float_lit(self, node: Tree, kids: list, depth: int) -> ast.Expr:
        return ast.Lit(float(str(kids[0])))

    def e_literal_value(self, node: Tree, kids: list, depth: int) -> ast.Expr:
        return ast.Lit({"true": True, "false": False, "null": None}[str(kids[0])])

    def e_identifier(self, node: Tree, kids: list, depth: int) -> ast.Expr:
        name = str(kids[0])
        if name in _NOT_KEYWORDS:
            # Terraform rejects these as references to a resource type that does not exist;
            # reading them as "known after apply" would turn a typo into a silent Unknown
            raise HCLSyntaxError(
                f"invalid reference {name!r}: HCL's literals are lower case "
                f"({_NOT_KEYWORDS[name]})",
                getattr(node.meta, "line", 1) or 1,
            )
        return ast.Var(name)

    def e_string(self, node: Tree, kids: list, depth: int) -> ast.Expr:
        return self.string(node, depth)

    def e_template_string(self, node: Tree, kids: list, depth: int) -> ast.Expr:
        return ast.Lit(str(kids[0])[2:-2])

    def string(self, node: Tree, depth: int) -> ast.Expr:
        parts: list[str | ast.Expr] = []
        for child in node.children:
            if not (isinstance(child, Tree) and child.data == "string_part"):
                continue
            part = child.children[0]
            if isinstance(part, Token):
                if part.type == "ESCAPED_INTERPOLATION" or part.type == "ESCAPED_DIRECTIVE":
                    parts.append(str(part)[1:])
                else:
                    parts.append(process_escape_sequences(str(part)))
            elif part.data == "interpolation":
                inner = [c for c in part.children if isinstance(c, Tree)]
                parts.append(self.expr(inner[0], depth + 1))
            else:
                refs = tuple(
                    self.expr(c, depth + 1)
                    for c in part.children
                    if isinstance(c, Tree) and c.data != "identifier"
                )
                parts.append(ast.Opaque("template directive", refs))
        return _template(parts)

    def e_heredoc_template(self, node: Tree, kids: list, depth: int) -> ast.Expr:
        return self.heredoc(str(kids[0]), node.meta.line, trim=False)

    def e_heredoc_template_trim(self, node: Tree, kids: list, depth: int) -> ast.Expr:
        return self.heredoc(str(kids[0]), node.meta.line, trim=True)

    def heredoc(self, raw: str, line: int, trim: bool) -> ast.Expr:
        header, _, rest = raw.partition("\n")
        marker = header.lstrip("<-").strip()
        body = rest.rstrip("\n")
        body = body[: len(body) - len(marker)].rstrip(" \t")
        if trim:
            body = textwrap.dedent(body)
        return _template(_split_interpolations(body.replace("\r\n", "\n"), line))

    def e_tuple(self, node: Tree, kids: list, depth: int) -> ast.Expr:
        return ast.TupleExpr(tuple(self.expr(c, depth) for c in kids if isinstance(c, Tree)))

    def e_object(self, node: Tree, kids: list, depth: int) -> ast.Expr:
        items = []
        for elem in kids:
            if not (isinstance(elem, Tree) and elem.data == "object_elem"):
                continue
            parts = [c for c in elem.children if isinstance(c, Tree)]
            key_tree, value_tree = parts[0], parts[-1]
            key_inner = [c for c in key_tree.children if isinstance(c, Tree)][0]
            if key_inner.data == "expr_term" and len(key_inner.children) == 1:
                only = key_inner.children[0]
                key_inner = (
                    only if isinstance(only, Tree) and only.data == "identifier" else key_inner
                )
            if key_inner.data in ("keyword", "identifier"):
                # `{ a = 1 }`: a bare identifier key is the literal name, not a reference;
                # `{ (a) = 1 }` is the value of a, an expression like any other
                key: ast.Expr = ast.Lit(self.name(key_inner))
            else:
                key = self.expr(key_inner, depth)
            items.append((key, self.expr(value_tree, depth), elem.meta.line))
        return ast.ObjectExpr(tuple(items))

    def e_function_call(self, node: Tree, kids: list, depth: int) -> ast.Expr:
        names = [self.name(c) for c in kids if isinstance(c, Tree) and c.data == "identifier"]
        args: list[ast.Expr] = []
        expand = False
        for child in kids:
            if isinstance(child, Tree) and child.data == "arguments":
                for arg in child.children:
                    if isinstance(arg, Tree) and arg.data != "new_line_or_comment":
                        args.append(self.expr(arg, depth))
                    elif isinstance(arg, Token) and arg.type == "ELLIPSIS":
                        expand = True
        return ast.Call("::".join(names), tuple(args), expand)

    def e_get_attr_expr_term(self, node: Tree, kids: list, depth: int) -> ast.Expr:
        obj = self.expr(kids[0], depth)
        return self.apply_ops(obj, [kids[1]], depth)

    def e_index_expr_term(self, node: Tree, kids: list, depth: int) -> ast.Expr:
        obj = self.expr(kids[0], depth)
        return self.apply_ops(obj, [kids[1]], depth)

    def e_attr_splat_expr_term(self, node: Tree, kids: list, depth: int) -> ast.Expr:
        return self.splat(kids, depth)

    def e_full_splat_expr_term(self, node: Tree, kids: list, depth: int) -> ast.Expr:
        return self.splat(kids, depth)

    def splat(self, kids: list, depth: int) -> ast.Expr:
        obj = self.expr(kids[0], depth)
        each: list[tuple[str, Any]] = []
        for op in kids[1].children:
            if isinstance(op, Tree):
                each.append(self.op(op, depth))
        return ast.Splat(obj, tuple(each))

    def apply_ops(self, obj: ast.Expr, ops: list, depth: int) -> ast.Expr:
        for op in ops:
            kind, value = self.op(op, depth)
            obj = ast.GetAttr(obj, value) if kind == "attr" else ast.Index(obj, value)
        return obj

    def op(self, op: Tree, depth: int) -> tuple[str, Any]:
        if op.data == "get_attr":
            target = [c for c in op.children if isinstance(c, Tree)][0]
            return ("attr", self.name(target))
        if op.data == "short_index":
            digits = [c for c in op.children if isinstance(c, Token) and c.type != "DOT"]
            return ("index", ast.Lit(int(str(digits[-1]))))
        inner = [c for c in op.children if isinstance(c, Tree) and c.data != "new_line_or_comment"]
        return ("index", self.expr(inner[0], depth))

    def e_conditional(self, node: Tree, kids: list, depth: int) -> ast.Expr:
        exprs = [c for c in kids if isinstance(c, Tree)]
        cond, then, other = (self.expr(e, depth) for e in exprs)
        return ast.Conditional(cond, then, other)

    def e_binary_op(self, node: Tree, kids: list, depth: int) -> ast.Expr:
        left = self.expr(kids[0], depth)
        term = kids[1]
        term_kids = [c for c in term.children if not _is_trivia(c)]
        op = str(term_kids[0].children[0])
        right = self.expr(term_kids[1], depth)
        if op not in _BINARY_OPS:
            return ast.Opaque(f"operator {op}")
        return ast.BinOp(op, left, right)

    def e_unary_op(self, node: Tree, kids: list, depth: int) -> ast.Expr:
        return ast.UnOp(str(kids[0]), self.expr(kids[1], depth))

    def e_for_tuple_expr(self, node: Tree, kids: list, depth: int) -> ast.Expr:
        return self.for_expr(kids, depth, is_object=False)

    def e_for_object_expr(self, node: Tree, kids: list, depth: int) -> ast.Expr:
        return self.for_expr(kids, depth, is_object=True)

    def for_expr(self, kids: list, depth: int, is_object: bool) -> ast.Expr:
        intro = next(c for c in kids if isinstance(c, Tree) and c.data == "for_intro")
        names = [
            self.name(c) for c in intro.children if isinstance(c, Tree) and c.data == "identifier"
        ]
        coll_tree = [
            c
            for c in intro.children
            if isinstance(c, Tree) and c.data not in ("identifier", "new_line_or_comment")
        ][0]
        collection = self.expr(coll_tree, depth)
        body = [c for c in kids if isinstance(c, Tree) and c.data not in ("for_intro", "for_cond")]
        cond_tree = next((c for c in kids if isinstance(c, Tree) and c.data == "for_cond"), None)
        cond = None
        if cond_tree is not None:
            cond_expr = [
                c
                for c in cond_tree.children
                if isinstance(c, Tree) and c.data != "new_line_or_comment"
            ]
            cond = self.expr(cond_expr[0], depth)
        group = any(isinstance(c, Token) and c.type == "ELLIPSIS" for c in kids)
        parts = [self.expr(b, depth) for b in body[: 2 if is_object else 1]]
        return ast.for_expr(names, collection, parts, cond, group)


def _end_line(tree: Tree) -> int:
    """The line of the last real token in tree (Lark's meta counts trailing newlines)."""
    node: Any = tree
    while isinstance(node, Tree):
        kids = [c for c in node.children if not _is_trivia(c)]
        if not kids:
            return node.meta.end_line
        node = kids[-1]
    end = node.end_line or node.line
    return end - 1 if str(node).endswith("\n") and end > node.line else end


def _is_trivia(node: Any) -> bool:
    if isinstance(node, Tree):
        return node.data == "new_line_or_comment"
    return False


def _template(parts: list[str | ast.Expr]) -> ast.Expr:
    merged: list[str | ast.Expr] = []
    for part in parts:
        if isinstance(part, str) and merged and isinstance(merged[-1], str):
            merged[-1] = merged[-1] + part
        elif part != "":
            merged.append(part)
    if not merged:
        return ast.Lit("")
    if len(merged) == 1 and isinstance(merged[0], str):
        return ast.Lit(merged[0])
    return ast.Template(tuple(merged))


_INTERP = re.compile(r"(\$\$\{|%%\{|\$\{|%\{)")


def _split_interpolations(text: str, line: int) -> list[str | ast.Expr]:
    """Split heredoc text into literal text and `${...}` expressions (the grammar does not)."""
    parts: list[str | ast.Expr] = []
    pos = 0
    while True:
        match = _INTERP.search(text, pos)
        if match is None:
            parts.append(text[pos:])
            return parts
        parts.append(text[pos : match.start()])
        opener = match.group(1)
        end = _matching_brace(text, match.end())
        if opener in ("$${", "%%{"):
            parts.append(opener[1:])
            pos = match.end()
            continue
        if end < 0:
            parts.append(ast.Opaque("unterminated interpolation"))
            return parts
        inner = text[match.end() : end].strip().strip("~").strip()
        if opener == "%{":
            parts.append(ast.Opaque("template directive"))
        else:
            try:
                parts.append(parse_expression(inner, line))
            except HCLSyntaxError:
                parts.append(ast.Opaque("unparsable interpolation"))
        pos = end + 1


def _matching_brace(text: str, start: int) -> int:
    depth = 1
    quote = False
    i = start
    while i < len(text):
        ch = text[i]
        if quote:
            if ch == "\\":
                i += 1
            elif ch == '"':
                quote = False
        elif ch == '"':
            quote = True
        elif ch == "{":
            depth += 1
        elif ch == "}":
            depth -= 1
            if depth == 0:
                return i
        i += 1
    return -1
