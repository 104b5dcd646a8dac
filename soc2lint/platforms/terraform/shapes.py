"""Arguments where rules walk: a block written where Terraform expects an argument (`tags {
Name = "x" }`) is a configuration Terraform rejects ("Unsupported block type"), so it is a parse
error and the rules reading it are Unknown, never a pass on what would not apply.

Terraform knows which names are arguments from the provider's schema, which soc2lint does not
have. What it has is the table data/terraform_shapes.json: for each resource type a rule judges,
the paths a rule walks (and each path above them) that the rule fixtures always write as an
argument. It is generated from the fixtures by `python -m soc2lint.platforms.terraform.shapes
--write`, and a test keeps it in step with them. The other direction (an argument where a block
is expected) is not checked: providers let many nested blocks be written as arguments too
("attributes as blocks": `ingress = []`), so only the schema could say. For the same reason an
argument the fixtures write as a list of objects, which may be such a block, is left out. A path
the table does not name is not checked.
"""

from __future__ import annotations

import fnmatch
import functools
import json
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from soc2lint import package_file
from soc2lint.platforms.terraform import ast

ARGUMENT, BLOCK = "argument", "block"


@functools.cache
def table() -> dict[str, frozenset[str]]:
    """resource type -> the paths that are arguments."""
    raw = package_file("data", "terraform_shapes.json").read_bytes()
    return {t: frozenset(paths) for t, paths in json.loads(raw)["arguments"].items()}


def misplaced(rtype: str, body: ast.Body) -> list[tuple[str, int, str]]:
    """(path, line, message) for each block written where the type expects an argument."""
    arguments = table().get(rtype)
    if not arguments:
        return []
    out: list[tuple[str, int, str]] = []
    for path, form, line, _expr in written(body):
        if form == BLOCK and path in arguments:
            name = path.rpartition(".")[2]
            out.append(
                (
                    path,
                    line,
                    f"{path}: `{name}` is an argument of {rtype}, not a block: write "
                    f"`{name} = {{ ... }}` (Terraform rejects this configuration)",
                )
            )
    return out


def corrected(body: ast.Body, wrong: Iterable[str], prefix: str = "") -> ast.Body:
    """body with each misplaced path's value made Opaque, so that rules reading it are Unknown
    rather than judging what Terraform would refuse."""
    wrong = set(wrong)
    if not wrong:
        return body
    attributes = dict(body.attributes)
    blocks: list[ast.Block] = []
    for block in body.blocks:
        name = _block_name(block)
        path = prefix + name
        if path in wrong:
            attributes.setdefault(
                name,
                ast.Attribute(
                    name,
                    ast.Opaque("a block written where an argument is expected"),
                    block.line,
                    block.end_line,
                ),
            )
            continue
        inner = _content(block)
        if inner is not None and any(w.startswith(path + ".") for w in wrong):
            fixed = corrected(
                inner.body if block.type == "dynamic" else block.body, wrong, path + "."
            )
            block = _with_body(block, fixed)
        blocks.append(block)
    return ast.Body(attributes, tuple(blocks))


def written(body: ast.Body, prefix: str = "") -> Iterator[tuple[str, str, int, ast.Expr | None]]:
    """(path, "argument" | "block", line, the argument's expression) for everything written in
    body, nested blocks (and the content of dynamic blocks) included; block instances share
    their path."""
    for name, attr in body.attributes.items():
        yield prefix + name, ARGUMENT, attr.line, attr.expr
    for block in body.blocks:
        name = _block_name(block)
        if not name:
            continue
        yield prefix + name, BLOCK, block.line, None
        inner = _content(block)
        if inner is not None:
            yield from written(inner.body, prefix + name + ".")


def _block_name(block: ast.Block) -> str:
    if block.type == "dynamic":
        return block.labels[0] if block.labels else ""
    return block.type


def _content(block: ast.Block) -> ast.Block | None:
    if block.type != "dynamic":
        return block
    return next((b for b in block.body.blocks if b.type == "content"), None)


