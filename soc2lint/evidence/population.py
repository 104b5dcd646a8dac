"""The population an auditor samples from: every commit that reached a branch in a period,
beside the evidence records covering it."""

from __future__ import annotations

import csv
import datetime as dt
import json
import random
from collections import defaultdict
from pathlib import Path

from soc2lint.evidence.gitinfo import first_parent_log
from soc2lint.evidence.ledger import read_entries

SCHEMA_ID = "soc2lint/evidence/population-1"
CSV_COLUMNS = ("commit", "committed", "author", "subject", "covered", "records", "verdicts")


def parse_date(value: str, end: bool = False) -> dt.datetime:
    """YYYY-MM-DD (a whole UTC day: its end when end is set) or an ISO 8601 date-time (UTC when
    no offset is given). end: the returned moment is exclusive."""
    value = value.strip()
    try:
        if len(value) == 10:
            day = dt.datetime.strptime(value, "%Y-%m-%d").replace(tzinfo=dt.timezone.utc)
            return day + dt.timedelta(days=1) if end else day
        moment = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(f"{value!r} is not a date (YYYY-MM-DD) or ISO 8601 date-time") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.timezone.utc)
    return moment + dt.timedelta(seconds=1) if end else moment


def _iso(moment: dt.datetime) -> str:
    return moment.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _verdict(records: Path, record_id: str) -> str:
    try:
        data = json.loads((records / f"{record_id}.json").read_text(encoding="utf-8"))
        return str(data["gate"]["verdict"])
    except (OSError, UnicodeDecodeError, ValueError, KeyError, TypeError):
        return "missing"


def population(
    ledger: str | Path,
    since: str,
    until: str | None = None,
    branch: str = "main",
    repo: str | Path = ".",
    records_dir: str | Path | None = None,
) -> dict:
    """Every first-parent commit of branch committed in [since, until], oldest first, with the
    ids and gate verdicts of the records whose commit it is; covered is False where none is.

    Raises ValueError for a bad date or branch, LedgerError for an unreadable ledger."""
    start = parse_date(since)
    stop = parse_date(until, end=True) if until else None
    if stop is not None and stop <= start:
        raise ValueError(f"--until {until} is before --since {since}")
    records = Path(records_dir) if records_dir else Path(ledger).parent
    by_commit: dict[str, list[str]] = defaultdict(list)
    for entry in read_entries(ledger):
        if entry.get("commit"):
            by_commit[str(entry["commit"])].append(str(entry.get("record_id")))
    rows = []
    for commit in reversed(first_parent_log(repo, branch)):
        when = commit["committed"]
        if when < start or (stop is not None and when >= stop):
            continue
        ids = by_commit.get(commit["commit"], [])
        rows.append(
            {
                "commit": commit["commit"],
                "committed": _iso(when),
                "author": commit["author"],
                "subject": commit["subject"],
                "covered": bool(ids),
                "records": ids,
                "verdicts": [_verdict(records, rid) for rid in ids],
            }
        )
    return {
        "schema": SCHEMA_ID,
        "branch": branch,
        "since": _iso(start),
        "until": _iso(stop - dt.timedelta(seconds=1)) if stop else None,
        "ledger": str(ledger),
        "generated": _iso(dt.datetime.now(dt.timezone.utc)),
        "commits": len(rows),
        "uncovered": sum(1 for r in rows if not r["covered"]),
        "rows": rows,
    }


def sample(population: dict | list[dict], n: int, seed: int | str) -> list[dict]:
    """n rows picked with random.Random(seed): the same seed gives the same sample; output in
    population order (oldest commit first)."""
    rows = population["rows"] if isinstance(population, dict) else population
    if n < 0:
        raise ValueError("sample size must not be negative")
    picked = random.Random(seed).sample(range(len(rows)), min(n, len(rows)))
    return [rows[i] for i in sorted(picked)]


def write_csv(population: dict, path: str | Path) -> None:
    """One row per commit; records and verdicts joined with ';'."""
    with Path(path).open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(CSV_COLUMNS)
        for row in population["rows"]:
            writer.writerow(
                [
                    row["commit"],
                    row["committed"],
                    _cell(row["author"]),
                    _cell(row["subject"]),
                    "yes" if row["covered"] else "no",
                    ";".join(row["records"]),
                    ";".join(row["verdicts"]),
                ]
            )


def _cell(value: str) -> str:
    """Spreadsheets run cells starting with = + - @ as formulas; a quote keeps them text."""
    return f"'{value}" if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value


def write_json(population: dict, path: str | Path) -> None:
    Path(path).write_text(json.dumps(population, indent=2, ensure_ascii=False) + "\n", "utf-8")
