"""Kubernetes manifests through the real pipeline: classification, documents, graph, reports."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from soc2lint.engine.rules import load_rules
from soc2lint.graph import ResourceGraph
from soc2lint.model import Resource
from soc2lint.pipeline.load import parse_source as parse_yaml_source
from soc2lint.platforms.kubernetes import linker as k8s_linker
from soc2lint.reporters import sarif
from soc2lint.scan import scan

RULES = load_rules()
K8S_RULES = [r for r in RULES if r.platform == "kubernetes"]

DEPLOYMENT = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: shop
spec:
  replicas: 2
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
        - name: web
          image: nginx:1.25
          securityContext:
            privileged: true
"""


def _write(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text))
    return root


def _parse(name: str, text: str) -> list[Resource]:
    parsed = parse_yaml_source(name, textwrap.dedent(text))
    assert parsed.platform == "kubernetes", name
    assert not parsed.errors, parsed.errors
    return parsed.resources


def _graph(text: str) -> tuple[ResourceGraph, dict[str, Resource]]:
    """The graph scan.py builds: every resource a node, then the Kubernetes linker."""
    resources = _parse("cluster.yaml", text)
    graph = ResourceGraph()
    for res in resources:
        graph.add_resource(res)
    k8s_linker.link(graph, resources)
    return graph, {r.address: r for r in resources}


def _linked(graph, by_address, address, kind, direction="out", resource_type=None) -> list[str]:
    key = by_address[address].key
    return [r.address for r in graph.neighbours(key, resource_type, direction, kind=kind)]


# -- classification ----------------------------------------------------------------------------

LOOKALIKES = {
    ".github/workflows/ci.yml": """\
        name: ci
        on: [push]
        jobs:
          build:
            runs-on: ubuntu-latest
            steps:
              - uses: actions/checkout@v4
              - run: kubectl apply -f k8s/
    """,
    ".gitlab-ci.yml": """\
        stages: [deploy]
        deploy:
          stage: deploy
          image: bitnami/kubectl:1.29
          script:
            - kubectl apply -f k8s/
    """,
    # Helm values mention apiVersion and kind, but not as an object's own fields
    "chart/values.yaml": """\
        replicaCount: 2
        image:
          repository: nginx
          tag: "1.25"
        ingress:
          enabled: true
          apiVersion: networking.k8s.io/v1
          kind: Ingress
    """,
    "docker-compose.yaml": """\
        services:
          web:
            image: nginx:1.25
            privileged: true
            ports: ["80:80"]
    """,
    # an Ansible play that carries a manifest inside a task is still a playbook
    "playbooks/site.yml": """\
        - hosts: localhost
          tasks:
            - name: create the namespace
              kubernetes.core.k8s:
                definition:
                  apiVersion: v1
                  kind: Namespace
                  metadata: {name: shop}
    """,
}


def test_k8s_only_the_manifest_is_read_as_kubernetes(tmp_path: Path) -> None:
    _write(tmp_path, {**LOOKALIKES, "k8s/web.yaml": DEPLOYMENT})
    for name, text in LOOKALIKES.items():
        parsed = parse_yaml_source(name, textwrap.dedent(text))
        assert parsed.platform != "kubernetes", name
        assert not parsed.errors, name
        assert all(r.platform != "kubernetes" for r in parsed.resources), name
    for name in ("chart/values.yaml", "playbooks/site.yml"):
        assert parse_yaml_source(name, textwrap.dedent(LOOKALIKES[name])).platform is None
    # a Compose file is its own platform's, never a manifest
    compose = parse_yaml_source(
        "docker-compose.yaml", textwrap.dedent(LOOKALIKES["docker-compose.yaml"])
    )
    assert compose.platform == "docker_compose"

    report = scan([str(tmp_path)], RULES)
    assert report.errors == []
    assert report.rule_errors == []
    k8s = [f for f in report.findings if f.rule_id.startswith("SOC2-K8S-")]
    assert k8s, "the manifest should be evaluated"
    by_path = {(f.location.path, f.resource) for f in k8s}
    # the Compose service is judged by the Compose variants of the same controls, nothing else
    assert by_path == {
        ("k8s/web.yaml", "Deployment/shop/web"),
        ("docker-compose.yaml", "service.web"),
    }
    assert all(f.resource_type == "compose_service" for f in k8s if f.resource == "service.web")
    privileged = [f for f in k8s if f.rule_id == "SOC2-K8S-001"]
    assert sorted((f.location.path, f.status.value, f.location.start_line) for f in privileged) == [
        ("docker-compose.yaml", "fail", 4),
        ("k8s/web.yaml", "fail", 18),
    ]
    # files soc2lint does not read are not listed as scanned
    for name in ("chart/values.yaml", "playbooks/site.yml"):
        assert name not in report.files
    assert "docker-compose.yaml" in report.files


