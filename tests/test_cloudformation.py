"""CloudFormation/SAM templates as a platform, and rules that judge one control on several
platforms (`platforms:` blocks)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from soc2lint.cli.commands import main
from soc2lint.engine.rules import RuleError, load_rules, parse_rule
from soc2lint.model import Unknown
from soc2lint.platforms.cloudformation.parameters import ParameterFileError, parse_parameters
from soc2lint.platforms.cloudformation.platform import PLATFORM
from soc2lint.reporters.rule_docs import help_markdown
from soc2lint.reporters.sarif import help_text
from soc2lint.scan import scan

RULES = {r.id: r for r in load_rules()}

TEMPLATE = """\
AWSTemplateFormatVersion: "2010-09-09"
Transform: AWS::Serverless-2016-10-31
Parameters:
  Env: {Type: String, Default: prod}
  Free: {Type: String}
  Zones: {Type: CommaDelimitedList, Default: "a,b,c"}
Mappings:
  Sizes:
    prod: {Days: 400}
Conditions:
  IsProd: !Equals [!Ref Env, prod]
  NotProd: !Not [!Condition IsProd]
  Both: !And [!Condition IsProd, !Equals [!Ref Free, x]]
Globals:
  Function:
    Runtime: python3.12
Resources:
  Data:
    Type: AWS::S3::Bucket
    Properties:
      BucketName: !Sub "acme-${Env}-${AWS::Region}"
      Tags:
        - Key: joined
          Value: !Join ["-", [a, !Ref Env, !Select [1, !Ref Zones]]]
        - Key: mapped
          Value: !FindInMap [Sizes, !Ref Env, Days]
        - Key: chosen
          Value: !If [IsProd, yes-prod, no-prod]
        - Key: both
          Value: !If [Both, x, y]
        - Key: imported
          Value: !ImportValue shared
        - Key: secret
          Value: "{{resolve:secretsmanager:db:SecretString:password}}"
        - Key: dropped
          Value: !If [NotProd, kept, !Ref AWS::NoValue]
  OnlyInDev:
    Type: AWS::SNS::Topic
    Condition: NotProd
  Policy:
    Type: AWS::S3::BucketPolicy
    DependsOn: Fn
    Properties:
      Bucket: !Ref Data
      PolicyDocument:
        Statement:
          - Effect: Deny
            Resource: !Sub "${Data.Arn}/*"
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      Handler: app.handler
      Role: !GetAtt Role.Arn
