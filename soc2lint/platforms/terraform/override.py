"""Terraform's override files (`override.tf`, `*_override.tf` and their `.tf.json` forms).

Terraform loads a module's primary files first, then merges each override file into them, in
file name order: an override block changes the block of the same address argument by argument
(a nested block type in the override replaces every block of that type in the original, a
`dynamic "x"` counting as an `x`; `lifecycle` is merged argument by argument); a `locals` entry
replaces the local value of that name; `terraform.required_providers` is merged per provider.
An override block with nothing to override is an error in Terraform, and a parse error here.
"""

from __future__ import annotations

from dataclasses import field, replace

from soc2lint.model import ParseError, record
from soc2lint.platforms.terraform import ast


def is_override(path: str) -> bool:
    """Whether a module file is an override file, by its name."""
    name = path.rsplit("/", 1)[-1]
    for suffix in (".tf.json", ".tf"):
        if name.endswith(suffix):
            stem = name[: -len(suffix)]
            return stem == "override" or stem.endswith("_override")
    return False


@record()
class Merged:
    """Primary files' blocks with the overrides applied, and where each overriding part is."""

    # (file, block) in the primary files' order; an overridden block keeps its original file
    blocks: list[tuple[str, ast.Block]] = field(default_factory=list)
    # block_key(file, merged block) -> {argument or nested block type: override file it came
    # from}; keyed by place, not identity, so a block rewritten later (replace()) still finds it
    origins: dict[tuple, dict[str, str]] = field(default_factory=dict)
    errors: list[ParseError] = field(default_factory=list)


def _nested_type(block: ast.Block) -> str:
    return block.labels[0] if block.type == "dynamic" and block.labels else block.type


def _ident(block: ast.Block) -> tuple[str, ...]:
    if block.type == "provider":
        alias = block.body.attributes.get("alias")
        name = alias.expr.value if alias and isinstance(alias.expr, ast.Lit) else ""
        return ("provider", *block.labels, str(name or ""))
    return (block.type, *block.labels)


def _merge_body(
    original: ast.Body, override: ast.Body, merge_nested: frozenset[str] = frozenset()
) -> tuple[ast.Body, set[str]]:
    """original with override's arguments and nested block types replacing its own."""
    attributes = dict(original.attributes)
    attributes.update(override.attributes)
    touched = set(override.attributes)
    by_type: dict[str, list[ast.Block]] = {}
    for block in override.blocks:
        by_type.setdefault(_nested_type(block), []).append(block)
    blocks: list[ast.Block] = []
    placed: set[str] = set()
    for block in original.blocks:
        kind = _nested_type(block)
        if kind not in by_type:
            blocks.append(block)
        elif kind in merge_nested and block.type == kind and len(by_type[kind]) == 1:
            merged, _ = _merge_body(block.body, by_type[kind][0].body)
            blocks.append(replace(block, body=merged))
            placed.add(kind)
        elif kind not in placed:
            blocks.extend(by_type[kind])
            placed.add(kind)
    for kind, replacement in by_type.items():
        if kind not in placed:
            blocks.extend(replacement)
    touched |= set(by_type)
    return ast.Body(attributes, tuple(blocks)), touched


def merge(files: list) -> Merged:  # files: list[TfFile]
    """The module's top-level blocks as Terraform sees them after its override files."""
    out = Merged()
    primary = [tf for tf in files if not is_override(tf.path) and tf.body is not None]
    overrides = sorted(
        (tf for tf in files if is_override(tf.path) and tf.body is not None),
        key=lambda tf: tf.path.rsplit("/", 1)[-1],
    )
    for tf in primary:
        out.blocks.extend((tf.path, block) for block in tf.body.blocks)
    if not overrides:
        return out
    index: dict[tuple[str, ...], int] = {}
    local_owner: dict[str, int] = {}
    for i, (_path, block) in enumerate(out.blocks):
        if block.type == "locals":
            for name in block.body.attributes:
                local_owner[name] = i
        else:
            index.setdefault(_ident(block), i)
    for tf in overrides:
        for block in tf.body.blocks:
            if block.type == "locals":
                for name, attr in block.body.attributes.items():
                    where = local_owner.get(name)
                    if where is None:
                        out.errors.append(
                            ParseError(
                                tf.path,
                                attr.line,
                                f"override of local.{name}: no local value of that name "
                                "in the module's other files",
                            )
                        )
                        continue
                    path, base = out.blocks[where]
                    attributes = dict(base.body.attributes)
                    attributes[name] = attr
                    merged_block = replace(base, body=ast.Body(attributes, base.body.blocks))
                    _record(out, where, path, merged_block, {name: tf.path})
                continue
            where = index.get(_ident(block))
            if where is None:
                name = " ".join(f'"{x}"' for x in block.labels)
                out.errors.append(
                    ParseError(
                        tf.path,
                        block.line,
                        f"override of {block.type} {name}: no such block in the module's other "
                        "files (Terraform refuses an override without an original)",
                    )
                )
                continue
            path, base = out.blocks[where]
            nested = frozenset({"lifecycle"})
            if block.type == "terraform":
                nested = frozenset({"required_providers"})
            body, touched = _merge_body(base.body, block.body, nested)
            merged_block = replace(base, body=body)
            _record(out, where, path, merged_block, dict.fromkeys(touched, tf.path))
    return out


def _record(
    out: Merged,
    where: int,
    path: str,
    merged_block: ast.Block,
    origins: dict[str, str],
) -> None:
    out.blocks[where] = (path, merged_block)
    key = block_key(path, merged_block)
    out.origins[key] = {**out.origins.get(key, {}), **origins}


def block_key(path: str, block: ast.Block) -> tuple:
    """Where a top-level block is written: the key of its overrides' origins."""
    return (path, block.line, block.type, block.labels)