def test_k8s_multi_document_file_and_list() -> None:
    resources = _parse(
        "bundle.yaml",
        """\
        # leading comment
        ---
        apiVersion: v1
        kind: Namespace
        metadata:
          name: shop
        ---
        ---
        apiVersion: v1
        kind: List
        items:
          - apiVersion: v1
            kind: ServiceAccount
            metadata:
              name: api
              namespace: shop
          - apiVersion: v1
            kind: Pod
            metadata:
              name: api
            spec:
              containers:
                - name: api
                  image: registry.example.com/api:1.4.2
        ---
        apiVersion: rbac.authorization.k8s.io/v1
        kind: ClusterRole
        metadata:
          name: reader
        rules: []
        """,
    )
    by_address = {r.address: r for r in resources}
    assert list(by_address) == [
        "Namespace/shop",
        "ServiceAccount/shop/api",
        "Pod/default/api",
        "ClusterRole/reader",
    ]
    assert [r.location.start_line for r in resources] == [3, 12, 17, 26]
    pod = by_address["Pod/default/api"]
    assert pod.type == "Pod" and pod.attributes["namespace"] == "default"
    # the derived container list points at the List item's own lines
    assert pod.attributes["allContainers"][0]["containerType"] == "containers"
    assert pod.location_of("allContainers.0.image").start_line == 24
    assert pod.location_of("podSpec.containers.0.image").start_line == 24


def test_k8s_multi_document_findings_point_into_each_document(tmp_path: Path) -> None:
    _write(
        tmp_path,
        {
            "all.yaml": DEPLOYMENT
            + """\
---
apiVersion: v1
kind: List
items:
  - apiVersion: v1
    kind: Pod
    metadata:
      name: debug
      namespace: ops
    spec:
      containers:
        - name: shell
          image: busybox:1.36
          securityContext:
            privileged: true
"""
        },
    )
    rule = next(r for r in RULES if r.id == "SOC2-K8S-001")
    report = scan([str(tmp_path)], [rule])
    assert report.errors == []
    got = sorted((f.resource, f.status.value, f.location.start_line) for f in report.findings)
    assert got == [("Deployment/shop/web", "fail", 18), ("Pod/ops/debug", "fail", 33)]


# -- hostile and surprising YAML ---------------------------------------------------------------


def _billion_laughs() -> str:
    lines = [
        "apiVersion: v1",
        "kind: ConfigMap",
        "metadata:",
        "  name: lol",
        "data:",
        '  a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]',
    ]
    names = "abcdefghij"
    for prev, cur in zip(names, names[1:], strict=False):
        lines.append(f"  {cur}: &{cur} [" + ",".join([f"*{prev}"] * 9) + "]")
    return "\n".join(lines) + "\n"


@pytest.mark.slow
def test_k8s_alias_bomb_is_a_parse_error_and_does_not_hang(tmp_path: Path) -> None:
    _write(tmp_path, {"bomb.yaml": _billion_laughs(), "web.yaml": DEPLOYMENT})
    # in a child process, so a regression that expands the aliases cannot hang the suite
    code = textwrap.dedent(
        f"""
        import json
        from soc2lint.engine.rules import load_rules
        from soc2lint.scan import scan
        report = scan([{str(tmp_path)!r}], load_rules())
        print(json.dumps({{
            "errors": [[e.path, e.line, e.message] for e in report.errors],
            "resources": sorted({{f.resource for f in report.findings}}),
        }}))
        """
    )
    try:
        done = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, timeout=60
        )
    except subprocess.TimeoutExpired:
        pytest.fail("scanning an alias bomb did not finish within 60 s")
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout)
    assert len(out["errors"]) == 1
    path, _line, message = out["errors"][0]
    assert path == "bomb.yaml"
    assert "alias" in message
    # the other file is still scanned (and the repository-wide CODEOWNERS checks run)
    assert out["resources"] == ["Deployment/shop/web", "repository"]


