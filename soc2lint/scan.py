"""The pipeline, and only the pipeline. Returns a Report; never prints.

    discover -> parse -> assemble -> graph + link -> evaluate -> exceptions -> Report

Each stage is a short function below. What a file is, how it parses, how a platform's files
come together and which edges they make are the platforms' business (soc2lint.platforms): this
module asks the registry and names none of them.
"""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import replace
from pathlib import Path

from soc2lint import collector, platforms
from soc2lint.engine.evaluate import evaluate_rules
from soc2lint.engine.rules import Rule
from soc2lint.graph import ResourceGraph
from soc2lint.model import Finding, ParseError, Resource, Skipped
from soc2lint.pipeline import coverage, result_cache
from soc2lint.pipeline.discover import Discovery, SourceFile, discover
from soc2lint.pipeline.load import Cache, Loaded, load_all, load_one, tty_progress
from soc2lint.pipeline.report import Report, ScanOptions, merge_instances
from soc2lint.policies import scope
from soc2lint.policies.baseline import key as baseline_key
from soc2lint.policies.baseline import load as load_baseline
from soc2lint.policies.suppressions import Marker, Outcome
from soc2lint.policies.suppressions import apply as apply_suppressions

__all__ = ["Report", "ScanOptions", "find_root", "scan"]


def find_root(path: Path) -> Path:
    """The enclosing git repository's root, else the path itself (or its directory).

    A symbolic link is looked up where it is, not where it leads: a link out of the repository
    must not make its target the root."""
    path = Path(os.path.abspath(path))
    start = path if path.is_dir() and not path.is_symlink() else path.parent
    for candidate in [start, *start.parents]:
        if (candidate / ".git").exists():
            return candidate.resolve()
    return start.resolve()


def _now() -> str:
    return dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def scan(
    targets: list[str],
    rules: list[Rule],
    options: ScanOptions | None = None,
    found: Discovery | None = None,
) -> Report:
    """Scan targets (files or directories) with rules. found: what discover() gave for these
    targets and options already (a scoped scan walks the tree once, for its scope and here)."""
    options = options or ScanOptions()
    started = _now()
    paths = [Path(t) for t in targets] or [Path.cwd()]
    root = find_root(paths[0])
    if found is None or found.root != str(root.resolve()):
        found = discover(root, [str(p) for p in paths], options.max_bytes, options.exclude)
    outside: list[SourceFile] = []
    if options.scope_paths is not None:
        outside = [f for f in found.files if f.path not in options.scope_paths]
        found.files = [f for f in found.files if f.path in options.scope_paths]
    reuse = _cached(root, paths, rules, options, found.files)
    if isinstance(reuse, Report):
        reuse.started, reuse.finished = started, _now()
        reuse.excluded = list(found.excluded)
        reuse.coverage = _coverage(reuse, [], types=reuse.coverage["resources"]["types"])
        return _not_evaluated(reuse, options)
    with collector.set_aside():  # what each phase leaves is set aside (collector.keep)
        report, reusable = _scan(root, paths, rules, options, found, started, outside)
    if reuse is not None and reusable:
        result_cache.store(reuse[0], reuse[1], report)
    return _not_evaluated(report, options)


def _not_evaluated(report: Report, options: ScanOptions) -> Report:
    """The report, with a note for each rule left unevaluated for want of its configuration."""
    types = report.coverage["resources"]["types"]
    report.notes = sorted(
        report.notes + coverage.not_evaluated(report.rules, types, options),
        key=lambda n: (n["path"], n["message"]),
    )
    return report


def _cached(
    root: Path,
    paths: list[Path],
    rules: list[Rule],
    options: ScanOptions,
    files: list[SourceFile],
) -> Report | tuple[Cache, str] | None:
    """A reusable report, or (cache, key) to store this scan's under; None without a cache."""
    if not options.cache_dir:
        return None
    discovered = result_cache.digest_files(root, [f.path for f in files])
    if discovered is None:
        return None
    cache = Cache(Path(options.cache_dir))
    cache_key = result_cache.key(root, paths, rules, options, discovered)
    hit = result_cache.load(cache, cache_key, root, rules, discovered)
    return hit if hit is not None else (cache, cache_key)


