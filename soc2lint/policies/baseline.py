"""A baseline: findings accepted as already known, keyed by rule, file and resource address
(never line numbers, so moving code does not bring a finding back)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable

from soc2lint import __version__
from soc2lint.model import Finding
from soc2lint.pipeline.inputs import InputFileError, read_regular

DEFAULT_NAME = ".soc2lint-baseline.json"
VERSION = 1


class BaselineError(Exception):
    pass


def key(finding: Finding) -> tuple[str, str, str]:
    return (finding.rule_id, finding.location.path, finding.resource)


def create(findings: Iterable[Finding]) -> str:
    """The baseline file's text for these (failing and unknown) findings, deterministic."""
    entries = sorted({key(f) for f in findings if f.status.value in ("fail", "unknown")})
    doc = {
        "version": VERSION,
        "tool": {"name": "soc2lint", "version": __version__},
        "entries": [{"rule_id": r, "path": p, "resource": a} for r, p, a in entries],
    }
    return json.dumps(doc, indent=2) + "\n"


def load(path: str) -> tuple[set[tuple[str, str, str]], str]:
    """(keys, sha256 of the file); a bad file raises BaselineError naming it."""
    try:
        raw = read_regular(path, "baseline")
    except InputFileError as exc:
        raise BaselineError(str(exc)) from None
    try:
        doc = json.loads(raw)
        if doc.get("version") != VERSION:
            raise BaselineError(f"{path}: unsupported baseline version {doc.get('version')!r}")
        keys = {(e["rule_id"], e["path"], e["resource"]) for e in doc["entries"]}
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise BaselineError(f"{path}: not a soc2lint baseline ({type(exc).__name__})") from None
    return keys, hashlib.sha256(raw).hexdigest()