def test_k8s_yaml_1_1_scalars_read_as_kubernetes_reads_them() -> None:
    # kubectl reads YAML 1.1: plain yes/no/on/off are booleans and 0644 is octal; quoted
    # scalars stay strings. (GitHub workflows keep YAML 1.2: their `on:` key stays "on".)
    (secret,) = _parse(
        "cm.yaml",
        """\
        apiVersion: v1
        kind: ConfigMap
        metadata:
          name: flags
          namespace: shop
        data:
          on: yes
          off: no
          quoted: "no"
          mode: 0644
          plain: 644
        """,
    )
    assert secret.attributes["data"] == {
        "on": True,
        "off": False,
        "quoted": "no",
        "mode": 0o644,
        "plain": 644,
    }
    (pod,) = _parse(
        "pod.yaml",
        """\
        apiVersion: v1
        kind: Pod
        metadata:
          name: files
          namespace: shop
        spec:
          containers:
            - name: app
              image: registry.example.com/app:1.0.0
          volumes:
            - name: creds
              secret:
                secretName: creds
                defaultMode: 0400
        """,
    )
    assert pod.attributes["podSpec"]["volumes"][0]["secret"]["defaultMode"] == 0o400


# -- graph edges -------------------------------------------------------------------------------

CLUSTER = """\
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop}
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web, tier: front}}
    spec:
      serviceAccountName: web
      containers:
        - name: web
          image: registry.example.com/web:1.8.0
          envFrom:
            - secretRef: {name: web-env}
      volumes:
        - name: tls
          secret: {secretName: web-tls}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: staging}
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
        - name: web
          image: registry.example.com/web:1.8.0
---
apiVersion: v1
kind: Pod
metadata: {name: job, namespace: shop}
spec:
  containers:
    - name: job
      image: registry.example.com/job:1.0.0
      env:
        - name: TOKEN
          valueFrom:
            secretKeyRef: {name: job-token, key: token}
---
apiVersion: v1
kind: Service
metadata: {name: web, namespace: shop}
spec:
  selector: {app: web}
  ports: [{port: 80}]
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: deny-all, namespace: shop}
spec:
  podSelector: {}
---
apiVersion: v1
kind: Secret
metadata: {name: web-env, namespace: shop}
---
apiVersion: v1
kind: Secret
metadata: {name: web-tls, namespace: shop}
---
apiVersion: v1
kind: Secret
metadata: {name: web-tls, namespace: staging}
---
apiVersion: v1
kind: Secret
metadata: {name: job-token, namespace: shop}
---
apiVersion: v1
kind: ServiceAccount
metadata: {name: web, namespace: shop}
---
apiVersion: v1
kind: ServiceAccount
metadata: {name: deployer, namespace: ci}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: reader, namespace: shop}
rules:
  - apiGroups: [""]
    resources: ["pods"]
    verbs: ["get"]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: reader, namespace: staging}
rules: []
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: read, namespace: shop}
subjects:
  - {kind: ServiceAccount, name: web}
  - {kind: ServiceAccount, name: deployer, namespace: ci}
  - {kind: User, name: alice}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: reader}
"""


@pytest.fixture(scope="module")
def cluster() -> tuple[ResourceGraph, dict[str, Resource]]:
    return _graph(CLUSTER)


def test_k8s_service_selects_matching_workloads_in_its_namespace_only(cluster) -> None:
    graph, by_address = cluster
    assert _linked(graph, by_address, "Service/shop/web", "selects") == ["Deployment/shop/web"]
    assert _linked(graph, by_address, "Deployment/staging/web", "selects", "in") == []


