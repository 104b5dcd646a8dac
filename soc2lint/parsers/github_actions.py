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

import re
from typing import Any

from soc2lint.model import Location, ParseError, Platform, Resource, Unknown
from soc2lint.parsers.ci_common import (
    as_list,
    as_map,
    ci_resource,
    credential_shaped,
    image_pinned,
    locations_under,
    secret_literals,
    set_list_locations,
    span,
)
from soc2lint.parsers.ci_expressions import (
    attacker_controlled,
    contexts_in,
    flowing_in,
    input_classes,
    is_expression,
)
from soc2lint.parsers.yamlsrc import YamlDoc

SHA_RE = re.compile(r"^[0-9a-fA-F]{40}$")
HOSTED_LABEL = re.compile(r"^(ubuntu|windows|macos)-[A-Za-z0-9._-]+$", re.I)
UPLOADERS = {"actions/upload-artifact", "actions/upload-pages-artifact"}
PR_TRIGGERS = ("pull_request", "pull_request_target", "workflow_run")
# scopes `write-all` grants; a job that writes all of them spells write-all out
_WRITE_SCOPE_NAMES = """actions checks contents deployments discussions id-token issues packages
    pages pull-requests repository-projects security-events statuses"""
WRITE_SCOPES = frozenset(_WRITE_SCOPE_NAMES.split())
# refs and repositories that name the pull request's (or triggering run's) head: its code
_HEAD_REF = (
    r"pull_request\.head\.(sha|ref)|pull_request\.merge_commit_sha|github\.head_ref"
    r"|workflow_run\.head_(sha|branch)|workflow_run\.pull_requests|refs/pull/"
)
HEAD_REF = re.compile(f"(?i)({_HEAD_REF})")
HEAD_REPO = re.compile(
    r"(?i)pull_request\.head\.repo\.|workflow_run\.head_repository\.|github\.head_repository"
)
_GIT_VERB = (
    r"\bgit[ \t]+(?:\S+[ \t]+){0,4}?(checkout|switch|reset|merge|pull|fetch|clone|worktree)\b"
)
HEAD_IN_SCRIPT = re.compile(
    r"(?im)\bgh[ \t]+pr[ \t]+(checkout|co)\b"
    r"|\bgit[ \t]+fetch\b[^\n]*\bpull/[^\n/]+/(head|merge)\b"
    rf"|{_GIT_VERB}[^\n]*(\$\{{\{{[^}}]*({_HEAD_REF}|pull_request\.head\.repo\.|"
    r"workflow_run\.head_repository\.)[^}]*\}\})"
)
_GIT_LINE = re.compile(rf"(?im){_GIT_VERB}[^\n]*")
_SHELL_VAR = re.compile(r"\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?")
UNSECURE_IN_SCRIPT = re.compile(
    r"(?i)ACTIONS_ALLOW_UNSECURE_COMMANDS\s*=\s*[\"']?(true|1)\b[^\n]*>>\s*[\"']?\$\{?GITHUB_ENV"
)
DEPLOY_NAME = re.compile(r"(?i)deploy|release|publish")
# actions that deploy, publish a package or create a release
DEPLOY_ACTIONS = re.compile(
    r"""(?ix)^(
        pypa/gh-action-pypi-publish | aws-actions/amazon-ecs-deploy-task-definition
      | aws-actions/aws-cloudformation-github-deploy | aws-actions/aws-lambda-deploy
      | azure/(webapps-deploy|functions-action|k8s-deploy|arm-deploy|container-apps-deploy-action
               |static-web-apps-deploy|aks-set-context)
      | google-github-actions/deploy-[a-z-]+ | actions/deploy-pages | peaceiris/actions-gh-pages
      | cloudflare/(wrangler-action|pages-action) | amondnet/vercel-action
      | nwtgck/actions-netlify | js-devtools/npm-publish | softprops/action-gh-release
      | ncipollo/release-action | goreleaser/goreleaser-action | hashicorp/tfc-workflows-github
      | helm/chart-releaser-action | superfly/flyctl-actions
    )(/.*)?$"""
)
# commands that change a running system or publish what others install (`_` is a blank within
# the line; `ARGS` any options before the subcommand)
_DEPLOY_COMMANDS = r"""
    (terraform|tofu|terragrunt)_ARGS apply | kubectl_ARGS (apply|create|replace|patch|set_image)
  | kubectl_ARGS rollout_restart | helm_ARGS (upgrade|install) | helmfile_ARGS (apply|sync)
  | (npm|pnpm)_publish | yarn_(npm_)?publish | twine_upload | (poetry|cargo|flit|hatch|uv)_publish
  | gem_push | docker_push | gcloud_ARGS deploy | az_(webapp|functionapp)_ARGS deploy
  | (cdk|serverless|sls|flyctl|fly|vercel|netlify|firebase)_ARGS deploy | pulumi_up
  | gh_release_create | aws_ecs_update-service | aws_cloudformation_deploy | ansible-playbook
"""
DEPLOY_COMMAND = re.compile(
    r"(?im)\b("
    + "|".join(
        alternative.replace("_ARGS ", r"[ \t]+(\S+[ \t]+)*?").replace("_", r"[ \t]+")
        for alternative in re.split(r"\s+\|\s+", _DEPLOY_COMMANDS.strip())
    )
    + r")\b"
)
# a job that starts a throwaway cluster applies manifests to it to test them, not to deploy
LOCAL_CLUSTER = re.compile(
    r"(?i)^(helm/kind-action|medyagh/setup-minikube|absaoss/k3d-action|nolar/setup-k3d-k3s)$"
    r"|\b(kind[ \t]+create[ \t]+cluster|minikube[ \t]+start|k3d[ \t]+cluster[ \t]+create)\b"
)


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


