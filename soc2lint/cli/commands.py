"""The command line: click parses options, one function call does the work, a reporter formats.

Only click and a few constants are imported here: everything a command needs is imported when
it runs, so `soc2lint --version`, `--help` and shell completion start in well under 150 ms and
a pre-commit run pays only for what a scan uses.
"""

from __future__ import annotations

import importlib
import os
import signal
import sys
import threading
from pathlib import Path
from typing import TYPE_CHECKING

import click

from soc2lint import __version__
from soc2lint.engine.severity import SEVERITIES
from soc2lint.reporters import FORMATS

if TYPE_CHECKING:
    from collections.abc import Iterable

    from soc2lint.cli.run import Outcome, Request
    from soc2lint.engine.rules import Rule
    from soc2lint.scan import Report

EXIT_OK, EXIT_FINDINGS, EXIT_ERROR = 0, 1, 2
EXIT_INTERRUPTED = 128 + signal.SIGINT  # 130, as a shell reports a command stopped by Ctrl-C
ENV = "SOC2LINT_"  # the prefix of every environment variable an option reads
CONTEXT = {"help_option_names": ["-h", "--help"], "max_content_width": 100}
_MAIN_PID = os.getpid()


def _interrupted(signum: int, frame: object) -> None:
    """Ctrl-C: the command unwinds (temporary directories are removed) and exits 130 without a
    traceback; a parse or evaluation worker (forked, so it has this handler too) just leaves,
    and a second Ctrl-C stops at once."""
    if os.getpid() != _MAIN_PID:
        os._exit(EXIT_INTERRUPTED)
    signal.signal(signal.SIGINT, lambda *_: os._exit(EXIT_INTERRUPTED))
    raise KeyboardInterrupt


# command groups kept in modules of their own, imported only when used: name -> (module,
# attribute, the short help `soc2lint --help` lists without importing them)
LAZY_COMMANDS = {
    "evidence": (
        "soc2lint.evidence.cli",
        "evidence",
        "Change-control evidence: verify the ledger, list commits to sample, re-render records.",
    ),
}


