"""Change-control evidence an auditor can rely on: records, a hash-chained ledger, population.

scan --evidence DIR calls write_evidence(); `soc2lint evidence` verifies, samples, re-renders."""

from soc2lint.evidence.html_page import render_html
from soc2lint.evidence.ledger import LedgerError, Verification, verify
from soc2lint.evidence.markdown import render_markdown
from soc2lint.evidence.population import population, sample
from soc2lint.evidence.record import build_record, load_record, schema_text
from soc2lint.evidence.writer import write_evidence

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
