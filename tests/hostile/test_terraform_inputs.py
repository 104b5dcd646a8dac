"""Terraform written to be read differently by soc2lint than by Terraform: override files, HCL
JSON's other shapes, Unicode identifiers. The finding must be where Terraform would put it."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from .harness import repository, soc2lint

VOLUME = (
    'resource "aws_ebs_volume" "v" {\n'
    '  availability_zone = "us-east-1a"\n'
    "  size              = 10\n"
    "  encrypted         = true\n"
    "}\n"
)


def scan(repo: Path, *args: str) -> dict:
    proc = soc2lint("scan", "--no-cache", "--format", "json", *args, ".", cwd=repo)
    assert proc.returncode in (0, 1), proc.stderr
    assert "Traceback" not in proc.stderr
    return json.loads(proc.stdout)


def results(doc: dict, rule: str) -> list[tuple[str, str, int]]:
    return sorted(
        (f["status"], f["path"], f["start_line"]) for f in doc["findings"] if f["rule_id"] == rule
    )


@pytest.mark.parametrize(
    "name,text",
    [
        ("override.tf", 'resource "aws_ebs_volume" "v" {\n  encrypted = false\n}\n'),
        ("disk_override.tf", 'resource "aws_ebs_volume" "v" {\n  encrypted = false\n}\n'),
        (
            "disk_override.tf.json",
            '{\n  "resource": {\n    "aws_ebs_volume": {\n      "v": {\n'
            '        "encrypted": false\n      }\n    }\n  }\n}\n',
        ),
    ],
)
def test_an_override_file_changes_the_block_it_overrides(
    tmp_path: Path, name: str, text: str
) -> None:
    repo = repository(tmp_path / "repo", {"main.tf": VOLUME, name: text})
    doc = scan(repo, "--rule", "SOC2-AWS-006")
    line = 5 if name.endswith(".json") else 2
    assert results(doc, "SOC2-AWS-006") == [("fail", name, line)]
    assert not doc["errors"], doc["errors"]


def test_overrides_apply_in_file_name_order_and_override_locals(tmp_path: Path) -> None:
    repo = repository(
        tmp_path / "repo",
        {
            "main.tf": "locals {\n  on = true\n}\n" + VOLUME.replace("true", "local.on"),
            # a_override.tf turns it off; override.tf (later by name) turns it on again, and
            # z_override.tf changes the local value the argument reads
            "a_override.tf": 'resource "aws_ebs_volume" "v" {\n  encrypted = false\n}\n',
            "override.tf": 'resource "aws_ebs_volume" "v" {\n  encrypted = local.on\n}\n',
            "z_override.tf": "locals {\n  on = false\n}\n",
        },
    )
    doc = scan(repo, "--rule", "SOC2-AWS-006")
    assert results(doc, "SOC2-AWS-006") == [("fail", "override.tf", 2)]
    assert not doc["errors"], doc["errors"]


def test_an_override_without_an_original_is_a_parse_error(tmp_path: Path) -> None:
    repo = repository(
        tmp_path / "repo",
        {"main.tf": VOLUME, "override.tf": 'resource "aws_ebs_volume" "w" {\n  size = 1\n}\n'},
    )
    doc = scan(repo, "--rule", "SOC2-AWS-006")
    assert [(e["path"], e["line"]) for e in doc["errors"]] == [("override.tf", 1)]
    assert "no such block" in doc["errors"][0]["message"]


def test_an_override_added_in_a_pull_request_is_a_new_finding(tmp_path: Path) -> None:
    repo = repository(tmp_path / "repo", {"main.tf": VOLUME})
    env = {
        **os.environ,
        "GIT_AUTHOR_NAME": "a",
        "GIT_AUTHOR_EMAIL": "a@example.com",
        "GIT_COMMITTER_NAME": "a",
        "GIT_COMMITTER_EMAIL": "a@example.com",
    }

    def git(*args: str) -> None:
        subprocess.run(["git", *args], cwd=repo, env=env, check=True, capture_output=True)

    (repo / ".git").rmdir()
    git("init", "-q", "-b", "main")
    git("add", ".")
    git("commit", "-q", "-m", "base")
    git("checkout", "-q", "-b", "pr")
    (repo / "override.tf").write_text('resource "aws_ebs_volume" "v" {\n  encrypted = false\n}\n')
    git("add", ".")
    git("commit", "-q", "-m", "override")
    doc = scan(repo, "--diff-base", "main", "--rule", "SOC2-AWS-006")
    assert results(doc, "SOC2-AWS-006") == [("fail", "override.tf", 2)]
    assert doc["diff"]["new"] == 1


BUCKET_JSON = '{"aws_s3_bucket": {"b": {"bucket": "x"}}}'


@pytest.mark.parametrize(
    "text",
    [
        '{"resource": [' + BUCKET_JSON + "]}",
        '[{"resource": ' + BUCKET_JSON + "}]",
        '{"resource": {"aws_s3_bucket": [{"b": {"bucket": "x"}}]}}',
        '{"resource": {"aws_s3_bucket": {"b": [{"bucket": "x"}]}}}',
        '{"resource": [{"aws_s3_bucket": [{"b": [{"bucket": "x"}]}]}]}',
        '{"//": "a comment", "resource": '
        + BUCKET_JSON
        + ', "resource": {"aws_s3_bucket": {"c": {}}}}',
    ],
)
def test_hcl_json_arrays_at_every_level_are_read(tmp_path: Path, text: str) -> None:
    repo = repository(tmp_path / "repo", {"main.tf.json": text})
    doc = scan(repo, "--rule", "SOC2-AWS-001")
    assert ("fail", "main.tf.json", 1) in results(doc, "SOC2-AWS-001"), doc
    assert "aws_s3_bucket.b" in {f["resource"] for f in doc["findings"]}
    assert not doc["errors"], doc["errors"]


def test_unicode_identifiers_are_read(tmp_path: Path) -> None:
    text = (
        "locals {\n  größe       = 10\n  verschlüsselt = false\n}\n"
        'resource "aws_ebs_volume" "datenträger" {\n'
        '  availability_zone = "eu-central-1a"\n'
        "  size              = local.größe\n"
        "  encrypted         = local.verschlüsselt\n"
        '  tags              = { Name = "Größe ${local.größe}" }\n'
        "}\n"
    )
    doc = scan(repository(tmp_path / "repo", {"main.tf": text}), "--rule", "SOC2-AWS-006")
    assert results(doc, "SOC2-AWS-006") == [("fail", "main.tf", 8)]
    assert {f["resource"] for f in doc["findings"]} == {"aws_ebs_volume.datenträger"}
    assert not doc["errors"], doc["errors"]


def test_a_nested_block_in_an_override_replaces_the_original_blocks(tmp_path: Path) -> None:
    repo = repository(
        tmp_path / "repo",
        {
            "main.tf": 'resource "aws_s3_bucket" "b" {\n  bucket = "b"\n'
            "  versioning {\n    enabled = true\n  }\n}\n",
            "override.tf": 'resource "aws_s3_bucket" "b" {\n'
            "  versioning {\n    enabled = false\n  }\n}\n",
        },
    )
    doc = scan(repo, "--rule", "SOC2-AWS-003")
    assert results(doc, "SOC2-AWS-003") == [("fail", "override.tf", 3)]
    assert not doc["errors"], doc["errors"]
