"""Which platform a YAML or JSON file belongs to, from its path and its content.

A `.yml` can be a GitHub workflow, a GitHub composite action, a GitLab pipeline, a Kubernetes
manifest, or something soc2lint does not read (Helm values, docker-compose, Ansible, ...).
The path decides first (workflows live in `.github/workflows/`); otherwise content does, with a
cheap text test before any parsing.
"""

from __future__ import annotations

import re
from typing import Any

from soc2lint.parsers.yamlsrc import YamlDoc

KUBERNETES = "kubernetes"
GITHUB_ACTIONS = "github_actions"
GITLAB_CI = "gitlab_ci"

# at a line start, or after `{` or `,` in one-line JSON and flow-style YAML
_K8S_HINT = re.compile(r"(?:^|[{,])\s*[\"']?apiVersion[\"']?\s*:", re.M)
_KIND_HINT = re.compile(r"(?:^|[{,])\s*[\"']?kind[\"']?\s*:", re.M)
_TEMPLATE = re.compile(r"\{\{.*?\}\}", re.S)


def by_path(path: str) -> str | None:
    """The platform a path alone decides, or None when the content must."""
    parts = path.split("/")
    name = parts[-1]
    in_workflows = len(parts) >= 3 and parts[-3] == ".github" and parts[-2] == "workflows"
    if in_workflows and name.endswith((".yml", ".yaml")):
        return GITHUB_ACTIONS
    if name == ".gitlab-ci.yml" or name == ".gitlab-ci.yaml":
        return GITLAB_CI
    return None


def is_helm_template(path: str, text: str) -> bool:
    """A chart template (Go templating) is not YAML until Helm renders it."""
    return "/templates/" in f"/{path}" and bool(_TEMPLATE.search(text))


def might_be_kubernetes(text: str) -> bool:
    return bool(_K8S_HINT.search(text)) and bool(_KIND_HINT.search(text))


def is_composite_action(path: str, docs: list[YamlDoc]) -> bool:
    name = path.rsplit("/", 1)[-1]
    if name not in ("action.yml", "action.yaml") or len(docs) != 1:
        return False
    data = docs[0].data
    return isinstance(data, dict) and isinstance(data.get("runs"), dict)


# apiVersion groups of configuration files for tools around Kubernetes, not API objects
_TOOL_CONFIG_GROUPS = (
    "kind.x-k8s.io/",
    "kubeadm.k8s.io/",
    "kubelet.config.k8s.io/",
    "kubeproxy.config.k8s.io/",
    "kubescheduler.config.k8s.io/",
    "apiserver.config.k8s.io/",
    "audit.k8s.io/",
    "k3d.io/",
    "skaffold/",
    "ctlptl.dev/",
)


def has_type(data: Any) -> bool:
    """A mapping with string apiVersion and kind."""
    return (
        isinstance(data, dict)
        and isinstance(data.get("apiVersion"), str)
        and isinstance(data.get("kind"), str)
    )


def is_tool_config(data: Any) -> bool:
    """A kubeconfig, kind cluster, kubeadm, kubelet or skaffold configuration: typed like an
    object, but read by a tool and never applied to a cluster."""
    if not has_type(data):
        return False
    api, kind = data["apiVersion"], data["kind"]
    return (api == "v1" and kind == "Config") or api.startswith(_TOOL_CONFIG_GROUPS)


def is_kubernetes(docs: list[YamlDoc]) -> bool:
    """Some document is an object with apiVersion and kind (not a tool's configuration).

    The other documents of such a file are read as objects too, and reported when they are not:
    one bad document must not hide the others.
    """
    return any(has_type(d.data) and not is_tool_config(d.data) for d in docs)
