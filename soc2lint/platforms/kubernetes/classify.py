"""Whether a YAML or JSON file is a Kubernetes manifest, from its content.

A `.yml` that no platform claims by its path can be a manifest, a chart template, a tool's
configuration typed like an object, or something soc2lint does not read (Helm values,
docker-compose, Ansible, ...). A cheap text test comes before any parsing.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # an annotation only: the registry imports this module to claim files
    from soc2lint.platforms.shared.yamlsrc import YamlDoc

# the files that make a directory something to render: a kustomization, a Helm chart
KUSTOMIZATION_NAMES = ("kustomization.yaml", "kustomization.yml", "Kustomization")
RENDER_ROOTS = (*KUSTOMIZATION_NAMES, "Chart.yaml")

# the syntax of a kind, as rules name resource types
TYPE_PATTERN = re.compile(r"^[A-Za-z*]+$")

# at a line start, or after `{` or `,` in one-line JSON and flow-style YAML
# (after `- ` too: a bare YAML list of objects)
_K8S_HINT = re.compile(r"(?:^|[{,])[\s-]*[\"']?apiVersion[\"']?\s*:", re.M)
_KIND_HINT = re.compile(r"(?:^|[{,])[\s-]*[\"']?kind[\"']?\s*:", re.M)
_TEMPLATE = re.compile(r"\{\{.*?\}\}", re.S)


def is_helm_template(path: str, text: str) -> bool:
    """A chart template (Go templating) is not YAML until Helm renders it."""
    return "/templates/" in f"/{path}" and bool(_TEMPLATE.search(text))


def might_be_kubernetes(text: str) -> bool:
    return bool(_K8S_HINT.search(text)) and bool(_KIND_HINT.search(text))


# apiVersion groups of configuration files for tools around Kubernetes, not API objects (an
# audit.k8s.io Policy is read: it is the evidence of API server audit logging)
_TOOL_CONFIG_GROUPS = (
    "kind.x-k8s.io/",
    "kubeadm.k8s.io/",
    "kubelet.config.k8s.io/",
    "kubeproxy.config.k8s.io/",
    "kubescheduler.config.k8s.io/",
    "apiserver.config.k8s.io/",
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
    return any(
        has_type(item) and not is_tool_config(item)
        for d in docs
        for item in (d.data if isinstance(d.data, list) else [d.data])
    )
