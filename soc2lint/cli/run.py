"""One call from command-line choices to a Report: configuration, rules, scan, baseline, diff."""

from __future__ import annotations

import os
from contextlib import ExitStack
from dataclasses import field, replace
from pathlib import Path

from soc2lint.cli.config import Config, find_config, load_config
from soc2lint.engine.rules import SEVERITIES, Rule, load_rules, ruleset_digest
from soc2lint.model import record
from soc2lint.pipeline.discover import DEFAULT_MAX_BYTES, discover
from soc2lint.pipeline.load import Cache
from soc2lint.policies import scope
from soc2lint.scan import Report, ScanOptions, find_root, scan


class UsageError(Exception):
    """A choice that cannot work (unknown rule, bad --var); exit code 2."""


@record()
class Request:
    paths: list[str] = field(default_factory=list)
    config: str | None = None
    only: list[str] = field(default_factory=list)
    rules_dirs: list[str] = field(default_factory=list)
    threshold: str | None = None
    max_file_size: int | None = None
    exclude: list[str] = field(default_factory=list)
    tf_vars: list[str] = field(default_factory=list)
    var_files: list[str] = field(default_factory=list)
    helm_values: list[str] = field(default_factory=list)
    helm_set: list[str] = field(default_factory=list)
    kube_version: str | None = None
    api_versions: list[str] = field(default_factory=list)
    plan: str | None = None
    cfn_parameters: str | None = None
    baseline: str | None = None
    diff_base: str | None = None
    honor_peer_suppressions: bool = False
    report_unused_suppressions: bool = False
    only_changed: bool = False  # paths are changed files: scan the repository, report those
    jobs: int | None = None
    cache_dir: str | None = None
    progress: bool = False
    use_baseline: bool = True  # False: ignore the configuration's baseline (baseline create)
    # in --only-changed and diff modes, parse only the changed files and their context
    scoped: bool = True
    # incomplete coverage fails the gate (None: as the configuration says, else no)
    fail_on_uncovered: bool | None = None


@record()
class Outcome:
    report: Report
    rules: list[Rule]
    config: Config
    threshold: str
    fail_on_uncovered: bool = False


def effective_rules(
    config: Config,
    rules_dirs: list[str],
    only: list[str],
    loaded: list[Rule] | None = None,
    cache: Cache | None = None,
) -> list[Rule]:
    """Bundled + custom rules, filtered and re-ranked by the configuration and --rule."""
    if loaded is None or config.rules_dirs:
        loaded = load_rules([*config.rules_dirs, *rules_dirs], cache=cache)
    # --rule takes ids and names in any case: soc2-aws-001 is SOC2-AWS-001
    wanted = []
    for given in only:
        rule = find_rule(loaded, given)
        if rule is None:
            raise UsageError(f"--rule: no rule {given!r}{did_you_mean(given, loaded)}")
        wanted.append(rule.id)
    rules = config.apply(loaded, wanted)  # --rule also turns on opt-in rules
    if wanted:
        unknown = set(wanted) - {r.id for r in rules}
        if unknown:
            raise UsageError(
                f"--rule: no rule {', '.join(sorted(unknown))} in this scan (the configuration "
                "leaves it out; see `soc2lint rules`)"
            )
        rules = [r for r in rules if r.id in wanted]
    return rules


def find_rule(rules: list[Rule], given: str) -> Rule | None:
    """The rule with this id or name, in any letter case."""
    key = given.strip().casefold()
    return next((r for r in rules if key in (r.id.casefold(), r.name.casefold())), None)


def did_you_mean(given: str, rules: list[Rule]) -> str:
    """' (did you mean SOC2-AWS-001?)' for a mistyped rule id or name, else where to look."""
    names = {n.casefold(): n for r in rules for n in (r.id, r.name)}
    from difflib import get_close_matches  # only for a mistake's hint

    close = get_close_matches(given.strip().casefold(), list(names), n=1)
    return f" (did you mean {names[close[0]]}?)" if close else " (see `soc2lint rules`)"


