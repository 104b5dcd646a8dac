"""GitLab CI pipelines (`.gitlab-ci.yml` and files it includes) -> Resources.

The file becomes a `gitlab_pipeline` (address: the path), each job a `gitlab_job`
(`<path>:<job name>`) and each `include:` entry a `gitlab_include` (`<path>:include[<n>]`).
Hidden jobs (`.name`) are templates, not jobs; `extends:` is resolved within the file (hashes
merged deeply, the job winning), and a job's effective `image`, `services`, `before_script` and
`after_script` come from the job, else `default:`, else the deprecated top-level keywords.
Includes are recorded, never fetched: `local_includes` lists the repository-relative paths for
the caller to parse with this same parser.
"""

from __future__ import annotations

import re
from typing import Any

from soc2lint.model import Location, ParseError, Platform, Resource, Unknown
from soc2lint.parsers.ci_common import ci_resource
from soc2lint.parsers.github_actions import (
    SHA_RE,
    as_list,
    as_map,
    image_pinned,
    secret_literals,
    set_list_locations,
    span,
)
from soc2lint.parsers.kubernetes import _locations
from soc2lint.parsers.yamlsrc import YamlDoc

_KEYWORDS = "default include stages variables workflow image services cache types spec"
KEYWORDS = {*_KEYWORDS.split(), "before_script", "after_script"}
# keywords a job takes from `default:` when it does not set them itself
_DEFAULTS = "image services before_script after_script cache artifacts tags timeout retry"
DEFAULT_KEYS = (*_DEFAULTS.split(), "interruptible", "hooks", "id_tokens")
_VAR = re.compile(r"\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?")
_RAW_SHA = re.compile(r"(^|/)[0-9a-fA-F]{40}(/|$)")
MAX_EXTENDS = 11  # GitLab's own nesting limit


def parse(path: str, docs: list[YamlDoc]) -> tuple[list[Resource], list[ParseError]]:
    """The pipeline, its jobs and its include entries."""
    configs = [d for d in docs if isinstance(d.data, dict) and set(d.data) != {"spec"}]
    if not configs:
        line = docs[0].start_line if docs else 1
        problem = "a GitLab CI file must be a mapping of jobs and keywords"
        return [], [ParseError(path, line, problem)] if docs else []
    doc = configs[-1]  # a CI/CD component puts its `spec:` header in a document of its own
    data = doc.data
    errors: list[ParseError] = []
    locs = _locations(path, doc, "")
    attrs = dict(data)
    attrs["variables"] = _variables(data.get("variables"))
    entries = data.get("include")
    entries = entries if isinstance(entries, list) else [entries] if entries else []
    includes = [_include_entry(e) for e in entries]
    attrs["includes"] = includes
    attrs["local_includes"] = [i["location"] for i in includes if i["type"] == "local"]
    attrs["jobs"] = sorted(k for k, v in data.items() if _is_job(k, v))
    found = secret_literals(attrs["variables"], "variables", _literal)
    set_list_locations(attrs, locs, "literal_secrets", found)
    _debug_trace(attrs, locs, attrs["variables"])
    pipeline = _resource(
        path, "gitlab_pipeline", attrs, Location(path, doc.start_line, doc.end_line), locs
    )
    out = [pipeline]
    for n, (entry, info) in enumerate(zip(entries, includes, strict=True)):
        out.append(_include(path, doc, n, entry, info))
    for name, job in data.items():
        if not _is_job(name, job):
            continue
        resource, problem = _job(path, doc, str(name))
        out.append(resource)
        if problem:
            line = doc.locations.get(str(name), (doc.start_line, 1))[0]
            errors.append(ParseError(path, line, problem))
    return out, errors


def _is_job(name: Any, value: Any) -> bool:
    return isinstance(value, dict) and str(name) not in KEYWORDS and not str(name).startswith(".")


def _literal(value: Any) -> bool:
    return not (isinstance(value, str) and value.strip().startswith("$"))


def _variables(raw: Any) -> dict[str, Any]:
    """name -> value; the `{value: ..., description: ...}` form gives its value."""
    if not isinstance(raw, dict):
        return {}
    return {str(k): (v.get("value") if isinstance(v, dict) else v) for k, v in raw.items()}


