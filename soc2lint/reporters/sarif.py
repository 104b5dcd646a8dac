"""SARIF 2.1.0 for GitHub code scanning, built with sarif-om's object model."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import attr
import sarif_om as om

from soc2lint.engine.rules import Rule
from soc2lint.engine.tsc import catalogue
from soc2lint.model import Finding, Location, Suppression
from soc2lint.pipeline.coverage import headline
from soc2lint.reporters.common import fingerprint, visible
from soc2lint.reporters.json_report import (
    _dumps,
    _emit,
    _Later,
    _Other,
    _parts,
    _unicode_string,
    _written,
)
from soc2lint.reporters.rule_docs import help_markdown
from soc2lint.scan import Report

SCHEMA_URI = "https://json.schemastore.org/sarif-2.1.0.json"
INFO_URI = "https://github.com/soc2lint/soc2lint"
TAXONOMY = "SOC2-TSC"
SECURITY_SEVERITY = {"critical": "9.5", "high": "8.0", "medium": "5.5", "low": "3.0", "info": "1.0"}
LEVEL = {"critical": "error", "high": "error", "medium": "warning", "low": "note", "info": "note"}
SRCROOT = "%SRCROOT%"


def _props(tags: list[str] | None = None, **extra: Any) -> om.PropertyBag:
    """A property bag; sarif-om models only `tags`, so the rest rides alongside."""
    bag = om.PropertyBag(tags=tags)
    bag.additional_properties = extra  # type: ignore[attr-defined]
    return bag


def _text(value: str) -> om.MultiformatMessageString:
    return om.MultiformatMessageString(text=value)


def help_text(rule: Rule) -> str:
    if len(rule.variants) == 1:
        return f"{rule.rationale}\n\nRemediation: {rule.remediation}\n\n{rule.remediation_example}"
    examples = "\n".join(
        f"{v.platform} ({', '.join(v.resource_types)}):\n\n{v.example}" for v in rule.variants
    )
    return f"{rule.rationale}\n\nRemediation: {rule.remediation}\n\n{examples}"


def _rule_descriptor(rule: Rule, taxa_index: dict[str, int]) -> om.ReportingDescriptor:
    tags = ["security", *rule.criteria, *rule.platforms][:10]
    return om.ReportingDescriptor(
        id=rule.id,
        name=_pascal(rule.name),
        short_description=_text(rule.title),
        full_description=_text(rule.rationale),
        help=om.MultiformatMessageString(text=help_text(rule), markdown=help_markdown(rule)),
        help_uri=rule.help_uri or f"{INFO_URI}/blob/main/docs/rules.md#{rule.id.lower()}",
        default_configuration=om.ReportingConfiguration(level=LEVEL[rule.severity]),
        properties=_props(
            tags,
            **{
                "security-severity": SECURITY_SEVERITY[rule.severity],
                "precision": "high",
                "problem.severity": {
                    "error": "error",
                    "warning": "warning",
                    "note": "recommendation",
                }[LEVEL[rule.severity]],
            },
        ),
        relationships=[
            om.ReportingDescriptorRelationship(
                target=om.ReportingDescriptorReference(
                    id=c,
                    index=taxa_index[c],
                    tool_component=om.ToolComponentReference(name=TAXONOMY, index=0),
                ),
                kinds=["relevant"],
            )
            for c in rule.criteria
        ],
    )


def _pascal(name: str) -> str:
    return "".join(part.capitalize() for part in name.split("-"))


def _suppression(s: Suppression) -> om.Suppression:
    until = f" (until {s.expires})" if s.expires else ""
    sup = om.Suppression(
        kind="inSource",
        justification=f"{s.reason}{until}",
        location=_location(s.path, s.line, s.line),
    )
    # SARIF 2.1.0 names it `status`; sarif-om still models the draft's `state`
    sup._schema_extra = {"status": "accepted"}  # type: ignore[attr-defined]
    return sup


def build(
    report: Report, automation_id: str = "soc2lint/", include_suppressed: bool = False
) -> om.SarifLog:
    """The SARIF log object for a report."""
    rules = sorted(report.rules, key=lambda r: r.id)
    rule_index = {r.id: i for i, r in enumerate(rules)}
    by_id = {r.id: r for r in rules}
    results = []
    suppressed = {id(f): s for f, s in report.suppressed} if include_suppressed else {}
    shown = visible(report) + ([f for f, _s in report.suppressed] if include_suppressed else [])
    for f in sorted(shown, key=lambda f: f.sort_key):
        rule = by_id[f.rule_id]
        unknown = f.status.value == "unknown"
        results.append(
            om.Result(
                rule_id=f.rule_id,
                rule_index=rule_index[f.rule_id],
                kind="review" if unknown else "fail",
                # SARIF §3.27.9: a result that is not kind "fail" has level "none"
                level="none" if unknown else LEVEL[rule.severity],
                message=om.Message(text=f"{f.message} [{f.resource}]{_source(f)}"),
                locations=[_location(f.location.path, f.location.start_line, f.location.end_line)],
                related_locations=[
                    _related(i, site, f"module call that instantiates {f.resource}")
                    for i, site in enumerate(f.call_sites, start=1)
                ]
                + _values_files(f, len(f.call_sites) + 1)
                or None,
                partial_fingerprints={"soc2lint/v1": fingerprint(f)},
                suppressions=[_suppression(suppressed[id(f)])] if id(f) in suppressed else None,
                properties=_props(
                    resource=f.resource,
                    resource_type=f.resource_type,
                    criteria=list(rule.criteria),
                    **_source_props(f),
                ),
            )
        )
    return _log(report, automation_id, results)


def _log(report: Report, automation_id: str, results: list) -> om.SarifLog:
    """The SARIF log object for a report, with these results."""
    cat = catalogue()
    rules = sorted(report.rules, key=lambda r: r.id)
    used = sorted({c for r in rules for c in r.criteria}, key=cat.sort_key)
    taxa_index = {c: i for i, c in enumerate(used)}
    notifications = (
        [
            om.Notification(
                message=om.Message(text=f"{e.path}:{e.line}: {e.message}"),
                level="error",
                locations=[_location(e.path, max(e.line, 1), max(e.line, 1))],
                descriptor=om.ReportingDescriptorReference(id="parse-error"),
            )
            for e in report.errors
        ]
        + [
            om.Notification(
                message=om.Message(text=f"{s.path}: skipped: {s.reason}"),
                level="warning",
                descriptor=om.ReportingDescriptorReference(id="skipped-file"),
            )
            for s in report.skipped
        ]
        + [
            om.Notification(
                message=om.Message(text=msg),
                level="error",
                descriptor=om.ReportingDescriptorReference(id="rule-error"),
            )
            for msg in report.rule_errors
        ]
    )
    notifications += [
        om.Notification(
            message=om.Message(
                text=f"{m['path']}:{m['line']}: module source {m['source']!r} not available: "
                f"{m['reason']}; its outputs are unknown"
            ),
            level="warning",
            locations=[_location(m["path"], m["line"], m["line"])],
            descriptor=om.ReportingDescriptorReference(id="module-unavailable"),
        )
        for m in report.unavailable_modules
    ]
    notifications += [
        om.Notification(
            message=om.Message(text=f"{n['path']}: {n['message']}"),
            level="note",
            descriptor=om.ReportingDescriptorReference(id="source-note"),
        )
        for n in report.notes
    ]
    notifications += _coverage_notifications(report)
    taxonomy = om.ToolComponent(
        name=TAXONOMY,
        full_name="AICPA Trust Services Criteria (SOC 2)",
        version=cat.version,
        organization="AICPA",
        short_description=_text(
            "SOC 2 Trust Services Criteria for Security, Availability, "
            "Processing Integrity, Confidentiality and Privacy."
        ),
        information_uri="https://www.aicpa-cima.com/resources/download/2017-trust-services-criteria-with-revised-points-of-focus-2022",
        is_comprehensive=False,
        taxa=[
            om.ReportingDescriptor(id=c, name=c, short_description=_text(cat.criteria[c]))
            for c in used
        ],
    )
    driver = om.ToolComponent(
        name="soc2lint",
        version=report.tool_version,
        semantic_version=report.tool_version,
        information_uri=INFO_URI,
        rules=[_rule_descriptor(r, taxa_index) for r in rules],
        supported_taxonomies=[om.ToolComponentReference(name=TAXONOMY, index=0)],
    )
    run = om.Run(
        tool=om.Tool(driver=driver),
        taxonomies=[taxonomy],
        automation_details=om.RunAutomationDetails(id=automation_id),
        original_uri_base_ids={SRCROOT: om.ArtifactLocation(uri=Path(report.root).as_uri() + "/")},
        invocations=[
            om.Invocation(
                execution_successful=not report.rule_errors,
                start_time_utc=report.started,
                end_time_utc=report.finished,
                tool_execution_notifications=notifications or None,
            )
        ],
        results=results,
        column_kind="unicodeCodePoints",
        version_control_provenance=_provenance(report.root),
    )
    return om.SarifLog(version="2.1.0", schema_uri=SCHEMA_URI, runs=[run])


def _source(f: Finding) -> str:
    """Where a rendered object's deciding value came from, after the message."""
    return f" ({f.value_source})" if f.value_source else ""


