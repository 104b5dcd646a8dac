"""GitHub Actions workflows and composite actions -> Resources.

A workflow file becomes a `github_workflow` (address: the path), one `github_job` per job
(`<path>:jobs.<id>`) and one `github_step` per step (`<path>:jobs.<id>.steps[<key>]`). An
`action.yml` with `runs:` becomes a `github_action` and its steps (`<path>:runs.steps[<key>]`).
A step's key is its `id:`, else the action it uses (without the ref), else its `name:`, else the
first command of its script; a repeated key gets `#2`, `#3`, ... in file order. Keys do not move
when a step is inserted above, so baselines and suppressions keep matching.

Attributes are the YAML as written plus derived values that keep rules to simple predicates
(`triggers`, `effective_permissions`, `runs_on`, `uses_pinned`, `attacker_controlled`,
`untrusted_checkout`, `deploys`, ...); each derived value is located where the value it comes from
is written. Values known only when the workflow runs (an expression, the repository's default
token permissions) are Unknown.
"""

from __future__ import annotations

from soc2lint.model import ParseError, Resource
from soc2lint.platforms.github_actions.addresses import step_keys, uses_info
from soc2lint.platforms.github_actions.resources import (
    action_resources,
    steps_errors,
    workflow_resources,
)
from soc2lint.platforms.github_actions.triggers import triggers_of
from soc2lint.platforms.shared.yamlsrc import YamlDoc

__all__ = ["parse", "step_keys", "triggers_of", "uses_info"]


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