def _include_entry(entry: Any) -> dict[str, Any]:
    """An include entry as {type, location, file, ref, pinned}: recorded, never fetched."""
    if isinstance(entry, str):
        text = entry.strip()
        entry = {"remote" if re.match(r"^https?://", text) else "local": text}
    kinds = ("local", "remote", "project", "template", "component")
    kind = next((k for k in kinds if isinstance(entry, dict) and k in entry), None)
    if kind is None:
        odd = Unknown(f"include entry {str(entry)[:60]!r} is not one GitLab documents")
        return {"type": "unknown", "location": "", "file": [], "ref": None, "pinned": odd}
    location = str(entry[kind])
    files = entry.get("file")
    files = [str(f) for f in files] if isinstance(files, list) else [str(files)] if files else []
    ref = entry.get("ref")
    if kind == "local":
        location = location.lstrip("/")
    if kind == "component":
        location, _, ref = location.partition("@")
    out = {"type": kind, "location": location, "file": files, "ref": ref}
    out["pinned"] = _include_pinned(kind, location, ref, entry)
    return out


def _include_pinned(kind: str, location: str, ref: Any, entry: dict) -> Any:
    if kind in ("local", "template"):
        return True  # the repository's own files; templates ship with the GitLab instance
    if kind == "remote":
        return bool(entry.get("integrity")) or bool(_RAW_SHA.search(location))
    if isinstance(ref, str) and "$" in ref:
        return Unknown(f"ref {ref} is a CI/CD variable")
    return isinstance(ref, str) and bool(SHA_RE.match(ref))


def _include(path: str, doc: YamlDoc, n: int, entry: Any, info: dict) -> Resource:
    prefix = f"include.{n}" if isinstance(doc.data.get("include"), list) else "include"
    locs = _locations(path, doc, prefix)
    attrs = {**entry, **info} if isinstance(entry, dict) else dict(info)
    start, end = span(doc, prefix)
    for key in ("type", "location"):
        locs.setdefault(key, Location(path, start, start))
    locs["pinned"] = locs.get("ref") or locs.get(attrs["type"]) or Location(path, start, start)
    return _resource(
        f"{path}:include[{n}]", "gitlab_include", attrs, Location(path, start, end), locs
    )


def _job(path: str, doc: YamlDoc, name: str) -> tuple[Resource, str]:
    data = doc.data
    job, locs, unresolved, problem = _extended(path, doc, name)
    attrs = dict(job)
    attrs["name"] = name
    inherit = as_map(job.get("inherit"))
    default = as_map(data.get("default"))
    for key in DEFAULT_KEYS:
        if key in job:
            continue
        if _inherits(inherit.get("default", True), key) and key in default:
            attrs[key] = default[key]
            _graft(locs, path, doc, f"default.{key}", key)
        elif key in ("image", "services", "before_script", "after_script", "cache") and key in data:
            attrs[key] = data[key]
            _graft(locs, path, doc, key, key)
    variables = {}
    if _inherits(inherit.get("variables", True), None):
        variables.update(_variables(data.get("variables")))
        _graft(locs, path, doc, "variables", "variables", keep=True)
    variables.update(_variables(job.get("variables")))
    attrs["variables"] = variables
    attrs["stage"] = job.get("stage", "test")
    if "needs" in job:
        attrs["needs"] = _needs(job["needs"])
    env = job.get("environment")
    if env is not None:
        attrs["environment_name"] = env.get("name") if isinstance(env, dict) else env
    attrs["extends_unresolved"] = unresolved
    _image(attrs, locs, variables, unresolved)
    attrs["services"] = _services(attrs.get("services"), variables, locs)
    attrs["failure_allowed"] = _failure_allowed(job)
    rules = as_list(job.get("rules"))
    keys = ["allow_failure"] + [f"rules.{i}.allow_failure" for i in range(len(rules))]
    where = next((locs[k] for k in keys if k in locs), None)
    if where is not None:
        locs["failure_allowed"] = where
    attrs["protected_refs_only"] = _protected_only(job, data.get("workflow"))
    for key in ("rules", "only"):
        if key in locs:
            locs["protected_refs_only"] = locs[key]
            break
    own = _variables(job.get("variables"))
    set_list_locations(attrs, locs, "literal_secrets", secret_literals(own, "variables", _literal))
    _debug_trace(attrs, locs, own)
    start, end = span(doc, name)
    loc = Location(path, start, end)
    return _resource(f"{path}:{name}", "gitlab_job", attrs, loc, locs), problem