def test_k8s_empty_network_policy_selector_selects_the_whole_namespace(cluster) -> None:
    graph, by_address = cluster
    assert _linked(graph, by_address, "NetworkPolicy/shop/deny-all", "selects") == [
        "Deployment/shop/web",
        "Pod/shop/job",
    ]
    # seen from the workload: something of type NetworkPolicy points at it
    key = by_address["Pod/shop/job"].key
    assert [r.address for r in graph.neighbours(key, "NetworkPolicy", "in")] == [
        "NetworkPolicy/shop/deny-all"
    ]


def test_k8s_role_binding_links_its_role_and_service_accounts(cluster) -> None:
    graph, by_address = cluster
    assert _linked(graph, by_address, "RoleBinding/shop/read", "binds") == [
        "Role/shop/reader",
        "ServiceAccount/ci/deployer",
        "ServiceAccount/shop/web",
    ]


def test_k8s_workloads_link_the_secrets_and_service_account_they_use(cluster) -> None:
    graph, by_address = cluster
    assert _linked(graph, by_address, "Deployment/shop/web", "mounts") == [
        "Secret/shop/web-env",  # envFrom
        "Secret/shop/web-tls",  # volume
    ]
    assert _linked(graph, by_address, "Pod/shop/job", "mounts") == ["Secret/shop/job-token"]
    assert _linked(graph, by_address, "Deployment/shop/web", "runs_as") == [
        "ServiceAccount/shop/web"
    ]
    assert _linked(graph, by_address, "Secret/staging/web-tls", "mounts", "in") == []


def test_k8s_connected_rule_sees_the_network_policy(tmp_path: Path) -> None:
    _write(tmp_path, {"cluster.yaml": CLUSTER})
    rule = next(r for r in RULES if r.id == "SOC2-K8S-033")
    report = scan([str(tmp_path)], [rule])
    got = {f.resource: f.status.value for f in report.findings}
    assert got == {
        "Deployment/shop/web": "pass",
        "Pod/shop/job": "pass",
        "Deployment/staging/web": "fail",
    }


# -- one report for several platforms ----------------------------------------------------------

MAIN_TF = """\
resource "aws_s3_bucket" "logs" {
  bucket = "acme-logs"
}
"""


@pytest.fixture(scope="module")
def mixed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("mixed")
    return _write(root, {"infra/main.tf": MAIN_TF, "k8s/web.yaml": DEPLOYMENT})


def test_k8s_terraform_and_kubernetes_in_one_report(mixed: Path) -> None:
    report = scan([str(mixed)], RULES)
    assert report.errors == []
    failing = {(f.rule_id, f.resource, f.location.path) for f in report.failing()}
    assert ("SOC2-AWS-001", "aws_s3_bucket.logs", "infra/main.tf") in failing
    assert ("SOC2-K8S-001", "Deployment/shop/web", "k8s/web.yaml") in failing
    assert {"infra/main.tf", "k8s/web.yaml"} <= set(report.files)


def test_k8s_mixed_directory_sarif_is_one_run(mixed: Path) -> None:
    log = json.loads(sarif.render(scan([str(mixed)], RULES)))
    assert len(log["runs"]) == 1
    (run,) = log["runs"]
    rule_ids = {r["ruleId"] for r in run["results"]}
    assert {"SOC2-AWS-001", "SOC2-K8S-001"} <= rule_ids
    uris = {
        loc["physicalLocation"]["artifactLocation"]["uri"]
        for r in run["results"]
        for loc in r["locations"]
    }
    assert {"infra/main.tf", "k8s/web.yaml"} <= uris


def test_k8s_rules_are_numbered_and_filed_by_name() -> None:
    assert len(K8S_RULES) >= 32
    ids = [r.id for r in K8S_RULES]
    assert ids == [f"SOC2-K8S-{n:03d}" for n in range(1, len(ids) + 1)]
    for rule in K8S_RULES:
        assert Path(rule.source).name == f"{rule.name}.yaml"
        assert Path(rule.source).parent.name == "kubernetes"


# -- what is read as a manifest, as a user runs soc2lint ----------------------------------------


def _cli(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "soc2lint", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=120,
    )


def _scan_json(repo: Path, *args: str) -> dict:
    done = _cli("scan", str(repo), "--format", "json", "--no-cache", *args)
    assert done.returncode in (0, 1), done.stderr
    return json.loads(done.stdout)


