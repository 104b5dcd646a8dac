"""Kustomize and Helm: rendered by their own tools when installed, else said so."""

from __future__ import annotations

import os
import shutil
import stat
from pathlib import Path

import pytest

from soc2lint.engine.rules import parse_rule
from soc2lint.scan import scan

# the Helm tests run the real helm (.ci/install-helm); only "helm absent" is simulated
REAL_HELM = pytest.mark.skipif(shutil.which("helm") is None, reason="no helm on this machine")
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


@REAL_HELM
def test_helm_chart_templates_rendered_and_mapped_to_the_template(tmp_path: Path) -> None:
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


# -- which files a kustomization reads, and where its objects are attributed --------------------


def _namespaced(namespace: str) -> str:
    return DEPLOYMENT.replace("  name: web\n", f"  name: web\n  namespace: {namespace}\n")


REPLICAS_PATCH = (
    "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  replicas: 3\n"
)
CONFIGMAP = parse_rule(
    {
        "id": "SOC2-TEST-002",
        "name": "configmap-seen",
        "title": "every ConfigMap is seen",
        "severity": "low",
        "platform": "kubernetes",
        "resource_types": ["ConfigMap"],
        "criteria": ["A1.2"],
        "rationale": "A1.2 test rule",
        "remediation": {"description": "d", "example": "e"},
        "condition": {"attribute": "data.seen", "op": "exists"},
    },
    "test",
)


def _files(root: Path, files: dict[str, str]) -> Path:
    (root / ".git").mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    return root


def _on_path(monkeypatch: pytest.MonkeyPatch, bin_dir: Path) -> None:
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")


def _where(report) -> set[tuple[str, str, str, int]]:  # type: ignore[no-untyped-def]
    return {
        (f.resource, f.status.value, f.location.path, f.location.start_line)
        for f in report.findings
    }


