"""Turn the parsed files of one Terraform module (a directory) into Resources."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from soc2lint.model import Location, ParseError, Platform, Resource, Unknown, is_unknown
from soc2lint.parsers.terraform import ast
from soc2lint.parsers.terraform.evaluate import LazyMap, Scope, evaluate

# Meta-arguments are Terraform's, not the provider's: never part of a resource's attributes.
_META = {"count", "for_each", "depends_on", "provider", "lifecycle", "provisioner", "connection"}


@dataclass(frozen=True)
class TfFile:
    """One parsed .tf / .tf.json / .tfvars file."""

    path: str
    body: ast.Body | None
    errors: tuple[ParseError, ...] = ()


@dataclass
class ModuleResult:
    resources: list[Resource] = field(default_factory=list)
    errors: list[ParseError] = field(default_factory=list)


def root_of(path: tuple[str, ...]) -> str | None:
    """The graph address a reference points at: var.x, local.x, module.m, data.t.n, t.n."""
    if len(path) < 2:
        return None
    head = path[0]
    if head in ("var", "local"):
        return f"{head}.{path[1]}"
    if head == "module":
        return f"module.{path[1]}"
    if head == "data":
        return f"data.{path[1]}.{path[2]}" if len(path) >= 3 else None
    if head in ("count", "each", "self", "path", "terraform"):
        return None
    return f"{head}.{path[1]}"


class ModuleBuilder:
    def __init__(self, files: list[TfFile], tfvars: list[TfFile], scope: str = ".") -> None:
        self.scope_name = scope
        self.files = [f for f in files if f.body is not None]
        self.tfvars = [f for f in tfvars if f.body is not None]
        self.result = ModuleResult()
        self.variables: dict[str, tuple[str, ast.Block]] = {}
        self.locals: dict[str, tuple[str, ast.Attribute]] = {}
        self.blocks: list[tuple[str, ast.Block]] = []
        for tf in self.files:
            assert tf.body is not None
            for block in tf.body.blocks:
                if block.type == "variable" and block.labels:
                    self.variables[block.labels[0]] = (tf.path, block)
                elif block.type == "locals":
                    for name, attr in block.body.attributes.items():
                        self.locals[name] = (tf.path, attr)
                else:
                    self.blocks.append((tf.path, block))
        self.var_values = self._variable_values()
        self.local_values = LazyMap("local", self._local_value, list(self.locals))
        self.scope = Scope({"var": self.var_values, "local": self.local_values})
        self._local_refs: dict[str, set[tuple[str, str]]] = {}

    # -- values ------------------------------------------------------------------------------

    def _variable_values(self) -> dict[str, Any]:
        empty = Scope()
        values: dict[str, Any] = {}
        for name, (_path, block) in self.variables.items():
            default = block.body.attributes.get("default")
            if default is not None:
                values[name] = evaluate(default.expr, empty)
            else:
                values[name] = Unknown(f"var.{name} has no default and no value in tfvars")
        # Terraform's order: terraform.tfvars, terraform.tfvars.json, then *.auto.tfvars by name
        for tf in sorted(self.tfvars, key=_tfvars_order):
            assert tf.body is not None
            for name, attr in tf.body.attributes.items():
                if name in values:
                    values[name] = evaluate(attr.expr, empty)
        return values

    def _local_value(self, name: str) -> Any:
        return evaluate(self.locals[name][1].expr, self.scope)

    # -- resources ---------------------------------------------------------------------------

    def build(self) -> ModuleResult:
        for path, block in self.blocks:
            if block.type in ("resource", "data") and len(block.labels) == 2:
                self._resource(path, block)
            elif block.type == "module" and block.labels:
                self._module_call(path, block)
        return self.result

    def _resource(self, path: str, block: ast.Block) -> None:
        rtype, name = block.labels
        count = block.body.attributes.get("count")
        if count is not None and evaluate(count.expr, self.scope) == 0:
            return  # count = 0: the resource does not exist
        address = f"{rtype}.{name}" if block.type == "resource" else f"data.{rtype}.{name}"
        locations: dict[str, Location] = {}
        refs: set[tuple[str, str]] = set()
        attributes = self._body(block.body, self.scope, path, "", locations, refs, top=True)
        self.result.resources.append(
            Resource(
                address=address,
                type=rtype,
                platform=Platform.TERRAFORM.value,
                attributes=attributes,
                location=Location(path, block.line, block.end_line),
                attribute_locations=locations,
                references=tuple(sorted(self._expand_refs(refs))),
                kind=block.type,
                scope=self.scope_name,
            )
        )

    def _module_call(self, path: str, block: ast.Block) -> None:
        locations: dict[str, Location] = {}
        refs: set[tuple[str, str]] = set()
        attributes = self._body(block.body, self.scope, path, "", locations, refs, top=True)
        self.result.resources.append(
            Resource(
                address=f"module.{block.labels[0]}",
                type="module",
                platform=Platform.TERRAFORM.value,
                attributes=attributes,
                location=Location(path, block.line, block.end_line),
                attribute_locations=locations,
                references=tuple(sorted(self._expand_refs(refs))),
                kind="module",
                scope=self.scope_name,
            )
        )

    def _body(
        self,
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
            for trav in ast.traversals(attr.expr):
                target = root_of(trav)
                if target is not None:
                    refs.add((target, key))
            if top and name in _META:
                continue
            out[name] = evaluate(attr.expr, scope)
            locations[key] = Location(path, attr.line, attr.end_line)
            if isinstance(attr.expr, ast.ObjectExpr):
                for key_expr, _value, line in attr.expr.items:
                    if isinstance(key_expr, ast.Lit):
                        locations[f"{key}.{key_expr.value}"] = Location(path, line, line)
        for block in body.blocks:
            if top and block.type in _META:
                continue
            if block.type == "dynamic" and block.labels:
                self._dynamic(block, scope, path, prefix, out, locations, refs)
                continue
            items = out.setdefault(block.type, [])
            if not isinstance(items, list):
                continue
            item_prefix = f"{prefix}{block.type}.{len(items)}."
            locations[item_prefix[:-1]] = Location(path, block.line, block.end_line)
            locations.setdefault(prefix + block.type, Location(path, block.line, block.end_line))
            items.append(self._body(block.body, scope, path, item_prefix, locations, refs))
        return out

    def _dynamic(
        self,
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
            for trav in ast.traversals(for_each.expr):
                target = root_of(trav)
                if target is not None:
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
            locations[item_prefix[:-1]] = Location(path, content.line, content.end_line)
            locations.setdefault(prefix + block_type, Location(path, block.line, block.end_line))
            inner = scope.child(**{iterator: {"key": key, "value": value}})
            items.append(self._body(content.body, inner, path, item_prefix, locations, refs))

    def _expand_refs(self, refs: set[tuple[str, str]]) -> set[tuple[str, str]]:
        """Add what locals point at, so `bucket = local.id` links like `bucket = x.id`."""
        expanded = set(refs)
        for target, attr in refs:
            if target.startswith("local."):
                for inner in self._refs_of_local(target[6:], set()):
                    expanded.add((inner, attr))
        return expanded

    def _refs_of_local(self, name: str, seen: set[str]) -> set[str]:
        if name in self._local_refs:
            return {t for t, _ in self._local_refs[name]}
        if name in seen or name not in self.locals:
            return set()
        seen.add(name)
        found: set[str] = set()
        for trav in ast.traversals(self.locals[name][1].expr):
            target = root_of(trav)
            if target is None:
                continue
            found.add(target)
            if target.startswith("local."):
                found |= self._refs_of_local(target[6:], seen)
        self._local_refs[name] = {(t, "") for t in found}
        return found


def _tfvars_order(tf: TfFile) -> tuple[int, str]:
    name = tf.path.rsplit("/", 1)[-1]
    if name == "terraform.tfvars":
        return (0, name)
    if name == "terraform.tfvars.json":
        return (1, name)
    return (2, name)


def build_module(files: list[TfFile], tfvars: list[TfFile], scope: str = ".") -> ModuleResult:
    """Resources declared by one module directory (scope), with values resolved where possible."""
    return ModuleBuilder(files, tfvars, scope).build()
