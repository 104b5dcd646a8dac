"""Input written to make the scanner give a wrong answer: the finding must still be there, on
the right line, and the scan must not crash."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from .harness import repository, soc2lint


def findings(repo: Path, *args: str) -> list[dict]:
    proc = soc2lint("scan", "--no-cache", "--format", "json", *args, ".", cwd=repo)
    assert proc.returncode in (0, 1), proc.stderr
    assert "Traceback" not in proc.stderr
    return json.loads(proc.stdout)


def failing(doc: dict, rule: str) -> list[tuple[str, int]]:
    return sorted(
        (f["path"], f["start_line"])
        for f in doc["findings"]
        if f["rule_id"] == rule and f["status"] == "fail"
    )


POD = """apiVersion: v1
kind: Pod
metadata:
  name: p
spec:
  containers:
    - name: c
      image: nginx:1.25
{before}      securityContext:
        privileged: true
{after}"""


@pytest.mark.parametrize(
    "before,after",
    [
        ("", "      securityContext.privileged: no\n"),
        ("      securityContext.privileged: no\n", ""),
        ("", "      a.5.c: yes\n      a.b.c: off\n      securityContext.0: on\n"),
        ("      spec.containers.0.securityContext.privileged: n\n", ""),
    ],
)
def test_a_dotted_key_is_one_key_not_a_path(tmp_path: Path, before: str, after: str) -> None:
    repo = repository(tmp_path / "repo", {"pod.yaml": POD.format(before=before, after=after)})
    doc = findings(repo)
    line = 11 if before else 10
    assert failing(doc, "SOC2-K8S-001") == [("pod.yaml", line)], doc["findings"]
    assert not doc["errors"]