def test_k8s_a_bad_document_is_reported_and_the_others_are_scanned(tmp_path: Path) -> None:
    (tmp_path / ".git").mkdir()
    _write(
        tmp_path,
        {
            "bundle.yaml": DEPLOYMENT
            + "---\n# a values block pasted by mistake\nreplicaCount: 2\n"
            + "---\napiVersion: v1\nkind: Pod\nmetadata: {name: debug, namespace: ops}\n"
            + "spec:\n  containers:\n    - name: sh\n      image: busybox:1.36\n"
            + "      securityContext: {privileged: true}\n",
        },
    )
    out = _scan_json(tmp_path, "--rule", "SOC2-K8S-001")
    assert out["errors"] == [
        {"path": "bundle.yaml", "line": 21, "message": "object without apiVersion and kind"}
    ]
    got = sorted((f["resource"], f["status"], f["start_line"]) for f in out["findings"])
    assert got == [("Deployment/shop/web", "fail", 18), ("Pod/ops/debug", "fail", 30)]


def test_k8s_one_line_json_and_flow_style_manifests_are_scanned(tmp_path: Path) -> None:
    (tmp_path / ".git").mkdir()
    pod = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "api", "namespace": "shop"},
        "spec": {
            "containers": [
                {"name": "api", "image": "nginx:1.27", "securityContext": {"privileged": True}}
            ]
        },
    }
    (tmp_path / "pod.json").write_text(json.dumps(pod, separators=(",", ":")) + "\n")
    (tmp_path / "flow.yaml").write_text(
        "{apiVersion: v1, kind: Pod, metadata: {name: flow, namespace: shop}, spec: "
        "{containers: [{name: c, image: 'nginx:1.27', securityContext: {privileged: true}}]}}\n"
    )
    out = _scan_json(tmp_path, "--rule", "SOC2-K8S-001")
    assert out["errors"] == []
    got = sorted((f["resource"], f["status"], f["path"]) for f in out["findings"])
    assert got == [
        ("Pod/shop/api", "fail", "pod.json"),
        ("Pod/shop/flow", "fail", "flow.yaml"),
    ]


def test_k8s_tool_configurations_are_not_objects(tmp_path: Path) -> None:
    files = {
        "kubeconfig.yaml": """\
            apiVersion: v1
            kind: Config
            clusters:
              - name: dev
                cluster: {server: "https://127.0.0.1:6443"}
            contexts: []
            users: []
        """,
        "kind-cluster.yaml": """\
            kind: Cluster
            apiVersion: kind.x-k8s.io/v1alpha4
            nodes:
              - role: control-plane
        """,
    }
    for name, text in files.items():
        parsed = parse_yaml_source(name, textwrap.dedent(text))
        assert (parsed.platform, parsed.resources, parsed.errors) == (None, [], []), name
    (tmp_path / ".git").mkdir()
    _write(tmp_path, {**files, "web.yaml": DEPLOYMENT})
    report = scan([str(tmp_path)], K8S_RULES)
    assert report.errors == []
    assert {f.resource for f in report.findings} == {"Deployment/shop/web"}
    assert "kubeconfig.yaml" not in report.files and "kind-cluster.yaml" not in report.files


def test_k8s_well_known_cluster_scoped_kinds_have_no_namespace() -> None:
    resources = _parse(
        "cluster.yaml",
        """\
        apiVersion: gateway.networking.k8s.io/v1
        kind: GatewayClass
        metadata: {name: public}
        spec: {controllerName: example.com/gateway}
        ---
        apiVersion: flowcontrol.apiserver.k8s.io/v1
        kind: FlowSchema
        metadata: {name: ci}
        ---
        apiVersion: flowcontrol.apiserver.k8s.io/v1
        kind: PriorityLevelConfiguration
        metadata: {name: ci}
        ---
        apiVersion: external-secrets.io/v1beta1
        kind: ClusterSecretStore
        metadata: {name: aws}
        ---
        apiVersion: gateway.networking.k8s.io/v1
        kind: Gateway
        metadata: {name: edge, namespace: net}
        """,
    )
    assert [r.address for r in resources] == [
        "GatewayClass/public",
        "FlowSchema/ci",
        "PriorityLevelConfiguration/ci",
        "ClusterSecretStore/aws",
        "Gateway/net/edge",
    ]


