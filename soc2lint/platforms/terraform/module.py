"""Instantiate one Terraform module (a directory's parsed files) into Resources.

A root module takes its variables from defaults, tfvars files, the environment and the command
line; a called module takes them from the caller's arguments, evaluated in the caller's scope.
Child modules are instantiated through a `ModuleLoader`, which parses each directory once.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import field
from typing import Any

from soc2lint.model import (
    Location,
    ParseError,
    Platform,
    Resource,
    Unknown,
    record,
)
from soc2lint.platforms.terraform import ast, override, shapes
from soc2lint.platforms.terraform.blocks import (
    evaluate_body,
    expansion_of,
    location,
    raw_value,
    reference_roots,
    root_of,
    shared_facts,
    shared_memo,
    template_roots,
    typed_value,
    with_type_defaults,
)
from soc2lint.platforms.terraform.evaluate import (
    BUDGET_EXCEEDED,
    LazyMap,
    Scope,
    evaluate,
    start_budget,
)
from soc2lint.platforms.terraform.functions import to_string

# TfFile and ModuleCall, made for every file and module call, write their own __init__
# (soc2lint.model.record says why)
_set = object.__setattr__

MAX_MODULE_DEPTH = 20
# module instances one root module may make (count = 1000 calling count = 1000 is a million)
MAX_MODULE_INSTANCES = 2000


@record(frozen=True)
class TfFile:
    """One parsed .tf / .tf.json / .tfvars file."""

    path: str
    body: ast.Body | None
    errors: tuple[ParseError, ...] = ()

    def __init__(
        self, path: str, body: ast.Body | None, errors: tuple[ParseError, ...] = ()
    ) -> None:
        _set(self, "path", path)
        _set(self, "body", body)
        _set(self, "errors", errors)


@record()
class ModuleResult:
    resources: list[Resource] = field(default_factory=list)
    errors: list[ParseError] = field(default_factory=list)
    # (call site, source, why) for module sources that could not be read
    unavailable: list[tuple[Location, str, str]] = field(default_factory=list)
    notes: list[dict[str, str]] = field(default_factory=list)
    instances: int = 0  # module instances made so far, the root's included


@record(frozen=True)
class ModuleCall:
    """Where a module is instantiated from: its address prefix, inputs and call sites."""

    prefix: str  # "module.a." (nested: "module.a.module.b.")
    inputs: dict[str, Any]
    call_sites: tuple[Location, ...]
    key_path: tuple[str, ...]  # call names from the root, for .terraform/modules/modules.json

    def __init__(
        self,
        prefix: str,
        inputs: dict[str, Any],
        call_sites: tuple[Location, ...],
        key_path: tuple[str, ...],
    ) -> None:
        _set(self, "prefix", prefix)
        _set(self, "inputs", inputs)
        _set(self, "call_sites", call_sites)
        _set(self, "key_path", key_path)


# resolve(caller directory, source, key path) -> (directory, files) or (None, reason)
ModuleLoader = Callable[[str, str, tuple[str, ...]], tuple[str | None, Any]]


_UNIQUE = ("resource", "data", "module", "variable", "output")


_MODULE_REF = re.compile(r"^module\.([A-Za-z0-9_-]+)(\[[^\]]*\])?(?:\.(.+))?$")


def _var_unknown(name: str) -> Unknown:
    return Unknown(f"var.{name} has no default and no value in tfvars")


class _Static:
    """What a module's files say before any value is known: its blocks after the override
    files, by kind, and the errors in them. The same for every instance of the files."""

    def __init__(self, files: list[TfFile]) -> None:
        self.files = files  # held: the cache is keyed by id(files)
        self.variables: dict[str, ast.Block] = {}
        self.locals: dict[str, ast.Attribute] = {}
        self.outputs: dict[str, ast.Attribute] = {}
        self.blocks: list[tuple[str, ast.Block]] = []
        self.module_blocks: dict[str, tuple[str, ast.Block]] = {}
        # id(resource block) -> (block, the block as checked, [(path, line, message)])
        self.shapes: dict[int, tuple[ast.Block, ast.Block, list[tuple[str, int, str]]]] = {}
        declared: dict[tuple[str, ...], tuple[str, int]] = {}
        merged = override.merge(files)
        self.origins = merged.origins
        self.errors: list[ParseError] = []
        for error in merged.errors:
            if error not in self.errors:
                self.errors.append(error)
        for path, block in merged.blocks:
            label = block.labels[0] if block.labels else ""
            if block.type in _UNIQUE and block.labels:
                # Terraform refuses a second block of the same address; so do we (once)
                ident = (block.type, *block.labels)
                first = declared.setdefault(ident, (path, block.line))
                if first != (path, block.line):
                    name = " ".join(f'"{x}"' for x in block.labels)
                    message = (
                        f"duplicate {block.type} {name}: first declared at "
                        f"{first[0]}:{first[1]}; this one is ignored"
                    )
                    error = ParseError(path, block.line, message)
                    if error not in self.errors:
                        self.errors.append(error)
                    continue
            if block.type == "variable" and label:
                self.variables[label] = block
            elif block.type == "locals":
                self.locals.update(block.body.attributes)
            elif block.type == "output" and label:
                value = block.body.attributes.get("value")
                if value is not None:
                    self.outputs[label] = value
            elif block.type == "module" and label:
                self.module_blocks[label] = (path, block)
                self.blocks.append((path, block))
            else:
                self.blocks.append((path, block))


def _static_of(files: list[TfFile]) -> _Static:
    """What the files say; while facts are shared (blocks.shared_facts), computed once for a
    module directory however many times it is instantiated, by one root module or by many."""
    memo = shared_memo("statics")
    if memo is None:
        return _Static(files)
    static = memo.get(id(files))
    if static is None:
        static = memo[id(files)] = _Static(files)
    return static


class ModuleInstance:
    """One instance of a module: its scope, its resources, its outputs."""

    def __init__(
        self,
        directory: str,
        files: list[TfFile],
        scope_name: str,
        call: ModuleCall | None = None,
        variable_layers: list[dict[str, Any]] | None = None,
        loader: ModuleLoader | None = None,
        result: ModuleResult | None = None,
        depth: int = 0,
        callers: tuple[str, ...] = (),
    ) -> None:
        self.directory = directory
        self.callers = callers  # the directories of the instances that led here
        self.scope_name = scope_name
        self.call = call or ModuleCall("", {}, (), ())
        self.loader = loader
        self.depth = depth
        self.result = result if result is not None else ModuleResult()
        static = _static_of(files)
        self.origins = static.origins  # attributes an override file set: located there
        for error in static.errors:
            if error not in self.result.errors:  # once for all instances
                self.result.errors.append(error)
        # read-only, shared by every instance of these files
        self.variables: dict[str, ast.Block] = static.variables
        self.locals: dict[str, ast.Attribute] = static.locals
        self.outputs: dict[str, ast.Attribute] = static.outputs
        self.blocks: list[tuple[str, ast.Block]] = static.blocks
        self.module_blocks: dict[str, tuple[str, ast.Block]] = static.module_blocks
        self._shapes = static.shapes
        self.var_values = self._variable_values(variable_layers or [])
        self.local_values = LazyMap("local", self._local_value, list(self.locals))
        self.children = LazyMap("module", self._child_outputs, list(self.module_blocks))
        self.data = _DataSources(self)
        self.scope = Scope(
            {
                "var": self.var_values,
                "local": self.local_values,
                "module": self.children,
                "data": self.data,
                "path": {"module": directory or ".", "root": scope_name, "cwd": scope_name},
            }
        )
        self._child_instances: dict[str, list[ModuleInstance]] = {}
        self._suffixed: dict[str, list[tuple[str, ModuleInstance]]] = {}
        self._closures: dict[str, set[str]] = {}
        self._output_refs: dict[str, set[str]] = {}
        self.output_values = LazyMap("output", self._output_value, list(self.outputs))

    # -- values ------------------------------------------------------------------------------

    def _variable_values(self, layers: list[dict[str, Any]]) -> dict[str, Any]:
        empty = Scope()
        values: dict[str, Any] = {}
        for name, block in self.variables.items():
            default = block.body.attributes.get("default")
            values[name] = evaluate(default.expr, empty) if default else _var_unknown(name)
        if self.call.prefix:  # a called module: the caller's arguments
            for name, value in self.call.inputs.items():
                if name in values:
                    values[name] = value
        else:
            for layer in layers:  # a root module: Terraform's precedence, lowest first
                for name, value in layer.items():
                    if name in values:
                        values[name] = typed_value(value, self.variables[name])
        for name, block in self.variables.items():
            type_attr = block.body.attributes.get("type")
            if type_attr is not None:
                values[name] = with_type_defaults(values[name], type_attr.expr)
        return values

    def _local_value(self, name: str) -> Any:
        return evaluate(self.locals[name].expr, self.scope)

    def _output_value(self, name: str) -> Any:
        return evaluate(self.outputs[name].expr, self.scope)

    def _child_outputs(self, name: str) -> Any:
        """module.NAME in this scope: the outputs of the instance(s) of that call."""
        instances = self._instantiate_call(name)
        if instances is None:
            return Unknown(f"module.{name} is not available")
        path, block = self.module_blocks[name]
        expansion = expansion_of(block, self.scope)
        if expansion is None:
            return Unknown(f"module.{name} instances are not known statically")
        if not expansion.keyed:
            if expansion.is_list:
                return [inst.output_values for inst in instances]
            return instances[0].output_values if instances else Unknown("no instance")
        pairs = zip(expansion.keys, instances, strict=False)
        return {key: inst.output_values for key, inst in pairs}

    # -- module calls --------------------------------------------------------------------------

    def _instantiate_call(self, name: str) -> list[ModuleInstance] | None:
        if name in self._child_instances:
            return self._child_instances[name]
        path, block = self.module_blocks[name]
        self._child_instances[name] = []
        site = Location(path, block.line, block.line)
        source_attr = block.body.attributes.get("source")
        source = evaluate(source_attr.expr, Scope()) if source_attr else None
        if not isinstance(source, str):
            self.result.unavailable.append((site, str(source), "module source is not a string"))
            return None
        if self.loader is None or self.depth >= MAX_MODULE_DEPTH:
            self.result.unavailable.append((site, source, "module nesting too deep"))
            return None
        key_path = self.call.key_path + (name,)
        directory, files = self.loader(self.directory, source, key_path)
        if directory is None:
            self.result.unavailable.append((site, source, str(files)))
            return None
        if directory in (*self.callers, self.directory):
            why = f"module calls itself through {directory or '.'} (a cycle): not instantiated"
            self.result.unavailable.append((site, source, why))
            return None
        expansion = expansion_of(block, self.scope)
        wanted = len(expansion.instances) if expansion else 1
        if self.result.instances + wanted > MAX_MODULE_INSTANCES:
            why = f"{BUDGET_EXCEEDED}: more than {MAX_MODULE_INSTANCES} module instances"
            self.result.unavailable.append((site, source, why))
            return None
        self.result.instances += wanted
        instances: list[ModuleInstance] = []
        self._suffixed[name] = []
        for suffix, roots in expansion.instances if expansion else [("", {})]:
            inner = self.scope.child(**roots) if roots else self.scope
            inputs = {
                arg: evaluate(attr.expr, inner)
                for arg, attr in block.body.attributes.items()
                if arg not in ("source", "version", "count", "for_each", "providers", "depends_on")
            }
            call = ModuleCall(
                prefix=f"{self.call.prefix}module.{name}{suffix}.",
                inputs=inputs,
                call_sites=self.call.call_sites + (site,),
                key_path=key_path,
            )
            instance = ModuleInstance(
                directory,
                files,
                self.scope_name,
                call,
                None,
                self.loader,
                self.result,
                self.depth + 1,
                (*self.callers, self.directory),
            )
            instances.append(instance)
            self._suffixed[name].append((suffix, instance))
        self._child_instances[name] = instances
        return instances

    # -- resources ---------------------------------------------------------------------------

    def build(self) -> ModuleResult:
        for path, block in self.blocks:
            if block.type in ("resource", "data") and len(block.labels) == 2:
                self._resource(path, block)
            elif block.type == "module" and block.labels:
                self._module_call(path, block)
            elif block.type == "provider" and len(block.labels) == 1:
                self._provider(path, block)
        return self.result

    def _provider(self, path: str, block: ast.Block) -> None:
        """A provider block as a resource of type `provider`: rules read its arguments."""
        locations: dict[str, Location] = {}
        refs: set[tuple[str, str]] = set()
        attributes = evaluate_body(block.body, self.scope, path, "", locations, refs, top=True)
        self._relocate(path, block, locations)
        alias = attributes.get("alias")
        name = block.labels[0] + (f".{alias}" if isinstance(alias, str) and alias else "")
        self.result.resources.append(
            Resource(
                address=f"{self.call.prefix}provider.{name}",
                type="provider",
                platform=Platform.TERRAFORM.value,
                attributes=attributes,
                location=location(path, block.line, block.end_line),
                attribute_locations=locations,
                references=tuple(sorted(self._expand_refs(refs))),
                kind="provider",
                scope=self.scope_name,
                call_sites=self.call.call_sites,
            )
        )

    def _resource(self, path: str, block: ast.Block) -> None:
        rtype, name = block.labels
        base = f"{rtype}.{name}" if block.type == "resource" else f"data.{rtype}.{name}"
        if block.type == "resource":
            block = self._checked_shape(path, rtype, block)
        expansion = expansion_of(block, self.scope)
        template = expansion is None or expansion.template
        instances = expansion.instances if expansion else [("", template_roots(block))]
        for suffix, roots in instances:
            scope = self.scope.child(**roots) if roots else self.scope
            locations: dict[str, Location] = {}
            refs: set[tuple[str, str]] = set()
            attributes = evaluate_body(block.body, scope, path, "", locations, refs, top=True)
            self._relocate(path, block, locations)
            self.result.resources.append(
                Resource(
                    address=f"{self.call.prefix}{base}{suffix}",
                    type=rtype,
                    platform=Platform.TERRAFORM.value,
                    attributes=attributes,
                    location=location(path, block.line, block.end_line),
                    attribute_locations=locations,
                    references=tuple(sorted(self._expand_refs(refs))),
                    kind=block.type,
                    scope=self.scope_name,
                    call_sites=self.call.call_sites,
                    template=template,
                )
            )

    def _checked_shape(self, path: str, rtype: str, block: ast.Block) -> ast.Block:
        """block, with each block written where Terraform expects an argument reported as a
        parse error and made Unknown for the rules (shapes.py)."""
        known = self._shapes.get(id(block))
        if known is None:  # once per block, whatever the instances (the block is held)
            wrong = shapes.misplaced(rtype, block.body)
            checked = block
            if wrong:
                body = shapes.corrected(block.body, [where for where, _line, _message in wrong])
                checked = ast.Block(block.type, block.labels, body, block.line, block.end_line)
            known = self._shapes[id(block)] = (block, checked, wrong)
        _block, checked, wrong = known
        for _where, line, message in wrong:
            error = ParseError(path, line, message)
            if error not in self.result.errors:  # once for all instances of the module
                self.result.errors.append(error)
        return checked

    def _module_call(self, path: str, block: ast.Block) -> None:
        name = block.labels[0]
        locations: dict[str, Location] = {}
        refs: set[tuple[str, str]] = set()
        attributes = evaluate_body(block.body, self.scope, path, "", locations, refs, top=True)
        self._relocate(path, block, locations)
        instances = self._instantiate_call(name) or []
        own: set[tuple[str, str]] = set()
        for inst in instances:
            for target in inst.all_output_targets():
                own.add((target, ""))
        self.result.resources.append(
            Resource(
                address=f"{self.call.prefix}module.{name}",
                type="module",
                platform=Platform.TERRAFORM.value,
                attributes=attributes,
                location=location(path, block.line, block.end_line),
                attribute_locations=locations,
                references=tuple(sorted(self._expand_refs(refs) | own)),
                kind="module",
                scope=self.scope_name,
                call_sites=self.call.call_sites,
            )
        )
        for inst in instances:
            inst.build()

    def _relocate(self, path: str, block: ast.Block, locations: dict[str, Location]) -> None:
        """Arguments and nested blocks an override file set are located in that file."""
        origins = self.origins.get(override.block_key(path, block))
        if not origins:
            return
        for key, loc in locations.items():
            source = origins.get(key.split(".", 1)[0])
            if source is not None:
                locations[key] = Location(source, loc.start_line, loc.end_line)

    # -- references ----------------------------------------------------------------------------

    def _expand_refs(self, refs: set[tuple[str, str]]) -> set[tuple[str, str]]:
        """Full addresses of what refs point at, through locals and module outputs."""
        out: set[tuple[str, str]] = set()
        for target, attr in refs:
            for full in self._closure(target):
                out.add((full, attr))
        return out

    def _closure(self, target: str) -> set[str]:
        """_targets(target) from a fresh start: every address target leads to. The search
        marks what it has seen for the whole walk, so the answer is all that is reachable,
        whatever the order: the same each time it is asked (read-only, shared)."""
        found = self._closures.get(target)
        if found is None:
            found = self._closures[target] = self._targets(target, set())
        return found

    def _targets(self, target: str, seen: set[str]) -> set[str]:
        if target in seen:
            return set()
        seen.add(target)
        if target.startswith("var."):
            return set()
        if target.startswith("local."):
            name = target[6:]
            if name not in self.locals:
                return set()
            found: set[str] = set()
            for inner in reference_roots(self.locals[name].expr):
                found |= self._targets(inner, seen)
            return found
        if target.startswith("module."):
            match = _MODULE_REF.match(target)
            if match is None:
                return set()
            name, key, output = match.groups()
            found = {f"{self.call.prefix}module.{name}"}
            if output and name in self.module_blocks:
                self._instantiate_call(name)
                for suffix, inst in self._suffixed.get(name, []):
                    if not key or key == suffix:
                        found |= inst.output_targets(output)
            return found
        return {self.call.prefix + target}

    def output_targets(self, name: str) -> set[str]:
        """Full addresses of the resources an output of this instance refers to."""
        if name not in self._output_refs:
            self._output_refs[name] = set()
            found: set[str] = set()
            if name in self.outputs:
                for target in reference_roots(self.outputs[name].expr):
                    found |= self._closure(target)
            self._output_refs[name] = found
        return self._output_refs[name]

    def all_output_targets(self) -> set[str]:
        found: set[str] = set()
        for name in self.outputs:
            found |= self.output_targets(name)
        return found


class _DataSources(LazyMap):
    """`data.TYPE.NAME`: data sources we can evaluate (aws_iam_policy_document); else Unknown."""

    def __init__(self, module: ModuleInstance) -> None:
        self.module = module
        types = sorted({b.labels[0] for _p, b in module.blocks if b.type == "data" and b.labels})
        super().__init__("data", self._by_type, types)

    def _by_type(self, rtype: str) -> Any:
        from soc2lint.platforms.terraform.datasources import DATA_SOURCES

        evaluator = DATA_SOURCES.get(rtype)
        blocks = {
            b.labels[1]: (p, b)
            for p, b in self.module.blocks
            if b.type == "data" and len(b.labels) == 2 and b.labels[0] == rtype
        }
        if evaluator is None:
            return {
                name: Unknown(f"data source data.{rtype}.{name} is read at plan time", True)
                for name in blocks
            }
        out: dict[str, Any] = {}
        for name, (path, block) in blocks.items():
            attrs = evaluate_body(block.body, self.module.scope, path, "", {}, set(), top=True)
            out[name] = evaluator(attrs)
        return out


def tfvars_layers(tfvars: list[TfFile]) -> list[dict[str, Any]]:
    """Variable values from tfvars files, in Terraform's order (lowest precedence first)."""
    empty = Scope()
    layers: list[dict[str, Any]] = []
    for tf in sorted(tfvars, key=_tfvars_order):
        if tf.body is not None:
            layers.append({n: evaluate(a.expr, empty) for n, a in tf.body.attributes.items()})
    return layers