def _source_props(f: Finding) -> dict[str, Any]:
    return {"valueSource": f.value_source} if f.value_source else {}


def _values_files(f: Finding, first: int) -> list[om.Location]:
    """The values files a rendered object's deciding value came from, inside the repository
    (a file given from elsewhere has no repository-relative URI and is named in the message)."""
    out: list[om.Location] = []
    for path in f.value_files:
        if path.startswith("/") or path.startswith("../"):
            continue
        loc = om.Location(
            physical_location=om.PhysicalLocation(
                artifact_location=om.ArtifactLocation(uri=artifact_uri(path), uri_base_id=SRCROOT)
            ),
            message=om.Message(text=f"values file that set the value of {f.resource}"),
        )
        loc.id = first + len(out)
        out.append(loc)
    return out


def _provenance(root: str) -> list[om.VersionControlDetails] | None:
    """The repository, commit and branch the scanned tree came from (none outside git)."""
    from soc2lint.evidence.gitinfo import provenance

    found = provenance(root)
    if not found:
        return None
    return [
        om.VersionControlDetails(
            repository_uri=found["url"],
            revision_id=found["commit"],
            branch=found["branch"],
            # %SRCROOT% is the repository's root directory (when the scan root is its top)
            mapped_to=om.ArtifactLocation(uri_base_id=SRCROOT) if found["at_top"] else None,
        )
    ]


