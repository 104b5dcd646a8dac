"""Exceptions with reasons, the configuration file, and baselines, used as a developer would."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
BUCKET = 'resource "aws_s3_bucket" "{name}" {{\n  bucket = "{name}"\n}}\n'


def run(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "soc2lint", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=120,
    )


def repo_with(tmp_path: Path, files: dict[str, str]) -> Path:
    (tmp_path / ".git").mkdir(exist_ok=True)
    for name, text in files.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return tmp_path


def scan_json(repo: Path, *args: str) -> dict:
    proc = run("scan", str(repo), "--format", "json", "--rule", "SOC2-AWS-001", *args)
    assert proc.returncode in (0, 1), proc.stderr
    return json.loads(proc.stdout)


def statuses(doc: dict) -> dict[str, str]:
    return {f["resource"]: f["status"] for f in doc["findings"]}


TOMORROW = (dt.date.today() + dt.timedelta(days=1)).isoformat()
YESTERDAY = (dt.date.today() - dt.timedelta(days=1)).isoformat()


def test_inline_markers_in_each_comment_syntax_suppress_with_a_reason(tmp_path: Path) -> None:
    repo = repo_with(
        tmp_path,
        {
            "main.tf": (
                '# soc2lint:ignore SOC2-AWS-001 reason="public website assets"\n'
                + BUCKET.format(name="hash")
                + '// soc2lint:ignore s3-bucket-encryption-at-rest reason="by name"\n'
                + BUCKET.format(name="slashes")
                + f'/* soc2lint:ignore SOC2-AWS-001 reason="block comment" until={TOMORROW} */\n'
                + BUCKET.format(name="block")
                + 'resource "aws_s3_bucket" "same_line" { '
                + '# soc2lint:ignore SOC2-AWS-001 reason="x"\n'
                + '  bucket = "same-line"\n}\n'
                + BUCKET.format(name="plain")
            )
        },
    )
    doc = scan_json(repo)
    assert statuses(doc) == {
        "aws_s3_bucket.hash": "suppressed",
        "aws_s3_bucket.slashes": "suppressed",
        "aws_s3_bucket.block": "suppressed",
        "aws_s3_bucket.same_line": "suppressed",
        "aws_s3_bucket.plain": "fail",
    }
    block = next(f for f in doc["findings"] if f["resource"] == "aws_s3_bucket.block")
    assert block["suppression"]["reason"] == "block comment"
    assert block["suppression"]["expires"] == TOMORROW
    assert doc["summary"]["suppressed"] == 4 and doc["summary"]["fail"] == 1


def test_marker_without_reason_or_expired_does_not_suppress_and_says_so(tmp_path: Path) -> None:
    repo = repo_with(
        tmp_path,
        {
            "main.tf": (
                "# soc2lint:ignore SOC2-AWS-001\n"
                + BUCKET.format(name="noreason")
                + f'# soc2lint:ignore SOC2-AWS-001 reason="temporary" until={YESTERDAY}\n'
                + BUCKET.format(name="expired")
                + '# soc2lint:ignore SOC2-AWS-999 reason="typo in the id"\n'
                + BUCKET.format(name="typo")
            )
        },
    )
    doc = scan_json(repo)
    assert set(statuses(doc).values()) == {"fail"}
    problems = {(p["line"], p["problem"].split(":")[0]) for p in doc["suppression_problems"]}
    assert (1, 'no reason="..." given, so it does not suppress') in problems
    assert (5, f"expired on {YESTERDAY}") in problems
    assert (9, "no rule 'SOC2-AWS-999'") in problems
    text = run("scan", str(repo), "--rule", "SOC2-AWS-001").stdout
    assert "did not suppress" in text and "expired" in text


def test_unused_markers_are_reported_on_request(tmp_path: Path) -> None:
    repo = repo_with(
        tmp_path,
        {
            "main.tf": (
                '# soc2lint:ignore SOC2-AWS-001 reason="left over"\n'
                'resource "aws_kms_key" "k" {\n  enable_key_rotation = true\n}\n'
            )
        },
    )
    assert scan_json(repo)["suppression_problems"] == []
    doc = scan_json(repo, "--report-unused-suppressions")
    assert [p["problem"] for p in doc["suppression_problems"]] == ["unused: it suppresses nothing"]


def test_kubernetes_annotation_and_yaml_comment(tmp_path: Path) -> None:
    from soc2lint.engine.rules import parse_rule
    from soc2lint.scan import scan

    rule = parse_rule(
        {
            "id": "SOC2-TEST-001",
            "name": "no-latest",
            "title": "image pinned",
            "severity": "low",
            "platform": "kubernetes",
            "resource_types": ["Pod"],
            "criteria": ["CC8.1"],
            "rationale": "CC8.1 test",
            "remediation": {"description": "d", "example": "e"},
            "condition": {
                "attribute": "allContainers.*.image",
                "op": "not_matches",
                "value": ":latest$",
            },
        },
        "test",
    )
    repo = repo_with(
        tmp_path,
        {
            "pods.yaml": (
                "apiVersion: v1\nkind: Pod\nmetadata:\n  name: a\n  annotations:\n"
                '    soc2lint.io/ignore.SOC2-TEST-001: "vendor image, tracked in JIRA-1"\n'
                "spec:\n  containers:\n    - name: a\n      image: x:latest\n---\n"
                "apiVersion: v1\nkind: Pod\nmetadata:\n  name: b\nspec:\n  containers:\n"
                "    - name: b\n"
                '      # soc2lint:ignore SOC2-TEST-001 reason="debug pod"\n'
                "      image: y:latest\n---\n"
                "apiVersion: v1\nkind: Pod\nmetadata:\n  name: c\nspec:\n  containers:\n"
                "    - name: c\n      image: z:latest\n"
            )
        },
    )
    report = scan([str(repo)], [rule])
    assert [(f.resource, s.source, s.reason) for f, s in report.suppressed] == [
        ("Pod/default/a", "annotation", "vendor image, tracked in JIRA-1"),
        ("Pod/default/b", "soc2lint", "debug pod"),
    ]
    assert [f.resource for f in report.failing()] == ["Pod/default/c"]


def test_peer_markers_only_with_the_flag(tmp_path: Path) -> None:
    repo = repo_with(
        tmp_path,
        {
            "main.tf": (
                'resource "aws_s3_bucket" "checkov" {\n'
                "  #checkov:skip=CKV_AWS_19:encrypted by SCP\n"
                '  bucket = "a"\n}\n'
                "#tfsec:ignore:aws-s3-enable-bucket-encryption\n"
                + BUCKET.format(name="tfsec")
                + "#trivy:ignore:AVD-AWS-0088\n"
                + BUCKET.format(name="trivy")
                + "#checkov:skip=CKV_AWS_999:unrelated\n"
                + BUCKET.format(name="other")
            )
        },
    )
    assert set(statuses(scan_json(repo)).values()) == {"fail"}
    doc = scan_json(repo, "--honor-peer-suppressions")
    assert statuses(doc) == {
        "aws_s3_bucket.checkov": "suppressed",
        "aws_s3_bucket.tfsec": "suppressed",
        "aws_s3_bucket.trivy": "suppressed",
        "aws_s3_bucket.other": "fail",
    }
    checkov = next(f for f in doc["findings"] if f["resource"] == "aws_s3_bucket.checkov")
    assert checkov["suppression"] == checkov["suppression"] | {
        "reason": "encrypted by SCP",
        "source": "checkov",
        "line": 2,
    }


def test_sarif_omits_suppressed_results_unless_asked(tmp_path: Path) -> None:
    repo = repo_with(
        tmp_path,
        {"main.tf": '# soc2lint:ignore SOC2-AWS-001 reason="ok"\n' + BUCKET.format(name="a")},
    )
    out = tmp_path / "x.sarif"
    run("scan", str(repo), "--rule", "SOC2-AWS-001", "--format", "sarif", "-o", str(out))
    assert json.loads(out.read_text())["runs"][0]["results"] == []
    run(
        "scan",
        str(repo),
        "--rule",
        "SOC2-AWS-001",
        "--format",
        "sarif",
        "-o",
        str(out),
        "--sarif-include-suppressed",
    )
    (result,) = json.loads(out.read_text())["runs"][0]["results"]
    assert result["suppressions"] == [
        {
            "kind": "inSource",
            "status": "accepted",
            "justification": "ok",
            "location": result["suppressions"][0]["location"],
        }
    ]
    text = run("scan", str(repo), "--rule", "SOC2-AWS-001", "--show-suppressed").stdout
    assert "1 suppressed" in text and "reason: ok" in text


def test_configuration_file_scopes_disables_and_overrides(tmp_path: Path) -> None:
    repo = repo_with(
        tmp_path,
        {
            "main.tf": BUCKET.format(name="a") + 'resource "aws_db_instance" "db" {\n'
            "  storage_encrypted = true\n  multi_az = false\n  backup_retention_period = 1\n}\n",
            ".soc2lint.yaml": "criteria: [availability]\nrules:\n  disable: [rds-multi-az]\n"
            "severity:\n  SOC2-AWS-017: critical\nfail_on: critical\n",
        },
    )
    proc = run("scan", str(repo), "--format", "json")
    doc = json.loads(proc.stdout)
    assert {f["rule_id"] for f in doc["findings"]} == {
        "SOC2-AWS-003",
        "SOC2-AWS-017",
        "SOC2-AWS-018",
    }
    assert next(f for f in doc["findings"] if f["rule_id"] == "SOC2-AWS-017")["severity"] == (
        "critical"
    )
    assert proc.returncode == 1  # the critical override fails the gate
    (repo / ".soc2lint.yaml").write_text(
        "criteria: [availability]\nrules:\n  disable: "
        "[rds-multi-az, SOC2-AWS-017]\nfail_on: critical\n"
    )
    assert run("scan", str(repo)).returncode == 0


def test_pyproject_table_and_explicit_config(tmp_path: Path) -> None:
    repo = repo_with(
        tmp_path,
        {
            "main.tf": BUCKET.format(name="a"),
            "pyproject.toml": '[tool.soc2lint]\nfail_on = "none"\n',
        },
    )
    assert run("scan", str(repo)).returncode == 0
    other = tmp_path / "strict.yaml"
    other.write_text("fail_on: low\n")
    assert run("scan", str(repo), "--config", str(other)).returncode == 1


@pytest.mark.parametrize(
    "text, message",
    [
        ("critera: [security]\n", "critera: unknown key (did you mean 'criteria'?)"),
        ("fail_on: urgent\n", "fail_on: 'urgent' is not one of"),
        (
            "criteria: [securty]\n",
            "criteria: 'securty' is neither a category nor a criterion (did you mean 'security'?)",
        ),
        (
            "rules:\n  disable: [SOC2-AWS-0001]\n",
            "rules.disable: no rule 'SOC2-AWS-0001' (did you mean SOC2-AWS-001?)",
        ),
        ("severity:\n  SOC2-AWS-001: urgent\n", "severity.SOC2-AWS-001: 'urgent' is not one of"),
        ("max_file_size: -1\n", "max_file_size: must be a positive number of bytes"),
    ],
)
def test_config_errors_name_file_key_and_a_fix(tmp_path: Path, text: str, message: str) -> None:
    repo = repo_with(tmp_path, {"main.tf": BUCKET.format(name="a"), ".soc2lint.yaml": text})
    proc = run("scan", str(repo))
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert ".soc2lint.yaml: " + message in proc.stderr


def test_init_writes_a_starter_config_that_loads(tmp_path: Path) -> None:
    repo = repo_with(tmp_path, {"main.tf": BUCKET.format(name="a")})
    assert run("init", cwd=repo).returncode == 0
    first, second = (repo / ".soc2lint.yaml").read_text().splitlines()[:2]
    assert first.startswith("# yaml-language-server: $schema=https://")  # editors' schema
    assert second.startswith("# soc2lint configuration")
    assert run("init", cwd=repo).returncode == 2  # never overwrites silently
    assert run("scan", ".", cwd=repo).returncode == 1


def test_baseline_keeps_known_findings_quiet_even_when_code_moves(tmp_path: Path) -> None:
    repo = repo_with(tmp_path, {"main.tf": BUCKET.format(name="old")})
    baseline = repo / ".soc2lint-baseline.json"
    proc = run("baseline", "create", str(repo), "--rule", "SOC2-AWS-001", "-o", str(baseline))
    assert proc.returncode == 0, proc.stderr
    assert json.loads(baseline.read_text())["entries"] == [
        {"rule_id": "SOC2-AWS-001", "path": "main.tf", "resource": "aws_s3_bucket.old"}
    ]
    (repo / "main.tf").write_text(
        "locals {\n  x = 1\n}\n\n" + BUCKET.format(name="old") + BUCKET.format(name="new")
    )
    doc = scan_json(repo, "--baseline", str(baseline))
    assert statuses(doc) == {"aws_s3_bucket.new": "fail"}
    assert doc["summary"]["baselined"] == 1 and doc["baseline"]["sha256"]
    broken = repo / "bad.json"
    broken.write_text("{}")
    proc = run("scan", str(repo), "--baseline", str(broken))
    assert proc.returncode == 2 and "bad.json: " in proc.stderr


POD_TWO_CONTAINERS = (
    "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  containers:\n"
    "    - name: a\n      image: nginx:1.25\n      securityContext:\n"
    "        privileged: {a}\n"
    "    - name: c\n      image: nginx:1.25\n      securityContext:\n"
    '        # soc2lint:ignore SOC2-K8S-001 reason="needs host devices"\n'
    "        privileged: {c}\n"
)


@pytest.mark.parametrize("order", ["a-first", "c-first"])
def test_a_marker_on_one_container_does_not_hide_another_container(
    tmp_path: Path, order: str
) -> None:
    text = POD_TWO_CONTAINERS.format(a="true", c="true")
    if order == "c-first":  # the marked container is the one the finding points at
        lines = text.splitlines(keepends=True)
        text = "".join(lines[:6] + lines[10:] + lines[6:10])
    repo = repo_with(tmp_path, {"pod.yaml": text})
    proc = run("scan", str(repo), "--format", "json", "--rule", "SOC2-K8S-001")
    doc = json.loads(proc.stdout)
    failing = [f for f in doc["findings"] if f["status"] == "fail"]
    assert proc.returncode == 1 and len(failing) == 1
    lines = text.splitlines()
    unmarked = next(
        n
        for n, line in enumerate(lines, start=1)
        if line == "        privileged: true" and "soc2lint:ignore" not in lines[n - 2]
    )
    assert (failing[0]["resource"], failing[0]["start_line"]) == ("Pod/default/p", unmarked)
    assert "privileged = true" in failing[0]["message"]
    assert doc["summary"]["suppressed"] == 0


def test_markers_on_every_failing_container_suppress_the_pod(tmp_path: Path) -> None:
    text = POD_TWO_CONTAINERS.format(a="true", c="true").replace(
        "      securityContext:\n        privileged: true\n",
        "      securityContext:\n"
        '        # soc2lint:ignore SOC2-K8S-001 reason="debug sidecar"\n'
        "        privileged: true\n",
        1,
    )
    repo = repo_with(tmp_path, {"pod.yaml": text})
    proc = run(
        "scan", str(repo), "--format", "json", "--rule", "SOC2-K8S-001",
        "--report-unused-suppressions",
    )  # fmt: skip
    doc = json.loads(proc.stdout)
    assert proc.returncode == 0, doc["findings"]
    assert doc["summary"]["suppressed"] == 1 and doc["suppression_problems"] == []


def test_attribute_marker_suppresses_when_only_the_marked_container_fails(tmp_path: Path) -> None:
    repo = repo_with(tmp_path, {"pod.yaml": POD_TWO_CONTAINERS.format(a="false", c="true")})
    doc = json.loads(run("scan", str(repo), "--format", "json", "--rule", "SOC2-K8S-001").stdout)
    assert doc["summary"]["suppressed"] == 1 and doc["summary"]["fail"] == 0


def test_a_resource_level_marker_covers_every_container(tmp_path: Path) -> None:
    text = '# soc2lint:ignore SOC2-K8S-001 reason="node agent"\n' + POD_TWO_CONTAINERS.format(
        a="true", c="true"
    )
    repo = repo_with(tmp_path, {"pod.yaml": text})
    doc = json.loads(run("scan", str(repo), "--format", "json", "--rule", "SOC2-K8S-001").stdout)
    assert doc["summary"]["suppressed"] == 1 and doc["summary"]["fail"] == 0


@pytest.mark.parametrize(
    "args",
    [
        ["--rule", "SOC2-AWS-001"],  # --rule leaves SOC2-AWS-004 out
        ["--config", "scope.yaml"],  # the configuration's criteria leave it out
        ["--config", "disabled.yaml"],  # the configuration disables it
    ],
)
def test_markers_for_rules_outside_the_scan_are_not_unknown(tmp_path: Path, args: list) -> None:
    repo = repo_with(
        tmp_path,
        {
            "main.tf": '# soc2lint:ignore SOC2-AWS-004 reason="logs go to the SIEM"\n'
            + '# soc2lint:ignore s3-bucket-versioning reason="by name"\n'
            + '# soc2lint:ignore SOC2-AWS-9999 reason="a typo"\n'
            + BUCKET.format(name="a"),
            "scope.yaml": "criteria: [C1.1]\n",
            "disabled.yaml": "rules:\n  disable: [SOC2-AWS-004, s3-bucket-versioning]\n",
        },
    )
    args = [str(repo / a) if a.endswith(".yaml") else a for a in args]
    proc = run("scan", str(repo), "--format", "json", "--report-unused-suppressions", *args)
    problems = [(p["rule"], p["problem"]) for p in json.loads(proc.stdout)["suppression_problems"]]
    assert problems == [("SOC2-AWS-9999", "no rule 'SOC2-AWS-9999'")]


def test_block_comment_markers_end_dates_and_comment_runs(tmp_path: Path) -> None:
    repo = repo_with(
        tmp_path,
        {
            "main.tf": (
                '/* soc2lint:ignore SOC2-AWS-001 reason="x" until=2099-01-01*/\n'
                + BUCKET.format(name="terminator")
                + "/*\n * Public assets.\n"
                + ' * soc2lint:ignore SOC2-AWS-001 reason="website assets"\n */\n'
                + BUCKET.format(name="block")
                + '# soc2lint:ignore SOC2-AWS-001 reason="a run of comments"\n'
                + "# owned by the web team\n"
                + BUCKET.format(name="run")
                + '# soc2lint:ignore SOC2-AWS-001 reason="a blank line breaks the run"\n\n'
                + BUCKET.format(name="apart")
            )
        },
    )
    doc = scan_json(repo, "--report-unused-suppressions")
    assert statuses(doc) == {
        "aws_s3_bucket.terminator": "suppressed",
        "aws_s3_bucket.block": "suppressed",
        "aws_s3_bucket.run": "suppressed",
        "aws_s3_bucket.apart": "fail",
    }
    terminator = next(f for f in doc["findings"] if f["resource"] == "aws_s3_bucket.terminator")
    assert terminator["suppression"]["expires"] == "2099-01-01"
    assert [(p["line"], p["problem"]) for p in doc["suppression_problems"]] == [
        (17, "unused: it suppresses nothing")
    ]


ACME_RULE = """\
id: SOC2-ACME-001
name: acme-bucket-prefix
title: Buckets are named acme-*
severity: low
platform: terraform
resource_types: [aws_s3_bucket]
criteria: [CC6.1]
rationale: CC6.1 asks for an inventory; our naming scheme is how we keep it.
remediation:
  description: Name the bucket acme-something.
  example: 'bucket = "acme-logs"'
