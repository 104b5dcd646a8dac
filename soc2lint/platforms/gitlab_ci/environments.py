"""Edges from a GitLab job to the Terraform `gitlab_project_protected_environment` that protects
its environment (kind `protects`, attribute `environment`), matched by the environment's name.

Protection is a project setting; when the project is managed with the GitLab Terraform provider
in the same scan, this is where the pipeline can see it (SOC2-GLC-012)."""

from __future__ import annotations

from soc2lint.graph import ResourceGraph
from soc2lint.model import Resource

PROTECTED_ENVIRONMENT = "gitlab_project_protected_environment"


def link_protected_environments(graph: ResourceGraph, resources: list[Resource]) -> None:
    """job -> protected environment, where the job's literal environment name is the one the
    Terraform resource names literally."""
    protected: dict[str, list[Resource]] = {}
    for res in resources:
        if res.type == PROTECTED_ENVIRONMENT:
            name = res.attributes.get("environment")
            if isinstance(name, str) and name:
                protected.setdefault(name, []).append(res)
    if not protected:
        return
    for res in resources:
        if res.type != "gitlab_job":
            continue
        name = res.attributes.get("environment_name")
        for target in protected.get(name, []) if isinstance(name, str) else []:
            graph.add_edge(res.key, target.key, "protects", "environment")
