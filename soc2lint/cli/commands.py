"""The command line: click parses options, one function call does the work, a reporter formats."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import click

from soc2lint import __version__
from soc2lint.cli.config import STARTER, ConfigError
from soc2lint.cli.run import Outcome, Request, UsageError, gate, run
from soc2lint.engine.rules import SEVERITIES, Rule, RuleError, load_rules
from soc2lint.engine.tsc import catalogue
from soc2lint.evidence.cli import evidence as evidence_group
from soc2lint.pipeline.coverage import headline
from soc2lint.pipeline.load import default_cache_dir
from soc2lint.policies.baseline import DEFAULT_NAME as DEFAULT_BASELINE
from soc2lint.policies.baseline import BaselineError
from soc2lint.policies.baseline import create as create_baseline
from soc2lint.policies.diff import DiffError
from soc2lint.reporters import RENDERERS
from soc2lint.reporters.common import scope_warning
from soc2lint.reporters.text import use_colour
from soc2lint.scan import Report

EXIT_OK, EXIT_FINDINGS, EXIT_ERROR = 0, 1, 2


class _Group(click.Group):
    """Usage errors exit 2 with one line; unexpected errors never show a traceback."""

    def main(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        try:
            return super().main(*args, standalone_mode=False, **kwargs)
        except click.exceptions.Exit as exc:
            sys.exit(exc.exit_code)
        except click.ClickException as exc:
            exc.show()
            sys.exit(EXIT_ERROR)
        except click.exceptions.Abort:
            click.echo("aborted", err=True)
            sys.exit(EXIT_ERROR)
        except KeyboardInterrupt:
            click.echo("interrupted", err=True)
            sys.exit(EXIT_ERROR)
        except Exception as exc:  # a bug: one line for the user, the traceback on request
            if os.environ.get("SOC2LINT_DEBUG"):
                raise
            click.echo(
                f"soc2lint: internal error: {type(exc).__name__}: {exc} "
                "(set SOC2LINT_DEBUG=1 for the traceback, and please report it)",
                err=True,
            )
            sys.exit(EXIT_ERROR)


@click.group(cls=_Group)
@click.version_option(__version__, prog_name="soc2lint")
def main() -> None:
    """soc2lint: check infrastructure code against SOC 2 Trust Services Criteria."""


def _load(rules_dirs: tuple[str, ...]) -> list[Rule]:
    """Every rule (bundled and custom), for listing; configuration does not filter these."""
    try:
        return load_rules(list(rules_dirs))
    except RuleError as exc:
        raise click.ClickException(f"rule error: {exc}") from None


def _options(fn):  # type: ignore[no-untyped-def]
    """The scan options shared by `scan` and `baseline create`."""
    options = [
        click.argument("paths", nargs=-1, type=click.Path(exists=True)),
        click.option(
            "--config",
            "config",
            type=click.Path(exists=True, dir_okay=False),
            help="Configuration file (default: .soc2lint.yaml or pyproject.toml "
            "[tool.soc2lint] at the repository root).",
        ),
        click.option(
            "--rule", "only", multiple=True, metavar="ID", help="Run only this rule (repeatable)."
        ),
        click.option(
            "--rules-dir",
            multiple=True,
            type=click.Path(exists=True, file_okay=False),
            help="Also load rules from this directory (repeatable).",
        ),
        click.option(
            "--max-file-size",
            type=click.IntRange(min=1),
            default=None,
            help="Skip files larger than this many bytes (default 2 MiB).",
        ),
        click.option(
            "--exclude",
            multiple=True,
            metavar="GLOB",
            help="Skip paths matching (gitignore syntax).",
        ),
        click.option(
            "--var",
            "tf_vars",
            multiple=True,
            metavar="NAME=VALUE",
            help="Set a root-module variable, like terraform -var (repeatable).",
        ),
        click.option(
            "--var-file",
            "var_files",
            multiple=True,
            type=click.Path(dir_okay=False),
            help="Read root-module variables from a .tfvars file (repeatable).",
        ),
        click.option(
            "--helm-values",
            "helm_values",
            multiple=True,
            type=click.Path(exists=True, dir_okay=False),
            help="Render every Helm chart with this values file too, like helm -f (repeatable).",
        ),
        click.option(
            "--helm-set",
            "helm_set",
            multiple=True,
            metavar="KEY=VALUE",
            help="Set a Helm value when rendering charts, like helm --set (repeatable).",
        ),
        click.option(
            "--kube-version",
            default=None,
            metavar="VERSION",
            help="Kubernetes version Helm charts are rendered for (.Capabilities.KubeVersion).",
        ),
        click.option(
            "--api-versions",
            "api_versions",
            multiple=True,
            metavar="GROUP/VERSION",
            help="API versions charts may assume (.Capabilities.APIVersions; repeatable).",
        ),
        click.option(
            "--plan",
            type=click.Path(exists=True, dir_okay=False),
            help="Evaluate a plan (terraform show -json) instead of the values in code.",
        ),
        click.option(
            "--cfn-parameters",
            "cfn_parameters",
            type=click.Path(dir_okay=False),
            default=None,
            help="CloudFormation parameter values: [{ParameterKey, ParameterValue}] JSON or "
            "Key=Value lines.",
        ),
        click.option(
            "--honor-peer-suppressions",
            is_flag=True,
            help="Let checkov/tfsec/trivy/kics/zizmor markers suppress equivalent rules.",
        ),
        click.option(
            "--jobs",
            "-j",
            type=click.IntRange(min=1),
            default=None,
            help="Parse in this many processes (default: all cores; small scans use one).",
        ),
        click.option(
            "--cache-dir",
            type=click.Path(file_okay=False),
            default=None,
            help="Parse cache directory (default: the user cache, ~/.cache/soc2lint).",
        ),
        click.option("--no-cache", is_flag=True, help="Neither read nor write the parse cache."),
    ]
    for option in reversed(options):
        fn = option(fn)
    return fn


def _request(params: dict, **extra: object) -> Request:
    return Request(
        paths=list(params["paths"]),
        config=params["config"],
        only=list(params["only"]),
        rules_dirs=list(params["rules_dir"]),
        max_file_size=params["max_file_size"],
        exclude=list(params["exclude"]),
        tf_vars=list(params["tf_vars"]),
        var_files=list(params["var_files"]),
        helm_values=list(params["helm_values"]),
        helm_set=list(params["helm_set"]),
        kube_version=params["kube_version"],
        api_versions=list(params["api_versions"]),
        plan=params["plan"],
        cfn_parameters=params["cfn_parameters"],
        honor_peer_suppressions=params["honor_peer_suppressions"],
        jobs=params["jobs"],  # type: ignore[arg-type]
        cache_dir=None if params["no_cache"] else str(params["cache_dir"] or default_cache_dir()),
        progress=True,
        **extra,  # type: ignore[arg-type]
    )


def _run(request: Request) -> Outcome:
    try:
        return run(request)
    except (RuleError, ConfigError, BaselineError, DiffError, UsageError) as exc:
        raise click.ClickException(str(exc)) from None


@main.command("scan")
@_options
@click.option(
    "--format",
    "fmt",
    type=click.Choice(sorted(RENDERERS)),
    default="text",
    show_default=True,
    help="Output format.",
)
@click.option(
    "--output",
    "-o",
    type=click.Path(dir_okay=False, writable=True),
    help="Write the report to this file instead of standard output.",
)
@click.option(
    "--fail-on",
    "threshold",
    type=click.Choice([*SEVERITIES, "none"]),
    default=None,
    help="Exit 1 when a failing finding has this severity or higher (default: any; none: never).",
)
@click.option(
    "--fail-on-uncovered/--no-fail-on-uncovered",
    "fail_on_uncovered",
    default=None,
    help="Exit 1 when coverage is incomplete: resource types no rule judges, infrastructure "
    "files soc2lint does not read, charts not rendered (default: the configuration's "
    "fail_on_uncovered, else no; the report says so either way).",
)
@click.option(
    "--baseline",
    type=click.Path(exists=True, dir_okay=False),
    help="Report only findings not in this baseline file, and count the others.",
)
@click.option(
    "--diff-base",
    metavar="REF",
    default=None,
    help="Report only findings introduced since the merge base with REF "
    "(default in a GitHub pull_request workflow: origin/$GITHUB_BASE_REF).",
)
@click.option(
    "--full-context",
    is_flag=True,
    help="In --only-changed and diff modes, parse the whole repository, not only the changed "
    "files and their context.",
)
@click.option(
    "--no-diff-base",
    is_flag=True,
    help="Report every finding even where GITHUB_BASE_REF is set (the pre-commit hooks do).",
)
@click.option(
    "--only-changed",
    is_flag=True,
    help="PATHS are changed files: scan the repository for context, report only them.",
)
@click.option("--show-suppressed", is_flag=True, help="List suppressed results (text).")
@click.option(
    "--sarif-include-suppressed",
    is_flag=True,
    help="Keep suppressed results in SARIF (GitHub ignores SARIF suppressions).",
)
@click.option(
    "--report-unused-suppressions",
    is_flag=True,
    help="Report suppression markers that suppress nothing.",
)
@click.option(
    "--automation-id",
    default="soc2lint/",
    show_default=True,
    help="SARIF runAutomationDetails.id (category for code scanning).",
)
@click.option(
    "--evidence",
    "evidence_dir",
    type=click.Path(file_okay=False),
    help="Write a change-control evidence record (JSON, Markdown, HTML) here.",
)
@click.option(
    "--ledger",
    type=click.Path(dir_okay=False),
    help="Evidence ledger file (default: ledger.jsonl in the evidence directory).",
)
@click.option("--color/--no-color", "colour", default=None, help="Force colour on or off.")
def scan_command(**params: object) -> None:
    """Scan PATHS (default: the current directory) and report findings."""
    if params["ledger"] and not params["evidence_dir"]:
        raise click.UsageError("--ledger needs --evidence DIR (the records the ledger chains)")
    outcome = _run(
        _request(
            params,
            threshold=params["threshold"],
            baseline=params["baseline"],
            diff_base="" if params["no_diff_base"] else params["diff_base"],
            only_changed=params["only_changed"],
            report_unused_suppressions=params["report_unused_suppressions"],
            scoped=not params["full_context"],
            fail_on_uncovered=params["fail_on_uncovered"],
        )
    )
    report, fmt, output = outcome.report, str(params["fmt"]), params["output"]
    gap = scope_warning(report)
    if gap:
        click.echo(f"soc2lint: warning: {gap}", err=True)
    passed = gate(report, outcome.threshold, outcome.fail_on_uncovered)
    if fmt != "text" or output is not None:  # the text report ends with these itself
        for warning in (report.coverage.get("empty"), headline(report.coverage)):
            if warning:
                click.echo(f"soc2lint: warning: {warning}", err=True)
    colour_on = fmt == "text" and output is None and use_colour(sys.stdout, params["colour"])
    text = RENDERERS[fmt](
        report,
        colour=colour_on,
        automation_id=params["automation_id"],
        show_suppressed=params["show_suppressed"],
        include_suppressed=params["sarif_include_suppressed"],
    )
    if output:
        try:
            Path(str(output)).parent.mkdir(parents=True, exist_ok=True)
            Path(str(output)).write_text(text, encoding="utf-8")
        except OSError as exc:
            raise click.ClickException(f"--output {output}: {exc.strerror or exc}") from None
    else:
        click.echo(text, nl=False, color=colour_on)
    if params["evidence_dir"]:
        _write_evidence(
            report, str(params["evidence_dir"]), params["ledger"], passed, outcome.threshold
        )
    sys.exit(EXIT_OK if passed else EXIT_FINDINGS)


def _write_evidence(
    report: Report, directory: str, ledger: object, passed: bool, threshold: str
) -> None:
    try:
        from soc2lint.evidence import LedgerError, write_evidence
    except ImportError:  # pragma: no cover - the evidence package ships with soc2lint
        raise click.ClickException("evidence records are not available in this build") from None
    try:
        path = write_evidence(
            report,
            directory,
            ledger=str(ledger) if ledger else None,
            gate="pass" if passed else "fail",
            threshold=threshold,
        )
    except (LedgerError, OSError) as exc:
        raise click.ClickException(f"evidence: {exc}") from None
    click.echo(f"evidence record: {path}", err=True)


@main.group("baseline")
def baseline_group() -> None:
    """Accept today's findings as known, so scans report only new ones."""


