"""Workflow, job, composite action and step resources, each derived value located."""

from __future__ import annotations

from typing import Any

from soc2lint.engine.linear_regex import compile_linear
from soc2lint.model import Location, ParseError, Platform, Resource, Unknown
from soc2lint.platforms.github_actions.addresses import step_keys, uses_info
from soc2lint.platforms.github_actions.advisories import known_vulnerabilities
from soc2lint.platforms.github_actions.audits import (
    deployment_environment,
    env_file_writes,
    falling_ternaries,
    long_lived_publish_tokens,
    overprovisioned_secrets,
    publishes,
    restores_cache,
    secrets_read,
    spoofable_bot_check,
    unsound_condition,
)
from soc2lint.platforms.github_actions.checkout import exposures, untrusted_checkout
from soc2lint.platforms.github_actions.deploys import deploys
from soc2lint.platforms.github_actions.runners import job_images, runner_labels, self_hosted
from soc2lint.platforms.github_actions.sinks import code_inputs
from soc2lint.platforms.github_actions.triggers import triggers_of, writes_all
from soc2lint.platforms.shared.ci_common import (
    as_list,
    as_map,
    ci_resource,
    credential_shaped,
    image_pinned,
    secret_literals,
    set_list_locations,
)
from soc2lint.platforms.shared.ci_expressions import (
    attacker_controlled,
    contexts_in,
    flowing_in,
    input_classes,
    is_expression,
    matrix_values,
)
from soc2lint.platforms.shared.yamlsrc import YamlDoc

UNSECURE_IN_SCRIPT = compile_linear(
    r"(?i)ACTIONS_ALLOW_UNSECURE_COMMANDS\s*=\s*[\"']?(true|1)\b[^\n]*>>\s*[\"']?\$\{?GITHUB_ENV"
)


def workflow_resources(path: str, doc: YamlDoc) -> tuple[list[Resource], list[ParseError]]:
    """The workflow, its jobs and their steps."""
    data = doc.data
    errors: list[ParseError] = []
    locs = doc.located(path, "")
    triggers = triggers_of(data.get("on"))
    jobs = data.get("jobs")
    if not isinstance(jobs, dict):
        errors.append(ParseError(path, doc.start_line, "workflow has no jobs mapping"))
        jobs = {}
    attrs = dict(data)
    attrs["triggers"] = triggers
    _alias(locs, "on", "triggers")
    perms = data.get("permissions")
    if perms == "write-all":
        attrs["write_scopes"] = ["write-all"]
    else:
        writes = [k for k, v in perms.items() if v == "write"] if isinstance(perms, dict) else []
        attrs["write_scopes"] = sorted(writes)
    _alias(locs, "permissions", "write_scopes")
    attrs["jobs_without_permissions"] = sorted(
        str(j) for j, v in jobs.items() if isinstance(v, dict) and "permissions" not in v
    )
    set_list_locations(
        attrs, locs, "literal_secrets", secret_literals(data.get("env"), "env", _literal)
    )
    _unsecure_commands(attrs, locs)
    set_list_locations(attrs, locs, "falling_ternaries", falling_ternaries(data, ("jobs",)))
    start, end = doc.start_line, doc.end_line
    out = [_resource(path, "github_workflow", attrs, Location(path, start, end), locs)]
    inputs = input_classes(data.get("on"), triggers)
    for job_id, job in jobs.items():
        if not isinstance(job, dict):
            line = doc.locations.get(f"jobs.{job_id}", (start, 1))[0]
            errors.append(ParseError(path, line, f"job {job_id} is not a mapping"))
            continue
        errors.extend(steps_errors(path, doc, f"jobs.{job_id}.steps", job.get("steps")))
        out.extend(_job(path, doc, str(job_id), job, triggers, inputs))
    return out, errors


def steps_errors(path: str, doc: YamlDoc, where: str, steps: object) -> list[ParseError]:
    """A steps value of the wrong shape: step rules would see no step and pass."""
    if steps is None:
        return []
    if not isinstance(steps, list):
        line = doc.locations.get(where, (doc.start_line, 1))[0]
        return [ParseError(path, line, f"{where} must be a list of steps")]
    return [
        ParseError(
            path,
            doc.locations.get(f"{where}.{i}", (doc.start_line, 1))[0],
            f"{where}[{i}] must be a step mapping",
        )
        for i, step in enumerate(steps)
        if not isinstance(step, dict)
    ]


