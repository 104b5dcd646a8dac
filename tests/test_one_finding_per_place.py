"""One finding per place: a module that several root modules instantiate gives one finding per
result, listing every call site (SARIF related locations, JSON call_sites and instances, text
"via module call" lines); instances with different results stay separate. Baselines,
fingerprints and evidence counts follow the merged findings. And a finding about the
repository as a whole points at no file."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from soc2lint.engine.rules import load_rules
from soc2lint.evidence.record import build_record
from soc2lint.model import REPOSITORY
from soc2lint.policies import baseline
from soc2lint.reporters import json_report, sarif, text
from soc2lint.reporters.common import fingerprint
from soc2lint.scan import ScanOptions, scan

MODULE = (
    'variable "status" {\n  default = "Suspended"\n}\n'
    'resource "aws_s3_bucket" "this" {\n  bucket = "x"\n}\n'
    'resource "aws_s3_bucket_versioning" "this" {\n  bucket = aws_s3_bucket.this.id\n'
    "  versioning_configuration {\n    status = var.status\n  }\n}\n"
)
CALL = 'module "store" {{\n  source = "../modules/store"{extra}\n}}\n'
CALLERS = {
    "one": "",
    "two": "",
    "enabled": '\n  status = "Enabled"',
    "unknown": "\n  status = var.status",
}


@pytest.fixture(scope="module")
def repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("merge") / "repo"
    (root / "modules" / "store").mkdir(parents=True)
    (root / "modules" / "store" / "main.tf").write_text(MODULE)
    for name, extra in CALLERS.items():
        (root / name).mkdir()
        text_ = CALL.format(extra=extra)
        if name == "unknown":
            text_ = 'variable "status" {}\n' + text_
        (root / name / "main.tf").write_text(text_)
    return root


@pytest.fixture(scope="module")
def rules():
    return [r for r in load_rules() if r.id in ("SOC2-AWS-003", "SOC2-GOV-101")]


def _versioning(report) -> list:
    return [f for f in report.findings if f.rule_id == "SOC2-AWS-003"]


def test_same_result_is_one_finding_with_every_call_site(repo: Path, rules) -> None:
    report = scan([str(repo)], rules)
    found = {f.status.value: f for f in _versioning(report)}
    assert sorted(f.status.value for f in _versioning(report)) == ["fail", "pass", "unknown"]
    fail = found["fail"]
    assert fail.instances == 2
    assert [(s.path, s.start_line) for s in fail.call_sites] == [
        ("one/main.tf", 1),
        ("two/main.tf", 1),
    ]
    assert (fail.location.path, fail.location.start_line) == ("modules/store/main.tf", 10)
    # different results at the same place stay separate findings
    assert found["unknown"].instances == 1
    assert [s.path for s in found["unknown"].call_sites] == ["unknown/main.tf"]
    assert [s.path for s in found["pass"].call_sites] == ["enabled/main.tf"]

    doc = json.loads(json_report.render(report))
    (entry,) = [
        f for f in doc["findings"] if f["rule_id"] == "SOC2-AWS-003" and f["status"] == "fail"
    ]
    assert entry["instances"] == 2
    assert entry["call_sites"] == [
        {"path": "one/main.tf", "line": 1},
        {"path": "two/main.tf", "line": 1},
    ]
    run = json.loads(sarif.render(report))["runs"][0]
    (result,) = [r for r in run["results"] if r["ruleId"] == "SOC2-AWS-003" and r["kind"] == "fail"]
    related = [
        loc["physicalLocation"]["artifactLocation"]["uri"] for loc in result["relatedLocations"]
    ]
    assert related == ["one/main.tf", "two/main.tf"]
    shown = text.render(report)
    assert (
        "via module call at one/main.tf:1" in shown and "via module call at two/main.tf:1" in shown
    )
    # one finding, one fingerprint: nothing repeats it
    prints = [
        r["partialFingerprints"]["soc2lint/v1"] for r in run["results"] if r["kind"] == "fail"
    ]
    assert len(prints) == len(set(prints))


def test_baseline_and_evidence_count_the_merged_findings(repo: Path, rules, tmp_path: Path) -> None:
    report = scan([str(repo)], rules)
    visible = [f for f in _versioning(report) if f.status.value != "pass"]
    entries = json.loads(baseline.create(report.findings))["entries"]
    assert len([e for e in entries if e["rule_id"] == "SOC2-AWS-003"]) == 1  # one key
    path = tmp_path / "baseline.json"
    path.write_text(baseline.create(report.findings))
    again = scan([str(repo)], rules, ScanOptions(baseline=str(path)))
    assert [f for f in _versioning(again) if f.status.value != "pass"] == []
    assert again.baseline["baselined"] == len(report.findings) - sum(
        1 for f in report.findings if f.status.value == "pass"
    )
    assert {fingerprint(f) for f in again.known} == {
        fingerprint(f) for f in report.findings if f.status.value != "pass"
    }
    record = build_record(report, gate="fail", threshold="low")
    (rule,) = [r for r in record["results"]["rules"] if r["id"] == "SOC2-AWS-003"]
    assert rule["counts"]["fail"] == 1 and rule["counts"]["unknown"] == 1
    assert rule["counts"]["pass"] == 1
    assert len(visible) == 2


def test_a_finding_about_the_repository_points_at_no_file(repo: Path, rules) -> None:
    report = scan([str(repo)], rules)
    (gov,) = [f for f in report.findings if f.rule_id == "SOC2-GOV-101"]
    assert gov.status.value == "fail" and gov.location == REPOSITORY
    run = json.loads(sarif.render(report))["runs"][0]
    (result,) = [r for r in run["results"] if r["ruleId"] == "SOC2-GOV-101"]
    (location,) = result["locations"]
    assert location["physicalLocation"] == {
        "artifactLocation": {"uri": ".", "uriBaseId": "%SRCROOT%"},
        "region": {"startLine": 1, "endLine": 1},
    }
    assert location["message"]["text"] == "the repository as a whole"
    assert "CODEOWNERS" not in json.dumps(result["locations"])
    doc = json.loads(json_report.render(report))
    (entry,) = [f for f in doc["findings"] if f["rule_id"] == "SOC2-GOV-101"]
    assert (entry["scope"], entry["path"], entry["start_line"]) == ("repository", ".", 0)
    assert "repository (as a whole)" in text.render(report)