"""


def _resources(text: str = TEMPLATE, path: str = "template.yaml") -> dict:
    kind = PLATFORM.sniff(path, text)
    assert kind
    parsed = PLATFORM.parse(path, text, kind)
    assert not parsed.errors
    return {r.address: r for r in parsed.resources}


def test_intrinsics_are_evaluated_where_known() -> None:
    data = _resources()["Data"].attributes
    tags = {t["Key"]: t.get("Value") for t in data["Tags"]}
    assert tags["joined"] == "a-prod-b"
    assert tags["mapped"] == 400
    assert tags["chosen"] == "yes-prod"
    assert tags["dropped"] is None  # AWS::NoValue removes the property
    for key in ("both", "imported", "secret"):
        assert isinstance(tags[key], Unknown), key
    name = data["BucketName"]
    assert isinstance(name, Unknown) and name.not_null  # AWS::Region is set, known at deploy


def test_a_resource_whose_condition_is_false_is_not_created() -> None:
    found = _resources()
    assert "OnlyInDev" not in found
    assert "OnlyInDev" in _resources(TEMPLATE.replace("Default: prod", "Default: dev"))


def test_refs_getatts_subs_and_depends_on_are_references() -> None:
    policy = _resources()["Policy"]
    assert ("Data", "Bucket") in policy.references
    assert ("Data", "PolicyDocument.Statement.0.Resource") in policy.references
    assert ("Fn", "DependsOn") in policy.references
    assert (
        policy.attribute_locations["Bucket"].start_line
        == TEMPLATE.splitlines().index("      Bucket: !Ref Data") + 1
    )


def test_sam_globals_fill_in_function_properties() -> None:
    fn = _resources()["Fn"]
    assert fn.type == "AWS::Serverless::Function"
    assert fn.attributes["Runtime"] == "python3.12" and fn.attributes["Handler"] == "app.handler"


def test_json_template_reads_like_yaml(tmp_path: Path) -> None:
    doc = {
        "Resources": {
            "B": {
                "Type": "AWS::S3::Bucket",
                "Properties": {
                    "VersioningConfiguration": {"Status": {"Fn::If": ["C", "Enabled", "Suspended"]}}
                },
            }
        },
        "Conditions": {"C": {"Fn::Equals": ["a", "a"]}},
    }
    out = tmp_path / "cdk.out"
    out.mkdir()
    (out / "Stack.template.json").write_text(json.dumps(doc, indent=1))
    report = scan([str(tmp_path)], [RULES["SOC2-AWS-003"]])
    assert [(f.status.value, f.resource) for f in report.findings] == [("pass", "B")]


def test_not_a_template_is_left_to_other_platforms() -> None:
    assert PLATFORM.sniff("x.yaml", "apiVersion: v1\nkind: ConfigMap\n") is None
    parsed = PLATFORM.parse("x.yaml", "Resources: {}\nAWS::: 1\n", "template")
    assert parsed.platform is None


def test_parameter_files() -> None:
    assert parse_parameters('[{"ParameterKey": "Env", "ParameterValue": "dev"}]', "p") == {
        "Env": "dev"
    }
    assert parse_parameters('{"Parameters": {"Env": "dev"}}', "p") == {"Env": "dev"}
    assert parse_parameters("# comment\nEnv=dev\nFree = x=y\n", "p") == {
        "Env": "dev",
        "Free": "x=y",
    }
    with pytest.raises(ParameterFileError):
        parse_parameters("Env\n", "p")


def test_cfn_parameters_option_changes_the_result(tmp_path: Path) -> None:
    (tmp_path / "template.yaml").write_text(
        "Parameters:\n  Status: {Type: String}\nResources:\n  B:\n    Type: AWS::S3::Bucket\n"
        "    Properties:\n      VersioningConfiguration:\n        Status: !Ref Status\n"
    )
    params = tmp_path / "params.txt"
    params.write_text("Status=Suspended\n")
    args = ["scan", str(tmp_path), "--rule", "SOC2-AWS-003", "--format", "json", "--no-cache"]
    unknown = json.loads(CliRunner().invoke(main, args).stdout)
    assert [f["status"] for f in unknown["findings"]] == ["unknown"]
    failed = CliRunner().invoke(main, [*args, "--cfn-parameters", str(params)])
    assert failed.exit_code == 1
    assert [f["status"] for f in json.loads(failed.stdout)["findings"]] == ["fail"]


# -- one control, several platforms -------------------------------------------------------------

BASE = {
    "id": "SOC2-AWS-999",
    "name": "bucket-versioned",
    "title": "Bucket has versioning",
    "severity": "low",
    "criteria": ["A1.2"],
    "rationale": "A1.2 recovery " * 5,
    "remediation": {"description": "Turn it on.", "example": "x"},
}
TF = {"resource_types": ["aws_s3_bucket"], "condition": {"attribute": "v", "op": "is_true"}}
CFN = {
    "resource_types": ["AWS::S3::Bucket"],
    "condition": {
        "attribute": "VersioningConfiguration.Status",
        "op": "equals",
        "value": "Enabled",
    },
    "example": "Resources: {}",
}


def test_a_rule_names_a_condition_per_platform() -> None:
    rule = parse_rule(
        {**BASE, "platform": "terraform", **TF, "platforms": {"cloudformation": CFN}}, "r"
    )
    assert rule.platforms == ("terraform", "cloudformation")
    assert rule.condition_for("terraform", "aws_s3_bucket") is rule.condition
    assert rule.condition_for("cloudformation", "AWS::S3::Bucket") is rule.others[0].condition
    assert rule.condition_for("cloudformation", "aws_s3_bucket") is None
    assert rule.condition_for("kubernetes", "AWS::S3::Bucket") is None
    # the `platforms:` form alone: its first platform is the primary one
    only = parse_rule(
        {**BASE, "platforms": {"terraform": {**TF, "example": "y"}, "cloudformation": CFN}}, "r"
    )
    assert only.platform == "terraform" and only.platforms == ("terraform", "cloudformation")


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"platforms": {"nowhere": CFN}}, "platforms.nowhere"),
        ({"platforms": {"terraform": CFN}}, "already judges"),
        ({"platforms": {"cloudformation": {**CFN, "example": ""}}}, "example: is required"),
        (
            {"platforms": {"cloudformation": {**CFN, "resource_types": ["aws_s3_bucket"]}}},
            "valid cloudformation",
        ),
        ({"platforms": {"cloudformation": {**CFN, "severity": "high"}}}, "unknown key"),
    ],
)
def test_platform_blocks_are_validated(change: dict, message: str) -> None:
    with pytest.raises(RuleError, match=message):
        parse_rule({**BASE, "platform": "terraform", **TF, **change}, "r")


def test_each_platform_is_judged_by_its_own_condition(tmp_path: Path) -> None:
    (tmp_path / "main.tf").write_text('resource "aws_s3_bucket" "b" {\n  bucket = "x"\n}\n')
    (tmp_path / "template.yaml").write_text(
        "Resources:\n  B:\n    Type: AWS::S3::Bucket\n    Properties:\n"
        "      VersioningConfiguration:\n        Status: Enabled\n"
    )
    report = scan([str(tmp_path)], [RULES["SOC2-AWS-003"]])
    got = sorted((f.status.value, f.resource, f.location.path) for f in report.findings)
    assert got == [("fail", "aws_s3_bucket.b", "main.tf"), ("pass", "B", "template.yaml")]
    # one control: one rule in the report, counted once in the evidence
    assert [r.id for r in report.rules] == ["SOC2-AWS-003"]


def test_rules_json_docs_and_sarif_show_every_platform() -> None:
    out = json.loads(CliRunner().invoke(main, ["rules", "--format", "json"]).output)
    rule = next(r for r in out if r["id"] == "SOC2-AWS-003")
    assert rule["platform"] == "terraform"
    assert [p["platform"] for p in rule["platforms"]] == ["terraform", "cloudformation"]
    assert rule["platforms"][1]["resource_types"] == ["AWS::S3::Bucket"]
    # a rule of one platform keeps the shape it had (SOC2-K8S-001 judges Compose services too
    # now, so the single-platform example is the hostPath rule)
    single = next(r for r in out if r["id"] == "SOC2-K8S-005")
    assert "platforms" not in single
    several = next(r for r in out if r["id"] == "SOC2-K8S-001")
    assert [p["platform"] for p in several["platforms"]] == ["kubernetes", "docker_compose"]
    docs = help_markdown(RULES["SOC2-AWS-003"])
    assert "```hcl" in docs and "```yaml" in docs and "`AWS::S3::Bucket`" in docs
    assert "AWS::S3::Bucket" in help_text(RULES["SOC2-AWS-003"])


def test_a_tab_before_a_comment_is_read_as_yaml_allows() -> None:
    text = (
        "Resources:\n  V:\n    Type: AWS::EC2::Volume\n    Properties:\n"
        "      Encrypted: true\t# why\n"
    )
    volume = _resources(text)["V"]
    assert volume.attributes["Encrypted"] is True
    assert volume.attribute_locations["Encrypted"].start_line == 5
