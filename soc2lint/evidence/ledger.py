"""An append-only ledger of records, chained by hash, and its verification."""

from __future__ import annotations

import datetime as dt
import json
import re
from dataclasses import dataclass, field
from pathlib import Path

from soc2lint.evidence.gitinfo import git
from soc2lint.evidence.hashing import canonical, sha256_hex
from soc2lint.pipeline.inputs import InputFileError, read_regular

try:  # POSIX: serialise concurrent appends; elsewhere appends are not locked
    import fcntl
except ImportError:  # pragma: no cover
    fcntl = None  # type: ignore[assignment]

_SAFE_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
FIELDS = (
    "seq",
    "record_id",
    "record_sha256",
    "commit",
    "created",
    "prev_entry_sha256",
    "entry_sha256",
)


class LedgerError(Exception):
    """The ledger cannot be appended to or read."""


def entry_digest(entry: dict) -> str:
    """sha256 of an entry's canonical JSON without its own entry_sha256."""
    return sha256_hex(canonical({k: v for k, v in entry.items() if k != "entry_sha256"}))


def append(ledger: str | Path, record_id: str, record_sha256: str, commit: str | None) -> dict:
    """Add one entry chained to the last one; returns the entry."""
    path = Path(ledger)
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.is_symlink() or (path.exists() and not path.is_file()):
        # a link planted in the evidence directory must not redirect the append elsewhere
        raise LedgerError(f"{path}: not a regular file (a symbolic link?); not appending to it")
    with path.open("a+", encoding="utf-8") as handle:
        if fcntl is not None:
            fcntl.flock(handle, fcntl.LOCK_EX)
        handle.seek(0)
        content = handle.read()
        lines = [ln for ln in content.splitlines() if ln.strip()]
        last = None
        if lines:
            try:
                last = json.loads(lines[-1])
                prev, seq = last["entry_sha256"], int(last["seq"]) + 1
            except (ValueError, KeyError, TypeError):
                raise LedgerError(
                    f"{path}: the last line is not a ledger entry; "
                    "run `soc2lint evidence verify` before adding records"
                ) from None
        else:
            prev, seq = None, 1
        entry = {
            "seq": seq,
            "record_id": record_id,
            "record_sha256": record_sha256,
            "commit": commit,
            "created": dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
            "prev_entry_sha256": prev,
        }
        entry["entry_sha256"] = entry_digest(entry)
        handle.seek(0, 2)
        # a last line without its newline (cut by an editor) must not swallow this entry
        lead = "\n" if content and not content.endswith("\n") else ""
        handle.write(lead + json.dumps(entry, sort_keys=True, separators=(",", ":")) + "\n")
    return entry


def read_entries(ledger: str | Path) -> list[dict]:
    """The entries that parse, in file order (verification is verify()'s job)."""
    try:
        text = read_regular(ledger, "ledger").decode("utf-8")
    except (InputFileError, UnicodeDecodeError) as exc:
        raise LedgerError(f"{ledger}: cannot read ledger: {exc}") from None
    out = []
    for line in text.splitlines():
        try:
            entry = json.loads(line)
        except ValueError:
            continue
        if isinstance(entry, dict):
            out.append(entry)
    return out


@dataclass
class Verification:
    """What verify() found: problems is empty when the ledger and its records are intact."""

    ledger: str
    entries: int = 0
    head: str | None = None  # entry_sha256 of the last entry: keep it elsewhere as an anchor
    problems: list[str] = field(default_factory=list)
    checked_record: str | None = None  # the record compared with a checkout (against=)
    checked_commit: str | None = None  # that record's commit
    # how the record was chosen: "given", "HEAD" (the checkout's commit) or "latest" (none for
    # the checkout's commit, so the last record: its files may well differ)
    chosen_by: str | None = None
    checkout_problems: list[str] = field(default_factory=list)  # checkout differs from record
    # the compared record's changed files when it was scoped to them (a pull-request record)
    scoped_to: list[str] | None = None

    @property
    def ok(self) -> bool:
        return not self.problems and not self.checkout_problems