def _debug_trace(attrs: dict, locs: dict, variables: dict) -> None:
    """Whether these variables switch on CI_DEBUG_TRACE or CI_DEBUG_SERVICES, and where."""
    on = [v for v in ("CI_DEBUG_TRACE", "CI_DEBUG_SERVICES") if _truthy(variables.get(v))]
    attrs["debug_trace"] = bool(on)
    if on and f"variables.{on[0]}" in locs:
        locs["debug_trace"] = locs[f"variables.{on[0]}"]


def _truthy(value: Any) -> bool:
    return value is True or str(value).strip().lower() in ("true", "1")


def _inherits(setting: Any, key: str | None) -> bool:
    if isinstance(setting, list):
        return key in setting
    return setting is not False


def _extended(
    path: str, doc: YamlDoc, name: str
) -> tuple[dict, dict[str, Location], list[str], str]:
    """The job with `extends:` merged in, its locations, and templates not in this file."""
    data = doc.data
    unresolved: list[str] = []
    problem = ""

    def resolve(key: str, depth: int, seen: tuple[str, ...]) -> tuple[dict, dict[str, Location]]:
        nonlocal problem
        value = data.get(key) if isinstance(data.get(key), dict) else {}
        locs = _locations(path, doc, key)
        parents = value.get("extends")
        parents = parents if isinstance(parents, list) else [parents] if parents else []
        merged: dict = {}
        merged_locs: dict[str, Location] = {}
        for parent in map(str, parents):
            if parent in seen or depth >= MAX_EXTENDS:
                problem = f"{name}: extends {parent} loops or nests too deeply"
                continue
            if not isinstance(data.get(parent), dict):
                unresolved.append(parent)
                continue
            pv, pl = resolve(parent, depth + 1, (*seen, parent))
            merged, merged_locs = _merge(merged, merged_locs, pv, pl)
        own = {k: v for k, v in value.items() if k != "extends"}
        return _merge(merged, merged_locs, own, locs) if parents else (value, locs)

    job, locs = resolve(name, 0, (name,))
    return job, locs, sorted(set(unresolved)), problem


def _merge(base: dict, base_locs: dict, over: dict, over_locs: dict) -> tuple[dict, dict]:
    """GitLab's extends merge: hashes deeply, everything else replaced by the later value."""
    out = dict(base)
    locs = dict(base_locs)
    for key, value in over.items():
        k = str(key)
        if isinstance(out.get(k), dict) and isinstance(value, dict):
            sub_base = {p[len(k) + 1 :]: v for p, v in locs.items() if p.startswith(k + ".")}
            sub_over = {p[len(k) + 1 :]: v for p, v in over_locs.items() if p.startswith(k + ".")}
            merged, merged_locs = _merge(out[k], sub_base, value, sub_over)
            out[k] = merged
            locs = {p: v for p, v in locs.items() if not p.startswith(k + ".")}
            locs.update({f"{k}.{p}": v for p, v in merged_locs.items()})
        else:
            out[k] = value
            locs = {p: v for p, v in locs.items() if p != k and not p.startswith(k + ".")}
            locs.update({p: v for p, v in over_locs.items() if p == k or p.startswith(k + ".")})
    return out, locs


def _graft(locs: dict, path: str, doc: YamlDoc, source: str, key: str, keep: bool = False) -> None:
    """Locate key, and what is under it, where the inherited value (at source) is written."""
    moved = {f"{key}.{sub}": loc for sub, loc in _locations(path, doc, source).items()}
    at = doc.locations.get(source)
    if at is not None:
        moved[key] = Location(path, at[0], at[0])
    for target, loc in moved.items():
        if not keep or target not in locs:
            locs[target] = loc


