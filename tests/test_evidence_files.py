"""Evidence record files are readable as the ledger is: the mode any new file gets under the
user's umask, not a private 0600, so an auditor's account can read them."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest


@pytest.mark.skipif(os.name != "posix", reason="file modes are POSIX")
@pytest.mark.parametrize("umask, mode", [(0o022, 0o644), (0o077, 0o600)])
def test_record_files_respect_the_umask(tmp_path: Path, umask: int, mode: int) -> None:
    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / "main.tf").write_text('resource "aws_s3_bucket" "b" {\n  bucket = "b"\n}\n')
    out = tmp_path / "evidence"
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "soc2lint",
            "scan",
            str(repo),
            "--rule",
            "SOC2-AWS-001",
            "--evidence",
            str(out),
        ],
        capture_output=True,
        text=True,
        preexec_fn=lambda: os.umask(umask),
        timeout=120,
    )
    assert proc.returncode == 1, proc.stderr
    files = sorted(out.iterdir())
    assert {p.suffix for p in files} == {".json", ".md", ".html", ".jsonl"}
    for path in files:
        assert stat.S_IMODE(path.stat().st_mode) == mode, (path.name, oct(path.stat().st_mode))
