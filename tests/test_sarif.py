"""SARIF output: valid against the official schema and Microsoft's validator, stable, complete."""

from __future__ import annotations

import json
import os
import re
import shutil
import stat
import subprocess
from pathlib import Path

import jsonschema
import pytest

from soc2lint.engine.rules import load_rules
from soc2lint.reporters import sarif
from soc2lint.scan import scan

REPO = Path(__file__).resolve().parents[1]
TOOL_DIR = REPO / "node_modules" / "@microsoft" / "sarif-multitool-linux"
MULTITOOL = TOOL_DIR / "Sarif.Multitool"
SCHEMA = TOOL_DIR / "sarif-2.1.0.json"
# the validator's defaults without its network check of every URI (SARIF2006, notes only)
VALIDATOR_CONFIG = REPO / "tests" / "sarif-validator.xml"
RULES = load_rules()


def _need_validator() -> None:
    if MULTITOOL.exists() and SCHEMA.exists():
        return
    message = "Microsoft SARIF validator not installed: run `npm ci` in the repository root"
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)


def _sarif_of(target: Path) -> dict:
    return json.loads(sarif.render(scan([str(target)], RULES)))


def _targets() -> list[Path]:
    targets = [REPO / "fixtures" / "demo"] if (REPO / "fixtures" / "demo").is_dir() else []
    targets += sorted(p for p in (REPO / "fixtures").iterdir() if p.name.startswith("SOC2-"))
    return targets


@pytest.fixture(scope="module")
def sarif_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("sarif")
    for target in _targets():
        # the demo with every rule; a rule's fixtures with that rule, so every rule's metadata
        # and results are validated without writing all rules' metadata once per fixture
        # (hundreds of megabytes, more than the validator reads in its time limit)
        own = [r for r in RULES if r.id == target.name] or RULES
        (out / f"{target.name}.sarif").write_text(sarif.render(scan([str(target)], own)))
    return out


def test_every_fixture_and_the_demo_match_the_official_schema(sarif_dir: Path) -> None:
    _need_validator()
    schema = json.loads(SCHEMA.read_text())
    validator_cls = jsonschema.validators.validator_for(schema)
    validator = validator_cls(schema)
    for path in sorted(sarif_dir.glob("*.sarif")):
        errors = list(validator.iter_errors(json.loads(path.read_text())))
        assert not errors, f"{path.name}: {errors[0].message} at {list(errors[0].path)}"