def test_k8s_image_digest_rule_is_opt_in(tmp_path: Path) -> None:
    (tmp_path / ".git").mkdir()
    _write(tmp_path, {"web.yaml": DEPLOYMENT})
    rule = next(r for r in RULES if r.id == "SOC2-K8S-025")
    assert rule.enabled_by_default is False

    def digest_results(out: dict) -> list[tuple[str, str]]:
        return [(f["resource"], f["status"]) for f in out["findings"] if f["rule_id"] == rule.id]

    default = _scan_json(tmp_path)
    assert digest_results(default) == []
    assert any(f["rule_id"] == "SOC2-K8S-001" for f in default["findings"])
    # opt_in adds it to the other rules; enable runs only the rules it lists
    (tmp_path / ".soc2lint.yaml").write_text("rules:\n  opt_in: [SOC2-K8S-025]\n")
    added = _scan_json(tmp_path)
    assert digest_results(added) == [("Deployment/shop/web", "fail")]
    assert any(f["rule_id"] == "SOC2-K8S-001" for f in added["findings"])
    (tmp_path / ".soc2lint.yaml").write_text("rules:\n  enable: [image-digest-pinned]\n")
    only = _scan_json(tmp_path)
    assert {f["rule_id"] for f in only["findings"]} == {rule.id}
    # the generated documentation says so
    docs = _cli("rules", "--format", "markdown").stdout
    assert "| Container images are pinned by digest (opt-in) |" in docs
    assert "*Off by default (opt-in):*" in docs.split("## SOC2-K8S-025", 1)[1]


WORKLOADS_BY_SHAPE = """\
apiVersion: argoproj.io/v1alpha1
kind: Rollout
metadata: {name: web, namespace: shop}
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
        - {name: web, image: nginx:1.27, securityContext: {privileged: true}}
---
apiVersion: apps.openshift.io/v1
kind: DeploymentConfig
metadata: {name: legacy, namespace: shop}
spec:
  template:
    spec:
      containers:
        - {name: app, image: registry.example.com/app:1.0, securityContext: {privileged: true}}
---
apiVersion: serving.knative.dev/v1
kind: Service
metadata: {name: hello, namespace: shop}
spec:
  template:
    spec:
      containers:
        - {image: ghcr.io/knative/helloworld-go:1.0, securityContext: {privileged: false}}
---
apiVersion: keda.sh/v1alpha1
kind: ScaledJob
metadata: {name: worker, namespace: shop}
spec:
  jobTargetRef:
    template:
      spec:
        containers:
          - {name: worker, image: example.com/worker:2, securityContext: {privileged: true}}
---
apiVersion: v1
kind: Service
metadata: {name: web, namespace: shop}
spec:
  selector: {app: web}
  ports: [{port: 80}]
---
apiVersion: example.com/v1
kind: Widget
metadata: {name: no-pod, namespace: shop}
spec:
  template:
    spec: {size: 3}
"""


def test_workloads_found_by_shape_are_judged_by_the_workload_rules(tmp_path: Path) -> None:
    repo = _write(tmp_path, {"apps.yaml": WORKLOADS_BY_SHAPE})
    privileged = [r for r in K8S_RULES if r.name == "privileged-container"]
    report = scan([str(repo)], privileged)
    got = {(f.resource, f.status.value, f.location.start_line) for f in report.findings}
    assert got == {
        ("Rollout/shop/web", "fail", 10),
        ("DeploymentConfig/shop/legacy", "fail", 19),
        ("Service/shop/hello", "pass", 28),
        ("ScaledJob/shop/worker", "fail", 38),
    }
    graph, by_address = _graph(WORKLOADS_BY_SHAPE)
    # the core Service selects the Rollout's pods like a Deployment's
    assert "Rollout/shop/web" in _linked(graph, by_address, "Service/shop/web", "selects")