def test_rendered_objects_are_attributed_only_to_files_the_kustomization_reads(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = _files(
        tmp_path / "repo",
        {
            # the same kind and name elsewhere in the repository, sorted first
            "apps/other/web.yaml": DEPLOYMENT,
            "deploy/kustomization.yaml": "resources:\n  - a.yaml\n  - b.yaml\n",
            # the same object in two namespaces: the rendered namespace picks the file
            "deploy/a.yaml": _namespaced("blue"),
            "deploy/b.yaml": "# green\n" + _namespaced("green"),
        },
    )
    rendered = _namespaced("green").replace("replicas: 1", "replicas: 3")
    _fake_tool(tmp_path / "bin", "kustomize", rendered)
    _on_path(monkeypatch, tmp_path / "bin")
    report = scan([str(repo)], [REPLICAS])
    assert ("Deployment/green/web", "pass", "deploy/b.yaml", 8) in _where(report)
    assert ("Deployment/default/web", "fail", "apps/other/web.yaml", 6) in _where(report)


def test_name_prefix_and_suffix_keep_the_declaring_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = _files(
        tmp_path / "repo",
        {
            "base/kustomization.yaml": "nameSuffix: -v2\nresources:\n  - deployment.yaml\n",
            "base/deployment.yaml": DEPLOYMENT,
            "prod/kustomization.yaml": "namePrefix: prod-\nresources:\n  - ../base\n",
        },
    )
    # a tool without origin annotations: the prefix and suffix are matched instead
    rendered = DEPLOYMENT.replace("name: web\n", "name: prod-web-v2\n", 1)
    _fake_tool(tmp_path / "bin", "kustomize", rendered)
    _on_path(monkeypatch, tmp_path / "bin")
    report = scan([str(repo / "prod")], [REPLICAS])
    assert _where(report) == {("Deployment/default/prod-web-v2", "fail", "base/deployment.yaml", 6)}


def test_files_a_kustomization_reads_are_scanned_once_and_patches_never(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = _files(
        tmp_path / "repo",
        {
            "deploy/kustomization.yaml": (
                "resources:\n  - workloads/deployment.yaml\n"
                "patches:\n  - path: patches/replicas.yaml\n"
                "patchesStrategicMerge:\n  - old-style.yaml\n"
            ),
            "deploy/workloads/deployment.yaml": DEPLOYMENT,
            "deploy/patches/replicas.yaml": REPLICAS_PATCH,
            "deploy/old-style.yaml": REPLICAS_PATCH,
            # beside the kustomization, not read by it: a plain manifest
            "deploy/unlisted.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: stray\n",
        },
    )
    _fake_tool(tmp_path / "bin", "kustomize", DEPLOYMENT.replace("replicas: 1", "replicas: 3"))
    _on_path(monkeypatch, tmp_path / "bin")
    report = scan([str(repo)], [REPLICAS, CONFIGMAP])
    assert _where(report) == {
        ("Deployment/default/web", "pass", "deploy/workloads/deployment.yaml", 6),
        ("ConfigMap/default/stray", "fail", "deploy/unlisted.yaml", 1),
    }


def test_without_a_tool_patch_files_are_not_objects_and_the_note_says_so(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = _files(
        tmp_path,
        {
            "deploy/kustomization.yaml": (
                "resources:\n  - workloads/deployment.yaml\npatches:\n  - path: replicas.yaml\n"
            ),
            "deploy/workloads/deployment.yaml": DEPLOYMENT,
            "deploy/replicas.yaml": REPLICAS_PATCH,
        },
    )
    monkeypatch.setattr(shutil, "which", lambda name: None)
    report = scan([str(repo)], [REPLICAS])
    assert _where(report) == {
        ("Deployment/default/web", "fail", "deploy/workloads/deployment.yaml", 6)
    }
    (note,) = report.notes
    assert note["path"] == "deploy/kustomization.yaml"
    assert "scanned as plain manifests" in note["message"]
    assert "patch files (deploy/replicas.yaml) were not" in note["message"]


def test_a_kustomize_failure_keeps_the_reason(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = _repo(tmp_path / "repo")
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    # kubectl's multi-line error: a klog line opening `err=<`, tab-indented lines, ` >`
    (bin_dir / "stderr").write_text(
        'E1127 16:38:08.401094    8530 run.go:72] "command failed" err=<\n'
        "\ttrouble configuring builtin PatchTransformer with config: `\n"
        "\tpatch: 'notyaml: ['\n"
        '\t`: unable to parse SM or JSON patch from [patch: "notyaml: ["]\n'
        " >\n"
    )
    script = bin_dir / "kubectl"
    script.write_text(f"#!/bin/sh\ncat '{bin_dir / 'stderr'}' >&2\nexit 1\n")
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    _on_path(monkeypatch, bin_dir)
    monkeypatch.setattr(shutil, "which", lambda name: str(script) if name == "kubectl" else None)
    report = scan([str(repo)], [REPLICAS])
    (error,) = report.errors
    assert (error.path, error.line) == ("deploy/kustomization.yaml", 1)
    assert error.message == (
        "kubectl kustomize failed: trouble configuring builtin PatchTransformer with config: "
        "` patch: 'notyaml: [' `: unable to parse SM or JSON patch from [patch: \"notyaml: [\"]"
    )
    # still scanned, as plain manifests
    assert {f.location.path for f in report.findings} == {"deploy/deployment.yaml"}


@REAL_HELM
def test_helm_chart_rendered_templates_are_not_listed_as_skipped(tmp_path: Path) -> None:
    repo = _files(
        tmp_path / "repo",
        {
            "chart/Chart.yaml": "apiVersion: v2\nname: web\nversion: 0.1.0\n",
            "chart/templates/deployment.yaml": (
                "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n"
                "  name: {{ .Release.Name }}\nspec:\n  replicas: 1\n"
            ),
            # a plain manifest inside the chart is rendered by helm, not scanned twice
            "chart/templates/config.yaml": (
                "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\n"
            ),
            # an object of the same kind and name outside the chart keeps its own findings
            "other/web.yaml": DEPLOYMENT.replace("name: web", "name: release-name", 1),
        },
    )
    report = scan([str(repo)], [REPLICAS, CONFIGMAP])
    assert report.skipped == []
    assert _where(report) == {
        # the second object with one address is qualified by its path
        (
            "Deployment/default/release-name@chart/templates/deployment.yaml",
            "fail",
            "chart/templates/deployment.yaml",
            2,
        ),
        ("Deployment/default/release-name", "fail", "other/web.yaml", 6),
        ("ConfigMap/default/settings", "fail", "chart/templates/config.yaml", 2),
    }


@pytest.mark.slow
@pytest.mark.skipif(
    shutil.which("kubectl") is None and shutil.which("kustomize") is None,
    reason="no kustomize or kubectl on this machine",
)
def test_real_kustomize_origins_locate_prefixed_patched_and_generated_objects(
    tmp_path: Path,
) -> None:
    repo = _files(
        tmp_path,
        {
            "base/kustomization.yaml": "resources:\n  - deployment.yaml\n",
            "base/deployment.yaml": DEPLOYMENT,
            "elsewhere/web.yaml": DEPLOYMENT.replace("name: web", "name: prod-web", 1),
            "overlays/prod/kustomization.yaml": (
                "namePrefix: prod-\nnamespace: prod\nresources:\n  - ../../base\n"
                "patches:\n  - path: replicas.yaml\n"
                "configMapGenerator:\n  - name: settings\n    literals: [mode=prod]\n"
            ),
            "overlays/prod/replicas.yaml": REPLICAS_PATCH,
        },
    )
    report = scan([str(repo)], [REPLICAS, CONFIGMAP])
    assert not report.errors
    where = _where(report)
    assert ("Deployment/prod/prod-web", "pass", "base/deployment.yaml", 6) in where
    generated = [w for w in where if w[0].startswith("ConfigMap/prod/prod-settings-")]
    assert [(w[1], w[2], w[3]) for w in generated] == [
        ("fail", "overlays/prod/kustomization.yaml", 1)
    ]
    # the patch is not an object; the same-named manifest elsewhere is its own
    assert not any(w[2] == "overlays/prod/replicas.yaml" for w in where)
    assert ("Deployment/default/prod-web", "fail", "elsewhere/web.yaml", 6) in where
    # nothing soc2lint asked kustomize for shows in the objects
    for f in report.findings:
        assert "config.kubernetes.io/origin" not in str(f.message)


# -- real helm (.ci/install-helm puts one on PATH) ----------------------------------------------

HELM_TEMPLATE = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ .Release.Name }}-web
  namespace: {{ .Release.Namespace }}
spec:
  replicas: {{ .Values.replicas }}
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


def _chart(root: Path, directory: str, extra: dict[str, str] | None = None) -> Path:
    files = {
        f"{directory}/Chart.yaml": "apiVersion: v2\nname: web\nversion: 0.1.0\n",
        f"{directory}/values.yaml": "replicas: 1\n",
        f"{directory}/templates/deployment.yaml": HELM_TEMPLATE,
        **(extra or {}),
    }
    return _files(root, files)


@REAL_HELM
def test_real_helm_renders_with_values_files_set_release_and_namespace(tmp_path: Path) -> None:
    from soc2lint.pipeline.report import ScanOptions

    repo = _chart(tmp_path / "repo", "chart", {"prod.yaml": "replicas: 2\n"})
    (tmp_path / "repo" / "chart" / "templates" / "NOTES.txt").write_text("hello\n")
    # defaults only
    report = scan([str(repo)], [REPLICAS])
    assert _where(report) == {
        ("Deployment/default/release-name-web", "fail", "chart/templates/deployment.yaml", 2)
    }
    assert report.notes == [
        {"path": "chart/Chart.yaml", "message": "rendered with `helm template`"}
    ]
    # a values file for every chart, then --set, then per-chart release and namespace
    options = ScanOptions(
        helm_values=[str(repo / "prod.yaml")],
        helm_set=["replicas=3"],
        helm_charts={str(repo / "chart"): {"release": "shop", "namespace": "prod"}},
    )
    report = scan([str(repo)], [REPLICAS], options)
    assert _where(report) == {
        ("Deployment/prod/shop-web", "pass", "chart/templates/deployment.yaml", 2)
    }
    (note,) = report.notes
    assert note["message"] == ("rendered with `helm template` (values prod.yaml; --set replicas=3)")
    options = ScanOptions(helm_charts={str(repo / "chart"): {"values": [str(repo / "prod.yaml")]}})
    report = scan([str(repo)], [REPLICAS], options)
    assert {f.resource for f in report.findings} == {"Deployment/default/release-name-web"}
    assert {f.status.value for f in report.findings} == {"fail"}  # 2 < 3


@REAL_HELM
def test_real_helm_capabilities_follow_kube_version_and_api_versions(tmp_path: Path) -> None:
    from soc2lint.pipeline.report import ScanOptions

    gated = (
        '{{- if and (semverCompare ">=1.29-0" .Capabilities.KubeVersion.Version)'
        ' (.Capabilities.APIVersions.Has "monitoring.coreos.com/v1") }}\n'
        + HELM_TEMPLATE.replace("{{ .Release.Name }}-web", "gated")
        + '{{- else }}\n{{- fail "needs Kubernetes 1.29 and the Prometheus operator" }}\n'
        "{{- end }}\n"
    )
    repo = _chart(tmp_path / "repo", "chart", {"chart/templates/gated.yaml": gated})
    report = scan([str(repo)], [REPLICAS], ScanOptions(kube_version="1.28"))
    assert report.findings == []
    (error,) = report.errors
    assert (error.path, error.line) == ("chart/Chart.yaml", 1)
    assert error.message.startswith("helm template failed: ")
    assert "needs Kubernetes 1.29 and the Prometheus operator" in error.message
    (note,) = report.notes
    assert note["message"].endswith("its templates were not scanned (not checked)")
    options = ScanOptions(kube_version="1.30", api_versions=["monitoring.coreos.com/v1"])
    report = scan([str(repo)], [REPLICAS], options)
    assert not report.errors
    assert {f.resource for f in report.findings} == {
        "Deployment/default/gated",
        "Deployment/default/release-name-web",
    }


@REAL_HELM
def test_real_helm_subcharts_library_charts_and_missing_dependencies(tmp_path: Path) -> None:
    library = {
        "lib/Chart.yaml": "apiVersion: v2\nname: lib\nversion: 1.0.0\ntype: library\n",
        "lib/templates/_names.tpl": '{{- define "lib.name" -}}from-lib{{- end }}\n',
    }
    chart_yaml = (
        "apiVersion: v2\nname: web\nversion: 0.1.0\ndependencies:\n"
        "  - {name: lib, version: 1.0.0, repository: file://../lib}\n"
        "  - {name: db, version: 2.0.0, repository: file://charts/db}\n"
        "  - {name: redis, version: 19.0.0, repository: https://charts.example.com}\n"
    )
    repo = _chart(
        tmp_path / "repo",
        "chart",
        {
            **library,
            "chart/Chart.yaml": chart_yaml,
            "chart/templates/named.yaml": HELM_TEMPLATE.replace(
                "{{ .Release.Name }}-web", '{{ include "lib.name" . }}'
            ),
            "chart/charts/db/Chart.yaml": "apiVersion: v2\nname: db\nversion: 2.0.0\n",
            "chart/charts/db/values.yaml": "replicas: 3\n",
            "chart/charts/db/templates/db.yaml": HELM_TEMPLATE.replace("-web", "-db"),
        },
    )
    # the library is vendored the way `helm dependency build` leaves it: in charts/
    import shutil as sh

    sh.copytree(repo / "lib", repo / "chart" / "charts" / "lib")
    report = scan([str(repo)], [REPLICAS])
    assert not report.errors
    assert _where(report) == {
        ("Deployment/default/release-name-web", "fail", "chart/templates/deployment.yaml", 2),
        ("Deployment/default/from-lib", "fail", "chart/templates/named.yaml", 2),
        ("Deployment/default/release-name-db", "pass", "chart/charts/db/templates/db.yaml", 2),
    }
    notes = {n["path"]: n["message"] for n in report.notes}
    assert notes["chart/Chart.yaml"] == (
        "rendered with `helm template`; dependencies not vendored in charts/ were not checked "
        "(never fetched): redis"
    )
    assert notes["lib/Chart.yaml"].startswith("library chart: rendered only as a dependency")
    assert "chart/charts/db/Chart.yaml" not in notes  # rendered with its parent
    assert report.skipped == [] or all(s.path.startswith("lib/") for s in report.skipped)


@REAL_HELM
def test_cli_helm_options_and_configuration(tmp_path: Path) -> None:
    import json
    import subprocess
    import sys

    repo = _chart(
        tmp_path / "repo",
        "deploy/chart",
        {
            "deploy/prod.yaml": "replicas: 3\n",
            ".soc2lint.yaml": (
                "rules:\n  enable: [SOC2-K8S-009]\n"  # fails on the template
                "helm:\n  kube_version: '1.30'\n  charts:\n    deploy/chart:\n"
                "      values: [deploy/prod.yaml]\n      release: shop\n      namespace: prod\n"
            ),
        },
    )

    def soc2lint(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "soc2lint", *args, "--no-cache"],
            cwd=repo,
            capture_output=True,
            text=True,
            check=False,
        )

    proc = soc2lint("scan", ".", "--format", "json")
    data = json.loads(proc.stdout)
    assert {f["resource"] for f in data["findings"]} == {"Deployment/prod/shop-web"}
    assert [n["message"] for n in data["notes"]] == [
        "rendered with `helm template` (values deploy/prod.yaml)"
    ]
    proc = soc2lint("scan", ".", "--format", "json", "--helm-set", "replicas=4")
    assert "--set replicas=4" in json.loads(proc.stdout)["notes"][0]["message"]
    proc = soc2lint("scan", ".", "--helm-set", "replicas")
    assert proc.returncode == 2 and "--helm-set: 'replicas' is not KEY=VALUE" in proc.stderr
    (repo / ".soc2lint.yaml").write_text("helm:\n  charts:\n    deploy:\n      values: []\n")
    proc = soc2lint("scan", ".")
    assert proc.returncode == 2
    assert ".soc2lint.yaml: helm.charts.deploy: 'deploy' is not a chart directory" in proc.stderr
    (repo / ".soc2lint.yaml").write_text("helm:\n  charts:\n    deploy/chart: {value: []}\n")
    proc = soc2lint("scan", ".")
    assert "helm.charts.deploy/chart.value: unknown key" in proc.stderr


# -- reuse of a rendered scan (result cache) ------------------------------------------------


def _evaluations(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    from soc2lint import scan as scan_module
    from soc2lint.engine import evaluate

    calls: list[int] = []
    real = evaluate.evaluate_rules
    monkeypatch.setattr(
        scan_module, "evaluate_rules", lambda *a, **k: calls.append(1) or real(*a, **k)
    )
    return calls


def test_a_rendered_scan_is_reused_until_a_file_or_the_tool_changes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from soc2lint.pipeline.report import ScanOptions

    repo = _repo(tmp_path / "repo")
    rendered = DEPLOYMENT.replace("replicas: 1", "replicas: 3")
    _fake_tool(tmp_path / "bin", "kustomize", rendered)
    _on_path(monkeypatch, tmp_path / "bin")
    options = ScanOptions(cache_dir=str(tmp_path / "cache"))
    first = scan([str(repo)], [REPLICAS], options)
    calls = _evaluations(monkeypatch)
    again = scan([str(repo)], [REPLICAS], options)
    assert calls == [] and again.findings == first.findings and again.notes == first.notes
    # another build of the tool (here: a rewritten script) renders anew
    tool = tmp_path / "bin" / "kustomize"
    tool.write_text(tool.read_text() + "# another build\n")
    scan([str(repo)], [REPLICAS], options)
    assert calls == [1]
    (repo / "deploy" / "deployment.yaml").write_text(DEPLOYMENT + "\n")
    scan([str(repo)], [REPLICAS], options)
    assert calls == [1, 1]


def test_a_tool_that_could_not_run_or_a_remote_base_is_never_reused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from soc2lint.pipeline.report import ScanOptions

    repo = _repo(tmp_path / "repo")
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    slow = bin_dir / "kustomize"
    slow.write_text("#!/bin/sh\nsleep 5\n")
    slow.chmod(0o755)
    _on_path(monkeypatch, bin_dir)
    from soc2lint.platforms.kubernetes import renderers

    monkeypatch.setattr(renderers, "TIMEOUT_SECONDS", 0.2)
    options = ScanOptions(cache_dir=str(tmp_path / "cache"))
    first = scan([str(repo)], [REPLICAS], options)
    assert "failed" in first.notes[0]["message"]
    calls = _evaluations(monkeypatch)
    scan([str(repo)], [REPLICAS], options)
    assert calls == [1]  # timed out once: tried again, not served from the cache

    remote = tmp_path / "remote"
    repo = _repo(remote)
    (remote / "deploy" / "kustomization.yaml").write_text(
        KUSTOMIZATION + "  - github.com/example/base?ref=v1\n"
    )
    _fake_tool(tmp_path / "bin2", "kustomize", DEPLOYMENT)
    _on_path(monkeypatch, tmp_path / "bin2")
    scan([str(remote)], [REPLICAS], options)
    scan([str(remote)], [REPLICAS], options)
    assert calls == [1, 1, 1]  # what the remote base holds is in no digest: rendered each time


def _k8s_rule(number: int, types: list[str], condition: dict) -> object:
    return parse_rule(
        {
            "id": f"SOC2-TEST-{number:03d}",
            "name": f"rule-{number}",
            "title": f"rule {number}",
            "severity": "low",
            "platform": "kubernetes",
            "resource_types": types,
            "criteria": ["A1.2"],
            "rationale": "A1.2 test rule",
            "remediation": {"description": "d", "example": "e"},
            "condition": condition,
        },
        "test",
    )


SOURCED_TEMPLATE = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ required "name is required" .Values.name }}
  annotations:
    rollme: {{ randAlphaNum 8 | quote }}