condition:
  attribute: bucket
  op: matches
  value: "^acme-"
"""


@pytest.mark.parametrize(
    "config",
    [
        "rules_dirs: [policies]\nrules:\n  enable: [SOC2-ACME-001]\n",
        "rules_dirs: [policies]\nrules:\n  enable: [acme-bucket-prefix]\n"
        "severity:\n  SOC2-ACME-001: critical\n",
        "rules_dirs: [policies]\nrules:\n  disable: [SOC2-AWS-001]\n"
        "severity:\n  acme-bucket-prefix: critical\n",
    ],
)
def test_configuration_names_custom_rules_from_its_own_rules_dirs(
    tmp_path: Path, config: str
) -> None:
    repo = repo_with(
        tmp_path,
        {
            "main.tf": BUCKET.format(name="logs"),
            "ci/policies/acme.yaml": ACME_RULE,
            "ci/soc2lint.yaml": config,  # rules_dirs are relative to the configuration file
        },
    )
    proc = run("scan", str(repo), "--format", "json", "--config", str(repo / "ci/soc2lint.yaml"))
    assert proc.returncode == 1, proc.stderr
    acme = [f for f in json.loads(proc.stdout)["findings"] if f["rule_id"] == "SOC2-ACME-001"]
    assert [f["resource"] for f in acme] == ["aws_s3_bucket.logs"]
    expected = "low" if "severity" not in config else "critical"
    assert acme[0]["severity"] == expected


def test_configuration_rules_dirs_must_exist_and_custom_names_are_still_checked(
    tmp_path: Path,
) -> None:
    repo = repo_with(
        tmp_path,
        {
            "main.tf": BUCKET.format(name="logs"),
            "policies/acme.yaml": ACME_RULE,
            ".soc2lint.yaml": "rules_dirs: [policy]\n",
        },
    )
    proc = run("scan", str(repo))
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert ".soc2lint.yaml: rules_dirs: 'policy' is not a directory" in proc.stderr
    (repo / ".soc2lint.yaml").write_text(
        "rules_dirs: [policies]\nrules:\n  enable: [SOC2-ACME-01]\n"
    )
    proc = run("scan", str(repo))
    assert proc.returncode == 2
    assert "rules.enable: no rule 'SOC2-ACME-01' (did you mean SOC2-ACME-001?)" in proc.stderr


def test_unknown_rule_in_severity_gets_a_suggestion(tmp_path: Path) -> None:
    repo = repo_with(
        tmp_path,
        {"main.tf": BUCKET.format(name="a"), ".soc2lint.yaml": "severity:\n  SOC2-AWS-0001: low\n"},
    )
    proc = run("scan", str(repo))
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert (
        ".soc2lint.yaml: severity.SOC2-AWS-0001: no rule 'SOC2-AWS-0001' "
        "(did you mean SOC2-AWS-001?)"
    ) in proc.stderr


@pytest.mark.parametrize(
    "pyproject",
    [
        '[tool.soc2lint.rules]\ndisable = ["SOC2-AWS-001"]\n',
        '[tool.soc2lint.severity]\nSOC2-AWS-001 = "info"\n[tool.ruff]\nline-length = 100\n',
        '[tool]\nsoc2lint = { rules = { disable = ["SOC2-AWS-001"] } }\n',
    ],
)
def test_pyproject_with_only_sub_tables_is_found(tmp_path: Path, pyproject: str) -> None:
    repo = repo_with(tmp_path, {"main.tf": BUCKET.format(name="a"), "pyproject.toml": pyproject})
    doc = json.loads(run("scan", str(repo), "--format", "json").stdout)
    by_rule = {f["rule_id"]: f for f in doc["findings"]}
    if "disable" in pyproject:
        assert "SOC2-AWS-001" not in by_rule
    else:
        assert by_rule["SOC2-AWS-001"]["severity"] == "info"


def test_pyproject_without_our_table_is_ignored_even_when_broken(tmp_path: Path) -> None:
    repo = repo_with(
        tmp_path,
        {"main.tf": BUCKET.format(name="a"), "pyproject.toml": "[tool.ruff\nbroken = \n"},
    )
    proc = run("scan", str(repo), "--rule", "SOC2-AWS-001")
    assert proc.returncode == 1, proc.stderr  # scanned with the defaults
    (repo / "pyproject.toml").write_text("[tool.soc2lint.rules\n")
    proc = run("scan", str(repo))
    assert proc.returncode == 2 and "pyproject.toml: not valid TOML" in proc.stderr


def test_a_scope_no_rule_evidences_is_a_warning_in_the_report(tmp_path: Path) -> None:
    repo = repo_with(
        tmp_path, {"main.tf": BUCKET.format(name="a"), ".soc2lint.yaml": "criteria: [privacy]\n"}
    )
    proc = run("scan", str(repo))
    assert proc.returncode == 0  # nothing was checked, so nothing failed
    assert "0 rules" in proc.stdout
    assert "warning: the criteria in scope (privacy) select no rule: nothing was checked" in (
        proc.stdout
    )
    (repo / ".soc2lint.yaml").write_text("criteria: [security, privacy]\n")
    proc = run("scan", str(repo))
    assert "warning: no rule in this scan evidences privacy: nothing was checked for it" in (
        proc.stdout
    )
    (repo / ".soc2lint.yaml").write_text("criteria: [security]\n")
    assert "warning:" not in run("scan", str(repo)).stdout
    (repo / ".soc2lint.yaml").unlink()
    assert "warning:" not in run("scan", str(repo)).stdout  # every criterion: no warning
