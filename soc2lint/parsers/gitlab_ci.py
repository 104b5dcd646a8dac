"""GitLab CI pipelines (`.gitlab-ci.yml` and the files it includes) -> Resources.

Each file becomes a `gitlab_pipeline` (address: the path) and each `include:` entry a
`gitlab_include` (`<path>:include[<n>]`). Each job becomes a `gitlab_job` (`<path>:<job name>`,
the path of the file that defines it; of the last one when several do). Hidden jobs (`.name`)
are templates, not jobs.

A pipeline is read as GitLab merges it (`parse_pipeline`): the files it includes locally come
first, in include order and each after the files it includes itself, the main file last; a key
written in several files is merged deeply, the later file winning. Over that merged configuration
`extends:` is resolved (hashes merged deeply, the job winning; a list of parents in order; nested
up to GitLab's limit), `!reference [key, ...]` is replaced by what it names, and a job's effective
`image`, `services`, `before_script` and `after_script` come from the job, else `default:`, else
the deprecated top-level keywords. Every value stays located where it is written, in whichever
file. Includes are never fetched: `local_includes` lists the paths for the caller to read and
hand back (`include_locations` reads them from documents, `include_pattern` matches wildcards).

The YAML reader drops tags, so `!reference [.setup, script]` arrives as the list
`[".setup", "script"]`: a list of strings in `script`, `before_script`, `after_script`, `rules`
or `variables` whose first item names a top-level key of the pipeline is read as a reference.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from soc2lint.model import Location, ParseError, Platform, Resource, Unknown
from soc2lint.parsers.ci_common import (
    as_list,
    as_map,
    ci_resource,
    image_pinned,
    locations_under,
    secret_literals,
    set_list_locations,
    span,
)
from soc2lint.parsers.yamlsrc import YamlDoc

SHA_RE = re.compile(r"^[0-9a-fA-F]{40}$")
_KEYWORDS = "default include stages variables workflow image services cache types spec"
KEYWORDS = {*_KEYWORDS.split(), "before_script", "after_script"}
# keywords a job takes from `default:` when it does not set them itself
_DEFAULTS = "image services before_script after_script cache artifacts tags timeout retry"
DEFAULT_KEYS = (*_DEFAULTS.split(), "interruptible", "hooks", "id_tokens")
TOP_LEVEL_DEFAULTS = ("image", "services", "before_script", "after_script", "cache")
REFERENCE_KEYS = ("script", "before_script", "after_script", "rules")
_VAR = re.compile(r"\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?")
_RAW_SHA = re.compile(r"(^|/)[0-9a-fA-F]{40}(/|$)")
MAX_EXTENDS = 11  # GitLab's own nesting limit
MAX_NESTING = 10  # nested !reference tags and script arrays


@dataclass(frozen=True)
class _Source:
    path: str
    doc: YamlDoc


class _Config:
    """A pipeline's top-level keys over its files, merged as GitLab merges included files."""

    def __init__(self, sources: list[_Source]) -> None:
        self.sources = sources
        self._merged: dict[str, tuple[Any, dict[str, Location], Location | None]] = {}

    def has(self, key: str) -> bool:
        return any(key in s.doc.data for s in self.sources)

    def get(self, key: str) -> tuple[Any, dict[str, Location], Location | None]:
        """The merged value of a top-level key, where each part of it is written (keyed
        relative to the key), and where the key itself is written (in the last file)."""
        if key not in self._merged:
            value: Any = None
            locs: dict[str, Location] = {}
            at: Location | None = None
            found = False
            for source in self.sources:
                if key not in source.doc.data:
                    continue
                item, item_locs = (
                    source.doc.data[key],
                    locations_under(source.path, source.doc, key),
                )
                if found and isinstance(value, dict) and isinstance(item, dict):
                    value, locs = _merge(value, locs, item, item_locs)
                else:
                    value, locs = item, dict(item_locs)
                found = True
                line = source.doc.locations.get(key)
                at = Location(source.path, line[0], line[0]) if line else at
            self._merged[key] = (value, locs, at)
        return self._merged[key]

    def lookup(self, path: list[str]) -> tuple[Any, dict[str, Location], Location | None] | None:
        """What `!reference [key, sub, ...]` names, or None when nothing is there."""
        if not self.has(path[0]):
            return None
        value, locs, at = self.get(path[0])
        for part in path[1:]:
            if not isinstance(value, dict) or part not in value:
                return None
            value = value[part]
            at = locs.get(part, at)
            locs = _under(locs, part)
        return value, locs, at

    def jobs(self) -> list[tuple[str, _Source]]:
        """(job name, the file that defines it last), in file order."""
        owner: dict[str, _Source] = {}
        for source in self.sources:
            for name, value in source.doc.data.items():
                if _is_job(name, value):
                    owner[str(name)] = source
        return [
            (str(name), source)
            for source in self.sources
            for name in source.doc.data
            if owner.get(str(name)) is source
        ]


