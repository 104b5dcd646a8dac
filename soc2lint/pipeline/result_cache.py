"""Whole-scan results, reused when nothing that decides them has changed.

A re-scan of an unchanged repository (pre-commit on an amended commit, a second run in CI) need
not evaluate anything: the key covers the soc2lint version, every rule file, the scan options,
the day (suppression expiry), and the content of every file the scan read. A hit is confirmed by
re-hashing every file the cached scan read, including modules read from outside the targets.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import os
import shutil
import sys
import zlib
from array import array
from collections import Counter
from collections.abc import Iterable
from dataclasses import astuple, fields, replace
from itertools import compress
from pathlib import Path
from typing import Any

from soc2lint import collector, platforms
from soc2lint.engine.rules import Rule, ruleset_digest
from soc2lint.model import Finding, Location, Status
from soc2lint.pipeline import codec
from soc2lint.pipeline.load import Cache, code_digest
from soc2lint.pipeline.report import Findings, Report

FORMAT = 4


def digest_files(root: Path, paths: list[str]) -> dict[str, str] | None:
    """path -> sha256 for files under root; None when one cannot be read."""
    out: dict[str, str] = {}
    base, sha256, join = str(root), hashlib.sha256, os.path.join
    for path in paths:
        try:
            with open(join(base, path), "rb") as handle:
                out[path] = sha256(handle.read()).hexdigest()
        except OSError:
            return None
    return out


def key(
    root: Path, targets: list[Path], rules: list[Rule], options: Any, discovered: dict[str, str]
) -> str:
    h = hashlib.sha256(f"{FORMAT}\0{code_digest()}\0{root}\0".encode())
    h.update(ruleset_digest(rules).encode())
    h.update("\0".join(sorted(r.id + r.severity for r in rules)).encode())
    h.update(repr(sorted(str(t.resolve()) for t in targets)).encode())
    # how the work is done (processes, progress, where the cache is) does not change results
    decisive = replace(
        options, jobs=None, progress=False, cache_dir=None, scope_paths=None, known_rules=None
    )
    h.update(repr(astuple(decisive)).encode())
    # sets print in an order that changes from run to run: sorted, they key the same each time
    for named in (options.scope_paths, options.known_rules):
        h.update(repr(None if named is None else sorted(named)).encode())
    for path, digest in sorted(discovered.items()):
        h.update(f"{path}\0{digest}\n".encode())
    # the repository's own identity exempts its actions from pinning (GHA-001): the remote
    # in .git/config, else GITHUB_REPOSITORY
    h.update(f"{os.environ.get('GITHUB_REPOSITORY', '')}\0".encode())
    h.update(_content_digest(str(root / ".git" / "config")).encode())
    # files named by options that discovery does not find: var files, baseline, plan, values
    named = [v for k, v in options.cli_vars if k == "file"] + [options.baseline, options.plan]
    named += list(options.helm_values)
    named += [v for chart in options.helm_charts.values() for v in chart.get("values", [])]
    for name in named:
        if name:
            h.update(f"{name}\0{_content_digest(name)}\n".encode())
    # the programs platforms run (kustomize, helm): which are installed, and which build
    for tool in sorted({t for p in platforms.platforms() for t in p.tools}):
        h.update(f"{tool}\0{_tool_identity(tool)}\n".encode())
    return h.hexdigest()


def _tool_identity(tool: str) -> str:
    """Which program PATH finds for tool and which build it is (the file it resolves to, its
    size and modification time), or that there is none."""
    found = shutil.which(tool)
    if found is None:
        return "absent"
    real = os.path.realpath(found)
    try:
        info = os.stat(real)
    except OSError as exc:
        return f"{real} unreadable: {exc.errno}"
    return f"{real}\0{info.st_size}\0{info.st_mtime_ns}"


def _content_digest(name: str) -> str:
    """sha256 of a file named on the command line (relative to the working directory)."""
    try:
        return hashlib.sha256(Path(name).read_bytes()).hexdigest()
    except OSError as exc:
        return f"unreadable: {exc.errno}"


# the rules are not stored: the key covers every rule file, so a hit is for the rules in hand
_STORED = tuple(f.name for f in fields(Report) if f.name != "rules")


def load(
    cache: Cache,
    cache_key: str,
    root: Path,
    rules: list[Rule],
    hashed: dict[str, str] | None = None,
) -> Any | None:
    """The cached report if every file it read is unchanged, else None. hashed: digests this
    scan has just taken (the discovered files, which the key covers); the others are taken now."""
    entry = cache.get("report-" + cache_key)
    if not isinstance(entry, dict) or set(entry) != set(_STORED):
        return None
    try:
        entry["findings"] = _findings(entry["findings"])
    except (TypeError, ValueError, KeyError, IndexError):
        return None
    report = Report(rules=list(rules), **entry)
    if not isinstance(report.files, dict):
        return None
    known = hashed or {}
    try:
        others = digest_files(root, [p for p in report.files if p not in known])
        if others is None:
            return None
        current = {p: known.get(p) or others[p] for p in report.files}
    except (TypeError, ValueError):  # an entry this code could not have written
        return None
    if current != report.files:
        return None
    return report


def store(cache: Cache, cache_key: str, report: Any) -> None:
    # a report holding something the format cannot encode is simply not cached (Cache.put)
    entry = {name: getattr(report, name) for name in _STORED}
    try:
        entry["findings"] = _table(report.findings)
    except OverflowError:  # a number beyond 32 bits (a line number, say): not cached
        return
    cache.put("report-" + cache_key, entry)


# Findings are most of a report (every pass is one), and decoding them object by object was
# most of a warm scan. They are stored as tables of numbers: every string once; every place (a
# Location) once, five numbers each; every tuple (evidence, values files, a chain of call sites)
# once, as the numbers of its strings or places; and the findings as one flat list, _COLUMNS
# numbers per finding. The places and the findings (millions of numbers in a monorepo, which
# the cache's earlier JSON format took seconds to read one by one) are each one text: the
# numbers as unsigned 32-bit little-endian words, compressed, in base64 (_pack), a small part of
# the entry that is read at C speed. Reading them back builds each string tuple and Location
# once, and each finding in one step.
_STATUSES = tuple(Status)
# a finding's numbers, in Finding's field order (a new field fails the round-trip test)
_COLUMNS = 12


def _table(findings: list[Finding]) -> codec.Rows:
    strings: dict[str, int] = {}
    places: dict[Location, int] = {}
    groups: dict[tuple[int, ...], int] = {(): 0}
    # the numbers as 32-bit words from the start (OverflowError beyond them): a list would hold
    # an object for every number, several times the memory, at a scan's highest point
    flat_places = array("I")

    def n(text: str) -> int:
        i = strings.get(text)
        if i is None:
            i = strings[text] = len(strings)
        return i

    def place(loc: Location) -> int:
        i = places.get(loc)
        if i is None:
            i = places[loc] = len(places)
            flat_places.extend(
                (n(loc.path), loc.start_line, loc.end_line, loc.start_col, loc.end_col)
            )
        return i

    def group(items: tuple[int, ...]) -> int:
        i = groups.get(items)
        if i is None:
            i = groups[items] = len(groups)
        return i

    flat = array("I")
    for f in findings:
        flat.extend(
            (
                n(f.rule_id),
                n(f.resource),
                n(f.resource_type),
                _STATUSES.index(f.status),
                place(f.location),
                n(f.message),
                group(tuple(map(n, f.evidence))),
                0 if f.resource_location is None else 1 + place(f.resource_location),
                group(tuple(map(place, f.call_sites))),
                n(f.value_source),
                group(tuple(map(n, f.value_files))),
                f.instances,
            )
        )
    return codec.Rows(
        [list(strings), [_pack(flat_places)], [list(g) for g in groups], [_pack(flat)]]
    )


def _pack(numbers: array | list[int]) -> str:
    """Numbers (each 0 .. 2**32 - 1; OverflowError otherwise) as one text, _unpack's input."""
    words = numbers if isinstance(numbers, array) else array("I", numbers)
    if sys.byteorder == "big":
        words.byteswap()
    return base64.b64encode(zlib.compress(words.tobytes(), 1)).decode("ascii")


