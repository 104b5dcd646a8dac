"""A scan's change-control record: a JSON document following schema/record-1.json.

The schema's name carries its major version (record-1); `schema_version` carries the minor one,
which grows when fields are added (1.3: a cell per registered platform in the criteria matrix).
Records written by an earlier 1.x still validate and verify: nothing is removed or changed.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from soc2lint import package_file
from soc2lint import platforms as registry
from soc2lint.engine.rules import Rule, ruleset_digest
from soc2lint.engine.tsc import Catalogue, catalogue
from soc2lint.evidence.ci import ci_context
from soc2lint.evidence.gitinfo import blame_line, repository_info
from soc2lint.evidence.hashing import canonical, sha256_hex, tree_digest
from soc2lint.model import Finding
from soc2lint.pipeline.coverage import files_not_checked
from soc2lint.pipeline.inputs import InputFileError, read_regular
from soc2lint.reporters.common import fingerprint
from soc2lint.scan import Report

SCHEMA_ID = "soc2lint/evidence/record-1"
SCHEMA_VERSION = "1.3"
# the platforms every 1.x record has a cell for, in the order record 1.0 wrote them
FIRST_PLATFORMS = ("terraform", "kubernetes", "github_actions", "gitlab_ci")
COUNTED = ("pass", "fail", "unknown", "suppressed", "known")
VERDICTS = ("pass", "fail")


def platforms() -> tuple[str, ...]:
    """The cells of the criteria matrix: every platform rules can name (the registry's, a
    platform added with SOC2LINT_PLATFORMS or register() included), the first four first."""
    named = [p.rule_platform for p in registry.platforms()]
    return tuple(dict.fromkeys([*FIRST_PLATFORMS, *named]))


def platforms_of(record: dict) -> list[str]:
    """The platform cells a record has (a record before 1.3 has the first four only)."""
    seen: dict[str, None] = {}
    for crit in record.get("results", {}).get("criteria", []):
        seen.update(dict.fromkeys(crit.get("platforms", {})))
    known = platforms()
    return sorted(seen, key=lambda p: (known.index(p) if p in known else len(known), p))


def schema_text(name: str = "record-1.json") -> str:
    """A schema shipped with the package (record-1.json, ledger-entry-1.json)."""
    return package_file("evidence", "schema", name).read_text("utf-8")


def build_record(
    report: Report, *, gate: str, threshold: str, environ: Mapping[str, str] | None = None
) -> dict:
    """Everything an auditor needs about one scan; record_id is derived from the content."""
    if gate not in VERDICTS:
        raise ValueError(f"gate must be one of {', '.join(VERDICTS)}, not {gate!r}")
    cat = catalogue()
    rules = {r.id: r for r in report.rules}
    record: dict[str, Any] = {
        "schema": SCHEMA_ID,
        "schema_version": SCHEMA_VERSION,
        "record_id": "",
        "started": report.started,
        "finished": report.finished,
        "tool": {"name": "soc2lint", "version": report.tool_version},
        "repository": repository_info(
            report.root, report.files, report.diff, inputs=_inputs(report)
        ),
        "ci": ci_context(environ),
        "ruleset": {"sha256": ruleset_digest(report.rules), "rules": len(report.rules)},
        "configuration": _configuration(report.config, report.root),
        "invocation": _plain(report.invocation),
        "catalogue": {"version": cat.version, "sha256": cat.digest},
        "scope": _scope(report, cat),
        "files": {
            "count": len(report.files),
            "tree_sha256": tree_digest(report.files),
            "sha256": dict(sorted(report.files.items())),
        },
        "results": _results(report, cat),
        # sorted by a stable sort: as the failing and unknown results of all of them sorted
        "findings": [
            _finding(f, rules) for f in sorted(report.visible(), key=lambda f: f.sort_key)
        ],
        "exceptions": _exceptions(report, rules),
        "suppression_problems": _plain(report.suppression_problems),
        "baseline": _with_relative_path(_plain(report.baseline), report.root),
        "diff": _diff(report.diff),
        "gate": _gate(report, gate, threshold),
        "not_checked": {
            "parse_errors": [
                {"path": e.path, "line": e.line, "message": e.message} for e in report.errors
            ],
            "rule_errors": list(report.rule_errors),
            "skipped": [{"path": s.path, "reason": s.reason} for s in report.skipped],
            "unavailable_modules": _plain(report.unavailable_modules),
            "excluded": _plain(report.excluded),
            "notes": _plain(report.notes),
            "unsupported": _plain(report.unsupported),
            "uncovered_types": _plain(
                (report.coverage or {}).get("resources", {}).get("uncovered", [])
            ),
            "coverage": _plain(report.coverage or {}),
        },
    }
    record["record_id"] = record_id(record)
    return record


def _gate(report: Report, verdict: str, threshold: str) -> dict:
    """The verdict, and in words: a pass never reads as complete when coverage is not."""
    cov = report.coverage or {}
    complete = cov.get("complete", True)
    statement = "passed" if verdict == "pass" else "failed"
    if not complete:
        gaps = cov["gaps"]
        statement += (
            f" with incomplete coverage: {gaps['uncovered_resources']} uncovered resources, "
            f"{files_not_checked(cov)} files not checked"
        )
    return {
        "verdict": verdict,
        "threshold": threshold,
        "coverage": "complete" if complete else "incomplete",
        "statement": statement,
        "fail_on_uncovered": bool(report.invocation.get("fail_on_uncovered", False)),
    }


def record_id(record: dict) -> str:
    """<UTC start, compact>-<first 16 hex of sha256 over the record without its id>: sortable by
    time, and the same content always gets the same id."""
    body = {k: v for k, v in record.items() if k != "record_id"}
    stamp = re.sub(r"[^0-9T]", "", str(record.get("started", ""))[:19]) or "unknown"
    return f"{stamp}Z-{sha256_hex(canonical(body))[:16]}"


def _plain(value: Any) -> Any:
    """A JSON value (paths and other objects as strings) that hashes the same when re-read."""
    return json.loads(json.dumps(value, default=str))


def _relative(path: Any, root: str) -> str | None:
    """A path inside the repository as the repository sees it; others as given."""
    if path is None:
        return None
    try:
        return Path(path).resolve().relative_to(Path(root).resolve()).as_posix()
    except (ValueError, OSError):
        return str(path)


def _with_relative_path(info: dict | None, root: str) -> dict | None:
    return {**info, "path": _relative(info.get("path"), root)} if info else None


def _inputs(report: Report) -> list[str]:
    """Files besides the scanned ones whose content changes the result: the configuration,
    baseline, var files, plan and custom rule directories (repository-relative)."""
    inputs = list((report.invocation or {}).get("inputs", []))
    inputs += (report.invocation or {}).get("rules_dirs", [])
    config = _relative((report.config or {}).get("path"), report.root)
    return sorted(set(inputs + ([config] if config else [])))


def _configuration(config: dict | None, root: str) -> dict:
    if not config:
        return {"path": None, "sha256": None}
    digest = config.get("sha256") or sha256_hex(canonical(_plain(config)))
    return {"path": _relative(config.get("path"), root), "sha256": digest}


def _scope(report: Report, cat: Catalogue) -> dict:
    scope = sorted(set(report.criteria_scope), key=cat.sort_key)
    covered = {c for r in report.rules for c in r.criteria}
    wanted = scope or list(cat.criteria)
    return {
        "criteria": scope,
        "all": not scope or set(scope) >= set(cat.criteria),
        "uncovered": [c for c in wanted if c not in covered],
    }


def _finding(f: Finding, rules: dict[str, Rule]) -> dict:
    rule = rules.get(f.rule_id)
    return {
        "rule_id": f.rule_id,
        "severity": rule.severity if rule else None,
        "status": f.status.value,
        "resource": f.resource,
        "resource_type": f.resource_type,
        "path": f.location.path,
        "line": f.location.start_line,
        "message": f.message,
        "fingerprint": fingerprint(f),
    }


def _tally(items: Iterable[tuple[str, Finding]]) -> tuple[dict, dict]:
    """(counts by status, resources by status) for (status, finding) pairs."""
    counts = dict.fromkeys(COUNTED, 0)
    resources: dict[str, set] = {k: set() for k in COUNTED}
    for status, f in items:
        counts[status] += 1
        resources[status].add((f.resource, f.location.path))
    return counts, {
        k: [{"resource": r, "path": p} for r, p in sorted(v)] for k, v in resources.items()
    }


def result_of(counts: dict, rules: int) -> str:
    """One word for a cell of the coverage matrix, worst first."""
    if not rules:
        return "no_rules"
    for status, word in (
        ("fail", "fail"),
        ("unknown", "unknown"),
        ("known", "known"),
        ("suppressed", "exception"),
        ("pass", "pass"),
    ):
        if counts.get(status):
            return word
    return "not_evaluated"


def _results(report: Report, cat: Catalogue) -> dict:
    items = [(f.status.value, f) for f in report.findings]
    items += [("suppressed", f) for f, _ in report.suppressed]
    items += [("known", f) for f in report.known]
    by_rule: dict[str, list] = {r.id: [] for r in report.rules}
    for status, f in items:
        by_rule.setdefault(f.rule_id, []).append((status, f))
    known = {r.id: r for r in report.rules}
    rules_out = []
    for rule_id, pairs in sorted(by_rule.items()):
        counts, resources = _tally(pairs)
        rule = known.get(rule_id)
        rules_out.append(
            {
                "id": rule_id,
                "title": rule.title if rule else None,
                "severity": rule.severity if rule else None,
                "platform": rule.platform if rule else None,
                "criteria": list(rule.criteria) if rule else [],
                "sha256": rule.digest if rule else None,
                "counts": counts,
                "resources": resources,
            }
        )
    scope = set(report.criteria_scope)
    criteria = sorted({c for r in report.rules for c in r.criteria}, key=cat.sort_key)
    criteria_out = []
    for c in criteria:
        mapped = [r for r in report.rules if c in r.criteria]
        counts, resources = _tally(p for r in mapped for p in by_rule[r.id])
        cells = {}
        for platform in platforms():
            # a control judged on several platforms counts once per platform it judges there
            on = [(r, v) for r in mapped if (v := r.variant(platform)) is not None]
            pc, _ = _tally(
                p for r, v in on for p in by_rule[r.id] if v.applies_to(p[1].resource_type)
            )
            cells[platform] = {"rules": len(on), "counts": pc, "result": result_of(pc, len(on))}
        criteria_out.append(
            {
                "criterion": c,
                "title": cat.criteria.get(c),
                "category": _category(cat, c),
                "in_scope": not scope or c in scope,
                "rules": [r.id for r in mapped],
                "counts": counts,
                "result": result_of(counts, len(mapped)),
                "platforms": cells,
                "resources": resources,
            }
        )
    totals, _ = _tally(items)
    return {"totals": totals, "rules": rules_out, "criteria": criteria_out}


def _category(cat: Catalogue, criterion: str) -> str | None:
    try:
        return cat.category_of(criterion)
    except KeyError:
        return None


def _exceptions(report: Report, rules: dict[str, Rule]) -> list[dict]:
    blame: dict[tuple[str, int], dict] = {}
    out = []
    for f, sup in sorted(report.suppressed, key=lambda p: (p[1].path, p[1].line, p[0].sort_key)):
        key = (sup.path, sup.line)
        if key not in blame:
            blame[key] = blame_line(report.root, sup.path, sup.line)
        rule = rules.get(f.rule_id)
        out.append(
            {
                "rule_id": f.rule_id,
                "severity": rule.severity if rule else None,
                "status": f.status.value,
                "resource": f.resource,
                "path": f.location.path,
                "line": f.location.start_line,
                "marker_path": sup.path,
                "marker_line": sup.line,
                "source": sup.source,
                "reason": sup.reason,
                "expires": sup.expires,
                "introduced": blame[key],
            }
        )
    return out


def _diff(diff: dict | None) -> dict | None:
    if diff is None:
        return None
    out = {"new": diff.get("new"), "fixed": diff.get("fixed"), "fixed_findings": []}
    for key in ("new", "fixed"):
        if isinstance(out[key], list):  # a list of findings rather than a count
            out[key] = len(out[key])
    fixed = diff.get("fixed_findings", diff.get("fixed"))
    if isinstance(fixed, list):
        out["fixed_findings"] = [_fixed(item) for item in fixed]
    return out


def _fixed(item: Any) -> dict:
    if isinstance(item, Finding):
        return {"rule_id": item.rule_id, "resource": item.resource, "path": item.location.path}
    if isinstance(item, dict):
        return {k: item.get(k) for k in ("rule_id", "resource", "path")}
    if isinstance(item, (tuple, list)) and len(item) == 3:  # soc2lint.policies.baseline.key()
        rule_id, path, resource = (str(x) for x in item)
        return {"rule_id": rule_id, "resource": resource, "path": path}
    return {"rule_id": None, "resource": str(item), "path": None}


def load_record(path: str | Path) -> dict:
    """A record read back from its JSON file; ValueError when it is not one."""
    try:
        data = json.loads(read_regular(path, "evidence record").decode("utf-8"))
    except (InputFileError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ValueError(f"{path}: cannot read record: {exc}") from None
    if not isinstance(data, dict) or data.get("schema") != SCHEMA_ID:
        raise ValueError(f"{path}: not a soc2lint evidence record ({SCHEMA_ID})")
    return data