def parse(path: str, docs: list[YamlDoc]) -> tuple[list[Resource], list[ParseError]]:
    """The pipeline, its jobs and its include entries, for a file read on its own."""
    return parse_pipeline([(path, docs)])


def parse_pipeline(
    files: list[tuple[str, list[YamlDoc]]], targets: dict[str, list[str]] | None = None
) -> tuple[list[Resource], list[ParseError]]:
    """The resources of one pipeline's files, given in GitLab's merge order (included files
    first, the main file last).

    targets maps a local include's location, as written, to the repository-relative files it
    names (wildcards expanded by the caller); include entries record them for the linker.
    """
    out: list[Resource] = []
    errors: list[ParseError] = []
    sources = []
    for path, docs in files:
        doc = config_document(docs)
        if doc is None:
            line = docs[0].start_line if docs else 1
            problem = "a GitLab CI file must be a mapping of jobs and keywords"
            errors.extend([ParseError(path, line, problem)] if docs else [])
            continue
        sources.append(_Source(path, doc))
        out.extend(_pipeline(path, doc, targets or {}))
    config = _Config(sources)
    for name, owner in config.jobs():
        resource, problem = _job(config, owner, name)
        out.append(resource)
        if problem:
            line = owner.doc.locations.get(name, (owner.doc.start_line, 1))[0]
            errors.append(ParseError(owner.path, line, problem))
    return out, errors


def config_document(docs: list[YamlDoc]) -> YamlDoc | None:
    """The document holding the configuration (a CI/CD component puts `spec:` before it)."""
    configs = [d for d in docs if isinstance(d.data, dict) and set(d.data) != {"spec"}]
    return configs[-1] if configs else None


def include_locations(docs: list[YamlDoc]) -> list[str]:
    """The `include: local:` locations of a file, as written (leading `/` removed)."""
    doc = config_document(docs)
    if doc is None:
        return []
    infos = [_include_entry(e) for e in _include_entries(doc.data)]
    return [i["location"] for i in infos if i["type"] == "local" and i["location"]]


def include_pattern(location: str) -> re.Pattern[str] | None:
    """A wildcard local include as a regular expression over repository-relative paths (`*`
    within one directory, `**` across directories); None when the location has no wildcard."""
    if "*" not in location and "?" not in location:
        return None
    out = []
    i = 0
    while i < len(location):
        if location.startswith("**", i):
            out.append(".*")
            i += 2
        elif location[i] == "*":
            out.append("[^/]*")
            i += 1
        elif location[i] == "?":
            out.append("[^/]")
            i += 1
        else:
            out.append(re.escape(location[i]))
            i += 1
    return re.compile("".join(out) + r"\Z")


def _include_entries(data: dict) -> list:
    entries = data.get("include")
    return entries if isinstance(entries, list) else [entries] if entries else []


