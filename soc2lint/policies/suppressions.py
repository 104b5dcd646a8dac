"""Exceptions with reasons: inline markers, Kubernetes annotations, and (opt-in) peers' markers.

    # soc2lint:ignore SOC2-AWS-001 reason="public website bucket" until=2026-12-31

A marker suppresses a rule's result on its own line or the line below it; a marker in a run of
comment lines (or a `/* ... */` block) applies to the line after the run. On or above a
resource's first line it covers the whole resource; on an attribute it covers that attribute
only, so a marker on one container's setting never hides another container's. A marker without
a reason, or past its `until` date, suppresses nothing and is reported; a marker naming a rule
that exists but is not part of this scan is left alone. With `honor_peers`, Checkov, tfsec,
Trivy, KICS and zizmor markers suppress the soc2lint rules whose `references` name the peer's id.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import defaultdict
from dataclasses import replace
from typing import Any

from soc2lint.engine.evaluate import (
    PASS,
    Evaluator,
    combine_all,
    combine_any,
    lazy_text,
    make_finding,
    resolve,
)
from soc2lint.engine.evaluate import Outcome as Result
from soc2lint.engine.linear_regex import Lazy
from soc2lint.engine.rules import All, AnyOf, Attr, Condition, Connected, Each, Not, Rule
from soc2lint.graph import ResourceGraph
from soc2lint.model import Finding, Resource, Suppression, record

# `soc2lint:ignore ID`, and the variants people write: `soc2lint: ignore ID`, `soc2lint:ignore:ID`,
# `SOC2LINT:IGNORE ID`, `soc2lint:ignore ID1,ID2`; without an id it is reported as malformed
_OURS = Lazy(
    r"soc2lint\s*:\s*ignore(?![A-Za-z0-9_-])(?:\s*[:=]\s*|\s*)"
    r"((?:{id}(?:\s*,\s*{id})*)?)([^\n]*)".format(id=r"[A-Za-z0-9_.-]+(?![A-Za-z0-9_.-]|\s*=)"),
    re.IGNORECASE,
)
_RULE_ID = Lazy(r"^[A-Za-z0-9]+(?:-[A-Za-z0-9]+)+$")
_REASON = Lazy(r"""reason\s*=\s*(?:"((?:[^"\\]|\\.)*)"|'((?:[^'\\]|\\.)*)')""")
# a date ends at whitespace or a comment terminator: `until=2099-01-01*/`, `-->`
_UNTIL = Lazy(r"until\s*=\s*(\S+?)(?=\*/|-->|\s|$)")
_PEERS = [
    ("checkov", Lazy(r"checkov:skip=([A-Za-z0-9_]+)(?::([^\n]*))?")),
    ("tfsec", Lazy(r"tfsec:ignore:([A-Za-z0-9-]+)")),
    ("trivy", Lazy(r"trivy:ignore:([A-Za-z0-9-]+)")),
    ("kics", Lazy(r"kics-scan\s+ignore-line()")),
    ("zizmor", Lazy(r"zizmor:\s*ignore\[([A-Za-z0-9_,\s-]+)\]")),
]
_HINTS = ("soc2lint", "checkov:skip", "tfsec:ignore", "trivy:ignore", "kics-scan", "zizmor:")
ANNOTATION = "soc2lint.io/ignore."


@record(frozen=True)
class Marker:
    path: str
    line: int
    rule: str  # a rule id or name, or a peer's id ("" for kics ignore-line)
    source: str  # soc2lint | checkov | tfsec | trivy | kics | zizmor | annotation
    reason: str
    until: str | None
    problem: str = ""  # set when the marker cannot suppress: no reason, bad date
    # the code line a marker on a comment-only line applies to: the first line after its run of
    # comment lines or its /* */ block (0: none, e.g. a trailing comment or a blank line after)
    target: int = 0

    def covers(self) -> set[int]:
        """The lines this marker suppresses results on."""
        return {self.line, self.line + 1} | ({self.target} if self.target else set())