def _needs(raw: Any) -> list[str]:
    items = raw if isinstance(raw, list) else [raw]
    out = []
    for item in items:
        if isinstance(item, dict) and "job" in item and "project" not in item:
            out.append(str(item["job"]))
        elif isinstance(item, str):
            out.append(item)
    return out


def _expand(value: Any, variables: dict[str, Any]) -> Any:
    """$VAR and ${VAR} replaced from the job's variables; Unknown when one is not literal."""
    if not isinstance(value, str) or "$" not in value:
        return value
    for _ in range(5):
        missing = [m.group(1) for m in _VAR.finditer(value) if m.group(1) not in variables]
        if missing:
            return Unknown(f"${missing[0]} is set outside this file or at run time")
        value = _VAR.sub(lambda m: str(variables[m.group(1)]), value)
        if "$" not in value:
            return value
    return Unknown("variables refer to each other too deeply")


def _image(attrs: dict, locs: dict, variables: dict, unresolved: list[str]) -> None:
    image = attrs.get("image")
    name = image.get("name") if isinstance(image, dict) else image
    if name is None:
        if unresolved:
            attrs["image_pinned"] = Unknown(
                f"the image may come from {unresolved[0]} (not in this file)"
            )
        return
    expanded = _expand(str(name), variables)
    attrs["image_name"] = expanded
    attrs["image_pinned"] = expanded if isinstance(expanded, Unknown) else image_pinned(expanded)
    where = locs.get("image.name") or locs.get("image")
    if where is not None:
        locs["image_name"] = locs["image_pinned"] = where


def _services(raw: Any, variables: dict, locs: dict) -> list[dict[str, Any]]:
    out = []
    for i, item in enumerate(raw if isinstance(raw, list) else []):
        svc = dict(item) if isinstance(item, dict) else {"name": item}
        expanded = _expand(str(svc.get("name", "")), variables)
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
    if any(_truthy(v) for v in values):
        return True
    if any(isinstance(v, dict) for v in values):
        return Unknown("failure is allowed for some exit codes; check they hide no findings")
    return False


_PROTECTED_IF = re.compile(
    r"\$CI_COMMIT_REF_PROTECTED\s*==\s*['\"]?true|\$CI_COMMIT_TAG\b(?!\s*==\s*null)"
    r"|\$CI_COMMIT_(BRANCH|REF_NAME)\s*(==|=~)\s*(\$CI_DEFAULT_BRANCH|['\"/])"
)
_OPEN_REFS = "branches merge_requests pushes api external triggers web schedules pipelines chat"
_UNRESTRICTED_REFS = {*_OPEN_REFS.split(), "external_pull_requests"}


def _protected_only(job: dict, workflow: Any) -> Any:
    """Whether the job runs only for protected branches, the default branch or tags."""
    if "rules" in job:
        return _rules_protected(job["rules"])
    if "only" in job:
        only = job["only"]
        refs = only.get("refs") if isinstance(only, dict) else only
        refs = refs if isinstance(refs, list) else [refs] if refs else []
        if not refs or any(str(r) in _UNRESTRICTED_REFS for r in refs):
            return False
        if any(str(r).startswith("/") for r in refs):
            return Unknown("the job's refs are patterns: check they match only protected refs")
        return True
    rules = workflow.get("rules") if isinstance(workflow, dict) else None
    return _rules_protected(rules) if rules else False


def _rules_protected(rules: Any) -> bool:
    """Every rule that can run the job tests a protected ref (a rule without `if` always runs)."""
    if not isinstance(rules, list) or not rules:
        return False
    runs = [r for r in rules if isinstance(r, dict) and r.get("when") != "never"]
    return bool(runs) and all(
        all(_PROTECTED_IF.search(alt) for alt in str(r.get("if", "")).split("||")) for r in runs
    )


def _resource(
    address: str, rtype: str, attrs: dict, loc: Location, locs: dict[str, Location]
) -> Resource:
    return ci_resource(Platform.GITLAB_CI.value, address, rtype, attrs, loc, locs)
