"""The GitHub Action's step: inputs from the environment, outputs, annotations, job summary.

Run by action.yml as `python -m soc2lint.integrations.github_action`; every input arrives as a
SOC2LINT_* environment variable, so no input is ever part of shell text. Every problem is one
`::error::` line and exit code 2, never a traceback.
"""

from __future__ import annotations

import os
import secrets
import sys
from collections import Counter
from pathlib import Path

from soc2lint.cli.run import Request, gate, run
from soc2lint.engine.rules import SEVERITIES
from soc2lint.reporters import RENDERERS
from soc2lint.reporters.common import most_severe_first, printable, scope_warning
from soc2lint.reporters.markdown import render as render_markdown

# GitHub shows at most 10 error, 10 warning and 10 notice annotations per step
ANNOTATIONS = 10


class InputError(Exception):
    """An input that cannot work; the message is the one line the log shows."""


def _escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")


def log_safe(text: object) -> str:
    """The one escape for text from the repository on the Action's log. The runner executes
    any log line that starts (after blanks) with `::`, and the older `##[` form: control
    characters become visible escapes (`printable`), so a value cannot start a line of its
    own; a leading `::` and every `##[` are percent-encoded, so one printed at the start of a
    line is text."""
    text = printable(text)
    rest = text.lstrip()
    if rest.startswith("::"):
        text = text[: len(text) - len(rest)] + "%3A" + rest[1:]
    return text.replace("##[", "#%23[")


def annotation(level: str, path: str, line: int, title: str, message: str) -> str:
    """A workflow command that GitHub shows on the pull request's diff; a finding about the
    repository as a whole (path `.`, line 0) has no file, so it shows on the run's page."""
    where = (
        ""
        if path == "." and not line
        else (f"file={_escape_property(log_safe(path))},line={line},")
    )
    return (
        f"::{level} {where}"
        f"title={_escape_property(log_safe(title))}::{_escape_data(log_safe(message))}"
    )


def level_for(severity: str, threshold: str) -> str:
    """`error` for a finding that fails the step, else `warning` (`notice` for info)."""
    if threshold != "none" and SEVERITIES.index(severity) <= SEVERITIES.index(threshold):
        return "error"
    return "notice" if severity == "info" else "warning"


def _env(name: str, default: str = "") -> str:
    return os.environ.get(f"SOC2LINT_{name}", default).strip()


def _workspace() -> Path:
    return Path(os.environ.get("GITHUB_WORKSPACE") or ".").resolve()


def _paths() -> list[str]:
    """The path input; the default `.` (the workspace) is no path, so the config's include
    applies as it does for `soc2lint scan` without paths."""
    paths = _env("PATH").split()
    for path in paths:
        if not Path(path).exists():
            raise InputError(
                f"path {path!r} does not exist (paths are relative to the workspace, "
                f"{_workspace()})"
            )
    here = Path.cwd().resolve()
    if all(Path(p).resolve() == here for p in paths):
        return []
    return paths


def _output_target(output: str) -> Path:
    """Where the report goes; a missing directory inside the workspace is created."""
    target = Path(output)
    if target.is_dir():
        raise InputError(f"output {output!r} is a directory; give a file name")
    parent = target.resolve().parent
    if not parent.is_dir():
        workspace = _workspace()
        if parent != workspace and workspace not in parent.parents:
            raise InputError(
                f"output {output!r}: directory {parent} does not exist and is outside the "
                f"workspace ({workspace}), so it is not created"
            )
    return target


def _write(target: Path, text: str) -> None:
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise InputError(f"cannot write {target}: {exc.strerror or exc}") from None


def _lines(name: str) -> list[str]:
    """A multi-line input: one item a line (a YAML block `|`), blank lines and `#` comments
    skipped; items are not split on spaces, so a file name may hold one."""
    out = []
    for line in os.environ.get(f"SOC2LINT_{name}", "").splitlines():
        item = line.strip()
        if item and not item.startswith("#"):
            out.append(item)
    return out


def _existing_files(option: str, given: list[str]) -> list[str]:
    for item in given:
        if not Path(item).is_file():
            raise InputError(
                f"{option} {item!r} is not a file (paths are relative to the workspace, "
                f"{_workspace()})"
            )
    return given


def automation_id(category: str) -> str:
    """SARIF runAutomationDetails.id for a category: code scanning keeps one analysis per
    category (the id up to its last `/`), so matrix jobs with their own category do not
    replace each other's results. Empty: `soc2lint/`."""
    category = category.strip().strip("/")
    return f"{category}/" if category else "soc2lint/"


def choose_annotations(failing: list, rules: dict, threshold: str, cap: int) -> dict[int, str]:
    """id(finding) -> level for the findings to annotate: most severe first (the order of
    failing), at most cap of each level (GitHub shows 10 errors, 10 warnings and 10 notices
    per step and drops the rest)."""
    used: Counter = Counter()
    chosen: dict[int, str] = {}
    for f in failing:
        level = level_for(rules[f.rule_id].severity, threshold)
        if used[level] < cap:
            used[level] += 1
            chosen[id(f)] = level
    return chosen