def find_markers(path: str, text: str) -> list[Marker]:
    """Every suppression marker in a file's comments (cheap when there is none). Only comment
    text counts: a marker inside a string, a tag value, a heredoc or a YAML block scalar (an
    env value, a `run:` script) is data, and suppresses nothing."""
    folded = text.lower()
    if not any(h in folded for h in _HINTS):
        return []
    markers: list[Marker] = []
    lines = text.splitlines()
    comment = _comment_lines(lines)
    for number, line in enumerate(_comment_text(lines), start=1):
        found: list[Marker] = []
        if "soc2lint" in line.lower():
            found.extend(_ours(path, number, line))
        for peer, pattern in _PEERS:
            for match in pattern.finditer(line):
                ids = [i.strip() for i in match.group(1).split(",")] if match.group(1) else [""]
                note = (match.group(2) or "").strip() if peer == "checkov" else ""
                reason = note or f"{peer} marker honoured by --honor-peer-suppressions"
                found.extend(Marker(path, number, i, peer, reason, None) for i in ids)
        if found and comment[number - 1]:
            after = number
            while after < len(lines) and comment[after]:
                after += 1
            if after < len(lines) and lines[after].strip():
                found = [replace(m, target=after + 1) for m in found]
        markers.extend(found)
    return markers


_HEREDOC = Lazy(r"<<-?\s*([A-Za-z_][A-Za-z0-9_-]*)\s*$")
# a line that opens a YAML block scalar (`key: |`, `- >-`); RE2, so a long line costs linear time
_BLOCK_SCALAR = Lazy(
    r"""^(\s*)(?:-\s+)*(?:[^#'"\s][^#]*?:\s+|-\s+)?[|>][-+0-9]*\s*(?:#.*)?$""", linear=True
)


def _comment_text(lines: list[str]) -> list[str]:
    """Each line's comment text ("" when it has none): what follows `#` or `//` outside a
    quoted string (at the start or after a blank), the inside of `/* ... */`, and nothing of a
    Terraform heredoc body or a YAML block scalar (`key: |` and the lines indented below it)."""
    out: list[str] = []
    in_block = False
    heredoc: str | None = None
    scalar_indent: int | None = None  # inside a YAML block scalar: the key line's indentation
    for line in lines:
        stripped = line.strip()
        if heredoc is not None:
            out.append("")
            if stripped == heredoc:
                heredoc = None
            continue
        if scalar_indent is not None:
            indent = len(line) - len(line.lstrip())
            if not stripped or indent > scalar_indent:
                out.append("")
                continue
            scalar_indent = None
        if in_block:
            if "*/" in line:
                in_block = False
                out.append(line.split("*/", 1)[0])
            else:
                out.append(line)
            continue
        comment, in_block = _split_comment(line)
        out.append(comment)
        code = line[: len(line) - len(comment)] if comment else line
        match = _HEREDOC.search(code.rstrip())
        if match and not in_block:
            heredoc = match.group(1)
        elif _BLOCK_SCALAR.match(code.rstrip() or "x") and not in_block:
            scalar_indent = len(line) - len(line.lstrip())
    return out


def _split_comment(line: str) -> tuple[str, bool]:
    """(the comment part of one line, whether a `/*` block stays open past it)."""
    if "#" not in line and "/" not in line:  # a comment starts only at `#`, `//` or `/*`
        return "", False
    quote = ""
    i = 0
    while i < len(line):
        ch = line[i]
        if quote:
            if ch == "\\" and quote == '"':
                i += 2
                continue
            if ch == quote:
                quote = ""
        elif ch in "\"'":
            # a YAML single quote inside a plain word (it's) opens nothing
            if ch == '"' or i == 0 or not line[i - 1].isalnum():
                quote = ch
        elif i == 0 or line[i - 1] in " \t":
            if ch == "#" or line.startswith("//", i):
                return line[i:], False
            if line.startswith("/*", i):
                rest = line[i + 2 :]
                if "*/" in rest:
                    return rest.split("*/", 1)[0], False
                return line[i:], True
        i += 1
    return "", False


def _comment_lines(lines: list[str]) -> list[bool]:
    """Which lines hold nothing but comment: `#`, `//`, or a line of a `/* ... */` block."""
    out: list[bool] = []
    in_block = False
    for line in lines:
        text = line.strip()
        if in_block:
            if "*/" in text:
                in_block = False
                out.append(not text.split("*/", 1)[1].strip())
            else:
                out.append(True)
        elif text.startswith(("#", "//")):
            out.append(True)
        elif text.startswith("/*"):
            rest = text[2:]
            if "*/" in rest:
                out.append(not rest.split("*/", 1)[1].strip())
            else:
                in_block = True
                out.append(True)
        else:
            out.append(False)
    return out


