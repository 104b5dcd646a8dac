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


def suppressed(doc: dict) -> set[str]:
    return {f["rule_id"] for f in doc["findings"] if "suppression" in f}


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


BUCKET = 'resource "aws_s3_bucket" "b" {{\n{inside}}}\n'


@pytest.mark.parametrize(
    "inside",
    [
        '  tags = { Note = "# soc2lint:ignore SOC2-AWS-001 reason=\\"in a string\\"" }\n',
        '  policy = <<EOT\n# soc2lint:ignore SOC2-AWS-001 reason="in a heredoc"\nEOT\n',
        '  policy = <<-EOT\n  // soc2lint:ignore SOC2-AWS-001 reason="in a heredoc"\n  EOT\n',
    ],
)
def test_a_marker_outside_a_comment_suppresses_nothing(tmp_path: Path, inside: str) -> None:
    repo = repository(tmp_path / "repo", {"main.tf": BUCKET.format(inside=inside)})
    doc = findings(repo)
    assert failing(doc, "SOC2-AWS-001") == [("main.tf", 1)]
    assert not suppressed(doc)


def test_a_marker_in_a_kubernetes_value_suppresses_nothing(tmp_path: Path) -> None:
    pod = POD.format(before="", after="") + (
        "      env:\n"
        '        - {name: A, value: "# soc2lint:ignore SOC2-K8S-001 reason=\\"x\\""}\n'
        "        - name: B\n          value: |\n"
        '            # soc2lint:ignore SOC2-K8S-001 reason="in a block scalar"\n'
    )
    doc = findings(repository(tmp_path / "repo", {"pod.yaml": pod}))
    assert failing(doc, "SOC2-K8S-001") == [("pod.yaml", 10)]


@pytest.mark.parametrize(
    "marker",
    [
        '# soc2lint:ignore SOC2-AWS-001 reason="kept until=2000-01-01 by the owner"',
        '# soc2lint:ignore:SOC2-AWS-001 reason="r"',
        '# soc2lint: ignore SOC2-AWS-001 reason="r"',
        '# SOC2LINT:IGNORE soc2-aws-001 reason="r"',
        '// soc2lint:ignore SOC2-AWS-002,SOC2-AWS-001 reason="r"',
    ],
)
def test_marker_variants_people_write_suppress(tmp_path: Path, marker: str) -> None:
    repo = repository(tmp_path / "repo", {"main.tf": marker + "\n" + BUCKET.format(inside="")})
    doc = findings(repo)
    assert failing(doc, "SOC2-AWS-001") == []
    assert "SOC2-AWS-001" in suppressed(doc)
    assert not [p for p in doc["suppression_problems"] if p["rule"] == "SOC2-AWS-001"]


def test_a_marker_without_a_rule_id_is_reported_as_malformed(tmp_path: Path) -> None:
    text = '# soc2lint:ignore reason="which rule?"\n' + BUCKET.format(inside="")
    doc = findings(repository(tmp_path / "repo", {"main.tf": text}))
    assert failing(doc, "SOC2-AWS-001") == [("main.tf", 2)]
    assert any("malformed" in p["problem"] for p in doc["suppression_problems"])
