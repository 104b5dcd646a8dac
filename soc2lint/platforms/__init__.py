"""The platform registry: the one place that lists the platforms soc2lint reads.

Each entry is a package `soc2lint.platforms.<name>` whose `platform` module defines `PLATFORM`
(see `contract.Platform`). A platform kept outside soc2lint is added with `register()`, or, for
the command line, by naming its module in `SOC2LINT_PLATFORMS` (comma-separated modules, each
defining `PLATFORM`). The order matters twice: a file that several platforms could claim by
its content goes to the first that takes it, and assemble steps run in this order (GitLab includes
and Kubernetes renders before Terraform's modules, the repository last, over every file read).
"""

from __future__ import annotations

import functools
import importlib
import os
import sys
from collections.abc import Callable

from soc2lint.platforms.contract import Assembly, Base, Parsed, Platform

__all__ = [
    "Assembly",
    "Base",
    "Parsed",
    "Platform",
    "by_rule_platform",
    "claim",
    "claimer",
    "content_candidates",
    "get",
    "identity",
    "platforms",
    "register",
]

PACKAGES = (
    "github_actions",
    "gitlab_ci",
    "cloudformation",
    "docker_compose",
    "kubernetes",
    "terraform",
    "dockerfile",
    "repository",
)

_extra: list[Platform] = []  # registered at run time (a test's throwaway platform)


@functools.cache
def _bundled() -> tuple[Platform, ...]:
    return tuple(
        importlib.import_module(f"soc2lint.platforms.{name}.platform").PLATFORM for name in PACKAGES
    )


@functools.cache
def _named(modules: str) -> tuple[Platform, ...]:
    names = [m.strip() for m in modules.split(",") if m.strip()]
    return tuple(importlib.import_module(m).PLATFORM for m in names)


def platforms() -> list[Platform]:
    """Every platform, in registry order (bundled, then named in the environment, then
    registered at run time)."""
    named = _named(os.environ.get("SOC2LINT_PLATFORMS", ""))
    return [*_bundled(), *named, *_extra]


def register(platform: Platform) -> None:
    """Add a platform at run time (tests, embedding); replaces one of the same name."""
    unregister(platform.name)
    _extra.append(platform)


def unregister(name: str) -> None:
    _extra[:] = [p for p in _extra if p.name != name]


def get(name: str) -> Platform:
    for platform in platforms():
        if platform.name == name:
            return platform
    raise KeyError(name)


def by_rule_platform() -> dict[str, Platform]:
    """The platform whose resources each rule `platform:` names (the first, when several do)."""
    out: dict[str, Platform] = {}
    for platform in platforms():
        out.setdefault(platform.rule_platform, platform)
    return out


def claim(path: str) -> tuple[str, str] | None:
    """(platform, kind) for a repository-relative path: by the path alone; ("", "") when the
    content must decide between platforms; None when no platform reads it."""
    return claimer()(path)


def claimer() -> Callable[[str], tuple[str, str] | None]:
    """claim() for many paths: the registry as it is now, looked up once (a walk of a large
    repository asks for every file). A platform that says its claim() and may_sniff() read
    only the file name (`claims_by_name`) is asked once per name; the others once per path,
    in registry order as claim() asks them."""
    asked = [
        (i, p.name, p.claim, p.may_sniff, bool(getattr(p, "claims_by_name", False)))
        for i, p in enumerate(platforms())
    ]
    by_path = [(i, name, claims, may_sniff) for i, name, claims, may_sniff, n in asked if not n]
    by_name = [(i, name, claims, may_sniff) for i, name, claims, may_sniff, n in asked if n]
    nobody = len(asked)
    # name -> (position of the first name-only platform claiming it, its verdict, whether a
    # name-only platform may sniff it): worked out from the first path seen with that name
    names: dict[str, tuple[int, tuple[str, str] | None, bool]] = {}

    def of_name(path: str) -> tuple[int, tuple[str, str] | None, bool]:
        maybe = False
        for i, name, claims, may_sniff in by_name:
            kind = claims(path)
            if kind is not None:
                return i, (name, kind), maybe
            maybe = maybe or may_sniff(path)
        return nobody, None, maybe

    def claim(path: str) -> tuple[str, str] | None:
        name = path[path.rfind("/") + 1 :]
        known = names.get(name)
        if known is None:
            known = names[name] = of_name(path)
        first, verdict, maybe = known
        for i, name, claims, may_sniff in by_path:
            if i > first:
                break  # a name-only platform before it claims the file
            kind = claims(path)
            if kind is not None:
                return name, kind
            maybe = maybe or may_sniff(path)
        if verdict is not None:
            return verdict
        return ("", "") if maybe else None

    return claim


def identity() -> str:
    """The platforms registered now, as far as a change to them shows: what a verdict or fact
    remembered between runs (a claim, a sniff) depends on besides soc2lint's own code. One from
    outside soc2lint (SOC2LINT_PLATFORMS, register()) is known by its module's file and its
    package's version."""
    out = []
    for platform in platforms():
        kind = type(platform)
        out.append(f"{platform.name}\0{kind.__module__}.{kind.__qualname__}\n")
        if kind.__module__.partition(".")[0] != "soc2lint":
            out.append(_identity(kind.__module__))
    return "".join(out)


def _identity(module_name: str) -> str:
    """A module outside soc2lint: its file's path, size and modification time, and its
    top-level package's __version__."""
    module = sys.modules.get(module_name)
    top = sys.modules.get(module_name.partition(".")[0])
    where = getattr(module, "__file__", None)
    try:
        info = os.stat(where) if where else None
    except OSError:
        info = None
    shown = f"{where}\0{info.st_size}\0{info.st_mtime_ns}" if info else f"{where}\0-"
    return f"{shown}\0{getattr(top, '__version__', '')}\n"


def content_candidates(path: str) -> list[Platform]:
    """The platforms that decide by content whether this path is theirs, in registry order."""
    return [p for p in platforms() if p.may_sniff(path)]
