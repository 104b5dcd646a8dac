"""The events a workflow runs on, and the token permissions a job is given."""

from __future__ import annotations

from typing import Any

from soc2lint.model import Unknown
from soc2lint.platforms.shared.ci_expressions import is_expression

# scopes `write-all` grants; a job that writes all of them spells write-all out
_WRITE_SCOPE_NAMES = """actions checks contents deployments discussions id-token issues packages
    pages pull-requests repository-projects security-events statuses"""
WRITE_SCOPES = frozenset(_WRITE_SCOPE_NAMES.split())


def triggers_of(on: Any) -> list[str]:
    """The event names of an `on:` value, whatever its shape (string, list or mapping)."""
    if isinstance(on, str):
        names = [on]
    elif isinstance(on, list):
        names = [str(e) for e in on if isinstance(e, (str, int))]
    elif isinstance(on, dict):
        names = [str(k) for k in on]
    else:
        names = []
    return sorted(set(names))


def writes_all(perms: Any) -> Any:
    """permissions: write-all, or a mapping that grants write on every scope write-all would."""
    if is_expression(perms):
        return Unknown(f"permissions are set by the expression {perms}")
    if perms == "write-all":
        return True
    if isinstance(perms, dict):
        return {str(k) for k, v in perms.items() if v == "write"} >= WRITE_SCOPES
    return False
