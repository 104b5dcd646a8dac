"""Derived values for the supply-chain rules SOC2-GHA-016..021: environment-file writes, bot
conditions, caches in publishing jobs, over-provisioned secrets, secrets outside environments."""

from __future__ import annotations

import re
from typing import Any

from soc2lint.model import Unknown
from soc2lint.platforms.github_actions.addresses import uses_info
from soc2lint.platforms.github_actions.deploys import DEPLOY_ACTIONS, DEPLOY_COMMAND
from soc2lint.platforms.shared.ci_common import as_map
from soc2lint.platforms.shared.ci_expressions import (
    attacker_controlled,
    contexts_in,
    find_expressions,
)

# events whose runs hold a write token or secrets while reacting to what outsiders send
PRIVILEGED_TRIGGERS = (
    "pull_request_target",
    "workflow_run",
    "issue_comment",
    "issues",
    "discussion",
    "discussion_comment",
    "pull_request_review",
    "pull_request_review_comment",
)
_ENV_FILE = r"\$\{?(GITHUB_ENV|GITHUB_PATH|GITHUB_OUTPUT)\}?"
ENV_FILE_LINE = re.compile(rf"(?im)^[^\n]*>>?[ \t]*[\"']?{_ENV_FILE}[^\n]*$")
_FILE_NAME = re.compile(_ENV_FILE)
_SHELL_VAR = re.compile(r"\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?")
# a value read from a file or a command: text whose origin the script alone does not show
_OPAQUE_SOURCE = re.compile(r"\$\(|`|\bcat\b|<[ \t]*[^<\s&]|\bjq\b|\bunzip\b|\bread\b")


def env_file_writes(run: Any, env: dict, inputs: dict, matrix: dict, triggers: list[str]) -> Any:
    """Writes to GITHUB_ENV/GITHUB_PATH/GITHUB_OUTPUT of text an outsider chooses, in a workflow
    on a privileged trigger; Unknown where the text comes from a file or a command."""
    hot = [t for t in PRIVILEGED_TRIGGERS if t in triggers]
    if not hot or not isinstance(run, str):
        return []
    found: list[str] = []
    opaque = ""
    for m in ENV_FILE_LINE.finditer(run):
        line = m.group(0)
        target = _FILE_NAME.search(line)
        name = target.group(1) if target else "GITHUB_ENV"
        flowing = [c for e in find_expressions(line) for c in e.flowing]
        for var in _SHELL_VAR.findall(line):
            if var.lower() in env and var not in ("GITHUB_ENV", "GITHUB_PATH", "GITHUB_OUTPUT"):
                flowing.append(f"env.{var.lower()}")
        verdict = attacker_controlled(flowing, env, inputs, matrix)
        if isinstance(verdict, list) and verdict:
            found.append(f"{name} gets {', '.join(verdict)} on {hot[0]}")
        elif not opaque and _OPAQUE_SOURCE.search(line.split(">>")[0]):
            opaque = f"{name} gets text read from a file or command on {hot[0]}: {line.strip()}"
    if found:
        return found
    if opaque:
        return Unknown(opaque[:160])
    return []


SPOOFABLE_ACTOR = re.compile(
    r"(?i)(github\.(actor|triggering_actor)|github\.event\.pull_request\.sender\.login)"
    r"\s*(==|!=)\s*'[^']*\[bot\]'"
    r"|'[^']*\[bot\]'\s*(==|!=)\s*(github\.(actor|triggering_actor))"
    r"|contains\(\s*'[^']*\[bot\][^']*'\s*,\s*github\.(actor|triggering_actor)\s*\)"
    r"|(github\.actor_id)\s*(==|!=)\s*'?(29110|49699333|27856297|29139614)\b"
)
BOT_TRIGGERS = ("pull_request", "pull_request_target", "workflow_run", *PRIVILEGED_TRIGGERS)


def spoofable_bot_check(condition: Any, triggers: list[str]) -> str:
    """The actor comparison in an if: that anyone can satisfy by triggering a bot's run."""
    if not isinstance(condition, str) or not any(t in triggers for t in BOT_TRIGGERS):
        return ""
    hit = SPOOFABLE_ACTOR.search(condition)
    return " ".join(hit.group(0).split()) if hit else ""