def step_keys(steps: list) -> list[str]:
    """A stable, unique key for each step (see the module docstring); "" for a non-mapping."""
    keys: list[str] = []
    taken: set[str] = set()
    for step in steps:
        if not isinstance(step, dict):
            keys.append("")
            continue
        base = _step_key(step)
        key, n = base, 1
        while key in taken:
            n += 1
            key = f"{base}#{n}"
        taken.add(key)
        keys.append(key)
    return keys


def _step_key(step: dict) -> str:
    for value in (step.get("id"), _uses_key(step.get("uses")), step.get("name")):
        if isinstance(value, (str, int)) and str(value).strip():
            return " ".join(str(value).split())[:60]
    for line in str(step.get("run") or "").splitlines():
        text = " ".join(line.split())
        if text and not text.startswith("#") and not re.match(r"set\s+[-+]", text):
            return text if len(text) <= 48 else text[:48].rpartition(" ")[0] or text[:48]
    return "step"


def _uses_key(uses: Any) -> str:
    """The action a step uses, without the ref (or the image, without tag or digest)."""
    if not isinstance(uses, str):
        return ""
    text = uses.strip()
    if text.startswith(("./", "../")):
        return text
    if text.startswith("docker://"):
        image = text[len("docker://") :].partition("@")[0]
        name, sep, tag = image.rpartition(":")
        return "docker://" + (name if sep and "/" not in tag else image)
    return text.partition("@")[0].lower()


def _literal(value: Any) -> bool:
    return not is_expression(value)


def _known(value: Any, what: str) -> Any:
    if is_expression(value):
        return Unknown(f"{what} is set by an expression, known only when the workflow runs")
    return value


def _workflow(path: str, doc: YamlDoc) -> tuple[list[Resource], list[ParseError]]:
    data = doc.data
    errors: list[ParseError] = []
    locs = locations_under(path, doc, "")
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
    locs = locations_under(path, doc, prefix)
    at = doc.locations.get("permissions")
    workflow_loc = Location(path, at[0], at[0]) if at else None
    attrs = dict(job)
    attrs.update(job_id=job_id, workflow_triggers=triggers)
    if "permissions" in data:
        attrs["workflow_permissions"] = data["permissions"]
        _place(locs, "workflow_permissions", workflow_loc)
    if "permissions" in job:
        attrs["effective_permissions"] = job["permissions"]
        attrs["write_all"] = _writes_all(job["permissions"])
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
    images = _job_images(container, services, job.get("container"))
    attrs["images"] = images
    for i, image in enumerate(images):
        if image["path"] in locs:
            locs[f"images.{i}"] = locs[image["path"]]
    _unsecure_commands(attrs, locs)
    steps = as_list(job.get("steps"))
    keys = step_keys(steps)
    attrs["deploys"] = _deploys(job_id, job, steps, keys)
    start, end = span(doc, prefix)
    address = f"{path}:jobs.{job_id}"
    out = [_resource(address, "github_job", attrs, Location(path, start, end), locs)]
    env_chain = [data.get("env"), job.get("env")]
    context = {"job_id": job_id, "triggers": triggers, "inputs": inputs, "env": env_chain}
    for n, step in enumerate(steps):
        if isinstance(step, dict):
            step_address = f"{address}.steps[{keys[n]}]"
            out.append(_step(path, doc, f"{prefix}.steps", step_address, n, steps, keys, context))
    return out


def _writes_all(perms: Any) -> Any:
    """permissions: write-all, or a mapping that grants write on every scope write-all would."""
    if is_expression(perms):
        return Unknown(f"permissions are set by the expression {perms}")
    if perms == "write-all":
        return True
    if isinstance(perms, dict):
        return {str(k) for k, v in perms.items() if v == "write"} >= WRITE_SCOPES
    return False


