"""What module instances share at assembly is only what no value changes (issue 22).

One module directory called by several root modules is read once per build (its blocks after
overrides, shape checks, the references of each expression, Locations); its values are still
evaluated per instance. These tests fail if anything value-dependent leaks from one instance to
another, if an Unknown input stops being Unknown, or if the shared facts outlive the build. The
kustomize and merge_instances tests pin the order-keeping of the faster paths.
"""

from __future__ import annotations

import os
import stat
from contextlib import nullcontext
from pathlib import Path

import pytest

from soc2lint.model import Finding, Location, Status, is_unknown
from soc2lint.pipeline.report import merge_instances
from soc2lint.platforms.terraform import blocks
from soc2lint.platforms.terraform.files import parse_file
from soc2lint.platforms.terraform.project import Project, ProjectResult

MODULE = """\
variable "name" {}
variable "kms" {}

locals {
  bucket = "${var.name}-logs"
  key    = var.kms
}

resource "aws_s3_bucket" "b" {
  bucket = local.bucket
  tags {
    Name = var.name
  }
}

resource "aws_s3_bucket_server_side_encryption_configuration" "e" {
  bucket     = aws_s3_bucket.b.id
  kms_key_id = local.key
}

output "arn" {
  value = aws_s3_bucket.b.arn
}
"""
DUPLICATE = """\
resource "aws_s3_bucket" "b" {
  bucket = "again"
}
"""
CALL = """\
module "{call}" {{
  source = "../../modules/m"
  name   = "{name}"
{kms}}}

resource "aws_s3_bucket" "own" {{
  bucket = module.{call}.arn
}}
"""
ROOTS = {
    "envs/a": CALL.format(call="m", name="a", kms='  kms    = "k1"\n'),
    "envs/b": CALL.format(call="m", name="b", kms=""),  # var.kms has no default: Unknown
    # the same inputs as envs/a, through a call of another name
    "envs/c": CALL.format(call="n", name="a", kms='  kms    = "k1"\n'),
}


def _project(root: Path) -> Project:
    files = {f"{d}/main.tf": text for d, text in ROOTS.items()}
    files["modules/m/main.tf"] = MODULE
    files["modules/m/z_dup.tf"] = DUPLICATE
    parsed: dict[str, list] = {}
    for rel, text in sorted(files.items()):
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)
        parsed.setdefault(rel.rpartition("/")[0], []).append(parse_file(rel, text))
    return Project(root, parsed, {}, lambda _directory: None)


def _by_key(result: ProjectResult) -> dict[str, object]:
    return {r.key: r for r in result.resources}


def test_instances_of_one_module_keep_their_own_values_and_unknowns(tmp_path: Path) -> None:
    result = _project(tmp_path).build()
    found = _by_key(result)
    bucket = "aws_s3_bucket.b"
    encryption = "aws_s3_bucket_server_side_encryption_configuration.e"
    call = {"envs/a": "module.m.", "envs/b": "module.m.", "envs/c": "module.n."}
    at = {
        scope: {
            k.split("::")[1].removeprefix(p): r for k, r in found.items() if k.startswith(scope)
        }
        for scope, p in call.items()
    }
    assert at["envs/a"][bucket].attributes["bucket"] == "a-logs"
    assert at["envs/b"][bucket].attributes["bucket"] == "b-logs"
    assert at["envs/c"][bucket].attributes["bucket"] == "a-logs"
    assert at["envs/a"][encryption].attributes["kms_key_id"] == "k1"
    assert is_unknown(at["envs/b"][encryption].attributes["kms_key_id"])
    assert at["envs/c"][encryption].attributes["kms_key_id"] == "k1"
    for scope, prefix in call.items():
        # references are each instance's own, through locals and module outputs
        assert at[scope][encryption].references == ((prefix + bucket, "bucket"),)
        assert at[scope]["aws_s3_bucket.own"].references == (
            (prefix.rstrip("."), "bucket"),
            (prefix + bucket, "bucket"),
        )
        assert at[scope][bucket].address == prefix + bucket
        assert at[scope][bucket].call_sites == (Location(f"{scope}/main.tf", 1, 1),)
        # a block where an argument is expected: Unknown in every instance
        assert is_unknown(at[scope][bucket].attributes["tags"])


def test_errors_of_a_shared_module_are_reported_for_it(tmp_path: Path) -> None:
    result = _project(tmp_path).build()
    messages = {(e.path, e.line, e.message.split(":")[0]) for e in result.errors}
    assert ("modules/m/z_dup.tf", 1, 'duplicate resource "aws_s3_bucket" "b"') in messages
    assert any(e.path == "modules/m/main.tf" and e.line == 11 for e in result.errors)