def _job(
    path: str, doc: YamlDoc, job_id: str, job: dict, triggers: list[str], inputs: dict
) -> list[Resource]:
    data = doc.data
    prefix = f"jobs.{job_id}"
    locs = doc.located(path, prefix)
    at = doc.locations.get("permissions")
    workflow_loc = Location(path, at[0], at[0]) if at else None
    attrs = dict(job)
    attrs.update(job_id=job_id, workflow_triggers=triggers)
    if "permissions" in data:
        attrs["workflow_permissions"] = data["permissions"]
        _place(locs, "workflow_permissions", workflow_loc)
    if "permissions" in job:
        attrs["effective_permissions"] = job["permissions"]
        attrs["write_all"] = writes_all(job["permissions"])
        _alias(locs, "permissions", "effective_permissions")
        _alias(locs, "permissions", "write_all")
    elif "permissions" in data:
        attrs["effective_permissions"] = data["permissions"]
        _place(locs, "effective_permissions", workflow_loc)
    else:
        attrs["effective_permissions"] = Unknown(
            "no permissions are declared: the token gets the repository's default permissions"
        )
    if "runs-on" in job:
        attrs["runs_on"] = runner_labels(job)
        attrs["self_hosted"] = self_hosted(attrs["runs_on"], job.get("runs-on"))
        _alias(locs, "runs-on", "runs_on")
        _alias(locs, "runs-on", "self_hosted")
    needs = job.get("needs")
    if needs is not None:
        attrs["needs"] = [str(n) for n in (needs if isinstance(needs, list) else [needs])]
    _uses(attrs, locs, job.get("uses"))
    container = as_map(job.get("container"))
    services = as_map(job.get("services"))
    found = secret_literals(job.get("env"), "env", _literal)
    found += secret_literals(job.get("with"), "with", _literal)
    found += secret_literals(job.get("secrets"), "secrets", _literal)
    found += secret_literals(container.get("env"), "container.env", _literal)
    found += secret_literals(container.get("credentials"), "container.credentials", _literal)
    for name, svc in services.items():
        if isinstance(svc, dict):
            # a service container's database lives only as long as the job: placeholders are fine
            where = f"services.{name}"
            found += secret_literals(svc.get("env"), f"{where}.env", _literal, True)
            found += secret_literals(svc.get("credentials"), f"{where}.credentials", _literal)
    set_list_locations(attrs, locs, "literal_secrets", found)
    paths, steps = flatten_steps(as_list(job.get("steps")), f"{prefix}.steps")
    images = job_images(container, services, job.get("container"), job)
    for where, step in zip(paths, steps, strict=True):
        info = uses_info(step.get("uses")) if isinstance(step, dict) else {}
        if info.get("uses_kind") == "docker":  # a docker:// step is an image like the others
            image = info["uses_name"]
            relative = f"{where[len(prefix) + 1 :]}.uses"
            images.append({"path": relative, "image": image, "pinned": image_pinned(image)})
    attrs["images"] = images
    for i, image in enumerate(images):
        if image["path"] in locs:
            locs[f"images.{i}"] = locs[image["path"]]
    _unsecure_commands(attrs, locs)
    keys = step_keys(steps)
    attrs["deploys"] = deploys(job_id, job, steps, keys)
    attrs["spoofable_bot_check"] = spoofable_bot_check(job.get("if"), triggers)
    _alias(locs, "if", "spoofable_bot_check")
    attrs["unsound_condition"] = unsound_condition(job.get("if"))
    _alias(locs, "if", "unsound_condition")
    set_list_locations(attrs, locs, "overprovisioned_secrets", overprovisioned_secrets(job))
    set_list_locations(attrs, locs, "falling_ternaries", falling_ternaries(job))
    _release_caches(attrs, locs, data.get("on"), triggers, steps, keys, paths, prefix)
    _secrets_outside_environment(attrs, locs, job)
    start, end = doc.span(prefix)
    address = f"{path}:jobs.{job_id}"
    out = [_resource(address, "github_job", attrs, Location(path, start, end), locs)]
    env_chain = [data.get("env"), job.get("env")]
    context = {
        "job_id": job_id,
        "triggers": triggers,
        "inputs": inputs,
        "env": env_chain,
        "matrix": matrix_values(job.get("strategy")),
    }
    for n, step in enumerate(steps):
        if isinstance(step, dict):
            step_address = f"{address}.steps[{keys[n]}]"
            out.append(_step(path, doc, paths[n], step_address, n, steps, keys, context))
    return out


