"""`soc2lint evidence ...`: verify the ledger, list the population to sample, re-render records.

Exit codes: 0 done (ledger intact), 1 tampering or changed files found, 2 usage or input error."""

from __future__ import annotations

import secrets
from pathlib import Path

import click

from soc2lint.evidence.ledger import LedgerError, verify
from soc2lint.evidence.markdown import render_markdown
from soc2lint.evidence.population import population, sample, write_csv, write_json

# `evidence render --format`: the names `scan --format` uses, where they apply to a record
# (a record is not a scan report, so there is no sarif or text), and `md` as before
RENDER_FORMATS = ("html", "json", "markdown", "md")


class EvidenceError(click.ClickException):
    """Bad input: one line on standard error, exit 2."""

    exit_code = 2


# -h as well as --help, also when this group is used on its own (click keeps each command's help
# option once made, so it must not depend on which parent invoked it first)
@click.group("evidence", context_settings={"help_option_names": ["-h", "--help"]})
def evidence() -> None:
    """Change-control evidence: verify the ledger, list commits to sample, re-render records."""


@evidence.command("verify")
@click.argument("ledger", type=click.Path(exists=True, dir_okay=False))
@click.option(
    "--against",
    type=click.Path(exists=True, file_okay=False),
    help="Also check that a record's file digests match this checkout.",
)
@click.option(
    "--record",
    "record_id",
    metavar="ID",
    help="The record to compare with --against (default: the last for its HEAD commit).",
)
@click.option(
    "--records",
    "records_dir",
    type=click.Path(exists=True, file_okay=False),
    help="Directory of the record files (default: the ledger's directory).",
)
@click.option(
    "--head",
    metavar="SHA256",
    help="An entry_sha256 kept elsewhere; it must still be in the ledger.",
)
@click.pass_context
def verify_command(
    ctx: click.Context,
    ledger: str,
    against: str | None,
    record_id: str | None,
    records_dir: str | None,
    head: str | None,
) -> None:
    """Check LEDGER's hash chain and every record file's digest (exit 1 when tampered)."""
    try:
        result = verify(ledger, against, records_dir=records_dir, head=head, record=record_id)
    except LedgerError as exc:
        raise EvidenceError(str(exc)) from None
    for problem in result.problems:
        click.echo(problem)
    if result.problems:
        click.echo(
            f"ledger NOT intact: {len(result.problems)} problem(s) in {result.entries} entries"
        )
    else:
        click.echo(f"ledger intact: {result.entries} entries, head {result.head}")
    if against is not None:
        if result.checked_record:
            commit = (result.checked_commit or "no commit")[:12]
            how = {
                "given": "as asked",
                "HEAD": "the last record of the checkout's commit",
                "latest": "NO record is of the checkout's commit; the last record in the ledger",
            }[result.chosen_by or "given"]
            click.echo(f"compared {against} with record {result.checked_record} ({commit}: {how})")
            if result.scoped_to is not None:
                click.echo(
                    f"the record was scoped to {len(result.scoped_to)} changed file(s) and their "
                    "context: "
                    "files it did not parse are not compared"
                )
        for problem in result.checkout_problems:
            click.echo(problem)
        if result.checkout_problems:
            click.echo(f"checkout differs from the record: {len(result.checkout_problems)} file(s)")
        else:
            click.echo(f"record {result.checked_record}: every file matches {against}")
    if not result.ok:
        ctx.exit(1)


@evidence.command("population")
@click.option(
    "--ledger",
    required=True,
    type=click.Path(exists=True, dir_okay=False),
    help="The ledger (ledger.jsonl) whose records cover the commits.",
)
@click.option("--since", required=True, metavar="DATE", help="YYYY-MM-DD or ISO date-time (UTC).")
@click.option("--until", metavar="DATE", help="Inclusive end (default: now).")
@click.option(
    "--branch", default="main", show_default=True, help="The branch whose commits to list."
)
@click.option(
    "--repo",
    default=".",
    show_default=True,
    type=click.Path(exists=True, file_okay=False),
    help="The git repository the commits are read from.",
)
@click.option(
    "--records",
    "records_dir",
    type=click.Path(exists=True, file_okay=False),
    help="Directory of the record files (default: the ledger's directory).",
)
@click.option(
    "--csv", "csv_path", type=click.Path(dir_okay=False), help="Write the population as CSV."
)
@click.option(
    "--json", "json_path", type=click.Path(dir_okay=False), help="Write the population as JSON."
)
@click.option("--sample", "size", type=click.IntRange(min=1), help="Pick N commits to test.")
@click.option(
    "--seed", help="Seed for --sample (printed when chosen here); same seed, same sample."
)
def population_command(
    ledger: str,
    since: str,
    until: str | None,
    branch: str,
    repo: str,
    records_dir: str | None,
    csv_path: str | None,
    json_path: str | None,
    size: int | None,
    seed: str | None,
) -> None:
    """List every commit that reached BRANCH in the period beside its evidence records."""
    try:
        pop = population(ledger, since, until, branch=branch, repo=repo, records_dir=records_dir)
    except (ValueError, LedgerError) as exc:
        raise EvidenceError(str(exc)) from None
    period = f"{pop['since']} .. {pop['until'] or 'now'}"
    click.echo(
        f"{pop['commits']} commits reached {branch} in {period}; "
        f"{pop['uncovered']} without an evidence record that covers it"
    )
    for row in pop["rows"]:
        if not row["covered"]:
            click.echo(f"  no record: {row['commit'][:12]}  {row['committed']}  {row['subject']}")
        for problem in row["problems"]:
            click.echo(f"  {row['commit'][:12]}: {problem}")
    if size is not None:
        seed = seed if seed is not None else str(secrets.randbelow(2**31))
        picked = sample(pop, size, int(seed) if seed.lstrip("-").isdigit() else seed)
        pop["sample"] = {"size": size, "seed": seed, "commits": [r["commit"] for r in picked]}
        click.echo(f"sample of {len(picked)} (seed {seed}):")
        for row in picked:
            ids = ", ".join(row["records"]) or "NO RECORD"
            click.echo(f"  {row['commit'][:12]}  {row['committed']}  {ids}")
    if csv_path:
        write_csv(pop, csv_path)
    if json_path:
        write_json(pop, json_path)


@evidence.command("render")
@click.argument("record", type=click.Path(exists=True, dir_okay=False))
@click.option(
    "--format",
    "fmt",
    type=click.Choice(RENDER_FORMATS, case_sensitive=False),
    default="markdown",
    show_default=True,
    help="markdown (or md) for a pull-request comment, html for auditors, json: the record.",
)
@click.option("--output", "-o", type=click.Path(dir_okay=False), help="Write to this file.")
def render_command(record: str, fmt: str, output: str | None) -> None:
    """Render RECORD (a <record-id>.json) again as Markdown, HTML or JSON."""
    import json

    from soc2lint.evidence.record import load_record

    fmt = fmt.lower()
    try:
        data = load_record(record)
        if fmt == "html":
            from soc2lint.evidence.html_page import render_html

            text = render_html(data)
        elif fmt == "json":
            text = json.dumps(data, indent=2, ensure_ascii=False) + "\n"
        else:
            text = render_markdown(data)
    except ValueError as exc:
        raise EvidenceError(str(exc)) from None
    except (KeyError, TypeError) as exc:
        raise EvidenceError(f"{record}: record is missing or malformed at {exc}") from None
    if output:
        Path(output).write_text(text, encoding="utf-8")
    else:
        click.echo(text, nl=False)
