"""Which platform a YAML or JSON file belongs to, from its path and its content.

A `.yml` can be a GitHub workflow, a GitHub composite action, a GitLab pipeline, a Kubernetes
manifest, or something soc2lint does not read (Helm values, docker-compose, Ansible, ...).
The path decides first (workflows live in `.github/workflows/`); otherwise content does, with a
cheap text test before any parsing.
"""

from __future__ import annotations

import re

from soc2lint.parsers.yamlsrc import YamlDoc

KUBERNETES = "kubernetes"
GITHUB_ACTIONS = "github_actions"
GITLAB_CI = "gitlab_ci"

_K8S_HINT = re.compile(r"^\s*\"?apiVersion\"?\s*:", re.M)
_KIND_HINT = re.compile(r"^\s*\"?kind\"?\s*:", re.M)
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


def is_kubernetes(docs: list[YamlDoc]) -> bool:
    """Every non-empty document is an object with apiVersion and kind."""
    objects = [d.data for d in docs if d.data not in (None, {}, [])]
    return bool(objects) and all(
        isinstance(o, dict)
        and isinstance(o.get("apiVersion"), str)
        and isinstance(o.get("kind"), str)
        for o in objects
    )
