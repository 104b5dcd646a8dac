"""JSON output: a documented, stable shape (see README, "JSON output")."""

from __future__ import annotations

import json
from collections.abc import Callable
from json.encoder import encode_basestring as _unicode_string
from json.encoder import encode_basestring_ascii as _string

from soc2lint.engine.rules import Rule
from soc2lint.model import Finding, Suppression
from soc2lint.reporters.common import fingerprint, summary, visible
from soc2lint.scan import Report

# 1.1: findings gained instances and scope (soc2lint/schemas/report.schema.json)
SCHEMA_VERSION = "1.1"


def _finding(f: Finding, rule: Rule, status: str | None = None) -> dict:
    entry = {
        "rule_id": f.rule_id,
        "rule_name": rule.name,
        "status": status or f.status.value,
        "severity": rule.severity,
        "criteria": list(rule.criteria),
        "resource": f.resource,
        "resource_type": f.resource_type,
        "path": f.location.path,
        "start_line": f.location.start_line,
        "end_line": f.location.end_line,
        "message": f.message,
        "fingerprint": fingerprint(f),
        # module call sites that instantiated the resource, outermost first; a finding that
        # stands for several instances (a module several root modules call) lists every one
        "call_sites": [{"path": c.path, "line": c.start_line} for c in f.call_sites],
        "instances": f.instances,
        # "repository": about the repository as a whole (path ".", lines 0), else "file"
        "scope": "repository" if f.location.repository_level else "file",
    }
    if f.value_source:
        # a rendered Helm object: the values file or --set the deciding value came from, or
        # the inputs it was rendered with when none of them set it
        entry["value_source"] = {"text": f.value_source, "values_files": list(f.value_files)}
    return entry


def render(report: Report, **_options: object) -> str:
    try:
        return _dumps(_document(report, _Entries.of(report)))
    except _Other:  # a value only the json module writes: the whole document its way
        return json.dumps(_document(report, _dict_entries(report)), indent=2) + "\n"


def _dict_entries(report: Report) -> list[dict]:
    rules = {r.id: r for r in report.rules}
    findings = [_finding(f, rules[f.rule_id]) for f in visible(report)]
    for f, s in report.suppressed:
        entry = _finding(f, rules[f.rule_id], "suppressed")
        entry["suppression"] = _suppression(f, s)
        findings.append(entry)
    findings.sort(key=lambda e: (e["path"], e["start_line"], e["rule_id"], e["resource"]))
    return findings


def _suppression(f: Finding, s: Suppression) -> dict:
    """The exception that covers a result, as a suppressed finding's entry shows it."""
    return {
        "reason": s.reason,
        "expires": s.expires,
        "source": s.source,
        "path": s.path,
        "line": s.line,
        "status": f.status.value,
    }


def _document(report: Report, findings: list) -> dict:
    return {
        "version": SCHEMA_VERSION,
        "tool": {"name": "soc2lint", "version": report.tool_version},
        "findings": findings,
        "errors": [{"path": e.path, "line": e.line, "message": e.message} for e in report.errors]
        + [{"rule_error": msg} for msg in report.rule_errors],
        "skipped": [{"path": s.path, "reason": s.reason} for s in report.skipped],
        "unavailable_modules": report.unavailable_modules,
        "notes": report.notes,
        "suppression_problems": report.suppression_problems,
        "baseline": report.baseline,
        "diff": report.diff,
        "summary": summary(report),
        # what was not checked: files not read and why, resource types no rule judges
        "coverage": report.coverage,
        "unsupported": report.unsupported,
        "excluded": report.excluded,
    }


# The findings are most of a report (tens of thousands in a monorepo) and, written through
# _emit one dict at a time, most of its writing time. _Entries writes each finding's text
# directly, at the one depth findings have in the document, with the parts a rule's results
# share (id, name, status, severity, criteria) and each call site written once; the text is
# what _emit writes for _finding's dict, byte for byte (tests/test_json_writer.py).
_KEY = "\n      "  # a finding's keys: in the document, in "findings", in an entry
_SITE = "\n        "  # a call site in "call_sites"


class _Quoted(dict):
    """text -> its JSON string: a report repeats most texts (paths, addresses, messages)."""

    def __missing__(self, text: str) -> str:
        quoted = self[text] = _string(text)
        return quoted


