"""File names that are legal on disk but not in a URI reach SARIF percent-encoded, and
Microsoft's SARIF validator accepts the log."""

from __future__ import annotations

import json
import os
import stat
import subprocess
from pathlib import Path
from urllib.parse import unquote

import pytest

from .harness import HERE, repository, soc2lint

TOOL_DIR = HERE / "node_modules" / "@microsoft" / "sarif-multitool-linux"
MULTITOOL = TOOL_DIR / "Sarif.Multitool"
# the validator's defaults without its network check of every URI (SARIF2006, notes only)
VALIDATOR_CONFIG = HERE / "tests" / "sarif-validator.xml"
NAMES = [
    "with space.tf",
    "brackets[0]{1}.tf",
    "quote\"and'.tf",
    "back\\slash.tf",
    "new\nline.tf",
    "größe ünïcode.tf",
    "per%20cent#frag?q.tf",
    "c:colon.tf",
]
BUCKET = 'resource "aws_s3_bucket" "b{}" {{}}\n'


def test_artifact_uris_are_percent_encoded_and_valid(tmp_path: Path) -> None:
    repo = repository(
        tmp_path / "repo", {f"d ir/{name}": BUCKET.format(i) for i, name in enumerate(NAMES)}
    )
    proc = soc2lint("scan", "--no-cache", "--format", "sarif", ".", cwd=repo)
    assert proc.returncode == 1, proc.stderr
    log = json.loads(proc.stdout)
    uris = {
        loc["physicalLocation"]["artifactLocation"]["uri"]
        for result in log["runs"][0]["results"]
        for loc in result["locations"]
    }
    assert {unquote(u) for u in uris if u.endswith(".tf")} == {f"d ir/{name}" for name in NAMES}
    for uri in uris:
        assert uri.isascii() and not set(uri) & set(" \"'[]{}\\\n#?:"), uri
    if not MULTITOOL.exists():
        if os.environ.get("CI"):
            pytest.fail("Microsoft SARIF validator not installed: run `npm ci`")
        pytest.skip("Microsoft SARIF validator not installed: run `npm ci`")
    if not os.access(MULTITOOL, os.X_OK):
        MULTITOOL.chmod(MULTITOOL.stat().st_mode | stat.S_IXUSR)
    # a control run after soc2lint's, with one defect the validator must report: it skips a log
    # it cannot read (a URI it cannot parse, say) without a word, and that must not pass
    control = {
        "tool": {"driver": {"name": "control", "rules": [{"id": "C1", "helpUri": "not a uri"}]}},
        "results": [],
    }
    log["runs"].append(control)
    (tmp_path / "log.sarif").write_text(json.dumps(log))
    out = tmp_path / "validation.sarif"
    subprocess.run(
        [
            str(MULTITOOL),
            "validate",
            str(tmp_path / "log.sarif"),
            "--output",
            str(out),
            "--log",
            "ForceOverwrite",
            "--config",
            str(VALIDATOR_CONFIG),
        ],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    validation = json.loads(out.read_text())
    problems = [
        f"{r.get('ruleId')}: {r['message'].get('text', r['message'])}"
        for run in validation["runs"]
        for r in run.get("results", [])
        if r.get("level", "warning") in ("error", "warning")
    ]
    control_index = f"runs[{len(log['runs']) - 1}]"
    about_control = [p for p in problems if control_index in p]
    assert any(
        p.startswith("SARIF1002:") and f"{control_index}.tool.driver.rules[0].helpUri" in p
        for p in about_control
    ), f"the validator did not check the log: {problems}"
    problems = [p for p in problems if p not in about_control]
    assert not problems, "\n".join(problems)
