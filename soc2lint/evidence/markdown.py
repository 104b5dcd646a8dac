"""A record in Markdown, short enough for a pull-request comment."""

from __future__ import annotations

import re

from soc2lint.reporters.common import place

RESULT_LABELS = {
    "fail": "❌ fail",
    "unknown": "❔ unknown",
    "known": "🔶 known failures",
    "exception": "⚠️ exception",
    "pass": "✅ pass",
    "not_evaluated": "➖ no resources",
    "no_rules": "· no rules",
}

_SPECIAL = re.compile(r"([\\`*_\[\]|~#])")


def text(value: object) -> str:
    """Untrusted text made inert in Markdown (and in the HTML GitHub allows): one line, escaped."""
    s = " ".join(str(value).split())
    s = s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return _SPECIAL.sub(r"\\\1", s)


def code(value: object) -> str:
    """A code span; backticks cannot occur inside one, so they are dropped."""
    s = " ".join(str(value).replace("`", "'").split())
    return f"`{s}`" if s else "—"


def short(sha: str | None) -> str:
    return code(sha[:12]) if sha else "—"


def _row(*cells: object) -> str:
    return "| " + " | ".join(str(c) for c in cells) + " |"


def _capped(rows: list[str], total: int, limit: int) -> list[str]:
    return rows[:limit] + (
        [f"\n…and {total - limit} more (see the JSON record)"] if total > limit else []
    )


def provenance_lines(record: dict) -> list[str]:
    repo = record["repository"]
    if repo.get("error") and not repo.get("commit"):
        where = f"Not a commit: {text(repo['error'])}"
    else:
        where = f"Commit {short(repo['commit'])} on {code(repo['branch'] or 'detached HEAD')}"
    if repo.get("url"):
        where += f" of {code(repo['url'])}"
    if repo.get("dirty"):
        where += f" **with uncommitted changes** ({len(repo['changed_paths'])} files)"
    if repo.get("base_ref"):
        where += (
            f" · base {code(repo['base_ref'])} {short(repo['base_commit'])}, "
            f"merge base {short(repo['merge_base'])}"
        )
    ruleset, files = record["ruleset"], record["files"]
    lines = [
        where,
        f"Record {code(record['record_id'])} · soc2lint {text(record['tool']['version'])} · "
        f"ruleset {short(ruleset['sha256'])} ({ruleset['rules']} rules) · "
        f"{files['count']} file{'' if files['count'] == 1 else 's'}, "
        f"tree {short(files['tree_sha256'])}",
    ]
    ci = record.get("ci")
    if ci and ci.get("provider") == "github":
        run = f"CI: GitHub Actions {text(ci.get('repository'))} run {text(ci.get('run_id'))}"
        run += f" attempt {text(ci.get('run_attempt'))} ({text(ci.get('workflow'))}"
        run += f", {text(ci.get('event_name'))})"
        lines.append(run + _pull_request(ci))
    elif ci and ci.get("provider") == "gitlab":
        run = f"CI: GitLab {text(ci.get('project'))} pipeline {text(ci.get('pipeline_id'))}"
        lines.append(run + f" job {text(ci.get('job_id'))}" + _pull_request(ci))
    return lines


def partial_note(record: dict) -> str:
    """Say which failures were evaluated but left out of the gate (diff mode, baseline)."""
    why = []
    if record.get("diff"):
        why.append("already failing at the merge base")
    if record.get("baseline"):
        why.append("in the baseline")
    if not why:
        return ""
    known = record["results"]["totals"].get("known")
    count = f"{known} known failures" if known is not None else "known failures"
    return f" · {count} not gated ({' or '.join(why)})"


def narrowing(record: dict) -> list[str]:
    """How the command line or configuration narrowed the scan, one plain sentence each."""
    out = []
    inv = record.get("invocation") or {}
    if inv.get("targets") and inv["targets"] != ["."]:
        out.append("scanned only " + ", ".join(inv["targets"]))
    if inv.get("rules"):
        out.append("only the rules " + ", ".join(inv["rules"]))
    if inv.get("exclude"):
        out.append("exclude patterns " + ", ".join(inv["exclude"]))
    if inv.get("only_changed"):
        out.append("findings reported only for the changed files given")
    if inv.get("scoped_to") is not None:
        count = len(inv["scoped_to"])
        out.append(f"parsed only the {count} changed files and their context")
    for item in record["not_checked"].get("excluded", []):
        out.append(f"excluded {item['path']} ({item['reason']})")
    return out


def _pull_request(ci: dict) -> str:
    pr = ci.get("pull_request")
    if not pr:
        return ""
    out = f" · pull request #{text(pr.get('number'))}"
    if pr.get("author"):
        out += f" by {text(pr['author'])}"
    return out + f" ({text(pr.get('head'))} → {text(pr.get('base'))})"


