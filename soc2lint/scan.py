"""The pipeline: discover -> parse -> link -> evaluate. Returns a Report; never prints."""

from __future__ import annotations

import datetime as dt
import importlib
import os
from collections import defaultdict
from dataclasses import dataclass, field, replace
from pathlib import Path

from soc2lint import __version__, result_cache, scope
from soc2lint.baseline import key as baseline_key
from soc2lint.baseline import load as load_baseline
from soc2lint.discover import DEFAULT_MAX_BYTES, Discovery, SourceFile, classify, discover
from soc2lint.engine.evaluate import evaluate_rules
from soc2lint.engine.rules import Rule
from soc2lint.graph import ResourceGraph
from soc2lint.loader import Cache, Loaded, load_all, load_one, tty_progress
from soc2lint.model import Finding, ParseError, Resource, Skipped, Suppression
from soc2lint.parsers import renderers
from soc2lint.parsers.classify import by_path as classify_by_path
from soc2lint.parsers.gitlab_ci.local_includes import read_local_includes
from soc2lint.parsers.repository import repository_resource
from soc2lint.parsers.terraform.files import parse_file
from soc2lint.parsers.terraform.module import TfFile, raw_value, tfvars_layers
from soc2lint.parsers.terraform.plan import parse_plan
from soc2lint.parsers.terraform.planned import planned_resources
from soc2lint.parsers.terraform.project import Project
from soc2lint.suppressions import Marker
from soc2lint.suppressions import apply as apply_suppressions


@dataclass
class ScanOptions:
    max_bytes: int = DEFAULT_MAX_BYTES
    exclude: list[str] = field(default_factory=list)
    # TF_VAR_ values (name without the prefix -> text); the CLI passes the environment's
    env_vars: dict[str, str] = field(default_factory=dict)
    # ("file", path) for --var-file and ("var", "name=value") for --var, in command-line order
    cli_vars: list[tuple[str, str]] = field(default_factory=list)
    # `terraform show -json` output: evaluate planned values instead of the configuration's
    plan: str | None = None
    # exceptions: peers' markers honoured, unused markers reported, the day expiry is judged on
    honor_peer_suppressions: bool = False
    report_unused_suppressions: bool = False
    today: dt.date = field(default_factory=lambda: dt.datetime.now(dt.timezone.utc).date())
    baseline: str | None = None
    # report only findings in these repository-relative files (pre-commit on changed files)
    only_paths: list[str] | None = None
    # the changed files a scoped scan is about (for the record), and the paths it parses: those
    # files and their context (soc2lint.scope); None: everything
    scope_to: list[str] | None = None
    scope_paths: set[str] | None = None
    # every rule id and name that exists, in the scan or not: a suppression marker naming one
    # that is out of this scan is not "unknown" (None: only the bundled rules are known)
    known_rules: set[str] | None = None
    # parallel parsing (None: all cores) and the content-addressed parse cache (None: off)
    jobs: int | None = None
    cache_dir: str | None = None
    progress: bool = False


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
    # module calls whose source could not be read: {path, line, source, reason}
    unavailable_modules: list[dict] = field(default_factory=list)
    # how sources were read where it matters to a reader: {path, message}
    notes: list[dict] = field(default_factory=list)
    # results an exception (suppression) covers; they are not in findings
    suppressed: list[tuple[Finding, Suppression]] = field(default_factory=list)
    # suppression markers that did not suppress: no reason, expired, unused: {path, line, ...}
    suppression_problems: list[dict] = field(default_factory=list)
    # --baseline in use: {path, sha256, baselined: count} ; --diff-base: {base_ref, merge_base,
    # new: count, fixed: count}
    baseline: dict | None = None
    diff: dict | None = None
    # the effective configuration {path, sha256} and the Trust Services Criteria in scope
    config: dict | None = None
    criteria_scope: list[str] = field(default_factory=list)
    # failing results left out of findings because they are known: in the baseline, or present
    # at the merge base in diff mode (evidence still counts them as evaluated)
    known: list[Finding] = field(default_factory=list)
    # files and directories left out by --exclude, the configuration or .gitignore: {path, reason}
    excluded: list[dict] = field(default_factory=list)
    # what the command line chose: targets, exclude patterns, rules, variables (names only)
    invocation: dict = field(default_factory=dict)

    def failing(self) -> list[Finding]:
        return [f for f in self.findings if f.status.value == "fail"]

    def rule(self, rule_id: str) -> Rule:
        return next(r for r in self.rules if r.id == rule_id)


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


