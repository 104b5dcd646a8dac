"""The pre-commit hooks on a repository that already has findings: a failing hook ends with
what to do next, and one command (`soc2lint baseline create`) turns the hook green while a new
finding still fails it. The hooks' entries are read from .pre-commit-hooks.yaml and run as
pre-commit runs them (from the repository root); test_developer_workflows.py runs pre-commit
itself, through the same path."""

from __future__ import annotations

import json
import shlex
import shutil
from pathlib import Path

import pytest
from ruamel.yaml import YAML
from test_cli_habits import Result, run
from test_developer_workflows import BUCKET, git, make_repo

try:
    import tomllib
except ImportError:  # Python 3.10
    import tomli as tomllib  # type: ignore[no-redef]

__all__ = ["run"]  # the fixture
REPO = Path(__file__).resolve().parents[1]
HOOKS = {h["id"]: h for h in YAML(typ="safe").load((REPO / ".pre-commit-hooks.yaml").read_text())}
pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")


def hook(run, hook_id: str, *files: str) -> Result:  # type: ignore[no-untyped-def]
    """The hook's entry, as pre-commit calls it (files only when it passes them)."""
    entry = shlex.split(HOOKS[hook_id]["entry"])
    assert entry[0] == "soc2lint"
    return run(*entry[1:], *(files if HOOKS[hook_id]["pass_filenames"] else ()))


def existing_repository(tmp_path: Path) -> Path:
    """The demo: Terraform, Kubernetes, workflows, GitLab CI, dozens of findings."""
    repo = tmp_path / "infra"
    shutil.copytree(REPO / "fixtures" / "demo", repo)
    make_repo(repo)
    git(repo, "add", ".")
    return repo


