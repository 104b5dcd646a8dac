"""Exceptions with reasons: inline markers, Kubernetes annotations, and (opt-in) peers' markers.

    # soc2lint:ignore SOC2-AWS-001 reason="public website bucket" until=2026-12-31

A marker suppresses a rule's result on its own line or the line below it: the finding's line or
its resource's header line. A marker without a reason, or past its `until` date, suppresses
nothing and is reported. With `honor_peers`, Checkov, tfsec, Trivy, KICS and zizmor markers
suppress the soc2lint rules whose `references` name the peer's id.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import defaultdict
from dataclasses import dataclass

from soc2lint.engine.rules import Rule
from soc2lint.model import Finding, Resource, Suppression

_OURS = re.compile(r"soc2lint:ignore\s+([A-Za-z0-9_.-]+)([^\n]*)")
_REASON = re.compile(r"""reason\s*=\s*(?:"((?:[^"\\]|\\.)*)"|'((?:[^'\\]|\\.)*)')""")
_UNTIL = re.compile(r"until\s*=\s*(\S+)")
_PEERS = [
    ("checkov", re.compile(r"checkov:skip=([A-Za-z0-9_]+)(?::([^\n]*))?")),
    ("tfsec", re.compile(r"tfsec:ignore:([A-Za-z0-9-]+)")),
    ("trivy", re.compile(r"trivy:ignore:([A-Za-z0-9-]+)")),
    ("kics", re.compile(r"kics-scan\s+ignore-line()")),
    ("zizmor", re.compile(r"zizmor:\s*ignore\[([A-Za-z0-9_,\s-]+)\]")),
]
_HINTS = ("soc2lint:ignore", "checkov:skip", "tfsec:ignore", "trivy:ignore", "kics-scan", "zizmor:")
ANNOTATION = "soc2lint.io/ignore."


@dataclass(frozen=True)
class Marker:
    path: str
    line: int
    rule: str  # a rule id or name, or a peer's id ("" for kics ignore-line)
    source: str  # soc2lint | checkov | tfsec | trivy | kics | zizmor | annotation
    reason: str
    until: str | None
    problem: str = ""  # set when the marker cannot suppress: no reason, bad date


def find_markers(path: str, text: str) -> list[Marker]:
    """Every suppression marker in a file's comments (cheap when there is none)."""
    if not any(h in text for h in _HINTS):
        return []
    markers: list[Marker] = []
    for number, line in enumerate(text.splitlines(), start=1):
        if "soc2lint:ignore" in line:
            markers.extend(_ours(path, number, line))
        for peer, pattern in _PEERS:
            for match in pattern.finditer(line):
                ids = [i.strip() for i in match.group(1).split(",")] if match.group(1) else [""]
                comment = (match.group(2) or "").strip() if peer == "checkov" else ""
                reason = comment or f"{peer} marker honoured by --honor-peer-suppressions"
                markers.extend(Marker(path, number, i, peer, reason, None) for i in ids)
    return markers


def _ours(path: str, number: int, line: str) -> list[Marker]:
    out = []
    for match in _OURS.finditer(line):
        rest = match.group(2)
        reason_match = _REASON.search(rest)
        reason = (reason_match.group(1) or reason_match.group(2) or "") if reason_match else ""
        until_match = _UNTIL.search(rest)
        until = until_match.group(1).strip("\"'") if until_match else None
        problem = "" if reason.strip() else 'no reason="..." given, so it does not suppress'
        if until is not None and not problem:
            try:
                dt.date.fromisoformat(until)
            except ValueError:
                problem = f"until={until} is not a date (YYYY-MM-DD), so it does not suppress"
        out.append(Marker(path, number, match.group(1), "soc2lint", reason.strip(), until, problem))
    return out


def annotation_markers(resource: Resource) -> list[Marker]:
    """`metadata.annotations["soc2lint.io/ignore.<RULE-ID>"]: "<reason> [until=YYYY-MM-DD]"`."""
    meta = resource.attributes.get("metadata")
    annotations = meta.get("annotations") if isinstance(meta, dict) else None
    if not isinstance(annotations, dict):
        return []
    out = []
    for key, value in annotations.items():
        if not str(key).startswith(ANNOTATION):
            continue
        text = str(value or "")
        until_match = _UNTIL.search(text)
        until = until_match.group(1) if until_match else None
        reason = _UNTIL.sub("", text).strip()
        location = resource.location_of(f"metadata.annotations.{key}")
        problem = "" if reason else "annotation has no reason, so it does not suppress"
        out.append(
            Marker(
                location.path,
                location.start_line,
                str(key)[len(ANNOTATION) :],
                "annotation",
                reason,
                until,
                problem,
            )
        )
    return out