def test_microsoft_validator_reports_no_errors_or_warnings(sarif_dir: Path, tmp_path: Path) -> None:
    _need_validator()
    if not os.access(MULTITOOL, os.X_OK):
        MULTITOOL.chmod(MULTITOOL.stat().st_mode | stat.S_IXUSR)
    # One log holding every file's runs, validated in one go: the validator spends about a
    # third of a second of CPU on each file it opens (two minutes for the ~350 files here) and
    # little on each run. It validates each run of a log as it would in a file of its own, and
    # the rest of a log (version, $schema) is the same in every file, so nothing goes unchecked.
    logs = sorted(sarif_dir.glob("*.sarif"))
    assert len(logs) >= 30
    head: dict | None = None
    runs: list[dict] = []
    run_files: list[str] = []  # the file each run of the combined log comes from
    for path in logs:
        log = json.loads(path.read_text())
        rest = {key: value for key, value in log.items() if key != "runs"}
        assert head is None or rest == head, f"{path.name} differs outside its runs"
        head = rest
        runs += log["runs"]
        run_files += [path.name] * len(log["runs"])
    run_files.append("control")
    # and a control: a copy of the last run with one defect the validator must report, so a
    # log it skipped or could not read (it says nothing then) cannot pass for a clean one
    control = json.loads(json.dumps(runs[-1]))
    control["tool"]["driver"]["rules"][0]["helpUri"] = "not a uri"
    control_path = f"runs[{len(runs)}].tool.driver.rules[0].helpUri"
    runs.append(control)
    combined = tmp_path / "all-fixtures.sarif"
    combined.write_text(json.dumps({**head, "runs": runs}))
    result_path = tmp_path / "validation.sarif"
    proc = subprocess.run(
        [
            str(MULTITOOL),
            "validate",
            str(combined),
            "--output",
            str(result_path),
            "--log",
            "ForceOverwrite",
            "--config",
            str(VALIDATOR_CONFIG),
        ],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result_path.exists(), proc.stdout + proc.stderr
    validation = json.loads(result_path.read_text())

    def origin(text: str) -> str:  # runs[N] of the combined log -> the fixture's file
        index = re.search(r"runs\[(\d+)\]", text)
        return f"{run_files[int(index.group(1))]}: " if index else ""

    problems = [
        f"{origin(text)}{r.get('ruleId')}: {text}"
        for run in validation["runs"]
        for r in run.get("results", [])
        if r.get("level", "warning") in ("error", "warning")
        for text in [str(r["message"].get("text", r["message"]))]
    ]
    found_control = [
        p for p in problems if p.startswith("control: SARIF1002:") and control_path in p
    ]
    assert len(found_control) == 1, (
        "the validator reported nothing about the control run: it did not check the log "
        f"(it skips a log holding a URI it cannot parse without a word)\n{proc.stdout}"
    )
    problems.remove(found_control[0])
    assert not problems, "\n".join(problems[:20])
    assert proc.returncode == 0, proc.stdout


def _fixture(tmp_path: Path, text: str, name: str = "main.tf") -> Path:
    (tmp_path / ".git").mkdir(exist_ok=True)
    infra = tmp_path / "infra" / "prod"
    infra.mkdir(parents=True, exist_ok=True)
    (infra / name).write_text(text)
    return infra


BAD_BUCKET = 'resource "aws_s3_bucket" "logs" {\n  bucket = "acme-logs"\n}\n'


def test_uris_are_repository_relative_when_scanning_a_subdirectory(tmp_path: Path) -> None:
    infra = _fixture(tmp_path, BAD_BUCKET)
    log = _sarif_of(infra)
    uris = {
        r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
        for r in log["runs"][0]["results"]
    }
    # no CODEOWNERS yet: that finding is about the repository as a whole, at its root
    assert uris == {"infra/prod/main.tf", "."}
    base = log["runs"][0]["originalUriBaseIds"]["%SRCROOT%"]["uri"]
    assert base == tmp_path.resolve().as_uri() + "/"


def test_fingerprints_survive_unrelated_lines_inserted_above(tmp_path: Path) -> None:
    infra = _fixture(tmp_path, BAD_BUCKET)
    before = _sarif_of(infra)["runs"][0]["results"]
    (infra / "main.tf").write_text("# a comment\nlocals {\n  x = 1\n}\n\n" + BAD_BUCKET)
    after = _sarif_of(infra)["runs"][0]["results"]
    key = lambda rs: {(r["ruleId"], r["partialFingerprints"]["soc2lint/v1"]) for r in rs}  # noqa: E731
    assert key(before) == key(after) and before
    lines_before = {r["locations"][0]["physicalLocation"]["region"]["startLine"] for r in before}
    lines_after = {r["locations"][0]["physicalLocation"]["region"]["startLine"] for r in after}
    assert lines_before != lines_after


def test_rules_carry_full_metadata_and_the_tsc_taxonomy() -> None:
    log = _sarif_of(REPO / "fixtures" / "SOC2-AWS-001")
    run = log["runs"][0]
    assert run["automationDetails"]["id"]
    taxonomy = run["taxonomies"][0]
    assert taxonomy["name"] == "SOC2-TSC"
    taxa = [t["id"] for t in taxonomy["taxa"]]
    for rule in run["tool"]["driver"]["rules"]:
        props = rule["properties"]
        assert len(props["tags"]) <= 10 and "security" in props["tags"]
        assert float(props["security-severity"]) > 0
        assert rule["help"]["markdown"] and rule["helpUri"] and rule["fullDescription"]["text"]
        for rel in rule["relationships"]:
            assert taxa[rel["target"]["index"]] == rel["target"]["id"]
    invocation = run["invocations"][0]
    assert invocation["executionSuccessful"] is True
    assert invocation["startTimeUtc"] and invocation["endTimeUtc"]


def test_unknown_results_are_for_review_not_failures() -> None:
    results = _sarif_of(REPO / "fixtures" / "SOC2-AWS-001" / "unknown")["runs"][0]["results"]
    results = [r for r in results if r["ruleId"] == "SOC2-AWS-001"]
    assert results and all(r["kind"] == "review" and r["level"] == "none" for r in results)
    failing = _sarif_of(REPO / "fixtures" / "SOC2-AWS-001" / "fail")["runs"][0]["results"]
    # kind "fail" is SARIF's default, so it may be omitted; level is always written
    assert all(r.get("kind", "fail") == "fail" and r["level"] != "none" for r in failing)


def test_parse_errors_are_tool_execution_notifications(tmp_path: Path) -> None:
    infra = _fixture(tmp_path, 'resource "aws_s3_bucket" "x" {\n  bucket = \n}\n', "broken.tf")
    (infra / "ok.tf").write_text(BAD_BUCKET)
    run = _sarif_of(infra)["runs"][0]
    notes = run["invocations"][0]["toolExecutionNotifications"]
    assert any("infra/prod/broken.tf:2" in n["message"]["text"] for n in notes)
    assert run["results"], "the rest of the scan still reports"


def test_output_is_deterministic_apart_from_timestamps(tmp_path: Path) -> None:
    target = REPO / "fixtures" / "SOC2-AWS-001"
    first, second = _sarif_of(target), _sarif_of(target)
    for log in (first, second):
        for inv in log["runs"][0]["invocations"]:
            inv.pop("startTimeUtc"), inv.pop("endTimeUtc")
    assert json.dumps(first) == json.dumps(second)


@pytest.mark.skipif(shutil.which("git") is None, reason="git not installed")
def test_same_report_from_a_copy_with_files_created_in_another_order(tmp_path: Path) -> None:
    src = REPO / "fixtures" / "SOC2-AWS-001"
    a, b = tmp_path / "a", tmp_path / "b"
    shutil.copytree(src, a)
    b.mkdir()
    for path in sorted(src.rglob("*"), reverse=True):
        dest = b / path.relative_to(src)
        if path.is_file():
            dest.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(path, dest)
    ra, rb = _sarif_of(a), _sarif_of(b)
    assert ra["runs"][0]["results"] == rb["runs"][0]["results"]
