"""Trees written to trip the walk: link loops and file names that are not UTF-8. Each is listed
as not checked, with why; the rest is scanned and every output format stays valid."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from .harness import repository, soc2lint

BUCKET = 'resource "aws_s3_bucket" "b" {\n  bucket = "x"\n}\n'


def test_link_loops_are_skipped_and_the_rest_is_scanned(tmp_path: Path) -> None:
    repo = repository(
        tmp_path / "repo",
        {"main.tf": BUCKET + 'module "m" {\n  source = "./m"\n}\n', "m/.keep": ""},
    )
    os.symlink("b.tf", repo / "a.tf")
    os.symlink("a.tf", repo / "b.tf")
    os.symlink("self.yaml", repo / "self.yaml")
    os.symlink("y.tf", repo / "m" / "x.tf")  # the module's only files are a loop
    os.symlink("x.tf", repo / "m" / "y.tf")
    os.symlink(".", repo / "m" / "loop")  # a directory link to its own directory
    args = ("scan", "--no-cache", "--format", "json", "--rule", "SOC2-AWS-001", ".")
    proc = soc2lint(*args, cwd=repo)
    assert proc.returncode == 1, proc.stderr
    assert "internal error" not in proc.stderr
    doc = json.loads(proc.stdout)
    assert [(f["path"], f["start_line"]) for f in doc["findings"]] == [("main.tf", 1)]
    loops = sorted(s["path"] for s in doc["skipped"] if s["reason"] == "symbolic link loop")
    assert loops == ["a.tf", "b.tf", "m/loop", "m/x.tf", "m/y.tf", "self.yaml"]


@pytest.mark.parametrize("fmt", ["json", "sarif", "text"])
def test_a_file_name_that_is_not_utf8_is_reported_and_outputs_stay_valid(
    tmp_path: Path, fmt: str
) -> None:
    repo = repository(tmp_path / "repo", {"main.tf": BUCKET})
    bad = os.fsencode(repo) + b"/caf\xe9-\xff.tf"
    with open(bad, "wb") as handle:
        handle.write(BUCKET.encode())
    os.mkdir(os.fsencode(repo) + b"/dir-\xfe")
    with open(os.fsencode(repo) + b"/dir-\xfe/pod.yaml", "wb") as handle:
        handle.write(b"apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\n")
    proc = soc2lint("scan", "--no-cache", "--format", fmt, "--rule", "SOC2-AWS-001", ".", cwd=repo)
    assert proc.returncode == 1, proc.stderr
    assert "internal error" not in proc.stderr and "Traceback" not in proc.stderr
    proc.stdout.encode("utf-8")  # no stray surrogates reached the output
    if fmt == "json":
        doc = json.loads(proc.stdout)
        skipped = {s["path"]: s["reason"] for s in doc["skipped"]}
        assert skipped == {
            "caf\\xe9-\\xff.tf": "file name is not valid UTF-8",
            "dir-\\xfe/pod.yaml": "file name is not valid UTF-8",
        }
        assert [f["path"] for f in doc["findings"]] == ["main.tf"]
    elif fmt == "sarif":
        doc = json.loads(proc.stdout)
        uris = {
            loc["physicalLocation"]["artifactLocation"]["uri"]
            for result in doc["runs"][0]["results"]
            for loc in result["locations"]
        }
        assert uris == {"main.tf"}
    else:
        assert "caf\\xe9-\\xff.tf" in proc.stdout
