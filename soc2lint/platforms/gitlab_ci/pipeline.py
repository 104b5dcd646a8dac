"""A pipeline file's own resources: the `gitlab_pipeline` and its `gitlab_include` entries."""

from __future__ import annotations

from typing import Any

from soc2lint.model import Location, Platform, Resource
from soc2lint.platforms.gitlab_ci.config import is_job
from soc2lint.platforms.gitlab_ci.includes import include_entries, include_entry
from soc2lint.platforms.gitlab_ci.variables import debug_trace, literal, variable_values
from soc2lint.platforms.shared.ci_common import (
    ci_resource,
    secret_literals,
    set_list_locations,
)
from soc2lint.platforms.shared.yamlsrc import YamlDoc


def pipeline_resources(path: str, doc: YamlDoc, targets: dict[str, list[str]]) -> list[Resource]:
    """The file's `gitlab_pipeline` and one `gitlab_include` per include entry."""
    data = doc.data
    locs = doc.located(path, "")
    attrs = dict(data)
    attrs["variables"] = variable_values(data.get("variables"))
    entries = include_entries(data)
    includes = [include_entry(e) for e in entries]
    attrs["includes"] = includes
    attrs["local_includes"] = [i["location"] for i in includes if i["type"] == "local"]
    attrs["jobs"] = sorted(k for k, v in data.items() if is_job(k, v))
    found = secret_literals(attrs["variables"], "variables", literal)
    set_list_locations(attrs, locs, "literal_secrets", found)
    debug_trace(attrs, locs, attrs["variables"])
    where = Location(path, doc.start_line, doc.end_line)
    out = [resource(path, "gitlab_pipeline", attrs, where, locs)]
    for n, (entry, info) in enumerate(zip(entries, includes, strict=True)):
        if info["type"] == "local" and info["location"] in targets:
            info = {**info, "targets": targets[info["location"]]}
        out.append(_include(path, doc, n, entry, info))
    return out


def _include(path: str, doc: YamlDoc, n: int, entry: Any, info: dict) -> Resource:
    prefix = f"include.{n}" if isinstance(doc.data.get("include"), list) else "include"
    locs = doc.located(path, prefix)
    attrs = {**entry, **info} if isinstance(entry, dict) else dict(info)
    start, end = doc.span(prefix)
    for key in ("type", "location"):
        locs.setdefault(key, Location(path, start, start))
    locs["pinned"] = locs.get("ref") or locs.get(attrs["type"]) or Location(path, start, start)
    return resource(
        f"{path}:include[{n}]", "gitlab_include", attrs, Location(path, start, end), locs
    )


def resource(
    address: str, rtype: str, attrs: dict, loc: Location, locs: dict[str, Location]
) -> Resource:
    """A GitLab CI resource."""
    return ci_resource(Platform.GITLAB_CI.value, address, rtype, attrs, loc, locs)
