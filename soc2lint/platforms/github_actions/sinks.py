"""Action inputs that run their value as code (soc2lint/data/github_code_inputs.yaml)."""

from __future__ import annotations

from functools import cache
from typing import Any

from ruamel.yaml import YAML

from soc2lint import package_file


@cache
def bundled_code_inputs() -> dict[str, tuple[str, ...]]:
    """action (lower-case owner/repo[/path]) -> the inputs it runs as code."""
    raw = package_file("data", "github_code_inputs.yaml").read_text("utf-8")
    data = YAML(typ="safe").load(raw) or {}
    return {str(k).lower(): tuple(str(i).lower() for i in v or ()) for k, v in data.items()}


def code_inputs(uses_name: Any, extra: dict[str, Any] | None = None) -> tuple[str, ...]:
    """The inputs of the action uses_name that run as code (bundled table, then extra)."""
    if not isinstance(uses_name, str):
        return ()
    name = uses_name.lower()
    found = set(bundled_code_inputs().get(name, ()))
    for key, inputs in (extra or {}).items():
        if str(key).lower() == name:
            found.update(str(i).lower() for i in (inputs or ()))
    return tuple(sorted(found))


def with_configured_sinks(attrs: dict[str, Any], extra: dict[str, Any]) -> dict[str, Any] | None:
    """A step's attributes with the inputs that configuration names as code added to its
    attacker_controlled (None: nothing changes)."""
    inputs = set(code_inputs(attrs.get("uses_name"), extra)) - set(
        code_inputs(attrs.get("uses_name"))
    )
    found = attrs.get("input_injections") or {}
    hits = [found[i] for i in sorted(inputs) if i in found]
    if not hits:
        return None
    known = attrs.get("attacker_controlled")
    merged: Any = known
    for verdict in hits:
        if isinstance(verdict, list) and verdict:
            merged = sorted({*(merged if isinstance(merged, list) else []), *verdict})
        elif not isinstance(verdict, list) and merged == []:
            merged = verdict  # Unknown: a caller decides
    if merged is known:
        return None
    return {**attrs, "attacker_controlled": merged}


def configured_input_location(attrs: dict[str, Any], extra: dict[str, Any]) -> str:
    """The attribute path of the first configured sink input that injects something."""
    found = attrs.get("input_injections") or {}
    for name in code_inputs(attrs.get("uses_name"), extra):
        if found.get(name):
            return f"input_injections.{name}"
    return ""
