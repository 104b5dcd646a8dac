"""Docs are generated from rule metadata; the committed copy must match the generator."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from soc2lint.engine.rules import load_rules
from soc2lint.reporters.rule_docs import rules_markdown

REPO = Path(__file__).resolve().parents[1]


def test_docs_rules_md_is_up_to_date() -> None:
    committed = (REPO / "docs" / "rules.md").read_text()
    assert committed == rules_markdown(load_rules()), (
        "docs/rules.md is stale: run `soc2lint rules --format markdown > docs/rules.md`"
    )


def test_cli_prints_the_same_markdown() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "soc2lint", "rules", "--format", "markdown"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert out == rules_markdown(load_rules())


def test_readme_names_the_two_setup_commands_that_ci_runs() -> None:
    readme = (REPO / "README.md").read_text()
    ci = (REPO / ".ci" / "run").read_text()
    test_cmd = next(
        line for line in readme.splitlines() if "pytest" in line and "pip install" in line
    )
    assert test_cmd.strip() in ci
    assert any(
        "soc2lint scan fixtures/demo" in line and "pip install" in line
        for line in readme.splitlines()
    )