def _pipeline(path: str, doc: YamlDoc, targets: dict[str, list[str]]) -> list[Resource]:
    data = doc.data
    locs = locations_under(path, doc, "")
    attrs = dict(data)
    attrs["variables"] = _variables(data.get("variables"))
    entries = _include_entries(data)
    includes = [_include_entry(e) for e in entries]
    attrs["includes"] = includes
    attrs["local_includes"] = [i["location"] for i in includes if i["type"] == "local"]
    attrs["jobs"] = sorted(k for k, v in data.items() if _is_job(k, v))
    found = secret_literals(attrs["variables"], "variables", _literal)
    set_list_locations(attrs, locs, "literal_secrets", found)
    _debug_trace(attrs, locs, attrs["variables"])
    where = Location(path, doc.start_line, doc.end_line)
    out = [_resource(path, "gitlab_pipeline", attrs, where, locs)]
    for n, (entry, info) in enumerate(zip(entries, includes, strict=True)):
        if info["type"] == "local" and info["location"] in targets:
            info = {**info, "targets": targets[info["location"]]}
        out.append(_include(path, doc, n, entry, info))
    return out


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
    locs = locations_under(path, doc, prefix)
    attrs = {**entry, **info} if isinstance(entry, dict) else dict(info)
    start, end = span(doc, prefix)
    for key in ("type", "location"):
        locs.setdefault(key, Location(path, start, start))
    locs["pinned"] = locs.get("ref") or locs.get(attrs["type"]) or Location(path, start, start)
    return _resource(
        f"{path}:include[{n}]", "gitlab_include", attrs, Location(path, start, end), locs
    )


def _job(config: _Config, owner: _Source, name: str) -> tuple[Resource, str]:
    job, locs, unresolved, problem = _extended(config, name)
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
            _graft(locs, _under(default_locs, key), default_locs.get(key), key)
        elif key in TOP_LEVEL_DEFAULTS and config.has(key):
            attrs[key], value_locs, at = config.get(key)
            _graft(locs, value_locs, at, key)
    for key in REFERENCE_KEYS:
        if key in attrs:
            attrs[key], sub = _dereference(attrs[key], _under(locs, key), locs.get(key), config)
            _replace(locs, key, sub)
    variables = {}
    if _inherits(inherit.get("variables", True), None):
        value, value_locs, at = config.get("variables")
        variables.update(_variables(value))
        _graft(locs, value_locs, at, "variables", keep=True)
    own_raw, block_locs = _dereference_variables(job.get("variables"), config)
    if block_locs is not None:  # `variables: !reference [...]`: located where that block is
        locs.update({f"variables.{p}": v for p, v in block_locs.items()})
    own = _variables(own_raw)
    variables.update(own)
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
    attrs["failure_allowed"] = _failure_allowed(attrs)
    rules = as_list(attrs.get("rules"))
    keys = ["allow_failure"] + [f"rules.{i}.allow_failure" for i in range(len(rules))]
    where = next((locs[k] for k in keys if k in locs), None)
    if where is not None:
        locs["failure_allowed"] = where
    attrs["protected_refs_only"] = _protected_only(attrs, config.get("workflow")[0])
    for key in ("rules", "only"):
        if key in locs:
            locs["protected_refs_only"] = locs[key]
            break
    # a job's variables reach its service containers: a throwaway database's placeholder is fine
    throwaway = bool(attrs["services"])
    found = secret_literals(own, "variables", _literal, throwaway)
    set_list_locations(attrs, locs, "literal_secrets", found)
    _debug_trace(attrs, locs, own)
    start, end = span(owner.doc, name)
    loc = Location(owner.path, start, end)
    return _resource(f"{owner.path}:{name}", "gitlab_job", attrs, loc, locs), problem


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


