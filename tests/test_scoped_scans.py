"""Pre-commit and pull-request scans parse only the changed files and their context, and report
exactly what a scan of the whole repository reports for those files."""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from soc2lint.cli.run import Request, run
from soc2lint.pipeline.discover import discover

REPO = Path(__file__).resolve().parents[1]
GIT = {
    "GIT_AUTHOR_NAME": "Dev",
    "GIT_AUTHOR_EMAIL": "dev@example.com",
    "GIT_COMMITTER_NAME": "Dev",
    "GIT_COMMITTER_EMAIL": "dev@example.com",
}
pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")


def git(repo: Path, *args: str) -> None:
    subprocess.run(
        ["git", *args], cwd=repo, env={**os.environ, **GIT}, check=True, capture_output=True
    )


def results(request: Request) -> list[tuple]:
    report = run(request).report
    return sorted(
        (f.rule_id, f.resource, f.location.path, f.location.start_line, f.status.value)
        for f in report.findings
    )


def generated(path: Path, files: int) -> Path:
    spec = importlib.util.spec_from_file_location("bench_scale", REPO / "benchmarks/bench_scale.py")
    assert spec and spec.loader
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    bench.generate(path, files)
    shutil.rmtree(path / ".git")
    git(path, "init", "-q", "-b", "main")
    git(path, "add", ".")
    git(path, "commit", "-q", "-m", "corpus")
    return path


@pytest.fixture
def demo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    repo = tmp_path / "demo"
    shutil.copytree(REPO / "fixtures" / "demo", repo)
    git(repo, "init", "-q", "-b", "main")
    monkeypatch.chdir(repo)
    return repo


def test_each_changed_file_of_the_demo_reports_as_in_a_whole_scan(demo: Path) -> None:
    for path in [f.path for f in discover(demo).files]:
        scoped = Request(paths=[path], only_changed=True, diff_base="")
        whole = Request(paths=[path], only_changed=True, diff_base="", scoped=False)
        assert results(scoped) == results(whole), path


