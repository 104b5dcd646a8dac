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
from dataclasses import astuple, fields, replace
from pathlib import Path
from typing import Any

from soc2lint import collector, platforms
from soc2lint.engine.rules import Rule, ruleset_digest
from soc2lint.model import Finding, Location, Status
from soc2lint.pipeline import codec
from soc2lint.pipeline.load import Cache, code_digest
from soc2lint.pipeline.report import Findings, Report
from soc2lint.reporters.common import fingerprint_digest

FORMAT = 5


def digest_files(root: Path, paths: list[str]) -> dict[str, str] | None:
    """path -> sha256 for files under root; None when one cannot be read."""
    out: dict[str, str] = {}
    base, sha256, join = str(root), hashlib.sha256, os.path.join
    for path in paths:
        try:
            # unbuffered: one read of the whole file, without a buffer object per file
            with open(join(base, path), "rb", buffering=0) as handle:
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
# once, as the numbers of its strings or places; and the findings as flat lists, _COLUMNS
# numbers per finding: one of the failing and unknown results (which reports list), one of the
# passes (which reports count), and one byte per result saying which list its next one comes
# from, so that reading a report reads the passes only in bulk. The places and the findings
# (millions of numbers in a monorepo, which the cache's earlier JSON format took seconds to
# read one by one) are each one text: the numbers as unsigned 32-bit little-endian words,
# compressed, in base64 (_pack), a small part of the entry that is read at C speed. Reading
# them back builds each string tuple and Location once, and the findings column by column.
# The failing and unknown results' fingerprints, which reports show and the numbers do not
# give, are stored too: 16 bytes each.
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

    shown, passes, which = array("I"), array("I"), bytearray()
    printed = []
    passed = Status.PASS
    for f in findings:
        rows = passes if f.status is passed else shown
        which.append(rows is passes)
        rows.extend(
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
        if rows is shown:
            printed.append(fingerprint_digest(f))
    return codec.Rows(
        [
            list(strings),
            [_pack(flat_places)],
            [list(g) for g in groups],
            [_pack(shown)],
            [_pack(passes)],
            [base64.b64encode(zlib.compress(which, 1)).decode("ascii")],
            [base64.b64encode(b"".join(printed)).decode("ascii")],
        ]
    )


def _pack(numbers: array | list[int]) -> str:
    """Numbers (each 0 .. 2**32 - 1; OverflowError otherwise) as one text, _unpack's input."""
    words = numbers if isinstance(numbers, array) else array("I", numbers)
    if sys.byteorder == "big":
        words.byteswap()
    return base64.b64encode(zlib.compress(words.tobytes(), 1)).decode("ascii")


def _inflated(text: object, what: str) -> bytes:
    """The bytes of a text _table wrote as base64 of zlib-compressed bytes (what: "packed
    numbers", "packed order"); ValueError for anything else."""
    if type(text) is not str:
        raise ValueError(f"{what}: not text")
    try:
        return zlib.decompress(base64.b64decode(text, validate=True))
    except (zlib.error, binascii.Error) as exc:
        raise ValueError(f"{what}: not base64 of compressed bytes ({exc})") from None


def _unpack(text: object) -> array:
    """The numbers _pack wrote; ValueError for anything else."""
    raw = _inflated(text, "packed numbers")
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
    if type(table) is not codec.Rows or len(table.rows) != 7:
        raise ValueError("findings are not a table")
    strings, packed_places, groups, *packed = table.rows
    if not all(type(p) is list and len(p) == 1 for p in [packed_places, *packed]):
        raise ValueError("places, findings and fingerprints are not one packed text each")
    flat_places, shown_rows, pass_rows = (
        _unpack(packed_places[0]),
        _unpack(packed[0][0]),
        _unpack(packed[1][0]),
    )
    which, printed = _which(packed[2][0]), packed[3][0]
    if not all(type(t) is str for t in strings):
        raise ValueError("the string table holds other than text")
    if len(flat_places) % 5:
        raise ValueError("a malformed place")
    if len(shown_rows) % _COLUMNS or len(pass_rows) % _COLUMNS:
        raise ValueError("malformed findings")
    if not all(type(g) is list for g in groups):
        raise ValueError("malformed tuples")
    # which list each result comes from, in order (1: the passes)
    passes = which.count(1)
    if passes * _COLUMNS != len(pass_rows) or (len(which) - passes) * _COLUMNS != len(shown_rows):
        raise ValueError("not a list for each result")
    count = len(flat_places) // 5
    _below(flat_places[0::5], len(strings))
    texts: dict[int, tuple[str, ...]] = {}
    sites: set[int] = set()
    for flat in (shown_rows, pass_rows):
        for c in _TEXTS:
            _below(flat[c::_COLUMNS], len(strings))
        _below(flat[_STATUS::_COLUMNS], len(_STATUSES))
        _below(flat[_PLACE::_COLUMNS], count)
        _below(flat[_RESOURCE_PLACE::_COLUMNS], count + 1)  # 0: none, else 1 + the place
        for c in _TEXT_TUPLES:
            for g in set(flat[c::_COLUMNS]).difference(texts):
                texts[g] = tuple([strings[_member(i, len(strings))] for i in groups[g]])
        sites.update(flat[_SITES::_COLUMNS])
    for g in sites:
        for i in groups[g]:
            _member(i, count)
    if (
        shown_rows[_STATUS::_COLUMNS].count(_PASS)
        or pass_rows[_STATUS::_COLUMNS].count(_PASS) != len(pass_rows) // _COLUMNS
    ):
        raise ValueError("a result in the wrong list")
    fingerprints = _fingerprints(printed, len(shown_rows) // _COLUMNS)

    places: list[Location | None] = [None] * count
    chains: dict[int, tuple[Location, ...]] = {}

    def made(flat: array) -> list[Finding]:
        """The findings of a table, made column by column: each string, place and chain of
        call sites looked up by number at C speed, each place and chain made once."""
        at, resource_at = flat[_PLACE::_COLUMNS], flat[_RESOURCE_PLACE::_COLUMNS]
        call_sites = flat[_SITES::_COLUMNS]
        wanted = set(at).union([i - 1 for i in set(resource_at) if i])
        new_chains = set(call_sites).difference(chains)
        for g in new_chains:
            wanted.update(groups[g])
        for i in wanted:
            if places[i] is None:
                path, start, end, start_col, end_col = flat_places[i * 5 : i * 5 + 5]
                places[i] = _location(strings[path], start, end, start_col, end_col)
        for g in new_chains:
            chains[g] = tuple([places[i] for i in groups[g]])  # type: ignore[misc]
        text, place = strings.__getitem__, places.__getitem__
        out: list[Finding] = []
        append = out.append
        for (
            rule_id,
            resource,
            resource_type,
            status,
            location,
            message,
            evidence,
            resource_location,
            sites_of,
            value_source,
            value_files,
            instances,
        ) in zip(
            map(text, flat[0::_COLUMNS]),
            map(text, flat[1::_COLUMNS]),
            map(text, flat[2::_COLUMNS]),
            map(_STATUSES.__getitem__, flat[_STATUS::_COLUMNS]),
            map(place, at),
            map(text, flat[5::_COLUMNS]),
            map(texts.__getitem__, flat[6::_COLUMNS]),
            map([None, *places].__getitem__, resource_at),  # 0: none, else 1 + the place
            map(chains.__getitem__, call_sites),
            map(text, flat[9::_COLUMNS]),
            map(texts.__getitem__, flat[10::_COLUMNS]),
            flat[11::_COLUMNS],
            strict=True,
        ):
            # as Finding(...) makes it, without its frozen dataclass's __init__ (an
            # object.__setattr__ per field): the values into the instance's dict, in the
            # order of its fields, so that it shares its keys with every other finding's
            finding = _new(Finding)
            values = finding.__dict__
            values["rule_id"] = rule_id
            values["resource"] = resource
            values["resource_type"] = resource_type
            values["status"] = status
            values["location"] = location
            values["message"] = message
            values["evidence"] = evidence
            values["resource_location"] = resource_location
            values["call_sites"] = sites_of
            values["value_source"] = value_source
            values["value_files"] = value_files
            values["instances"] = instances
            append(finding)
        return out

    # hundreds of thousands of new containers, none of them garbage: no collection need walk
    # them while they are made, nor after (collector.keep: inside the scan command's block)
    with collector.paused():
        shown = made(shown_rows)
        collector.keep(collect=False)
    counts = Counter(
        {
            (strings[rule], _STATUSES[status]): n
            for (rule, status), n in Counter(
                zip(shown_rows[0::_COLUMNS], shown_rows[_STATUS::_COLUMNS], strict=True)
            ).items()
        }
    )
    passed = Counter(pass_rows[0::_COLUMNS])
    counts.update({(strings[rule], Status.PASS): n for rule, n in passed.items()})

    def every() -> list[Finding]:
        """Every finding, in order: the passes made now, the others those made above."""
        with collector.paused():
            made_passes = made(pass_rows)
        order = (iter(shown).__next__, iter(made_passes).__next__)
        return [order[i]() for i in which]

    return Findings(shown, counts, every, fingerprints)


def _which(text: object) -> bytes:
    """The bytes _table wrote of which list each result comes from; ValueError for other."""
    raw = _inflated(text, "packed order")
    if raw.translate(None, b"\x00\x01"):
        raise ValueError("the order names a list that is not there")
    return raw


def _fingerprints(text: object, count: int) -> list[str]:
    """The fingerprints _table wrote for count results; ValueError for anything else."""
    if type(text) is not str:
        raise ValueError("packed fingerprints are not text")
    try:
        raw = base64.b64decode(text, validate=True)
    except binascii.Error as exc:
        raise ValueError(f"packed fingerprints do not decode: {exc}") from None
    if len(raw) != 16 * count:
        raise ValueError("not a fingerprint for each failing and unknown result")
    hexed = raw.hex()
    return [hexed[at : at + 32] for at in range(0, len(hexed), 32)]


def _below(numbers: array, bound: int) -> None:
    """ValueError unless every number (they are unsigned) is below bound."""
    if numbers and max(numbers) >= bound:
        raise ValueError("a number beyond the table it numbers")


def _member(i: object, bound: int) -> int:
    """i, a tuple's member, if it is a number below bound; else ValueError."""
    if type(i) is not int or not 0 <= i < bound:
        raise ValueError("a tuple holds what is not there")
    return i


_new = object.__new__


def _location_builder():  # type: ignore[no-untyped-def]
    """Location(path, start, end, start_col, end_col) without its __init__ (an
    object.__setattr__ per field): each value through its slot's descriptor."""
    slots = vars(Location)
    set_path, set_start, set_end, set_start_col, set_end_col = (
        slots[name].__set__ for name in ("path", "start_line", "end_line", "start_col", "end_col")
    )

    def location(path: str, start: int, end: int, start_col: int, end_col: int) -> Location:
        made = _new(Location)
        set_path(made, path)
        set_start(made, start)
        set_end(made, end)
        set_start_col(made, start_col)
        set_end_col(made, end_col)
        return made

    return location


_location = _location_builder()
