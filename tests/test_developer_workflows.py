"""Pull-request diff mode, the pre-commit hooks and the GitHub Action, run as users run them."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
BUCKET = 'resource "aws_s3_bucket" "{name}" {{\n  bucket = "{name}"\n}}\n'
ENCRYPTED = (
    'resource "aws_s3_bucket" "{name}" {{\n  bucket = "{name}"\n'
    "  server_side_encryption_configuration {{\n    rule {{\n"
    '      apply_server_side_encryption_by_default {{\n        sse_algorithm = "AES256"\n'
    "      }}\n    }}\n  }}\n}}\n"
)
GIT_ENV = {
    "GIT_AUTHOR_NAME": "Dev",
    "GIT_AUTHOR_EMAIL": "dev@example.com",
    "GIT_COMMITTER_NAME": "Dev",
    "GIT_COMMITTER_EMAIL": "dev@example.com",
}


def git(repo: Path, *args: str) -> str:
    proc = subprocess.run(
        ["git", *args],
        cwd=repo,
        capture_output=True,
        text=True,
        env={**os.environ, **GIT_ENV},
        check=True,
    )
    return proc.stdout.strip()


def soc2lint(*args: str, cwd: Path, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "soc2lint", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
        timeout=300,
    )


def make_repo(path: Path) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    git(path, "init", "-q", "-b", "main")
    return path


pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")


def test_diff_base_reports_only_new_findings_and_counts_fixed(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo")
    (repo / "infra").mkdir()
    (repo / "infra" / "main.tf").write_text(BUCKET.format(name="old") + BUCKET.format(name="gone"))
    git(repo, "add", ".")
    git(repo, "commit", "-q", "-m", "base")
    git(repo, "checkout", "-q", "-b", "feature")
    (repo / "infra" / "main.tf").write_text(
        "# moved down by a comment\n"
        + BUCKET.format(name="old")
        + ENCRYPTED.format(name="gone")
        + BUCKET.format(name="new")
    )
    git(repo, "commit", "-q", "-am", "feature")
    (repo / "infra" / "wip.tf").write_text(BUCKET.format(name="uncommitted"))
    status_before = git(repo, "status", "--porcelain")
    proc = soc2lint(
        "scan",
        "infra",
        "--diff-base",
        "main",
        "--format",
        "json",
        "--rule",
        "SOC2-AWS-001",
        cwd=repo,
    )
    doc = json.loads(proc.stdout)
    assert sorted(f["resource"] for f in doc["findings"]) == [
        "aws_s3_bucket.new",
        "aws_s3_bucket.uncommitted",
    ]
    assert doc["diff"]["merge_base"] == git(repo, "rev-parse", "main")
    assert (doc["diff"]["new"], doc["diff"]["fixed"]) == (2, 1)
    assert git(repo, "status", "--porcelain") == status_before  # working tree untouched
    assert git(repo, "rev-parse", "--abbrev-ref", "HEAD") == "feature"
    text = soc2lint("scan", "infra", "--diff-base", "main", "--rule", "SOC2-AWS-001", cwd=repo)
    assert "2 new, 1 fixed" in text.stdout


def test_diff_base_defaults_to_the_pull_request_base(tmp_path: Path) -> None:
    origin = make_repo(tmp_path / "origin")
    (origin / "main.tf").write_text(BUCKET.format(name="old"))
    git(origin, "add", ".")
    git(origin, "commit", "-q", "-m", "base")
    clone = tmp_path / "clone"
    git(tmp_path, "clone", "-q", str(origin), str(clone))
    (clone / "main.tf").write_text(BUCKET.format(name="old") + BUCKET.format(name="new"))
    git(clone, "commit", "-q", "-am", "change")
    proc = soc2lint(
        "scan",
        ".",
        "--format",
        "json",
        "--rule",
        "SOC2-AWS-001",
        cwd=clone,
        env={"GITHUB_BASE_REF": "main"},
    )
    doc = json.loads(proc.stdout)
    assert doc["diff"]["base_ref"] == "origin/main"
    assert [f["resource"] for f in doc["findings"]] == ["aws_s3_bucket.new"]


def test_diff_mode_on_a_shallow_clone_says_what_history_it_needs(tmp_path: Path) -> None:
    origin = make_repo(tmp_path / "origin")
    for i in range(3):
        (origin / "main.tf").write_text(BUCKET.format(name=f"b{i}"))
        git(origin, "add", ".")
        git(origin, "commit", "-q", "-m", f"c{i}")
    git(origin, "checkout", "-q", "-b", "feature")
    (origin / "extra.tf").write_text(BUCKET.format(name="x"))
    git(origin, "add", ".")
    git(origin, "commit", "-q", "-m", "feature")
    shallow = tmp_path / "shallow"
    git(
        tmp_path,
        "clone",
        "-q",
        "--depth",
        "1",
        "--branch",
        "feature",
        f"file://{origin}",
        str(shallow),
    )
    git(shallow, "fetch", "-q", "--depth", "1", "origin", "main:refs/remotes/origin/main")
    proc = soc2lint("scan", ".", "--diff-base", "origin/main", cwd=shallow)
    assert proc.returncode == 2
    assert "shallow" in proc.stderr and "fetch-depth: 0" in proc.stderr
    missing = soc2lint("scan", ".", "--diff-base", "origin/nope", cwd=shallow)
    assert missing.returncode == 2 and "no such commit" in missing.stderr


def _hook_repository(path: Path) -> tuple[Path, str]:
    """This repository as pre-commit fetches a hook repository: a git repository whose HEAD
    holds the working tree's tracked files, uncommitted changes included (as try-repo's
    shadow repository does). Returns it and the revision."""
    make_repo(path)
    names = subprocess.run(
        ["git", "-C", str(REPO), "ls-files", "-z"], capture_output=True, check=True
    ).stdout.decode()
    for name in filter(None, names.split("\0")):
        source = REPO / name
        if source.is_file() or source.is_symlink():
            (path / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, path / name, follow_symlinks=False)
    git(path, "add", "-A")
    git(path, "commit", "-q", "--no-verify", "-m", "the hooks under test")
    return path, git(path, "rev-parse", "HEAD")


@pytest.mark.slow
@pytest.mark.skipif(
    shutil.which("pre-commit") is None
    and not (Path(sys.executable).parent / "pre-commit").exists(),
    reason="pre-commit not installed",
)
def test_pre_commit_hooks_block_a_bad_commit_and_pass_a_fixed_one(tmp_path: Path) -> None:
    pre_commit = shutil.which("pre-commit") or str(Path(sys.executable).parent / "pre-commit")
    repo = make_repo(tmp_path / "user-repo")
    (repo / "main.tf").write_text(BUCKET.format(name="logs"))
    (repo / ".soc2lint.yaml").write_text("rules:\n  enable: [SOC2-AWS-001]\n")
    git(repo, "add", ".")
    env = {**os.environ, **GIT_ENV, "PRE_COMMIT_HOME": str(tmp_path / "cache")}
    # The user's configuration names this repository at a revision, as a user's names ours at
    # a tag. pre-commit installs the hooks' environment (clone, pip install) once and reuses
    # it; `pre-commit try-repo` would install it afresh on every call (its store is temporary).
    hooks_repo, rev = _hook_repository(tmp_path / "hooks-repo")
    config = tmp_path / "pre-commit-config.yaml"  # outside the user's repository
    config.write_text(
        f"repos:\n- repo: {hooks_repo}\n  rev: {rev}\n"
        "  hooks:\n  - id: soc2lint\n  - id: soc2lint-changed\n"
    )

    def hook(hook_id: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [pre_commit, "run", "--config", str(config), hook_id],
            cwd=repo,
            capture_output=True,
            text=True,
            env=env,
            timeout=900,
        )

    bad = hook("soc2lint")
    assert bad.returncode == 1, bad.stdout + bad.stderr
    assert "SOC2-AWS-001" in bad.stdout
    # it ends with what to do next
    assert "soc2lint explain SOC2-AWS-001" in bad.stdout
    assert '# soc2lint:ignore SOC2-AWS-001 reason="' in bad.stdout
    assert "soc2lint baseline create" in bad.stdout
    changed = hook("soc2lint-changed")
    assert changed.returncode == 1 and "aws_s3_bucket.logs" in changed.stdout
    (repo / "main.tf").write_text(ENCRYPTED.format(name="logs"))
    git(repo, "add", ".")
    good = hook("soc2lint")
    assert good.returncode == 0, good.stdout + good.stderr
    # adopting on a repository with findings: one command, then the hook passes
    (repo / "old.tf").write_text(BUCKET.format(name="old"))
    git(repo, "add", ".")
    assert hook("soc2lint").returncode == 1
    adopt = soc2lint("baseline", "create", cwd=repo)
    assert adopt.returncode == 0, adopt.stderr
    git(repo, "add", ".")
    adopted = hook("soc2lint")
    assert adopted.returncode == 0, adopted.stdout + adopted.stderr


def test_only_changed_reports_findings_in_the_given_files_with_their_module_context(
    tmp_path: Path,
) -> None:
    repo = make_repo(tmp_path / "repo")
    (repo / "a.tf").write_text(BUCKET.format(name="a"))
    (repo / "b.tf").write_text(
        BUCKET.format(name="b")
        + 'resource "aws_s3_bucket_server_side_encryption_configuration" "a" {\n'
        "  bucket = aws_s3_bucket.a.id\n  rule {\n    apply_server_side_encryption_by_default {\n"
        '      sse_algorithm = "aws:kms"\n    }\n  }\n}\n'
    )
    proc = soc2lint(
        "scan", "--only-changed", "a.tf", "--format", "json", "--rule", "SOC2-AWS-001", cwd=repo
    )
    doc = json.loads(proc.stdout)
    # a.tf's bucket is encrypted by a resource in b.tf: context counts, b.tf is not reported
    assert doc["findings"] == [] and proc.returncode == 0
    proc = soc2lint(
        "scan", "--only-changed", "b.tf", "--format", "json", "--rule", "SOC2-AWS-001", cwd=repo
    )
    assert [f["resource"] for f in json.loads(proc.stdout)["findings"]] == ["aws_s3_bucket.b"]


def _action_env(tmp_path: Path, workspace: Path, **inputs: str) -> dict:
    event = tmp_path / "event.json"
    event.write_text(
        json.dumps(
            {
                "pull_request": {
                    "number": 7,
                    "user": {"login": "dev"},
                    "base": {"ref": "main"},
                    "head": {"ref": "f"},
                }
            }
        )
    )
    env = {
        **os.environ,
        "GITHUB_ACTIONS": "true",
        "GITHUB_EVENT_NAME": "pull_request",
        "GITHUB_EVENT_PATH": str(event),
        "GITHUB_WORKSPACE": str(workspace),
        "GITHUB_REPOSITORY": "acme/infra",
        "GITHUB_RUN_ID": "42",
        "GITHUB_RUN_ATTEMPT": "1",
        "GITHUB_OUTPUT": str(tmp_path / "output.txt"),
        "GITHUB_STEP_SUMMARY": str(tmp_path / "summary.md"),
    }
    env.pop("GITHUB_BASE_REF", None)
    env.update({f"SOC2LINT_{k.upper()}": v for k, v in inputs.items()})
    return env


def test_action_step_with_a_simulated_runner(tmp_path: Path) -> None:
    workspace = make_repo(tmp_path / "workspace")
    (workspace / "main.tf").write_text("".join(BUCKET.format(name=f"b{i}") for i in range(3)))
    env = _action_env(
        tmp_path,
        workspace,
        path=".",
        format="sarif",
        output="out.sarif",
        fail_on="high",
        max_annotations="2",
    )
    proc = subprocess.run(
        [sys.executable, "-m", "soc2lint.integrations.github_action"],
        cwd=workspace,
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    assert proc.returncode == 1, proc.stdout + proc.stderr
    annotations = [line for line in proc.stdout.splitlines() if line.startswith("::error ")]
    assert len(annotations) == 2  # capped
    assert annotations[0].startswith("::error file=main.tf,line=1,title=SOC2-AWS-")
    outputs = dict(line.split("=", 1) for line in (tmp_path / "output.txt").read_text().split())
    assert outputs["verdict"] == "fail" and outputs["sarif-file"] == "out.sarif"
    assert int(outputs["high"]) >= 3
    summary = (tmp_path / "summary.md").read_text()
    assert summary.startswith("## soc2lint: ❌ failed") and "aws_s3_bucket.b2" in summary
    assert json.loads((workspace / "out.sarif").read_text())["version"] == "2.1.0"


def test_action_inputs_never_reach_the_shell(tmp_path: Path) -> None:
    from ruamel.yaml import YAML

    action = YAML(typ="safe").load((REPO / "action.yml").read_text())
    for step in action["runs"]["steps"]:
        assert "${{" not in step.get("run", ""), step["name"]
    workspace = make_repo(tmp_path / "ws")
    (workspace / "main.tf").write_text(BUCKET.format(name="a"))
    marker = tmp_path / "pwned"
    env = _action_env(tmp_path, workspace, path=f"; touch {marker}", format="json", output="o.json")
    subprocess.run(
        [sys.executable, "-m", "soc2lint.integrations.github_action"],
        cwd=workspace,
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    assert not marker.exists()


def test_action_yml_matches_the_public_github_action_schema() -> None:
    checker = shutil.which("check-jsonschema") or str(
        Path(sys.executable).parent / "check-jsonschema"
    )
    proc = subprocess.run(
        [checker, "--builtin-schema", "vendor.github-actions", str(REPO / "action.yml")],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_pre_commit_hooks_manifest_is_what_pre_commit_expects() -> None:
    from ruamel.yaml import YAML

    hooks = {
        h["id"]: h for h in YAML(typ="safe").load((REPO / ".pre-commit-hooks.yaml").read_text())
    }
    assert hooks["soc2lint"]["pass_filenames"] is False
    assert hooks["soc2lint"]["require_serial"] is True
    assert hooks["soc2lint-changed"]["entry"].endswith("--only-changed")
    for hook in hooks.values():
        assert hook["language"] == "python"
        for name in ("main.tf", "k8s/app.yaml", "x.tfvars", ".github/workflows/ci.yml"):
            import re

            assert re.search(hook["files"], name), (hook["id"], name)


def _action(workspace: Path, env: dict) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "soc2lint.integrations.github_action"],
        cwd=workspace,
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )


def test_action_path_that_does_not_exist_is_an_error_not_a_green_gate(tmp_path: Path) -> None:
    workspace = make_repo(tmp_path / "workspace")
    (workspace / "infra").mkdir()
    (workspace / "infra" / "main.tf").write_text(BUCKET.format(name="a"))
    proc = _action(workspace, _action_env(tmp_path, workspace, path="infr", output="o.sarif"))
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert "::error::soc2lint: path 'infr' does not exist" in proc.stdout
    assert "Traceback" not in proc.stdout + proc.stderr
    assert not (tmp_path / "output.txt").exists()  # no verdict=pass for the gate to read
    assert not (workspace / "o.sarif").exists()


@pytest.mark.parametrize("path_input", [".", "", None])
def test_action_default_path_honours_the_configuration_include(
    tmp_path: Path, path_input: str | None
) -> None:
    workspace = make_repo(tmp_path / "workspace")
    for directory in ("infra", "examples"):
        (workspace / directory).mkdir()
        (workspace / directory / "main.tf").write_text(BUCKET.format(name=directory))
    (workspace / ".soc2lint.yaml").write_text("include: [infra]\n")
    inputs = {"format": "json", "output": "o.json"}
    if path_input is not None:
        inputs["path"] = path_input
    env = _action_env(tmp_path, workspace, **inputs)
    env.pop("SOC2LINT_PATH", None) if path_input is None else None
    proc = _action(workspace, env)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    doc = json.loads((workspace / "o.json").read_text())
    assert {f["path"] for f in doc["findings"] if f["resource"].startswith("aws_")} == {
        "infra/main.tf"
    }


def test_action_annotates_the_most_severe_findings_first_and_only_gating_ones_as_errors(
    tmp_path: Path,
) -> None:
    workspace = make_repo(tmp_path / "workspace")
    (workspace / "a.tf").write_text(BUCKET.format(name="a"))  # high and medium findings
    (workspace / "z").mkdir()
    (workspace / "z" / "pod.yaml").write_text(  # a critical finding, in a later path
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  containers:\n"
        "    - name: c\n      image: nginx:1.25\n      securityContext:\n"
        "        privileged: true\n"
    )
    env = _action_env(
        tmp_path,
        workspace,
        format="json",
        output="o.json",
        fail_on="high",
        max_annotations="3",
    )
    proc = _action(workspace, env)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    findings = json.loads((workspace / "o.json").read_text())["findings"]
    order = ["critical", "high", "medium", "low", "info"]
    failing = [f for f in findings if f["status"] == "fail"]
    gating = [f for f in failing if order.index(f["severity"]) <= order.index("high")]
    others = [f for f in failing if f not in gating and f["severity"] != "info"]
    assert len(gating) > 3 and len(others) > 3  # both levels are capped
    # the annotations (the report before them is printed between stop-commands and its token)
    annotations = ("::error ", "::warning ", "::notice ")
    commands = [line for line in proc.stdout.splitlines() if line.startswith(annotations)]
    levels = [c[2 : c.index(" ")] for c in commands]
    # at most max-annotations of each level: GitHub drops the rest of a level per step
    assert levels.count("error") == 3 and levels.count("warning") == 3
    assert commands[0].startswith("::error file=z/pod.yaml,line=10,title=SOC2-K8S-001 ")
    assert commands[0].partition("title=")[2].split("::")[0].endswith("(critical)")
    severities = [c.split("::")[1].rsplit("(", 1)[1].rstrip(")") for c in commands]
    assert severities == sorted(severities, key=order.index)
    for level, severity in zip(levels, severities, strict=True):
        assert level == ("error" if order.index(severity) <= order.index("high") else "warning")
    summary = (tmp_path / "summary.md").read_text()
    rest = len(failing) - 6
    assert "**Annotated on the diff:** 3 errors, 3 warnings (at most 3 of each level" in summary
    assert f"The other {rest} failing findings are in the findings table below" in summary
    assert "the report file `o.json`" in summary
    header = "| gate | result | severity | rule | resource | location | criteria | annotation |"
    assert header in summary
    rows = [line for line in summary.splitlines() if line.startswith("| ") and "`" in line]
    assert rows[0].startswith("| ❌ fails | fail | critical | SOC2-K8S-001")
    assert rows[0].endswith("| error |")
    assert sum(row.endswith("| error |") for row in rows) == 3
    assert sum(row.endswith("| warning |") for row in rows) == 3
    # a failing medium finding is listed but does not fail the gate
    medium = next(row for row in rows if "| fail | medium |" in row)
    assert medium.startswith("|  | fail | medium |")
    assert "| high | " in summary and "| medium | " in summary
    assert "| severity | failed findings | fails the gate |" in summary


def test_action_creates_a_missing_output_directory_in_the_workspace(tmp_path: Path) -> None:
    workspace = make_repo(tmp_path / "workspace")
    (workspace / "main.tf").write_text(BUCKET.format(name="a"))
    env = _action_env(tmp_path, workspace, output="reports/soc2/out.sarif")
    proc = _action(workspace, env)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert json.loads((workspace / "reports/soc2/out.sarif").read_text())["version"] == "2.1.0"
    outside = tmp_path / "elsewhere" / "deep" / "out.sarif"
    proc = _action(workspace, _action_env(tmp_path, workspace, output=str(outside)))
    assert proc.returncode == 2 and "Traceback" not in proc.stdout + proc.stderr
    errors = [line for line in proc.stdout.splitlines() if line.startswith("::error")]
    assert len(errors) == 1 and "is outside the workspace" in errors[0]
    assert not outside.parent.exists()


EXTERNALLY_MANAGED_PYTHON = """#!/bin/sh
# the runner's system Python under PEP 668: pip refuses to install into it
if [ "$1" = "-m" ] && [ "$2" = "pip" ] && [ "$3" = "install" ]; then
  echo "error: externally-managed-environment" >&2
  exit 1
