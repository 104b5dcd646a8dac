"""Terraform parsing: lines, references, value resolution and Unknowns."""

from __future__ import annotations

from soc2lint.model import Unknown
from soc2lint.platforms.terraform import ast
from soc2lint.platforms.terraform.files import parse_file
from soc2lint.platforms.terraform.hcl import parse_body
from soc2lint.platforms.terraform.module import build_module

SOURCE = """\
# a comment at the top
/* a block
   comment */
resource "aws_s3_bucket" "b" {
  bucket = "logs-${var.env}"   // trailing comment
  policy = <<EOT
{"Statement": []}
EOT

  dynamic "rule" {
    for_each = var.rules
    content {
      id = rule.value
    }
  }

  versioning {
    enabled = true
  }
  tags = {
    Name = local.name
    Team = "core"
  }
  kms = aws_kms_key.k.arn
}
"""


def _module(files: dict[str, str], tfvars: dict[str, str] | None = None):
    parsed = [parse_file(name, text) for name, text in files.items()]
    varfiles = [parse_file(name, text) for name, text in (tfvars or {}).items()]
    for f in parsed + varfiles:
        assert not f.errors, f.errors
    return {r.address: r for r in build_module(parsed, varfiles).resources}


def test_lines_for_blocks_attributes_heredocs_and_nested_blocks() -> None:
    res = _module(
        {
            "main.tf": SOURCE + 'variable "env" {\n  default = "prod"\n}\n'
            'variable "rules" {\n  default = ["a", "b"]\n}\nlocals {\n  name = "n"\n}\n'
        }
    )
    b = res["aws_s3_bucket.b"]
    assert (b.location.start_line, b.location.end_line) == (4, 25)
    loc = b.attribute_locations
    assert loc["bucket"].start_line == 5
    assert (loc["policy"].start_line, loc["policy"].end_line) == (6, 8)
    assert loc["rule.0"].start_line == 12 and loc["rule.1.id"].start_line == 13
    assert loc["versioning.0.enabled"].start_line == 18
    assert loc["tags.Team"].start_line == 22
    assert loc["kms"].start_line == 24
    assert b.attributes["bucket"] == "logs-prod"
    assert b.attributes["rule"] == [{"id": "a"}, {"id": "b"}]
    assert b.attributes["tags"] == {"Name": "n", "Team": "core"}
    assert b.attributes["policy"] == '{"Statement": []}\n'
    assert isinstance(b.attributes["kms"], Unknown)


def test_interpolated_variable_without_value_is_unknown_never_the_literal_text() -> None:
    res = _module(
        {
            "main.tf": 'variable "env" {}\nresource "aws_s3_bucket" "b" {\n'
            '  bucket = "${var.env}"\n  acl = "x-${var.env}"\n}\n'
        }
    )
    attrs = res["aws_s3_bucket.b"].attributes
    assert isinstance(attrs["bucket"], Unknown) and isinstance(attrs["acl"], Unknown)
    assert "var.env" in attrs["bucket"].reason


def test_tfvars_override_defaults_in_terraform_order() -> None:
    res = _module(
        {
            "main.tf": 'variable "a" {\n  default = 1\n}\nvariable "b" {\n  default = 1\n}\n'
            'variable "c" {}\nresource "x_y" "z" {\n  a = var.a\n  b = var.b\n  c = var.c\n}\n'
        },
        {
            "b.auto.tfvars": "b = 3\n",
            "terraform.tfvars": "a = 2\nb = 2\nc = 2\n",
            "a.auto.tfvars": "b = 4\n",
        },
    )
    assert res["x_y.z"].attributes == {"a": 2, "b": 3, "c": 2}


def test_locals_chain_and_cycles_become_unknown() -> None:
    res = _module(
        {
            "main.tf": 'locals {\n  a = "${local.b}-x"\n  b = upper("p")\n'
            "  c = local.d\n  d = local.c\n}\n"
            'resource "x_y" "z" {\n  a = local.a\n  c = local.c\n}\n'
        }
    )
    attrs = res["x_y.z"].attributes
    assert attrs["a"] == "P-x"
    assert isinstance(attrs["c"], Unknown) and "cycle" in attrs["c"].reason


def test_references_are_extracted_from_every_expression_and_through_locals() -> None:
    res = _module(
        {
            "main.tf": """
locals {
  bucket = aws_s3_bucket.b.id
}
resource "aws_s3_bucket" "b" {}
resource "aws_s3_bucket_versioning" "v" {
  bucket = local.bucket
  other  = [for s in module.net.subnets : s.id if data.aws_region.r.name != ""]
  x      = var.y == null ? aws_kms_key.k[0].arn : "none"
}
"""
        }
    )
    targets = {t for t, _ in res["aws_s3_bucket_versioning.v"].references}
    assert {"aws_s3_bucket.b", "module.net", "data.aws_region.r", "aws_kms_key.k"} <= targets
    # variables and locals are not graph nodes: a local stands for what it refers to
    assert not any(t.startswith(("var.", "local.")) for t in targets)


