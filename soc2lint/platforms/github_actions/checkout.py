"""Steps that fetch untrusted code (the pull request's head), and what carries a checkout's
persisted token out of the runner."""

from __future__ import annotations

from typing import Any

from soc2lint.engine.linear_regex import compile_linear
from soc2lint.model import Location
from soc2lint.platforms.github_actions.addresses import uses_info
from soc2lint.platforms.shared.ci_expressions import flowing_in

UPLOADERS = {"actions/upload-artifact", "actions/upload-pages-artifact"}
# triggers whose runs hold a write token and secrets while reacting to outsiders' events
PRIVILEGED_PR = ("pull_request_target", "workflow_run")
# owners whose actions are GitHub's own: not third-party code
FIRST_PARTY = ("actions/", "github/")
PR_TRIGGERS = ("pull_request", "pull_request_target", "workflow_run")
# refs and repositories that name the pull request's (or triggering run's) head: its code
_HEAD_REF = (
    r"pull_request\.head\.(sha|ref)|pull_request\.merge_commit_sha|github\.head_ref"
    r"|workflow_run\.head_(sha|branch)|workflow_run\.pull_requests|refs/pull/"
)
# run: scripts and values from the repository: RE2, linear in their length
HEAD_REF = compile_linear(f"(?i)({_HEAD_REF})")
HEAD_REPO = compile_linear(
    r"(?i)pull_request\.head\.repo\.|workflow_run\.head_repository\.|github\.head_repository"
)
_GIT_VERB = (
    r"\bgit[ \t]+(?:\S+[ \t]+){0,4}?(checkout|switch|reset|merge|pull|fetch|clone|worktree)\b"
)
HEAD_IN_SCRIPT = compile_linear(
    r"(?im)\bgh[ \t]+pr[ \t]+(checkout|co)\b"
    r"|\bgit[ \t]+fetch\b[^\n]*\bpull/[^\n/]+/(head|merge)\b"
    rf"|{_GIT_VERB}[^\n]*(\$\{{\{{[^}}]*({_HEAD_REF}|pull_request\.head\.repo\.|"
    r"workflow_run\.head_repository\.)[^}]*\}\})"
)
_GIT_LINE = compile_linear(rf"(?im){_GIT_VERB}[^\n]*")
_SHELL_VAR = compile_linear(r"\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?")


def untrusted_checkout(
    attrs: dict[str, Any], locs: dict[str, Location], step: dict, with_: dict, env: dict
) -> None:
    """How the step fetches the pull request's (or triggering run's) head code, if it does."""
    found: list[str] = []
    where = ""
    if attrs.get("uses_name") == "actions/checkout":
        for key, pattern in (("ref", HEAD_REF), ("repository", HEAD_REPO)):
            value = with_.get(key)
            if not isinstance(value, str):
                continue
            if pattern.search(value):
                found.append(f"checks out with.{key}: {value.strip()}")
                where = where or f"with.{key}"
                continue
            # ref: ${{ env.HEAD_SHA }} with HEAD_SHA set from the head's ref at any env level
            for ctx in flowing_in(value):
                held = env.get(ctx[4:]) if ctx.startswith("env.") and ctx.count(".") == 1 else None
                if isinstance(held, str) and pattern.search(held):
                    found.append(f"checks out with.{key}: {value.strip()} ({held.strip()})")
                    where = where or f"with.{key}"
                    break
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


def exposures(steps: list, keys: list[str], n: int, triggers: list[str]) -> list[str]:
    """Later steps of the job that could carry the persisted token out of the runner."""
    out = []
    untrusted = [t for t in PR_TRIGGERS if t in triggers]
    privileged = [t for t in PRIVILEGED_PR if t in triggers]
    for m in range(n + 1, len(steps)):
        later = steps[m] if isinstance(steps[m], dict) else {}
        info = uses_info(later.get("uses"))
        name = info.get("uses_name")
        if name in UPLOADERS:
            out.append(f"steps[{keys[m]}] uploads an artifact with {name}")
        elif "run" in later and untrusted:
            out.append(f"steps[{keys[m]}] runs a script on {untrusted[0]}")
        elif (
            privileged
            and info.get("uses_kind") in ("action", "docker")
            and not str(name).startswith(FIRST_PARTY)
        ):
            # a third-party action reads the workspace, .git/config included
            out.append(f"steps[{keys[m]}] runs the third-party action {name} on {privileged[0]}")
    return out
