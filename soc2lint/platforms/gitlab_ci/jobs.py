"""A job -> a `gitlab_job`: `extends:`, `default:` and `!reference` resolved, values located."""

from __future__ import annotations

from typing import Any

from soc2lint.model import Location, Resource, Unknown
from soc2lint.platforms.gitlab_ci.config import Config, Source, extended, under
from soc2lint.platforms.gitlab_ci.forks import fork_exposure
from soc2lint.platforms.gitlab_ci.pipeline import resource
from soc2lint.platforms.gitlab_ci.protection import (
    environment_protection,
    protected_only,
    starts_manually,
)
from soc2lint.platforms.gitlab_ci.references import dereference, dereference_variables
from soc2lint.platforms.gitlab_ci.variables import (
    debug_trace,
    expand,
    literal,
    truthy,
    variable_values,
)
from soc2lint.platforms.shared.ci_common import (
    as_list,
    as_map,
    image_pinned,
    secret_literals,
    set_list_locations,
)

# keywords a job takes from `default:` when it does not set them itself
_DEFAULTS = "image services before_script after_script cache artifacts tags timeout retry"
DEFAULT_KEYS = (*_DEFAULTS.split(), "interruptible", "hooks", "id_tokens")
TOP_LEVEL_DEFAULTS = ("image", "services", "before_script", "after_script", "cache")
REFERENCE_KEYS = ("script", "before_script", "after_script", "rules")


def job_resource(config: Config, owner: Source, name: str) -> tuple[Resource, str]:
    """The job's `gitlab_job`, and a problem resolving its `extends:` ("" when none)."""
    job, locs, unresolved, problem = extended(config, name)
    attrs = dict(job)
    attrs["name"] = name
    inherit = as_map(job.get("inherit"))
    default, default_locs, _at = config.get("default")
    default = as_map(default)
    for key in DEFAULT_KEYS:
        if key in job:
            continue
        if _inherits(inherit.get("default", True), key) and key in default:
            attrs[key] = default[key]
            _graft(locs, under(default_locs, key), default_locs.get(key), key)
        elif key in TOP_LEVEL_DEFAULTS and config.has(key):
            attrs[key], value_locs, at = config.get(key)
            _graft(locs, value_locs, at, key)
    for key in REFERENCE_KEYS:
        if key in attrs:
            attrs[key], sub = dereference(attrs[key], under(locs, key), locs.get(key), config)
            _replace(locs, key, sub)
    variables = {}
    if _inherits(inherit.get("variables", True), None):
        value, value_locs, at = config.get("variables")
        variables.update(variable_values(value))
        _graft(locs, value_locs, at, "variables", keep=True)
    own_raw, block_locs = dereference_variables(job.get("variables"), config)
    if block_locs is not None:  # `variables: !reference [...]`: located where that block is
        locs.update({f"variables.{p}": v for p, v in block_locs.items()})
    own = variable_values(own_raw)
    variables.update(own)
    attrs["variables"] = variables
    attrs["stage"] = job.get("stage", "test")
    if "needs" in job:
        attrs["needs"] = _needs(job["needs"])
    env = job.get("environment")
    if env is not None:
        # here: a scan with no GitLab pipeline (the GitHub Actions parser imports this module)
        # does not load the environment linker
        from soc2lint.platforms.gitlab_ci.environments import deployment_tier

        attrs["environment_name"] = env.get("name") if isinstance(env, dict) else env
        attrs["environment_tier"] = deployment_tier(env)
    attrs["extends_unresolved"] = unresolved
    _image(attrs, locs, variables, unresolved)
    attrs["services"] = _services(attrs.get("services"), variables, locs)
    attrs["failure_allowed"] = _failure_allowed(attrs)
    rules = as_list(attrs.get("rules"))
    keys = ["allow_failure"] + [f"rules.{i}.allow_failure" for i in range(len(rules))]
    where = next((locs[k] for k in keys if k in locs), None)
    if where is not None:
        locs["failure_allowed"] = where
    workflow = config.get("workflow")[0]
    attrs["protected_refs_only"] = protected_only(attrs, workflow)
    attrs["fork_mr_credentials"] = fork_exposure(attrs, workflow, set(variables))
    for key in ("rules", "only"):
        if key in locs:
            locs["protected_refs_only"] = locs[key]
            locs["fork_mr_credentials"] = locs[key]
            break
    attrs["manual"] = starts_manually(attrs)
    rules_manual = [f"rules.{i}.when" for i, r in enumerate(rules) if as_map(r).get("when")]
    where = next((locs[k] for k in ["when", *rules_manual] if k in locs), None)
    if where is not None:
        locs["manual"] = where
    if env is not None:
        attrs["environment_protected"] = environment_protection(attrs.get("environment_name"))
        if "environment" in locs:
            locs["environment_protected"] = locs["environment"]
    # a job's variables reach its service containers: a throwaway database's placeholder is fine
    throwaway = bool(attrs["services"])
    found = secret_literals(own, "variables", literal, throwaway)
    set_list_locations(attrs, locs, "literal_secrets", found)
    debug_trace(attrs, locs, own)
    start, end = owner.doc.span(name)
    loc = Location(owner.path, start, end)
    return resource(f"{owner.path}:{name}", "gitlab_job", attrs, loc, locs), problem