def _release_caches(
    attrs: dict,
    locs: dict,
    on: Any,
    triggers: list,
    steps: list,
    keys: list,
    paths: list,
    prefix: str,
) -> None:
    """Caches restored in a job that publishes: what other runs wrote goes into the release."""
    why = publishes(on, triggers, steps, attrs["deploys"])
    found: list[Any] = []
    where = []
    for n, step in enumerate(steps):
        if not why or not isinstance(step, dict):
            continue
        verdict = restores_cache(step)
        if verdict is False:
            continue
        name = uses_info(step.get("uses")).get("uses_name")
        found.append(
            f"steps[{keys[n]}] restores a cache with {name}; the job {why}"
            if verdict is True
            else verdict
        )
        where.append(f"{paths[n][len(prefix) + 1 :]}.uses")
    known = [f for f in found if isinstance(f, str)]
    attrs["release_caches"] = known or (found[0] if found else [])
    if where and where[0] in locs:
        locs["release_caches"] = locs[where[0]]


def _secrets_outside_environment(attrs: dict, locs: dict, job: dict) -> None:
    """Secrets a job without a deployment environment reads (in any of its steps); with an
    `environment:` expression that can give none, the same at that line; Unknown where the
    expression's value is not in the workflow."""
    present = deployment_environment(job.get("environment"))
    found = [] if present is True else secrets_read(job)
    names = sorted({name for name, _p in found})
    attrs["secrets_outside_environment"] = names
    if not found:
        return
    if isinstance(present, Unknown):
        attrs["secrets_outside_environment"] = present
    elif isinstance(present, str):  # an expression that gives no environment on some runs
        attrs["secrets_outside_environment"] = [f"{n} when {present}" for n in names]
    if present is not False:
        _alias(locs, "environment", "secrets_outside_environment")
    elif found[0][1] in locs:
        locs["secrets_outside_environment"] = locs[found[0][1]]


def flatten_steps(steps: list, base: str) -> tuple[list[str], list[Any]]:
    """The job's steps in order, with the steps of a `parallel:` group in its place; each with
    the YAML path it is written at."""
    paths: list[str] = []
    out: list[Any] = []
    for n, step in enumerate(steps):
        group = step.get("parallel") if isinstance(step, dict) else None
        if isinstance(group, list):
            for m, inner in enumerate(group):
                paths.append(f"{base}.{n}.parallel.{m}")
                out.append(inner)
        else:
            paths.append(f"{base}.{n}")
            out.append(step)
    return paths, out


def action_resources(path: str, doc: YamlDoc) -> list[Resource]:
    """A composite action and its steps."""
    data = doc.data
    locs = doc.located(path, "")
    attrs = dict(data)
    runs = data["runs"]
    attrs["runs_using"] = runs.get("using")
    set_list_locations(attrs, locs, "falling_ternaries", falling_ternaries(data, ("runs",)))
    out = [
        _resource(path, "github_action", attrs, Location(path, doc.start_line, doc.end_line), locs)
    ]
    paths, steps = flatten_steps(as_list(runs.get("steps")), "runs.steps")
    keys = step_keys(steps)
    context = {"job_id": "", "triggers": [], "inputs": {"*": "caller"}, "env": [], "matrix": {}}
    for n, step in enumerate(steps):
        if isinstance(step, dict):
            address = f"{path}:runs.steps[{keys[n]}]"
            out.append(_step(path, doc, paths[n], address, n, steps, keys, context))
    return out


