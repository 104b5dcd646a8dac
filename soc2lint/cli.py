"""The command line: click parses options, one function call does the work, a reporter formats."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import click

from soc2lint import __version__
from soc2lint.engine.rules import SEVERITIES, Rule, RuleError, load_rules
from soc2lint.reporters import RENDERERS
from soc2lint.reporters.text import use_colour
from soc2lint.scan import Report, ScanOptions, scan
from soc2lint.tsc import catalogue

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


@click.group(cls=_Group)
@click.version_option(__version__, prog_name="soc2lint")
def main() -> None:
    """soc2lint: check infrastructure code against SOC 2 Trust Services Criteria."""


def _load(rules_dirs: tuple[str, ...], only: tuple[str, ...] = ()) -> list[Rule]:
    try:
        rules = load_rules(list(rules_dirs))
    except RuleError as exc:
        raise click.ClickException(f"rule error: {exc}") from None
    if only:
        wanted = set(only)
        unknown = wanted - {r.id for r in rules} - {r.name for r in rules}
        if unknown:
            raise click.BadParameter(f"no rule {', '.join(sorted(unknown))}", param_hint="--rule")
        rules = [r for r in rules if r.id in wanted or r.name in wanted]
    return rules


def _gate(report: Report, threshold: str) -> int:
    if threshold == "none":
        return EXIT_OK
    limit = SEVERITIES.index(threshold)
    severities = {r.id: r.severity for r in report.rules}
    failing = [f for f in report.failing() if SEVERITIES.index(severities[f.rule_id]) <= limit]
    return EXIT_FINDINGS if failing else EXIT_OK


@main.command("scan")
@click.argument("paths", nargs=-1, type=click.Path(exists=True))
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
    "--rule", "only", multiple=True, metavar="ID", help="Run only this rule (repeatable)."
)
@click.option(
    "--rules-dir",
    multiple=True,
    type=click.Path(exists=True, file_okay=False),
    help="Also load rules from this directory (repeatable).",
)
@click.option(
    "--fail-on",
    "threshold",
    type=click.Choice([*SEVERITIES, "none"]),
    default="info",
    show_default=True,
    help="Exit 1 when a failing finding has this severity or higher (none: never).",
)
@click.option(
    "--max-file-size",
    type=click.IntRange(min=1),
    default=2 * 1024 * 1024,
    show_default=True,
    help="Skip files larger than this many bytes.",
)
@click.option(
    "--exclude", multiple=True, metavar="GLOB", help="Skip paths matching (gitignore syntax)."
)
@click.option(
    "--automation-id",
    default="soc2lint/",
    show_default=True,
    help="SARIF runAutomationDetails.id (category for code scanning).",
)
@click.option(
    "--var",
    "tf_vars",
    multiple=True,
    metavar="NAME=VALUE",
    help="Set a root-module variable, like terraform -var (repeatable).",
)
@click.option(
    "--var-file",
    "var_files",
    multiple=True,
    type=click.Path(dir_okay=False),
    help="Read root-module variables from a .tfvars file (repeatable).",
)
@click.option(
    "--plan",
    "plan",
    type=click.Path(exists=True, dir_okay=False),
    help="Evaluate a plan (terraform show -json) instead of the configuration's values.",
)
@click.option("--color/--no-color", "colour", default=None, help="Force colour on or off.")
def scan_command(
    paths: tuple[str, ...],
    fmt: str,
    output: str | None,
    only: tuple[str, ...],
    rules_dir: tuple[str, ...],
    threshold: str,
    max_file_size: int,
    exclude: tuple[str, ...],
    automation_id: str,
    tf_vars: tuple[str, ...],
    var_files: tuple[str, ...],
    plan: str | None,
    colour: bool | None,
) -> None:
    """Scan PATHS (default: the current directory) and report findings."""
    rules = _load(rules_dir, only)
    for item in tf_vars:
        if "=" not in item or not item.partition("=")[0].strip():
            raise click.BadParameter(f"{item!r} is not NAME=VALUE", param_hint="--var")
    # Terraform's order: environment, tfvars files, then -var-file and -var (here: files first)
    options = ScanOptions(
        max_bytes=max_file_size,
        exclude=list(exclude),
        env_vars={k[7:]: v for k, v in sorted(os.environ.items()) if k.startswith("TF_VAR_")},
        cli_vars=[("file", f) for f in var_files] + [("var", v) for v in tf_vars],
        plan=plan,
    )
    report = scan(list(paths) or ["."], rules, options)
    colour_on = fmt == "text" and output is None and use_colour(sys.stdout, colour)
    text = RENDERERS[fmt](report, colour=colour_on, automation_id=automation_id)
    if output:
        Path(output).write_text(text, encoding="utf-8")
    else:
        click.echo(text, nl=False, color=colour_on)
    sys.exit(_gate(report, threshold))


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
        from soc2lint.docs import rules_markdown

        click.echo(rules_markdown(rules), nl=False)
    else:
        width = max(len(r.id) for r in rules) if rules else 10
        for r in rules:
            click.echo(f"{r.id:<{width}}  {r.severity:<8}  {','.join(r.criteria):<14}  {r.title}")


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
    click.echo(f"\nApplies to ({rule.platform}): {', '.join(rule.resource_types)}\n")
    click.echo("Why:\n  " + rule.rationale.replace("\n", "\n  "))
    click.echo("\nHow to fix:\n  " + rule.remediation.replace("\n", "\n  "))
    click.echo("\nExample:\n")
    for line in rule.remediation_example.rstrip().splitlines():
        click.echo("    " + line)
    if rule.references:
        click.echo("\nEquivalent checks:")
        for peer, ids in sorted(rule.references.items()):
            click.echo(f"  {peer}: {', '.join(ids)}")
