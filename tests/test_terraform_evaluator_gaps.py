"""Evaluator gaps seen on real modules (issue 15 §3): each test failed before its fix."""

from __future__ import annotations

from pathlib import Path

from soc2lint.engine.rules import load_rules
from soc2lint.model import is_unknown
from soc2lint.platforms.terraform.files import parse_file
from soc2lint.platforms.terraform.module import build_module
from soc2lint.scan import scan


def _module(text: str) -> dict:
    parsed = parse_file("main.tf", text)
    assert not parsed.errors, parsed.errors
    return {r.address: r for r in build_module([parsed], []).resources}


def test_an_error_in_a_condition_lets_try_fall_through() -> None:
    res = _module(
        """
locals { v = { status = true } }
resource "aws_s3_bucket_versioning" "v" {
  bucket = "b"
  versioning_configuration {
    status = try(local.v["enabled"] ? "Enabled" : "Suspended", "Enabled")
  }
}
"""
    )
    config = res["aws_s3_bucket_versioning.v"].attributes["versioning_configuration"][0]
    assert config["status"] == "Enabled"


def test_an_unknown_condition_without_an_error_stays_unknown_in_try() -> None:
    res = _module(
        """
variable "on" {}
resource "aws_s3_bucket_versioning" "v" {
  bucket = "b"
  versioning_configuration {
    status = try(var.on ? "Enabled" : "Suspended", "Enabled")
  }
}
"""
    )
    config = res["aws_s3_bucket_versioning.v"].attributes["versioning_configuration"][0]
    assert is_unknown(config["status"])


def test_collection_functions_keep_unknown_at_the_leaves() -> None:
    res = _module(
        """
resource "aws_kms_key" "k" {}
locals {
  enc    = concat([{ kms = aws_kms_key.k.arn, alg = "aws:kms" }], [])
  merged = merge({ a = aws_kms_key.k.arn }, { b = "known" })
  flat   = flatten([[{ x = aws_kms_key.k.arn, y = "y" }], []])
  listed = tolist([{ x = aws_kms_key.k.arn, y = "y" }])
  looked = lookup({ a = { id = aws_kms_key.k.arn, alg = "AES256" } }, "a", null)
}
resource "aws_thing" "t" {
  alg     = local.enc[0].alg
  kms     = local.enc[0].kms
  b       = local.merged.b
  a       = local.merged["a"]
  y       = local.flat[0].y
  ly      = local.listed[0].y
  lalg    = local.looked.alg
  n       = length(local.enc)
  unknown = flatten([aws_kms_key.k.arn, ["z"]])
}
"""
    )
    attrs = res["aws_thing.t"].attributes
    assert attrs["alg"] == "aws:kms"
    assert attrs["b"] == "known"
    assert attrs["y"] == "y"
    assert attrs["ly"] == "y"
    assert attrs["lalg"] == "AES256"
    assert attrs["n"] == 1
    assert is_unknown(attrs["kms"]) and is_unknown(attrs["a"])
    # an unknown element may itself be a list: the flattened length is not known
    assert is_unknown(attrs["unknown"])


def test_a_function_that_cannot_read_an_unknown_leaf_gives_unknown_not_an_error() -> None:
    res = _module(
        """
resource "aws_kms_key" "k" {}
resource "aws_thing" "t" {
  has = try(contains([aws_kms_key.k.arn], "x"), false)
  j   = try(join(",", [aws_kms_key.k.arn, "x"]), "fallback")
}
"""
    )
    attrs = res["aws_thing.t"].attributes
    assert is_unknown(attrs["has"]) and is_unknown(attrs["j"])


_SAME_EXPRESSION = """
variable "name" {}
variable "other" {}
resource "aws_s3_bucket" "this" {
  bucket = var.name
}
resource "aws_s3_bucket" "other" {
  bucket = var.other
}
resource "aws_s3_bucket_versioning" "this" {
  bucket = var.name
  versioning_configuration {
    status = "Enabled"
  }
}
"""


def test_a_configuration_resource_with_the_same_bucket_expression_configures_that_bucket(
    tmp_path: Path,
) -> None:
    (tmp_path / "main.tf").write_text(_SAME_EXPRESSION)
    rules = [r for r in load_rules() if r.id == "SOC2-AWS-003"]
    assert rules and "aws_s3_bucket_versioning" in str(rules[0].condition)
    report = scan([str(tmp_path)], rules)
    got = {(f.resource, f.status.value) for f in report.findings}
    assert got == {("aws_s3_bucket.this", "pass"), ("aws_s3_bucket.other", "fail")}


def test_a_shared_bucket_expression_names_no_bucket_when_two_buckets_use_it(
    tmp_path: Path,
) -> None:
    (tmp_path / "main.tf").write_text(_SAME_EXPRESSION.replace("var.other", "var.name"))
    rules = [r for r in load_rules() if r.id == "SOC2-AWS-003"]
    report = scan([str(tmp_path)], rules)
    got = {(f.resource, f.status.value) for f in report.findings}
    assert got == {("aws_s3_bucket.this", "unknown"), ("aws_s3_bucket.other", "unknown")}


def test_merge_keeps_the_known_keys_of_a_map_with_an_unknown_value() -> None:
    from soc2lint.platforms.terraform.evaluate import Scope, evaluate
    from soc2lint.platforms.terraform.hcl import parse_expression

    value = evaluate(parse_expression("merge({a = 1}, {b = var.x})"), Scope())
    assert value["a"] == 1 and is_unknown(value["b"])
