"""A block written where Terraform expects an argument (`tags { ... }`) is a parse error with
file and line, and the rules reading it are Unknown, never a pass (issue 13)."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from soc2lint.cli import main
from soc2lint.platforms.terraform import shapes

ROOT = Path(__file__).resolve().parents[1]

WRONG = """\
resource "aws_s3_bucket" "logs" {
  bucket = "logs"
  tags {
    Name = "logs"
  }
}

resource "aws_lambda_function" "fn" {
  function_name = "fn"
  environment {
    variables {
      DB_PASSWORD = "hunter2"
    }
  }
}
"""

RIGHT = WRONG.replace("tags {", "tags = {").replace("variables {", "variables = {")


def _scan(tmp_path: Path, text: str) -> dict:
    (tmp_path / "main.tf").write_text(text)
    result = CliRunner().invoke(
        main, ["scan", str(tmp_path), "--no-cache", "--format", "json", "--no-diff-base"]
    )
    assert result.exit_code in (0, 1), result.output
    return json.loads(result.stdout)


def _status(doc: dict, rule: str, resource: str) -> str:
    statuses = {
        f["status"] for f in doc["findings"] if f["rule_id"] == rule and f["resource"] == resource
    }
    return "pass" if not statuses else statuses.pop()  # the JSON report lists no passes


def test_a_block_where_an_argument_is_expected_is_a_parse_error_and_unknown(tmp_path: Path):
    doc = _scan(tmp_path, WRONG)
    errors = {(e["path"], e["line"]): e["message"] for e in doc["errors"]}
    assert set(errors) == {("main.tf", 3), ("main.tf", 11)}
    assert "`tags` is an argument of aws_s3_bucket, not a block" in errors[("main.tf", 3)]
    assert "environment.variables" in errors[("main.tf", 11)]
    # the secret in the block form is not read as "no secrets": the rule cannot know
    assert _status(doc, "SOC2-AWS-043", "aws_lambda_function.fn") == "unknown"
    assert _status(doc, "SOC2-AWS-114", "aws_s3_bucket.logs") == "unknown"


def test_the_same_values_written_as_arguments_are_judged(tmp_path: Path) -> None:
    doc = _scan(tmp_path, RIGHT)
    assert doc["errors"] == []
    assert _status(doc, "SOC2-AWS-043", "aws_lambda_function.fn") == "fail"


def test_blocks_providers_also_take_as_arguments_are_not_errors(tmp_path: Path) -> None:
    """`ingress` of a security group may be blocks or an argument (attributes as blocks)."""
    text = """\
resource "aws_security_group" "a" {
  ingress {
    from_port   = 443
    to_port     = 443
    protocol    = "tcp"
    cidr_blocks = ["10.0.0.0/8"]
  }
}

resource "aws_security_group" "b" {
  ingress = [{
    from_port   = 443
    to_port     = 443
    protocol    = "tcp"
    cidr_blocks = ["10.0.0.0/8"]
  }]
}
"""
    assert _scan(tmp_path, text)["errors"] == []


def test_the_table_is_what_the_fixtures_say() -> None:
    """Regenerate with `python -m soc2lint.platforms.terraform.shapes --write`."""
    committed = json.loads((ROOT / "soc2lint" / "data" / "terraform_shapes.json").read_text())
    assert committed == shapes.generate(ROOT)
    # never a path that the fixtures also write as a block or as a list of objects
    assert "ingress" not in committed["arguments"].get("aws_security_group", [])
