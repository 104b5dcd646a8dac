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

from soc2lint.platforms.shared.lazy import lazy_names

# the package's names, imported on first use: the platform registry imports every platform
# (to claim files by name), and a scan without workflows should not load the whole parser
_LAZY = {
    "parse": "soc2lint.platforms.github_actions.documents",
    "step_keys": "soc2lint.platforms.github_actions.addresses",
    "uses_info": "soc2lint.platforms.github_actions.addresses",
    "triggers_of": "soc2lint.platforms.github_actions.triggers",
}
__getattr__ = lazy_names(__name__, _LAZY)

__all__ = ["parse", "step_keys", "triggers_of", "uses_info"]