def main() -> int:
    fmt = _env("FORMAT", "sarif") or "sarif"
    if fmt not in RENDERERS:
        raise InputError(f"format must be one of {', '.join(sorted(RENDERERS))}")
    output = _env("OUTPUT", "soc2lint.sarif") or "soc2lint.sarif"
    fail_on = _env("FAIL_ON") or None
    if fail_on is not None and fail_on not in (*SEVERITIES, "none"):
        raise InputError(f"fail-on must be one of {', '.join(SEVERITIES)}, none")
    try:
        cap = max(0, int(_env("MAX_ANNOTATIONS", str(ANNOTATIONS)) or ANNOTATIONS))
    except ValueError:
        raise InputError("max-annotations must be a whole number") from None
    plan = _env("PLAN") or None
    if plan:
        _existing_files("plan", [plan])
    rules_dirs = _lines("RULES_DIR")
    for directory in rules_dirs:
        if not Path(directory).is_dir():
            raise InputError(
                f"rules-dir {directory!r} is not a directory (paths are relative to the "
                f"workspace, {_workspace()})"
            )
    request = Request(
        paths=_paths(),
        config=_env("CONFIG") or None,
        threshold=fail_on,
        baseline=_env("BASELINE") or None,
        diff_base=_env("DIFF_BASE") or None,
        fail_on_uncovered={"true": True, "false": False}.get(
            (_env("FAIL_ON_UNCOVERED") or "").lower()
        ),
        var_files=_existing_files("var-file", _lines("VAR_FILE")),
        plan=plan,
        rules_dirs=rules_dirs,
        exclude=_lines("EXCLUDE"),
    )
    target = _output_target(output)
    try:
        outcome = run(request)
    except Exception as exc:  # configuration, rule, baseline and git problems: one line
        raise InputError(str(exc)) from None
    report, threshold = outcome.report, outcome.threshold
    passed = gate(report, threshold, outcome.fail_on_uncovered)
    _write(target, RENDERERS[fmt](report, automation_id=automation_id(_env("CATEGORY"))))
    # the report is text from the repository: each such string passes log_safe, and the whole
    # report is printed with workflow commands stopped (a token nobody can know in advance)
    token = secrets.token_hex(16)
    print(f"::stop-commands::{token}")
    print(RENDERERS["text"](report, clean=log_safe), end="")
    print(f"::{token}::")
    gap = scope_warning(report)
    if gap:
        print(f"::warning::soc2lint: {_escape_data(gap)}")
    rules = {r.id: r for r in report.rules}
    failing = [f for f in most_severe_first(report) if f.status.value == "fail"]
    chosen = choose_annotations(failing, rules, threshold, cap)
    for f in failing:
        if id(f) not in chosen:
            continue
        rule = rules[f.rule_id]
        print(
            annotation(
                chosen[id(f)],
                f.location.path,
                f.location.start_line,
                f"{f.rule_id} {rule.name} ({rule.severity})",
                f"{f.message} [{f.resource}]",
            )
        )
    summary = render_markdown(
        report,
        threshold=threshold,
        passed=passed,
        annotated=chosen,
        report_file=output,
        annotation_cap=cap,
    )
    _append(os.environ.get("GITHUB_STEP_SUMMARY"), summary)
    counts = Counter(rules[f.rule_id].severity for f in failing)
    lines = [f"{s}={counts.get(s, 0)}" for s in SEVERITIES]
    lines += [
        f"verdict={'pass' if passed else 'fail'}",
        f"sarif-file={output if fmt == 'sarif' else ''}",
    ]
    _append(os.environ.get("GITHUB_OUTPUT"), "\n".join(lines) + "\n")
    evidence = _env("EVIDENCE_DIR")
    if evidence:
        from soc2lint.evidence import write_evidence

        try:
            record = write_evidence(
                report,
                evidence,
                ledger=None,
                gate="pass" if passed else "fail",
                threshold=threshold,
            )
        except Exception as exc:  # a ledger or file problem is one line too
            raise InputError(f"evidence: {exc}") from None
        print(f"soc2lint: evidence record {log_safe(record)}")
    return 0 if passed else 1


def _append(path: str | None, text: str) -> None:
    if path:
        try:
            with open(path, "a", encoding="utf-8") as handle:
                handle.write(text)
        except OSError as exc:
            raise InputError(f"cannot write {path}: {exc.strerror or exc}") from None


def entry() -> int:
    """main() with every failure as one `::error::` line and exit code 2."""
    try:
        return main()
    except InputError as exc:
        print(f"::error::soc2lint: {_escape_data(str(exc))}")
    except Exception as exc:  # a bug: one line, the traceback only on request
        if os.environ.get("SOC2LINT_DEBUG"):
            raise
        print(
            f"::error::soc2lint: internal error: {type(exc).__name__}: {_escape_data(str(exc))} "
            "(set SOC2LINT_DEBUG=1 for the traceback, and please report it)"
        )
    return 2


if __name__ == "__main__":
    sys.exit(entry())