def _related(index: int, site: Location, text: str) -> om.Location:
    loc = _location(site.path, site.start_line, site.end_line)
    loc.id = index
    loc.message = om.Message(text=text)
    return loc


def artifact_uri(path: str) -> str:
    """A repository-relative path as a relative URI reference: every character but unreserved
    ones and `/` percent-encoded as UTF-8 (spaces, brackets, quotes, backslashes, newlines,
    `:`, `%`, `#`, `?` and non-ASCII), so a file name cannot break or redirect the URI."""
    return quote(path, safe="/")


def _location(path: str, start: int, end: int) -> om.Location:
    if path == "." and not start:
        # the repository as a whole (no CODEOWNERS file, say): its root directory, `.` under
        # %SRCROOT%, never a file that does not exist. Code scanning rejects a result without
        # an artifact URI, and SARIF validators ask every physical location for a region: the
        # minimal one (line 1) stands for "the whole artifact"
        return om.Location(
            physical_location=om.PhysicalLocation(
                artifact_location=om.ArtifactLocation(uri=".", uri_base_id=SRCROOT),
                region=om.Region(start_line=1, end_line=1),
            ),
            message=om.Message(text="the repository as a whole"),
        )
    return om.Location(
        physical_location=om.PhysicalLocation(
            artifact_location=om.ArtifactLocation(uri=artifact_uri(path), uri_base_id=SRCROOT),
            region=om.Region(start_line=start, end_line=max(end, start)),
        )
    )


# sarif-om class -> (attribute, schema property name, default, whether the default is omitted)
# for each of its fields: worked out once per class, not for every object (a report of many
# results writes tens of objects for each)
_FIELDS: dict[type, list[tuple[str, str, Any, bool]]] = {}


def _fields(cls: type) -> list[tuple[str, str, Any, bool]] | None:
    """The fields to_dict writes of an attrs class, or None for another class."""
    plan = _FIELDS.get(cls)
    if plan is None and attr.has(cls):
        plan = _FIELDS[cls] = [
            (
                field.name,
                field.metadata.get("schema_property_name", field.name),
                field.default,
                field.default is not attr.NOTHING
                and field.name not in ("version", "level", "kind"),
            )
            for field in attr.fields(cls)
        ]
    return plan