def test_a_failing_hook_ends_with_two_lines_of_what_to_do_next(
    run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(existing_repository(tmp_path))
    failed = hook(run, "soc2lint")
    assert failed.returncode == 1
    fix, adopt = failed.stderr.rstrip("\n").splitlines()[-2:]
    first = fix.split("soc2lint explain ", 1)[1].split(";", 1)[0]
    assert f"\n{first}" in failed.stdout or f" {first} " in failed.stdout  # a rule that failed
    assert f'# soc2lint:ignore {first} reason="' in fix
    assert "soc2lint baseline create" in adopt
    count = int(adopt.split("accepts today's ", 1)[1].split()[0])
    assert count >= 30
    quiet = run("scan", "--no-diff-base", "-q")
    assert quiet.returncode == 1 and quiet.stderr == ""


def test_one_command_adopts_soc2lint_and_the_hook_then_fails_only_on_new_findings(
    run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = existing_repository(tmp_path)
    monkeypatch.chdir(repo)
    before = json.loads(run("scan", "--no-diff-base", "--format", "json").stdout)
    assert len(before["findings"]) >= 30

    adopted = run("baseline", "create")
    assert adopted.returncode == 0, adopted.stderr
    assert f"{len(before['findings'])} findings written to .soc2lint-baseline.json" in (
        adopted.stderr
    )
    assert ".soc2lint.yaml created" in adopted.stderr
    config = YAML(typ="safe").load((repo / ".soc2lint.yaml").read_text())
    assert config == {"baseline": ".soc2lint-baseline.json"}

    green = hook(run, "soc2lint")
    assert green.returncode == 0, green.stdout + green.stderr
    assert "soc2lint explain" not in green.stderr
    assert hook(run, "soc2lint-changed", "main.tf").returncode == 0

    (repo / "new.tf").write_text(BUCKET.format(name="fresh"))
    git(repo, "add", "new.tf")
    red = hook(run, "soc2lint")
    assert red.returncode == 1 and "aws_s3_bucket.fresh" in red.stdout
    doc = json.loads(run("scan", "--no-diff-base", "--format", "json").stdout)
    assert {f["resource"] for f in doc["findings"]} == {"aws_s3_bucket.fresh"}
    changed = hook(run, "soc2lint-changed", "new.tf")
    assert changed.returncode == 1 and "aws_s3_bucket.fresh" in changed.stdout


@pytest.mark.parametrize("table", [True, False])
def test_baseline_create_names_the_baseline_in_pyproject(
    run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, table: bool
) -> None:
    repo = make_repo(tmp_path / "svc")
    (repo / "main.tf").write_text(BUCKET.format(name="old"))
    pyproject = '[project]\nname = "svc"\n\n'
    if table:
        pyproject += '[tool.soc2lint]\nfail_on = "high"  # the gate\n\n[tool.other]\nx = 1\n'
    (repo / "pyproject.toml").write_text(pyproject)
    monkeypatch.chdir(repo)
    assert run("scan", "--rule", "SOC2-AWS-001").returncode == 1
    assert run("baseline", "create", "--rule", "SOC2-AWS-001").returncode == 0
    data = tomllib.loads((repo / "pyproject.toml").read_text())
    assert data["project"] == {"name": "svc"}
    if table:  # the configuration in use gets the line, its other keys and tables kept
        assert data["tool"]["soc2lint"] == {
            "fail_on": "high",
            "baseline": ".soc2lint-baseline.json",
        }
        assert data["tool"]["other"] == {"x": 1}
        assert not (repo / ".soc2lint.yaml").exists()
    else:  # a pyproject.toml without [tool.soc2lint] is left alone
        assert (repo / "pyproject.toml").read_text() == pyproject
        config = YAML(typ="safe").load((repo / ".soc2lint.yaml").read_text())
        assert config == {"baseline": ".soc2lint-baseline.json"}
    assert run("scan", "--rule", "SOC2-AWS-001").returncode == 0


def test_baseline_create_writes_the_baseline_the_configuration_names(
    run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = make_repo(tmp_path / "svc")
    (repo / "main.tf").write_text(BUCKET.format(name="old"))
    (repo / ".soc2lint.yaml").write_text("# ours\nbaseline: audit/known.json\n")
    (repo / "audit").mkdir()
    monkeypatch.chdir(repo)
    assert run("baseline", "create", "--rule", "SOC2-AWS-001").returncode == 0
    assert (repo / "audit" / "known.json").is_file()
    assert not (repo / ".soc2lint-baseline.json").exists()
    assert (repo / ".soc2lint.yaml").read_text() == "# ours\nbaseline: audit/known.json\n"
    # -o writes where it is told and leaves the configuration alone
    assert run("baseline", "create", "-o", "elsewhere.json").returncode == 0
    assert (repo / "elsewhere.json").is_file()
    assert (repo / ".soc2lint.yaml").read_text() == "# ours\nbaseline: audit/known.json\n"


def test_the_hooks_run_for_every_kind_of_file_a_platform_reads() -> None:
    """A commit that changes only a Dockerfile or a CloudFormation .template still runs them."""
    import re

    from soc2lint import platforms

    examples = [
        "main.tf", "envs/prod.auto.tfvars", "x.tf.json", "terraform.tfvars.json", "k8s/app.yaml",
        "chart/values.yml", "cfn/stack.json", "cfn/stack.template", ".github/workflows/ci.yml",
        ".gitlab-ci.yml", "Dockerfile", "svc/Dockerfile.prod", "api.Dockerfile", "Containerfile",
        "CODEOWNERS", ".github/CODEOWNERS",
    ]  # fmt: skip
    for path in examples:
        assert platforms.claim(path) is not None, path  # a platform reads it (or its content)
        for hook_id, hook_spec in HOOKS.items():
            assert re.search(hook_spec["files"], path), (hook_id, path)
    for path in ("README.md", "src/app.py", "docs/Dockerfiles.md"):
        assert platforms.claim(path) is None
        assert not any(re.search(h["files"], path) for h in HOOKS.values()), path
