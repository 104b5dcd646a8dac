"""Property tests: the Terraform parser and evaluator never raise on any input."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from soc2lint.engine.evaluate import evaluate_rules
from soc2lint.engine.rules import load_rules
from soc2lint.graph import ResourceGraph
from soc2lint.platforms.terraform.files import parse_file
from soc2lint.platforms.terraform.module import build_module

RULES = load_rules()

_TOKENS = [
    'resource "aws_s3_bucket" "b" {',
    "}",
    "{",
    "bucket = ",
    '"x"',
    "var.x",
    "local.y",
    "${",
    "[",
    "]",
    "<<EOT\n",
    "EOT\n",
    "\n",
    "# c\n",
    "= ",
    "1",
    "true",
    "(",
    ")",
    ",",
    'dynamic "rule" {',
    "content {",
    "for_each = ",
    "locals {",
    "y = local.y",
    "? :",
    "*",
]


@given(st.text(max_size=400))
def test_arbitrary_text_parses_or_errors_cleanly(text: str) -> None:
    result = parse_file("x.tf", text)
    assert (result.body is None) == bool(result.errors)
    for error in result.errors:
        assert error.path == "x.tf" and error.line >= 1


@given(st.lists(st.sampled_from(_TOKENS), max_size=60))
def test_hcl_shaped_noise_never_crashes_the_pipeline(tokens: list[str]) -> None:
    parsed = parse_file("x.tf", " ".join(tokens))
    module = build_module([parsed], [])
    graph = ResourceGraph()
    for res in module.resources:
        graph.add_resource(res)
    findings, rule_errors = evaluate_rules(RULES, graph)
    assert not rule_errors


@given(st.binary(max_size=300))
def test_arbitrary_json_bytes(raw: bytes) -> None:
    parse_file("x.tf.json", raw.decode("utf-8", errors="replace"))
