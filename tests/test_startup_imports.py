"""A pre-commit run pays only for what its files need (issue 21): a one-file Terraform change
imports no graph library, no reference HCL parser and no other platform's parser, and a run
whose rules and result come from the cache imports no Terraform parser at all. Checked by the
modules a real process loaded, not by timing (benchmarks/bench_startup.py times it)."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

TF = """resource "aws_s3_bucket" "logs" {
  bucket = "logs"
}

resource "aws_s3_bucket_versioning" "logs" {
  bucket = aws_s3_bucket.logs.id
  versioning_configuration {
    status = "Enabled"
  }
}
"""

# what a one-file Terraform scan never needs
NEVER = (
    "networkx",
    "hcl2",  # the Lark reference path: tree-sitter parses this file
    "lark",
    "multiprocessing",
    "concurrent.futures.process",
    "pathspec",  # inside git, without --exclude
    "soc2lint.platforms.kubernetes.objects",
    "soc2lint.platforms.kubernetes.renderers",
    "soc2lint.platforms.kubernetes.linker",
    "soc2lint.platforms.cloudformation.template",
    "soc2lint.platforms.cloudformation.resources",
    "soc2lint.platforms.docker_compose.services",
    "soc2lint.platforms.dockerfile.resources",
    "soc2lint.platforms.gitlab_ci.local_includes",
    "soc2lint.platforms.gitlab_ci.environments",
    # the CI parsers: their packages are imported by the registry, their modules only for CI files
    "soc2lint.platforms.github_actions.resources",
    "soc2lint.platforms.github_actions.audits",
    "soc2lint.platforms.gitlab_ci.config",
    "soc2lint.platforms.gitlab_ci.jobs",
    "soc2lint.platforms.shared.ci_common",
    # package data is read from soc2lint.package_file: importlib.resources brings zipfile & co.
    "importlib.resources",
    # pull-request mode and its temporary trees: the hooks say --no-diff-base
    "soc2lint.policies.diff",
    "tempfile",
    "difflib",  # only for a mistake's did-you-mean
    # a Terraform plan's reader: only with --plan
    "soc2lint.platforms.terraform.plan",
    "soc2lint.platforms.terraform.planned",
)
# what a run that reuses its cached rules and result does not need either
NOT_WHEN_CACHED = ("soc2lint.platforms.terraform.files", "soc2lint.platforms.terraform.hcl_fast")

PROBE = textwrap.dedent(
    """
    import sys
    from soc2lint.cli import main
    sys.argv = ["soc2lint", *sys.argv[1:]]
    code = 0
    try:
        main()
    except SystemExit as exc:
        code = exc.code
    print(repr((code, sorted(sys.modules))), file=sys.stderr)
    """
)


def _loaded(cwd: Path, *words: str) -> tuple[int, list[str]]:
    proc = subprocess.run(
        [sys.executable, "-c", PROBE, *words], cwd=cwd, capture_output=True, text=True, timeout=120
    )
    code, modules = eval(proc.stderr.strip().splitlines()[-1])  # noqa: S307 - our own print
    return code, modules


def _imported(modules: list[str], names: tuple[str, ...]) -> list[str]:
    return [m for m in modules if any(m == n or m.startswith(n + ".") for n in names)]


def test_a_one_file_terraform_change_imports_only_what_it_needs(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    (repo / "infra").mkdir(parents=True)
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    (repo / "infra" / "s3.tf").write_text(TF)
    (repo / "infra" / "other.tf").write_text('resource "aws_sqs_queue" "q" {\n  name = "q"\n}\n')
    hook = ["scan", "--no-diff-base", "--only-changed", "infra/s3.tf"]
    hook += ["--cache-dir", str(tmp_path / "cache")]
    first, modules = _loaded(repo, *hook)  # cold: parses the changed file and its module
    assert first == 1  # the queue's findings: the scan ran and judged
    assert _imported(modules, NEVER) == []
    assert "soc2lint.platforms.terraform.hcl_fast" in modules  # it did parse Terraform
    again, modules = _loaded(repo, *hook)  # rules and the whole result from the cache
    assert again == first
    assert _imported(modules, NEVER + NOT_WHEN_CACHED) == []


def test_version_imports_no_platform() -> None:
    code, modules = _loaded(Path.cwd(), "--version")
    assert code == 0
    assert _imported(modules, ("soc2lint.platforms", *NEVER)) == []


def test_code_digest_covers_every_module_as_rglob_finds_them() -> None:
    """code_digest walks the package with os.scandir (passing over __pycache__); it stays the
    digest of every module's path, size and mtime in sorted(rglob("*.py")) order."""
    import hashlib

    from soc2lint import __version__
    from soc2lint.pipeline import load

    package = Path(load.__file__).resolve().parents[1]
    h = hashlib.sha256(__version__.encode())
    for path in sorted(package.rglob("*.py")):
        info = path.stat()
        h.update(f"{path.relative_to(package)}\0{info.st_size}\0{info.st_mtime_ns}\n".encode())
    assert load.code_digest() == h.hexdigest()
