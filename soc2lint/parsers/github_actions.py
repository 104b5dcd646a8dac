"""GitHub Actions workflows and composite actions -> Resources.

A workflow file becomes a `github_workflow` (address: the path), one `github_job` per job
(`<path>:jobs.<id>`) and one `github_step` per step (`<path>:jobs.<id>.steps[<n>]`). An
`action.yml` with `runs:` becomes a `github_action` and its steps (`<path>:runs.steps[<n>]`).
Attributes are the YAML as written plus derived values that keep rules to simple predicates
(`triggers`, `effective_permissions`, `runs_on`, `uses_pinned`, `attacker_controlled`, ...);
each derived value is located where the value it comes from is written. Values known only when
the workflow runs (an expression, the repository's default token permissions) are Unknown.
"""

from __future__ import annotations

import re
from typing import Any

from soc2lint.model import Location, ParseError, Platform, Resource, Unknown
from soc2lint.parsers.ci_common import ci_resource
from soc2lint.parsers.ci_expressions import (
    attacker_controlled,
    contexts_in,
    flowing_in,
    input_classes,
    is_expression,
)
from soc2lint.parsers.kubernetes import _locations
from soc2lint.parsers.yamlsrc import YamlDoc

SHA_RE = re.compile(r"^[0-9a-fA-F]{40}$")
HOSTED_LABEL = re.compile(r"^(ubuntu|windows|macos)-[A-Za-z0-9._-]+$", re.I)
SECRET_NAME = re.compile(
    r"(?i)(passw(or)?d|passwd|secret|token|api[_-]?key|private[_-]?key|access[_-]?key|"
    r"credentials?)([_-]|$)"
)
NOT_SECRET_NAME = re.compile(
    r"(?i)[_-](url|uri|file|path|name|user|username|id|endpoint|header|type|length|expiry|"
    r"expires|ttl|enabled|required|scopes?|permissions)$"
)
NOT_SECRET_VALUE = {"true", "false", "yes", "no", "on", "off", "none", "null", "read", "write"}
UPLOADERS = {"actions/upload-artifact", "actions/upload-pages-artifact"}
PR_TRIGGERS = ("pull_request", "pull_request_target", "workflow_run")


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
        return _action(path, doc), []
    return _workflow(path, doc)


def triggers_of(on: Any) -> list[str]:
    """The event names of an `on:` value, whatever its shape (string, list or mapping)."""
    if isinstance(on, str):
        names = [on]
    elif isinstance(on, list):
        names = [str(e) for e in on if isinstance(e, (str, int))]
    elif isinstance(on, dict):
        names = [str(k) for k in on]
    else:
        names = []
    return sorted(set(names))


def uses_info(uses: Any) -> dict[str, Any]:
    """uses_kind (local/docker/action/reusable), uses_name, uses_ref and uses_pinned."""
    if not isinstance(uses, str) or not uses.strip():
        return {}
    text = uses.strip()
    if text.startswith("./") or text.startswith("../"):
        return {"uses_kind": "local", "uses_name": text, "uses_ref": "", "uses_pinned": True}
    if text.startswith("docker://"):
        image = text[len("docker://") :]
        return {
            "uses_kind": "docker",
            "uses_name": image,
            "uses_ref": image.partition("@")[2],
            "uses_pinned": "@sha256:" in image,
        }
    name, _, ref = text.partition("@")
    kind = "reusable" if "/.github/workflows/" in name else "action"
    return {
        "uses_kind": kind,
        "uses_name": name.lower(),
        "uses_ref": ref,
        "uses_pinned": bool(SHA_RE.match(ref)),
    }


def image_pinned(image: Any) -> bool | None:
    """A container image reference pinned by digest or by a tag other than latest."""
    if not isinstance(image, str) or not image.strip():
        return None
    if "@sha256:" in image:
        return True
    last = image.strip().rsplit("/", 1)[-1]
    _, sep, tag = last.partition(":")
    return bool(sep) and tag not in ("", "latest")