def _with_body(block: ast.Block, fixed: ast.Body) -> ast.Block:
    if block.type != "dynamic":
        return ast.Block(block.type, block.labels, fixed, block.line, block.end_line)
    content = _content(block)
    assert content is not None
    others = tuple(b for b in block.body.blocks if b is not content)
    new_content = ast.Block(content.type, content.labels, fixed, content.line, content.end_line)
    body = ast.Body(block.body.attributes, (*others, new_content))
    return ast.Block(block.type, block.labels, body, block.line, block.end_line)


# -- the table, from the fixtures --------------------------------------------------------------


def walked_paths() -> dict[str, set[str]]:
    """resource type -> every path the bundled Terraform rules walk on it, and each path above."""
    from soc2lint.engine.rules import All, AnyOf, Attr, Connected, Each, Not, load_rules

    out: dict[str, set[str]] = {}

    def paths(cond: Any, prefix: tuple[str, ...], types: tuple[str, ...]) -> None:
        if isinstance(cond, (All, AnyOf)):
            for item in cond.items:
                paths(item, prefix, types)
        elif isinstance(cond, Not):
            paths(cond.item, prefix, types)
        elif isinstance(cond, Attr):
            for full in (prefix + cond.path, *((prefix + cond.to_path,) if cond.to_path else ())):
                for t in types:
                    out.setdefault(t, set()).update(
                        ".".join(full[:i]) for i in range(1, len(full) + 1)
                    )
        elif isinstance(cond, Each):
            for t in types:
                out.setdefault(t, set()).update(
                    ".".join((prefix + cond.path)[:i])
                    for i in range(1, len(prefix + cond.path) + 1)
                )
            paths(cond.condition, prefix + cond.path, types)
        elif isinstance(cond, Connected) and cond.condition is not None:
            paths(cond.condition, (), cond.types)

    for rule in load_rules():
        for variant in rule.variants:
            if variant.platform == "terraform":
                paths(variant.condition, (), tuple(variant.resource_types))
    return {t: {p for p in ps if "*" not in p and not p[:1].isdigit()} for t, ps in out.items()}


def from_fixtures(files: Iterable[Path], walked: dict[str, set[str]]) -> dict[str, list[str]]:
    """The table: for each type, the walked paths the files always write as arguments."""
    from soc2lint.platforms.terraform.hcl import HCLSyntaxError, parse_body

    seen: dict[str, dict[str, set[str]]] = {}
    for file in files:
        try:
            body = parse_body(file.read_text(encoding="utf-8"))
        except (HCLSyntaxError, UnicodeDecodeError):
            continue
        for block in body.blocks:
            if block.type != "resource" or len(block.labels) != 2:
                continue
            rtype = block.labels[0]
            wanted = set().union(
                *(paths for pattern, paths in walked.items() if fnmatch.fnmatchcase(rtype, pattern))
            )
            for path, form, _line, expr in written(block.body):
                if path in wanted:
                    forms = seen.setdefault(rtype, {}).setdefault(path, set())
                    forms.add(form)
                    if _objects_list(expr):
                        forms.add(BLOCK)  # perhaps a block written as an argument: not known
    return {
        rtype: sorted(p for p, forms in paths.items() if forms == {ARGUMENT})
        for rtype, paths in sorted(seen.items())
    }


def _objects_list(expr: ast.Expr | None) -> bool:
    return isinstance(expr, ast.TupleExpr) and any(
        isinstance(item, ast.ObjectExpr) for item in expr.items
    )


def fixture_files(root: Path) -> list[Path]:
    return sorted((root / "fixtures").glob("SOC2-*/**/*.tf"))


def generate(root: Path) -> dict[str, Any]:
    arguments = {k: v for k, v in from_fixtures(fixture_files(root), walked_paths()).items() if v}
    return {
        "about": "Generated by `python -m soc2lint.platforms.terraform.shapes --write` from the "
        "rule fixtures: the paths rules walk that Terraform expects as arguments, never blocks. "
        "Do not edit by hand.",
        "arguments": arguments,
    }


def main(argv: list[str] | None = None) -> int:
    import sys

    args = sys.argv[1:] if argv is None else argv
    root = Path(__file__).resolve().parents[3]
    text = json.dumps(generate(root), indent=1, sort_keys=True) + "\n"
    target = Path(__file__).resolve().parents[2] / "data" / "terraform_shapes.json"
    if "--write" in args:
        target.write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
