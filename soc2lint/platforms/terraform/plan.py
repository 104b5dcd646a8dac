"""Read `terraform show -json plan.out` output (format_version 1.x) into planned resources.

Pure: the caller gives the text, nothing here touches files. Never raises; what cannot be read
is returned as ParseErrors.

Where the information lives in a JSON plan:

- planned_values.root_module (+ child_modules, recursively): every resource instance that will
  exist after apply, with its planned values. Values not known until apply are *omitted* there
  (an unknown object attribute is left out, an unknown list element is null), so absent and
  unknown cannot be told apart from planned_values alone.
- resource_changes[].change.after_unknown: a mirror of the planned value with `true` where the
  value is unknown -- at a leaf, or at a whole subtree (a computed block is `true` as a whole).
  Known object attributes are left out of it; known list elements are `false`.
- resource_changes[].change.actions: what Terraform will do. Instances only being deleted are
  not in planned_values at all.
- prior_state: data sources Terraform could read while planning are only here (no change is
  planned for them); a data source whose read waits for apply has a ["read"] change instead.
- configuration.root_module.module_calls (recursively): each module call's `source`, as written.
"""

from __future__ import annotations

import json
import posixpath
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from soc2lint.model import ParseError, Unknown

SUPPORTED_MAJOR = 1
KNOWN_AFTER_APPLY = "known after apply"
# instances in a plan that will not exist (or no longer be managed) after apply
_GONE = {("delete",), ("forget",)}


@dataclass(frozen=True)
class PlannedResource:
    address: str  # e.g. 'module.logs.aws_s3_bucket.this["a"]'
    module_address: str  # '' for root, e.g. 'module.logs' or 'module.a.module.b[0]'
    mode: str  # 'managed' | 'data'
    type: str
    name: str
    index: int | str | None  # count index / for_each key
    # planned values; whatever after_unknown marks unknown is Unknown("known after apply", True)
    values: dict[str, Any]
    # (module path without instance keys, mode, type, name): finds the declaration
    config_key: tuple[str, str, str, str]
    # resource_changes[].change.actions; () for a data source read while planning
    actions: tuple[str, ...]


@dataclass(frozen=True)
class PlanConfigRef:
    module_path: str  # '' for root, 'module.logs', 'module.a.module.b'
    source: str  # the module call's source as written; '' for root


def parse_plan(
    path: str, text: str
) -> tuple[list[PlannedResource], dict[str, str], list[ParseError]]:
    """(planned resources, module path -> module source, errors) of a JSON plan."""
    try:
        return _Reader(path, text).read()
    except RecursionError:
        return [], {}, [ParseError(path, 1, "the plan is nested too deeply to read")]


def config_refs(sources: dict[str, str]) -> list[PlanConfigRef]:
    """The root and every module call path, with its source, parents first."""
    refs = [PlanConfigRef("", "")]
    refs += [PlanConfigRef(p, sources[p]) for p in sorted(sources, key=lambda p: (p.count("."), p))]
    return refs


def module_dir(sources: dict[str, str], module_path: str) -> str | None:
    """The directory of a module path, relative to the root module's directory ('.' for root).

    None when the module, or one of its ancestors, is not a local path (registry, git, ...):
    its files are not in the scanned tree.
    """
    directory = "."
    parts = split_module_path(module_path)
    for depth in range(1, len(parts) + 1):
        source = sources.get(".".join(f"module.{name}" for name in parts[:depth]))
        if source is None or not _is_local(source):
            return None
        directory = posixpath.normpath(posixpath.join(directory, source.replace("\\", "/")))
    return directory


def split_module_path(module_address: str) -> list[str]:
    """'module.a["x"].module.b[0]' -> ['a', 'b']: call names, instance keys dropped."""
    stripped = strip_instance_keys(module_address)
    steps = stripped.split(".") if stripped else []
    return [steps[i + 1] for i in range(0, len(steps) - 1, 2) if steps[i] == "module"]


def strip_instance_keys(address: str) -> str:
    """Drop every [key] of an address: 'module.a["x.y"].module.b[0]' -> 'module.a.module.b'."""
    out: list[str] = []
    depth = 0
    quoted = False
    escaped = False
    for char in address:
        if depth == 0:
            if char == "[":
                depth = 1
            else:
                out.append(char)
            continue
        if quoted:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                quoted = False
        elif char == '"':
            quoted = True
        elif char == "[":
            depth += 1
        elif char == "]":
            depth -= 1
    return "".join(out)


def apply_unknowns(value: Any, unknown: Any) -> Any:
    """value with every part that `unknown` (an after_unknown mirror) marks true made Unknown.

    A mirror that does not fit the value's shape is ignored; value itself is returned (not a
    copy) when nothing in it is unknown.
    """
    return _merge(value, unknown)[0]