def render_markdown(record: dict, limit: int = 25) -> str:
    """Verdict, new (or failing) and fixed findings, exceptions, what was not checked, coverage."""
    gate = record["gate"]
    passed = gate["verdict"] == "pass"
    totals = record["results"]["totals"]
    complete = gate.get("coverage", "complete") == "complete"
    mark = ("✅" if complete else "⚠️") if passed else "❌"
    said = gate.get("statement") or ("passed" if passed else "failed")
    lines = [
        f"### {mark} soc2lint evidence: gate "
        f"{said if passed else said.replace('failed', 'FAILED', 1)} "
        f"(fail on {text(gate['threshold'])})",
        "",
        *(line + "  " for line in provenance_lines(record)),
        f"Results: {totals['fail']} fail · {totals['pass']} pass · {totals['unknown']} unknown · "
        f"{totals['suppressed']} covered by exceptions{partial_note(record)}",
        "",
    ]
    diff = record.get("diff")
    failing = [f for f in record["findings"] if f["status"] == "fail"]
    lines.append(f"#### {'New' if diff else 'Failing'} findings ({len(failing)})")
    rows = [
        _row(
            code(f["rule_id"]),
            text(f["severity"]),
            code(f["resource"]),
            code(place(f["path"], f["line"])),
            text(f["message"]),
        )
        for f in failing
    ]
    if rows:
        lines += ["", _row("Rule", "Severity", "Resource", "Location", "Message")]
        lines += [_row(*["---"] * 5), *_capped(rows, len(rows), limit)]
    else:
        lines += ["", "None."]
    if diff:
        fixed = diff.get("fixed_findings") or []
        lines += ["", f"#### Fixed findings ({diff.get('fixed') or len(fixed)})", ""]
        items = [f"- {code(f['rule_id'])} {code(f['resource'])} {code(f['path'])}" for f in fixed]
        lines += (
            _capped(items, len(items), limit)
            if items
            else [
                f"{diff['fixed']} result(s) failing at the merge base no longer fail."
                if diff.get("fixed")
                else "None."
            ]
        )
    unknown = [f for f in record["findings"] if f["status"] == "unknown"]
    if unknown:
        lines += [
            "",
            f"<details><summary>{len(unknown)} results unknown (values static analysis "
            "cannot know)</summary>",
            "",
        ]
        items = [
            f"- {code(f['rule_id'])} {code(f['resource'])}: {text(f['message'])}" for f in unknown
        ]
        lines += [*_capped(items, len(items), limit), "", "</details>"]
    lines += ["", *exception_lines(record, limit), "", *not_checked_lines(record, limit)]
    lines += ["", *coverage_lines(record)]
    return "\n".join(lines) + "\n"


def coverage_lines(record: dict) -> list[str]:
    """Criteria with results in a table; those whose rules matched nothing on one line."""
    criteria = record["results"]["criteria"]
    shown = [c for c in criteria if c["result"] not in ("not_evaluated", "no_rules")]
    idle = [c["criterion"] for c in criteria if c not in shown]
    lines = ["#### Criteria coverage", ""]
    if shown:
        lines += [_row("Criterion", "Title", "Result", "Pass", "Fail", "Unknown", "Exceptions")]
        lines += [_row(*["---"] * 7)]
    for c in shown:
        n = c["counts"]
        lines.append(
            _row(
                code(c["criterion"]),
                text(c["title"] or ""),
                RESULT_LABELS[c["result"]],
                n["pass"],
                n["fail"],
                n["unknown"],
                n["suppressed"],
            )
        )
    if idle:
        lines += ["", f"No scanned resource for the rules of: {', '.join(idle)}."]
    return lines


def exception_lines(record: dict, limit: int) -> list[str]:
    items = record["exceptions"]
    lines = [f"#### Exceptions ({len(items)})", ""]
    if not items:
        return lines + ["None."]
    lines += [_row("Rule", "Resource", "Reason", "Expires", "Marker", "Introduced in")]
    lines += [_row(*["---"] * 6)]
    rows = [
        _row(
            code(e["rule_id"]),
            code(e["resource"]),
            text(e["reason"]),
            text(e["expires"] or "never"),
            code(f"{e['marker_path']}:{e['marker_line']}"),
            short(e["introduced"]["commit"]) if e["introduced"]["commit"] else "uncommitted",
        )
        for e in items
    ]
    return lines + _capped(rows, len(rows), limit)


def not_checked_lines(record: dict, limit: int) -> list[str]:
    gaps = record["not_checked"]
    items = [
        f"- parse error: {code(e['path'] + ':' + str(e['line']))} {text(e['message'])}"
        for e in gaps["parse_errors"]
    ]
    items += [f"- rule error: {text(e)}" for e in gaps["rule_errors"]]
    items += [
        f"- not read: {code(u['path'])} {text(u['kind'])} (no platform of soc2lint reads it)"
        for u in gaps.get("unsupported", [])
    ]
    items += [
        f"- uncovered: {code(t['type'])} ×{text(t['resources'])} (no enabled rule judges it)"
        for t in gaps.get("uncovered_types", [])
    ]
    items += [f"- skipped: {code(s['path'])} {text(s['reason'])}" for s in gaps["skipped"]]
    items += [
        f"- module not read: {code(str(m.get('path')) + ':' + str(m.get('line')))} "
        f"{code(m.get('source', ''))} {text(m.get('reason', ''))}"
        for m in gaps["unavailable_modules"]
    ]
    items += [
        f"- note: {code(n.get('path', ''))} {text(n.get('message', ''))}" for n in gaps["notes"]
    ]
    items += [f"- narrowed: {text(n)}" for n in narrowing(record)]
    items += [
        f"- exception marker problem: {code(str(p.get('path')) + ':' + str(p.get('line')))} "
        f"{text(p.get('problem') or p.get('message') or p.get('reason') or '')}"
        for p in record["suppression_problems"]
    ]
    uncovered = record["scope"]["uncovered"]
    scope = (
        "all criteria" if record["scope"]["all"] else f"{len(record['scope']['criteria'])} criteria"
    )
    tail = [
        f"- scope: {scope}; {len(uncovered)} in scope have no automated rule "
        "(evidence for them comes from elsewhere)"
    ]
    if record.get("baseline"):
        b = record["baseline"]
        tail.append(
            f"- baseline {code(b.get('path', ''))} {short(b.get('sha256'))} hides "
            f"{text(b.get('baselined', 0))} known findings"
        )
    return ["#### Not checked", "", *_capped(items, len(items), limit), *tail]
