"""A workflow or composite action file's documents -> its resources and parse errors."""

from __future__ import annotations

from soc2lint.model import ParseError, Resource
from soc2lint.platforms.github_actions.resources import (
    action_resources,
    steps_errors,
    workflow_resources,
)
from soc2lint.platforms.shared.yamlsrc import YamlDoc


def parse(path: str, docs: list[YamlDoc]) -> tuple[list[Resource], list[ParseError]]:
    """A workflow (or composite action) file's resources."""
    doc = next((d for d in docs if isinstance(d.data, dict)), None)
    if doc is None:  # no documents: the YAML error, if any, is already reported
        return [], [
            ParseError(path, d.start_line, "a workflow must be a mapping") for d in docs[:1]
        ]
    if path.rsplit("/", 1)[-1] in ("action.yml", "action.yaml") and isinstance(
        doc.data.get("runs"), dict
    ):
        return action_resources(path, doc), steps_errors(
            path, doc, "runs.steps", doc.data["runs"].get("steps")
        )
    return workflow_resources(path, doc)
