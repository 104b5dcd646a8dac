"""Whether a job can run in a pipeline for a merge request from a fork, and what project
credentials it holds there (SOC2-GLC-011); whether a manual deploy job's click is a gate
(SOC2-GLC-012).

A merge-request pipeline for a fork runs in the parent project when a parent member starts it
(or the project lets forks run there): the fork's code then runs with the parent's unprotected
CI/CD variables and a CI_JOB_TOKEN with the starter's permissions. Protected variables stay out
of merge-request pipelines; unprotected ones, `secrets:`, `id_tokens:` and the job token do not."""

from __future__ import annotations

import re
from typing import Any

from soc2lint.model import Unknown
from soc2lint.platforms.shared.ci_common import as_list

_MR_SOURCE = re.compile(r"""\$\{?CI_PIPELINE_SOURCE\}?\s*==\s*["']merge_request_event["']""")
# a merge-request variable tested as set (`$CI_MERGE_REQUEST_IID`) or compared with a value
_MR_VARIABLE = re.compile(r"\$\{?CI_MERGE_REQUEST_(IID|ID|SOURCE_BRANCH_NAME|TARGET_BRANCH_NAME)\b")
_SOURCE = r"\$\{?CI_MERGE_REQUEST_SOURCE_PROJECT_(?:ID|PATH)\}?"
_PROJECT = r"\$\{?CI_PROJECT_(?:ID|PATH)\}?"
_SAME_PROJECT = re.compile(rf"{_SOURCE}\s*==\s*{_PROJECT}|{_PROJECT}\s*==\s*{_SOURCE}")
_OTHER_PROJECT = re.compile(rf"{_SOURCE}\s*!=\s*{_PROJECT}|{_PROJECT}\s*!=\s*{_SOURCE}")
_FORK_TEST = re.compile(
    rf"{_MR_SOURCE.pattern}|\$\{{?CI_MERGE_REQUEST_I?ID\}}?|{_OTHER_PROJECT.pattern}"
)
_SOURCE_PATTERN = re.compile(rf"{_SOURCE}\s*=~")
_NOT_MR = re.compile(r"""\$\{?CI_PIPELINE_SOURCE\}?\s*!=\s*["']merge_request_event["']""")

# project variables whose names say they are credentials
_SECRET_NAME = re.compile(
    r"(TOKEN|SECRET|PASSWORD|PASSWD|PRIVATE_KEY|API_KEY|ACCESS_KEY|CREDENTIALS?|_KEY)$", re.I
)
_VARIABLE = re.compile(r"\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?")
# the job token (or the registry password, which is the job token) used to write
_JOB_TOKEN = re.compile(r"\$\{?CI_(JOB_TOKEN|REGISTRY_PASSWORD)\}?")
_WRITES = re.compile(
    r"\bgit\s+push\b|\bdocker\s+push\b|\bbuildah\s+push\b|\bcrane\s+(push|copy|tag)\b|"
    r"--upload-file\b|(^|\s)-T\s|-X\s*[\"']?(PUT|POST|PATCH|DELETE)\b|\b(twine|npm|gem)\s+"
    r"(upload|publish|push)\b|\bpoetry\s+publish\b|\bhelm\s+push\b"
)


def runs_for_fork_merge_requests(job: dict, workflow: Any) -> Any:
    """Whether the job can run in a merge-request pipeline whose source is another project.

    `rules:` are read in order, first match deciding: a `when: never` rule on forks (or on all
    merge requests) ends it; a rule whose `if` admits merge-request pipelines without requiring
    the source project to be this one runs it; a rule without `if` runs it when the workflow
    creates such pipelines. `only: [merge_requests]` runs it. A job with neither runs in every
    pipeline the workflow's rules create. Unknown where a pattern on the source project
    decides."""
    if "rules" in job:
        return _rules_admit(job["rules"], lambda: _workflow_admits(workflow))
    if "only" in job:
        only = job["only"]
        refs = only.get("refs") if isinstance(only, dict) else only
        return "merge_requests" in [str(r) for r in as_list(refs)]
    return _workflow_admits(workflow)


def _workflow_admits(workflow: Any) -> Any:
    rules = workflow.get("rules") if isinstance(workflow, dict) else None
    return _rules_admit(rules, lambda: False) if isinstance(rules, list) else False


def _rules_admit(rules: Any, unconditional: Any) -> Any:
    for rule in as_list(rules):
        if not isinstance(rule, dict):
            continue
        condition = rule.get("if")
        if rule.get("when") == "never":
            if condition is None or any(
                _excludes_forks(alternative) for alternative in str(condition).split("||")
            ):
                return False
            continue
        if condition is None:
            return bool(unconditional())
        for alternative in str(condition).split("||"):
            admits_mr = _MR_SOURCE.search(alternative) or _MR_VARIABLE.search(alternative)
            if admits_mr and not _NOT_MR.search(alternative):
                if _SOURCE_PATTERN.search(alternative):
                    return Unknown(
                        "the rule matches the merge request's source project by a pattern: "
                        "check that no fork matches it"
                    )
                if not _SAME_PROJECT.search(alternative):
                    return True
    return False


def _excludes_forks(alternative: str) -> bool:
    """A `when: never` condition that matches every fork merge request: it tests only that the
    pipeline is for a merge request and/or that its source is another project."""
    parts = [p.strip().strip("()").strip() for p in alternative.split("&&")]
    return all(_FORK_TEST.fullmatch(p) for p in parts)


def project_credentials(job: dict, defined: set[str]) -> list[str]:
    """What of the project's credentials the job's scripts and keywords hold: `secrets:`,
    `id_tokens:`, project variables named like credentials (not defined in the file), and the
    job token where the script writes with it."""
    found = []
    if job.get("secrets"):
        found.append("secrets:")
    if job.get("id_tokens"):
        found.append("id_tokens:")
    lines = [
        str(line)
        for key in ("before_script", "script", "after_script")
        for line in as_list(job.get(key))
        if line is not None
    ]
    text = "\n".join(lines)
    names = sorted({m.group(1) for m in _VARIABLE.finditer(text)})
    for name in names:
        if name.startswith("CI_") or name in defined:
            continue
        if _SECRET_NAME.search(name):
            found.append(f"${name}")
    if _JOB_TOKEN.search(text) and _WRITES.search(text):
        found.append("CI_JOB_TOKEN writes")
    return found


def fork_exposure(job: dict, workflow: Any, defined: set[str]) -> Any:
    """The project credentials a job holds when it can run for a fork's merge request ([] when
    it holds none or cannot run there; Unknown when a pattern decides whether it runs)."""
    found = project_credentials(job, defined)
    if not found:
        return []
    runs = runs_for_fork_merge_requests(job, workflow)
    if isinstance(runs, Unknown):
        return runs
    return found if runs else []
