"""Markdown for a pull-request comment or a GitHub job summary: verdict, counts, findings."""

from __future__ import annotations

from soc2lint.pipeline.coverage import headline
from soc2lint.reporters.common import (
    SEVERITY_ORDER,
    coverage_summary,
    most_severe_first,
    place,
    scope_warning,
    summary,
)
from soc2lint.scan import Report

MAX_ROWS = 500  # a job summary is capped at 1 MiB; past this, counts only


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _fails_gate(severity: str, threshold: str | None) -> bool:
    if not threshold or threshold == "none":
        return threshold is None  # no threshold given: any failure fails
    return SEVERITY_ORDER.index(severity) <= SEVERITY_ORDER.index(threshold)


def render(
    report: Report,
    threshold: str | None = None,
    passed: bool | None = None,
    annotated: dict[int, str] | None = None,
    report_file: str | None = None,
    annotation_cap: int | None = None,
    **_options: object,
) -> str:
    """annotated: for the GitHub Action, id(finding) -> the annotation level it was shown with
    (error, warning, notice); the summary then says what was annotated and where the rest is
    (report_file, the table). annotation_cap: the most annotations of one level."""
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
    out += ["", "| severity | failed findings | fails the gate |", "|---|---|---|"]
    out += [
        f"| {name} | {s['by_severity'][name]} | {'yes' if _fails_gate(name, threshold) else 'no'} |"
        for name in SEVERITY_ORDER
    ]
    shown = most_severe_first(report)
    if annotated is not None:
        out += ["", _annotation_note(report, annotated, report_file, annotation_cap, len(shown))]
    if shown:
        head = ["gate", "result", "severity", "rule", "resource", "location", "criteria"]
        if annotated is not None:
            head.append("annotation")
        out += [
            "",
            "### Findings, most severe first",
            "",
            "| " + " | ".join(head) + " |",
            "|" + "---|" * len(head),
        ]
        for f in shown[:MAX_ROWS]:
            rule = rules[f.rule_id]
            failing = f.status.value == "fail"
            row = [
                "❌ fails" if failing and _fails_gate(rule.severity, threshold) else "",
                f.status.value,
                rule.severity,
                f"{f.rule_id} {_cell(rule.title)}",
                f"`{_cell(f.resource)}`",
                f"`{_cell(place(f.location.path, f.location.start_line))}`",
                ", ".join(rule.criteria),
            ]
            if annotated is not None:
                row.append(annotated.get(id(f), ""))
            out.append("| " + " | ".join(row) + " |")
        if len(shown) > MAX_ROWS:
            where = f"`{_cell(report_file)}`" if report_file else "the full report"
            out.append(
                "| … | " + f"{len(shown) - MAX_ROWS} more in {where} |" + " |" * (len(head) - 2)
            )
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


def _annotation_note(
    report: Report, annotated: dict[int, str], report_file: str | None, cap: int | None, shown: int
) -> str:
    """One paragraph: which findings were annotated on the diff, and where the others are."""
    failing = len(report.failing())
    levels = {
        level: list(annotated.values()).count(level) for level in ("error", "warning", "notice")
    }
    said = ", ".join(f"{n} {level}{'s' if n != 1 else ''}" for level, n in levels.items() if n)
    limit = (
        f" (at most {cap} of each level, most severe first: GitHub shows no more per step)"
        if cap is not None
        else ""
    )
    text = f"**Annotated on the diff:** {said or 'nothing'}{limit}."
    rest = failing - len(annotated)
    where = ["the findings table below (column *annotation*)"] if shown else []
    if report_file and report_file.endswith(".sarif"):
        where.append(f"the SARIF file `{_cell(report_file)}` (code scanning, once uploaded)")
    elif report_file:
        where.append(f"the report file `{_cell(report_file)}`")
    if rest > 0:
        text += f" The other {rest} failing findings are in {' and '.join(where)}."
    elif failing:
        text += " Every failing finding is annotated"
        text += f"; all are also in {where[-1]}." if where else "."
    unknown = shown - failing
    if unknown > 0:
        text += (
            f" {unknown} unknown results (need review) are not annotated; they are in the table."
        )
    return text
