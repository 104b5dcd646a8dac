"""Input written to make the scan run for ever or exhaust memory: it ends, under the CPU and
memory limits, with an answer or a stated reason."""

from __future__ import annotations

import json
import time
from pathlib import Path

from .harness import repository, soc2lint


def test_terraform_regex_over_a_megabyte_is_linear(tmp_path: Path) -> None:
    big = "a" * 1_000_000
    repo = repository(
        tmp_path / "repo",
        {
            "main.tf": (
                f'locals {{\n  s = "{big}"\n'
                '  r = replace(local.s, "/.*x/", "")\n'
                '  q = replace(substr(local.s, 0, 30), "/(a?){30}a{30}/", "") == ""\n}\n'
                'resource "aws_kms_key" "k" {\n'
                "  enable_key_rotation = local.q && length(local.r) == 1000000\n}\n"
            )
        },
    )
    started = time.monotonic()
    proc = soc2lint(
        "scan", "--no-cache", "--format", "json", "--rule", "SOC2-AWS-012", ".", cwd=repo
    )
    assert time.monotonic() - started < 60
    assert proc.returncode == 0, proc.stdout + proc.stderr
    statuses = [f["status"] for f in json.loads(proc.stdout)["findings"]]
    assert statuses == [], statuses  # evaluated, and rotation is on: a pass is not listed


def test_a_rule_pattern_that_would_backtrack_runs_in_linear_time(tmp_path: Path) -> None:
    rule = """id: SOC2-X-001
name: no-evil-runs
title: Steps run nothing evil
severity: low
platform: github_actions
resource_types: [github_step]
criteria: [CC8.1]
rationale: "A test rule (CC8.1 point of focus: manages changes)."
remediation:
  description: Do not.
  example: "run: echo ok"
message: evil
condition:
  attribute: run
  op: not_matches
  value: '(a?){30}a{30}!'
"""
    script = "a" * 1_500_000
    repo = repository(
        tmp_path / "repo",
        {
            "rules/x.yaml": rule,
            ".soc2lint.yaml": "rules_dirs: [rules]\n",
            ".github/workflows/ci.yml": (
                "on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n"
                f"      - run: curl https://example.com/x | {script}\n"
            ),
        },
    )
    started = time.monotonic()
    proc = soc2lint("scan", "--no-cache", "--format", "json", ".", cwd=repo)
    assert time.monotonic() - started < 90, "a bundled or custom pattern backtracked"
    assert proc.returncode in (0, 1), proc.stderr
    assert "Traceback" not in proc.stderr