def _tfvars_order(tf: TfFile) -> tuple[int, str]:
    name = tf.path.rsplit("/", 1)[-1]
    if name == "terraform.tfvars":
        return (0, name)
    if name == "terraform.tfvars.json":
        return (1, name)
    return (2, name)


def build_module(
    files: list[TfFile],
    tfvars: list[TfFile],
    scope: str = ".",
    *,
    directory: str | None = None,
    loader: ModuleLoader | None = None,
    env_vars: dict[str, str] | None = None,
    cli_layers: list[dict[str, Any]] | None = None,
) -> ModuleResult:
    """Resources of a root module (and the modules it calls), values resolved where possible.

    Variable precedence, lowest first: defaults, TF_VAR_ environment variables, terraform.tfvars,
    terraform.tfvars.json, *.auto.tfvars in name order, then --var-file / --var in the order given.
    """
    layers: list[dict[str, Any]] = []
    if env_vars:
        layers.append({k: raw_value(v) for k, v in env_vars.items()})
    layers += tfvars_layers(tfvars)
    layers += cli_layers or []
    budget = start_budget()
    with shared_facts():
        instance = ModuleInstance(
            directory if directory is not None else ("" if scope == "." else scope),
            files,
            scope,
            None,
            layers,
            loader,
        )
        result = instance.build()
    start_budget()  # what is evaluated after this root module has a budget of its own
    if budget.exceeded or any(BUDGET_EXCEEDED in why for _s, _src, why in result.unavailable):
        result.notes.append(
            {
                "path": scope,
                "message": f"Terraform {BUDGET_EXCEEDED} in this root module: values past "
                "it are Unknown (expressions or module instances written to blow up?)",
            }
        )
    return result


__all__ = [
    "ModuleInstance",
    "ModuleResult",
    "TfFile",
    "build_module",
    "raw_value",
    "root_of",
    "to_string",
]
