"""Parse one Terraform file (.tf, .tf.json, .tfvars) into a TfFile: a pure function of its text."""

from __future__ import annotations

import io
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import YAMLError

from soc2lint.model import ParseError
from soc2lint.platforms.terraform import ast
from soc2lint.platforms.terraform.hcl import (
    HCLSyntaxError,
    _split_interpolations,
    _template,
    parse_body,
)
from soc2lint.platforms.terraform.module import TfFile

# Block types whose JSON form nests labels as object keys: {"resource": {"type": {"name": {}}}}
_LABELS = {
    "resource": 2,
    "data": 2,
    "module": 1,
    "variable": 1,
    "output": 1,
    "provider": 1,
    "locals": 0,
    "terraform": 0,
}


def parse_file(path: str, text: str) -> TfFile:
    """Parse path's text; syntax errors become ParseErrors with the line."""
    if path.endswith(".json"):
        return _parse_json(path, text)
    try:
        return TfFile(path, parse_body(text))
    except HCLSyntaxError as exc:
        return TfFile(path, None, (ParseError(path, exc.line, exc.message, exc.column),))


def _parse_json(path: str, text: str) -> TfFile:
    yaml = YAML(typ="rt")
    try:
        data = yaml.load(io.StringIO(text))
    except YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else 1
        return TfFile(
            path, None, (ParseError(path, line, f"invalid JSON: {getattr(exc, 'problem', exc)}"),)
        )
    except (RecursionError, ValueError) as exc:
        return TfFile(path, None, (ParseError(path, 1, f"invalid JSON: {type(exc).__name__}"),))
    if not isinstance(data, CommentedMap):
        return TfFile(path, None, (ParseError(path, 1, "a Terraform JSON file must be an object"),))
    try:
        if path.endswith((".tfvars.json",)):
            return TfFile(path, _json_body(data, is_vars=True))
        blocks: list[ast.Block] = []
        for block_type, content in data.items():
            line = _line(data, block_type)
            depth = _LABELS.get(block_type, 0)
            blocks.extend(_json_blocks(block_type, content, depth, (), line))
        return TfFile(path, ast.Body({}, tuple(blocks)))
    except RecursionError:
        return TfFile(path, None, (ParseError(path, 1, "nesting is too deep to analyse"),))


def _line(mapping: Any, key: Any) -> int:
    try:
        return int(mapping.lc.key(key)[0]) + 1
    except (AttributeError, KeyError, TypeError):
        return 1


def _json_blocks(
    block_type: str, content: Any, depth: int, labels: tuple[str, ...], line: int
) -> list[ast.Block]:
    if depth > 0 and isinstance(content, CommentedMap):
        out: list[ast.Block] = []
        for label, inner in content.items():
            out.extend(
                _json_blocks(
                    block_type, inner, depth - 1, labels + (str(label),), _line(content, label)
                )
            )
        return out
    items = content if isinstance(content, CommentedSeq) else [content]
    blocks = []
    for item in items:
        if isinstance(item, CommentedMap):
            blocks.append(ast.Block(block_type, labels, _json_body(item), line, _end(item, line)))
    return blocks


def _end(node: Any, default: int) -> int:
    last = default
    if isinstance(node, CommentedMap):
        for key, value in node.items():
            last = max(last, _line(node, key), _end(value, _line(node, key)))
    elif isinstance(node, CommentedSeq):
        for value in node:
            last = max(last, _end(value, last))
    return last


def _json_body(data: CommentedMap, is_vars: bool = False) -> ast.Body:
    attributes: dict[str, ast.Attribute] = {}
    blocks: list[ast.Block] = []
    for key, value in data.items():
        line = _line(data, key)
        if key == "//":
            continue  # JSON syntax comments
        if not is_vars and isinstance(value, CommentedMap) and key in ("lifecycle",):
            blocks.append(ast.Block(str(key), (), _json_body(value), line, _end(value, line)))
            continue
        attributes[str(key)] = ast.Attribute(
            str(key), _json_expr(value, line), line, _end(value, line)
        )
    return ast.Body(attributes, tuple(blocks))


def _json_expr(value: Any, line: int) -> ast.Expr:
    if isinstance(value, CommentedMap):
        return ast.ObjectExpr(
            tuple(
                (ast.Lit(str(k)), _json_expr(v, _line(value, k)), _line(value, k))
                for k, v in value.items()
            )
        )
    if isinstance(value, CommentedSeq):
        return ast.TupleExpr(tuple(_json_expr(v, line) for v in value))
    if isinstance(value, str):
        if "${" in value or "%{" in value:
            return _template(_split_interpolations(value, line))
        return ast.Lit(value)
    if isinstance(value, (bool, int, float)) or value is None:
        return ast.Lit(value)
    return ast.Lit(str(value))