def test_sharing_gives_what_building_each_instance_alone_gives(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    shared = _project(tmp_path / "shared").build()
    # nothing outlives the build
    assert blocks._memos is blocks._roots_memo is blocks._locations_memo is None
    # no facts shared: every instance works everything out for itself
    monkeypatch.setattr("soc2lint.platforms.terraform.project.shared_facts", nullcontext)
    monkeypatch.setattr("soc2lint.platforms.terraform.module.shared_facts", nullcontext)
    alone = _project(tmp_path / "alone").build()
    assert [(r, r.attribute_locations) for r in shared.resources] == [
        (r, r.attribute_locations) for r in alone.resources
    ]
    assert shared.errors == alone.errors
    assert [repr(r.attributes) for r in shared.resources] == [
        repr(r.attributes) for r in alone.resources
    ]


def test_kustomizations_built_side_by_side_keep_their_order_and_files(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from soc2lint.engine.rules import parse_rule
    from soc2lint.platforms.kubernetes import renderers
    from soc2lint.scan import ScanOptions, scan

    root = tmp_path / "repo"
    (root / ".git").mkdir(parents=True)
    for i, name in enumerate(["a", "b", "c"]):
        base = root / name
        base.mkdir()
        manifest = DEPLOYMENT.format(name=name, replicas=1)
        (base / "deployment.yaml").write_text(manifest)
        (base / "kustomization.yaml").write_text(KUSTOMIZATION)
        # the first one finishes last
        (base / "rendered.out").write_text(DEPLOYMENT.format(name=name, replicas=3 - i))
        (base / "delay").write_text(str(0.3 - 0.1 * i))
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    tool = bin_dir / "kustomize"
    # the wrapper kustomization names the directory built: print what that one renders
    tool.write_text(
        "#!/bin/sh\n"
        "target=$(sed -n 's/^  - \"\\(.*\\)\"$/\\1/p' kustomization.yaml)\n"
        'sleep "$(cat "$target/delay")"\n'
        'cat "$target/rendered.out"\n'
    )
    tool.chmod(tool.stat().st_mode | stat.S_IXUSR)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    rule = parse_rule(
        {
            "id": "SOC2-TEST-001",
            "name": "replicas",
            "title": "three replicas",
            "severity": "low",
            "platform": "kubernetes",
            "resource_types": ["Deployment"],
            "criteria": ["A1.2"],
            "rationale": "A1.2 test rule",
            "remediation": {"description": "d", "example": "e"},
            "condition": {"attribute": "spec.replicas", "op": "greater_or_equal", "value": 3},
        },
        "test",
    )

    def seen(jobs: int) -> list[tuple]:
        report = scan([str(root)], [rule], ScanOptions(jobs=jobs))
        assert [n["message"] for n in report.notes] == ["rendered with `kustomize build`"] * 3
        return [
            (f.resource, f.status.value, f.location.path, f.location.start_line)
            for f in report.findings
        ]

    assert (
        seen(3)
        == seen(1)
        == [
            ("Deployment/default/a", "pass", "a/deployment.yaml", 6),
            ("Deployment/default/b", "fail", "b/deployment.yaml", 6),
            ("Deployment/default/c", "fail", "c/deployment.yaml", 6),
        ]
    )
    # the rendered objects and notes in the kustomizations' order, though "a" finished last
    paths = [f"{d}/{n}" for d in "abc" for n in ("deployment.yaml", "kustomization.yaml")]
    outcome = renderers.render_all(root, paths, [], ScanOptions(jobs=3))
    assert [
        (r.address, r.location.path, r.attributes["spec"]["replicas"]) for r in outcome.resources
    ] == [
        ("Deployment/default/a", "a/deployment.yaml", 3),
        ("Deployment/default/b", "b/deployment.yaml", 2),
        ("Deployment/default/c", "c/deployment.yaml", 1),
    ]
    assert [n["path"] for n in outcome.notes] == [f"{d}/kustomization.yaml" for d in "abc"]


DEPLOYMENT = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {name}
spec:
  replicas: {replicas}
"""
KUSTOMIZATION = """\
apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
resources:
  - deployment.yaml
"""


def _finding(resource: str, sites: tuple[Location, ...], line: int = 1) -> Finding:
    where = Location("modules/m/main.tf", line, line)
    return Finding("SOC2-X-1", resource, "t", Status.FAIL, where, "m", call_sites=sites)


def test_merge_instances_keeps_order_and_passes_plain_findings_through() -> None:
    plain_1 = Finding("SOC2-X-1", "a", "t", Status.FAIL, Location("a.tf", 1, 1), "m")
    plain_2 = Finding("SOC2-X-1", "b", "t", Status.PASS, Location("b.tf", 1, 1), "m")
    site_1, site_2 = Location("envs/a/main.tf", 1, 1), Location("envs/b/main.tf", 1, 1)
    first = _finding("module.m.x", (site_1,))
    other = _finding("module.m.x", (site_1,), line=2)
    second = _finding("module.m.x", (site_2,))
    merged = merge_instances([plain_1, first, plain_2, other, second])
    assert merged[0] is plain_1 and merged[2] is plain_2 and merged[3] is other
    assert (merged[1].call_sites, merged[1].instances) == ((site_1, site_2), 2)
    assert len(merged) == 4