def test_count_zero_means_no_resource() -> None:
    res = _module(
        {
            "main.tf": 'resource "aws_s3_bucket" "off" {\n  count = 0\n}\n'
            'resource "aws_s3_bucket" "on" {\n  count = 1\n}\n'
        }
    )
    assert set(res) == {"aws_s3_bucket.on[0]"}


def test_unknown_dynamic_for_each_keeps_content_with_unknown_values() -> None:
    res = _module(
        {
            "main.tf": 'variable "rules" {}\nresource "aws_security_group" "g" {\n'
            '  dynamic "ingress" {\n    for_each = var.rules\n    content {\n'
            '      from_port = ingress.value.port\n      protocol = "tcp"\n    }\n  }\n}\n'
        }
    )
    ingress = res["aws_security_group.g"].attributes["ingress"]
    assert len(ingress) == 1 and ingress[0]["protocol"] == "tcp"
    assert isinstance(ingress[0]["from_port"], Unknown)


def test_an_interpolation_with_literal_text_is_unknown_but_surely_set() -> None:
    res = _module(
        {
            "main.tf": 'variable "p" {}\nresource "google_container_cluster" "c" {\n'
            '  a = "${var.p}.svc.id.goog"\n  b = "${var.p}"\n  c = "${var.p}${var.p}"\n'
            '  d = "serviceAccount:${var.p}"\n}\n'
        }
    )
    attrs = res["google_container_cluster.c"].attributes
    assert isinstance(attrs["a"], Unknown) and attrs["a"].not_null and attrs["a"].prefix == ""
    assert isinstance(attrs["b"], Unknown) and not attrs["b"].not_null
    assert isinstance(attrs["c"], Unknown) and not attrs["c"].not_null
    assert attrs["d"].not_null and attrs["d"].prefix == "serviceAccount:"


def test_tf_json_files_are_parsed_with_lines() -> None:
    text = (
        '{\n  "resource": {\n    "aws_s3_bucket": {\n      "b": {\n        "bucket": "${var.n}",\n'
        '        "acl": "private"\n      }\n    }\n  },\n  "variable": {"n": {"default": "x"}}\n}\n'
    )
    res = _module({"main.tf.json": text})
    b = res["aws_s3_bucket.b"]
    assert b.attributes == {"bucket": "x", "acl": "private"}
    assert b.location.start_line == 4 and b.attribute_locations["acl"].start_line == 6


def test_syntax_errors_name_the_line() -> None:
    parsed = parse_file("bad.tf", 'resource "a" "b" {\n  x = 1\n  y = [1,\n}\n')
    assert parsed.body is None
    assert parsed.errors[0].path == "bad.tf" and parsed.errors[0].line >= 3


def test_traversals_keep_the_static_prefix() -> None:
    body = parse_body("x = aws_instance.web[count.index].id\ny = a.b[*].c\n")
    assert ast.traversals(body.attributes["x"].expr)[0][:2] == ("aws_instance", "web")
    assert ("a", "b") in [t[:2] for t in ast.traversals(body.attributes["y"].expr)]


def test_optional_object_attributes_take_their_defaults_or_null() -> None:
    # Terraform converts a value to the variable's type: an optional attribute left out, or
    # set to null, becomes its default (or null), also inside lists, maps and nested objects
    res = _module(
        {
            "main.tf": """\
variable "cert" {
  type = object({
    arn      = optional(string)
    default  = optional(bool)
    tls      = optional(string, "TLSv1.2_2021")
    required = string
  })
  default = { required = "x" }
}
variable "origins" {
  type = map(object({
    name   = string
    access = optional(object({ mode = optional(string, "always") }), {})
  }))
  default = { a = { name = "a" }, b = { name = "b", access = { mode = "never" } } }
}
variable "given" {
  type = object({ tls = optional(string, "TLSv1.2_2021") })
  default = { tls = null }
}
variable "unknown" {
  type = object({ tls = optional(string, "TLSv1.2_2021") })
}
resource "x_y" "z" {
  cert    = var.cert
  origins = var.origins
  given   = var.given
  unknown = var.unknown
}
"""
        }
    )
    attrs = res["x_y.z"].attributes
    assert attrs["cert"] == {"arn": None, "default": None, "tls": "TLSv1.2_2021", "required": "x"}
    assert attrs["origins"] == {
        "a": {"name": "a", "access": {"mode": "always"}},
        "b": {"name": "b", "access": {"mode": "never"}},
    }
    assert attrs["given"] == {"tls": "TLSv1.2_2021"}
    assert isinstance(attrs["unknown"], Unknown)
