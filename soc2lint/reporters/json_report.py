"""JSON output: a documented, stable shape (see README, "JSON output")."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from json.encoder import encode_basestring as _unicode_string
from json.encoder import encode_basestring_ascii as _string
from operator import attrgetter

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
    return "".join(pieces(report))


def pieces(report: Report, **_options: object) -> Iterator[str]:
    """The report's text in pieces of about a megabyte, in order: a monorepo's report is
    hundreds of megabytes, and written a piece at a time it is never held whole (nor every
    finding's text), only the findings, sorted, and the document around them."""
    try:
        entries = _Entries(report)
        entries.check()
        parts = _parts(_document(report, entries))
    except _Other:  # a value only the json module writes: the whole document its way
        yield json.dumps(_document(report, _dict_entries(report)), indent=2) + "\n"
        return
    yield from _written(parts)


def _written(parts: list) -> Iterator[str]:
    """The pieces of _parts' parts: its texts, and each _Later's pieces in its place."""
    for part in parts:
        if type(part) is str:
            yield part
        else:
            yield from part.pieces()


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


def _document(report: Report, findings: list | _Later) -> dict:
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


# The findings are most of a report (hundreds of thousands in a monorepo) and, written through
# _emit one dict at a time, most of its writing time. _Entries writes each finding's text
# directly, at the one depth findings have in the document, with the parts a rule's results
# share (id, name, status, severity, criteria), each place and each chain of call sites written
# once; the text is what _emit writes for _finding's dict, byte for byte
# (tests/test_json_writer.py). The findings are sorted first and each entry is written when its
# piece of the report is, so the text of every entry is never held at once.
_KEY = "\n      "  # a finding's keys: in the document, in "findings", in an entry
_SITE = "\n        "  # a call site in "call_sites"
_PIECE = 2000  # findings given out at a time (about a megabyte of text)


class _Quoted(dict):
    """text -> its JSON string: a report repeats most texts (paths, addresses, messages)."""

    def __missing__(self, text: str) -> str:
        quoted = self[text] = _string(text)
        return quoted


class _Later:
    """A value written in its place by its own pieces() (see _parts): the document around it
    is made first, then it, a piece at a time."""

    def pieces(self) -> Iterator[str]:
        raise NotImplementedError


class _Raw(str):
    """A value's text, as _emit writes it at the depth it stands at: written as it is."""


class _Entries(_Later):
    """The "findings" array: the failing and unknown results and the suppressed ones, with
    their fingerprints, sorted as the document lists them; their text is made by pieces()."""

    def __init__(self, report: Report) -> None:
        self.rules = {r.id: r for r in report.rules}
        shown = visible(report)
        printed = report.fingerprints()
        # the suppressed results after the others: sorted stably, they stay after them at the
        # same place
        self.findings = findings = shown + [f for f, _s in report.suppressed]
        self.printed = printed + [fingerprint(f) for f, _s in report.suppressed]
        # what follows each entry's scope: nothing, or its suppression
        self.extra = [""] * len(shown) + [
            f',{_KEY}"suppression": ' + _text(_suppression(f, s), _KEY)
            for f, s in report.suppressed
        ]
        self.shown = len(shown)
        keys = list(map(_ORDER, findings))
        self.order = sorted(range(len(findings)), key=keys.__getitem__)

    def __len__(self) -> int:
        return len(self.findings)

    def check(self) -> None:
        """_Other now, before a piece is given out, if a value source needs the json module."""
        for f in self.findings:
            if f.value_source:
                _text(_value_source(f), _KEY)

    def pieces(self) -> Iterator[str]:
        """The array's text, a piece at a time."""
        if not self.findings:
            yield "[]"
            return
        findings, printed, extra, shown = self.findings, self.printed, self.extra, self.shown
        rules, quoted = self.rules, _Quoted()
        heads: dict[str, dict[str, str]] = {}  # status -> rule id -> the text before resource
        types: dict[str, str] = {}  # resource type -> its key and value
        messages: dict[str, str] = {}  # message -> its value, up to the fingerprint's
        # id(Location) or id(call sites) -> text: the report holds every one while it is written
        places: dict[int, tuple[str, str]] = {}
        chains: dict[int, str] = {}
        sites: dict[int, str] = {}
        # the entries' parts, joined a piece at a time: an entry made as one string first was
        # twice the time (each a new string of hundreds of characters, copied twice)
        out: list[str] = ["[\n    "]
        size = 0
        between = ""  # before each entry but the first
        numbers: dict[int, str] = {}  # instances -> its text
        for i in self.order:
            f = findings[i]
            (status, rule_id, resource_type, loc, message, calls, source, instances, resource) = (
                _FIELDS(f)
            )
            # Status.value without the property of Enum's members
            status = status._value_ if i < shown else "suppressed"
            head = heads.setdefault(status, {}).get(rule_id)
            if head is None:
                rule = rules[rule_id]
                head = heads[status][rule_id] = (
                    f'{{{_KEY}"rule_id": {_string(rule_id)},{_KEY}"rule_name": '
                    f'{_string(rule.name)},{_KEY}"status": {_string(status)},{_KEY}'
                    f'"severity": {_string(rule.severity)},{_KEY}"criteria": '
                    f"{_text(list(rule.criteria), _KEY)},{_KEY}"
                    '"resource": '
                )
            kind = types.get(resource_type)
            if kind is None:
                kind = types[resource_type] = f',{_KEY}"resource_type": {_string(resource_type)}'
            place = places.get(id(loc))
            if place is None:
                path, line = loc.path, loc.start_line
                place = places[id(loc)] = (
                    f',{_KEY}"path": {quoted[path]},{_KEY}"start_line": {int.__repr__(line)},'
                    f'{_KEY}"end_line": {int.__repr__(loc.end_line)},{_KEY}"message": ',
                    # Location.repository_level
                    f',{_KEY}"scope": '
                    + ('"repository"' if path == "." and line == 0 else '"file"'),
                )
            said = messages.get(message)
            if said is None:
                said = messages[message] = f'{_string(message)},{_KEY}"fingerprint": "'
            chain = chains.get(id(calls))
            if chain is None:
                chain = chains[id(calls)] = (
                    f'",{_KEY}"call_sites": '
                    + (_chain(calls, sites) if calls else "[]")
                    + f',{_KEY}"instances": '
                )
            count = numbers.get(instances)
            if count is None:
                count = numbers[instances] = int.__repr__(instances)
            after = extra[i]
            if source:
                after = f',{_KEY}"value_source": ' + _text(_value_source(f), _KEY) + after
            out += (
                between,
                head,
                quoted[resource],
                kind,
                place[0],
                said,
                printed[i],
                chain,
                count,
                place[1],
                after,
                "\n    }",
            )
            between = ",\n    "
            size += 1
            if size >= _PIECE:
                yield "".join(out)
                out.clear()
                size = 0
        out.append("\n  ]")
        yield "".join(out)


# the order of the findings array: by file, line, rule, resource
# what an entry shows of a finding, in one call (a reused report's findings have their values
# in a dict, which Python's attribute look-up is slower to read than a new finding's)
_FIELDS = attrgetter(
    "status",
    "rule_id",
    "resource_type",
    "location",
    "message",
    "call_sites",
    "value_source",
    "instances",
    "resource",
)
_ORDER = attrgetter("location.path", "location.start_line", "rule_id", "resource")


def _chain(calls: tuple, sites: dict[int, str]) -> str:
    """The "call_sites" array of a finding (its text, each site's text made once)."""
    parts = []
    for site in calls:
        part = sites.get(id(site))
        if part is None:
            part = sites[id(site)] = (
                f'{{{_SITE}  "path": {_string(site.path)},{_SITE}  "line": '
                f"{int.__repr__(site.start_line)}{_SITE}}}"
            )
        parts.append(part)
    return f"[{_SITE}{(',' + _SITE).join(parts)}{_KEY}]"


def _value_source(f: Finding) -> dict:
    return {"text": f.value_source, "values_files": list(f.value_files)}


def _parts(doc: dict, quote: Callable[[str], str] = _string) -> list:
    """The document's text as _emit writes it, each _Later in it left as it is (written where
    it stands by its pieces()), the texts between them joined."""
    out: list = []
    _emit(doc, "\n", out, quote)
    out.append("\n")
    parts: list = []
    run: list[str] = []
    for part in out:
        if type(part) is str:
            run.append(part)
        else:
            parts += ["".join(run), part]
            run = []
    parts.append("".join(run))
    return parts


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
    elif kind is _Raw or isinstance(value, _Later):
        out.append(value)  # type: ignore[arg-type]
    else:
        raise _Other
