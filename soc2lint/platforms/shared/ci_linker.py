"""CI edges: what a pipeline contains, what its jobs need, and what they use.

Edge kinds (source -> target):
  contains   github_workflow -> github_job -> github_step; github_action -> github_step;
             gitlab_pipeline -> gitlab_job
  needs      github_job -> github_job, gitlab_job -> gitlab_job (the job waits for the target)
  uses       github_step -> local composite action (github_action);
             github_job -> local reusable workflow (github_workflow);
             github_step / github_job -> the `repository` when it uses an action or reusable
             workflow of the repository itself (`owner/repo/...` naming the repository's identity)
  includes   gitlab_pipeline -> gitlab_include -> the included file's gitlab_pipeline (local; a
             wildcard include links to every file it names)

Local `uses: ./x` paths are relative to the repository the workflow belongs to: the directory
above `.github/workflows/` (the scan root for a workflow at the top).
"""

from __future__ import annotations

import posixpath
from collections.abc import Callable

from soc2lint.graph import ResourceGraph
from soc2lint.model import Platform, Resource


def link(graph: ResourceGraph, resources: list[Resource], platform: str | None = None) -> None:
    """Edges among one CI platform's resources (both CI platforms' when platform is None)."""
    platforms = (
        (platform,) if platform else (Platform.GITHUB_ACTIONS.value, Platform.GITLAB_CI.value)
    )
    by_address = {r.address: r for r in resources if r.platform in platforms}
    pipeline_of = _link_local_includes(graph, by_address)
    repository = next((r for r in resources if r.type == "repository"), None)
    identity = str(repository.attributes.get("identity") or "") if repository else ""
    jobs = {
        (pipeline_of(r.location.path), _job_name(r)): r
        for r in by_address.values()
        if r.type in ("github_job", "gitlab_job")
    }
    for res in by_address.values():
        path = res.location.path
        if res.type in ("github_job", "gitlab_job"):
            parent = by_address.get(path)
            if parent is not None:
                graph.add_edge(parent.key, res.key, "contains", "jobs")
            for name in _needs(res):
                target = jobs.get((pipeline_of(path), name))
                if target is not None:
                    graph.add_edge(res.key, target.key, "needs", "needs")
            if res.type == "github_job":
                _link_uses(graph, by_address, res)
                _link_own_repository(graph, res, repository, identity)
        elif res.type == "github_step":
            in_action = res.address.startswith(f"{path}:runs.steps[")
            job = f"{path}:jobs.{res.attributes.get('job_id')}"
            parent = by_address.get(path if in_action else job)
            if parent is not None:
                graph.add_edge(parent.key, res.key, "contains", "steps")
            _link_uses(graph, by_address, res)
            _link_own_repository(graph, res, repository, identity)
        elif res.type == "gitlab_include":
            parent = by_address.get(path)
            if parent is not None:
                graph.add_edge(parent.key, res.key, "includes", "include")


def _link_local_includes(
    graph: ResourceGraph, by_address: dict[str, Resource]
) -> Callable[[str], str]:
    """Link local includes to the files they name (when scanned); return path -> pipeline id.

    A file and the files it includes locally form one pipeline, so `needs:` may name a job
    defined in any of them.
    """
    parent: dict[str, str] = {}

    def find(path: str) -> str:
        while parent.get(path, path) != path:
            path = parent[path]
        return path

    for res in by_address.values():
        if res.type != "gitlab_include" or res.attributes.get("type") != "local":
            continue
        targets = res.attributes.get("targets") or [res.attributes.get("location")]
        for path in map(str, targets):
            target = by_address.get(path)
            if target is None or target.type != "gitlab_pipeline":
                continue
            graph.add_edge(res.key, target.key, "includes", "local")
            if find(target.address) != find(res.location.path):
                parent[find(target.address)] = find(res.location.path)
    return find


def _job_name(res: Resource) -> str:
    return str(res.attributes.get("job_id") or res.attributes.get("name") or "")


def _needs(res: Resource) -> list[str]:
    needs = res.attributes.get("needs")
    if isinstance(needs, str):
        return [needs]
    return [str(n) for n in needs] if isinstance(needs, list) else []


def repository_root(path: str) -> str:
    """The directory a workflow's `./` paths start from: above `.github/workflows/`."""
    marker = ".github/workflows/"
    index = f"/{path}".rfind(f"/{marker}")
    return path[: max(index, 0)].rstrip("/") if index >= 0 else ""


def _link_own_repository(
    graph: ResourceGraph, res: Resource, repository: Resource | None, identity: str
) -> None:
    """An action or reusable workflow of the scanned repository itself: versioned with it."""
    if repository is None or not identity:
        return
    if res.attributes.get("uses_kind") not in ("action", "reusable"):
        return
    owner_repo = "/".join(str(res.attributes.get("uses_name") or "").split("/")[:2])
    if owner_repo.lower() == identity.lower():
        graph.add_edge(res.key, repository.key, "uses", "uses")


def _link_uses(graph: ResourceGraph, by_address: dict[str, Resource], res: Resource) -> None:
    uses = res.attributes.get("uses")
    if res.attributes.get("uses_kind") != "local" or not isinstance(uses, str):
        return
    root = repository_root(res.location.path)
    target_path = posixpath.normpath(posixpath.join(root, uses.strip()))
    candidates = [target_path]
    if not target_path.endswith((".yml", ".yaml")):
        candidates = [f"{target_path}/action.yml", f"{target_path}/action.yaml"]
    for candidate in candidates:
        target = by_address.get(candidate)
        if target is not None and target.type in ("github_action", "github_workflow"):
            graph.add_edge(res.key, target.key, "uses", "uses")
            return