@baseline_group.command("create")
@_options
@click.option(
    "--output",
    "-o",
    type=click.Path(dir_okay=False),
    default=DEFAULT_BASELINE,
    show_default=True,
    help="Where to write the baseline.",
)
def baseline_create(**params: object) -> None:
    """Write a baseline of the current failing and unknown findings."""
    # every current finding: no baseline in use and no pull-request diff
    outcome = _run(_request(params, diff_base="", use_baseline=False))
    Path(str(params["output"])).write_text(create_baseline(outcome.report.findings))
    count = sum(1 for f in outcome.report.findings if f.status.value != "pass")
    click.echo(f"baseline: {count} findings written to {params['output']}", err=True)


@main.command("init")
@click.option(
    "--path", type=click.Path(dir_okay=False), default=".soc2lint.yaml", show_default=True
)
@click.option("--force", is_flag=True, help="Overwrite an existing file.")
def init_command(path: str, force: bool) -> None:
    """Write a commented starter configuration."""
    target = Path(path)
    if target.exists() and not force:
        raise click.ClickException(f"{path} exists; use --force to overwrite it")
    target.write_text(STARTER)
    click.echo(f"wrote {path}", err=True)


@main.command("rules")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json", "markdown"]),
    default="text",
    show_default=True,
)
@click.option("--rules-dir", multiple=True, type=click.Path(exists=True, file_okay=False))
def rules_command(fmt: str, rules_dir: tuple[str, ...]) -> None:
    """List every rule: id, severity, criteria, title."""
    rules = _load(rules_dir)
    if fmt == "json":
        click.echo(json.dumps([rule_metadata(r) for r in rules], indent=2))
    elif fmt == "markdown":
        from soc2lint.reporters.rule_docs import rules_markdown

        click.echo(rules_markdown(rules), nl=False)
    else:
        width = max(len(r.id) for r in rules) if rules else 10
        for r in rules:
            off = "  (opt-in: off by default)" if not r.enabled_by_default else ""
            click.echo(
                f"{r.id:<{width}}  {r.severity:<8}  {','.join(r.criteria):<14}  {r.title}{off}"
            )


