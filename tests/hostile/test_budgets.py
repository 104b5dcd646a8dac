"""Input written to make the scan run for ever or exhaust memory: it ends, under the CPU and
memory limits, with an answer or a stated reason."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

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


def _volume(encrypted: str) -> str:
    return (
        'resource "aws_ebs_volume" "v" {\n  availability_zone = "us-east-1a"\n  size = 10\n'
        f"  encrypted = {encrypted}\n}}\n"
    )


DOUBLING = "".join(f'  s{i + 1} = "${{local.s{i}}}${{local.s{i}}}"\n' for i in range(40))
SQUARING = "".join(f"  n{i + 1} = local.n{i} * local.n{i}\n" for i in range(40))


@pytest.mark.parametrize(
    "files",
    [
        {  # for expressions three deep over range(1000): a billion steps
            "main.tf": "locals {\n  x = [for a in range(1000) : [for b in range(1000) : "
            "[for c in range(1000) : a + b + c]]]\n}\n" + _volume("length(local.x) == 1000")
        },
        {  # a string doubled through 40 locals: a terabyte
            "main.tf": f'locals {{\n  s0 = "ab"\n{DOUBLING}}}\n' + _volume("length(local.s40) > 0")
        },
        {  # a number squared 40 times
            "main.tf": f"locals {{\n  n0 = 3\n{SQUARING}}}\n" + _volume("local.n40 > 1")
        },
        {  # a join over a list of long strings
            "main.tf": f'locals {{\n  s0 = "ab"\n{DOUBLING[: DOUBLING.index("  s23")]}'
            "  j = join(local.s22, [for i in range(1000) : local.s22])\n}\n"
            + _volume("length(local.j) > 0")
        },
    ],
    ids=["for-three-deep", "doubled-string", "squared-number", "join"],
)
def test_terraform_expressions_that_blow_up_are_unknown_with_a_note(
    tmp_path: Path, files: dict[str, str]
) -> None:
    repo = repository(tmp_path / "repo", files)
    started = time.monotonic()
    proc = soc2lint(
        "scan", "--no-cache", "--format", "json", "--rule", "SOC2-AWS-006", ".", cwd=repo
    )
    assert time.monotonic() - started < 90
    assert proc.returncode in (0, 1), proc.stderr
    assert "Traceback" not in proc.stderr and "internal error" not in proc.stderr
    doc = json.loads(proc.stdout)
    found = [(f["status"], f["path"], f["start_line"]) for f in doc["findings"]]
    assert len(found) == 1 and found[0][0] == "unknown", doc["findings"]
    assert "evaluation budget exceeded" in json.dumps(doc["findings"])
    assert any("evaluation budget exceeded" in n["message"] for n in doc["notes"]), doc["notes"]


@pytest.mark.parametrize(
    "files,why",
    [
        (
            {  # a thousand modules each calling a thousand modules
                "main.tf": 'module "a" {\n  source = "./m"\n  count = 1000\n}\n',
                "m/main.tf": 'module "b" {\n  source = "../n"\n  count = 1000\n}\n',
                "n/main.tf": _volume("false"),
            },
            "evaluation budget exceeded",
        ),
        (
            {  # a module whose source is its own directory, called twice
                "main.tf": 'module "a" {\n  source = "./"\n}\nmodule "b" {\n  source = "./"\n}\n'
                + _volume("false"),
            },
            "cycle",
        ),
    ],
    ids=["count-1000-by-1000", "self-call"],
)
def test_module_calls_that_blow_up_end_with_a_reason(
    tmp_path: Path, files: dict[str, str], why: str
) -> None:
    repo = repository(tmp_path / "repo", files)
    started = time.monotonic()
    proc = soc2lint(
        "scan", "--no-cache", "--format", "json", "--rule", "SOC2-AWS-006", ".", cwd=repo
    )
    assert time.monotonic() - started < 90
    assert proc.returncode in (0, 1), proc.stderr
    assert "Traceback" not in proc.stderr and "internal error" not in proc.stderr
    doc = json.loads(proc.stdout)
    assert why in json.dumps(doc["unavailable_modules"]), doc["unavailable_modules"]
    assert any(f["status"] == "fail" for f in doc["findings"])