def _ours(path: str, number: int, line: str) -> list[Marker]:
    out = []
    for match in _OURS.finditer(line):
        rest = match.group(2)
        reason_match = _REASON.search(rest)
        reason = (reason_match.group(1) or reason_match.group(2) or "") if reason_match else ""
        # `until=` written inside the reason's quotes is part of the reason, not the expiry
        outside = (
            rest[: reason_match.start()] + rest[reason_match.end() :] if reason_match else rest
        )
        until_match = _UNTIL.search(outside)
        until = until_match.group(1).strip("\"'") if until_match else None
        problem = "" if reason.strip() else 'no reason="..." given, so it does not suppress'
        if until is not None and not problem:
            try:
                dt.date.fromisoformat(until)
            except ValueError:
                problem = f"until={until} is not a date (YYYY-MM-DD), so it does not suppress"
        ids = [i.strip() for i in match.group(1).split(",") if i.strip()]
        if not ids:
            problem = "malformed marker: no rule id after soc2lint:ignore, so it does not suppress"
            ids = [""]
        for rule in ids:
            # ids are upper case (SOC2-AWS-001); names are kebab-case and stay as written
            if rule.upper().startswith("SOC2-") and _RULE_ID.match(rule):
                rule = rule.upper()
            out.append(Marker(path, number, rule, "soc2lint", reason.strip(), until, problem))
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


@record()
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
    known: set[str] | None = None,
) -> Outcome:
    """Split findings into kept and suppressed; say which markers did not work and why.

    `rules` are the rules of this scan; `known` every rule id and name that exists (rules out of
    scope, disabled or not selected included): a marker naming one of those is not a problem.
    """
    by_id = {r.id: r for r in rules}
    in_scan = {r.id for r in rules} | {r.name for r in rules}
    by_path: dict[str, list[Marker]] = defaultdict(list)
    for path, items in markers.items():
        by_path[path].extend(items)
    annotations: dict[str, list[Marker]] = {}
    for res in resources:
        found = annotation_markers(res) if res.platform == "kubernetes" else []
        if found:
            annotations[res.address] = found
    subjects = {(r.address, r.location.path, r.location.start_line): r for r in resources}
    used: set[Marker] = set()
    problems: dict[Marker, str] = {}
    kept: list[Finding] = []
    suppressed: list[tuple[Finding, Suppression]] = []

    def usable(marker: Marker, rule: Rule | None) -> bool:
        if not _names(marker, rule, honor_peers):
            return False
        problem = marker.problem or _expired(marker, today)
        if problem:
            problems[marker] = problem
            return False
        return True

    for finding in findings:
        if finding.status.value == "pass":
            kept.append(finding)
            continue
        rule = by_id.get(finding.rule_id)
        candidates = _candidates(finding, by_path)
        candidates += [(m, True) for m in annotations.get(finding.resource, [])]
        chosen = None
        partly = False  # an attribute's marker accepted a value, another value still fails
        for marker, whole in candidates:
            if partly and not whole or not usable(marker, rule):
                continue
            header = finding.resource_location or finding.location
            subject = subjects.get((finding.resource, header.path, header.start_line))
            if not whole and rule is not None and subject is not None:
                # a marker on an attribute covers that attribute: another failing value of the
                # same resource (a second container) still fails the rule, and is reported
                inside = [
                    m
                    for m, w in _candidates(finding, by_path, every_line=True)
                    if not w
                    and _names(m, rule, honor_peers)
                    and not (m.problem or _expired(m, today))
                ]
                rest, accepting = _still_failing(rule, subject, inside)
                used.update(accepting)
                if rest is not None:
                    finding, partly = rest, True
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
    known_names: set[str] | None = known
    for items in list(by_path.values()) + list(annotations.values()):
        for marker in items:
            ours = marker.source in ("soc2lint", "annotation")
            if ours and not marker.rule and marker.problem:  # malformed: it names no rule
                problems[marker] = marker.problem
            elif ours and marker.rule not in in_scan:
                if known_names is None:
                    known_names = _bundled_names()
                if marker.rule not in known_names:
                    problems[marker] = f"no rule {marker.rule!r}"
                elif marker.problem and marker.source == "soc2lint":
                    problems[marker] = marker.problem
                # else: the rule exists but this scan does not run it, so nothing to judge
            elif marker.problem and marker not in problems and marker.source == "soc2lint":
                problems[marker] = marker.problem
            elif (
                report_unused
                and marker not in used
                and marker not in problems
                and (ours or honor_peers)
            ):
                problems[marker] = "unused: it suppresses nothing"
    listed = [
        {"path": m.path, "line": m.line, "rule": m.rule, "source": m.source, "problem": why}
        for m, why in problems.items()
    ]
    listed.sort(key=lambda p: (p["path"], p["line"], p["rule"]))
    kept.sort(key=lambda f: f.sort_key)
    return Outcome(kept, suppressed, listed)