def verify(
    ledger: str | Path,
    against: str | Path | None = None,
    *,
    records_dir: str | Path | None = None,
    head: str | None = None,
    record: str | None = None,
) -> Verification:
    """Check the hash chain, every record file's digest and, with against, a checkout's files.

    records_dir defaults to the ledger's directory. head: an entry_sha256 kept elsewhere, which
    must still be in the chain (detects a ledger cut short). record: the record to compare with
    against (default: the last one for the checkout's HEAD commit, else the last one)."""
    path = Path(ledger)
    result = Verification(str(path))
    try:
        text = read_regular(path, "ledger").decode("utf-8")
    except (InputFileError, UnicodeDecodeError) as exc:
        raise LedgerError(f"{path}: cannot read ledger: {exc}") from None
    entries: list[tuple[int, dict]] = []
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            entry = json.loads(line)
        except ValueError:
            result.problems.append(f"line {number}: not valid JSON (edited or corrupted)")
            continue
        missing = [k for k in FIELDS if not isinstance(entry, dict) or k not in entry]
        if missing:
            result.problems.append(f"line {number}: not a ledger entry (missing {missing[0]})")
            continue
        entries.append((number, entry))
    result.entries = len(entries)
    result.head = entries[-1][1]["entry_sha256"] if entries else None
    result.problems += _chain_problems(entries)
    if head and head not in {e["entry_sha256"] for _, e in entries}:
        result.problems.append(
            f"head {head} is not in the ledger: entries at its end were removed or rewritten"
        )
    base = Path(records_dir) if records_dir else path.parent
    result.problems += _record_problems([e for _, e in entries], base)
    if against is not None:
        chosen, result.chosen_by = _choose(entries, Path(against), record)
        if chosen is None:
            result.checkout_problems.append(
                f"no record {record} in the ledger" if record else "no record to compare with"
            )
        else:
            result.checked_record = chosen["record_id"]
            result.checked_commit = chosen.get("commit")
            file = base / f"{chosen['record_id']}.json"
            record_data = _read_record(file)
            if record_data is None:
                result.checkout_problems.append(f"record {file.stem}: cannot read its file digests")
            else:
                result.scoped_to = (record_data.get("invocation") or {}).get("scoped_to")
                result.checkout_problems += _compare(record_data, file.stem, Path(against))
    return result


def _chain_problems(entries: list[tuple[int, dict]]) -> list[str]:
    problems: list[str] = []
    flagged: set[int] = set()
    seqs = [e["seq"] for _, e in entries]
    if not all(isinstance(s, int) for s in seqs):
        return ["a seq is not an integer (edited)"]
    for number, entry in entries:
        if entry_digest(entry) != entry["entry_sha256"]:
            problems.append(
                f"line {number}: entry seq {entry['seq']} was edited "
                "(its entry_sha256 does not match its content)"
            )
            flagged.add(number)
    present = set(seqs)
    for seq in sorted(set(range(1, max(seqs, default=0) + 1)) - present):
        problems.append(f"entry seq {seq} was removed (no line has it)")
    for seq in sorted(s for s in present if seqs.count(s) > 1):
        lines = [n for n, e in entries if e["seq"] == seq]
        problems.append(
            f"entry seq {seq} appears on lines {', '.join(map(str, lines))}: "
            "an entry was inserted or duplicated"
        )
        flagged.update(lines)
    for (_, before), (number, entry) in zip(entries, entries[1:], strict=False):
        if entry["seq"] < before["seq"]:
            problems.append(
                f"line {number}: entry seq {entry['seq']} comes after seq {before['seq']}: "
                "entries were reordered"
            )
            flagged.add(number)
    previous = None
    for number, entry in entries:
        expected = previous["entry_sha256"] if previous else None
        if entry["prev_entry_sha256"] != expected and number not in flagged:
            problems.append(
                f"line {number}: entry seq {entry['seq']} does not chain to the entry before it "
                "(prev_entry_sha256 differs): an entry was edited, inserted or removed"
            )
        previous = entry
    return problems


def _record_problems(entries: list[dict], base: Path) -> list[str]:
    problems = []
    listed = set()
    for entry in entries:
        rid = str(entry["record_id"])
        if not _SAFE_ID.match(rid):
            problems.append(f"entry seq {entry['seq']}: record id {rid!r} is not a file name")
            continue
        listed.add(f"{rid}.json")
        file = base / f"{rid}.json"
        try:
            data = file.read_bytes()
        except OSError:
            problems.append(f"record {rid}: file {file} is missing")
            continue
        if sha256_hex(data) != entry["record_sha256"]:
            problems.append(f"record {rid}: file content does not match its ledger digest (edited)")
    for file in sorted(base.glob("*.json")):
        if file.name not in listed and _looks_like_record(file):
            problems.append(f"record {file.stem}: file is not in the ledger (entry removed?)")
    return problems


