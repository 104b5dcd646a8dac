"""Parse one Terraform file (.tf, .tf.json, .tfvars) into a TfFile: a pure function of its text."""

from __future__ import annotations

from typing import Any

from soc2lint.model import ParseError
from soc2lint.platforms.shared import jsonsrc
from soc2lint.platforms.shared.jsonsrc import JArray, JObject
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
    try:
        data = jsonsrc.parse(text)
    except jsonsrc.JsonError as exc:
        return TfFile(path, None, (ParseError(path, exc.line, f"invalid JSON: {exc.message}"),))
    if path.endswith(".tfvars.json"):
        if not isinstance(data, JObject):
            error = ParseError(path, 1, "a tfvars JSON file must be an object")
            return TfFile(path, None, (error,))
        return TfFile(path, _json_body(data, is_vars=True))
    # HCL's JSON syntax: a body is an object or an array of objects, and so is each level of
    # block labels; a block type may be repeated
    bodies = _objects(data)
    if bodies is None:
        return TfFile(path, None, (ParseError(path, 1, "a Terraform JSON file must be an object"),))
    blocks: list[ast.Block] = []
    for body in bodies:
        for block_type, content, line in body.pairs:
            if block_type == "//":
                continue  # a JSON syntax comment
            depth = _LABELS.get(block_type, 0)
            blocks.extend(_json_blocks(block_type, content, depth, (), line))
    return TfFile(path, ast.Body({}, tuple(blocks)))


def _objects(value: Any) -> list[JObject] | None:
    """An object, or an array of objects, as a list of objects; None for anything else."""
    if isinstance(value, JObject):
        return [value]
    if isinstance(value, JArray) and all(isinstance(v, JObject) for v, _line in value.items):
        return [v for v, _line in value.items]
    return None


def _json_blocks(
    block_type: str, content: Any, depth: int, labels: tuple[str, ...], line: int
) -> list[ast.Block]:
    out: list[ast.Block] = []
    for obj in _objects(content) or []:
        if depth > 0:
            for label, inner, label_line in obj.pairs:
                if label == "//":
                    continue
                out.extend(_json_blocks(block_type, inner, depth - 1, (*labels, label), label_line))
        else:
            out.append(ast.Block(block_type, labels, _json_body(obj), line, obj.end_line))
    return out


def _json_body(data: JObject, is_vars: bool = False) -> ast.Body:
    attributes: dict[str, ast.Attribute] = {}
    blocks: list[ast.Block] = []
    for key, value, line in data.pairs:
        if key == "//":
            continue  # JSON syntax comments
        end = value.end_line if isinstance(value, (JObject, JArray)) else line
        if not is_vars and key == "lifecycle" and isinstance(value, (JObject, JArray)):
            for body in _objects(value) or []:
                blocks.append(ast.Block(key, (), _json_body(body), line, body.end_line))
            continue
        attributes[key] = ast.Attribute(key, _json_expr(value, line), line, end)
    return ast.Body(attributes, tuple(blocks))


def _json_expr(value: Any, line: int) -> ast.Expr:
    if isinstance(value, JObject):
        return ast.ObjectExpr(
            tuple((ast.Lit(k), _json_expr(v, key_line), key_line) for k, v, key_line in value.pairs)
        )
    if isinstance(value, JArray):
        return ast.TupleExpr(tuple(_json_expr(v, item_line) for v, item_line in value.items))
    if isinstance(value, str):
        if "${" in value or "%{" in value:
            return _template(_split_interpolations(value, line))
        return ast.Lit(value)
    return ast.Lit(value)