def secret_literals(mapping: Any, where: str, literal: Any) -> list[str]:
    """Paths `where.<name>` of entries whose name looks secret and whose value is literal."""
    if not isinstance(mapping, dict):
        return []
    out = []
    for name, value in mapping.items():
        if not SECRET_NAME.search(str(name)) or NOT_SECRET_NAME.search(str(name)):
            continue
        if isinstance(value, bool) or value is None or not literal(value):
            continue
        if str(value).strip().lower() in NOT_SECRET_VALUE or not str(value).strip():
            continue
        out.append(f"{where}.{name}" if where else str(name))
    return out


def set_list_locations(
    attributes: dict[str, Any], locs: dict[str, Location], name: str, paths: list[str]
) -> None:
    """attributes[name] = paths, each element located where its path is written."""
    attributes[name] = paths
    for i, p in enumerate(paths):
        if p in locs:
            locs[f"{name}.{i}"] = locs[p]
    if paths and paths[0] in locs:
        locs[name] = locs[paths[0]]


def span(doc: YamlDoc, prefix: str) -> tuple[int, int]:
    """(first, last) line of the part of doc under the dotted prefix."""
    start = doc.locations.get(prefix, (doc.start_line, 1))[0]
    lines = [ln for key, (ln, _c) in doc.locations.items() if key.startswith(prefix + ".")]
    return start, max([start, *lines])


def as_map(value: Any) -> dict:
    """value when it is a mapping, else an empty one (YAML may hold anything anywhere)."""
    return value if isinstance(value, dict) else {}


def as_list(value: Any) -> list:
    """value when it is a list, else an empty one."""
    return value if isinstance(value, list) else []


def _literal(value: Any) -> bool:
    return not is_expression(value)


def _known(value: Any, what: str) -> Any:
    if is_expression(value):
        return Unknown(f"{what} is set by an expression, known only when the workflow runs")
    return value


def _workflow(path: str, doc: YamlDoc) -> tuple[list[Resource], list[ParseError]]:
    data = doc.data
    errors: list[ParseError] = []
    locs = _locations(path, doc, "")
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
    start, end = doc.start_line, doc.end_line
    out = [_resource(path, "github_workflow", attrs, Location(path, start, end), locs)]
    inputs = input_classes(data.get("on"), triggers)
    for job_id, job in jobs.items():
        if not isinstance(job, dict):
            line = doc.locations.get(f"jobs.{job_id}", (start, 1))[0]
            errors.append(ParseError(path, line, f"job {job_id} is not a mapping"))
            continue
        out.extend(_job(path, doc, str(job_id), job, triggers, inputs))
    return out, errors


def _job(
    path: str, doc: YamlDoc, job_id: str, job: dict, triggers: list[str], inputs: dict
) -> list[Resource]:
    data = doc.data
    prefix = f"jobs.{job_id}"
    locs = _locations(path, doc, prefix)
    at = doc.locations.get("permissions")
    workflow_loc = Location(path, at[0], at[0]) if at else None
    attrs = dict(job)
    attrs.update(job_id=job_id, workflow_triggers=triggers)
    if "permissions" in data:
        attrs["workflow_permissions"] = data["permissions"]
        _place(locs, "workflow_permissions", workflow_loc)
    if "permissions" in job:
        attrs["effective_permissions"] = job["permissions"]
        _alias(locs, "permissions", "effective_permissions")
    elif "permissions" in data:
        attrs["effective_permissions"] = data["permissions"]
        _place(locs, "effective_permissions", workflow_loc)
    else:
        attrs["effective_permissions"] = Unknown(
            "no permissions are declared: the token gets the repository's default permissions"
        )
    if "runs-on" in job:
        attrs["runs_on"] = _runs_on(job)
        attrs["self_hosted"] = _self_hosted(attrs["runs_on"], job.get("runs-on"))
        _alias(locs, "runs-on", "runs_on")
        _alias(locs, "runs-on", "self_hosted")
    needs = job.get("needs")
    if needs is not None:
        attrs["needs"] = [str(n) for n in (needs if isinstance(needs, list) else [needs])]
    _uses(attrs, locs, job.get("uses"))
    container = as_map(job.get("container"))
    services = as_map(job.get("services"))
    places = [(job.get(k), k) for k in ("env", "with", "secrets")]
    places += [(container.get(k), f"container.{k}") for k in ("env", "credentials")]
    for name, svc in services.items():
        if isinstance(svc, dict):
            places += [(svc.get(k), f"services.{name}.{k}") for k in ("env", "credentials")]
    found = [p for mapping, where in places for p in secret_literals(mapping, where, _literal)]
    set_list_locations(attrs, locs, "literal_secrets", found)
    images = _job_images(container, services, job.get("container"))
    attrs["images"] = images
    for i, image in enumerate(images):
        if image["path"] in locs:
            locs[f"images.{i}"] = locs[image["path"]]
    _unsecure_commands(attrs, locs)
    start, end = span(doc, prefix)
    address = f"{path}:jobs.{job_id}"
    out = [_resource(address, "github_job", attrs, Location(path, start, end), locs)]
    steps = as_list(job.get("steps"))
    env_chain = [data.get("env"), job.get("env")]
    context = {"job_id": job_id, "triggers": triggers, "inputs": inputs, "env": env_chain}
    for n, step in enumerate(steps):
        if isinstance(step, dict):
            step_address = f"{address}.steps[{n}]"
            out.append(_step(path, doc, f"{prefix}.steps", step_address, n, steps, context))
    return out


