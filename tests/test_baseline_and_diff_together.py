"""Baselines and pull-request diff mode as a team combines them: a baseline is always made of
every current finding, diff mode never turns itself on where it was not asked for, and the
merge base is read whole whatever .gitattributes exports."""

from __future__ import annotations

import json
from pathlib import Path

from test_developer_workflows import BUCKET, ENCRYPTED, git, make_repo, pytestmark, soc2lint

__all__ = ["pytestmark"]
PR = {"GITHUB_BASE_REF": "main"}


def two_buckets(tmp_path: Path) -> Path:
    repo = make_repo(tmp_path / "repo")
    (repo / "main.tf").write_text(BUCKET.format(name="a") + BUCKET.format(name="b"))
    git(repo, "add", ".")
    git(repo, "commit", "-q", "-m", "base")
    git(repo, "update-ref", "refs/remotes/origin/main", "HEAD")
    return repo


def test_baseline_create_ignores_the_configured_baseline_and_pull_request_mode(
    tmp_path: Path,
) -> None:
    repo = two_buckets(tmp_path)
    (repo / ".soc2lint.yaml").write_text("baseline: .soc2lint-baseline.json\n")
    first = soc2lint("baseline", "create", "--rule", "SOC2-AWS-001", cwd=repo, env=PR)
    assert first.returncode == 0, first.stderr
    assert "2 findings written" in first.stderr
    (repo / "main.tf").write_text((repo / "main.tf").read_text() + BUCKET.format(name="c"))
    again = soc2lint("baseline", "create", "--rule", "SOC2-AWS-001", cwd=repo, env=PR)
    assert "3 findings written" in again.stderr  # not only the one the old baseline lacked
    doc = json.loads((repo / ".soc2lint-baseline.json").read_text())
    assert [e["resource"] for e in doc["entries"]] == [f"aws_s3_bucket.{n}" for n in "abc"]


def test_no_diff_base_reports_everything_in_a_pull_request_job(tmp_path: Path) -> None:
    repo = two_buckets(tmp_path)
    git(repo, "update-ref", "-d", "refs/remotes/origin/main")  # a shallow CI checkout
    proc = soc2lint(
        "scan", "--no-diff-base", "--rule", "SOC2-AWS-001", "--format", "json", cwd=repo, env=PR
    )
    doc = json.loads(proc.stdout)
    assert doc["diff"] is None and len(doc["findings"]) == 2
    hooks = (Path(__file__).resolve().parents[1] / ".pre-commit-hooks.yaml").read_text()
    assert hooks.count("entry: soc2lint scan --no-diff-base") == 2


def test_baselined_findings_are_not_counted_as_fixed_in_diff_mode(tmp_path: Path) -> None:
    repo = two_buckets(tmp_path)
    base = soc2lint("baseline", "create", "--rule", "SOC2-AWS-001", "-o", "bl.json", cwd=repo)
    assert base.returncode == 0, base.stderr
    git(repo, "checkout", "-q", "-b", "change")
    (repo / "main.tf").write_text(BUCKET.format(name="a") + ENCRYPTED.format(name="b"))
    git(repo, "commit", "-q", "-am", "encrypt b")
    proc = soc2lint(
        "scan", "--diff-base", "main", "--baseline", "bl.json", "--rule", "SOC2-AWS-001",
        "--format", "json", cwd=repo,
    )  # fmt: skip
    doc = json.loads(proc.stdout)
    assert (doc["diff"]["new"], doc["diff"]["fixed"]) == (0, 1)
    assert [f["resource"] for f in doc["diff"]["fixed_findings"]] == ["aws_s3_bucket.b"]


def test_diff_mode_reads_export_ignored_paths_at_the_merge_base(tmp_path: Path) -> None:
    repo = two_buckets(tmp_path)
    (repo / "infra").mkdir()
    (repo / "infra" / "x.tf").write_text(BUCKET.format(name="x"))
    (repo / ".gitattributes").write_text("/infra export-ignore\n")
    git(repo, "add", ".")
    git(repo, "commit", "-q", "-m", "infra")
    git(repo, "checkout", "-q", "-b", "change")
    (repo / "README").write_text("a trivial change\n")
    git(repo, "add", ".")
    git(repo, "commit", "-q", "-m", "readme")
    proc = soc2lint(
        "scan", "--diff-base", "main", "--rule", "SOC2-AWS-001", "--format", "json", cwd=repo
    )
    doc = json.loads(proc.stdout)
    assert doc["diff"]["new"] == 0 and doc["findings"] == [], proc.stdout
