"""Files a configuration names (the configuration itself, baseline, rules_dirs, evidence records,
the ledger) are regular files inside the repository, size-capped: a FIFO, a device, a link to
/dev/zero or to /etc/passwd is refused with one line, never read to exhaustion or leaked."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from .harness import repository, soc2lint

TF = 'resource "aws_s3_bucket" "b" {}\n'
pytestmark = pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="POSIX files")


def _one_line_refusal(proc, *words: str) -> None:
    assert proc.returncode == 2, (proc.returncode, proc.stdout, proc.stderr)
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, proc.stderr
    assert "Traceback" not in proc.stderr and "root:x:0:0" not in proc.stdout + proc.stderr
    for word in words:
        assert word in lines[0], lines[0]


@pytest.mark.parametrize("kind", ["fifo", "dev-zero", "passwd"])
def test_the_configuration_file_itself(tmp_path: Path, kind: str) -> None:
    repo = repository(tmp_path / "repo", {"main.tf": TF})
    config = repo / ".soc2lint.yaml"
    if kind == "fifo":
        os.mkfifo(config)
    else:
        config.symlink_to("/dev/zero" if kind == "dev-zero" else "/etc/passwd")
    # a link is followed before anything is opened: to /dev/zero it leads out of the repository
    words = ["not a regular file"] if kind == "fifo" else ["outside the repository"]
    _one_line_refusal(soc2lint("scan", "--no-cache", ".", cwd=repo), ".soc2lint.yaml", *words)


def test_a_device_named_on_the_command_line_is_refused_too(tmp_path: Path) -> None:
    repo = repository(tmp_path / "repo", {"main.tf": TF})
    for option in ("--config", "--baseline"):
        proc = soc2lint("scan", "--no-cache", option, "/dev/zero", ".", cwd=repo)
        _one_line_refusal(proc, "/dev/zero", "not a regular file")


@pytest.mark.parametrize("kind", ["fifo", "dev-zero", "passwd"])
def test_a_baseline_named_by_the_configuration(tmp_path: Path, kind: str) -> None:
    repo = repository(tmp_path / "repo", {"main.tf": TF, ".soc2lint.yaml": "baseline: base.json\n"})
    base = repo / "base.json"
    if kind == "fifo":
        os.mkfifo(base)
    else:
        base.symlink_to("/dev/zero" if kind == "dev-zero" else "/etc/passwd")
    # a link is followed before anything is opened: to /dev/zero it leads out of the repository
    words = ["not a regular file"] if kind == "fifo" else ["outside the repository"]
    _one_line_refusal(soc2lint("scan", "--no-cache", ".", cwd=repo), "base.json", *words)


def test_rules_dirs_leading_out_of_the_repository(tmp_path: Path) -> None:
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    repo = repository(tmp_path / "repo", {"main.tf": TF, ".soc2lint.yaml": "rules_dirs: [r]\n"})
    (repo / "r").symlink_to(outside, target_is_directory=True)
    _one_line_refusal(soc2lint("scan", "--no-cache", ".", cwd=repo), "rules_dirs", "outside")
    # a rule file inside the directory that is a FIFO or a link to /etc/passwd
    (repo / "r").unlink()
    (repo / "r").mkdir()
    os.mkfifo(repo / "r" / "x.yaml")
    _one_line_refusal(soc2lint("scan", "--no-cache", ".", cwd=repo), "x.yaml", "not a regular")
    (repo / "r" / "x.yaml").unlink()
    (repo / "r" / "x.yaml").symlink_to("/etc/passwd")
    _one_line_refusal(soc2lint("scan", "--no-cache", ".", cwd=repo), "x.yaml", "link out")


def test_an_oversized_configuration_is_refused_not_parsed(tmp_path: Path) -> None:
    repo = repository(tmp_path / "repo", {"main.tf": TF})
    with open(repo / ".soc2lint.yaml", "wb") as handle:
        handle.truncate(64 * 1024 * 1024)  # sparse: costs no disk
    _one_line_refusal(
        soc2lint("scan", "--no-cache", ".", cwd=repo), ".soc2lint.yaml", "larger than the cap"
    )


@pytest.mark.parametrize("kind", ["fifo", "dev-zero"])
def test_a_ledger_that_is_no_regular_file(tmp_path: Path, kind: str) -> None:
    repo = repository(tmp_path / "repo", {"main.tf": TF})
    ledger = tmp_path / "ledger.jsonl"
    if kind == "fifo":
        os.mkfifo(ledger)
    else:
        ledger.symlink_to("/dev/zero")
    proc = soc2lint("evidence", "verify", str(ledger), cwd=repo)
    assert proc.returncode != 0 and "Traceback" not in proc.stderr
    assert "not a regular file" in proc.stdout + proc.stderr


_RULE_HEAD = """id: SOC2-X-001
name: deep
title: Steps run nothing evil
severity: low
platform: github_actions
resource_types: [github_step]
criteria: [CC8.1]
rationale: "A test rule (CC8.1 point of focus: manages changes)."
remediation:
  description: Do not.
  example: "run: echo ok"
condition: """


@pytest.mark.parametrize("depth", [100, 10_000])
def test_a_rule_nested_deep_is_refused_at_load(tmp_path: Path, depth: int) -> None:
    condition = "{not: " * depth + "{attribute: run, op: exists}" + "}" * depth
    repo = repository(
        tmp_path / "repo",
        {
            "rules/x.yaml": _RULE_HEAD + condition + "\n",
            ".soc2lint.yaml": "rules_dirs: [rules]\n",
            "main.tf": TF,
        },
    )
    proc = soc2lint("scan", "--no-cache", ".", cwd=repo)
    _one_line_refusal(proc, "rules/x.yaml", "nested more than")
    assert "RecursionError" not in proc.stderr and "internal error" not in proc.stderr