class _Group(click.Group):
    """Usage errors exit 2 with one line; unexpected errors never show a traceback."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *LAZY_COMMANDS})

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name in LAZY_COMMANDS and name not in self.commands:
            module, attribute, _help = LAZY_COMMANDS[name]
            self.add_command(getattr(importlib.import_module(module), attribute), name)
        return super().get_command(ctx, name)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """As click lists commands, but a lazy command by its short help, not imported."""
        names = self.list_commands(ctx)
        limit = formatter.width - 6 - max(len(n) for n in names)
        rows = []
        for name in names:
            if name in LAZY_COMMANDS and name not in self.commands:
                help_text = click.utils.make_default_short_help(LAZY_COMMANDS[name][2], limit)
            else:
                command = self.get_command(ctx, name)
                if command is None or command.hidden:
                    continue
                help_text = command.get_short_help_str(limit)
            rows.append((name, help_text))
        with formatter.section("Commands"):
            formatter.write_dl(rows)

    def main(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        global _MAIN_PID
        _MAIN_PID = os.getpid()
        previous = signal.getsignal(signal.SIGINT)
        if (
            previous is signal.default_int_handler
            and threading.current_thread() is threading.main_thread()
        ):
            signal.signal(signal.SIGINT, _interrupted)
        else:
            previous = None
        try:
            return self._main(*args, **kwargs)
        finally:  # an embedding program (a test runner) gets its own handler back
            if previous is not None:
                signal.signal(signal.SIGINT, previous)

    def _main(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        try:
            return super().main(*args, standalone_mode=False, **kwargs)
        except click.exceptions.Exit as exc:
            sys.exit(exc.exit_code)
        except click.ClickException as exc:
            exc.show()
            sys.exit(EXIT_ERROR)
        except click.exceptions.Abort as exc:
            if isinstance(exc.__cause__, KeyboardInterrupt):  # click has ended the ^C line
                sys.exit(EXIT_INTERRUPTED)
            click.echo("aborted", err=True)
            sys.exit(EXIT_ERROR)
        except KeyboardInterrupt:
            sys.exit(EXIT_INTERRUPTED)
        except Exception as exc:  # a bug: one line for the user, the traceback on request
            if os.environ.get("SOC2LINT_DEBUG"):
                raise
            click.echo(
                f"soc2lint: internal error: {type(exc).__name__}: {exc} "
                "(set SOC2LINT_DEBUG=1 for the traceback, and please report it)",
                err=True,
            )
            sys.exit(EXIT_ERROR)


@click.group(cls=_Group, context_settings=CONTEXT)
@click.version_option(__version__, "--version", "-V", prog_name="soc2lint")
def main() -> None:
    """soc2lint: check infrastructure code against SOC 2 Trust Services Criteria.

    Options a CI sets once can come from SOC2LINT_* environment variables (each option's help
    names its variable; the command line wins). Shell completion: add
    `eval "$(_SOC2LINT_COMPLETE=bash_source soc2lint)"` to ~/.bashrc (zsh_source for ~/.zshrc,
    `_SOC2LINT_COMPLETE=fish_source soc2lint | source` for fish).
    """


def _load(rules_dirs: tuple[str, ...]) -> list[Rule]:
    """Every rule (bundled and custom), for listing; configuration does not filter these."""
    from soc2lint.engine.rules import RuleError, load_rules

    try:
        return load_rules(list(rules_dirs))
    except RuleError as exc:
        raise click.ClickException(f"rule error: {exc}") from None


class _Lines(click.ParamType):
    """A repeatable option's environment variable holds one value a line, as the Action's
    multi-line inputs of the same names do (SOC2LINT_EXCLUDE)."""

    name = "text"

    def split_envvar_value(self, rv: str) -> list[str]:
        return [line.strip() for line in rv.splitlines() if line.strip()]


class _Directories(click.Path):
    """Directories from a variable: one a line (as the Action passes them) or separated by the
    path separator, as in PATH (SOC2LINT_RULES_DIR)."""

    def split_envvar_value(self, rv: str) -> list[str]:
        parts = (p.strip() for line in rv.splitlines() for p in line.split(os.pathsep))
        return [p for p in parts if p]


def _env(name: str) -> dict:
    """The keyword arguments that let an option be set by SOC2LINT_<NAME>, shown in --help."""
    return {"envvar": f"{ENV}{name}", "show_envvar": True}


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
            **_env("CONFIG"),
        ),
        click.option(
            "--rule",
            "only",
            multiple=True,
            metavar="ID",
            help="Run only this rule, by id or name in any letter case (repeatable).",
        ),
        click.option(
            "--rules-dir",
            multiple=True,
            type=_Directories(exists=True, file_okay=False),
            help="Also load rules from this directory (repeatable; in the variable, one a line "
            f"or separated by {os.pathsep!r}).",
            **_env("RULES_DIR"),
        ),
        click.option(
            "--max-file-size",
            type=click.IntRange(min=1),
            default=None,
            help="Skip files larger than this many bytes (default 2 MiB).",
            **_env("MAX_FILE_SIZE"),
        ),
        click.option(
            "--exclude",
            multiple=True,
            type=_Lines(),
            metavar="GLOB",
            help="Skip paths matching (gitignore syntax; repeatable; in the variable, one a line).",
            **_env("EXCLUDE"),
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
            **_env("KUBE_VERSION"),
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
            **_env("HONOR_PEER_SUPPRESSIONS"),
        ),
        click.option(
            "--jobs",
            "-j",
            type=click.IntRange(min=1),
            default=None,
            help="Parse in this many processes (default: all cores; small scans use one).",
            **_env("JOBS"),
        ),
        click.option(
            "--cache-dir",
            type=click.Path(file_okay=False),
            default=None,
            help="Parse cache directory (default: the user cache directory, ~/.cache/soc2lint "
            "on Linux, ~/Library/Caches/soc2lint on macOS, %LOCALAPPDATA%\\soc2lint\\Cache on "
            "Windows).",
            **_env("CACHE_DIR"),
        ),
        click.option(
            "--no-cache",
            is_flag=True,
            help="Neither read nor write the parse cache.",
            **_env("NO_CACHE"),
        ),
        click.option(
            "--quiet",
            "-q",
            is_flag=True,
            help="Print the report and errors only: no progress, warnings or hints on stderr.",
            **_env("QUIET"),
        ),
    ]
    for option in reversed(options):
        fn = option(fn)
    return fn


def _request(params: dict, **extra: object) -> Request:
    from soc2lint.cli.run import Request
    from soc2lint.pipeline.load import default_cache_dir

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
        progress=not params["quiet"],
        **extra,  # type: ignore[arg-type]
    )


def _run(request: Request) -> Outcome:
    from soc2lint.cli.config import ConfigError
    from soc2lint.cli.run import UsageError, run
    from soc2lint.engine.rules import RuleError
    from soc2lint.policies.baseline import BaselineError

    try:
        return run(request)
    except Exception as exc:
        # pull-request mode's module is imported only by a scan that needs it (run), so its
        # error class only here, where one may be raised
        from soc2lint.policies.diff import DiffError

        if isinstance(exc, (RuleError, ConfigError, BaselineError, DiffError, UsageError)):
            raise click.ClickException(str(exc)) from None
        raise


@main.command("scan")
@_options
@click.option(
    "--format",
    "fmt",
    type=click.Choice(FORMATS, case_sensitive=False),
    default="text",
    show_default=True,
    help="Output format: text for people, json for scripts, sarif for code scanning, "
    "markdown for a pull-request comment.",
    **_env("FORMAT"),
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
    type=click.Choice([*SEVERITIES, "none"], case_sensitive=False),
    default=None,
    help="Exit 1 when a failing finding has this severity or higher (default: any; none: never).",
    **_env("FAIL_ON"),
)
@click.option(
    "--fail-on-uncovered/--no-fail-on-uncovered",
    "fail_on_uncovered",
    default=None,
    help="Exit 1 when coverage is incomplete: resource types no rule judges, infrastructure "
    "files soc2lint does not read, charts not rendered (default: the configuration's "
    "fail_on_uncovered, else no; the report says so either way).",
    **_env("FAIL_ON_UNCOVERED"),
)
@click.option(
    "--baseline",
    type=click.Path(exists=True, dir_okay=False),
    help="Report only findings not in this baseline file, and count the others.",
    **_env("BASELINE"),
)
@click.option(
    "--diff-base",
    metavar="REF",
    default=None,
    help="Report only findings introduced since the merge base with REF "
    "(default in a GitHub pull_request workflow: origin/$GITHUB_BASE_REF).",
    **_env("DIFF_BASE"),
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
    **_env("AUTOMATION_ID"),
)
@click.option(
    "--evidence",
    "evidence_dir",
    type=click.Path(file_okay=False),
    help="Write a change-control evidence record (JSON, Markdown, HTML) here.",
    **_env("EVIDENCE_DIR"),
)
@click.option(
    "--ledger",
    type=click.Path(dir_okay=False),
    help="Evidence ledger file (default: ledger.jsonl in the evidence directory).",
    **_env("LEDGER"),
)
@click.option(
    "--color/--no-color",
    "colour",
    default=None,
    help="Force colour on or off (default: on a terminal, unless NO_COLOR is set; "
    "FORCE_COLOR turns it on where there is no terminal).",
)
def scan_command(**params: object) -> None:
    """Scan PATHS (default: the current directory) and report findings."""
    from soc2lint import collector

    # what the scan sets aside from the garbage collector phase by phase (collector.keep)
    # stays aside until the report is out, rather than being walked again by its collections
    with collector.set_aside():
        _scan_command(params)


def _write_output(path: Path, pieces: Iterable[str]) -> None:
    """--output: the report is written beside its path and renamed onto it once whole, so a
    scan that fails while writing (a full disk, an error in a reporter) leaves the earlier
    file as it was, never a report cut short that reads like a complete one."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_name(f".{path.name}.{os.getpid()}.partial")
        try:
            with open(partial, "w", encoding="utf-8") as handle:
                for piece in pieces:
                    handle.write(piece)
            os.replace(partial, path)
        finally:
            partial.unlink(missing_ok=True)
    except OSError as exc:
        raise click.ClickException(f"--output {path}: {exc.strerror or exc}") from None


