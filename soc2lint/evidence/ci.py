"""The CI run a scan belongs to (GitHub Actions, GitLab CI), read from its environment."""

from __future__ import annotations

import json
import os
from collections.abc import Mapping

from soc2lint.evidence.gitinfo import sanitize_url

# record field -> environment variable; never CI_REPOSITORY_URL or CI_JOB_TOKEN (credentials)
_GITHUB = {
    "repository": "GITHUB_REPOSITORY",
    "run_id": "GITHUB_RUN_ID",
    "run_attempt": "GITHUB_RUN_ATTEMPT",
    "workflow": "GITHUB_WORKFLOW",
    "job": "GITHUB_JOB",
    "event_name": "GITHUB_EVENT_NAME",
    "ref": "GITHUB_REF",
    "sha": "GITHUB_SHA",
    "actor": "GITHUB_ACTOR",
}
_GITLAB = {
    "project": "CI_PROJECT_PATH",
    "pipeline_id": "CI_PIPELINE_ID",
    "job_id": "CI_JOB_ID",
    "job_name": "CI_JOB_NAME",
    "pipeline_source": "CI_PIPELINE_SOURCE",
    "ref": "CI_COMMIT_REF_NAME",
    "sha": "CI_COMMIT_SHA",
    "user": "GITLAB_USER_LOGIN",
    "pipeline_url": "CI_PIPELINE_URL",
    "job_url": "CI_JOB_URL",
}
_GITLAB_MR = {
    "number": "CI_MERGE_REQUEST_IID",
    "base": "CI_MERGE_REQUEST_TARGET_BRANCH_NAME",
    "head": "CI_MERGE_REQUEST_SOURCE_BRANCH_NAME",
    "base_sha": "CI_MERGE_REQUEST_DIFF_BASE_SHA",
    "head_sha": "CI_MERGE_REQUEST_SOURCE_BRANCH_SHA",
}


def _pick(env: Mapping[str, str], fields: dict[str, str]) -> dict:
    return {key: env.get(name) or None for key, name in fields.items()}


def _github_pull_request(env: Mapping[str, str]) -> dict | None:
    path = env.get("GITHUB_EVENT_PATH")
    if not path:
        return None
    try:
        with open(path, encoding="utf-8") as handle:
            event = json.load(handle)
    except (OSError, ValueError):
        return None
    pr = event.get("pull_request") if isinstance(event, dict) else None
    if not isinstance(pr, dict):
        return None

    def get(*keys: str) -> object:
        node: object = pr
        for key in keys:
            node = node.get(key) if isinstance(node, dict) else None
        return node

    return {
        "number": get("number"),
        "author": get("user", "login"),
        "base": get("base", "ref"),
        "head": get("head", "ref"),
        "base_sha": get("base", "sha"),
        "head_sha": get("head", "sha"),
    }


def ci_context(environ: Mapping[str, str] | None = None) -> dict | None:
    """{provider, ...run identity, pull_request} for GitHub Actions or GitLab CI, else None."""
    env = os.environ if environ is None else environ
    if env.get("GITHUB_ACTIONS") == "true" or env.get("GITHUB_RUN_ID"):
        ctx = {"provider": "github", **_pick(env, _GITHUB)}
        server = sanitize_url(env.get("GITHUB_SERVER_URL") or "https://github.com")
        if ctx["repository"] and ctx["run_id"]:
            ctx["run_url"] = f"{server}/{ctx['repository']}/actions/runs/{ctx['run_id']}"
        ctx["pull_request"] = _github_pull_request(env)
        return ctx
    if env.get("GITLAB_CI") == "true" or env.get("CI_PIPELINE_ID"):
        ctx = {"provider": "gitlab", **_pick(env, _GITLAB)}
        for key in ("pipeline_url", "job_url"):
            if ctx[key]:
                ctx[key] = sanitize_url(ctx[key])
        mr = _pick(env, _GITLAB_MR)
        # GitLab exposes no merge request author; the pipeline's user is in "user"
        ctx["pull_request"] = {**mr, "author": None} if mr["number"] else None
        return ctx
    if env.get("CI"):
        return {"provider": "unknown"}
    return None
