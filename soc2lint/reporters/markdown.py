"""Markdown for a pull-request comment or a GitHub job summary: verdict, counts, findings."""

from __future__ import annotations

from soc2lint.pipeline.coverage import headline
from soc2lint.reporters.common import (
    SEVERITY_ORDER,
    coverage_summary,
    most_severe_first,
    scope_warning,
    summary,
)
from soc2lint.scan import Report

MAX_ROWS = 500  # a job summary is capped at 1 MiB; past this, counts only


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def render(
    report: Report,
    threshold: str | None = None,
    passed: bool | None = None,
    listed_from: int | None = None,
    **_options: object,
) -> str:
    s = summary(report)
    rules = {r.id: r for r in report.rules}
    if passed is None:
        passed = not report.failing()
    loud = headline(report.coverage)
    if passed and loud:
        verdict = "⚠️ passed with incomplete coverage"
    else:
        verdict = "✅ passed" if passed else "❌ failed"
    gate = f" (fail on {threshold} or higher)" if threshold and threshold != "none" else ""
    out = [f"## soc2lint: {verdict}{gate}", ""]
    out.append(
        f"{s['files_scanned']} files, {s['resources']} resources, {s['rules']} rules: "
        f"**{s['fail']} failed**, {s['pass']} passed, {s['unknown']} unknown, "
        f"{s['suppressed']} suppressed."
    )
    if report.diff:
        out.append(
            f"Against `{report.diff['base_ref']}` (merge base "
            f"`{report.diff['merge_base'][:12]}`): **{report.diff['new']} new**, "
            f"{report.diff['fixed']} fixed."
        )
    if report.baseline:
        out.append(
            f"{report.baseline['baselined']} findings are in the baseline "
            f"`{report.baseline['path']}`."
        )
    gap = scope_warning(report)
    if gap:
        out += ["", f"> **Warning:** {gap}."]
    out += ["", "| severity | failed |", "|---|---|"]
    out += [f"| {name} | {s['by_severity'][name]} |" for name in SEVERITY_ORDER]
    shown = most_severe_first(report)
    if shown:
        title = (
            "Findings, most severe first"
            if listed_from is None
            else f"Findings, most severe first (the first {listed_from} are annotated on the diff)"
        )
        out += [
            "",
            f"### {title}",
            "",
            "| status | rule | resource | location | criteria |",
            "|---|---|---|---|---|",
        ]
        for f in shown[:MAX_ROWS]:
            rule = rules[f.rule_id]
            status = rule.severity if f.status.value == "fail" else "unknown"
            out.append(
                f"| {status} | {f.rule_id} {_cell(rule.title)} | `{_cell(f.resource)}` | "
                f"`{f.location.path}:{f.location.start_line}` | "
                f"{', '.join(rule.criteria)} |"
            )
        if len(shown) > MAX_ROWS:
            out.append(f"| … | {len(shown) - MAX_ROWS} more | | | |")
    if report.suppressed:
        out += [
            "",
            "### Exceptions",
            "",
            "| rule | resource | reason | until |",
            "|---|---|---|---|",
        ]
        for f, sup in report.suppressed[:MAX_ROWS]:
            out.append(
                f"| {f.rule_id} | `{_cell(f.resource)}` | {_cell(sup.reason)} | "
                f"{sup.expires or ''} |"
            )
    not_checked = len(report.errors) + len(report.skipped) + len(report.unavailable_modules)
    if not_checked:
        out += [
            "",
            f"**Not checked:** {len(report.errors)} parse errors, "
            f"{len(report.skipped)} skipped files, {len(report.unavailable_modules)} "
            "unavailable modules (see the full report).",
        ]
    out += _coverage_markdown(report, loud)
    return "\n".join(out) + "\n"


def _coverage_markdown(report: Report, loud: str) -> list[str]:
    cov = report.coverage or {}
    if not cov:
        return []
    said = "; ".join(coverage_summary(report)).removeprefix("coverage: ")
    out = ["", f"**Coverage:** {said}."]
    if loud:
        out += ["", f"> **{loud}**"]
    if cov.get("empty"):
        out += ["", f"> **Warning:** {_cell(cov['empty'])}"]
    rows = [
        f"| `{_cell(u['path'])}` | {_cell(u['kind'])}: not read |" for u in report.unsupported
    ] + [
        f"| `{_cell(t['type'])}` ×{t['resources']} | no enabled rule judges this type |"
        for t in cov["resources"]["uncovered"]
    ]
    if rows:
        out += ["", "| not checked | why |", "|---|---|", *rows[:MAX_ROWS]]
        if len(rows) > MAX_ROWS:
            out.append(f"| … | {len(rows) - MAX_ROWS} more in the JSON report |")
    return out