@dataclass
class Outcome:
    kept: list[Finding]
    suppressed: list[tuple[Finding, Suppression]]
    problems: list[dict]  # markers that did not suppress (and unused ones, when asked)


def apply(
    findings: list[Finding],
    markers: dict[str, list[Marker]],
    resources: list[Resource],
    rules: list[Rule],
    today: dt.date,
    honor_peers: bool = False,
    report_unused: bool = False,
) -> Outcome:
    """Split findings into kept and suppressed; say which markers did not work and why."""
    by_id = {r.id: r for r in rules}
    known = {r.id for r in rules} | {r.name for r in rules}
    by_path: dict[str, list[Marker]] = defaultdict(list)
    for path, items in markers.items():
        by_path[path].extend(items)
    annotations: dict[str, list[Marker]] = {}
    for res in resources:
        found = annotation_markers(res) if res.platform == "kubernetes" else []
        if found:
            annotations[res.address] = found
    used: set[Marker] = set()
    problems: dict[Marker, str] = {}
    kept: list[Finding] = []
    suppressed: list[tuple[Finding, Suppression]] = []
    for finding in findings:
        if finding.status.value == "pass":
            kept.append(finding)
            continue
        rule = by_id.get(finding.rule_id)
        candidates = _candidates(finding, by_path) + annotations.get(finding.resource, [])
        chosen = None
        for marker in candidates:
            if not _names(marker, rule, honor_peers):
                continue
            problem = marker.problem or _expired(marker, today)
            if problem:
                problems[marker] = problem
                continue
            chosen = marker
            break
        if chosen is None:
            kept.append(finding)
            continue
        used.add(chosen)
        suppressed.append(
            (
                finding,
                Suppression(
                    finding.rule_id,
                    chosen.path,
                    chosen.line,
                    chosen.reason,
                    chosen.until,
                    chosen.source,
                ),
            )
        )
    for items in list(by_path.values()) + list(annotations.values()):
        for marker in items:
            if marker.source in ("soc2lint", "annotation") and marker.rule not in known:
                problems[marker] = f"no rule {marker.rule!r}"
            elif marker.problem and marker not in problems and marker.source == "soc2lint":
                problems[marker] = marker.problem
            elif (
                report_unused
                and marker not in used
                and marker not in problems
                and (marker.source in ("soc2lint", "annotation") or honor_peers)
            ):
                problems[marker] = "unused: it suppresses nothing"
    listed = [
        {"path": m.path, "line": m.line, "rule": m.rule, "source": m.source, "problem": why}
        for m, why in problems.items()
    ]
    listed.sort(key=lambda p: (p["path"], p["line"], p["rule"]))
    return Outcome(kept, suppressed, listed)


def _candidates(finding: Finding, by_path: dict[str, list[Marker]]) -> list[Marker]:
    loc, header = finding.location, finding.resource_location or finding.location
    near = {
        (loc.path, loc.start_line),
        (loc.path, loc.start_line - 1),
        (header.path, header.start_line),
        (header.path, header.start_line - 1),
    }
    out = []
    for path in {loc.path, header.path}:
        for marker in by_path.get(path, []):
            inside = header.start_line <= marker.line <= header.end_line and path == header.path
            if (
                (marker.path, marker.line) in near
                or marker.source == "kics"
                and marker.line + 1 == loc.start_line
            ):
                out.append(marker)
            elif marker.source == "checkov" and inside:
                out.append(marker)  # Checkov's skip comments live anywhere in the block
    return sorted(out, key=lambda m: (m.source != "soc2lint", m.line))


def _names(marker: Marker, rule: Rule | None, honor_peers: bool) -> bool:
    if rule is None:
        return False
    if marker.source in ("soc2lint", "annotation"):
        return marker.rule in (rule.id, rule.name)
    if not honor_peers:
        return False
    refs = rule.references.get(marker.source, ())
    if marker.source == "kics":
        return bool(refs)
    if marker.source == "tfsec":
        refs = refs + rule.references.get("trivy", ())
    if marker.source == "trivy":
        refs = refs + rule.references.get("tfsec", ())
    return marker.rule in refs


def _expired(marker: Marker, today: dt.date) -> str:
    if marker.until is None:
        return ""
    try:
        until = dt.date.fromisoformat(marker.until)
    except ValueError:
        return f"until={marker.until} is not a date (YYYY-MM-DD), so it does not suppress"
    if until < today:
        return f"expired on {marker.until}: it no longer suppresses"
    return ""