def rule_metadata(rule: Rule) -> dict:
    """A rule's public metadata, as `soc2lint rules --format json` lists it."""
    return {
        "id": rule.id,
        "name": rule.name,
        "title": rule.title,
        "platform": rule.platform,
        "resource_types": list(rule.resource_types),
        "severity": rule.severity,
        "criteria": list(rule.criteria),
        "references": {k: list(v) for k, v in sorted(rule.references.items())},
        "partial_references": {
            f"{peer}:{ref}": why for (peer, ref), why in sorted(rule.partial_references.items())
        },
        "enabled_by_default": rule.enabled_by_default,
        # a configuration key the rule cannot be judged without ("": none)
        "needs_config": rule.needs_config,
        # a control judged on several platforms: each with its types (the first is `platform`)
        **(
            {
                "platforms": [
                    {"platform": v.platform, "resource_types": list(v.resource_types)}
                    for v in rule.variants
                ]
            }
            if len(rule.variants) > 1
            else {}
        ),
    }


@main.command("explain")
@click.argument("rule_id")
@click.option("--rules-dir", multiple=True, type=click.Path(exists=True, file_okay=False))
def explain_command(rule_id: str, rules_dir: tuple[str, ...]) -> None:
    """Show a rule's rationale, remediation with a fixed example, and references."""
    rules = _load(rules_dir)
    rule = next((r for r in rules if rule_id in (r.id, r.name)), None)
    if rule is None:
        raise click.BadParameter(
            f"no rule {rule_id!r} (see `soc2lint rules`)", param_hint="RULE_ID"
        )
    titles = catalogue().criteria
    click.echo(f"{rule.id}  {rule.name}  [{rule.severity}]")
    click.echo(rule.title)
    click.echo("")
    click.echo("SOC 2 criteria:")
    for c in rule.criteria:
        click.echo(f"  {c}  {titles[c]}")
    click.echo("")
    for v in rule.variants:
        click.echo(f"Applies to ({v.platform}): {', '.join(v.resource_types)}")
    click.echo("")
    click.echo("Why:\n  " + rule.rationale.replace("\n", "\n  "))
    click.echo("\nHow to fix:\n  " + rule.remediation.replace("\n", "\n  "))
    for v in rule.variants:
        click.echo(f"\nExample ({v.platform}):\n" if len(rule.variants) > 1 else "\nExample:\n")
        for line in v.example.rstrip().splitlines():
            click.echo("    " + line)
    if rule.references:
        click.echo("\nEquivalent checks:")
        for peer, ids in sorted(rule.references.items()):
            click.echo(f"  {peer}: {', '.join(rule.reference_label(peer, i) for i in ids)}")


main.add_command(evidence_group)