class _Sink:
    """What the parse and assemble stages record about the files they read."""

    def __init__(self, skipped: list[Skipped]) -> None:
        self.files: dict[str, str] = {}  # scanned path -> sha256
        self.errors: list[ParseError] = []
        self.skipped = skipped
        self.resources: list[Resource] = []
        self.markers: dict[str, list[Marker]] = {}
        self.unsupported: list[dict] = []
        self.mine: dict[str, list[Loaded]] = {p.name: [] for p in platforms.platforms()}

    def take(self, loaded: Loaded) -> Loaded:
        """Record one loaded file: scanned, skipped (and said), or not ours at all."""
        path, parsed = loaded.source.path, loaded.parsed
        if loaded.skip is not None:
            if loaded.source.platform or loaded.ours:
                self.skipped.append(loaded.skip)
            return loaded
        assert parsed is not None
        if parsed.skip_reason:
            self.skipped.append(Skipped(path, parsed.skip_reason))
        elif parsed.platform is None:
            if loaded.unsupported:  # infrastructure nobody reads: said, never passed
                self.unsupported.append({"path": path, "kind": loaded.unsupported})
            return loaded  # a YAML file no platform reads and nobody calls infrastructure
        self.files[path] = loaded.digest
        self.resources.extend(parsed.resources)
        self.errors.extend(parsed.errors)
        if loaded.markers:
            self.markers[path] = loaded.markers
        if parsed.platform is not None:
            self.mine.setdefault(parsed.platform, []).append(loaded)
        return loaded


def _parse(sink: _Sink, files: list[SourceFile], options: ScanOptions) -> None:
    """Read and parse every discovered file (in parallel, through the cache when there is one)."""
    cache_dir = str(options.cache_dir) if options.cache_dir else None
    jobs = options.jobs or os.cpu_count() or 1
    progress = tty_progress() if options.progress and len(files) > 500 else None
    for loaded in load_all(files, options.max_bytes, jobs, cache_dir, progress):
        sink.take(loaded)


def _assemble(
    sink: _Sink,
    root: Path,
    paths: list[Path],
    options: ScanOptions,
    found: Discovery,
    outside: list[SourceFile],
) -> platforms.Assembly:
    """Each platform's assemble step over its parsed files, in registry order."""
    cache_dir = str(options.cache_dir) if options.cache_dir else None
    asm = platforms.Assembly(
        root=root,
        targets=paths,
        options=options,
        discovered=list(found.files),
        outside_infrastructure=scope.infrastructure(
            root, outside, scope.facts_for(root, found, options.cache_dir) if outside else None
        ),
        files=sink.files,
        resources=sink.resources,
        errors=sink.errors,
        notes=[],
        skipped=sink.skipped,
        unavailable=[],
        load=lambda source: sink.take(load_one(source, options.max_bytes, cache_dir)),
    )
    for platform in platforms.platforms():
        platform.assemble(asm, sink.mine.get(platform.name, []))
    asm.resources[:] = _unique_keys(asm.resources)
    return asm


def _link(resources: list[Resource]) -> ResourceGraph:
    """The graph of every resource, with each platform's edges."""
    graph = ResourceGraph()
    for res in resources:
        graph.add_resource(res)
    for platform in platforms.platforms():
        platform.link(graph, resources)
    return graph


def _evaluate(
    rules: list[Rule], graph: ResourceGraph, jobs: int
) -> tuple[list[Finding], list[str]]:
    """evaluate_rules, inside scan()'s set_aside block: the graph is already out of the garbage
    collector's sight (a worker forked to evaluate shares it with this process until it writes
    a page, and a full collection writes into every object's header, so it would copy the
    whole graph). The collector stays off until the findings are set aside too, so that no
    collection walks them when evaluation turns it back on."""
    with collector.paused():
        found = evaluate_rules(rules, graph, jobs)
        collector.keep(collect=False)  # the findings (no cycles), before any collection
        return found


def _unique_keys(resources: list[Resource]) -> list[Resource]:
    """Two files declaring the same object: both are checked, the later one qualified by path."""
    taken: set[str] = set()
    out = []
    for res in resources:
        if res.key in taken:
            res = replace(res, address=f"{res.address}@{res.location.path}")
        taken.add(res.key)
        out.append(res)
    return out