class _Entries(list):
    """The "findings" array as the texts of its entries, in order."""

    @classmethod
    def of(cls, report: Report) -> _Entries:
        rules = {r.id: r for r in report.rules}
        heads: dict[tuple, str] = {}
        sites: dict[int, str] = {}  # id(Location) -> its text: the report holds every one
        quoted = _Quoted()

        def text(f: Finding, status: str, extra: str = "") -> tuple[tuple, str]:
            loc = f.location
            path, line = loc.path, loc.start_line
            head = heads.get((f.rule_id, status))
            if head is None:
                rule = rules[f.rule_id]
                head = heads[f.rule_id, status] = (
                    f'{{{_KEY}"rule_id": {_string(f.rule_id)},{_KEY}"rule_name": '
                    f'{_string(rule.name)},{_KEY}"status": {_string(status)},{_KEY}'
                    f'"severity": {_string(rule.severity)},{_KEY}"criteria": '
                    f"{_text(list(rule.criteria), _KEY)}"
                )
            if f.call_sites:
                parts = []
                for site in f.call_sites:
                    part = sites.get(id(site))
                    if part is None:
                        part = sites[id(site)] = (
                            f'{{{_SITE}  "path": {_string(site.path)},{_SITE}  "line": '
                            f"{int.__repr__(site.start_line)}{_SITE}}}"
                        )
                    parts.append(part)
                calls = f"[{_SITE}{(',' + _SITE).join(parts)}{_KEY}]"
            else:
                calls = "[]"
            if f.value_source:
                extra = (
                    f',{_KEY}"value_source": '
                    + _text({"text": f.value_source, "values_files": list(f.value_files)}, _KEY)
                    + extra
                )
            # Location.repository_level, without a property call per finding
            scope = '"repository"' if path == "." and line == 0 else '"file"'
            return (path, line, f.rule_id, f.resource), (
                f'{head},{_KEY}"resource": {quoted[f.resource]},{_KEY}"resource_type": '
                f'{quoted[f.resource_type]},{_KEY}"path": {quoted[path]},{_KEY}'
                f'"start_line": {int.__repr__(line)},{_KEY}"end_line": '
                f'{int.__repr__(loc.end_line)},{_KEY}"message": {quoted[f.message]},{_KEY}'
                f'"fingerprint": "{fingerprint(f)}",{_KEY}"call_sites": {calls},{_KEY}'
                f'"instances": {int.__repr__(f.instances)},{_KEY}"scope": {scope}{extra}'
                "\n    }"
            )

        entries = [text(f, f.status.value) for f in visible(report)]
        for f, s in report.suppressed:
            suppression = _text(_suppression(f, s), _KEY)
            entries.append(text(f, "suppressed", f',{_KEY}"suppression": ' + suppression))
        entries.sort(key=lambda entry: entry[0])
        return cls(entry for _key, entry in entries)


def _text(value: object, newline: str) -> str:
    out: list[str] = []
    _emit(value, newline, out)
    return "".join(out)


def _dumps(doc: dict, ensure_ascii: bool = True) -> str:
    """json.dumps(doc, indent=2, ensure_ascii=ensure_ascii) + newline, byte for byte, in about
    half the time: Python's encoder indents only in pure Python, through generators, and a
    repository's tens of thousands of findings took seconds that way (the SARIF report writes
    its log here too). Anything but plain JSON values (a key that is not a string, a float) is
    left to json.dumps."""
    out: list[str] = []
    try:
        _emit(doc, "\n", out, _string if ensure_ascii else _unicode_string)
    except _Other:
        return json.dumps(doc, indent=2, ensure_ascii=ensure_ascii) + "\n"
    out.append("\n")
    return "".join(out)


class _Other(Exception):
    """A value _emit leaves to the json module."""


def _emit(
    value: object, newline: str, out: list[str], quote: Callable[[str], str] = _string
) -> None:
    """value written as json.dumps(indent=2) writes it at this depth, its texts by quote."""
    kind = type(value)
    if kind is str:
        out.append(quote(value))  # type: ignore[arg-type]
    elif kind is dict or kind is list or kind is tuple:
        if not value:
            out.append("{}" if kind is dict else "[]")
            return
        inner = newline + "  "
        out.append("{" if kind is dict else "[")
        between = inner
        if kind is dict:
            for key, item in value.items():  # type: ignore[union-attr]
                if type(key) is not str:
                    raise _Other
                named = between + quote(key) + ": "
                between = "," + inner
                # most values are text or numbers: written here, without a call each
                if type(item) is str:
                    out.append(named + quote(item))
                elif type(item) is int:
                    out.append(named + int.__repr__(item))
                else:
                    out.append(named)
                    _emit(item, inner, out, quote)
        else:
            for item in value:  # type: ignore[union-attr]
                out.append(between)
                _emit(item, inner, out, quote)
                between = "," + inner
        out.append(newline + ("}" if kind is dict else "]"))
    elif value is None:
        out.append("null")
    elif value is True:
        out.append("true")
    elif value is False:
        out.append("false")
    elif kind is int:
        out.append(int.__repr__(value))  # type: ignore[arg-type]
    elif kind is _Entries:  # texts written at this depth already
        if not value:
            out.append("[]")
            return
        # each entry a part of out, not one string of them all: the document is joined once,
        # and the findings' text is not held a third time meanwhile
        inner = newline + "  "
        between = "," + inner
        out.append("[" + inner)
        out.append(value[0])  # type: ignore[index]
        for entry in value[1:]:  # type: ignore[index]
            out.append(between)
            out.append(entry)
        out.append(newline + "]")
    else:
        raise _Other