def _scan_command(params: dict[str, object]) -> None:
    from soc2lint.cli.run import gate
    from soc2lint.pipeline.coverage import headline
    from soc2lint.reporters import writer
    from soc2lint.reporters.common import scope_warning
    from soc2lint.reporters.text import use_colour

    if params["ledger"] and not params["evidence_dir"]:
        raise click.UsageError("--ledger needs --evidence DIR (the records the ledger chains)")
    outcome = _run(
        _request(
            params,
            threshold=str(params["threshold"]).lower() if params["threshold"] else None,
            baseline=params["baseline"],
            diff_base="" if params["no_diff_base"] else params["diff_base"],
            only_changed=params["only_changed"],
            report_unused_suppressions=params["report_unused_suppressions"],
            scoped=not params["full_context"],
            fail_on_uncovered=params["fail_on_uncovered"],
        )
    )
    report, fmt, output = outcome.report, str(params["fmt"]).lower(), params["output"]
    quiet = bool(params["quiet"])
    gap = scope_warning(report)
    if gap and not quiet:
        click.echo(f"soc2lint: warning: {gap}", err=True)
    passed = gate(report, outcome.threshold, outcome.fail_on_uncovered)
    if (fmt != "text" or output is not None) and not quiet:  # the text report ends with these
        for warning in (report.coverage.get("empty"), headline(report.coverage)):
            if warning:
                click.echo(f"soc2lint: warning: {warning}", err=True)
    colour_on = fmt == "text" and output is None and use_colour(sys.stdout, params["colour"])
    pieces = writer(fmt)(
        report,
        colour=colour_on,
        automation_id=params["automation_id"],
        show_suppressed=params["show_suppressed"],
        include_suppressed=params["sarif_include_suppressed"],
    )
    if output:
        _write_output(Path(str(output)), pieces)
    else:
        # JSON and SARIF escape every control character, so there is no colour code to strip
        # (a pass of click's stripping over a monorepo's report of hundreds of megabytes), nor
        # one to cut in two: they are written as their reporters give them, a piece (about a
        # megabyte) at a time, so that neither the report nor a copy of it as bytes is held
        if fmt in ("json", "sarif"):
            for piece in pieces:
                click.echo(piece, nl=False, color=True)
        else:
            click.echo("".join(pieces), nl=False, color=colour_on)
    if params["evidence_dir"]:
        _write_evidence(
            report, str(params["evidence_dir"]), params["ledger"], passed, outcome.threshold, quiet
        )
    if not passed and not quiet:
        for line in next_steps(report, outcome.threshold):
            click.echo(line, err=True)
    sys.exit(EXIT_OK if passed else EXIT_FINDINGS)


