"""Manifests and workflows written in the forms YAML and JSON allow but a reader may not expect:
each is read (the finding is there, on its line) or reported, never silently passed over."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from .harness import repository, soc2lint

POD = (
    "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  containers:\n"
    "    - name: c\n      image: nginx:1.25\n      securityContext:\n        privileged: true\n"
)
POD_JSON = {
    "apiVersion": "v1",
    "kind": "Pod",
    "metadata": {"name": "p"},
    "spec": {
        "containers": [
            {"name": "c", "image": "nginx:1.25", "securityContext": {"privileged": True}}
        ]
    },
}


def scan(repo: Path, *args: str) -> dict:
    proc = soc2lint("scan", "--no-cache", "--format", "json", *args, ".", cwd=repo)
    assert proc.returncode in (0, 1), proc.stderr
    assert "Traceback" not in proc.stderr
    return json.loads(proc.stdout)


def privileged(doc: dict) -> list[tuple[str, int]]:
    return sorted(
        (f["path"], f["start_line"])
        for f in doc["findings"]
        if f["rule_id"] == "SOC2-K8S-001" and f["status"] == "fail"
    )


def indent(text: str, prefix: str) -> str:
    return "".join(prefix + line if line else line for line in text.splitlines(True))


@pytest.mark.parametrize(
    "name,content,line",
    [
        ("utf16.yaml", POD.encode("utf-16"), 10),
        ("utf16be.yaml", b"\xfe\xff" + POD.encode("utf-16-be"), 10),
        ("utf32.yaml", POD.encode("utf-32"), 10),
        ("cr.yaml", POD.replace("\n", "\r"), 10),
        ("array.json", json.dumps([POD_JSON], indent=1), 14),
        ("bare-list.yaml", "- " + indent(POD, "  ")[2:], 10),
        (
            "list-in-list.yaml",
            "apiVersion: v1\nkind: List\nitems:\n  - apiVersion: v1\n    kind: List\n"
            "    items:\n      - " + indent(POD, "        ")[8:],
            16,
        ),
        (
            "explicit-key.yaml",
            POD.replace("        privileged: true", "        ? privileged\n        : true")
            + "? {a: 1}\n: complex key\n",
            10,
        ),
    ],
)
def test_a_manifest_in_an_unusual_form_is_read(
    tmp_path: Path, name: str, content: str | bytes, line: int
) -> None:
    doc = scan(repository(tmp_path / "repo", {name: content}), "--rule", "SOC2-K8S-001")
    assert privileged(doc) == [(name, line)], (doc["errors"], doc["skipped"])


def test_a_utf16_workflow_is_read(tmp_path: Path) -> None:
    workflow = (
        "on: pull_request_target\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n"
        "      - uses: actions/checkout@v4\n        with:\n"
        "          ref: ${{ github.event.pull_request.head.sha }}\n"
    )
    repo = repository(tmp_path / "repo", {".github/workflows/ci.yml": workflow.encode("utf-16")})
    doc = scan(repo)
    assert ".github/workflows/ci.yml" in {f["path"] for f in doc["findings"]}
    assert not doc["skipped"]


def test_a_broken_utf16_file_is_listed_as_skipped(tmp_path: Path) -> None:
    repo = repository(tmp_path / "repo", {"pod.yaml": POD.encode("utf-16") + b"\x00\xd8"})
    doc = scan(repo)
    assert [s["path"] for s in doc["skipped"]] == ["pod.yaml"]
    assert "UTF-16" in doc["skipped"][0]["reason"]


def test_a_duplicate_key_does_not_hide_the_documents_after_it(tmp_path: Path) -> None:
    configmap = (
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm\ndata:\n  a: x\n  a: y\n---\n"
    )
    doc = scan(repository(tmp_path / "repo", {"all.yaml": configmap + POD}))
    assert privileged(doc) == [("all.yaml", 18)]
    assert [(e["path"], e["line"]) for e in doc["errors"]] == [("all.yaml", 7)]
    assert "duplicate key" in doc["errors"][0]["message"]


def test_an_alias_bomb_split_over_documents_is_a_parse_error_of_its_file(tmp_path: Path) -> None:
    bomb = (
        "a: &a [x,x,x,x,x,x,x,x,x,x]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a,*a]\n"
        "c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b,*b]\nd: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c,*c]\n"
        "e: [*d,*d]\n"
    )
    one = "---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n" + bomb
    repo = repository(tmp_path / "repo", {"bomb.yaml": one * 1000, "pod.yaml": POD})
    started = time.monotonic()
    doc = scan(repo)
    assert time.monotonic() - started < 90
    assert privileged(doc) == [("pod.yaml", 10)]
    errors = [e for e in doc["errors"] if e["path"] == "bomb.yaml"]
    assert len(errors) == 1 and "alias" in errors[0]["message"], doc["errors"]


CFN_JSON = {
    "AWSTemplateFormatVersion": "2010-09-09",
    "Resources": {"B": {"Type": "AWS::S3::Bucket", "Properties": {"BucketName": "p"}}},
}


@pytest.mark.parametrize(
    "name",
    ["pod.json", "main.tf.json", "stack.template.json"],
)
def test_a_json_file_is_read_as_json_not_yaml(tmp_path: Path, name: str) -> None:
    if name.endswith(".tf.json"):
        body = {"resource": {"aws_s3_bucket": {"b": {"bucket": "x"}}}}
    elif name.startswith("stack"):
        body = CFN_JSON
        body = json.loads(json.dumps(body).replace('"BucketName": "p"', '"name": "p"'))
    else:
        body = POD_JSON
    # YAML would take the comment and the anchors; JSON has neither
    text = "# a YAML comment\n" + json.dumps(body, indent=1)
    text = text.replace('"name": "p"', '"name": &n "p", "other": *n')
    doc = scan(repository(tmp_path / "repo", {name: text}))
    assert [(e["path"], e["line"]) for e in doc["errors"]] == [(name, 1)]
    assert "invalid JSON" in doc["errors"][0]["message"]


def test_a_json_template_with_a_property_given_twice_is_an_error(tmp_path: Path) -> None:
    """CloudFormation takes one of two `BucketName`s, a YAML reader the other: read neither."""
    text = json.dumps(CFN_JSON, indent=1).replace(
        '"BucketName": "p"', '"BucketName": "p",\n "BucketName": "q"'
    )
    doc = scan(repository(tmp_path / "repo", {"stack.json": text}))
    assert [(e["path"], e["line"]) for e in doc["errors"]] == [("stack.json", 8)]
    assert "duplicate key 'BucketName'" in doc["errors"][0]["message"]
