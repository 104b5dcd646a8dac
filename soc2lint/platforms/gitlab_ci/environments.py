"""Edges from a GitLab job to the Terraform resources that protect its environment (kind
`protects`, attribute `environment`): a `gitlab_project_protected_environment` that names the
environment, or a `gitlab_group_protected_environment` that protects its deployment tier.

Protection is a project or group setting; when it is managed with the GitLab Terraform provider
in the same scan, this is where the pipeline can see it (SOC2-GLC-012). A group-level protected
environment protects every environment of the group's projects whose deployment tier it names.
A job's tier is its literal `environment: deployment_tier:`; without one GitLab guesses the tier
from the name with a loose pattern (`nonprod` is guessed production), so only a name that is
itself a tier word (`production`, `prod`, `staging`, ...) is given one here, and any other name
stays unlinked (Unknown in the rule), never guessed."""

from __future__ import annotations

from soc2lint.graph import ResourceGraph
from soc2lint.model import Resource

PROTECTED_ENVIRONMENT = "gitlab_project_protected_environment"
GROUP_PROTECTED_ENVIRONMENT = "gitlab_group_protected_environment"
TIERS = ("production", "staging", "testing", "development", "other")
# names whose tier GitLab's guess cannot get wrong: the tier words and their usual short forms
_NAME_TIERS = {
    "production": "production",
    "prod": "production",
    "staging": "staging",
    "stage": "staging",
    "testing": "testing",
    "test": "testing",
    "development": "development",
    "dev": "development",
}


def deployment_tier(environment: object) -> str | None:
    """The deployment tier of a job's `environment:` when the file shows it: a literal
    `deployment_tier`, else a name that is a tier word; None otherwise."""
    if isinstance(environment, dict):
        tier = environment.get("deployment_tier")
        if isinstance(tier, str):
            return tier if tier in TIERS else None
        environment = environment.get("name")
    if isinstance(environment, str):
        return _NAME_TIERS.get(environment.strip().lower())
    return None


def link_protected_environments(graph: ResourceGraph, resources: list[Resource]) -> None:
    """job -> protected environment, where the job's literal environment name is the one a
    project-level resource names literally, or the job's known tier is the one a group-level
    resource names literally."""
    protected: dict[str, list[Resource]] = {}
    by_tier: dict[str, list[Resource]] = {}
    for res in resources:
        if res.type in (PROTECTED_ENVIRONMENT, GROUP_PROTECTED_ENVIRONMENT):
            name = res.attributes.get("environment")
            if isinstance(name, str) and name:
                table = protected if res.type == PROTECTED_ENVIRONMENT else by_tier
                table.setdefault(name, []).append(res)
    if not protected and not by_tier:
        return
    for res in resources:
        if res.type != "gitlab_job":
            continue
        name = res.attributes.get("environment_name")
        targets = list(protected.get(name, [])) if isinstance(name, str) else []
        tier = res.attributes.get("environment_tier")
        targets += by_tier.get(tier, []) if isinstance(tier, str) else []
        for target in targets:
            graph.add_edge(res.key, target.key, "protects", "environment")