def _step(
    path: str,
    doc: YamlDoc,
    prefix: str,
    address: str,
    n: int,
    steps: list,
    keys: list[str],
    context: dict,
) -> Resource:
    step = steps[n]
    locs = doc.located(path, prefix)
    attrs = dict(step)
    triggers = context["triggers"]
    attrs.update(
        job_id=context["job_id"], step_index=n, step_key=keys[n], workflow_triggers=triggers
    )
    _uses(attrs, locs, step.get("uses"))
    with_ = as_map(step.get("with"))
    attrs["run_contexts"] = contexts_in(step.get("run"))
    _alias(locs, "run", "run_contexts")
    # inputs the action runs as code (actions/github-script's script, a yq cmd, ...)
    sinks = code_inputs(attrs.get("uses_name"))
    code = [str(k) for k, v in with_.items() if str(k).lower() in sinks and is_expression(v)]
    script = with_.get("script") if attrs.get("uses_name") == "actions/github-script" else None
    attrs["script_contexts"] = contexts_in(script)
    _alias(locs, "with.script", "script_contexts")
    env = {}
    for layer in [*context["env"], step.get("env")]:
        if isinstance(layer, dict):
            env.update({str(k).lower(): v for k, v in layer.items()})
    flowing = flowing_in(step.get("run"))
    where = "run" if flowing else ""
    for key in code:
        more = flowing_in(with_[key])
        where = where or (f"with.{key}" if more else "")
        flowing += more
    attrs["attacker_controlled"] = attacker_controlled(
        flowing, env, context["inputs"], context["matrix"]
    )
    _alias(locs, where or "run", "attacker_controlled")
    # what every other expression input would inject, should configuration name it a sink
    attrs["input_injections"] = {
        str(k).lower(): attacker_controlled(
            flowing_in(v), env, context["inputs"], context["matrix"]
        )
        for k, v in with_.items()
        if str(k).lower() not in sinks and is_expression(v)
    }
    for k in with_:
        _alias(locs, f"with.{k}", f"input_injections.{str(k).lower()}")
    attrs["env_file_writes"] = env_file_writes(
        step.get("run"), env, context["inputs"], context["matrix"], triggers
    )
    _alias(locs, "run", "env_file_writes")
    attrs["spoofable_bot_check"] = spoofable_bot_check(step.get("if"), triggers)
    attrs["unsound_condition"] = unsound_condition(step.get("if"))
    _alias(locs, "if", "unsound_condition")
    _alias(locs, "if", "spoofable_bot_check")
    set_list_locations(attrs, locs, "overprovisioned_secrets", overprovisioned_secrets(step))
    set_list_locations(attrs, locs, "falling_ternaries", falling_ternaries(step, ("if",)))
    attrs["long_lived_publish_tokens"] = long_lived_publish_tokens(step, env)
    _alias(locs, "with.password" if "password" in with_ else "run", "long_lived_publish_tokens")
    if attrs.get("uses_name") == "actions/checkout":
        attrs["persist_credentials"] = _known(
            with_.get("persist-credentials", True), "persist-credentials"
        )
        source = "with.persist-credentials" if "persist-credentials" in with_ else "uses"
        _alias(locs, source, "persist_credentials")
        attrs["credentials_exposed_by"] = exposures(steps, keys, n, triggers)
        _alias(locs, "uses", "credentials_exposed_by")
    untrusted_checkout(attrs, locs, step, with_, env)
    found = secret_literals(step.get("env"), "env", _literal)
    found += secret_literals(with_, "with", _literal)
    if isinstance(step.get("run"), str) and credential_shaped(step["run"]):
        found.append("run")
    set_list_locations(attrs, locs, "literal_secrets", found)
    _unsecure_commands(attrs, locs)
    start, end = doc.span(prefix)
    return _resource(address, "github_step", attrs, Location(path, start, end), locs)


def _literal(value: Any) -> bool:
    return not is_expression(value)


def _known(value: Any, what: str) -> Any:
    if is_expression(value):
        return Unknown(f"{what} is set by an expression, known only when the workflow runs")
    return value


def _uses(attrs: dict[str, Any], locs: dict[str, Location], uses: Any) -> None:
    for key, value in uses_info(uses).items():
        attrs[key] = value
        _alias(locs, "uses", key)
    if attrs.get("uses_kind") == "action":
        attrs["known_vulnerabilities"] = known_vulnerabilities(
            attrs["uses_name"], attrs["uses_ref"]
        )
        _alias(locs, "uses", "known_vulnerabilities")


def _unsecure_commands(attrs: dict[str, Any], locs: dict[str, Location]) -> None:
    env = as_map(attrs.get("env"))
    if "ACTIONS_ALLOW_UNSECURE_COMMANDS" in env:
        attrs["allows_unsecure_commands"] = _known(
            env["ACTIONS_ALLOW_UNSECURE_COMMANDS"], "ACTIONS_ALLOW_UNSECURE_COMMANDS"
        )
        _alias(locs, "env.ACTIONS_ALLOW_UNSECURE_COMMANDS", "allows_unsecure_commands")
    run = attrs.get("run")
    if isinstance(run, str) and UNSECURE_IN_SCRIPT.search(run):
        # written to $GITHUB_ENV, it is switched on for every later step of the job
        attrs["allows_unsecure_commands"] = True
        _alias(locs, "run", "allows_unsecure_commands")


def _alias(locs: dict[str, Location], source: str, target: str) -> None:
    if source in locs:
        locs[target] = locs[source]


def _place(locs: dict[str, Location], target: str, loc: Location | None) -> None:
    if loc is not None:
        locs[target] = loc


def _resource(
    address: str, rtype: str, attrs: dict, loc: Location, locs: dict[str, Location]
) -> Resource:
    return ci_resource(Platform.GITHUB_ACTIONS.value, address, rtype, attrs, loc, locs)
