"""Action inputs run as code: the bundled table, and the table extended by configuration."""

from __future__ import annotations

from pathlib import Path

import pytest

from soc2lint.cli.config import ConfigError, load_config
from soc2lint.engine.rules import load_rules
from soc2lint.pipeline.report import ScanOptions
from soc2lint.platforms.github_actions.sinks import bundled_code_inputs
from soc2lint.scan import scan

WORKFLOW = """\
on: issues
permissions: {}
jobs:
  triage:
    runs-on: ubuntu-latest
    steps:
      - uses: acme/run-lua@0b7f8abb1508181956e8e162db84b466c27e18ce
        with:
          chunk: print("${{ github.event.issue.title }}")
          label: ${{ github.event.issue.title }}
"""


def _rule():
    return [r for r in load_rules() if r.id == "SOC2-GHA-005"]


def _findings(tmp_path: Path, options: ScanOptions | None = None):
    wf = tmp_path / ".github" / "workflows" / "ci.yml"
    wf.parent.mkdir(parents=True)
    wf.write_text(WORKFLOW)
    report = scan([str(tmp_path)], _rule(), options)
    return [(f.status.value, f.location.start_line) for f in report.findings]


def test_bundled_table_names_github_script() -> None:
    assert "script" in bundled_code_inputs()["actions/github-script"]


def test_unlisted_input_is_data(tmp_path: Path) -> None:
    # the action is unknown to the table: its inputs are data, the step passes
    assert [status for status, _line in _findings(tmp_path)] == ["pass"]


def test_configured_input_is_a_sink(tmp_path: Path) -> None:
    options = ScanOptions(github_actions={"code_inputs": {"acme/run-lua": ["chunk"]}})
    assert _findings(tmp_path, options) == [("fail", 9)]


def test_config_key_is_checked(tmp_path: Path) -> None:
    cfg = tmp_path / ".soc2lint.yaml"
    cfg.write_text("github_actions:\n  code_inputs:\n    Acme/Run-Lua: [Chunk]\n")
    assert load_config(cfg).github_actions == {"code_inputs": {"acme/run-lua": ["chunk"]}}
    cfg.write_text("github_actions:\n  code_inputs:\n    acme/run-lua: chunk\n")
    with pytest.raises(ConfigError, match="code_inputs"):
        load_config(cfg)
    cfg.write_text("github_actions:\n  sinks: {}\n")
    with pytest.raises(ConfigError, match="unknown key"):
        load_config(cfg)
