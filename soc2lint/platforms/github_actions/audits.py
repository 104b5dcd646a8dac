"""Derived values for the supply-chain rules SOC2-GHA-016..021: environment-file writes, bot
conditions, caches in publishing jobs, over-provisioned secrets, secrets outside environments."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from soc2lint.model import Unknown
from soc2lint.platforms.github_actions.addresses import uses_info
from soc2lint.platforms.github_actions.deploys import DEPLOY_ACTIONS, DEPLOY_COMMAND
from soc2lint.platforms.shared.ci_common import as_map
from soc2lint.platforms.shared.ci_expressions import (
    attacker_controlled,
    contexts_in,
    falsy_ternary_values,
    find_expressions,
    parse_tree,
    possible_results,
    truthy,
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
_ASSIGNMENT = re.compile(r"^\s*(?:export\s+|local\s+)?([A-Za-z_][A-Za-z0-9_]*)=(.*)$")
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
    # shell variables of the script that hold outsiders' text: message=$(echo "$TITLE" | ...)
    tainted: dict[str, list[str]] = {}

    def carried(line: str) -> list[str]:
        flowing = [c for e in find_expressions(line) for c in e.flowing]
        for var in _SHELL_VAR.findall(line):
            if var in ("GITHUB_ENV", "GITHUB_PATH", "GITHUB_OUTPUT"):
                continue
            if var in tainted:
                flowing.extend(tainted[var])
            elif var.lower() in env:
                flowing.append(f"env.{var.lower()}")
        return flowing

    for line in run.splitlines():
        assign = _ASSIGNMENT.match(line)
        if assign:
            verdict = attacker_controlled(carried(assign.group(2)), env, inputs, matrix)
            if isinstance(verdict, list) and verdict:
                tainted[assign.group(1)] = verdict
    for m in ENV_FILE_LINE.finditer(run):
        line = m.group(0)
        target = _FILE_NAME.search(line)
        name = target.group(1) if target else "GITHUB_ENV"
        verdict = attacker_controlled(carried(line), env, inputs, matrix)
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


# actions that restore a cache: action -> (input that switches it, on unless switched off?)
CACHE_SWITCHES: dict[str, tuple[str, bool]] = {
    "actions/cache": ("", True),
    "actions/cache/restore": ("", True),
    "swatinem/rust-cache": ("lookup-only", True),  # lookup-only: true restores nothing
    "mozilla-actions/sccache-action": ("", True),
    "actions/setup-node": ("cache", False),
    "actions/setup-python": ("cache", False),
    "actions/setup-java": ("cache", False),
    "actions/setup-dotnet": ("cache", False),
    "pnpm/action-setup": ("cache", False),
    "pyo3/maturin-action": ("sccache", False),
    "actions/setup-go": ("cache", True),
    "astral-sh/setup-uv": ("enable-cache", True),  # "auto": on for GitHub-hosted runners
    "gradle/actions/setup-gradle": ("cache-disabled", True),
    "ramsey/composer-install": ("ignore-cache", True),
}
# inputs whose true value switches the cache off
_OFF_WHEN_TRUE = {"lookup-only", "cache-disabled", "ignore-cache"}
_FALSE = {"false", "no", "0", "off", ""}
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
    """Whether the step restores a cache that other runs can write (Unknown: an expression
    decides)."""
    name = uses_info(step.get("uses")).get("uses_name", "")
    with_ = as_map(step.get("with"))
    if name == "docker/build-push-action":
        return "type=gha" in str(with_.get("cache-from", ""))
    if name not in CACHE_SWITCHES:
        return False
    if name == "actions/setup-node" and "package-manager-cache" in with_:
        # v5 and later: the package manager's cache, on by default where package.json names
        # the package manager (which the workflow does not show); judged only when written
        value = with_["package-manager-cache"]
        if isinstance(value, str) and "${{" in value:
            return Unknown("actions/setup-node package-manager-cache is set by an expression")
        if str(value).strip().lower() not in _FALSE:
            return True
    key, default_on = CACHE_SWITCHES[name]
    if not key or key not in with_:
        return default_on
    value = with_[key]
    if isinstance(value, str) and "${{" in value:
        return Unknown(f"{name} {key} is set by an expression")
    truthy = str(value).strip().lower() not in _FALSE
    return not truthy if key in _OFF_WHEN_TRUE else truthy


def _strings(value: Any, skip: tuple[str, ...] = ()) -> Iterator[tuple[str, str]]:
    """(YAML path, text) of every string in value, in order; the keys in skip (at the top) are
    not read."""

    def walk(node: Any, path: str) -> Iterator[tuple[str, str]]:
        if isinstance(node, dict):
            for k, v in node.items():
                if not (path == "" and k in skip):
                    yield from walk(v, f"{path}.{k}" if path else str(k))
        elif isinstance(node, list):
            for i, v in enumerate(node):
                yield from walk(v, f"{path}.{i}")
        elif isinstance(node, str):
            yield path, node

    return walk(value, "")


def overprovisioned_secrets(value: Any) -> list[str]:
    """`toJSON(secrets)` or `secrets[...]` with a computed key in value (a step or job mapping
    outside its steps), as the YAML paths they are written at."""
    return [
        path
        for path, text in _strings(value, ("steps",))
        if "secrets" in text.lower()
        and any(c in ("secrets", "secrets.*") for c in contexts_in(text))
    ]


def secrets_read(value: Any) -> list[tuple[str, str]]:
    """(secret name, YAML path) of each `secrets.NAME` read in value, GITHUB_TOKEN aside."""
    out: list[tuple[str, str]] = []
    for path, text in _strings(value):
        if "secrets" not in text.lower():
            continue
        for ctx in contexts_in(text):
            parts = ctx.split(".")
            if parts[0] == "secrets" and parts[1:] and parts[1] != "github_token":
                out.append((parts[1], path))
    return out


# registries that accept OIDC trusted publishing from GitHub Actions, and how a step publishes
# to each with a long-lived token: (registry, command pattern, token variables, token flags)
_TOKEN_FLAG = re.compile(r"(--token|--password|-p)[ \t=]+\S*\$\{\{\s*secrets\.", re.I)
_PUBLISH_COMMANDS = (
    ("PyPI", re.compile(r"\btwine[ \t]+upload\b"), ("twine_password",), _TOKEN_FLAG),
    (
        "PyPI",
        re.compile(r"\buv[ \t]+publish\b"),
        ("uv_publish_token", "uv_publish_password"),
        _TOKEN_FLAG,
    ),
    ("PyPI", re.compile(r"\bpoetry[ \t]+publish\b"), ("poetry_pypi_token_pypi",), _TOKEN_FLAG),
    (
        "PyPI",
        re.compile(r"\b(hatch|flit)[ \t]+publish\b"),
        ("hatch_index_auth", "flit_password"),
        _TOKEN_FLAG,
    ),
    (
        "npm",
        re.compile(r"\b(npm|pnpm|bun)[ \t]+publish\b|\byarn[ \t]+(npm[ \t]+)?publish\b"),
        ("node_auth_token", "npm_token", "npm_auth_token", "npm_config_token"),
        _TOKEN_FLAG,
    ),
    ("crates.io", re.compile(r"\bcargo[ \t]+publish\b"), ("cargo_registry_token",), _TOKEN_FLAG),
    ("RubyGems", re.compile(r"\bgem[ \t]+push\b"), ("gem_host_api_key",), _TOKEN_FLAG),
    (
        "NuGet",
        re.compile(r"\b(dotnet[ \t]+nuget|nuget(\.exe)?)[ \t]+push\b", re.I),
        ("nuget_api_key", "nuget_auth_token"),
        # the API key on the command line: dotnet's --api-key/-k, nuget.exe's -ApiKey
        re.compile(r"(--api-key|-k|-apikey)[ \t=]+\S*\$\{\{\s*secrets\.", re.I),
    ),
)
# the same key through a variable the step's environment fills from a secret: `-k $NUGET_KEY`
_FLAG_VARIABLE = re.compile(r"(--api-key|-k|-apikey|--token)[ \t=]+[\"']?\$\{?(\w+)", re.I)


def long_lived_publish_tokens(step: dict, env: dict) -> list[str]:
    """How the step publishes with a stored token to a registry that offers trusted publishing."""
    out: list[str] = []
    name = uses_info(step.get("uses")).get("uses_name", "")
    with_ = as_map(step.get("with"))
    if name == "pypa/gh-action-pypi-publish" and "password" in with_:
        out.append("pypa/gh-action-pypi-publish with password: (PyPI)")
    run = step.get("run")
    if not isinstance(run, str):
        return out
    for registry, command, variables, flags in _PUBLISH_COMMANDS:
        if not command.search(run):
            continue
        named = {m.group(2).lower() for m in _FLAG_VARIABLE.finditer(run)}
        held = [
            v
            for v in (*variables, *sorted(named - set(variables)))
            if "secrets." in str(env.get(v, "")).lower()
        ]
        if held:
            out.append(f"{registry} with {held[0].upper()} from a secret")
        elif flags.search(run):
            out.append(f"{registry} with a token from a secret on the command line")
    return out
    for registry, command, variables in _PUBLISH_COMMANDS:
        if not command.search(run):
            continue
        held = [v for v in variables if "secrets." in str(env.get(v, "")).lower()]
        if held:
            out.append(f"{registry} with {held[0].upper()} from a secret")
        elif _TOKEN_FLAG.search(run):
            out.append(f"{registry} with a token from a secret on the command line")
    return out


# contexts whose text a person can choose: branch and tag names, actor names, inputs, env
_CHOSEN = re.compile(
    r"^(github\.(actor|triggering_actor|head_ref|base_ref|ref|ref_name)|env\.|inputs\.|"
    r"github\.event\.)",
    re.I,
)
# contains('<string literal>', <context>): a substring test, not membership
_CONTAINS_LITERAL = re.compile(
    r"\bcontains\s*\(\s*'((?:[^']|'')*)'\s*,\s*([A-Za-z_][A-Za-z0-9_.\-*]*)\s*\)", re.I
)


def unsound_condition(condition: Any) -> list[str]:
    """Why an `if:` does not test what it reads as, or [] when it does.

    GitHub evaluates an `if:` as an expression when it is one bare expression or exactly one
    `${{ }}`; anything else around a `${{ }}` (a block scalar's trailing newline, a space,
    `&& x`, a second `${{ }}`) makes it a string template, and a non-empty string is true.
    `contains('main,develop', github.ref_name)` with a string literal first is a substring
    test that a chosen branch or actor name (`n,dev`) passes. `cond && '' || x` is a
    pseudo-ternary that yields x even when cond holds."""
    if not isinstance(condition, str):
        return []
    out = []
    found = find_expressions(condition)
    for inner in [e.text for e in found] if found else [condition]:
        for value in ternary_fall_through(inner):
            out.append(value)
    if found and not (len(found) == 1 and found[0].start == 0 and found[0].end == len(condition)):
        only_space = (
            len(found) == 1 and condition.strip() == condition[found[0].start : found[0].end]
        )
        why = "whitespace" if only_space else "text"
        if condition.endswith("\n") and only_space:
            why = "the trailing newline of a `|` or `>` block"
        out.append(f"always true: {why} beside ${{{{ }}}} makes it a non-empty string")
    for hit in _CONTAINS_LITERAL.finditer(condition):
        if _CHOSEN.match(hit.group(2)):
            out.append(
                f"contains('{hit.group(1)}', {hit.group(2)}) is a substring test that a chosen "
                f"{hit.group(2)} can pass"
            )
    return out


def ternary_fall_through(inner: str) -> list[str]:
    """Why each `cond && value || fallback` in one expression's text falls through: its value is
    always falsy, so it yields the fallback whether or not cond holds."""
    if "&&" not in inner or "||" not in inner:
        return []
    tree = parse_tree(inner)
    return [
        f"falls through: `{value}` is falsy, so `cond && {value} || x` always yields x"
        for value in (falsy_ternary_values(tree) if tree else [])
    ]


def falling_ternaries(value: Any, skip: tuple[str, ...] = ("if", "steps")) -> list[str]:
    """YAML paths (relative to value, a job or step mapping) of strings whose `${{ }}` holds a
    pseudo-ternary that falls through; the keys in skip (at the top) are not read."""
    return [
        path
        for path, text in _strings(value, skip)
        if "&&" in text
        and "||" in text
        and any(ternary_fall_through(e.text) for e in find_expressions(text))
    ]


def deployment_environment(environment: Any) -> Any:
    """Whether a job's `environment:` names an environment on every run: True, False (none),
    the reason it can be empty (an expression such as `cond && 'production' || ''`), or
    Unknown where an expression's value is not in the workflow (`${{ inputs.target }}`)."""
    name = environment.get("name") if isinstance(environment, dict) else environment
    if name is None or isinstance(name, bool) or str(name).strip() == "":
        return False
    text = str(name)
    found = find_expressions(text)
    if not found:
        return True
    if len(found) > 1 or text.strip() != text[found[0].start : found[0].end]:
        return True  # text beside the expression: the name is never empty
    tree = parse_tree(found[0].text)
    results = possible_results(tree) if tree else None
    if results is None:
        return Unknown(f"the environment is chosen at run time: {text.strip()[:120]}")
    empty = [r for r in results if not truthy(r)]
    if empty:
        return f"`{found[0].text[:120]}` gives no environment"
    return True