def _action(path: str, doc: YamlDoc) -> list[Resource]:
    data = doc.data
    locs = _locations(path, doc, "")
    attrs = dict(data)
    runs = data["runs"]
    attrs["runs_using"] = runs.get("using")
    out = [
        _resource(path, "github_action", attrs, Location(path, doc.start_line, doc.end_line), locs)
    ]
    steps = as_list(runs.get("steps"))
    context = {"job_id": "", "triggers": [], "inputs": {"*": "caller"}, "env": []}
    for n, step in enumerate(steps):
        if isinstance(step, dict):
            out.append(_step(path, doc, "runs.steps", f"{path}:runs.steps[{n}]", n, steps, context))
    return out


def _step(
    path: str, doc: YamlDoc, base: str, address: str, n: int, steps: list, context: dict
) -> Resource:
    step = steps[n]
    prefix = f"{base}.{n}"
    locs = _locations(path, doc, prefix)
    attrs = dict(step)
    triggers = context["triggers"]
    attrs.update(job_id=context["job_id"], step_index=n, workflow_triggers=triggers)
    _uses(attrs, locs, step.get("uses"))
    with_ = as_map(step.get("with"))
    attrs["run_contexts"] = contexts_in(step.get("run"))
    _alias(locs, "run", "run_contexts")
    script = with_.get("script") if attrs.get("uses_name") == "actions/github-script" else None
    attrs["script_contexts"] = contexts_in(script)
    _alias(locs, "with.script", "script_contexts")
    env = {}
    for layer in [*context["env"], step.get("env")]:
        if isinstance(layer, dict):
            env.update({str(k).lower(): v for k, v in layer.items()})
    flowing = flowing_in(step.get("run")) + flowing_in(script)
    attrs["attacker_controlled"] = attacker_controlled(flowing, env, context["inputs"])
    _alias(locs, "run" if "run" in step else "with.script", "attacker_controlled")
    if attrs.get("uses_name") == "actions/checkout":
        attrs["persist_credentials"] = _known(
            with_.get("persist-credentials", True), "persist-credentials"
        )
        source = "with.persist-credentials" if "persist-credentials" in with_ else "uses"
        _alias(locs, source, "persist_credentials")
        attrs["credentials_exposed_by"] = _exposures(steps, n, triggers)
        _alias(locs, "uses", "credentials_exposed_by")
    found = secret_literals(step.get("env"), "env", _literal)
    found += secret_literals(with_, "with", _literal)
    set_list_locations(attrs, locs, "literal_secrets", found)
    _unsecure_commands(attrs, locs)
    start, end = span(doc, prefix)
    return _resource(address, "github_step", attrs, Location(path, start, end), locs)