def _inherits(setting: Any, key: str | None) -> bool:
    if isinstance(setting, list):
        return key in setting
    return setting is not False


def _graft(
    locs: dict, sub: dict[str, Location], at: Location | None, key: str, keep: bool = False
) -> None:
    """Locate key, and what is under it, where the inherited value is written."""
    moved = {f"{key}.{p}": loc for p, loc in sub.items()}
    if at is not None:
        moved[key] = at
    for target, loc in moved.items():
        if not keep or target not in locs:
            locs[target] = loc


def _replace(locs: dict[str, Location], key: str, sub: dict[str, Location]) -> None:
    """Put sub (relative to key) in place of the locations under key."""
    for p in [p for p in locs if p.startswith(key + ".")]:
        del locs[p]
    locs.update({f"{key}.{p}": v for p, v in sub.items()})


def _needs(raw: Any) -> list[str]:
    items = raw if isinstance(raw, list) else [raw]
    out = []
    for item in items:
        if isinstance(item, dict) and "job" in item and "project" not in item:
            out.append(str(item["job"]))
        elif isinstance(item, str):
            out.append(item)
    return out


def _image(attrs: dict, locs: dict, variables: dict, unresolved: list[str]) -> None:
    image = attrs.get("image")
    name = image.get("name") if isinstance(image, dict) else image
    if name is None:
        if unresolved:
            attrs["image_pinned"] = Unknown(
                f"the image may come from {unresolved[0]} (not in this pipeline's files)"
            )
        return
    expanded = expand(str(name), variables)
    attrs["image_name"] = expanded
    attrs["image_pinned"] = expanded if isinstance(expanded, Unknown) else image_pinned(expanded)
    where = locs.get("image.name") or locs.get("image")
    if where is not None:
        locs["image_name"] = locs["image_pinned"] = where


def _services(raw: Any, variables: dict, locs: dict) -> list[dict[str, Any]]:
    out = []
    for i, item in enumerate(raw if isinstance(raw, list) else []):
        svc = dict(item) if isinstance(item, dict) else {"name": item}
        expanded = expand(str(svc.get("name", "")), variables)
        svc["pinned"] = expanded if isinstance(expanded, Unknown) else bool(image_pinned(expanded))
        where = locs.get(f"services.{i}.name") or locs.get(f"services.{i}")
        if where is not None:
            locs[f"services.{i}.pinned"] = where
        out.append(svc)
    return out


def _failure_allowed(job: dict) -> Any:
    """allow_failure on the job or in any of its rules; exit_codes make it a question."""
    values = [job.get("allow_failure")]
    rules = as_list(job.get("rules"))
    values += [r.get("allow_failure") for r in rules if isinstance(r, dict)]
    if any(truthy(v) for v in values):
        return True
    if any(isinstance(v, dict) for v in values):
        return Unknown("failure is allowed for some exit codes; check they hide no findings")
    return False
