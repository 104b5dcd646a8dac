"""Terraform as it is really written: each construct has failing, passing and Unknown fixtures.

Fixtures live in fixtures/terraform/<construct>/; the rule used throughout is SOC2-AWS-006
(EBS volume encrypted), whose single attribute makes the construct under test the only variable.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from soc2lint.engine.rules import load_rules
from soc2lint.scan import ScanOptions, scan

REPO = Path(__file__).resolve().parents[1]
BASE = REPO / "fixtures" / "terraform"
RULES = [r for r in load_rules() if r.id == "SOC2-AWS-006"]
F = "fixtures/terraform/"


def results(case: str, options: ScanOptions | None = None) -> set[tuple]:
    report = scan([str(BASE / case)], RULES, options)
    assert not report.errors, report.errors
    return {
        (
            f.status.value,
            f.resource,
            f.location.path.removeprefix(F),
            f.location.start_line,
            tuple(f"{c.path.removeprefix(F)}:{c.start_line}" for c in f.call_sites),
        )
        for f in report.findings
    }


def _resources(case: str) -> list:
    from soc2lint.platforms.terraform.files import parse_file
    from soc2lint.platforms.terraform.module import build_module

    path = BASE / case / "main.tf"
    return build_module([parse_file("main.tf", path.read_text())], []).resources


def test_module_inputs_come_from_the_caller_scope() -> None:
    assert results("modules/fail") == {
        (
            "fail",
            "module.data.aws_ebs_volume.this",
            "modules/shared/volume/main.tf",
            12,
            ("modules/fail/main.tf:5",),
        ),
    }
    assert results("modules/pass") == {
        (
            "pass",
            "module.data.aws_ebs_volume.this",
            "modules/shared/volume/main.tf",
            12,
            ("modules/pass/main.tf:1",),
        ),
    }
    assert results("modules/unknown") == {
        (
            "unknown",
            "module.data.aws_ebs_volume.this",
            "modules/shared/volume/main.tf",
            12,
            ("modules/unknown/main.tf:5",),
        ),
    }


def test_nested_modules_with_count_chain_addresses_and_call_sites() -> None:
    sites = ("nested/root/main.tf:1", "nested/modules/app/main.tf:3")
    assert results("nested") == {
        (
            "pass",
            "module.app.module.disk[0].aws_ebs_volume.this",
            "nested/modules/disk/main.tf",
            7,
            sites,
        ),
        (
            "fail",
            "module.app.module.disk[1].aws_ebs_volume.this",
            "nested/modules/disk/main.tf",
            7,
            sites,
        ),
    }


def test_downloaded_modules_are_used_and_missing_ones_are_reported_not_fetched() -> None:
    report = scan([str(BASE / "downloaded")], RULES)
    got = {
        (
            f.status.value,
            f.resource,
            f.location.path.removeprefix(F + "downloaded/"),
            f.location.start_line,
        )
        for f in report.findings
    }
    assert got == {
        (
            "fail",
            "module.storage.module.inner.aws_ebs_volume.cache",
            ".terraform/modules/storage/modules/inner/main.tf",
            4,
        ),
        ("unknown", "aws_ebs_volume.extra", "main.tf", 14),
    }
    assert report.unavailable_modules == [
        {
            "path": F + "downloaded/main.tf",
            "line": 6,
            "source": "acme/network/aws",
            "reason": "not downloaded (run `terraform init`); never fetched",
        }
    ]


def test_count_and_for_each_instances() -> None:
    assert results("expansion/fail") == {
        ("pass", 'aws_ebs_volume.by_key["logs"]', "expansion/fail/main.tf", 12, ()),
        ("fail", 'aws_ebs_volume.by_key["tmp"]', "expansion/fail/main.tf", 12, ()),
        ("fail", "aws_ebs_volume.by_index[0]", "expansion/fail/main.tf", 19, ()),
        ("pass", "aws_ebs_volume.by_index[1]", "expansion/fail/main.tf", 19, ()),
        # count = 0: the resource does not exist, so no result at all
    }
    assert results("expansion/pass") == {
        ("pass", 'aws_ebs_volume.by_set["a"]', "expansion/pass/main.tf", 5, ()),
        ("pass", 'aws_ebs_volume.by_set["b"]', "expansion/pass/main.tf", 5, ()),
    }


def test_unknown_expansion_gives_one_template_node() -> None:
    report = scan([str(BASE / "expansion/unknown")], RULES)
    got = {(f.status.value, f.resource, f.location.start_line) for f in report.findings}
    assert got == {
        ("unknown", "aws_ebs_volume.template", 13),  # encrypted depends on each.key
        ("pass", "aws_ebs_volume.by_count", 20),  # every instance would be encrypted
    }
    assert all(r.template for r in _resources("expansion/unknown"))


def test_expressions_and_functions_decide_when_their_inputs_are_known() -> None:
    assert results("expressions/fail") == {
        ("fail", "aws_ebs_volume.merged", "expressions/fail/main.tf", 12, ()),
        ("fail", "aws_ebs_volume.conditional", "expressions/fail/main.tf", 21, ()),
    }
    assert results("expressions/pass") == {
        ("pass", "aws_ebs_volume.computed", "expressions/pass/main.tf", 8, ()),
        ("pass", "aws_ebs_volume.tried", "expressions/pass/main.tf", 14, ()),
    }
    assert results("expressions/unknown") == {
        ("unknown", "aws_ebs_volume.region_dependent", "expressions/unknown/main.tf", 6, ()),
        ("unknown", "aws_ebs_volume.unevaluated_function", "expressions/unknown/main.tf", 12, ()),
    }


def test_variable_precedence_defaults_env_tfvars_auto_then_command_line(tmp_path: Path) -> None:
    options = ScanOptions(
        env_vars={"from_env": "true", "from_tfvars": "false"},
        cli_vars=[("file", str(BASE / "variables" / "cli.tfvars")), ("var", "from_cli=true")],
    )
    statuses = {
        f.resource: f.status.value for f in scan([str(BASE / "variables")], RULES, options).findings
    }
    assert statuses == {
        "aws_ebs_volume.default": "fail",  # default false
        "aws_ebs_volume.tfvars": "pass",  # terraform.tfvars beats the environment
        "aws_ebs_volume.auto": "pass",  # z.auto.tfvars beats terraform.tfvars
        "aws_ebs_volume.env": "pass",  # TF_VAR_from_env beats the default
        "aws_ebs_volume.cli": "pass",  # --var beats --var-file
    }


def test_variables_from_the_command_line_and_environment() -> None:
    env = {**os.environ, "TF_VAR_from_env": "true"}
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "soc2lint",
            "scan",
            str(BASE / "variables"),
            "--rule",
            "SOC2-AWS-006",
            "--format",
            "json",
            "--var-file",
            str(BASE / "variables" / "cli.tfvars"),
            "--var",
            "from_cli=true",
            "--var",
            "from_default=true",
        ],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    summary = json.loads(proc.stdout)["summary"]
    assert (summary["fail"], summary["pass"], summary["unknown"]) == (0, 5, 0)


def test_a_module_directory_also_scanned_on_its_own_gives_no_duplicates() -> None:
    report = scan([str(BASE / "standalone")], RULES)
    assert [(f.resource, f.location.path) for f in report.findings] == [
        ("module.volume.aws_ebs_volume.this", F + "standalone/modules/volume/main.tf")
    ]


def test_module_parsed_once_however_often_it_is_instantiated(monkeypatch) -> None:
    from soc2lint.pipeline import load

    calls: list[str] = []
    real = load.parse_source

    def counting(path: str, text: str, *rest):  # type: ignore[no-untyped-def]
        calls.append(path)
        return real(path, text, *rest)

    monkeypatch.setattr(load, "parse_source", counting)
    report = scan([str(BASE / "nested")], RULES)
    assert len([f for f in report.findings]) == 2  # two instances of the disk module
    assert len(calls) == len(set(calls)) == 3


@pytest.mark.parametrize("case", ["root_case", "modules_case"])
def test_plan_values_are_located_in_the_configuration(case: str) -> None:
    base = REPO / "fixtures" / "plans" / case
    rules = [r for r in load_rules() if r.id in ("SOC2-AWS-001", "SOC2-AWS-012", "SOC2-AWS-032")]
    report = scan([str(base)], rules, ScanOptions(plan=str(base / "plan.json")))
    assert not report.errors
    assert report.findings
    for f in report.findings:
        assert f.location.path.endswith(".tf"), f  # every planned resource maps to its file
        assert f.location.start_line > 1 or f.status.value == "pass"


def test_plan_exact_results_and_deleted_resources_get_none() -> None:
    base = REPO / "fixtures" / "plans" / "delete_case"
    rules = [r for r in load_rules() if r.platform == "terraform"]
    report = scan([str(base)], rules, ScanOptions(plan=str(base / "plan.json")))
    assert not report.errors
    got = {
        (f.rule_id, f.status.value, f.resource, f.location.start_line)
        for f in report.findings
        if f.status.value != "pass"
    }
    assert got == {
        # the policy's ARN-built document is only known after apply
        ("SOC2-AWS-027", "unknown", "aws_iam_policy.trail_reader", 47),
        ("SOC2-AWS-003", "fail", "aws_s3_bucket.trail", 50),
        ("SOC2-AWS-004", "fail", "aws_s3_bucket.trail", 50),
        ("SOC2-AWS-005", "fail", "aws_s3_bucket.trail", 50),
        # the plan's kms_key_id = "" is not a key
        ("SOC2-AWS-033", "fail", "aws_cloudwatch_log_group.trail[0]", 67),
        ("SOC2-AWS-023", "fail", "aws_cloudtrail.main", 73),
        # no CloudWatch delivery, so no metric filters or alarms (CC7.3/CC7.4)
        *{(f"SOC2-AWS-10{i}", "fail", "aws_cloudtrail.main", 73) for i in range(6)},
        # the trail's bucket keeps its logs for ever (C1.2)
        ("SOC2-AWS-108", "fail", "aws_s3_bucket.trail", 50),
    }
    addresses = {f.resource for f in report.findings}
    assert "aws_s3_bucket.legacy" not in addresses  # planned for deletion
    assert "aws_cloudwatch_log_group.trail[1]" not in addresses  # count reduced


def test_dynamic_blocks_expand_when_known_and_stay_present_when_not() -> None:
    rules = [r for r in load_rules() if r.id == "SOC2-AWS-013"]

    def run(case: str) -> set[tuple]:
        report = scan([str(BASE / "dynamic" / case)], rules)
        return {(f.status.value, f.resource, f.location.start_line) for f in report.findings}

    # the ssh element of the expanded blocks, at the content block's cidr_blocks line
    assert run("fail") == {("fail", "aws_security_group.web", 19)}
    assert run("pass") == {("pass", "aws_security_group.web", 13)}  # a decided value
    assert run("unknown") == {("unknown", "aws_security_group.admin", 14)}