def _extended(config: _Config, name: str) -> tuple[dict, dict[str, Location], list[str], str]:
    """The job with `extends:` merged in, its locations, and templates the pipeline lacks."""
    unresolved: list[str] = []
    problem = ""

    def resolve(key: str, depth: int, seen: tuple[str, ...]) -> tuple[dict, dict[str, Location]]:
        nonlocal problem
        value, locs, _at = config.get(key)
        value = value if isinstance(value, dict) else {}
        parents = value.get("extends")
        parents = parents if isinstance(parents, list) else [parents] if parents else []
        merged: dict = {}
        merged_locs: dict[str, Location] = {}
        for parent in map(str, parents):
            if parent in seen or depth >= MAX_EXTENDS:
                problem = f"{name}: extends {parent} loops or nests too deeply"
                continue
            if not isinstance(config.get(parent)[0], dict):
                unresolved.append(parent)
                continue
            pv, pl = resolve(parent, depth + 1, (*seen, parent))
            merged, merged_locs = _merge(merged, merged_locs, pv, pl)
        if not parents:
            return dict(value), dict(locs)
        own = {k: v for k, v in value.items() if k != "extends"}
        own_locs = {
            p: v for p, v in locs.items() if p != "extends" and not p.startswith("extends.")
        }
        return _merge(merged, merged_locs, own, own_locs)

    job, locs = resolve(name, 0, (name,))
    return job, locs, sorted(set(unresolved)), problem


def _merge(base: dict, base_locs: dict, over: dict, over_locs: dict) -> tuple[dict, dict]:
    """GitLab's extends merge: hashes deeply, everything else replaced by the later value."""
    out = dict(base)
    locs = dict(base_locs)
    for key, value in over.items():
        k = str(key)
        if isinstance(out.get(k), dict) and isinstance(value, dict):
            merged, merged_locs = _merge(out[k], _under(locs, k), value, _under(over_locs, k))
            out[k] = merged
            locs = {p: v for p, v in locs.items() if not p.startswith(k + ".")}
            locs.update({f"{k}.{p}": v for p, v in merged_locs.items()})
            if k in over_locs:
                locs[k] = over_locs[k]
        else:
            out[k] = value
            locs = {p: v for p, v in locs.items() if p != k and not p.startswith(k + ".")}
            locs.update({p: v for p, v in over_locs.items() if p == k or p.startswith(k + ".")})
    return out, locs


def _under(locs: dict[str, Location], key: str) -> dict[str, Location]:
    """The locations under key, relative to it."""
    cut = len(key) + 1
    return {p[cut:]: v for p, v in locs.items() if p.startswith(key + ".")}


def _replace(locs: dict[str, Location], key: str, sub: dict[str, Location]) -> None:
    """Put sub (relative to key) in place of the locations under key."""
    for p in [p for p in locs if p.startswith(key + ".")]:
        del locs[p]
    locs.update({f"{key}.{p}": v for p, v in sub.items()})


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


def _reference(
    value: Any, config: _Config
) -> tuple[Any, dict[str, Location], Location | None] | None:
    """What value names when it is a `!reference` (a list of strings naming something in the
    pipeline), else None."""
    if (
        isinstance(value, list)
        and len(value) >= 2
        and all(isinstance(v, str) for v in value)
        and config.has(value[0])
    ):
        return config.lookup(value)
    return None


def _dereference(
    value: Any, locs: dict[str, Location], at: Location | None, config: _Config, depth: int = 0
) -> tuple[Any, dict[str, Location]]:
    """A script or rules list with `!reference` items replaced by what they name and nested
    lists flattened, as GitLab does; locations follow the items to where they are written."""
    if depth > MAX_NESTING or not isinstance(value, list):
        return value, locs
    found = _reference(value, config)
    if found is not None:  # the whole list is one reference
        return _dereference(found[0], found[1], found[2] or at, config, depth + 1)
    out: list = []
    out_locs: dict[str, Location] = {}
    for i, item in enumerate(value):
        item_at = locs.get(str(i), at)
        item_locs = _under(locs, str(i))
        if isinstance(item, list):
            found = _reference(item, config)
            if found is not None:
                where = found[2] or item_at
                items, items_locs = _dereference(found[0], found[1], where, config, depth + 1)
            else:
                items, items_locs = _dereference(item, item_locs, item_at, config, depth + 1)
            items = items if isinstance(items, list) else [items]
            for j, sub in enumerate(items):
                _place(
                    out_locs, len(out), items_locs.get(str(j), item_at), _under(items_locs, str(j))
                )
                out.append(sub)
        else:
            _place(out_locs, len(out), item_at, item_locs)
            out.append(item)
    return out, out_locs