def next_steps(report: Report, threshold: str) -> list[str]:
    """Two lines after a failing scan (a pre-commit hook's last words): how to understand or
    accept the first finding that failed the gate, and, when no baseline is in use yet, how to
    adopt soc2lint on a repository that already has findings."""
    from soc2lint.cli.run import gate
    from soc2lint.reporters.common import visible

    severities = {r.id: r.severity for r in report.rules}
    limit = SEVERITIES.index(threshold) if threshold in SEVERITIES else len(SEVERITIES)
    gating = [f for f in report.failing() if SEVERITIES.index(severities[f.rule_id]) <= limit]
    if not gating or threshold == "none" or gate(report, threshold):
        return []
    first = gating[0].rule_id
    lines = [
        f"to fix: soc2lint explain {first}; to accept: "
        f'# soc2lint:ignore {first} reason="..." on the line above'
    ]
    if not report.baseline and not report.diff:
        lines.append(
            "existing repository? soc2lint baseline create accepts today's "
            f"{len(visible(report))} findings, "
            "so only new ones fail"
        )
    return lines


def _write_evidence(
    report: Report,
    directory: str,
    ledger: object,
    passed: bool,
    threshold: str,
    quiet: bool = False,
) -> None:
    from soc2lint.evidence import LedgerError, write_evidence

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
    if not quiet:
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
    default=None,
    help="Where to write the baseline (default: the baseline the configuration names, else "
    ".soc2lint-baseline.json beside the configuration file or at the repository root, which "
    "the configuration then names, so every scan and the pre-commit hooks apply it).",
)
def baseline_create(**params: object) -> None:
    """Write a baseline of the current failing and unknown findings.

    Without --output this is the whole adoption step on an existing repository: the baseline
    is written and the configuration (.soc2lint.yaml, created when there is none) names it,
    so the next scan and the pre-commit hooks fail only on new findings. Commit both files.
    """
    from soc2lint.cli.adopt import record_baseline
    from soc2lint.policies.baseline import DEFAULT_NAME
    from soc2lint.policies.baseline import create as create_baseline
    from soc2lint.scan import find_root

    # every current finding: no baseline in use and no pull-request diff
    outcome = _run(_request(params, diff_base="", use_baseline=False))
    config = outcome.config
    paths = list(params["paths"])  # type: ignore[call-overload]
    if params["output"]:
        target = Path(str(params["output"]))
    elif config.baseline:
        target = Path(config.baseline)
    else:
        home = (
            Path(config.path).parent if config.path else find_root(Path(paths[0] if paths else "."))
        )
        target = home / DEFAULT_NAME
    try:
        target.write_text(create_baseline(outcome.report.findings))
    except OSError as exc:
        raise click.ClickException(f"baseline {target}: {exc.strerror or exc}") from None
    count = sum(1 for f in outcome.report.findings if f.status.value != "pass")
    shown = (
        os.path.relpath(target)
        if not target.is_absolute() or Path.cwd() in target.parents
        else target
    )
    if not params["quiet"]:
        click.echo(f"baseline: {count} findings written to {shown}", err=True)
    if params["output"] or config.baseline:
        return
    root = find_root(Path(paths[0] if paths else "."))
    note = record_baseline(config.path, root, target)
    if not params["quiet"]:
        click.echo(f"baseline: {note}", err=True)