def _unpack(text: object) -> array:
    """The numbers _pack wrote; ValueError for anything else."""
    if type(text) is not str:
        raise ValueError("packed numbers are not text")
    try:
        raw = zlib.decompress(base64.b64decode(text, validate=True))
    except (zlib.error, binascii.Error) as exc:
        raise ValueError(f"packed numbers do not decode: {exc}") from None
    if len(raw) % 4:
        raise ValueError("packed numbers cut short")
    words = array("I")
    words.frombytes(raw)
    if sys.byteorder == "big":
        words.byteswap()
    return words


# the columns of a finding's numbers that number strings, places and tuples
_TEXTS = (0, 1, 2, 5, 9)  # rule id, resource, type, message, value source
_STATUS, _PLACE, _RESOURCE_PLACE, _SITES = 3, 4, 7, 8
_TEXT_TUPLES = (6, 10)  # evidence, values files
_PASS = _STATUSES.index(Status.PASS)


def _findings(table: Any) -> Findings:
    """The findings _table wrote; ValueError (or TypeError, IndexError) for anything else.

    Only the failing and unknown results are made here, the passes (most results, which reports
    count and do not list) when something reads every result (report.Findings). So every number
    is checked here, each column against the table it numbers: making the passes cannot fail.
    """
    if type(table) is not codec.Rows or len(table.rows) != 4:
        raise ValueError("findings are not a table")
    strings, packed_places, groups, packed = table.rows
    if len(packed_places) != 1 or len(packed) != 1:
        raise ValueError("places and findings are not one packed text each")
    flat_places, flat = _unpack(packed_places[0]), _unpack(packed[0])
    if not all(type(t) is str for t in strings):
        raise ValueError("the string table holds other than text")
    if len(flat_places) % 5:
        raise ValueError("a malformed place")
    if len(flat) % _COLUMNS or not all(type(g) is list for g in groups):
        raise ValueError("malformed findings")
    count = len(flat_places) // 5
    _below(flat_places[0::5], len(strings))
    for c in _TEXTS:
        _below(flat[c::_COLUMNS], len(strings))
    statuses = flat[_STATUS::_COLUMNS]
    _below(statuses, len(_STATUSES))
    _below(flat[_PLACE::_COLUMNS], count)
    _below(flat[_RESOURCE_PLACE::_COLUMNS], count + 1)  # 0: none, else 1 + the place
    texts: dict[int, tuple[str, ...]] = {}
    for c in _TEXT_TUPLES:
        for g in set(flat[c::_COLUMNS]):
            texts[g] = tuple([strings[_member(i, len(strings))] for i in groups[g]])
    sites = set(flat[_SITES::_COLUMNS])
    for g in sites:
        for i in groups[g]:
            _member(i, count)

    places: list[Location | None] = [None] * count
    chains: dict[int, tuple[Location, ...]] = {0: ()}

    def place(i: int) -> Location:
        at = i * 5
        path, start, end, start_col, end_col = flat_places[at : at + 5]
        made = places[i] = Location(strings[path], start, end, start_col, end_col)
        return made

    def chain(i: int) -> tuple[Location, ...]:
        made = chains[i] = tuple([places[p] or place(p) for p in groups[i]])
        return made

    def made(rows: Iterable[int]) -> list[Finding]:
        """The findings of these rows (each made as _finding says)."""
        out: list[Finding] = []
        append, copy = out.append, _PROTOTYPE.copy
        for row in rows:
            at = row * _COLUMNS
            (
                rule_id,
                resource,
                resource_type,
                status,
                loc,
                message,
                evidence,
                rloc,
                call_sites,
                source,
                files,
                instances,
            ) = flat[at : at + _COLUMNS]
            values = copy()
            values["rule_id"] = strings[rule_id]
            values["resource"] = strings[resource]
            values["resource_type"] = strings[resource_type]
            values["status"] = _STATUSES[status]
            values["location"] = places[loc] or place(loc)
            values["message"] = strings[message]
            values["evidence"] = texts[evidence]
            values["resource_location"] = (places[rloc - 1] or place(rloc - 1)) if rloc else None
            values["call_sites"] = chains.get(call_sites) or chain(call_sites)
            values["value_source"] = strings[source]
            values["value_files"] = texts[files]
            values["instances"] = instances
            finding = _new(Finding)
            _set_dict(finding, "__dict__", values)
            append(finding)
        return out

    rows = range(len(statuses))
    # hundreds of thousands of new containers, none of them garbage: no collection need walk
    # them while they are made
    with collector.paused():
        shown = made(compress(rows, map(_PASS.__ne__, statuses)))
    counts = Counter(
        {
            (strings[rule], _STATUSES[status]): n
            for (rule, status), n in Counter(zip(flat[0::_COLUMNS], statuses, strict=True)).items()
        }
    )

    def every() -> list[Finding]:
        """Every finding, in order: the passes made now, the others those made above."""
        with collector.paused():
            passes = iter(made(compress(rows, map(_PASS.__eq__, statuses)))).__next__
        others = iter(shown).__next__
        return [passes() if status == _PASS else others() for status in statuses]

    return Findings(shown, counts, every)


def _below(numbers: array, bound: int) -> None:
    """ValueError unless every number (they are unsigned) is below bound."""
    if numbers and max(numbers) >= bound:
        raise ValueError("a number beyond the table it numbers")


def _member(i: object, bound: int) -> int:
    """i, a tuple's member, if it is a number below bound; else ValueError."""
    if type(i) is not int or not 0 <= i < bound:
        raise ValueError("a tuple holds what is not there")
    return i


# A finding is made as Finding(...) would make it, without its frozen dataclass's __init__ (an
# object.__setattr__ per field): a copy of the dict of a finding its constructor made (in
# CPython the copy shares its keys, a third of the memory of a dict made afresh), filled
_PROTOTYPE = vars(Finding("", "", "", Status.PASS, Location(".", 0, 0), ""))
_new, _set_dict = object.__new__, object.__setattr__
