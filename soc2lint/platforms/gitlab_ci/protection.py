"""Whether a job runs only for protected refs: its `rules:`, `only:`, or the workflow's rules."""

from __future__ import annotations

import re
from typing import Any

from soc2lint.model import Unknown

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


def protected_only(job: dict, workflow: Any) -> Any:
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


def starts_manually(job: dict) -> bool:
    """Whether someone must start the job by hand: `when: manual` on the job or on a rule that
    can run it."""
    if job.get("when") == "manual":
        return True
    rules = job.get("rules")
    return isinstance(rules, list) and any(
        isinstance(r, dict) and r.get("when") == "manual" for r in rules
    )


def environment_protection(name: Any) -> Any:
    """Unknown: protected environments (who may deploy, which approvals) are project or group
    settings, not in the pipeline; a `gitlab_project_protected_environment` naming it, or a
    `gitlab_group_protected_environment` naming its tier, in the scan decides instead."""
    shown = f"'{name}'" if isinstance(name, str) else "the job's environment"
    return Unknown(
        f"whether {shown} is a protected environment (allowed deployers, approvals) is a project "
        "or group setting: protect it, or declare it with gitlab_project_protected_environment "
        "(its tier, written as deployment_tier, with gitlab_group_protected_environment)"
    )