def test_only_workloads_found_by_shape_that_keep_running_are_long_running() -> None:
    # the probe rules judge `LongRunningWorkload`: a job template or a pod template that does
    # not restart Always runs to completion and needs no liveness or readiness probe
    extra = """\
---
apiVersion: example.com/v1
kind: BatchRun
metadata: {name: once, namespace: shop}
spec:
  template:
    spec:
      restartPolicy: Never
      containers: [{name: run, image: example.com/run:1}]
"""
    types = {r.address: r.also_types for r in _parse("x.yaml", WORKLOADS_BY_SHAPE + extra)}
    long_running = ("Workload", "LongRunningWorkload")
    assert types["Rollout/shop/web"] == long_running
    assert types["DeploymentConfig/shop/legacy"] == long_running
    assert types["Service/shop/hello"] == long_running  # Knative
    assert types["ScaledJob/shop/worker"] == ("Workload",)
    assert types["BatchRun/shop/once"] == ("Workload",)
    assert types["Service/shop/web"] == ()  # a core Service


def test_a_rule_applies_through_the_types_a_resource_also_has() -> None:
    from soc2lint.engine.evaluate import _work

    (rule,) = [r for r in K8S_RULES if r.name == "privileged-container"]
    res = _parse("x.yaml", WORKLOADS_BY_SHAPE)[0]
    assert res.type == "Rollout" and res.also_types == ("Workload", "LongRunningWorkload")
    graph = ResourceGraph()
    graph.add_resource(res)
    assert _work([rule], graph) == [(res, [(rule, rule.condition)])]


class _Edges:
    """A graph that only records the edges the linker adds, in order."""

    def __init__(self) -> None:
        self.edges: list[tuple[str, str, str, str]] = []

    def add_edge(self, source: str, target: str, kind: str, attribute: str = "") -> None:
        self.edges.append((source, target, kind, attribute))


def test_k8s_selectors_select_through_the_label_index_as_against_every_workload() -> None:
    """The linker tries a selector only against workloads carrying one of its labels: the
    same edges, in the same order, as trying it against every workload of its namespace."""
    deploys = []
    labels = ["{app: web}", "{app: web, tier: '1'}", "{app: web, tier: 1}", "{tier: true}", "{}"]
    for i, pod_labels in enumerate(labels * 2):
        ns = "a" if i < len(labels) else "b"
        deploys.append(
            f"apiVersion: apps/v1\nkind: Deployment\nmetadata: {{name: d{i}, namespace: {ns}}}\n"
            f"spec:\n  template:\n    metadata:\n      labels: {pod_labels}\n"
            "    spec:\n      containers: [{name: c, image: nginx:1.25}]\n"
        )
    selectors = ["{app: web}", "{tier: '1'}", "{tier: 1}", "{tier: 'true'}", "{app: web, tier: 1}"]
    picks = []
    for i, selector in enumerate(selectors):
        for ns in ("a", "b"):
            picks.append(
                f"apiVersion: v1\nkind: Service\nmetadata: {{name: s{i}, namespace: {ns}}}\n"
                f"spec: {{selector: {selector}}}\n"
            )
            picks.append(
                "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\n"
                f"metadata: {{name: n{i}, namespace: {ns}}}\n"
                f"spec: {{podSelector: {{matchLabels: {selector}, matchExpressions: "
                "[{key: app, operator: Exists}]}}\n"
            )
    picks.append(  # no matchLabels: every workload is tried
        "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\n"
        "metadata: {name: all, namespace: a}\nspec: {podSelector: {}}\n"
    )
    resources = _parse("all.yaml", "---\n".join(deploys + picks))
    graph = _Edges()
    k8s_linker.link(graph, resources)  # type: ignore[arg-type]
    workloads = [r for r in resources if k8s_linker._workload(r)]
    expected = []
    for res in resources:
        spec = res.attributes.get("spec") or {}
        if res.type == "Service":
            selector, attribute = {"matchLabels": spec["selector"]}, "spec.selector"
        elif res.type == "NetworkPolicy":
            selector, attribute = spec["podSelector"], "spec.podSelector"
        else:
            continue
        for w in workloads:
            same = w.attributes.get("namespace", "") == res.attributes.get("namespace", "")
            if same and k8s_linker._labels_match(selector, k8s_linker._pod_labels(w)):
                expected.append((res.key, w.key, "selects", attribute))
    selected = [e for e in graph.edges if e[2] == "selects"]
    assert selected == expected
    assert len(selected) > 10  # int and text label values, both namespaces, the empty selector