def run(request: Request) -> Outcome:
    """Everything `soc2lint scan` does before formatting."""
    paths = request.paths or ["."]
    # changed files (pre-commit) belong to the repository the hook runs in, wherever they lead
    root = find_root(Path.cwd() if request.only_changed else Path(paths[0]))
    if request.config and Path(request.config).exists() and not Path(request.config).is_file():
        raise UsageError(f"--config {request.config}: not a regular file")
    config_path = Path(request.config) if request.config else find_config(root)
    cache = Cache(Path(request.cache_dir)) if request.cache_dir else None
    available = load_rules(request.rules_dirs, cache=cache)
    # a configuration found in the repository may name only files inside it
    config = load_config(
        config_path,
        {n for r in available for n in (r.id, r.name)},
        root=None if request.config else root,
    )
    rules = effective_rules(config, request.rules_dirs, request.only, available, cache)
    # Terraform inputs the configuration sets once; the command line's replace them
    request = replace(
        request,
        var_files=request.var_files or list(config.var_files),
        plan=request.plan or config.plan,
    )
    for item in request.tf_vars:
        if "=" not in item or not item.partition("=")[0].strip():
            raise UsageError(f"--var: {item!r} is not NAME=VALUE")
    for item in request.helm_set:
        if "=" not in item or not item.partition("=")[0].strip():
            raise UsageError(f"--helm-set: {item!r} is not KEY=VALUE")
    named = [("--var-file", f) for f in request.var_files]
    named += [("--helm-values", f) for f in request.helm_values]
    named += [("--baseline", request.baseline), ("--plan", request.plan)]
    cfn_file = request.cfn_parameters or config.cfn_parameters
    named += [("--cfn-parameters", cfn_file)]
    for option, given in named:
        if given and Path(given).exists() and not Path(given).is_file():
            raise UsageError(f"{option} {given}: not a regular file")
    for given in request.var_files:
        if not Path(given).exists():
            raise UsageError(
                f"--var-file {given}: no such file (relative to the current directory, "
                "as for terraform -var-file)"
            )
    only_paths = None
    targets = paths
    if request.only_changed:
        only_paths = []
        for given in paths:
            inside = _inside(root, given)
            if inside is None:
                raise UsageError(f"{given}: not inside the repository {root}")
            only_paths.append(inside)
        targets = [str(root)]
    elif config.include and not request.paths:
        targets = [str(p) for pattern in config.include for p in sorted(root.glob(pattern))] or [
            str(root)
        ]
    options = ScanOptions(
        max_bytes=request.max_file_size or config.max_file_size or DEFAULT_MAX_BYTES,
        exclude=[*config.exclude, *request.exclude],
        env_vars={k[7:]: v for k, v in sorted(os.environ.items()) if k.startswith("TF_VAR_")},
        # Terraform's order is -var-file and -var as given; here files come before values
        cli_vars=[("file", f) for f in request.var_files] + [("var", v) for v in request.tf_vars],
        plan=request.plan,
        cfn_parameters=_cfn_parameters(cfn_file),
        honor_peer_suppressions=request.honor_peer_suppressions,
        report_unused_suppressions=request.report_unused_suppressions,
        baseline=(request.baseline or config.baseline) if request.use_baseline else None,
        only_paths=only_paths,
        jobs=request.jobs,
        cache_dir=request.cache_dir,
        progress=request.progress,
        helm_values=[str(Path(f).resolve()) for f in request.helm_values],
        helm_set=list(request.helm_set),
        helm_charts=dict(config.helm_charts),
        kube_version=request.kube_version or config.kube_version,
        api_versions=[*config.api_versions, *request.api_versions],
        github_actions=config.github_actions,
        known_rules={
            n for r in _existing(config, request, available, cache) for n in (r.id, r.name)
        },
    )
    if request.diff_base != "":
        # pull-request mode (with its temporary trees), used below only when there is a base:
        # the hooks say --no-diff-base (""), and import none of it
        from soc2lint.policies.diff import (
            changed_paths,
            default_base,
            diff_scan,
            extracted,
            merge_base,
        )
    diff_ref = request.diff_base or (default_base() if request.diff_base is None else None)
    base_commit = merge_base(root, diff_ref) if diff_ref else None
    found = None  # the scan's own discovery, when the scope needed it first
    with ExitStack() as stack:
        base_root = stack.enter_context(extracted(root, base_commit)) if base_commit else None
        if request.scoped and (only_paths is not None or base_commit):
            changed = set(only_paths or []) | (
                changed_paths(root, base_commit) if base_commit else set()
            )
            options.scope_to = sorted(changed)
            # one set of paths for both sides: a file only one side has (a deleted policy, an
            # added module file) brings its context to both
            trees = [(root, targets), *([(base_root, [str(base_root)])] if base_root else [])]
            inputs = {_inside(root, f) for f in request.var_files} - {None}
            # the registry's verdicts on paths are remembered for the working tree only (the
            # base side is a new temporary copy each time)
            caches = [request.cache_dir] + [None] * (len(trees) - 1)
            walked = [
                discover(tree, paths, options.max_bytes, options.exclude, cache)
                for (tree, paths), cache in zip(trees, caches, strict=True)
            ]
            found = walked[0]
            # what the scope asks of each file is remembered in the cache directory (only for
            # the working tree: the base side is a new temporary copy each time)
            known = [scope.facts_for(root, found, request.cache_dir)] + [None] * (len(trees) - 1)
            options.scope_paths = set().union(
                *(
                    scope.context(tree, files.files, changed, inputs, facts)
                    for (tree, _paths), files, facts in zip(trees, walked, known, strict=True)
                )
            )
        elif request.cache_dir:
            # the scan's own walk, taken here to remember what a scoped scan will ask of the
            # files (scope.remember, after the scan)
            scan_root = find_root(Path(targets[0]))
            found = discover(
                scan_root, targets, options.max_bytes, options.exclude, request.cache_dir
            )
        report = scan(targets, rules, options, found)
        if found is not None:
            # a walk of the whole tree tells which files are gone
            whole = {Path(t).resolve() for t in targets} == {Path(found.root)}
            if isinstance(found.facts, scope.Facts):
                found.facts.save(prune=whole)
            elif request.cache_dir:
                scope.remember(Path(found.root), found, request.cache_dir, whole)
        report.invocation = _invocation(request, root, targets, options)
        report.config = {"path": config.path, "sha256": config.digest} if config.path else None
        report.criteria_scope = config.scope()
        if diff_ref:
            report = diff_scan(report, targets, rules, options, diff_ref, base_commit, base_root)
    threshold = request.threshold or config.fail_on or "info"
    strict = bool(
        request.fail_on_uncovered
        if request.fail_on_uncovered is not None
        else config.fail_on_uncovered
    )
    report.invocation["fail_on_uncovered"] = strict
    return Outcome(report, rules, config, threshold, strict)


