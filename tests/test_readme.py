"""The README describes soc2lint as it is: every platform and how its files are recognised,
the external tools, the JSON report, what the tests need, adoption, the Action's inputs and
the environment variables. Each check reads the code's own list, so the README cannot fall
behind it. (The set-up commands are checked by test_docs.py, coverage by test_coverage.py.)"""

from __future__ import annotations

import json
import re
from pathlib import Path

import click
from ruamel.yaml import YAML

from soc2lint import platforms
from soc2lint.cli import main

REPO = Path(__file__).resolve().parents[1]
README = (REPO / "README.md").read_text(encoding="utf-8")


def section(heading: str) -> str:
    """The text under a heading, up to the next heading of the same or a higher level (a `#`
    line inside a fenced code block is code, not a heading)."""
    level = len(heading.split(" ", 1)[0])
    lines, inside, fenced = [], False, False
    for line in README.splitlines():
        if line.startswith(("```", "````")):
            fenced = not fenced
        if not fenced and re.match(r"#{1,6} ", line):
            if inside and len(line.split(" ", 1)[0]) <= level:
                break
            if line == heading:
                inside = True
                continue
        if inside:
            lines.append(line)
    assert inside, f"README.md needs a section {heading!r}"
    return "\n".join(lines)


def test_no_platform_is_still_to_come() -> None:
    assert not re.search(r"as the other platforms land|lands? later|\bland\b", README)


def test_what_is_read_names_every_platform_and_how_its_files_are_recognised() -> None:
    read = section("### What is read")
    rows = {
        line.split("|")[1].strip(" *"): line
        for line in read.splitlines()
        if line.startswith("| **")
    }
    for platform in platforms.platforms():
        row = next((r for name, r in rows.items() if name.startswith(platform.title)), None)
        assert row, f"README: a row for {platform.title} in 'What is read'"
        # the file names the platform documents for itself (its `reads`) are in its row
        for pattern in re.findall(r"`([^`]+)`", " ".join(platform.reads)):
            if re.fullmatch(r"[\w.*/-]+", pattern) and ("." in pattern or "*" in pattern):
                assert pattern in row, f"README: {platform.title} reads {pattern}"
        assert re.search(r"\| (name|content|path|workflows by path)", row), platform.title


def test_external_tools_and_what_happens_without_them() -> None:
    read = section("### What is read")
    for tool in ("`kustomize`", "`kubectl`", "`helm`", "`git`"):
        assert tool in read
    assert "Without it" in read
    assert "scanned as plain manifests" in read  # kustomize missing
    assert "not checked" in read  # helm missing


def test_the_json_report_points_at_its_schema_and_names_every_field(tmp_path: Path) -> None:
    from soc2lint.reporters import json_report
    from soc2lint.scan import ScanOptions, scan

    part = section("### JSON output")
    assert "soc2lint/schemas/report.schema.json" in part
    (tmp_path / "main.tf").write_text('resource "aws_s3_bucket" "b" {\n  bucket = "b"\n}\n')
    doc = json.loads(json_report.render(scan([str(tmp_path)], [], ScanOptions())))
    for key in doc:
        assert f"`{key}`" in part, f"README: the JSON field {key}"


def test_the_one_test_that_needs_chromium_is_named() -> None:
    setup = section("## Set-up (two commands on a fresh machine)")
    assert "Chromium" in setup
    name = re.search(r"`(test_\w*chromium\w*)`", setup)
    assert name and f"def {name.group(1)}(" in (REPO / "tests" / "test_evidence.py").read_text()


def test_adopting_on_an_existing_repository() -> None:
    adopt = section("## Adopting on an existing repository")
    assert "soc2lint baseline create" in adopt
    assert ".soc2lint.yaml" in adopt and "[tool.soc2lint]" in adopt
    assert "(#adopting-on-an-existing-repository)" in section("## pre-commit")


def test_every_action_input_is_documented() -> None:
    action = section("## GitHub Action")
    inputs = YAML(typ="safe").load((REPO / "action.yml").read_text())["inputs"]
    expected = {*inputs, "var-file", "plan", "rules-dir", "exclude", "config", "category"}
    for name in expected:
        assert f"| `{name}`" in action or f", `{name}`" in action, f"README: input {name}"


def test_every_environment_variable_is_documented() -> None:
    names = set()

    def walk(command: click.Command) -> None:
        for param in command.params:
            envvar = getattr(param, "envvar", None)
            names.update([envvar] if isinstance(envvar, str) else envvar or [])
        if isinstance(command, click.Group):
            ctx = click.Context(command)
            for name in command.list_commands(ctx):
                walk(command.get_command(ctx, name))

    walk(main)
    assert len(names) >= 10
    use = section("## Use")
    assert sorted(n for n in names if f"`{n}`" not in use) == []