spec:
  replicas: {{ .Values.replicas }}
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
        - name: web
          image: "nginx:{{ .Values.tag }}"
{{- if .Values.ingress }}
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: web
spec:
  defaultBackend:
    service: {name: web, port: {number: 80}}
{{- end }}
"""


@REAL_HELM
def test_real_helm_findings_name_the_values_file_a_value_came_from(tmp_path: Path) -> None:
    import json

    from soc2lint.pipeline.report import ScanOptions
    from soc2lint.reporters import json_report, sarif, text

    repo = _files(
        tmp_path / "repo",
        {
            "chart/Chart.yaml": "apiVersion: v2\nname: web\nversion: 0.1.0\n",
            "chart/values.yaml": "replicas: 1\ntag: '1.27'\nname: web\ningress: false\n",
            "chart/templates/web.yaml": SOURCED_TEMPLATE,
            "deploy/prod.yaml": "replicas: 2\ningress: true\n",
            "deploy/team.yaml": "replicas: 2\n",  # the same value again: prod.yaml set it
        },
    )
    rules = [
        REPLICAS,  # spec.replicas >= 3
        _k8s_rule(
            2,
            ["Deployment"],
            {
                "attribute": "spec.template.spec.containers.*.image",
                "op": "not_matches",
                "value": ":latest$",
            },
        ),
        # not set in any rendering; the container holding it changes with --set tag=...
        _k8s_rule(
            3,
            ["Deployment"],
            {
                "every": "spec.template.spec.containers",
                "condition": {"attribute": "securityContext.runAsNonRoot", "op": "is_true"},
            },
        ),
        _k8s_rule(4, ["Ingress"], {"attribute": "spec.tls", "op": "exists"}),
        # made at random by the template: differs between every two renderings
        _k8s_rule(
            5,
            ["Deployment"],
            {"attribute": "metadata.annotations.rollme", "op": "equals", "value": "fixed"},
        ),
    ]
    options = ScanOptions(
        helm_values=[str(repo / "deploy/prod.yaml"), str(repo / "deploy/team.yaml")],
        helm_set=["tag=latest"],
    )
    report = scan([str(repo)], rules, options)
    assert not report.errors
    got = {(f.rule_id[-3:], f.value_source, f.value_files) for f in report.findings}
    assert got == {
        ("001", "value from values file deploy/prod.yaml", ("deploy/prod.yaml",)),
        ("002", "value from --set tag=latest", ()),
        (
            "003",
            "rendered with values files deploy/prod.yaml, deploy/team.yaml and --set tag=latest",
            (),
        ),
        ("004", "object rendered only with values file deploy/prod.yaml", ("deploy/prod.yaml",)),
        (
            "005",
            "rendered with values files deploy/prod.yaml, deploy/team.yaml and --set tag=latest",
            (),
        ),
    }
    out = text.render(report)
    assert "        value from values file deploy/prod.yaml\n" in out
    findings = json.loads(json_report.render(report))["findings"]
    by_rule = {f["rule_id"]: f for f in findings}
    assert by_rule["SOC2-TEST-001"]["value_source"] == {
        "text": "value from values file deploy/prod.yaml",
        "values_files": ["deploy/prod.yaml"],
    }
    results = json.loads(sarif.render(report))["runs"][0]["results"]
    (result,) = [r for r in results if r["ruleId"] == "SOC2-TEST-001"]
    assert result["message"]["text"].endswith("(value from values file deploy/prod.yaml)")
    assert result["properties"]["valueSource"] == "value from values file deploy/prod.yaml"
    (related,) = result["relatedLocations"]
    assert related["physicalLocation"]["artifactLocation"]["uri"] == "deploy/prod.yaml"
    # without the values files helm fails (`required`): no earlier rendering to compare with,
    # so the finding says what it was rendered with and names no file
    (repo / "chart/values.yaml").write_text("replicas: 1\ntag: '1.27'\ningress: false\n")
    (repo / "deploy/team.yaml").write_text("name: web\n")
    report = scan([str(repo)], rules, options)
    (replicas,) = [f for f in report.findings if f.rule_id == "SOC2-TEST-001"]
    assert replicas.value_source == (
        "rendered with values files deploy/prod.yaml, deploy/team.yaml and --set tag=latest"
    )
    assert replicas.value_files == ()


def test_value_source_walks_dotted_keys_lists_and_missing_values() -> None:
    from soc2lint.engine.provenance import value_source, values_at
    from soc2lint.model import Provenance, Unknown

    obj = {
        "metadata": {"annotations": {"a.io/b": "x", "a.io/c": "y"}},
        "spec": {"containers": [{"image": "a:1"}, {"image": "b:1"}]},
    }
    assert values_at(obj, "metadata.annotations.a.io/b") == ["x"]
    assert values_at(obj, "metadata.annotations.a.io/*") == ["x", "y"]
    assert values_at(obj, "spec.containers.image") == ["a:1", "b:1"]
    assert values_at(obj, "spec.containers.1.image") == ["b:1"]
    assert values_at(obj, "spec.containers.*.securityContext") == []
    later = {**obj, "spec": {"containers": [{"image": "a:2"}, {"image": "b:1"}]}}
    # v.yaml changed the first image (before[0] -> before[1]), the --set nothing
    prov = Provenance(("values file v.yaml", "--set x=1"), ("v.yaml", ""), (obj, later), later)
    assert value_source(prov, later, "spec.containers.0.image") == (
        "value from values file v.yaml",
        ("v.yaml",),
    )
    assert value_source(prov, later, "spec.containers.1.image") == (
        "rendered with values file v.yaml and --set x=1",
        (),
    )
    # a value that differs between two renderings with the same inputs is made at random
    random = Provenance(prov.inputs, prov.files, (obj, later), obj)
    assert value_source(random, later, "spec.containers.0.image")[1] == ()
    # a result decided by other objects (no path) is not the object's value
    assert value_source(prov, later, "")[1] == ()
    # an input that unsets a value
    unset = {**obj, "spec": {"containers": [{}, {"image": "b:1"}]}}
    removed = Provenance(prov.inputs, prov.files, (obj, unset), unset)
    assert value_source(removed, unset, "spec.containers.0.image") == (
        "not set because of values file v.yaml",
        ("v.yaml",),
    )
    failed = Provenance(prov.inputs, prov.files, (Unknown("failed"), later), later)
    assert value_source(failed, later, "spec.containers.0.image")[1] == ()
    absent = Provenance(prov.inputs, prov.files, (None, later), later)
    assert value_source(absent, later, "spec.containers.0.image") == (
        "object rendered only with values file v.yaml",
        ("v.yaml",),
    )


@REAL_HELM
def test_real_helm_renders_once_more_per_input_and_once_without_inputs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from soc2lint.platforms.kubernetes import renderers

    repo = _chart(tmp_path / "repo", "chart", {"prod.yaml": "replicas: 2\n"})
    runs: list[list[str]] = []
    real = renderers._run

    def counted(command, *args, **kwargs):  # type: ignore[no-untyped-def]
        runs.append(command)
        return real(command, *args, **kwargs)

    monkeypatch.setattr(renderers, "_run", counted)
    rendered = renderers.render_chart(repo, "chart")
    assert len(runs) == 1 and all(r.provenance is None for r in rendered.resources)
    runs.clear()
    settings = renderers.HelmSettings(values=[str(repo / "prod.yaml")], sets=["replicas=3"])
    rendered = renderers.render_chart(repo, "chart", settings)
    # every input, then none, then the values file alone, then every input again
    assert [r.count("--values") + r.count("--set") for r in runs] == [2, 0, 1, 2]
    (deployment,) = rendered.resources
    assert deployment.provenance is not None
    assert deployment.provenance.inputs == ("values file prod.yaml", "--set replicas=3")
    assert [b["spec"]["replicas"] for b in deployment.provenance.before] == [1, 2]


def test_a_kustomization_reading_from_outside_the_repository_says_so(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A remote base (or a path above the root) is in no digest: rendered, the report says the
    objects came partly from files it cannot vouch for; not rendered, it says those objects
    were not scanned at all (the plain manifests beside it are all that was)."""
    repo = _repo(tmp_path / "repo")
    (repo / "deploy" / "kustomization.yaml").write_text(
        KUSTOMIZATION + "  - github.com/example/base?ref=v1\n  - ../../shared\n"
    )
    system_path = os.environ["PATH"]
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))  # no kustomize, no kubectl
    notes = [n["message"] for n in scan([str(repo)], [REPLICAS]).notes]
    assert any(
        "not read (outside the repository): github.com/example/base?ref=v1, ../../shared;" in m
        and "not checked" in m
        for m in notes
    ), notes

    _fake_tool(tmp_path / "bin", "kustomize", DEPLOYMENT)
    monkeypatch.setenv("PATH", f"{tmp_path / 'bin'}{os.pathsep}{system_path}")
    notes = [n["message"] for n in scan([str(repo)], [REPLICAS]).notes]
    assert any(
        m.startswith("read from outside the repository: github.com/example/base?ref=v1, ")
        and "in no digest" in m
        for m in notes
    ), notes
    assert not any("not read (outside" in m for m in notes)
