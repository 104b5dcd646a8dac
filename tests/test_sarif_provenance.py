"""SARIF versionControlProvenance: the repository (its URL without credentials), the commit and
the branch the scanned tree came from, so code scanning and auditors can tie results to a
revision; absent, not empty or broken, outside git."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from soc2lint.engine.rules import load_rules
from soc2lint.reporters import sarif
from soc2lint.scan import scan

pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")
ENV = {
    **os.environ,
    "GIT_AUTHOR_NAME": "Dev",
    "GIT_AUTHOR_EMAIL": "dev@example.com",
    "GIT_COMMITTER_NAME": "Dev",
    "GIT_COMMITTER_EMAIL": "dev@example.com",
}
BUCKET = 'resource "aws_s3_bucket" "b" {\n  bucket = "b"\n}\n'


def _git(repo: Path, *args: str) -> str:
    done = subprocess.run(
        ["git", *args], cwd=repo, env=ENV, capture_output=True, text=True, check=True
    )
    return done.stdout.strip()


def _run(target: Path) -> dict:
    rules = [r for r in load_rules() if r.id == "SOC2-AWS-001"]
    return json.loads(sarif.render(scan([str(target)], rules)))["runs"][0]


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    repo = tmp_path / "repo"
    (repo / "infra").mkdir(parents=True)
    (repo / "infra" / "main.tf").write_text(BUCKET)
    _git(repo, "init", "-q", "-b", "release/2026")
    _git(repo, "add", "-A")
    _git(repo, "commit", "-qm", "infra")
    return repo


@pytest.mark.parametrize(
    "remote, uri",
    [
        (
            "https://x-access-token:ghs_secret@github.com/acme/infra.git",
            "https://github.com/acme/infra.git",
        ),
        ("git@github.com:acme/infra.git", "ssh://git@github.com/acme/infra.git"),
    ],
)
def test_repository_revision_and_branch_with_credentials_stripped(
    repo: Path, remote: str, uri: str
) -> None:
    _git(repo, "remote", "add", "origin", remote)
    run = _run(repo)
    (details,) = run["versionControlProvenance"]
    assert details == {
        "repositoryUri": uri,
        "revisionId": _git(repo, "rev-parse", "HEAD"),
        "branch": "release/2026",
        "mappedTo": {"uriBaseId": "%SRCROOT%"},
    }
    assert "ghs_secret" not in json.dumps(run)


def test_without_a_remote_the_work_tree_is_named_and_a_detached_head_has_no_branch(
    repo: Path,
) -> None:
    _git(repo, "checkout", "-q", "--detach")
    (details,) = _run(repo)["versionControlProvenance"]
    assert details["repositoryUri"] == repo.resolve().as_uri()
    assert details["revisionId"] == _git(repo, "rev-parse", "HEAD")
    assert "branch" not in details


def test_absent_outside_git_and_before_the_first_commit(tmp_path: Path) -> None:
    plain = tmp_path / "plain"
    plain.mkdir()
    (plain / "main.tf").write_text(BUCKET)
    run = _run(plain)
    assert "versionControlProvenance" not in run and run["results"]
    _git(plain, "init", "-q")
    assert "versionControlProvenance" not in _run(plain)