def _deploys(job_id: str, job: dict, steps: list, keys: list[str]) -> list[str]:
    """Why the job looks like a deployment, release or publication (none: it does not)."""
    out = []
    name = job.get("name")
    if DEPLOY_NAME.search(job_id):
        out.append(f"job id {job_id!r}")
    if isinstance(name, str) and DEPLOY_NAME.search(name):
        out.append(f"job name {name!r}")
    local_cluster = any(
        isinstance(step, dict)
        and bool(
            LOCAL_CLUSTER.search(uses_info(step.get("uses")).get("uses_name", ""))
            or LOCAL_CLUSTER.search(str(step.get("run") or ""))
        )
        for step in steps
    )
    for step, key in zip(steps, keys, strict=True):
        if not isinstance(step, dict):
            continue
        uses = uses_info(step.get("uses")).get("uses_name", "")
        with_ = as_map(step.get("with"))
        if uses and DEPLOY_ACTIONS.match(uses):
            out.append(f"steps[{key}] uses {uses}")
        elif uses == "docker/build-push-action" and str(with_.get("push")).lower() == "true":
            out.append(f"steps[{key}] pushes an image with {uses}")
        command = DEPLOY_COMMAND.search(str(step.get("run") or ""))
        if command and local_cluster and command.group(0).lower().startswith(("kubectl", "helm")):
            command = None
        if command:
            out.append(f"steps[{key}] runs `{' '.join(command.group(0).split())}`")
    return out


def _action(path: str, doc: YamlDoc) -> list[Resource]:
    data = doc.data
    locs = locations_under(path, doc, "")
    attrs = dict(data)
    runs = data["runs"]
    attrs["runs_using"] = runs.get("using")
    out = [
        _resource(path, "github_action", attrs, Location(path, doc.start_line, doc.end_line), locs)
    ]
    steps = as_list(runs.get("steps"))
    keys = step_keys(steps)
    context = {"job_id": "", "triggers": [], "inputs": {"*": "caller"}, "env": []}
    for n, step in enumerate(steps):
        if isinstance(step, dict):
            address = f"{path}:runs.steps[{keys[n]}]"
            out.append(_step(path, doc, "runs.steps", address, n, steps, keys, context))
    return out


def _step(
    path: str,
    doc: YamlDoc,
    base: str,
    address: str,
    n: int,
    steps: list,
    keys: list[str],
    context: dict,
) -> Resource:
    step = steps[n]
    prefix = f"{base}.{n}"
    locs = locations_under(path, doc, prefix)
    attrs = dict(step)
    triggers = context["triggers"]
    attrs.update(
        job_id=context["job_id"], step_index=n, step_key=keys[n], workflow_triggers=triggers
    )
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
        attrs["credentials_exposed_by"] = _exposures(steps, keys, n, triggers)
        _alias(locs, "uses", "credentials_exposed_by")
    _untrusted_checkout(attrs, locs, step, with_, env)
    found = secret_literals(step.get("env"), "env", _literal)
    found += secret_literals(with_, "with", _literal)
    if isinstance(step.get("run"), str) and credential_shaped(step["run"]):
        found.append("run")
    set_list_locations(attrs, locs, "literal_secrets", found)
    _unsecure_commands(attrs, locs)
    start, end = span(doc, prefix)
    return _resource(address, "github_step", attrs, Location(path, start, end), locs)


def _untrusted_checkout(
    attrs: dict[str, Any], locs: dict[str, Location], step: dict, with_: dict, env: dict
) -> None:
    """How the step fetches the pull request's (or triggering run's) head code, if it does."""
    found: list[str] = []
    where = ""
    if attrs.get("uses_name") == "actions/checkout":
        for key, pattern in (("ref", HEAD_REF), ("repository", HEAD_REPO)):
            value = with_.get(key)
            if isinstance(value, str) and pattern.search(value):
                found.append(f"checks out with.{key}: {value.strip()}")
                where = where or f"with.{key}"
    run = step.get("run")
    if isinstance(run, str):
        hit = HEAD_IN_SCRIPT.search(run)
        if hit is None:  # git checkout "$HEAD_SHA", with HEAD_SHA set from the head's ref
            hit = next((m for m in _GIT_LINE.finditer(run) if _head_via_env(m.group(0), env)), None)
        if hit is not None:
            found.append(f"runs `{' '.join(hit.group(0).split())[:80]}`")
            where = where or "run"
    attrs["untrusted_checkout"] = found
    if where in locs:
        locs["untrusted_checkout"] = locs[where]


def _head_via_env(line: str, env: dict) -> bool:
    for m in _SHELL_VAR.finditer(line):
        value = env.get(m.group(1).lower())
        if isinstance(value, str) and (HEAD_REF.search(value) or HEAD_REPO.search(value)):
            return True
    return False


def _exposures(steps: list, keys: list[str], n: int, triggers: list[str]) -> list[str]:
    """Later steps of the job that could carry the persisted token out of the runner."""
    out = []
    untrusted = [t for t in PR_TRIGGERS if t in triggers]
    for m in range(n + 1, len(steps)):
        later = steps[m] if isinstance(steps[m], dict) else {}
        name = uses_info(later.get("uses")).get("uses_name")
        if name in UPLOADERS:
            out.append(f"steps[{keys[m]}] uploads an artifact with {name}")
        elif "run" in later and untrusted:
            out.append(f"steps[{keys[m]}] runs a script on {untrusted[0]}")
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
