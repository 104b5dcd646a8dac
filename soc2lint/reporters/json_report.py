"""JSON output: a documented, stable shape (see README, "JSON output")."""

from __future__ import annotations

import json

from soc2lint.reporters.common import fingerprint, summary, visible
from soc2lint.scan import Report

SCHEMA_VERSION = "1.0"


def render(report: Report, **_options: object) -> str:
    rules = {r.id: r for r in report.rules}
    findings = []
    for f in visible(report):
        rule = rules[f.rule_id]
        findings.append(
            {
                "rule_id": f.rule_id,
                "rule_name": rule.name,
                "status": f.status.value,
                "severity": rule.severity,
                "criteria": list(rule.criteria),
                "resource": f.resource,
                "resource_type": f.resource_type,
                "path": f.location.path,
                "start_line": f.location.start_line,
                "end_line": f.location.end_line,
                "message": f.message,
                "fingerprint": fingerprint(f),
                # module call sites that instantiated the resource, outermost first
                "call_sites": [{"path": c.path, "line": c.start_line} for c in f.call_sites],
            }
        )
    doc = {
        "version": SCHEMA_VERSION,
        "tool": {"name": "soc2lint", "version": report.tool_version},
        "findings": findings,
        "errors": [{"path": e.path, "line": e.line, "message": e.message} for e in report.errors]
        + [{"rule_error": msg} for msg in report.rule_errors],
        "skipped": [{"path": s.path, "reason": s.reason} for s in report.skipped],
        "unavailable_modules": report.unavailable_modules,
        "notes": report.notes,
        "summary": summary(report),
    }
    return json.dumps(doc, indent=2, sort_keys=False) + "\n"