def _exceptions(
    findings: list[Finding],
    sink: _Sink,
    resources: list[Resource],
    rules: list[Rule],
    options: ScanOptions,
) -> tuple[list[Finding], Outcome, list[Finding], dict | None]:
    """Suppressions, then the baseline, then the changed-files filter: (reported findings,
    suppressions applied, known failures left out, baseline summary)."""
    exceptions = apply_suppressions(
        findings,
        sink.markers,
        resources,
        rules,
        options.today,
        options.honor_peer_suppressions,
        options.report_unused_suppressions,
        known=options.known_rules,
    )
    findings = exceptions.kept
    baseline_info = None
    known: list[Finding] = []
    if options.baseline:
        keys, digest = load_baseline(options.baseline)
        before = len(findings)
        known = [f for f in findings if f.status.value != "pass" and baseline_key(f) in keys]
        findings = [f for f in findings if f.status.value == "pass" or baseline_key(f) not in keys]
        baseline_info = {
            "path": options.baseline,
            "sha256": digest,
            "baselined": before - len(findings),
        }
    if options.only_paths is not None:
        wanted = set(options.only_paths)

        def reported(f: Finding) -> bool:
            return f.location.path in wanted or bool(
                f.resource_location and f.resource_location.path in wanted
            )

        findings = [f for f in findings if reported(f)]
        known = [f for f in known if reported(f)]
    return findings, exceptions, known, baseline_info


def _scan(
    root: Path,
    paths: list[Path],
    rules: list[Rule],
    options: ScanOptions,
    found: Discovery,
    started: str,
    outside: list[SourceFile] | None = None,
) -> tuple[Report, bool]:
    """The report, and whether it may be reused (Assembly.reusable)."""
    sink = _Sink(list(found.skipped))
    _parse(sink, found.files, options)
    asm = _assemble(sink, root, paths, options, found, outside or [])
    # the parsed files are the platforms' business until they are assembled: what the
    # resources still use of them stays, the rest need not be copied into evaluation workers
    sink.mine = {}
    collector.keep(collect=True)  # module instances: cycles
    resources = asm.resources
    graph = _link(resources)
    collector.keep(collect=False)
    judged = [r for r in rules if coverage.configured(options, r.needs_config)]
    findings, rule_errors = _evaluate(judged, graph, options.jobs or os.cpu_count() or 1)
    # one finding per place: a module several root modules call gives one finding per result
    findings = merge_instances(findings)
    findings, exceptions, known, baseline_info = _exceptions(
        findings, sink, resources, rules, options
    )
    report = Report(
        root=str(root),
        targets=[str(p) for p in paths],
        rules=rules,
        findings=findings,
        errors=sorted(set(asm.errors), key=lambda e: (e.path, e.line, e.message)),
        skipped=sorted(set(asm.skipped), key=lambda s: s.path),
        rule_errors=rule_errors,
        files=dict(sorted(asm.files.items())),
        resources=sum(1 for r in resources if r.kind in ("resource", "object")),
        started=started,
        finished=_now(),
        unavailable_modules=sorted(asm.unavailable, key=lambda u: (u["path"], u["line"])),
        notes=sorted(asm.notes, key=lambda n: (n["path"], n["message"])),
        suppressed=sorted(exceptions.suppressed, key=lambda p: p[0].sort_key),
        suppression_problems=exceptions.problems,
        baseline=baseline_info,
        known=known,
        excluded=list(found.excluded),
        unsupported=sorted(found.unsupported + sink.unsupported, key=lambda u: u["path"]),
    )
    report.notes = sorted(report.notes + found.notes, key=lambda n: (n["path"], n["message"]))
    # a rule left unevaluated for want of configuration judged nothing: coverage says so
    report.coverage = _coverage(report, resources, rules=judged)
    return report, asm.reusable


def _coverage(
    report: Report,
    resources: list[Resource],
    types: list[dict] | None = None,
    rules: list[Rule] | None = None,
) -> dict:
    """What this scan did not check: files, resource types no rule judges, an empty scan."""
    return coverage.compute(
        targets=[Path(t) for t in report.targets],
        root=Path(report.root),
        files=report.files,
        resources=resources,
        rules=report.rules if rules is None else rules,
        errors=report.errors,
        skipped=report.skipped,
        excluded=report.excluded,
        unsupported=report.unsupported,
        types=types,
    )
