"""Change-control evidence an auditor can rely on: records, a hash-chained ledger, population.

scan --evidence DIR calls write_evidence(); `soc2lint evidence` verifies, samples, re-renders.
Building, writing and rendering a record needs the scan's modules, so those names are imported
on first use: `soc2lint --help` and `soc2lint evidence verify` do not load the scanner."""

from __future__ import annotations

import importlib

from soc2lint.evidence.ledger import LedgerError, Verification, verify
from soc2lint.evidence.markdown import render_markdown
from soc2lint.evidence.population import population, sample

_LAZY = {
    "build_record": "record",
    "load_record": "record",
    "render_html": "html_page",
    "schema_text": "record",
    "write_evidence": "writer",
}

__all__ = [
    "LedgerError",
    "Verification",
    "build_record",
    "load_record",
    "population",
    "render_html",
    "render_markdown",
    "sample",
    "schema_text",
    "verify",
    "write_evidence",
]


def __getattr__(name: str) -> object:
    if name not in _LAZY:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"soc2lint.evidence.{_LAZY[name]}"), name)
    globals()[name] = value
    return value
