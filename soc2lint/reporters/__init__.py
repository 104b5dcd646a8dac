"""Reporters only format a Report; they never decide. Each format is one module with render().

The modules are imported when a format is used, not with this package, so the command line
starts without loading every format's dependencies (the SARIF object model among them)."""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterator

# format name -> module under soc2lint.reporters
_MODULES = {"json": "json_report", "markdown": "markdown", "sarif": "sarif", "text": "text"}
FORMATS: tuple[str, ...] = tuple(sorted(_MODULES))


def renderer(fmt: str) -> Callable[..., str]:
    """The render function of one format (KeyError for a name no reporter has)."""
    return importlib.import_module(f"soc2lint.reporters.{_MODULES[fmt]}").render


def writer(fmt: str) -> Callable[..., Iterator[str]]:
    """A function giving a format's text in pieces, in order, which join to what its render
    function returns: JSON and SARIF write a monorepo's report (hundreds of megabytes) a piece
    at a time, never holding it whole; the others give it in one piece."""
    module = importlib.import_module(f"soc2lint.reporters.{_MODULES[fmt]}")
    pieces = getattr(module, "pieces", None)
    if pieces is not None:
        return pieces  # type: ignore[no-any-return]
    render = module.render

    def whole(report: object, **options: object) -> Iterator[str]:
        yield render(report, **options)

    return whole


def __getattr__(name: str) -> object:
    # RENDERERS, as before: every format by name (imports them all)
    if name == "RENDERERS":
        return {fmt: renderer(fmt) for fmt in FORMATS}
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