@main.command("init")
@click.option(
    "--path",
    type=click.Path(dir_okay=False),
    default=".soc2lint.yaml",
    show_default=True,
    help="Where to write the configuration.",
)
@click.option("--force", is_flag=True, help="Overwrite an existing file.")
def init_command(path: str, force: bool) -> None:
    """Write a commented starter configuration."""
    from soc2lint.cli.config import STARTER

    target = Path(path)
    if target.exists() and not force:
        raise click.ClickException(f"{path} exists; use --force to overwrite it")
    target.write_text(STARTER)
    click.echo(f"wrote {path}", err=True)


_RULES_DIR_HELP = (
    f"Also load rules from this directory (repeatable; in the variable, one a line or separated "
    f"by {os.pathsep!r})."
)


@main.command("rules")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json", "markdown"], case_sensitive=False),
    default="text",
    show_default=True,
    help="text: one line per rule; json: every rule's metadata; markdown: docs/rules.md.",
)
@click.option(
    "--rules-dir",
    multiple=True,
    type=_Directories(exists=True, file_okay=False),
    help=_RULES_DIR_HELP,
    **_env("RULES_DIR"),
)
def rules_command(fmt: str, rules_dir: tuple[str, ...]) -> None:
    """List every rule: id, severity, criteria, title."""
    import json

    rules = _load(rules_dir)
    fmt = fmt.lower()
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
@click.option(
    "--rules-dir",
    multiple=True,
    type=_Directories(exists=True, file_okay=False),
    help=_RULES_DIR_HELP,
    **_env("RULES_DIR"),
)
def explain_command(rule_id: str, rules_dir: tuple[str, ...]) -> None:
    """Show a rule's rationale, remediation with a fixed example, and references.

    RULE_ID is a rule's id or name, in any letter case (soc2-aws-001 is SOC2-AWS-001).
    """
    import shutil

    from soc2lint.cli.run import did_you_mean, find_rule
    from soc2lint.engine.tsc import catalogue

    rules = _load(rules_dir)
    rule = find_rule(rules, rule_id)
    if rule is None:
        raise click.BadParameter(
            f"no rule {rule_id!r}{did_you_mean(rule_id, rules)}", param_hint="RULE_ID"
        )
    width = max(40, min(shutil.get_terminal_size((100, 24)).columns, 100))
    titles = catalogue().criteria
    click.echo(f"{rule.id}  {rule.name}  [{rule.severity}]")
    click.echo(wrap(rule.title, width, ""))
    click.echo("")
    click.echo("SOC 2 criteria:")
    for c in rule.criteria:
        click.echo(wrap(f"{c}  {titles[c]}", width, "  ", "    "))
    click.echo("")
    for v in rule.variants:
        click.echo(wrap(f"Applies to ({v.platform}): {', '.join(v.resource_types)}", width, ""))
    click.echo("")
    click.echo("Why:\n" + wrap(rule.rationale, width, "  "))
    click.echo("\nHow to fix:\n" + wrap(rule.remediation, width, "  "))
    for v in rule.variants:
        click.echo(f"\nExample ({v.platform}):\n" if len(rule.variants) > 1 else "\nExample:\n")
        for line in v.example.rstrip().splitlines():  # code: never re-wrapped
            click.echo("    " + line)
    if rule.references:
        click.echo("\nEquivalent checks:")
        for peer, ids in sorted(rule.references.items()):
            labels = ", ".join(rule.reference_label(peer, i) for i in ids)
            click.echo(wrap(f"{peer}: {labels}", width, "  ", "    "))


def wrap(text: str, width: int, indent: str, hanging: str | None = None) -> str:
    """Text wrapped to width, paragraph by paragraph; a line that starts a list item ("- ",
    "* ", "1. ") starts a new line, its continuation lines indented under its text."""
    import re
    import textwrap

    out: list[str] = []
    for paragraph in re.split(r"\n\s*\n", text.strip()):
        items: list[str] = []
        for line in paragraph.splitlines():
            if not items or re.match(r"\s*([-*]|\d+\.)\s", line):
                items.append(line.strip())
            else:
                items[-1] += " " + line.strip()
        if out:
            out.append("")
        for item in items:
            bullet = re.match(r"([-*]|\d+\.)\s+", item)
            follow = hanging if hanging is not None else indent
            if bullet:
                follow = indent + " " * len(bullet.group(0))
            out.append(
                textwrap.fill(
                    item,
                    width,
                    initial_indent=indent,
                    subsequent_indent=follow,
                    break_long_words=False,
                    break_on_hyphens=False,
                )
            )
    return "\n".join(out)
