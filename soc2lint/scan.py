"""The pipeline: discover -> parse -> link -> evaluate. Returns a Report; never prints."""

from __future__ import annotations

import datetime as dt
import hashlib
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from soc2lint import __version__
from soc2lint.discover import DEFAULT_MAX_BYTES, SourceFile, discover
from soc2lint.engine.evaluate import evaluate_rules
from soc2lint.engine.rules import Rule
from soc2lint.graph import ResourceGraph
from soc2lint.linkers import terraform as tf_linker
from soc2lint.model import Finding, ParseError, Resource, Skipped
from soc2lint.parsers.terraform.files import parse_file
from soc2lint.parsers.terraform.module import TfFile, build_module


@dataclass
class ScanOptions:
    max_bytes: int = DEFAULT_MAX_BYTES
    exclude: list[str] = field(default_factory=list)


@dataclass
class Report:
    root: str  # absolute repository root; every path in the report is relative to it
    targets: list[str]
    rules: list[Rule]
    findings: list[Finding]
    errors: list[ParseError]
    skipped: list[Skipped]
    rule_errors: list[str]
    files: dict[str, str]  # scanned path -> sha256
    resources: int
    started: str
    finished: str
    tool_version: str = __version__

    def failing(self) -> list[Finding]:
        return [f for f in self.findings if f.status.value == "fail"]

    def rule(self, rule_id: str) -> Rule:
        return next(r for r in self.rules if r.id == rule_id)


def find_root(path: Path) -> Path:
    """The enclosing git repository's root, else the path itself (or its directory)."""
    path = path.resolve()
    start = path if path.is_dir() else path.parent
    for candidate in [start, *start.parents]:
        if (candidate / ".git").exists():
            return candidate
    return start


def _now() -> str:
    return dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def read_text(source: SourceFile) -> tuple[str | None, str, Skipped | None]:
    """(text, sha256, skip reason) for a file; binary and non-UTF-8 files are skipped."""
    try:
        raw = Path(source.abspath).read_bytes()
    except OSError as exc:
        return None, "", Skipped(source.path, f"cannot read: {exc.strerror or exc}")
    digest = hashlib.sha256(raw).hexdigest()
    if b"\x00" in raw[:8192]:
        return None, digest, Skipped(source.path, "binary file (contains NUL bytes)")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        return None, digest, Skipped(source.path, f"not UTF-8 (byte {exc.start})")
    return text, digest, None


def scan(targets: list[str], rules: list[Rule], options: ScanOptions | None = None) -> Report:
    """Scan targets (files or directories) with rules."""
    options = options or ScanOptions()
    started = _now()
    paths = [Path(t) for t in targets] or [Path.cwd()]
    root = find_root(paths[0])
    found = discover(root, [str(p) for p in paths], options.max_bytes, options.exclude)
    errors: list[ParseError] = []
    skipped = list(found.skipped)
    files: dict[str, str] = {}
    by_dir: dict[str, list[TfFile]] = defaultdict(list)
    tfvars_by_dir: dict[str, list[TfFile]] = defaultdict(list)
    for source in found.files:
        text, digest, skip = read_text(source)
        if skip is not None:
            skipped.append(skip)
            continue
        assert text is not None
        files[source.path] = digest
        if not text.strip():
            skipped.append(Skipped(source.path, "empty file"))
            continue
        parsed = parse_file(source.path, text)
        errors.extend(parsed.errors)
        directory = source.path.rpartition("/")[0]
        (tfvars_by_dir if source.kind == "tfvars" else by_dir)[directory].append(parsed)
    resources: list[Resource] = []
    for directory in sorted(by_dir):
        result = build_module(by_dir[directory], tfvars_by_dir.get(directory, []), directory or ".")
        errors.extend(result.errors)
        resources.extend(result.resources)
    graph = ResourceGraph()
    for res in resources:
        graph.add_resource(res)
    tf_linker.link(graph, resources)
    findings, rule_errors = evaluate_rules(rules, graph)
    return Report(
        root=str(root),
        targets=[str(p) for p in paths],
        rules=rules,
        findings=findings,
        errors=sorted(errors, key=lambda e: (e.path, e.line, e.message)),
        skipped=sorted(skipped, key=lambda s: s.path),
        rule_errors=rule_errors,
        files=dict(sorted(files.items())),
        resources=sum(1 for r in resources if r.kind == "resource"),
        started=started,
        finished=_now(),
    )
