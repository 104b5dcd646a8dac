"""Kustomize and Helm: rendered by their own tools when installed, else said so."""

from __future__ import annotations

import os
import shutil
import stat
from pathlib import Path

import pytest

from soc2lint.engine.rules import parse_rule
from soc2lint.scan import scan

DEPLOYMENT = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replicas: 1
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
        - name: web
          image: nginx:1.27
"""
KUSTOMIZATION = """\
apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
resources:
  - deployment.yaml
"""
REPLICAS = parse_rule(
    {
        "id": "SOC2-TEST-001",
        "name": "replicas",
        "title": "three replicas",
        "severity": "low",
        "platform": "kubernetes",
        "resource_types": ["Deployment"],
        "criteria": ["A1.2"],
        "rationale": "A1.2 test rule",
        "remediation": {"description": "d", "example": "e"},
        "condition": {"attribute": "spec.replicas", "op": "greater_or_equal", "value": 3},
    },
    "test",
)


def _repo(tmp_path: Path) -> Path:
    (tmp_path / ".git").mkdir(parents=True)
    base = tmp_path / "deploy"
    base.mkdir()
    (base / "deployment.yaml").write_text(DEPLOYMENT)
    (base / "kustomization.yaml").write_text(KUSTOMIZATION)
    return tmp_path


def _fake_tool(bin_dir: Path, name: str, output: str) -> None:
    bin_dir.mkdir(exist_ok=True)
    script = bin_dir / name
    (bin_dir / f"{name}.out").write_text(output)
    script.write_text(f"#!/bin/sh\ncat '{bin_dir / (name + '.out')}'\n")
    script.chmod(script.stat().st_mode | stat.S_IXUSR)


def test_kustomization_rendered_by_the_tool_and_attributed_to_the_declaring_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = _repo(tmp_path / "repo")
    rendered = DEPLOYMENT.replace("replicas: 1", "replicas: 3").replace(
        "  name: web\n", "  name: web\n  namespace: prod\n"
    )
    _fake_tool(tmp_path / "bin", "kustomize", rendered)
    monkeypatch.setenv("PATH", f"{tmp_path / 'bin'}{os.pathsep}{os.environ['PATH']}")
    report = scan([str(repo)], [REPLICAS])
    (finding,) = report.findings
    assert (finding.resource, finding.status.value) == ("Deployment/prod/web", "pass")
    assert (finding.location.path, finding.location.start_line) == ("deploy/deployment.yaml", 6)
    assert report.notes == [
        {"path": "deploy/kustomization.yaml", "message": "rendered with `kustomize build`"}
    ]


def test_without_a_tool_the_plain_files_are_scanned_and_the_report_says_so(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = _repo(tmp_path)
    monkeypatch.setattr(shutil, "which", lambda name: None)
    report = scan([str(repo)], [REPLICAS])
    (finding,) = report.findings
    assert (finding.resource, finding.status.value) == ("Deployment/default/web", "fail")
    assert "not found on PATH" in report.notes[0]["message"]
    assert "scanned as plain manifests" in report.notes[0]["message"]


@pytest.mark.slow
@pytest.mark.skipif(
    shutil.which("kubectl") is None and shutil.which("kustomize") is None,
    reason="no kustomize or kubectl on this machine",
)
def test_real_kustomize_renders_an_overlay(tmp_path: Path) -> None:
    repo = _repo(tmp_path)
    overlay = repo / "overlays" / "prod"
    overlay.mkdir(parents=True)
    (overlay / "kustomization.yaml").write_text(
        "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nnamespace: prod\n"
        "resources:\n  - ../../deploy\npatches:\n  - target: {kind: Deployment, name: web}\n"
        "    patch: |-\n      - op: replace\n        path: /spec/replicas\n        value: 3\n"
    )
    report = scan([str(repo)], [REPLICAS])
    got = {(f.resource, f.status.value, f.location.path) for f in report.findings}
    assert ("Deployment/prod/web", "pass", "deploy/deployment.yaml") in got
    assert ("Deployment/default/web", "fail", "deploy/deployment.yaml") in got


def test_helm_chart_templates_rendered_and_mapped_to_the_template(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = tmp_path / "repo"
    (repo / ".git").mkdir(parents=True)
    chart = repo / "charts" / "web"
    (chart / "templates").mkdir(parents=True)
    (chart / "Chart.yaml").write_text("apiVersion: v2\nname: web\nversion: 0.1.0\n")
    (chart / "values.yaml").write_text("replicas: 1\n")
    (chart / "templates" / "deployment.yaml").write_text(
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {{ .Release.Name }}\n"
        "spec:\n  replicas: {{ .Values.replicas }}\n"
    )
    rendered = (
        "---\n# Source: web/templates/deployment.yaml\napiVersion: apps/v1\n"
        "kind: Deployment\nmetadata:\n  name: release-name\nspec:\n  replicas: 1\n"
    )
    _fake_tool(tmp_path / "bin", "helm", rendered)
    monkeypatch.setenv("PATH", f"{tmp_path / 'bin'}{os.pathsep}{os.environ['PATH']}")
    report = scan([str(repo)], [REPLICAS])
    (finding,) = report.findings
    assert finding.status.value == "fail"
    assert (finding.location.path, finding.location.start_line) == (
        "charts/web/templates/deployment.yaml",
        2,
    )
    assert not report.errors


def test_helm_chart_without_helm_is_listed_as_skipped(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = tmp_path
    (repo / ".git").mkdir()
    chart = repo / "chart"
    (chart / "templates").mkdir(parents=True)
    (chart / "Chart.yaml").write_text("apiVersion: v2\nname: web\nversion: 0.1.0\n")
    (chart / "templates" / "svc.yaml").write_text(
        "apiVersion: v1\nkind: Service\nmetadata:\n  name: {{ .Release.Name }}\n"
    )
    monkeypatch.setattr(shutil, "which", lambda name: None)
    report = scan([str(repo)], [REPLICAS])
    assert not report.errors and not report.findings
    assert [s.path for s in report.skipped] == ["chart/templates/svc.yaml"]
    assert "helm not found" in report.notes[0]["message"]
