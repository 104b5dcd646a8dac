"""The GitHub Action's step: inputs from the environment, outputs, annotations, job summary.

Run by action.yml as `python3 -m soc2lint.integrations.github_action`; every input arrives as a
SOC2LINT_* environment variable, so no input is ever part of shell text.
"""

from __future__ import annotations

import os
import sys
from collections import Counter
from pathlib import Path

from soc2lint.engine.rules import SEVERITIES
from soc2lint.reporters import RENDERERS
from soc2lint.reporters.markdown import render as render_markdown
from soc2lint.run import Request, gate, run


def _escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")


def annotation(level: str, path: str, line: int, title: str, message: str) -> str:
    """A workflow command that GitHub shows on the pull request's diff."""
    return (
        f"::{level} file={_escape_property(path)},line={line},"
        f"title={_escape_property(title)}::{_escape_data(message)}"
    )


def _env(name: str, default: str = "") -> str:
    return os.environ.get(f"SOC2LINT_{name}", default).strip()


def main() -> int:
    paths = _env("PATH", ".").split() or ["."]
    fmt = _env("FORMAT", "sarif") or "sarif"
    if fmt not in RENDERERS:
        print(f"::error::soc2lint: format must be one of {', '.join(sorted(RENDERERS))}")
        return 2
    output = _env("OUTPUT", "soc2lint.sarif") or "soc2lint.sarif"
    fail_on = _env("FAIL_ON") or None
    if fail_on is not None and fail_on not in (*SEVERITIES, "none"):
        print(f"::error::soc2lint: fail-on must be one of {', '.join(SEVERITIES)}, none")
        return 2
    try:
        cap = max(0, int(_env("MAX_ANNOTATIONS", "50") or "50"))
    except ValueError:
        cap = 50
    request = Request(
        paths=paths,
        config=_env("CONFIG") or None,
        threshold=fail_on,
        baseline=_env("BASELINE") or None,
        diff_base=_env("DIFF_BASE") or None,
    )
    try:
        outcome = run(request)
    except Exception as exc:  # one clear line in the log, never a traceback
        print(f"::error::soc2lint: {exc}")
        return 2
    report = outcome.report
    passed = gate(report, outcome.threshold)
    Path(output).write_text(RENDERERS[fmt](report), encoding="utf-8")
    print(RENDERERS["text"](report), end="")
    failing = report.failing()
    rules = {r.id: r for r in report.rules}
    for f in failing[:cap]:
        rule = rules[f.rule_id]
        print(
            annotation(
                "error",
                f.location.path,
                f.location.start_line,
                f"{f.rule_id} {rule.name}",
                f"{f.message} [{f.resource}]",
            )
        )
    summary = render_markdown(
        report,
        threshold=outcome.threshold,
        passed=passed,
        listed_from=cap if len(failing) > cap else None,
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

        record = write_evidence(
            report,
            evidence,
            ledger=None,
            gate="pass" if passed else "fail",
            threshold=outcome.threshold,
        )
        print(f"soc2lint: evidence record {record}")
    return 0 if passed else 1


def _append(path: str | None, text: str) -> None:
    if path:
        with open(path, "a", encoding="utf-8") as handle:
            handle.write(text)


if __name__ == "__main__":
    sys.exit(main())