fi
exec "{real}" "$@"
"""


def _run_composite(action: dict, context: dict, env: dict, cwd: Path) -> list:
    """Run a composite action's bash steps as the runner does: `${{ }}` only in env values,
    each step with its own GITHUB_OUTPUT file, whose lines become steps.<id>.outputs."""
    import re

    steps: dict[str, dict] = {}
    results = []
    for number, step in enumerate(action["runs"]["steps"]):

        def value(match: re.Match) -> str:
            expr = match.group(1).strip()
            if expr.startswith("steps."):
                _steps, sid, _outputs, name = expr.split(".", 3)
                return steps.get(sid, {}).get(name, "")
            return str(context[expr])

        step_env = {k: re.sub(r"\$\{\{(.*?)\}\}", value, str(v)) for k, v in step["env"].items()}
        output = cwd.parent / f"step{number}-output.txt"
        output.write_text("")
        proc = subprocess.run(
            ["bash", "-e", "-c", step["run"]],
            cwd=cwd,
            capture_output=True,
            text=True,
            env={**env, **step_env, "GITHUB_OUTPUT": str(output)},
            timeout=900,
        )
        results.append(proc)
        if proc.returncode != 0:
            break
        if "id" in step:
            lines = output.read_text().splitlines()
            steps[step["id"]] = dict(line.split("=", 1) for line in lines if "=" in line)
    return results


@pytest.mark.slow
def test_action_installs_into_its_own_venv_when_system_python_is_externally_managed(
    tmp_path: Path,
) -> None:
    from ruamel.yaml import YAML

    action = YAML(typ="safe").load((REPO / "action.yml").read_text())
    fake_bin = tmp_path / "bin"
    fake_bin.mkdir()
    python3 = fake_bin / "python3"
    python3.write_text(EXTERNALLY_MANAGED_PYTHON.format(real=sys.executable))
    python3.chmod(0o755)
    workspace = make_repo(tmp_path / "workspace")
    (workspace / "main.tf").write_text(BUCKET.format(name="a"))
    runner_temp = tmp_path / "runner-temp"
    runner_temp.mkdir()
    env = _action_env(tmp_path, workspace)
    env = {k: v for k, v in env.items() if not k.startswith(("SOC2LINT_", "VIRTUAL_ENV"))}
    env["PATH"] = f"{fake_bin}{os.pathsep}{env['PATH']}"
    context = {
        "github.action_path": str(REPO),
        "runner.temp": str(runner_temp),
        **{f"inputs.{k}": v.get("default", "") for k, v in action["inputs"].items()},
        "inputs.format": "json",
        "inputs.output": "out/report.json",
    }
    install, scan = _run_composite(action, context, env, workspace)
    assert install.returncode == 0, install.stdout + install.stderr
    assert "externally-managed" not in install.stderr
    assert (runner_temp / "soc2lint-venv").is_dir()
    assert scan.returncode == 1, scan.stdout + scan.stderr  # findings fail the step
    doc = json.loads((workspace / "out" / "report.json").read_text())
    assert doc["summary"]["fail"] >= 1
