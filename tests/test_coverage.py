"""Nothing passes unseen: every case where soc2lint used to say "passed" about what it never
looked at, run through the CLI as a user runs it, with the exit code, the words on the screen
and the JSON, SARIF and evidence fields."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from soc2lint import platforms
from soc2lint.pipeline import unsupported

REPO = Path(__file__).resolve().parents[1]
GIT_ENV = {
    "GIT_AUTHOR_NAME": "t",
    "GIT_AUTHOR_EMAIL": "t@example.com",
    "GIT_COMMITTER_NAME": "t",
    "GIT_COMMITTER_EMAIL": "t@example.com",
    "GIT_CONFIG_GLOBAL": os.devnull,
    "GIT_CONFIG_NOSYSTEM": "1",
}


def soc2lint(
    *args: str, cwd: Path | None = None, path: str | None = None
) -> subprocess.CompletedProcess:
    env = {**os.environ, **GIT_ENV}
    if path is not None:
        env["PATH"] = path
    return subprocess.run(
        [sys.executable, "-m", "soc2lint", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )


def git(repo: Path, *args: str) -> None:
    subprocess.run(
        ["git", "-C", str(repo), *args],
        check=True,
        capture_output=True,
        env={**os.environ, **GIT_ENV},
    )


def make_repo(root: Path, files: dict[str, str]) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    git(root, "init", "-q")
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    return root


# a provider soc2lint has no rule for; CODEOWNERS owns everything so only coverage is at stake
UNRULED = {
    "CODEOWNERS": "* @platform-team\n",
    "main.tf": "".join(
        f'resource "alicloud_oss_bucket" "b{i}" {{\n  bucket = "b{i}"\n}}\n' for i in range(3)
    ),
}


def test_resources_no_rule_judges_are_uncovered_in_every_format(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo", UNRULED)
    text = soc2lint("scan", str(repo), "--no-cache")
    assert text.returncode == 0, text.stderr
    assert (
        "uncovered: alicloud_oss_bucket ×3 (terraform: no enabled rule judges this type)"
        in text.stdout
    )
    last = text.stdout.rstrip("\n").splitlines()[-1]
    assert last.startswith("INCOMPLETE COVERAGE: 3 resources of 1 types no rule checks")

    as_json = json.loads(soc2lint("scan", str(repo), "--no-cache", "--format", "json").stdout)
    cov = as_json["coverage"]
    assert cov["complete"] is False
    assert cov["resources"]["uncovered"] == [
        {"type": "alicloud_oss_bucket", "platform": "terraform", "resources": 3}
    ]
    sarif = soc2lint("scan", str(repo), "--no-cache", "--format", "sarif")
    notes = sarif_notifications(sarif.stdout)
    assert "uncovered-type" in notes and "alicloud_oss_bucket x3" in notes["uncovered-type"][0]
    assert "incomplete-coverage" in notes
    assert "INCOMPLETE COVERAGE" in sarif.stderr  # said on the terminal whatever the format

    markdown = soc2lint("scan", str(repo), "--no-cache", "--format", "markdown").stdout
    assert markdown.startswith("## soc2lint: ⚠️ passed with incomplete coverage")
    assert "| `alicloud_oss_bucket` ×3 | no enabled rule judges this type |" in markdown

    strict = soc2lint("scan", str(repo), "--no-cache", "--fail-on-uncovered")
    assert strict.returncode == 1


def test_the_evidence_record_never_says_passed_alone_with_gaps(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo", UNRULED)
    git(repo, "add", ".")
    git(repo, "commit", "-qm", "init")
    evidence = tmp_path / "evidence"
    done = soc2lint("scan", str(repo), "--no-cache", "--evidence", str(evidence))
    assert done.returncode == 0, done.stderr
    record = json.loads(next(evidence.glob("*.json")).read_text())
    assert record["gate"]["verdict"] == "pass"
    assert record["gate"]["coverage"] == "incomplete"
    assert record["gate"]["statement"] == (
        "passed with incomplete coverage: 3 uncovered resources, 0 files not checked"
    )
    assert record["not_checked"]["uncovered_types"] == [
        {"type": "alicloud_oss_bucket", "platform": "terraform", "resources": 3}
    ]
    page = next(evidence.glob("*.md")).read_text()
    assert "gate passed with incomplete coverage: 3 uncovered resources" in page
    assert "uncovered: `alicloud_oss_bucket` ×3" in page


def test_config_key_turns_the_coverage_gate_on(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo", {**UNRULED, ".soc2lint.yaml": "fail_on_uncovered: true\n"})
    assert soc2lint("scan", str(repo), "--no-cache").returncode == 1
    assert soc2lint("scan", str(repo), "--no-cache", "--no-fail-on-uncovered").returncode == 0


def test_an_ignored_directory_named_on_the_command_line_is_scanned_and_said(tmp_path: Path) -> None:
    outer = make_repo(
        tmp_path / "outer",
        {
            ".gitignore": "# vendored code\nvendor/\n",
            "vendor/infra/main.tf": 'resource "aws_ebs_volume" "v" {\n  size = 1\n}\n',
            "CODEOWNERS": "* @team\n",
        },
    )
    named = soc2lint("scan", "outer/vendor/infra", "--no-cache", "--format", "json", cwd=tmp_path)
    doc = json.loads(named.stdout)
    assert doc["summary"]["files_scanned"] == 1  # vendor/infra/main.tf
    assert any(f["resource"] == "aws_ebs_volume.v" for f in doc["findings"])
    assert {
        "path": "vendor/infra",
        "message": "ignored by .gitignore:2 (vendor/), but named on the command line: scanned",
    } in doc["notes"]
    whole = json.loads(soc2lint("scan", str(outer), "--no-cache", "--format", "json").stdout)
    assert {"path": "vendor/", "reason": "ignored by .gitignore:2 (vendor/)"} in whole["excluded"]
    ignored = [n for n in whole["coverage"]["files"]["not_checked"] if n["category"] == "ignored"]
    assert [n["path"] for n in ignored] == ["vendor/"]


def test_nested_gitignore_and_info_exclude_apply_as_git_applies_them(tmp_path: Path) -> None:
    repo = make_repo(
        tmp_path / "repo",
        {
            "CODEOWNERS": "* @team\n",
            "env/.gitignore": "scratch.tf\n",
            "env/scratch.tf": 'resource "aws_ebs_volume" "s" {\n  size = 1\n}\n',
            "env/main.tf": 'resource "aws_ebs_volume" "m" {\n  size = 1\n  encrypted = true\n}\n',
            "local.tf": 'resource "aws_ebs_volume" "l" {\n  size = 1\n}\n',
        },
    )
    (repo / ".git" / "info" / "exclude").write_text("local.tf\n")
    doc = json.loads(soc2lint("scan", str(repo), "--no-cache", "--format", "json").stdout)
    reasons = {e["path"]: e["reason"] for e in doc["excluded"]}
    assert reasons["env/scratch.tf"] == "ignored by env/.gitignore:1 (scratch.tf)"
    assert reasons["local.tf"] == "ignored by .git/info/exclude:1 (local.tf)"
    assert {f["resource"] for f in doc["findings"]} & {
        "aws_ebs_volume.s",
        "aws_ebs_volume.l",
    } == set()


def test_nested_gitignore_applies_outside_a_repository_too(tmp_path: Path) -> None:
    root = tmp_path / "plain"
    (root / "env").mkdir(parents=True)
    (root / "env" / ".gitignore").write_text("scratch.tf\n")
    (root / "env" / "scratch.tf").write_text('resource "aws_ebs_volume" "s" {\n  size = 1\n}\n')
    doc = json.loads(soc2lint("scan", str(root), "--no-cache", "--format", "json").stdout)
    assert {"path": "env/scratch.tf", "reason": "ignored by .gitignore"} in doc["excluded"]


INFRASTRUCTURE_SAMPLES = {
    "Dockerfile": "FROM ubuntu:22.04\nUSER root\n",
    "services/api.Dockerfile": "FROM python:3.12\n",
    "docker-compose.yml": "services:\n  web:\n    image: nginx\n    privileged: true\n",
    "azure-pipelines.yml": "trigger: [main]\npool:\n  vmImage: ubuntu-latest\n"
    "steps:\n  - script: make\n",
    "bitbucket-pipelines.yml": "pipelines:\n  default:\n    - step:\n        script: [make]\n",
    ".circleci/config.yml": "version: 2.1\njobs:\n  build:\n"
    "    docker: [{image: cimg/base:2024.01}]\n",
    "Jenkinsfile": "pipeline { agent any }\n",
    ".github/settings.yml": "repository:\n  private: false\n",
    "stack.yaml": 'AWSTemplateFormatVersion: "2010-09-09"\nResources:\n  B:\n'
    "    Type: AWS::S3::Bucket\n",
    "sam.yaml": "Transform: AWS::Serverless-2016-10-31\nResources:\n  F:\n"
    "    Type: AWS::Serverless::Function\n",
}


def test_infrastructure_files_soc2lint_does_not_read_are_listed_never_dropped(
    tmp_path: Path,
) -> None:
    repo = make_repo(tmp_path / "repo", {"CODEOWNERS": "* @team\n", **INFRASTRUCTURE_SAMPLES})
    doc = json.loads(soc2lint("scan", str(repo), "--no-cache", "--format", "json").stdout)
    unread = {u["path"]: u["kind"] for u in doc["unsupported"]}
    # every sample is read by a platform or named with its kind: never silently passed
    read = doc["coverage"]["files"]["checked"] - 1  # CODEOWNERS
    assert read + len(unread) == len(INFRASTRUCTURE_SAMPLES), (read, unread)
    for path, kind in unread.items():
        assert kind in unsupported.kinds()
        assert platforms.claim(path) in (None, ("", ""))
    if "Jenkinsfile" in unread:
        assert unread["Jenkinsfile"] == "Jenkinsfile"
    strict = soc2lint("scan", str(repo), "--no-cache", "--fail-on-uncovered", "--fail-on", "none")
    assert strict.returncode == (1 if unread else 0)
    text = soc2lint("scan", str(repo), "--no-cache", "--fail-on", "none").stdout
    for path, kind in unread.items():
        assert f"  {path}: not read: {kind} (no platform of soc2lint reads it)" in text


def test_a_chart_helm_cannot_render_is_not_checked_and_can_fail_the_gate(tmp_path: Path) -> None:
    repo = make_repo(
        tmp_path / "repo",
        {
            "CODEOWNERS": "* @team\n",
            "chart/Chart.yaml": "apiVersion: v2\nname: web\nversion: 0.1.0\n",
            "chart/values.yaml": "image: nginx\n",
            "chart/templates/pod.yaml": (
                "apiVersion: v1\nkind: Pod\nmetadata:\n  name: {{ .Release.Name }}\nspec:\n"
                "  containers:\n    - name: c\n      image: {{ .Values.image }}\n"
                "      securityContext:\n        privileged: true\n"
            ),
        },
    )
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "git").symlink_to(shutil.which("git") or "/usr/bin/git")
    no_helm = os.pathsep.join([str(bin_dir), str(Path(sys.executable).parent)])
    plain = soc2lint("scan", str(repo), "--no-cache", path=no_helm)
    assert plain.returncode == 0, plain.stderr
    assert "chart/templates/pod.yaml: skipped: Helm chart template" in plain.stdout
    assert plain.stdout.rstrip().splitlines()[-1] == (
        "INCOMPLETE COVERAGE: 1 chart files not rendered (see Not checked)"
    )
    strict = soc2lint("scan", str(repo), "--no-cache", "--fail-on-uncovered", path=no_helm)
    assert strict.returncode == 1


def test_unknown_kinds_count_as_uncovered(tmp_path: Path) -> None:
    repo = make_repo(
        tmp_path / "repo",
        {
            "CODEOWNERS": "* @team\n",
            "widget.yaml": "apiVersion: example.com/v1\nkind: Widget\n"
            "metadata:\n  name: w\n  namespace: x\n",
        },
    )
    doc = json.loads(soc2lint("scan", str(repo), "--no-cache", "--format", "json").stdout)
    assert {"type": "Widget", "platform": "kubernetes", "resources": 1} in doc["coverage"][
        "resources"
    ]["uncovered"]


@pytest.mark.parametrize(
    ("name", "text", "line", "message"),
    [
        (
            "pod.yaml",
            "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  - privileged\n",
            5,
            "spec must be a mapping, not a list",
        ),
        (
            "deploy.yaml",
            "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: d\nspec:\n  template:\n"
            "    spec:\n      containers:\n        name: c\n        securityContext:\n"
            "          privileged: true\n",
            8,
            "spec.template.spec.containers must be a list of containers, not a mapping",
        ),
        (
            ".github/workflows/ci.yml",
            "on: push\npermissions: {}\njobs:\n  build:\n    runs-on: ubuntu-latest\n"
            "    steps:\n      run: curl https://x | sh\n",
            6,
            "jobs.build.steps must be a list of steps",
        ),
        (
            "main.tf",
            'resource "aws_ebs_volume" "v" {\n  size      = 1\n  encrypted = True\n}\n',
            3,
            "invalid reference 'True': HCL's literals are lower case (true)",
        ),
    ],
)
def test_malformed_structures_are_errors_never_passes(
    tmp_path: Path, name: str, text: str, line: int, message: str
) -> None:
    repo = make_repo(tmp_path / "repo", {"CODEOWNERS": "* @team\n", name: text})
    proc = soc2lint("scan", str(repo), "--no-cache", "--format", "json")
    doc = json.loads(proc.stdout)
    assert {"path": name, "line": line, "message": message} in doc["errors"]
    # nothing in the malformed file passed
    assert not [f for f in doc["findings"] if f["path"] == name and f["status"] == "pass"]
    assert {
        "path": name,
        "category": "parse error",
        "reason": f"line {line}: {message}",
    } in doc["coverage"]["files"]["not_checked"]
    text_out = soc2lint("scan", str(repo), "--no-cache").stdout
    assert f"  {name}:{line}: parse error: {message}" in text_out


def test_a_missing_var_file_is_a_usage_error(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo", {"main.tf": 'variable "x" {}\n'})
    proc = soc2lint(
        "scan", str(repo), "--var-file", "prod.tfvars", "--fail-on", "none", cwd=tmp_path
    )
    assert proc.returncode == 2
    assert "--var-file prod.tfvars: no such file (relative to the current directory" in proc.stderr
    (tmp_path / "prod.tfvars").write_text('x = "a"\n')  # relative to where soc2lint runs
    ok = soc2lint("scan", str(repo), "--var-file", "prod.tfvars", "--fail-on", "none", cwd=tmp_path)
    assert ok.returncode == 0, ok.stderr


@pytest.mark.parametrize("fmt", ["text", "json", "sarif", "markdown"])
def test_an_empty_scan_says_so_in_every_format(tmp_path: Path, fmt: str) -> None:
    root = tmp_path / "docs-only"
    root.mkdir()
    (root / "README.md").write_text("# nothing to scan\n")
    (root / "Chart.yaml").write_text("apiVersion: v2\nname: x\nversion: 1.0.0\n")
    proc = soc2lint("scan", str(root), "--no-cache", "--format", fmt)
    said = (
        f"no infrastructure file was checked under {root}: "
        "no file there is of a kind soc2lint reads"
    )
    if fmt == "json":
        assert json.loads(proc.stdout)["coverage"]["empty"] == said
    elif fmt == "sarif":
        assert sarif_notifications(proc.stdout)["empty-scan"] == [said]
    else:
        assert said in proc.stdout
    if fmt != "text":
        assert said in proc.stderr


def test_verify_against_an_untouched_checkout_is_clean(tmp_path: Path) -> None:
    repo = make_repo(
        tmp_path / "repo",
        {
            "CODEOWNERS": "* @team\n",
            "main.tf": 'resource "aws_ebs_volume" "v" {\n  size = 1\n  encrypted = true\n}\n',
            "chart/Chart.yaml": "apiVersion: v2\nname: web\nversion: 0.1.0\n",
            "chart/values.yaml": "replicas: 2\n",
            ".pre-commit-config.yaml": "repos: []\n",
            "package.json": "{}\n",
        },
    )
    git(repo, "add", ".")
    git(repo, "commit", "-qm", "init")
    evidence = repo / "evidence"
    scan = soc2lint(
        "scan", str(repo), "--no-cache", "--evidence", str(evidence), "--fail-on", "none"
    )
    assert scan.returncode == 0, scan.stderr
    git(repo, "add", ".")
    git(repo, "commit", "-qm", "evidence")  # records are committed beside the code
    check = soc2lint("evidence", "verify", str(evidence / "ledger.jsonl"), "--against", str(repo))
    assert check.returncode == 0, check.stdout + check.stderr
    assert "did not scan" not in check.stdout + check.stderr


def sarif_notifications(text: str) -> dict[str, list[str]]:
    doc = json.loads(text)
    out: dict[str, list[str]] = {}
    for invocation in doc["runs"][0]["invocations"]:
        for n in invocation.get("toolExecutionNotifications", []):
            out.setdefault(n["descriptor"]["id"], []).append(n["message"]["text"])
    return out


def test_readme_lists_what_soc2lint_does_not_check() -> None:
    """The README's section names every platform the registry has and every unsupported kind
    the scan recognises, so it cannot fall behind the code."""
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    match = re.search(r"^## What soc2lint does not check\n(.*?)(?=^## )", readme, re.M | re.S)
    assert match, "README.md needs a section '## What soc2lint does not check'"
    section = match.group(1)
    for platform in platforms.platforms():
        assert platform.title in section, f"README: name the platform {platform.title}"
    for kind in unsupported.kinds():
        assert kind in section, f"README: name the unsupported kind {kind}"
    assert "--fail-on-uncovered" in section