def scan(targets: list[str], rules: list[Rule], options: ScanOptions | None = None) -> Report:
    """Scan targets (files or directories) with rules."""
    options = options or ScanOptions()
    started = _now()
    paths = [Path(t) for t in targets] or [Path.cwd()]
    root = find_root(paths[0])
    found = discover(root, [str(p) for p in paths], options.max_bytes, options.exclude)
    outside: list[SourceFile] = []
    if options.scope_paths is not None:
        outside = [f for f in found.files if f.path not in options.scope_paths]
        found.files = [f for f in found.files if f.path in options.scope_paths]
    reuse = _cached(root, paths, rules, options, found.files)
    if isinstance(reuse, Report):
        reuse.started, reuse.finished = started, _now()
        reuse.excluded = list(found.excluded)
        return reuse
    report = _scan(root, paths, rules, options, found, started, outside)
    if reuse is not None and not report.notes:  # rendered charts depend on outside tools
        result_cache.store(reuse[0], reuse[1], report)
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
    hit = result_cache.load(cache, cache_key, root)
    return hit if hit is not None else (cache, cache_key)


def _scan(
    root: Path,
    paths: list[Path],
    rules: list[Rule],
    options: ScanOptions,
    found: Discovery,
    started: str,
    outside: list[SourceFile] | None = None,
) -> Report:
    errors: list[ParseError] = []
    skipped = list(found.skipped)
    files: dict[str, str] = {}
    by_dir: dict[str, list[TfFile]] = defaultdict(list)
    tfvars_by_dir: dict[str, list[TfFile]] = defaultdict(list)
    other: list[Resource] = []
    notes: list[dict] = []
    markers: dict[str, list[Marker]] = {}
    texts: dict[str, str] = {}
    cache_dir = str(options.cache_dir) if options.cache_dir else None
    jobs = options.jobs or os.cpu_count() or 1
    sources = [f for f in found.files if f.platform in ("terraform", "yaml", "repository")]
    progress = tty_progress() if options.progress and len(sources) > 500 else None

    def take(loaded: Loaded) -> TfFile | None:
        """Record a loaded file; its Terraform parse, if it is Terraform."""
        path = loaded.source.path
        if loaded.skip is not None:
            wanted = loaded.source.platform != "yaml" or classify_by_path(path) is not None
            if wanted or loaded.ours or loaded.yaml is not None:
                skipped.append(loaded.skip)
            return None
        if loaded.text is not None:
            texts[path] = loaded.text
            files[path] = loaded.digest
            return None
        if loaded.yaml is not None:
            if loaded.yaml.skip_reason:
                skipped.append(Skipped(path, loaded.yaml.skip_reason))
            if loaded.yaml.platform is None and not loaded.yaml.skip_reason:
                return None
            other.extend(loaded.yaml.resources)
            errors.extend(loaded.yaml.errors)
        files[path] = loaded.digest
        if loaded.markers:
            markers[path] = loaded.markers
        if loaded.terraform is not None:
            errors.extend(loaded.terraform.errors)
        return loaded.terraform

    for loaded in load_all(sources, options.max_bytes, jobs, cache_dir, progress):
        parsed = take(loaded)
        if parsed is not None:
            directory = loaded.source.path.rpartition("/")[0]
            kind = loaded.source.kind
            (tfvars_by_dir if kind == "tfvars" else by_dir)[directory].append(parsed)

    other.extend(read_local_includes(root, other, files, errors, options.max_bytes))
    other = renderers.render_kubernetes(
        root, [f.path for f in found.files], other, errors, notes, skipped
    )

    def read_directory(directory: str) -> list[TfFile] | None:
        """A called module outside the scanned paths: read it for context."""
        base = (root / directory).resolve() if directory else root
        if not base.is_dir() or not (base == root or root in base.parents):
            return None
        out = []
        for path in sorted(base.iterdir()):
            kind = classify(path.name)
            if kind is None or kind[0] != "terraform" or kind[1] == "tfvars" or not path.is_file():
                continue
            rel = f"{directory}/{path.name}" if directory else path.name
            if path.is_symlink() and root not in path.resolve().parents:
                skipped.append(Skipped(rel, "symbolic link leads outside the scanned root"))
                continue
            source = SourceFile(rel, str(path), kind[0], kind[1])
            parsed = take(load_one(source, options.max_bytes, cache_dir))
            if parsed is not None:
                out.append(parsed)
        return out

    project = Project(root, by_dir, tfvars_by_dir, read_directory)
    built = project.build(options.env_vars, _cli_layers(options, root, errors))
    errors.extend(built.errors)
    resources: list[Resource] = built.resources
    if options.plan:
        resources = _apply_plan(options.plan, root, paths, built.roots, resources, errors)
    resources = resources + _unique_keys(other, {r.key for r in resources})
    infrastructure = [p for p in files if not p.endswith("CODEOWNERS")]
    # a scoped scan weighs CODEOWNERS against the files it did not parse too, so that its
    # repository-wide findings are those of a whole scan
    infrastructure = sorted({*infrastructure, *scope.infrastructure(root, outside or [])})
    repository = repository_resource(root, paths, infrastructure, errors)
    if repository is not None:
        resources.append(repository)
    graph = ResourceGraph()
    for res in resources:
        graph.add_resource(res)
    for linker in _linkers():
        linker.link(graph, resources)
    findings, rule_errors = evaluate_rules(rules, graph, jobs)
    exceptions = apply_suppressions(
        findings,
        markers,
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
    return Report(
        root=str(root),
        targets=[str(p) for p in paths],
        rules=rules,
        findings=findings,
        errors=sorted(set(errors), key=lambda e: (e.path, e.line, e.message)),
        skipped=sorted(set(skipped), key=lambda s: s.path),
        rule_errors=rule_errors,
        files=dict(sorted(files.items())),
        resources=sum(1 for r in resources if r.kind in ("resource", "object")),
        started=started,
        finished=_now(),
        unavailable_modules=sorted(built.unavailable, key=lambda u: (u["path"], u["line"])),
        notes=sorted(notes, key=lambda n: (n["path"], n["message"])),
        suppressed=sorted(exceptions.suppressed, key=lambda p: p[0].sort_key),
        suppression_problems=exceptions.problems,
        baseline=baseline_info,
        known=known,
        excluded=list(found.excluded),
    )


_LINKERS = ("terraform", "kubernetes", "ci")


def _linkers() -> list:
    """Each platform's linker module (soc2lint.linkers.<name>.link), those that exist."""
    found = []
    for name in _LINKERS:
        try:
            found.append(importlib.import_module(f"soc2lint.linkers.{name}"))
        except ModuleNotFoundError:
            continue
    return found


def _unique_keys(resources: list[Resource], taken: set[str]) -> list[Resource]:
    """Two files declaring the same object: both are checked, the later one qualified by path."""
    out = []
    for res in resources:
        if res.key in taken:
            res = replace(res, address=f"{res.address}@{res.location.path}")
        taken.add(res.key)
        out.append(res)
    return out


def _apply_plan(
    plan: str,
    root: Path,
    paths: list[Path],
    roots: list[str],
    resources: list[Resource],
    errors: list[ParseError],
) -> list[Resource]:
    """Replace the plan's root module's configured resources by the planned ones."""
    plan_path = Path(plan).resolve()
    try:
        shown = plan_path.relative_to(root).as_posix()
    except ValueError:
        shown = plan_path.name
    try:
        text = plan_path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        errors.append(ParseError(shown, 1, f"cannot read plan: {exc}"))
        return resources
    planned, _sources, plan_errors = parse_plan(shown, text)
    errors.extend(plan_errors)
    if plan_errors and not planned:
        return resources
    target = _plan_root(paths, root, roots, plan_path)
    scope = target or "."
    config = [r for r in resources if r.scope == scope]
    others = [r for r in resources if r.scope != scope]
    return others + planned_resources(planned, config, shown, text, scope)


def _plan_root(paths: list[Path], root: Path, roots: list[str], plan_path: Path) -> str:
    """The root module a plan belongs to: the scanned directory, else the plan's directory."""
    for candidate in [*(p.resolve() for p in paths), plan_path.parent]:
        try:
            rel = candidate.relative_to(root).as_posix()
        except ValueError:
            continue
        rel = "" if rel == "." else rel
        if rel in roots:
            return rel
    return roots[0] if len(roots) == 1 else ""


def _cli_layers(options: ScanOptions, root: Path, errors: list[ParseError]) -> list[dict]:
    """--var-file and --var values, in the order given (later wins)."""
    layers: list[dict] = []
    for kind, value in options.cli_vars:
        if kind == "file":
            path = Path(value)
            try:
                text = path.read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError) as exc:
                errors.append(ParseError(value, 1, f"cannot read --var-file: {exc}"))
                continue
            parsed = parse_file(path.name if path.name.endswith(".json") else value, text)
            if parsed.errors:
                errors.extend(ParseError(value, e.line, e.message) for e in parsed.errors)
                continue
            layers.extend(tfvars_layers([parsed]))
        else:
            name, _, text = value.partition("=")
            layers.append({name.strip(): raw_value(text)})
    return layers