def _exposures(steps: list, n: int, triggers: list[str]) -> list[str]:
    """Later steps of the job that could carry the persisted token out of the runner."""
    out = []
    untrusted = [t for t in PR_TRIGGERS if t in triggers]
    for m in range(n + 1, len(steps)):
        later = steps[m] if isinstance(steps[m], dict) else {}
        name = uses_info(later.get("uses")).get("uses_name")
        if name in UPLOADERS:
            out.append(f"steps[{m}] uploads an artifact with {name}")
        elif "run" in later and untrusted:
            out.append(f"steps[{m}] runs a script on {untrusted[0]}")
    return out


def _runs_on(job: dict) -> list[Any]:
    value = job.get("runs-on")
    if isinstance(value, dict):
        labels = value.get("labels")
        value = labels if labels is not None else []
    items = value if isinstance(value, list) else [value]
    out: list[Any] = []
    for item in items:
        if item is not None:
            out.extend(_matrix_values(item, job) if is_expression(item) else [str(item)])
    return out


def _matrix_values(item: str, job: dict) -> list[Any]:
    """`${{ matrix.os }}` with a literal matrix: its values; any other expression: Unknown."""
    m = re.fullmatch(r"\$\{\{\s*matrix\.([A-Za-z0-9_-]+)\s*\}\}", item.strip())
    strategy = as_map(job.get("strategy"))
    matrix = strategy.get("matrix")
    if m and isinstance(matrix, dict):
        key = m.group(1)
        values = as_list(matrix.get(key))
        include = as_list(matrix.get("include"))
        extra = [e.get(key) for e in include if isinstance(e, dict)]
        found = [v for v in [*values, *extra] if v is not None]
        if found and all(isinstance(v, str) and not is_expression(v) for v in found):
            return sorted(set(found))
    return [Unknown(f"runs-on is set by the expression {item.strip()}")]


def _self_hosted(runs_on: list[Any], raw: Any) -> Any:
    labels = [label for label in runs_on if isinstance(label, str)]
    if any(label.lower() == "self-hosted" for label in labels):
        return True
    unknown = next((label for label in runs_on if isinstance(label, Unknown)), None)
    if unknown is not None:
        return unknown
    if isinstance(raw, dict) and raw.get("group"):
        return Unknown(f"runner group {raw['group']!r} may hold self-hosted runners")
    custom = [label for label in labels if not HOSTED_LABEL.match(label)]
    if custom:
        return Unknown(f"runner label {custom[0]!r} may name a self-hosted runner")
    return False


def _job_images(container: dict, services: dict, raw: Any) -> list[dict[str, Any]]:
    found = []
    if isinstance(raw, str):
        found.append(("container", raw))
    elif container.get("image") is not None:
        found.append(("container.image", container["image"]))
    for name, svc in services.items():
        if isinstance(svc, dict) and svc.get("image") is not None:
            found.append((f"services.{name}.image", svc["image"]))
    out = []
    for where, image in found:
        pinned: Any = image_pinned(image)
        if is_expression(image):
            pinned = Unknown(f"image {image} is set by an expression")
        out.append({"path": where, "image": image, "pinned": pinned})
    return out


def _uses(attrs: dict[str, Any], locs: dict[str, Location], uses: Any) -> None:
    for key, value in uses_info(uses).items():
        attrs[key] = value
        _alias(locs, "uses", key)


def _unsecure_commands(attrs: dict[str, Any], locs: dict[str, Location]) -> None:
    env = as_map(attrs.get("env"))
    if "ACTIONS_ALLOW_UNSECURE_COMMANDS" in env:
        attrs["allows_unsecure_commands"] = _known(
            env["ACTIONS_ALLOW_UNSECURE_COMMANDS"], "ACTIONS_ALLOW_UNSECURE_COMMANDS"
        )
        _alias(locs, "env.ACTIONS_ALLOW_UNSECURE_COMMANDS", "allows_unsecure_commands")


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