def _merge(value: Any, unknown: Any) -> tuple[Any, bool]:
    """(merged value, whether anything was marked unknown)."""
    if unknown is True:
        return Unknown(KNOWN_AFTER_APPLY, True), True
    if isinstance(unknown, dict) and isinstance(value, (dict, type(None))):
        base = value or {}
        merged = dict(base)
        changed = False
        for key, sub in unknown.items():
            new, sub_changed = _merge(base.get(key), sub)
            if sub_changed:
                merged[key] = new
                changed = True
        return (merged, True) if changed else (value, False)
    if isinstance(unknown, list) and isinstance(value, (list, type(None))):
        base_list = value or []
        items = list(base_list) + [None] * (len(unknown) - len(base_list))
        changed = False
        for i, sub in enumerate(unknown):
            new, sub_changed = _merge(items[i], sub)
            if sub_changed:
                items[i] = new
                changed = True
        return (items, True) if changed else (value, False)
    return value, False


def _is_local(source: str) -> bool:
    return source.startswith(("./", "../", ".\\", "..\\"))


def _format_index(index: int | str) -> str:
    return f"[{index}]" if isinstance(index, int) else f"[{json.dumps(index)}]"


def _index_of(raw: Any) -> int | str | None:
    if isinstance(raw, bool):
        return None
    if isinstance(raw, (int, str)):
        return raw
    if isinstance(raw, float) and raw.is_integer():
        return int(raw)
    return None


