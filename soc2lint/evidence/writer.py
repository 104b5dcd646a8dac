"""write_evidence: the record, its Markdown and HTML renderings, and a ledger entry."""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Mapping
from pathlib import Path

from soc2lint.evidence import ledger as ledger_mod
from soc2lint.evidence.hashing import sha256_hex
from soc2lint.evidence.html_page import render_html
from soc2lint.evidence.markdown import render_markdown
from soc2lint.evidence.record import build_record
from soc2lint.scan import Report

LEDGER_NAME = "ledger.jsonl"


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def _write(path: Path, data: bytes) -> None:
    """Write whole or not at all: a crash never leaves half a record. The file gets the mode
    any new file gets (0666 less the umask), as the ledger does, so an auditor's account that
    may read the ledger may read the records (mkstemp alone would make them 0600)."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            os.chmod(tmp, 0o666 & ~_umask())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_evidence(
    report: Report,
    directory: str | Path,
    ledger: str | Path | None = None,
    *,
    gate: str,
    threshold: str,
    environ: Mapping[str, str] | None = None,
) -> Path:
    """Write <record-id>.json, .md and .html into directory, append the record to the ledger
    (directory/ledger.jsonl unless given) and return the JSON record's path.

    gate is the scan's verdict ("pass" or "fail"), threshold the --fail-on value."""
    out = Path(directory)
    out.mkdir(parents=True, exist_ok=True)
    record = build_record(report, gate=gate, threshold=threshold, environ=environ)
    data = (json.dumps(record, indent=2, ensure_ascii=False) + "\n").encode("utf-8")
    path = out / f"{record['record_id']}.json"
    _write(path, data)
    try:
        ledger_mod.append(
            Path(ledger) if ledger else out / LEDGER_NAME,
            record["record_id"],
            sha256_hex(data),
            record["repository"]["commit"],
        )
    except BaseException:
        # a record the ledger does not hold would later read as an entry removed
        path.unlink(missing_ok=True)
        raise
    _write(path.with_suffix(".md"), render_markdown(record).encode("utf-8"))
    _write(path.with_suffix(".html"), render_html(record).encode("utf-8"))
    return path
