"""Human output: findings grouped by file, then a summary by severity and by criterion."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from itertools import groupby

from soc2lint.pipeline.coverage import headline
from soc2lint.reporters.common import (
    SEVERITY_ORDER,
    coverage_summary,
    printable,
    scope_warning,
    summary,
    visible,
)
from soc2lint.scan import Report

_COLOURS = {
    "critical": "1;31",
    "high": "31",
    "medium": "33",
    "low": "36",
    "info": "37",
    "unknown": "35",
    "dim": "2",
    "bold": "1",
    "green": "32",
}


def use_colour(stream: object = None, force: bool | None = None) -> bool:
    """Colour only on a terminal, and never when NO_COLOR is set (https://no-color.org);
    FORCE_COLOR turns it on without a terminal (https://force-color.org: a CI log that renders
    colour). --color/--no-color decide over both; NO_COLOR over FORCE_COLOR, as in CPython."""
    if force is not None:
        return force
    if os.environ.get("NO_COLOR"):
        return False
    if os.environ.get("FORCE_COLOR"):
        return True
    stream = stream or sys.stdout
    return bool(getattr(stream, "isatty", lambda: False)())


def render(
    report: Report,
    colour: bool = False,
    show_suppressed: bool = False,
    clean: Callable[[object], str] = printable,
    **_options: object,
) -> str:
    """The report for a person. Every string that came from the repository (file names,
    resource addresses, messages quoting values, rule texts, reasons) passes `clean` first:
    by default `printable`, which writes control characters as escapes; the GitHub Action
    passes its own, which also keeps a line from being read as a workflow command."""
    cleaned: dict[str, str] = {}

    def c(text: object) -> str:
        # a report repeats most texts (rule ids, messages, paths): each is cleaned once
        if type(text) is not str:
            return clean(text)
        done = cleaned.get(text)
        if done is None:
            done = cleaned[text] = clean(text)
        return done

    def paint(text: str, style: str) -> str:
        return f"\033[{_COLOURS[style]}m{text}\033[0m" if colour else text

    rules = {r.id: r for r in report.rules}
    # (rule id, status) -> the finding's label and its last line, the same for all its results
    said: dict[tuple[str, str], tuple[str, str]] = {}
    lines: list[str] = []
    shown = visible(report)
    for path, group in groupby(shown, key=lambda f: f.location.path):
        lines.append(paint("repository (as a whole)" if path == "." else c(path), "bold"))
        for f in group:
            status = f.status.value
            label_criteria = said.get((f.rule_id, status))
            if label_criteria is None:
                rule = rules[f.rule_id]
                label = "UNKNOWN" if status == "unknown" else c(rule.severity.upper())
                style = "unknown" if status == "unknown" else rule.severity
                label_criteria = said[f.rule_id, status] = (
                    f"{paint(label.ljust(8), style)} {c(f.rule_id)}  ",
                    paint(
                        f"        criteria: {c(', '.join(rule.criteria))}  ({c(rule.name)})",
                        "dim",
                    ),
                )
            line = f.location.start_line or ""  # none for the repository as a whole
            lines.append(f"  {line:>4}  {label_criteria[0]}{c(f.resource)}")
            lines.append(f"        {c(f.message)}")
            if f.value_source:
                lines.append(paint(f"        {c(f.value_source)}", "dim"))
            for site in f.call_sites:
                via = f"        via module call at {c(site.path)}:{site.start_line}"
                lines.append(paint(via, "dim"))
            lines.append(label_criteria[1])
        lines.append("")
    cov = report.coverage or {}
    uncovered = cov.get("resources", {}).get("uncovered", [])
    if (
        report.errors
        or report.skipped
        or report.rule_errors
        or report.unavailable_modules
        or report.unsupported
        or uncovered
    ):
        lines.append(paint("Not checked", "bold"))
        for item in report.unsupported:
            lines.append(
                f"  {c(item['path'])}: not read: {item['kind']} (no platform of soc2lint reads it)"
            )
        for t in uncovered:
            lines.append(
                f"  uncovered: {c(t['type'])} \u00d7{t['resources']} ({t['platform']}: "
                "no enabled rule judges this type)"
            )
        for e in report.errors:
            lines.append(f"  {c(e.path)}:{e.line}: parse error: {c(e.message)}")
        for skip in report.skipped:
            lines.append(f"  {c(skip.path)}: skipped: {c(skip.reason)}")
        for msg in report.rule_errors:
            lines.append(f"  rule error: {c(msg)}")
        for mod in report.unavailable_modules:
            lines.append(
                f"  {c(mod['path'])}:{mod['line']}: module {c(repr(mod['source']))} not "
                f"available: {c(mod['reason'])} (its outputs are unknown)"
            )
        lines.append("")
    if report.suppression_problems:
        lines.append(paint("Suppression markers that did not suppress", "bold"))
        lines.extend(
            f"  {c(p['path'])}:{p['line']}: {c(p['rule'])}: {c(p['problem'])}"
            for p in report.suppression_problems
        )
        lines.append("")
    if report.suppressed and show_suppressed:
        lines.append(paint("Suppressed (accepted exceptions)", "bold"))
        for f, sup in report.suppressed:
            until = f" until {c(sup.expires)}" if sup.expires else ""
            lines.append(
                f"  {c(f.location.path)}:{f.location.start_line}  {c(f.rule_id)}  "
                f"{c(f.resource)}  reason: {c(sup.reason)}{until} ({c(sup.source)} at "
                f"{c(sup.path)}:{sup.line})"
            )
        lines.append("")
    if report.notes:
        lines.append(paint("Notes", "bold"))
        lines.extend(f"  {c(n['path'])}: {c(n['message'])}" for n in report.notes)
        lines.append("")
    s = summary(report)
    lines.append(paint("Summary", "bold"))
    lines.append(
        f"  {s['files_scanned']} files, {s['resources']} resources, {s['rules']} rules: "
        f"{paint(str(s['fail']) + ' failed', 'high' if s['fail'] else 'green')}, "
        f"{s['pass']} passed, {s['unknown']} unknown"
        + (f", {s['parse_errors']} parse errors" if s["parse_errors"] else "")
        + (f", {s['skipped']} skipped" if s["skipped"] else "")
        + (f", {s['suppressed']} suppressed" if s["suppressed"] else "")
        + (f", {s['baselined']} in the baseline" if report.baseline else "")
    )
    gap = scope_warning(report)
    if gap:
        lines.append(paint(f"  warning: {c(gap)}", "medium"))
    lines.extend(f"  {c(line)}" for line in coverage_summary(report))
    if cov.get("empty"):
        lines.append(paint(f"  warning: {c(cov['empty'])}", "medium"))
    if report.diff:
        lines.append(
            f"  against {c(report.diff['base_ref'])} (merge base "
            f"{report.diff['merge_base'][:12]}): {report.diff['new']} new, "
            f"{report.diff['fixed']} fixed"
        )
    sev = [f"{name} {s['by_severity'][name]}" for name in SEVERITY_ORDER if s["by_severity"][name]]
    if sev:
        lines.append(f"  failed by severity: {', '.join(sev)}")
    if s["by_criterion"]:
        lines.append("  by criterion (fail/pass/unknown):")
        for crit, counts in s["by_criterion"].items():
            fail, passed, unknown = counts["fail"], counts["pass"], counts["unknown"]
            lines.append(f"    {c(crit):<6} {fail:>4} / {passed:>4} / {unknown:>4}")
    loud = headline(cov)
    if loud:
        lines.append(paint(c(loud), "high"))
    return "\n".join(lines) + "\n"