def _bundled_names() -> set[str]:
    from soc2lint.engine.rules import load_rules

    return {n for r in load_rules() for n in (r.id, r.name)}


def _candidates(
    finding: Finding, by_path: dict[str, list[Marker]], every_line: bool = False
) -> list[tuple[Marker, bool]]:
    """Markers that may suppress a finding, each with True when it covers the whole resource
    (on or above its first line), False when it covers the finding's attribute line. With
    every_line, markers on any attribute of the resource."""
    loc, header = finding.location, finding.resource_location or finding.location
    out = []
    for path in {loc.path, header.path}:
        for marker in by_path.get(path, []):
            lines = marker.covers()
            inside = header.start_line <= marker.line <= header.end_line and path == header.path
            if path == header.path and header.start_line in lines:
                out.append((marker, True))
            elif path == loc.path and loc.start_line in lines:
                out.append((marker, False))
            elif marker.source == "checkov" and inside:
                out.append((marker, True))  # Checkov's skip comments live anywhere in the block
            elif every_line and inside and marker.line > header.start_line:
                out.append((marker, False))
    return sorted(out, key=lambda p: (p[0].source != "soc2lint", p[0].line))


def _still_failing(
    rule: Rule, subject: Resource, markers: list[Marker]
) -> tuple[Finding | None, set[Marker]]:
    """The rule's result on the resource when the values these markers sit on are accepted: a
    finding when some other value still fails (or is unknown), else None; and the markers that
    accepted a value that would have failed."""
    condition = rule.condition_for(subject.platform, subject.type) or rule.condition
    if _has_connected(condition):
        return None, set()  # the graph is not at hand here; the marker covers the result
    lines = {(m.path, line) for m in markers for line in m.covers()}
    evaluator = _Excusing(subject, lines)
    outcome = evaluator.check(condition, subject, subject.attributes)
    accepting = {m for m in markers if any((m.path, n) in evaluator.accepted for n in m.covers())}
    if outcome.status is PASS:
        return None, accepting
    finding = make_finding(rule, subject, outcome)
    if (finding.location.path, finding.location.start_line) in lines:
        return None, accepting
    return finding, accepting


def _has_connected(cond: Condition) -> bool:
    if isinstance(cond, Connected):
        return True
    if isinstance(cond, (All, AnyOf)):
        return any(_has_connected(c) for c in cond.items)
    if isinstance(cond, Not):
        return _has_connected(cond.item)
    if isinstance(cond, Each):
        return _has_connected(cond.condition)
    return False


class _Excusing(Evaluator):
    """Evaluates as usual, except that a value on a line an attribute marker covers is accepted."""

    def __init__(self, subject: Resource, excused: set[tuple[str, int]]) -> None:
        super().__init__(ResourceGraph())  # conditions with links are not re-evaluated
        self.subject = subject
        self.excused = excused
        self.accepted: set[tuple[str, int]] = set()  # excused lines whose value would not pass

    def _line(self, path: str) -> tuple[str, int]:
        loc = self.subject.location_of(path)
        return loc.path, loc.start_line

    def _attr(self, cond: Attr, value: Any, prefix: str) -> Result:
        if cond.op in ("written", "exists", "absent") or cond.to_path is not None:
            return super()._attr(cond, value, prefix)
        present = [m for m in resolve(value, cond.path, prefix) if m.value is not None]
        rest = [m for m in present if self._line(m.path) not in self.excused]
        if len(rest) == len(present):
            return super()._attr(cond, value, prefix)
        # each value on its own, named by the rule's path in the message
        shown, single = ".".join(cond.path), replace(cond, path=())
        for m in present:
            if m not in rest and super()._attr(single, m.value, m.path).status is not PASS:
                self.accepted.add(self._line(m.path))
        if not rest:
            return Result(PASS, None, present[0].path, "accepted by a marker")
        outcomes = []
        for m in rest:
            one = super()._attr(single, m.value, m.path)
            outcomes.append(one._replace(detail=lambda d=one.detail: f"{shown}{lazy_text(d)}"))
        return combine_all(outcomes) if cond.match == "all" else combine_any(outcomes)


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
