"""A record as one self-contained HTML page for auditors: inline CSS, no external assets."""

from __future__ import annotations

from html import escape

from soc2lint.evidence.markdown import narrowing, partial_note
from soc2lint.evidence.record import platforms_of
from soc2lint.reporters.common import place

_CSS = """
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;margin:24px;color:#1b1f23}
h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:28px 0 8px}
table{border-collapse:collapse;margin:4px 0 12px}
th,td{border:1px solid #d0d7de;padding:4px 8px;text-align:left;vertical-align:top}
th{background:#f6f8fa}code{font:12px ui-monospace,Menlo,Consolas,monospace;overflow-wrap:anywhere}
.verdict{display:inline-block;padding:4px 12px;border-radius:4px;font-weight:600}
.fail{background:#f8d7da}.pass{background:#d4edda}.unknown{background:#fff3cd}
.exception{background:#ffe0b2}.known{background:#fde2c4}.not_evaluated{background:#eceff1;color:#57606a}
.no_rules{background:#fff;color:#8c959f}.muted{color:#57606a}
td.cell{text-align:center;min-width:110px}
"""

_LABELS = {
    "fail": "fail",
    "unknown": "unknown",
    "known": "known failures",
    "exception": "exception",
    "pass": "pass",
    "not_evaluated": "no resources",
    "no_rules": "—",
}


def e(value: object) -> str:
    return escape("" if value is None else str(value), quote=True)


def c(value: object) -> str:
    return f"<code>{e(value)}</code>" if value not in (None, "") else "—"


def _table(headers: list[str], rows: list[list[str]], attrs: str = "") -> str:
    head = "".join(f"<th>{e(h)}</th>" for h in headers)
    body = "".join("<tr>" + "".join(f"<td>{cell}</td>" for cell in row) + "</tr>" for row in rows)
    return f"<table{attrs}><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _provenance(record: dict) -> str:
    repo, ci = record["repository"], record.get("ci") or {}
    rows = [
        ("Record", c(record["record_id"])),
        ("Started / finished (UTC)", f"{e(record['started'])} / {e(record['finished'])}"),
        ("Repository", c(repo["url"]) + (f" ({e(repo['error'])})" if repo.get("error") else "")),
        ("Branch", c(repo["branch"] or "detached HEAD")),
        ("Commit", c(repo["commit"])),
        (
            "Uncommitted changes",
            e("yes: " + ", ".join(repo["changed_paths"]))
            if repo["dirty"]
            else e("no" if repo["dirty"] is False else "unknown"),
        ),
    ]
    if repo.get("base_ref"):
        rows += [
            ("Base", f"{c(repo['base_ref'])} {c(repo['base_commit'])}"),
            ("Merge base", c(repo["merge_base"])),
        ]
    if ci:
        ids = ", ".join(f"{k}={v}" for k, v in ci.items() if v and not isinstance(v, dict))
        rows.append(("CI", e(ids)))
        pr = ci.get("pull_request")
        if pr:
            rows.append(("Pull request", e(", ".join(f"{k}={v}" for k, v in pr.items() if v))))
    cfg = record["configuration"]
    rows += [
        ("soc2lint", e(record["tool"]["version"])),
        (
            "Ruleset sha256",
            f"{c(record['ruleset']['sha256'])} ({e(record['ruleset']['rules'])} rules)",
        ),
        ("Configuration", f"{c(cfg['path'])} {c(cfg['sha256'])}" if cfg["sha256"] else "defaults"),
        (
            "TSC catalogue",
            f"{e(record['catalogue']['version'])} {c(record['catalogue']['sha256'])}",
        ),
        (
            "Scope",
            e("all criteria" if record["scope"]["all"] else ", ".join(record["scope"]["criteria"])),
        ),
        (
            "Files",
            f"{e(record['files']['count'])}, tree sha256 {c(record['files']['tree_sha256'])}",
        ),
        ("Baseline", e(record["baseline"]) if record.get("baseline") else "none"),
        ("Gate", f"{e(record['gate']['verdict'])} (fail on {e(record['gate']['threshold'])})"),
    ]
    body = "".join(f"<tr><th>{e(k)}</th><td>{v}</td></tr>" for k, v in rows)
    return f'<table id="provenance"><tbody>{body}</tbody></table>'


