"""Reporters only format a Report; they never decide. Each format is one module with render().

The modules are imported when a format is used, not with this package, so the command line
starts without loading every format's dependencies (the SARIF object model among them)."""

from __future__ import annotations

import importlib
from collections.abc import Callable

# format name -> module under soc2lint.reporters
_MODULES = {"json": "json_report", "markdown": "markdown", "sarif": "sarif", "text": "text"}
FORMATS: tuple[str, ...] = tuple(sorted(_MODULES))


def renderer(fmt: str) -> Callable[..., str]:
    """The render function of one format (KeyError for a name no reporter has)."""
    return importlib.import_module(f"soc2lint.reporters.{_MODULES[fmt]}").render


def __getattr__(name: str) -> object:
    # RENDERERS, as before: every format by name (imports them all)
    if name == "RENDERERS":
        return {fmt: renderer(fmt) for fmt in FORMATS}
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
