"""The population an auditor samples from: every commit that reached a branch in a period,
beside the evidence records covering it."""

from __future__ import annotations

import csv
import datetime as dt
import json
import random
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

from soc2lint.evidence.gitinfo import branch_log, git
from soc2lint.evidence.hashing import sha256_hex
from soc2lint.evidence.ledger import read_entries
from soc2lint.pipeline.inputs import InputFileError, read_regular

SCHEMA_ID = "soc2lint/evidence/population-1"
CSV_COLUMNS = (
    "commit",
    "committed",
    "author",
    "subject",
    "first_parent",
    "merged_by",
    "covered",
    "coverage",
    "records",
    "verdicts",
    "problems",
)


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


@dataclass
class _Record:
    """What population needs of one ledger entry's record file."""

    record_id: str
    commit: str | None
    tree: str | None = None
    head_sha: str | None = None
    verdict: str = "missing"
    problem: str | None = None  # why this record cannot stand for its commit

    @property
    def usable(self) -> bool:
        return self.problem is None


def _read_record(records: Path, entry: dict) -> _Record:
    rid = str(entry.get("record_id"))
    out = _Record(rid, str(entry["commit"]) if entry.get("commit") else None)
    if not (records / f"{rid}.json").exists():
        out.problem = f"record {rid}: file missing"
        return out
    try:
        raw = read_regular(records / f"{rid}.json", "evidence record")
    except InputFileError as exc:
        out.problem = f"record {rid}: {exc}"
        return out
    if sha256_hex(raw) != entry.get("record_sha256"):
        out.problem = f"record {rid}: file does not match its ledger digest"
        return out
    try:
        data = json.loads(raw.decode("utf-8"))
        out.verdict = str(data["gate"]["verdict"])
        repo = data.get("repository") or {}
        out.tree = repo.get("tree")
        pull = (data.get("ci") or {}).get("pull_request") or {}
        out.head_sha = pull.get("head_sha") if isinstance(pull, dict) else None
        if repo.get("dirty"):
            changed = ", ".join(repo.get("changed_paths") or []) or "uncommitted changes"
            out.problem = f"record {rid}: scanned a tree with changes not in the commit ({changed})"
    except (UnicodeDecodeError, ValueError, KeyError, TypeError, AttributeError):
        out.problem = f"record {rid}: not a readable record"
    return out


def population(
    ledger: str | Path,
    since: str,
    until: str | None = None,
    branch: str = "main",
    repo: str | Path = ".",
    records_dir: str | Path | None = None,
) -> dict:
    """Every commit that reached branch and was committed in [since, until], oldest first,
    beside the records that cover it.

    A record covers a commit when it was made at that commit, or at a commit with the same git
    tree (a pull request's test merge whose content became the merge commit), or, for a merge
    commit, at the head of the pull request it merged. A commit merged in from another branch
    is also covered by the covered merge that brought it in. A record of a dirty tree, or
    whose file is missing or edited, covers nothing and is listed under problems.

    Raises ValueError for a bad date or branch, LedgerError for an unreadable ledger."""
    start = parse_date(since)
    stop = parse_date(until, end=True) if until else None
    if stop is not None and stop <= start:
        raise ValueError(f"--until {until} is before --since {since}")
    records = Path(records_dir) if records_dir else Path(ledger).parent
    by_commit: dict[str, list[_Record]] = defaultdict(list)
    by_tree: dict[str, list[_Record]] = defaultdict(list)
    by_head: dict[str, list[_Record]] = defaultdict(list)
    for entry in read_entries(ledger):
        record = _read_record(records, entry)
        if record.commit:
            by_commit[record.commit].append(record)
        if record.tree:
            by_tree[record.tree].append(record)
        if record.head_sha:
            by_head[record.head_sha].append(record)
    log = branch_log(repo, branch)

    def covering(commit: dict) -> tuple[str | None, list[_Record]]:
        found = by_commit.get(commit["commit"], [])
        if any(r.usable for r in found):
            return "commit", found
        same = [r for r in by_tree.get(commit["tree"], []) if r not in found]
        if any(r.usable for r in same):
            return "same tree", found + same
        heads = [r for p in commit["parents"][1:] for r in by_head.get(p, [])]
        if any(r.usable for r in heads):
            return "pull request head", found + same + heads
        return None, found + same

    coverage = {c["commit"]: covering(c) for c in log}
    merged_by = _merged_by(repo, log)
    rows = []
    for commit in reversed(log):
        when = commit["committed"]
        if when < start or (stop is not None and when >= stop):
            continue
        how, found = coverage[commit["commit"]]
        via = merged_by.get(commit["commit"])
        if how is None and via and coverage.get(via, (None,))[0]:
            how = "merge"
        rows.append(
            {
                "commit": commit["commit"],
                "committed": _iso(when),
                "author": commit["author"],
                "subject": commit["subject"],
                "first_parent": commit["first_parent"],
                "merged_by": via,
                "covered": how is not None,
                "coverage": how,
                "records": [r.record_id for r in found],
                "verdicts": [r.verdict for r in found],
                "problems": [r.problem for r in found if r.problem],
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


def _merged_by(repo: str | Path, log: list[dict]) -> dict[str, str]:
    """For each commit merged in from another branch, the first-parent merge that brought it."""
    out: dict[str, str] = {}
    for commit in log:
        if not commit["first_parent"] or len(commit["parents"]) < 2:
            continue
        first, *others = commit["parents"]
        listed = git(repo, "rev-list", *others, f"^{first}", "--") or ""
        for sha in listed.split():
            out.setdefault(sha, commit["commit"])
    return out


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
                    "yes" if row["first_parent"] else "no",
                    row["merged_by"] or "",
                    "yes" if row["covered"] else "no",
                    row["coverage"] or "",
                    ";".join(row["records"]),
                    ";".join(row["verdicts"]),
                    _cell("; ".join(row["problems"])),
                ]
            )


def _cell(value: str) -> str:
    """Spreadsheets run cells starting with = + - @ as formulas; a quote keeps them text."""
    return f"'{value}" if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value


def write_json(population: dict, path: str | Path) -> None:
    Path(path).write_text(json.dumps(population, indent=2, ensure_ascii=False) + "\n", "utf-8")