def to_dict(obj: Any) -> Any:
    """sarif-om objects -> plain JSON data under the schema's property names; defaults omitted."""
    plan = _fields(type(obj))
    if plan is not None:
        out: dict[str, Any] = {}
        for field_name, name, default, omitted in plan:
            value = getattr(obj, field_name)
            if value is None or (omitted and value == default):
                continue
            out[name] = to_dict(value)
        out.update(getattr(obj, "_schema_extra", {}))
        if isinstance(obj, om.PropertyBag):
            extra = getattr(obj, "additional_properties", {}) or {}
            out.update({k: to_dict(v) for k, v in sorted(extra.items())})
        return out
    if isinstance(obj, dict):
        return {k: to_dict(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [to_dict(v) for v in obj]
    return obj


def render(
    report: Report,
    automation_id: str = "soc2lint/",
    include_suppressed: bool = False,
    **_options: object,
) -> str:
    """SARIF for upload: suppressed results are left out unless include_suppressed."""
    return "".join(pieces(report, automation_id, include_suppressed))


def pieces(
    report: Report,
    automation_id: str = "soc2lint/",
    include_suppressed: bool = False,
    **_options: object,
) -> Iterator[str]:
    """render()'s text in pieces, in order. The results (hundreds of thousands in a monorepo,
    tens of sarif-om objects each, which took most of a report's time and memory) are written
    straight from the findings, as to_dict writes the objects build() makes of them
    (tests/test_sarif.py compares the two), a piece at a time; the rest of the log is made
    with sarif-om."""
    results = _Results(report, include_suppressed)
    log = to_dict(_log(report, automation_id, []))
    log["runs"][0]["results"] = results
    try:
        parts = _parts(log, _unicode_string)
    except _Other:  # a value only the json module writes: the whole log its way
        yield _dumps(to_dict(build(report, automation_id, include_suppressed)), False)
        return
    yield from _written(parts)


# the depth of a result's keys in the log: log, "runs", the run, "results", the result
_KEY = "\n          "
_PIECE = 1000  # results given out at a time


class _Results(_Later):
    """The results array of the log: the failing and unknown results (and the suppressed ones,
    with include_suppressed), sorted by file, line, rule and resource."""

    def __init__(self, report: Report, include_suppressed: bool) -> None:
        rules = sorted(report.rules, key=lambda r: r.id)
        self.index = {r.id: i for i, r in enumerate(rules)}
        self.rules = {r.id: r for r in rules}
        shown = visible(report)
        printed = report.fingerprints()
        self.suppressed = {}
        if include_suppressed:
            self.suppressed = {id(f): s for f, s in report.suppressed}
            shown = shown + [f for f, _s in report.suppressed]
            printed = printed + [fingerprint(f) for f, _s in report.suppressed]
        keys = [f.sort_key for f in shown]
        order = sorted(range(len(shown)), key=keys.__getitem__)
        self.items = [(shown[i], printed[i]) for i in order]

    def pieces(self) -> Iterator[str]:
        if not self.items:
            yield "[]"
            return
        rules, index, suppressed = self.rules, self.index, self.suppressed
        key, inner = _KEY, _KEY + "  "  # a result's keys; the keys of the objects in it
        places: dict[int, str] = {}  # id(Location) -> its "locations" array's text
        # (rule id, unknown) -> the text from "kind" to "locations"; rule id -> the text from
        # its criteria to "resource", and its last keys (rule id and index)
        kinds: dict[tuple[str, bool], str] = {}
        criteria: dict[str, tuple[str, str]] = {}
        out: list[str] = ["[\n        "]
        between = ""
        size = 0
        for f, printed in self.items:
            rule_id = f.rule_id
            unknown = f.status.value == "unknown"
            kind = kinds.get((rule_id, unknown))
            if kind is None:
                # SARIF §3.27.9: a result that is not kind "fail" has level "none"
                level = "none" if unknown else LEVEL[rules[rule_id].severity]
                kind = kinds[rule_id, unknown] = (
                    f'{key}}},{key}"kind": "{"review" if unknown else "fail"}",{key}"level": '
                    f'{_unicode_string(level)},{key}"locations": '
                )
            ruled = criteria.get(rule_id)
            if ruled is None:
                ruled = criteria[rule_id] = (
                    f'"{key}}},{key}"properties": {{{inner}"criteria": '
                    f"{_at(list(rules[rule_id].criteria), inner)},{inner}"
                    '"resource": ',
                    f',{key}"ruleId": {_unicode_string(rule_id)},{key}"ruleIndex": '
                    f"{int.__repr__(index[rule_id])}",
                )
            loc = f.location
            where = places.get(id(loc))
            if where is None:
                where = places[id(loc)] = _at(
                    [_location_dict(loc.path, loc.start_line, loc.end_line)], key
                )
            source = f.value_source
            out += (
                between,
                f'{{{key}"message": {{{inner}"text": ',
                _unicode_string(f"{f.message} [{f.resource}]{_source(f)}"),
                kind,
                where,
                f',{key}"partialFingerprints": {{{inner}"soc2lint/v1": "',
                printed,
                ruled[0],
                _unicode_string(f.resource),
                f',{inner}"resource_type": ',
                _unicode_string(f.resource_type),
                f',{inner}"valueSource": {_unicode_string(source)}{key}}}'
                if source
                else f"{key}}}",
            )
            if f.call_sites or f.value_files:
                related = [
                    _related_dict(i, site, f"module call that instantiates {f.resource}")
                    for i, site in enumerate(f.call_sites, start=1)
                ] + _values_files_dicts(f, len(f.call_sites) + 1)
                if related:
                    out += (f',{key}"relatedLocations": ', _at(related, key))
            out.append(ruled[1])
            s = suppressed.get(id(f))
            if s is not None:
                until = f" (until {s.expires})" if s.expires else ""
                sup = {
                    "kind": "inSource",
                    "justification": f"{s.reason}{until}",
                    "location": _location_dict(s.path, s.line, s.line),
                    "status": "accepted",
                }
                out += (f',{key}"suppressions": ', _at([sup], key))
            out.append("\n        }")
            between = ",\n        "
            size += 1
            if size >= _PIECE:
                yield "".join(out)
                out.clear()
                size = 0
        out.append("\n      ]")
        yield "".join(out)


def _at(value: object, newline: str) -> str:
    """value's text as the log writes it at the depth newline stands for."""
    out: list[str] = []
    _emit(value, newline, out, _unicode_string)
    return "".join(out)


def _location_dict(path: str, start: int, end: int) -> dict:
    """to_dict(_location(path, start, end))."""
    if path == "." and not start:
        return {
            "message": {"text": "the repository as a whole"},
            "physicalLocation": {
                "artifactLocation": {"uri": ".", "uriBaseId": SRCROOT},
                "region": {"endLine": 1, "startLine": 1},
            },
        }
    return {
        "physicalLocation": {
            "artifactLocation": {"uri": artifact_uri(path), "uriBaseId": SRCROOT},
            "region": {"endLine": max(end, start), "startLine": start},
        }
    }


def _related_dict(index: int, site: Location, text: str) -> dict:
    """to_dict(_related(index, site, text))."""
    made = _location_dict(site.path, site.start_line, site.end_line)
    return {"id": index, "message": {"text": text}, "physicalLocation": made["physicalLocation"]}


def _values_files_dicts(f: Finding, first: int) -> list[dict]:
    """to_dict of each of _values_files(f, first)."""
    out: list[dict] = []
    for path in f.value_files:
        if path.startswith("/") or path.startswith("../"):
            continue
        out.append(
            {
                "id": first + len(out),
                "message": {"text": f"values file that set the value of {f.resource}"},
                "physicalLocation": {
                    "artifactLocation": {"uri": artifact_uri(path), "uriBaseId": SRCROOT}
                },
            }
        )
    return out


def _coverage_notifications(report: Report) -> list[om.Notification]:
    """What the scan did not check, as tool notifications: infrastructure files no platform
    reads, resource types no rule judges, an empty scan, and the overall verdict."""
    cov = report.coverage or {}
    if not cov:
        return []
    out = [
        om.Notification(
            message=om.Message(
                text=f"{u['path']}: not checked: {u['kind']} (no platform of soc2lint reads it)"
            ),
            level="warning",
            locations=[_location(u["path"], 1, 1)],
            descriptor=om.ReportingDescriptorReference(id="unsupported-file"),
        )
        for u in report.unsupported
    ]
    out += [
        om.Notification(
            message=om.Message(
                text=f"uncovered: {t['type']} x{t['resources']} ({t['platform']}): "
                "no enabled rule judges this resource type"
            ),
            level="warning",
            descriptor=om.ReportingDescriptorReference(id="uncovered-type"),
        )
        for t in cov["resources"]["uncovered"]
    ]
    if cov.get("empty"):
        out.append(
            om.Notification(
                message=om.Message(text=cov["empty"]),
                level="warning",
                descriptor=om.ReportingDescriptorReference(id="empty-scan"),
            )
        )
    loud = headline(cov)
    if loud:
        out.append(
            om.Notification(
                message=om.Message(text=loud),
                level="warning",
                descriptor=om.ReportingDescriptorReference(id="incomplete-coverage"),
            )
        )
    return out