def _place(out: dict[str, Location], index: int, at: Location | None, sub: dict) -> None:
    if at is not None:
        out[str(index)] = at
    out.update({f"{index}.{p}": v for p, v in sub.items()})


def _dereference_variables(raw: Any, config: _Config) -> tuple[Any, dict[str, Location] | None]:
    """A job's own variables with `!reference` (of the whole block or of single values)
    resolved; the block's locations (relative to `variables`) when it was a reference."""
    block_locs = None
    found = _reference(raw, config)
    if found is not None:
        raw, block_locs, _at = found
    if not isinstance(raw, dict):
        return raw, block_locs
    out = dict(raw)
    for name, value in raw.items():
        found = _reference(value, config)
        if found is not None:
            out[name] = found[0]
    return out, block_locs


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
                f"the image may come from {unresolved[0]} (not in this pipeline's files)"
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


# the branches that count as protected without looking at the project's settings
PROTECTED_BRANCHES = ("main", "master")
_REF = r"\$\{?CI_COMMIT_(?:BRANCH|REF_NAME)\}?"
_DEFAULT = r"\$\{?CI_DEFAULT_BRANCH\}?"
_PROTECTED_TESTS = (
    re.compile(r"""\$\{?CI_COMMIT_REF_PROTECTED\}?\s*==\s*["']?true\b"""),
    re.compile(r"\$\{?CI_COMMIT_TAG\}?(?!\s*(==|!=|=~|!~))"),  # set: a tag pipeline
    re.compile(r"""\$\{?CI_COMMIT_TAG\}?\s*(!=\s*null|=~|==\s*["'])"""),  # tags
    re.compile(rf"{_REF}\s*==\s*{_DEFAULT}|{_DEFAULT}\s*==\s*{_REF}"),
)
_BRANCH_EQUALS = re.compile(rf"""{_REF}\s*==\s*["']([^"']*)["']|["']([^"']*)["']\s*==\s*{_REF}""")
_BRANCH_MATCHES = re.compile(rf"{_REF}\s*=~\s*/")
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
        if any(
            str(r) not in ("tags", *PROTECTED_BRANCHES) and not str(r).startswith("/") for r in refs
        ):
            return False  # a branch of any name may be unprotected
        if any(str(r).startswith("/") for r in refs):
            return Unknown("the job's refs are patterns: check they match only protected refs")
        return True
    rules = workflow.get("rules") if isinstance(workflow, dict) else None
    return _rules_protected(rules) if rules else False


def _rules_protected(rules: Any) -> Any:
    """Every rule that can run the job tests a protected ref (a rule without `if` always runs):
    true, false, or Unknown where a branch pattern decides."""
    if not isinstance(rules, list) or not rules:
        return False
    runs = [r for r in rules if isinstance(r, dict) and r.get("when") != "never"]
    if not runs:
        return False
    verdicts = [
        _condition_protected(alternative)
        for rule in runs
        for alternative in str(rule.get("if", "")).split("||")
    ]
    if any(v is False for v in verdicts):
        return False
    unknown = next((v for v in verdicts if isinstance(v, Unknown)), None)
    return unknown if unknown is not None else True


def _condition_protected(condition: str) -> Any:
    """Whether one `&&` chain of a rule's `if` admits only protected refs."""
    verdict: Any = False
    for part in condition.split("&&"):
        if any(test.search(part) for test in _PROTECTED_TESTS):
            return True
        named = _BRANCH_EQUALS.search(part)
        if named and (named.group(1) or named.group(2)) in PROTECTED_BRANCHES:
            return True
        if _BRANCH_MATCHES.search(part):
            verdict = Unknown(
                "the rule matches branches by a pattern: check it matches only protected branches"
            )
    return verdict


def _resource(
    address: str, rtype: str, attrs: dict, loc: Location, locs: dict[str, Location]
) -> Resource:
    return ci_resource(Platform.GITLAB_CI.value, address, rtype, attrs, loc, locs)