class _Reader:
    def __init__(self, path: str, text: str) -> None:
        self.path = path
        self.text = text
        self.errors: list[ParseError] = []

    def error(self, message: str, needle: str | None = None) -> None:
        self.errors.append(ParseError(self.path, self._line_of(needle), message))

    def _line_of(self, needle: str | None) -> int:
        """Best effort: the line of the first `"address": "<needle>"`, else 1."""
        if needle:
            quoted = json.dumps(needle)
            for candidate in (f'"address": {quoted}', f'"address":{quoted}', quoted):
                at = self.text.find(candidate)
                if at >= 0:
                    return self.text.count("\n", 0, at) + 1
        return 1

    # -- the document ------------------------------------------------------------------------

    def read(self) -> tuple[list[PlannedResource], dict[str, str], list[ParseError]]:
        try:
            doc = json.loads(self.text)
        except json.JSONDecodeError as exc:
            message = f"not valid JSON: {exc.msg}"
            return [], {}, [ParseError(self.path, exc.lineno, message, exc.colno)]
        except ValueError as exc:  # e.g. an integer too long to convert
            return [], {}, [ParseError(self.path, 1, f"not valid JSON: {exc}")]
        if not isinstance(doc, dict):
            kind = type(doc).__name__
            return [], {}, [ParseError(self.path, 1, f"not a Terraform plan: the JSON is a {kind}")]
        if not self._version_ok(doc):
            return [], {}, self.errors
        sources = self._sources(doc.get("configuration"))
        declared = self._declared(doc.get("configuration"))
        planned = doc.get("planned_values")
        if not isinstance(planned, dict):
            hint = (
                " (this looks like state; run `terraform show -json` on a plan file)"
                if "values" in doc
                else ""
            )
            self.error(f"not a Terraform plan: no planned_values object{hint}")
            return [], sources, self.errors
        if doc.get("errored") is True:
            self.error("the plan errored: its planned values are incomplete")
        changes = self._changes(doc.get("resource_changes"))
        resources: list[PlannedResource] = []
        seen: set[str] = set()
        root = planned.get("root_module", {})
        for module_address, entry in self._walk(root, "", 0):
            res = self._resource(entry, module_address, changes)
            if res is None or res.address in seen:
                continue
            seen.add(res.address)
            if res.actions not in _GONE:
                resources.append(res)
        resources += self._plan_time_data(doc.get("prior_state"), seen, changes, declared)
        return resources, sources, self.errors

    def _version_ok(self, doc: dict[str, Any]) -> bool:
        version = doc.get("format_version")
        if not isinstance(version, str):
            self.error("not a Terraform plan: no format_version string")
            return False
        major = version.split(".", 1)[0]
        if not major.isdigit():
            self.error(f"not a Terraform plan: format_version {version!r} is not a version")
            return False
        if int(major) != SUPPORTED_MAJOR:
            self.error(
                f"unsupported plan format_version {version!r}: "
                f"only {SUPPORTED_MAJOR}.x is read (Terraform 1.1 or later)"
            )
            return False
        return True

    # -- configuration -----------------------------------------------------------------------

    def _sources(self, configuration: Any) -> dict[str, str]:
        sources: dict[str, str] = {}
        if isinstance(configuration, dict):
            self._module_calls(configuration.get("root_module"), "", sources, 0)
        return sources

    def _declared(self, configuration: Any) -> set[tuple[str, str, str, str]] | None:
        """The config_keys of every resource and data block; None without a configuration."""
        if not isinstance(configuration, dict) or not isinstance(
            configuration.get("root_module"), dict
        ):
            return None
        declared: set[tuple[str, str, str, str]] = set()
        stack: list[tuple[str, Any, int]] = [("", configuration["root_module"], 0)]
        while stack:
            prefix, module, depth = stack.pop()
            if not isinstance(module, dict) or depth > 100:
                continue
            for res in module.get("resources") or []:
                if isinstance(res, dict):
                    key = (prefix, res.get("mode"), res.get("type"), res.get("name"))
                    if all(isinstance(k, str) for k in key):
                        declared.add(key)  # type: ignore[arg-type]
            calls = module.get("module_calls")
            if isinstance(calls, dict):
                for name, call in calls.items():
                    if isinstance(call, dict):
                        path = f"{prefix}.module.{name}" if prefix else f"module.{name}"
                        stack.append((path, call.get("module"), depth + 1))
        return declared

    def _module_calls(self, module: Any, prefix: str, out: dict[str, str], depth: int) -> None:
        if not isinstance(module, dict) or depth > 100:
            return
        calls = module.get("module_calls")
        if not isinstance(calls, dict):
            return
        for name, call in calls.items():
            if not isinstance(call, dict):
                continue
            module_path = f"{prefix}.module.{name}" if prefix else f"module.{name}"
            # Terraform writes "source" (as written); the docs once named it "resolved_source"
            source = call.get("source", call.get("resolved_source"))
            out[module_path] = source if isinstance(source, str) else ""
            self._module_calls(call.get("module"), module_path, out, depth + 1)

    # -- changes -----------------------------------------------------------------------------

    def _changes(self, raw: Any) -> dict[str, dict[str, Any]]:
        """address -> change of the current object (deposed objects' changes are left out)."""
        changes: dict[str, dict[str, Any]] = {}
        if raw is None:
            return changes
        if not isinstance(raw, list):
            self.error("resource_changes is not a list; planned values are read without it")
            return changes
        for entry in raw:
            if not isinstance(entry, dict) or entry.get("deposed"):
                continue
            address = entry.get("address")
            change = entry.get("change")
            if isinstance(address, str) and isinstance(change, dict):
                changes.setdefault(address, change)
        return changes

    # -- planned values ----------------------------------------------------------------------

    def _walk(self, module: Any, module_address: str, depth: int) -> Iterator[tuple[str, Any]]:
        if not isinstance(module, dict):
            return
        if depth > 100:
            self.error(f"modules nested too deeply under {module_address}")
            return
        resources = module.get("resources", [])
        if isinstance(resources, list):
            for entry in resources:
                yield module_address, entry
        children = module.get("child_modules", [])
        if isinstance(children, list):
            for child in children:
                if not isinstance(child, dict):
                    continue
                address = child.get("address")
                if not isinstance(address, str) or not address.startswith("module."):
                    self.error("a child module in planned_values has no module address")
                    continue
                yield from self._walk(child, address, depth + 1)

    def _resource(
        self, entry: Any, module_address: str, changes: dict[str, dict[str, Any]]
    ) -> PlannedResource | None:
        if not isinstance(entry, dict):
            self.error(
                f"a resource in planned_values of {module_address or 'root'} is not an object"
            )
            return None
        mode, rtype, name = entry.get("mode"), entry.get("type"), entry.get("name")
        address = entry.get("address")
        label = address if isinstance(address, str) else None
        if mode not in ("managed", "data") or not isinstance(rtype, str) or not rtype:
            self.error(f"resource {label or '?'}: no mode and type", label)
            return None
        if not isinstance(name, str) or not name:
            self.error(f"resource {label or '?'}: no name", label)
            return None
        index = _index_of(entry.get("index"))
        if not isinstance(address, str):
            local = f"{rtype}.{name}" if mode == "managed" else f"data.{rtype}.{name}"
            if index is not None:
                local += _format_index(index)
            address = f"{module_address}.{local}" if module_address else local
        change = changes.get(address, {})
        actions_raw = change.get("actions")
        actions = (
            tuple(a for a in actions_raw if isinstance(a, str))
            if isinstance(actions_raw, list)
            else ()
        )
        values = entry.get("values")
        if not isinstance(values, dict):
            after = change.get("after")
            values = after if isinstance(after, dict) else {}
        merged = apply_unknowns(values, change.get("after_unknown"))
        if not isinstance(merged, dict):
            merged = values
        return PlannedResource(
            address=address,
            module_address=module_address,
            mode=mode,
            type=rtype,
            name=name,
            index=index,
            values=merged,
            config_key=(strip_instance_keys(module_address), mode, rtype, name),
            actions=actions,
        )

    def _plan_time_data(
        self,
        prior: Any,
        seen: set[str],
        changes: dict[str, dict[str, Any]],
        declared: set[tuple[str, str, str, str]] | None,
    ) -> list[PlannedResource]:
        """Data sources read while planning: in prior_state only, with no planned change.

        Left out: those with a planned change (a read during apply, or a removal) and, when the
        plan has a configuration, those no longer declared in it.
        """
        if not isinstance(prior, dict):
            return []
        values = prior.get("values")
        if not isinstance(values, dict):
            return []
        found: list[PlannedResource] = []
        for module_address, entry in self._walk(values.get("root_module"), "", 0):
            if not isinstance(entry, dict) or entry.get("mode") != "data":
                continue
            if entry.get("address") in seen or entry.get("address") in changes:
                continue  # a change is planned: the prior value is stale or going away
            res = self._resource(entry, module_address, {})
            if res is None or res.address in seen or res.address in changes:
                continue
            if declared is not None and res.config_key not in declared:
                continue
            seen.add(res.address)
            found.append(res)
        return found