def _looks_like_record(file: Path) -> bool:
    try:
        return (
            json.loads(file.read_text(encoding="utf-8"))
            .get("schema", "")
            .startswith("soc2lint/evidence/record-")
        )
    except (OSError, UnicodeDecodeError, ValueError, AttributeError):
        return False


def _choose(
    entries: list[tuple[int, dict]], checkout: Path, wanted: str | None
) -> tuple[dict | None, str | None]:
    if wanted:
        return next((e for _, e in entries if e["record_id"] == wanted), None), "given"
    head = (git(checkout, "rev-parse", "--verify", "-q", "HEAD") or "").strip()
    matching = [e for _, e in entries if head and e["commit"] == head]
    if matching:
        return matching[-1], "HEAD"
    return (entries[-1][1] if entries else None), "latest"


def compare_checkout(record_file: str | Path, checkout: str | Path) -> list[str]:
    """Every file a record digested whose content in checkout differs or is missing."""
    record = _read_record(Path(record_file))
    if record is None:
        return [f"record {Path(record_file).stem}: cannot read its file digests"]
    return _compare(record, Path(record_file).stem, Path(checkout))


def _read_record(file: Path) -> dict | None:
    """A record with its file digests, or None when it cannot be read as one."""
    try:
        record = json.loads(file.read_text(encoding="utf-8"))
        if isinstance(record["files"]["sha256"], dict):
            return record
    except (OSError, UnicodeDecodeError, ValueError, KeyError, TypeError):
        pass
    return None


def _compare(record: dict, stem: str, checkout: Path) -> list[str]:
    files = record["files"]["sha256"]
    rid = record.get("record_id", stem)
    problems = _unrecorded(record, rid, checkout)
    for rel, digest in sorted(files.items()):
        if rel.startswith("/") or ".." in rel.split("/"):
            problems.append(f"record {rid}: {rel} is not a path inside the checkout")
            continue
        try:
            actual = sha256_hex((checkout / rel).read_bytes())
        except OSError:
            problems.append(f"record {rid}: {rel} is missing in {checkout}")
            continue
        if actual != digest:
            problems.append(f"record {rid}: {rel} changed in {checkout} (sha256 {actual[:12]}…)")
    return problems


def _unrecorded(record: dict, rid: str, checkout: Path) -> list[str]:
    """Files the scan would read in checkout that the record neither digested nor listed as
    not checked: content the record's results do not cover."""
    # the evidence tools import the scanner lazily
    from soc2lint.pipeline.discover import discover
    from soc2lint.policies.scope import infrastructure

    invocation = record.get("invocation") or {}
    if invocation.get("scoped_to") is not None:
        return []  # a pull-request record covers its changes and their context, not the rest
    gaps = record.get("not_checked") or {}
    accounted = set(record["files"]["sha256"])
    accounted |= {s.get("path") for s in gaps.get("skipped", []) if isinstance(s, dict)}
    excluded_dirs = tuple(
        e["path"] for e in gaps.get("excluded", []) if str(e.get("path", "")).endswith("/")
    )
    accounted |= {e.get("path") for e in gaps.get("excluded", [])}
    accounted |= {u.get("path") for u in gaps.get("unsupported", []) if isinstance(u, dict)}
    targets = [
        str(checkout / t)
        for t in invocation.get("targets", [])
        if t != "." and not t.startswith("/") and ".." not in t.split("/")
    ]
    found = discover(checkout, targets or None, exclude=list(invocation.get("exclude", [])))
    # only what a scan reads as infrastructure: a Chart.yaml, a values file or a committed
    # evidence record is YAML or JSON that no scan reads, so no record digests it
    read = set(infrastructure(checkout, found.files)) | {
        f.path for f in found.files if f.kind == "codeowners"
    }
    return [
        f"record {rid}: {f.path} is in {checkout} but the record did not scan it"
        for f in found.files
        if f.path in read and f.path not in accounted and not f.path.startswith(excluded_dirs)
    ]
