"""What every reporter shares: which results to show, fingerprints, summary counts."""

from __future__ import annotations

import hashlib
from collections import Counter

from soc2lint.model import Finding
from soc2lint.scan import Report
from soc2lint.tsc import catalogue

SEVERITY_ORDER = ("critical", "high", "medium", "low", "info")


def fingerprint(finding: Finding) -> str:
    """Stable across unrelated edits: rule, file and resource address, never the line."""
    key = f"{finding.rule_id}\0{finding.location.path}\0{finding.resource}"
    return hashlib.sha256(key.encode()).hexdigest()[:32]


def visible(report: Report) -> list[Finding]:
    """Failing and unknown results; passes are counted, not listed."""
    return [f for f in report.findings if f.status.value != "pass"]


def summary(report: Report) -> dict:
    """Counts by status, by severity of failures, and by criterion."""
    by_status = Counter(f.status.value for f in report.findings)
    severities = {r.id: r.severity for r in report.rules}
    by_severity = Counter(severities[f.rule_id] for f in report.failing())
    criteria: dict[str, Counter] = {}
    rules = {r.id: r for r in report.rules}
    for f in report.findings:
        for c in rules[f.rule_id].criteria:
            criteria.setdefault(c, Counter())[f.status.value] += 1
    order = catalogue().sort_key
    return {
        "files_scanned": len(report.files),
        "resources": report.resources,
        "rules": len(report.rules),
        "fail": by_status.get("fail", 0),
        "pass": by_status.get("pass", 0),
        "unknown": by_status.get("unknown", 0),
        "parse_errors": len(report.errors),
        "skipped": len(report.skipped),
        "rule_errors": len(report.rule_errors),
        "suppressed": len(report.suppressed),
        "baselined": (report.baseline or {}).get("baselined", 0),
        "fixed": (report.diff or {}).get("fixed", 0),
        "by_severity": {s: by_severity.get(s, 0) for s in SEVERITY_ORDER},
        "by_criterion": {
            c: {k: criteria[c].get(k, 0) for k in ("fail", "pass", "unknown")}
            for c in sorted(criteria, key=order)
        },
    }