CACHE_ACTIONS = re.compile(
    r"(?i)^(actions/cache(/restore)?|swatinem/rust-cache|mozilla-actions/sccache-action)$"
)
# setup actions that restore a cache when their input says so (input -> values that turn it on)
CACHE_INPUTS = {
    "actions/setup-node": "cache",
    "actions/setup-python": "cache",
    "actions/setup-java": "cache",
    "actions/setup-dotnet": "cache",
    "astral-sh/setup-uv": "enable-cache",
    "pnpm/action-setup": "cache",
}
# setup actions whose cache is on unless switched off
CACHE_BY_DEFAULT = {"actions/setup-go": "cache", "gradle/actions/setup-gradle": "cache-disabled"}
PUBLISH_TRIGGERS = ("release", "registry_package")


def publishes(on: Any, triggers: list[str], steps: list, deploy_reasons: list[str]) -> str:
    """Why the job publishes or releases (empty: it does not)."""
    for t in PUBLISH_TRIGGERS:
        if t in triggers:
            return f"runs on {t}"
    push = on.get("push") if isinstance(on, dict) else None
    if isinstance(push, dict) and push.get("tags") is not None:
        return "runs on pushed tags"
    for step in steps:
        if not isinstance(step, dict):
            continue
        name = uses_info(step.get("uses")).get("uses_name", "")
        if name and DEPLOY_ACTIONS.match(name) or DEPLOY_COMMAND.search(str(step.get("run") or "")):
            return deploy_reasons[0] if deploy_reasons else "publishes"
    return ""


def restores_cache(step: dict) -> Any:
    """Whether the step restores a cache that other runs can write."""
    name = uses_info(step.get("uses")).get("uses_name", "")
    if not name:
        return False
    with_ = as_map(step.get("with"))
    if CACHE_ACTIONS.match(name):
        return True
    if name in CACHE_INPUTS:
        value = with_.get(CACHE_INPUTS[name])
        if value is None or str(value).strip().lower() in ("", "false"):
            return False
        if isinstance(value, str) and "${{" in value:
            return Unknown(f"{name} {CACHE_INPUTS[name]} is set by an expression")
        return True
    if name in CACHE_BY_DEFAULT:
        key = CACHE_BY_DEFAULT[name]
        value = str(with_.get(key, "")).strip().lower()
        if key == "cache-disabled":
            return value != "true"
        return value != "false"
    return False


def overprovisioned_secrets(value: Any) -> list[str]:
    """`toJSON(secrets)` or `secrets[...]` with a computed key in value (a step or job mapping
    outside its steps), as the YAML paths they are written at."""
    out: list[str] = []

    def walk(node: Any, path: str) -> None:
        if isinstance(node, dict):
            for k, v in node.items():
                if path == "" and k == "steps":
                    continue
                walk(v, f"{path}.{k}" if path else str(k))
        elif isinstance(node, list):
            for i, v in enumerate(node):
                walk(v, f"{path}.{i}")
        elif (
            isinstance(node, str)
            and "secrets" in node.lower()
            and any(c in ("secrets", "secrets.*") for c in contexts_in(node))
        ):
            out.append(path)

    walk(value, "")
    return out


def secrets_read(value: Any) -> list[tuple[str, str]]:
    """(secret name, YAML path) of each `secrets.NAME` read in value, GITHUB_TOKEN aside."""
    out: list[tuple[str, str]] = []

    def walk(node: Any, path: str) -> None:
        if isinstance(node, dict):
            for k, v in node.items():
                walk(v, f"{path}.{k}" if path else str(k))
        elif isinstance(node, list):
            for i, v in enumerate(node):
                walk(v, f"{path}.{i}")
        elif isinstance(node, str) and "secrets" in node.lower():
            for ctx in contexts_in(node):
                parts = ctx.split(".")
                if parts[0] == "secrets" and parts[1:] and parts[1] != "github_token":
                    out.append((parts[1], path))

    walk(value, "")
    return out
