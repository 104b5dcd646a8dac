"""What every reporter shares: which results to show, fingerprints, summary counts."""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from typing import TYPE_CHECKING

from soc2lint.model import Finding, Status

if TYPE_CHECKING:  # only named in annotations: `place` is used where no scan runs
    from soc2lint.scan import Report


def catalogue():  # type: ignore[no-untyped-def]
    """The TSC catalogue, read when a report needs it (not on `evidence --help`)."""
    from soc2lint.engine.tsc import catalogue as read

    return read()


SEVERITY_ORDER = ("critical", "high", "medium", "low", "info")

# C0 controls but tab, DEL, C1 controls, and the Unicode line and paragraph separators: the
# characters that end a line or drive a terminal (ESC starts colour, cursor and title sequences)
_CONTROL = re.compile("[\x00-\x08\x0a-\x1f\x7f-\x9f\u2028\u2029]")
_NAMED = {"\n": "\\n", "\r": "\\r"}


def printable(text: object) -> str:
    """A string that came from the repository (a file name, a label, a value) as one visible
    line: every control character is written as an escape (`\\n`, `\\x1b`), so nothing
    scanned can start a new output line or send a terminal sequence."""
    return _CONTROL.sub(
        lambda m: (
            _NAMED.get(m.group(), f"\\x{ord(m.group()):02x}")
            if ord(m.group()) < 0x100
            else f"\\u{ord(m.group()):04x}"
        ),
        str(text),
    )


def place(path: str, line: int) -> str:
    """`path:line`, or `repository` for a result about the repository as a whole (path `.`,
    line 0: model.REPOSITORY), which has no file to point at."""
    return "repository" if path == "." and not line else f"{path}:{line}"


def fingerprint(finding: Finding) -> str:
    """Stable across unrelated edits: rule, file and resource address, never the line."""
    return fingerprint_digest(finding).hex()


def fingerprint_digest(finding: Finding) -> bytes:
    """The 16 bytes a fingerprint writes in hexadecimal (the result cache stores these)."""
    key = f"{finding.rule_id}\0{finding.location.path}\0{finding.resource}"
    return hashlib.sha256(key.encode()).digest()[:16]


def visible(report: Report) -> list[Finding]:
    """Failing and unknown results; passes are counted, not listed."""
    return report.visible()


def most_severe_first(report: Report) -> list[Finding]:
    """Failing results from critical to info, then unknown ones; by file and line within."""
    severities = {r.id: r.severity for r in report.rules}

    def rank(f: Finding) -> tuple:
        level = (
            SEVERITY_ORDER.index(severities[f.rule_id])
            if f.status.value == "fail"
            else len(SEVERITY_ORDER)
        )
        return (level, *f.sort_key)

    return sorted(visible(report), key=rank)


def scope_gaps(report: Report) -> list[str]:
    """Parts of a narrowed criteria scope that no rule of this scan evidences, by category
    (`privacy`) when the whole category is in scope, else by criterion id (`P1.1`)."""
    cat = catalogue()
    scope = set(report.criteria_scope)
    if not scope or scope >= set(cat.criteria):
        return []  # the default scope: every criterion, whatever the rules cover
    evidenced = {c for r in report.rules for c in r.criteria}
    gaps: list[str] = []
    for key in cat.categories:
        ids = [c for c in cat.criteria if cat.category_of(c) == key]
        wanted = [c for c in ids if c in scope]
        if wanted and not evidenced.intersection(wanted):
            gaps.extend([key] if wanted == ids else wanted)
    return gaps


def scope_warning(report: Report) -> str:
    """One line saying which criteria in scope this scan checks nothing for, or ""."""
    gaps = scope_gaps(report)
    if not gaps:
        return ""
    if not report.rules:
        return f"the criteria in scope ({', '.join(gaps)}) select no rule: nothing was checked"
    return f"no rule in this scan evidences {', '.join(gaps)}: nothing was checked for it"


def summary(report: Report) -> dict:
    """Counts by status, by severity of failures, and by criterion."""
    # counted per (rule, status) first: a rule's criteria are the same for all its results
    per_rule = report.counts()
    by_status: Counter = Counter()
    severities = {r.id: r.severity for r in report.rules}
    by_severity: Counter = Counter()
    criteria: dict[str, Counter] = {}
    rules = {r.id: r for r in report.rules}
    for (rule_id, member), count in per_rule.items():
        status = member.value
        by_status[status] += count
        for c in rules[rule_id].criteria:
            criteria.setdefault(c, Counter())[status] += count
        if member is Status.FAIL:  # the failing results, by their rule's severity
            by_severity[severities[rule_id]] += count
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


def coverage_summary(report: Report) -> list[str]:
    """Lines saying how much of what was found was checked: resources a rule judged, files
    read, files not read and why (counted; each is listed in JSON, SARIF and evidence)."""
    cov = report.coverage or {}
    if not cov:
        return []
    resources = cov["resources"]
    judged = resources["judged"]
    unjudged = sum(t["resources"] for t in resources["uncovered"])
    files = cov["files"]
    out = [
        f"coverage: {judged - unjudged} of {judged} resources judged by a rule, "
        f"{files['checked']} files read"
    ]
    by = files["by_category"]
    if by:
        out.append(
            "not checked: " + ", ".join(f"{count} {name}" for name, count in sorted(by.items()))
        )
    return out
