"""Infrastructure files that no platform reads, named by kind so the report can say so.

A scan must not pass what it never looked at. Files that look like infrastructure but that no
registered platform claims are listed as not checked with their kind ("Dockerfile",
"CloudFormation template"). A platform that starts reading a kind takes its files first, so they
stop appearing here without any edit to this table.
"""

from __future__ import annotations

import re

from soc2lint.engine.linear_regex import Lazy

# (kind, test on the repository-relative path)
_BY_PATH: tuple[tuple[str, Lazy], ...] = (
    ("Azure Pipelines", Lazy(r"(^|/)azure-pipelines(\.[\w.-]+)?\.ya?ml$")),
    ("Bitbucket Pipelines", Lazy(r"(^|/)bitbucket-pipelines\.ya?ml$")),
    ("CircleCI configuration", Lazy(r"(^|/)\.circleci/config\.ya?ml$")),
    ("Jenkinsfile", Lazy(r"(^|/)Jenkinsfile(\.[^/]+)?$")),
    ("GitHub repository settings", Lazy(r"(^|/)\.github/settings\.ya?ml$")),
    ("Travis CI configuration", Lazy(r"(^|/)\.travis\.ya?ml$")),
    ("Drone CI configuration", Lazy(r"(^|/)\.drone\.ya?ml$")),
    ("Buildkite pipeline", Lazy(r"(^|/)\.buildkite/pipeline\.ya?ml$")),
    ("Serverless Framework", Lazy(r"(^|/)serverless\.ya?ml$")),
    ("Ansible playbook", Lazy(r"(^|/)playbook\.ya?ml$")),
    ("Bicep template", Lazy(r"\.bicep$")),
    ("Pulumi program", Lazy(r"(^|/)Pulumi(\.[\w-]+)?\.ya?ml$")),
)

# (kind, test on the text) for YAML/JSON files no platform took
_ARM = Lazy(r"schema\.management\.azure\.com/schemas/[^\"']*deploymentTemplate", re.I)


def by_path(path: str) -> str | None:
    """The kind of infrastructure file a path names, when the name alone says."""
    for kind, pattern in _BY_PATH:
        if pattern.search(path):
            return kind
    return None


def by_content(path: str, text: str) -> str | None:
    """The kind of a YAML/JSON file no platform took, from its name or its content."""
    named = by_path(path)
    if named is not None:
        return named
    if _ARM.search(text):
        return "Azure Resource Manager template"
    return None


def kinds() -> list[str]:
    """Every kind this table recognises (documented in the README)."""
    return [kind for kind, _ in _BY_PATH] + ["Azure Resource Manager template"]


__all__ = ["by_content", "by_path", "kinds"]
