"""GitHub Actions as a platform: workflows by path, composite actions by content."""

from __future__ import annotations

import dataclasses
import re
from typing import TYPE_CHECKING

from soc2lint.platforms.contract import Base, Parsed

if TYPE_CHECKING:
    from soc2lint.platforms.shared.yamlsrc import YamlDoc

ACTION_NAMES = ("action.yml", "action.yaml")
_RUNS = re.compile(r"^runs\s*:", re.M)


def is_composite_action(path: str, docs: list[YamlDoc]) -> bool:
    """An action.yml whose one document has a `runs:` mapping."""
    name = path.rsplit("/", 1)[-1]
    if name not in ACTION_NAMES or len(docs) != 1:
        return False
    data = docs[0].data
    return isinstance(data, dict) and isinstance(data.get("runs"), dict)


class GitHubActions(Base):
    name = "github_actions"
    title = "GitHub Actions"
    reads = (
        "workflows: `*.yml`/`*.yaml` in `.github/workflows/`, by path; composite actions: "
        "`action.yml`/`action.yaml` with a `runs:` mapping, by content"
    )
    rule_platform = "github_actions"
    rules_dir = "github_actions/workflows"
    fixture_file = ".github/workflows/ci.yml"
    resource_types = ("github_workflow", "github_job", "github_step", "github_action")

    def claim(self, path: str) -> str | None:
        parts = path.split("/")
        in_workflows = len(parts) >= 3 and parts[-3] == ".github" and parts[-2] == "workflows"
        return "workflow" if in_workflows and parts[-1].endswith((".yml", ".yaml")) else None

    def may_sniff(self, path: str) -> bool:
        return path.rsplit("/", 1)[-1] in ACTION_NAMES

    def sniff(self, path: str, text: str) -> str | None:
        return "action" if _RUNS.search(text) else None

    def parse(self, path: str, text: str, kind: str) -> Parsed:
        # imported here: the registry imports every platform to claim files by name
        from soc2lint.platforms.github_actions.advisories import with_commented_versions
        from soc2lint.platforms.github_actions.documents import parse as parse_documents
        from soc2lint.platforms.shared.yamlsrc import load_documents

        docs, errors = load_documents(path, text)
        if kind == "action" and not is_composite_action(path, docs):
            return Parsed(None)
        resources, more = parse_documents(path, docs)
        resources = with_commented_versions(resources, text)
        return Parsed(self.name, resources, errors + more)

    def assemble(self, asm, mine) -> None:  # type: ignore[no-untyped-def]
        """Configuration the parse could not see: inputs that `github_actions: code_inputs:`
        names as code are sinks for SOC2-GHA-005 too (the parse recorded what each input would
        inject); `github_actions: approved:` decides each action and image for SOC2-GHA-024."""
        settings = getattr(asm.options, "github_actions", None) or {}
        extra = settings.get("code_inputs") or {}
        approved = settings.get("approved")
        if not extra and approved is None:
            return
        from soc2lint.platforms.github_actions.approved import with_approvals
        from soc2lint.platforms.github_actions.sinks import (
            configured_input_location,
            with_configured_sinks,
        )

        for i, res in enumerate(asm.resources):
            if res.platform != self.rule_platform:
                continue
            attrs, locs = res.attributes, dict(res.attribute_locations)
            if extra and res.type == "github_step":
                configured = with_configured_sinks(attrs, extra)
                if configured is not None:
                    where = configured_input_location(attrs, extra)
                    if where in locs and not attrs.get("attacker_controlled"):
                        locs["attacker_controlled"] = locs[where]
                    attrs = configured
            if approved is not None and res.type in ("github_step", "github_job"):
                attrs = with_approvals(res.type, attrs, approved)
                if "uses_approved" in attrs and "uses" in locs:
                    locs["uses_approved"] = locs["uses"]
            if attrs is not res.attributes:
                asm.resources[i] = dataclasses.replace(
                    res, attributes=attrs, attribute_locations=locs
                )

    def link(self, graph, resources) -> None:  # type: ignore[no-untyped-def]
        if not any(r.platform == self.rule_platform for r in resources):
            return
        from soc2lint.platforms.shared import ci_linker

        ci_linker.link(graph, resources, self.rule_platform)


PLATFORM = GitHubActions()
