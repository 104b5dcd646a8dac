"""The allow-list of approved actions, reusable workflows and images (`github_actions: approved:`).

Set only when the configuration writes the list: without it SOC2-GHA-024 is not evaluated (the
scan says so), because an empty allow-list and an unwritten one mean different things."""

from __future__ import annotations

from fnmatch import fnmatchcase
from typing import Any

from soc2lint.model import Unknown
from soc2lint.platforms.shared.ci_expressions import is_expression


def action_approved(name: str, refs: list[str], patterns: list[str]) -> bool:
    """Whether `owner/repo[/path]@ref` is approved: a glob matches the name (`actions/*`), the
    name with its ref (`docker/login-action@v3*`; a commit SHA is also known by the version its
    comment names), or names the repository the action lives in (`github/codeql-action`
    approves `github/codeql-action/init`)."""
    name = name.lower()
    repo = "/".join(name.split("/")[:2])
    for pattern in patterns:
        if "@" in pattern:
            if any(fnmatchcase(f"{name}@{ref.lower()}", pattern) for ref in refs if ref):
                return True
        elif fnmatchcase(name, pattern) or fnmatchcase(repo, pattern):
            return True
    return False


def image_approved(image: Any, patterns: list[str]) -> Any:
    """Whether an image reference is approved: a glob matches it whole (`python:3.12*`) or
    without its tag and digest (`ghcr.io/acme/*`); Unknown when it is set at run time."""
    if not isinstance(image, str) or is_expression(image):
        return Unknown(f"image {image} is set by an expression, known only when the job runs")
    bare = image.partition("@")[0]
    last = bare.rsplit("/", 1)
    if ":" in last[-1]:
        bare = bare[: len(bare) - len(last[-1])] + last[-1].partition(":")[0]
    return any(fnmatchcase(image, p) or fnmatchcase(bare, p) for p in patterns)


def with_approvals(res_type: str, attrs: dict, approved: dict) -> dict:
    """attrs with `uses_approved` (a step's or job's action or reusable workflow) and each
    image's `approved` (a job's container, services and docker:// steps)."""
    out = dict(attrs)
    if attrs.get("uses_kind") in ("action", "reusable"):
        refs = [str(attrs.get("uses_ref") or ""), str(attrs.get("uses_version_comment") or "")]
        out["uses_approved"] = action_approved(
            str(attrs.get("uses_name", "")), refs, approved["actions"]
        )
    if res_type == "github_job" and isinstance(attrs.get("images"), list):
        out["images"] = [
            {**image, "approved": image_approved(image.get("image"), approved["images"])}
            if isinstance(image, dict)
            else image
            for image in attrs["images"]
        ]
    return out