def _matrix(record: dict) -> str:
    # the cells the record has: four before schema 1.3, one per registered platform since
    columns = platforms_of(record)
    head = "".join(f"<th>{e(p)}</th>" for p in columns)
    rows = []
    for crit in record["results"]["criteria"]:
        cells = []
        for platform in columns:
            cell = crit["platforms"].get(platform)
            if cell is None:  # a record that has no cell for it in this criterion
                cells.append('<td class="cell no_rules">—</td>')
                continue
            n = cell["counts"]
            detail = " · ".join(
                f"{k} {n[k]}" for k in ("fail", "unknown", "suppressed", "pass") if n[k]
            )
            label = e(_LABELS[cell["result"]]) + (
                f'<br><span class="muted">{e(detail)}</span>' if detail else ""
            )
            cells.append(f'<td class="cell {e(cell["result"])}">{label}</td>')
        rows.append(
            f"<tr><th>{c(crit['criterion'])} {e(crit['title'] or '')}</th>{''.join(cells)}</tr>"
        )
    return (
        f'<table id="coverage"><thead><tr><th>Criterion</th>{head}</tr></thead>'
        f"<tbody>{''.join(rows)}</tbody></table>"
    )


def render_html(record: dict) -> str:
    """The whole page; every value from the record is HTML-escaped."""
    gate = record["gate"]
    totals = record["results"]["totals"]
    findings = [
        [
            c(f["rule_id"]),
            e(f["status"]),
            e(f["severity"]),
            c(f["resource"]),
            c(place(f["path"], f["line"])),
            e(f["message"]),
        ]
        for f in record["findings"]
    ]
    exceptions = [
        [
            c(x["rule_id"]),
            c(x["resource"]),
            e(x["reason"]),
            e(x["expires"] or "never"),
            c(f"{x['marker_path']}:{x['marker_line']}"),
            c(x["introduced"]["commit"])
            + (
                f" {e(x['introduced']['author'])}, {e(x['introduced']['date'])}"
                if x["introduced"]["commit"]
                else " uncommitted"
            ),
        ]
        for x in record["exceptions"]
    ]
    gaps = record["not_checked"]
    missing = (
        [
            f"parse error {c(x['path'])}:{e(x['line'])} {e(x['message'])}"
            for x in gaps["parse_errors"]
        ]
        + [f"rule error {e(x)}" for x in gaps["rule_errors"]]
        + [
            f"not read {c(x['path'])}: {e(x['kind'])} (no platform of soc2lint reads it)"
            for x in gaps.get("unsupported", [])
        ]
        + [
            f"uncovered {c(x['type'])} ×{e(x['resources'])}: no enabled rule judges it"
            for x in gaps.get("uncovered_types", [])
        ]
        + [f"skipped {c(x['path'])}: {e(x['reason'])}" for x in gaps["skipped"]]
        + [
            f"module not read {c(x.get('path'))}: {e(x.get('source'))} {e(x.get('reason'))}"
            for x in gaps["unavailable_modules"]
        ]
        + [f"note {c(x.get('path'))}: {e(x.get('message'))}" for x in gaps["notes"]]
        + [f"narrowed: {e(n)}" for n in narrowing(record)]
        + [
            f"exception marker problem {c(x.get('path'))}:{e(x.get('line'))}"
            for x in record["suppression_problems"]
        ]
        + [
            f"criteria in scope without an automated rule: "
            f"{e(', '.join(record['scope']['uncovered']) or 'none')}"
        ]
    )
    files = [[c(p), c(d)] for p, d in record["files"]["sha256"].items()]
    verdict = "pass" if gate["verdict"] == "pass" else "fail"
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f"<title>soc2lint evidence {e(record['record_id'])}</title>",
        f"<style>{_CSS}</style></head><body>",
        "<h1>soc2lint change-control evidence</h1>",
        f'<p><span class="verdict {verdict}">gate {e(gate.get("statement") or gate["verdict"])}'
        "</span> "
        f"fail on {e(gate['threshold'])} · {e(totals['fail'])} fail · {e(totals['pass'])} pass · "
        f"{e(totals['unknown'])} unknown · {e(totals['suppressed'])} covered by exceptions"
        f"{e(partial_note(record))}</p>",
        "<h2>Criteria coverage</h2>",
        _matrix(record),
        f"<h2>Exceptions ({len(exceptions)})</h2>",
        _table(
            ["Rule", "Resource", "Reason", "Expires", "Marker", "Introduced in"],
            exceptions,
            ' id="exceptions"',
        )
        if exceptions
        else "<p>None.</p>",
        f"<h2>Failing and unknown results ({len(findings)})</h2>",
        _table(
            ["Rule", "Status", "Severity", "Resource", "Location", "Message"],
            findings,
            ' id="findings"',
        )
        if findings
        else "<p>None.</p>",
        "<h2>Not checked</h2>",
        '<ul id="not-checked">' + "".join(f"<li>{m}</li>" for m in missing) + "</ul>",
        "<h2>Provenance</h2>",
        _provenance(record),
        f"<details><summary>sha256 of the {len(files)} scanned files</summary>",
        _table(["Path", "sha256"], files, ' id="files"'),
        "</details>",
        "</body></html>",
    ]
    return "\n".join(parts) + "\n"