def test_a_change_in_a_monorepo_parses_its_context_only(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = generated(tmp_path / "mono", 300)
    monkeypatch.chdir(repo)
    everything = len(discover(repo).files)
    samples = ["modules/m000/main.tf", "envs/stack0003/main31.tf", "k8s/team-1/app30.yaml"]
    samples += [f.path for f in discover(repo).files if f.path.startswith(".github/")][:1]
    for path in samples:
        scoped = run(Request(paths=[path], only_changed=True, diff_base=""))
        whole = Request(paths=[path], only_changed=True, diff_base="", scoped=False)
        assert results(Request(paths=[path], only_changed=True, diff_base="")) == results(whole)
        assert len(scoped.report.files) < everything / 2, path
        assert scoped.report.invocation["scoped_to"] == [path]


def test_diff_mode_scoped_to_the_change_finds_what_a_whole_diff_finds(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = generated(tmp_path / "mono", 200)
    monkeypatch.chdir(repo)
    git(repo, "checkout", "-q", "-b", "change")
    module = repo / "modules" / "m001" / "main.tf"
    module.write_text(module.read_text().replace('"aws:kms"', '""'))
    manifest = next((repo / "k8s").rglob("*.yaml"))
    manifest.write_text(manifest.read_text().replace("Escalation: false", "Escalation: true"))
    (repo / "envs" / "stack0001" / "main11.tf").unlink()
    git(repo, "commit", "-q", "-am", "change")
    scoped = run(Request(paths=["."], diff_base="main"))
    whole = run(Request(paths=["."], diff_base="main", scoped=False))
    assert scoped.report.diff["new"] == whole.report.diff["new"] > 0
    assert scoped.report.diff["fixed_findings"] == whole.report.diff["fixed_findings"]
    new = [f for f in scoped.report.findings if f.status.value != "pass"]
    assert new == [f for f in whole.report.findings if f.status.value != "pass"]
    # the module is called from many stacks, which all come along; the workflows do not
    assert len(scoped.report.files) < len(whole.report.files)
    assert not [p for p in scoped.report.files if p.startswith(".github/")]


DEPLOY = """\
apiVersion: apps/v1
kind: Deployment
metadata: {name: api, namespace: shop}
spec:
  selector: {matchLabels: {app: api}}
  template:
    metadata: {labels: {app: api}}
    spec:
      containers: [{name: api, image: "nginx:1.25"}]
"""
POLICY = """\
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: deny, namespace: shop}
spec: {podSelector: {}, policyTypes: [Ingress]}
"""


def _same_diff(repo: Path, base: str) -> dict:
    scoped = run(Request(paths=["."], diff_base=base)).report
    whole = run(Request(paths=["."], diff_base=base, scoped=False)).report
    assert (scoped.diff["new"], scoped.diff["fixed_findings"]) == (
        whole.diff["new"],
        whole.diff["fixed_findings"],
    )
    assert [f for f in scoped.findings if f.status.value != "pass"] == [
        f for f in whole.findings if f.status.value != "pass"
    ]
    return scoped.diff


def test_deleting_or_adding_a_file_brings_its_context_to_both_sides(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = tmp_path / "repo"
    (repo / "k8s").mkdir(parents=True)
    (repo / "k8s" / "deploy.yaml").write_text(DEPLOY)
    (repo / "k8s" / "netpol.yaml").write_text(POLICY)
    git(repo, "init", "-q", "-b", "main")
    git(repo, "add", ".")
    git(repo, "commit", "-q", "-m", "base")
    monkeypatch.chdir(repo)
    git(repo, "checkout", "-q", "-b", "drop")
    git(repo, "rm", "-q", "k8s/netpol.yaml")
    git(repo, "commit", "-q", "-m", "drop the policy")
    dropped = _same_diff(repo, "main")
    assert dropped["new"] >= 1 and dropped["fixed"] == 0  # the namespace lost its policy
    git(repo, "checkout", "-q", "main")
    git(repo, "checkout", "-q", "-b", "add")
    (repo / "mod").mkdir()
    (repo / "mod" / "x.tf").write_text(
        'resource "aws_kms_key" "x" {\n  enable_key_rotation = true\n}\n'
    )
    git(repo, "add", ".")
    git(repo, "commit", "-q", "-m", "add a module file")
    assert _same_diff(repo, "main")["new"] == 0  # nothing that was failing is new


@pytest.mark.parametrize(
    "call",
    [
        'module "kms" {\n  source = "../../modules/kms" # shared key module\n  rotate = false\n}\n',
        'module "kms" { source = "../../modules/kms" }\n',
        None,  # a .tf.json root
    ],
)
def test_callers_are_found_however_the_source_is_written(
    call: str | None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = tmp_path / "repo"
    (repo / "modules" / "kms").mkdir(parents=True)
    (repo / "live" / "prod").mkdir(parents=True)
    (repo / "modules" / "kms" / "main.tf").write_text(
        'variable "rotate" {\n  default = true\n}\n'
        'resource "aws_kms_key" "k" {\n  enable_key_rotation = var.rotate\n}\n'
    )
    if call is None:
        (repo / "live" / "prod" / "main.tf.json").write_text(
            '{"module": {"kms": {"source": "../../modules/kms", "rotate": false}}}\n'
        )
    else:
        (repo / "live" / "prod" / "main.tf").write_text(call)
    git(repo, "init", "-q", "-b", "main")
    monkeypatch.chdir(repo)
    changed = "modules/kms/main.tf"
    scoped = results(Request(paths=[changed], only_changed=True, diff_base=""))
    assert scoped == results(
        Request(paths=[changed], only_changed=True, diff_base="", scoped=False)
    )
    assert any(r[1] == "module.kms.aws_kms_key.k" for r in scoped)


@pytest.mark.skipif(shutil.which("kubectl") is None, reason="kubectl renders kustomizations")
def test_an_overlay_that_renders_a_changed_base_comes_along(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = tmp_path / "repo"
    (repo / "base").mkdir(parents=True)
    (repo / "overlays" / "prod").mkdir(parents=True)
    (repo / "base" / "kustomization.yaml").write_text("resources: [deploy.yaml]\n")
    (repo / "base" / "deploy.yaml").write_text(DEPLOY.replace(", namespace: shop", ""))
    (repo / "overlays" / "prod" / "kustomization.yaml").write_text(
        "namespace: shop\nresources:\n  - ../../base\n"
    )
    git(repo, "init", "-q", "-b", "main")
    monkeypatch.chdir(repo)
    changed = "base/deploy.yaml"
    scoped = results(Request(paths=[changed], only_changed=True, diff_base=""))
    assert scoped == results(
        Request(paths=[changed], only_changed=True, diff_base="", scoped=False)
    )
    assert any(r[1] == "Deployment/shop/api" for r in scoped)
