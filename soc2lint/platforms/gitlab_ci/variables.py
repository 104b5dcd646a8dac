"""CI/CD variables: their values, which are literal, debug tracing, and `$VAR` expansion."""

from __future__ import annotations

import re
from typing import Any

from soc2lint.model import Unknown

_VAR = re.compile(r"\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?")


def variable_values(raw: Any) -> dict[str, Any]:
    """name -> value; the `{value: ..., description: ...}` form gives its value."""
    if not isinstance(raw, dict):
        return {}
    return {str(k): (v.get("value") if isinstance(v, dict) else v) for k, v in raw.items()}


def literal(value: Any) -> bool:
    """Whether a value is written out, not taken from another variable."""
    return not (isinstance(value, str) and value.strip().startswith("$"))


def debug_trace(attrs: dict, locs: dict, variables: dict) -> None:
    """Whether these variables switch on CI_DEBUG_TRACE or CI_DEBUG_SERVICES, and where."""
    on = [v for v in ("CI_DEBUG_TRACE", "CI_DEBUG_SERVICES") if truthy(variables.get(v))]
    attrs["debug_trace"] = bool(on)
    if on and f"variables.{on[0]}" in locs:
        locs["debug_trace"] = locs[f"variables.{on[0]}"]


def truthy(value: Any) -> bool:
    """Whether GitLab reads a value as true."""
    return value is True or str(value).strip().lower() in ("true", "1")


def expand(value: Any, variables: dict[str, Any]) -> Any:
    """$VAR and ${VAR} replaced from the job's variables; Unknown when one is not literal."""
    if not isinstance(value, str) or "$" not in value:
        return value
    for _ in range(5):
        missing = [m.group(1) for m in _VAR.finditer(value) if m.group(1) not in variables]
        if missing:
            return Unknown(f"${missing[0]} is set outside this file or at run time")
        value = _VAR.sub(lambda m: str(variables[m.group(1)]), value)
        if "$" not in value:
            return value
    return Unknown("variables refer to each other too deeply")