def _cfn_parameters(path: str | None) -> dict[str, str]:
    """CloudFormation parameter values from --cfn-parameters (or the configuration's file)."""
    if not path:
        return {}
    from soc2lint.platforms.cloudformation.parameters import ParameterFileError, parse_parameters

    try:
        return parse_parameters(Path(path).read_text(encoding="utf-8"), path)
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"--cfn-parameters {path}: {exc}") from None
    except ParameterFileError as exc:
        raise UsageError(f"--cfn-parameters {exc}") from None


def _inside(root: Path, given: str) -> str | None:
    """given as a path relative to root, or None when it lies outside."""
    full = Path(os.path.abspath(given))
    return full.relative_to(root).as_posix() if full == root or root in full.parents else None


def _existing(
    config: Config, request: Request, available: list[Rule], cache: Cache | None
) -> list[Rule]:
    """Every rule that exists for this scan, enabled or not."""
    if not config.rules_dirs:
        return available
    return load_rules([*config.rules_dirs, *request.rules_dirs], cache=cache)


def _invocation(request: Request, root: Path, targets: list[str], options: ScanOptions) -> dict:
    """What the command line chose, for the evidence record: an auditor must see a narrowed
    scan. Variable values are left out (they may be secrets); their names are kept."""

    def rel(path: str) -> str:
        full = Path(path).resolve()
        try:
            return full.relative_to(root).as_posix() or "."
        except ValueError:
            return str(full)

    return {
        "targets": sorted(rel(t) for t in targets),
        "exclude": list(options.exclude),
        "rules": sorted(request.only),
        "rules_dirs": [rel(d) for d in request.rules_dirs],
        "var_files": [rel(f) for f in request.var_files],
        "vars": [v.partition("=")[0].strip() for v in request.tf_vars],
        "env_vars": sorted(options.env_vars),
        "plan": rel(request.plan) if request.plan else None,
        "only_changed": request.only_changed,
        # parsed only these changed files and their context (diff and changed-files modes)
        "scoped_to": options.scope_to,
        "max_file_size": options.max_bytes,
        # inputs besides the scanned files that change the result (the dirty check reads them)
        "inputs": sorted(
            rel(p)
            for p in [
                *(f for f in request.var_files),
                *([request.plan] if request.plan else []),
                *([request.cfn_parameters] if request.cfn_parameters else []),
                *([options.baseline] if options.baseline else []),
            ]
        ),
    }


def gate(report: Report, threshold: str, fail_on_uncovered: bool = False) -> bool:
    """True when the scan passes: no failing finding at or above the threshold, and, with
    fail_on_uncovered, nothing found that went unchecked."""
    if fail_on_uncovered and not (report.coverage or {}).get("complete", True):
        return False
    if threshold == "none":
        return True
    limit = SEVERITIES.index(threshold)
    severities = {r.id: r.severity for r in report.rules}
    return not any(SEVERITIES.index(severities[f.rule_id]) <= limit for f in report.failing())


__all__ = [
    "Outcome",
    "Request",
    "UsageError",
    "did_you_mean",
    "find_rule",
    "gate",
    "run",
    "ruleset_digest",
]
