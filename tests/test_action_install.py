"""The GitHub Action's install step on a clean machine: a fresh virtual environment, no pip
cache, no local index or pip configuration, only the package registry; every dependency
from action-requirements.txt with its hash (pip --require-hashes), nothing resolved.

Opt-in (it downloads ~15 MB from https://pypi.org and builds soc2lint: 1-1.5 minutes, over
the 60 s .ci/run can spare): the default suite skips it. Run it when action-requirements.txt
or action.yml's install step changes and before every release (docs/RELEASING.md):
`SOC2LINT_INSTALL_TEST=1 pytest -n 0 -m install tests/test_action_install.py`.
The fuller test is tests/test_action_clean_runner.py (a clean Debian root file system in
chroot, which .ci/run runs beside the suite); this one is its stand-in where that is not
possible (no root, no debootstrap): nothing from this machine's Python packages, caches or pip
configuration reaches the install."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
LOCK = REPO / "action-requirements.txt"

opt_in = pytest.mark.skipif(
    not os.environ.get("SOC2LINT_INSTALL_TEST"),
    reason="downloads from PyPI: set SOC2LINT_INSTALL_TEST=1 (its own CI job: docs/RELEASING.md)",
)


def test_lock_pins_every_dependency_and_the_build_backend_with_hashes() -> None:
    """Offline, in the default suite: a dependency added to pyproject.toml without refreshing
    the lock would make the Action's install fail (pip --no-deps installs only the lock)."""
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover
        import tomli as tomllib
    from packaging.requirements import Requirement

    project = tomllib.loads((REPO / "pyproject.toml").read_text())
    locked = {
        _normal(line.split("==")[0])
        for line in LOCK.read_text().splitlines()
        if "==" in line and not line.startswith("#")
    }
    wanted = [Requirement(r) for r in project["project"]["dependencies"]]
    wanted += [Requirement(r) for r in project["build-system"]["requires"]]
    for requirement in wanted:
        assert _normal(requirement.name) in locked, (
            f"{requirement.name} is not in {LOCK.name}: run scripts/refresh_action_lock.py"
        )
    entries = [
        line
        for line in LOCK.read_text().replace("\\\n", " ").splitlines()
        if line.strip() and not line.startswith("#")
    ]
    assert entries
    for entry in entries:
        requirement = entry.split(";")[0].split("--hash")[0].strip()
        assert "==" in requirement, entry
        assert "--hash=sha256:" in entry, entry


def _normal(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _clean_env(tmp_path: Path) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("PIP_", "VIRTUAL_ENV", "PYTHON", "SOC2LINT_", "UV_"))
    }
    home = tmp_path / "home"
    home.mkdir()
    env.update(
        {
            "HOME": str(home),  # no user pip configuration or cache
            "XDG_CACHE_HOME": str(home / ".cache"),
            "PIP_CONFIG_FILE": os.devnull,  # no machine pip configuration, constraints, indexes
            "PIP_NO_CACHE_DIR": "1",
            "PIP_INDEX_URL": "https://pypi.org/simple",
            "PIP_DISABLE_PIP_VERSION_CHECK": "1",
            # this interpreter's directory first: the action's `python3`
            "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
        }
    )
    env["PATH"] = (
        os.pathsep.join(p for p in env["PATH"].split(os.pathsep) if ".venv" not in p) or env["PATH"]
    )
    return env


def _step(action: dict, name: str) -> dict:
    return next(s for s in action["runs"]["steps"] if s["name"] == name)


@pytest.mark.install
@opt_in
@pytest.mark.skipif(shutil.which("bash") is None, reason="bash is not installed")
def test_action_installs_with_the_pinned_hashes_and_reuses_the_environment(
    tmp_path: Path,
) -> None:
    from ruamel.yaml import YAML

    action = YAML(typ="safe").load((REPO / "action.yml").read_text())
    install = _step(action, "Install soc2lint")
    assert "--require-hashes" in install["run"] and "--no-deps" in install["run"]
    base = (
        shutil.which(
            "python3",
            path=os.pathsep.join(
                p for p in os.environ["PATH"].split(os.pathsep) if ".venv" not in p
            ),
        )
        or sys.executable
    )
    runner_temp = tmp_path / "runner-temp"
    runner_temp.mkdir()
    env = _clean_env(tmp_path)
    env["PATH"] = f"{Path(base).parent}{os.pathsep}{env['PATH']}"
    venv_dir = runner_temp / "soc2lint-venv"
    step_env = {**env, "ACTION_PATH": str(REPO), "SOC2LINT_VENV": str(venv_dir)}
    runs = []
    for _ in range(2):  # the second use in the same job reuses the environment
        output = tmp_path / "output.txt"
        output.write_text("")
        proc = subprocess.run(
            ["bash", "-e", "-c", install["run"]],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            env={**step_env, "GITHUB_OUTPUT": str(output)},
            timeout=600,
        )
        assert proc.returncode == 0, proc.stdout + proc.stderr
        runs.append(proc)
    assert "reusing the environment" not in runs[0].stdout
    assert "reusing the environment installed earlier in this job" in runs[1].stdout
    python = output.read_text().strip().partition("=")[2]
    # exactly the locked versions, and soc2lint from this checkout
    frozen = subprocess.run(
        [python, "-m", "pip", "list", "--format", "json"],
        capture_output=True,
        text=True,
        env=env,
        check=True,
    )
    installed = {_normal(p["name"]): p["version"] for p in json.loads(frozen.stdout)}
    pins = {}
    for line in LOCK.read_text().replace("\\\n", " ").splitlines():
        if line.strip() and not line.startswith("#"):
            requirement, _, marker = line.split(" --hash")[0].partition(";")
            name, _, version = requirement.strip().partition("==")
            check = subprocess.run(
                [
                    python,
                    "-c",
                    "import sys; from packaging.markers import Marker; "
                    "sys.exit(0 if not sys.argv[1] or Marker(sys.argv[1]).evaluate() else 1)",
                    marker.strip(),
                ],
                env=env,
            )
            if check.returncode == 0:
                pins[_normal(name)] = version
    for name, version in pins.items():
        assert installed.get(name) == version, (name, installed.get(name), version)
    extra = set(installed) - set(pins) - {"pip", "soc2lint", "setuptools"}
    assert not extra, extra  # nothing resolved beyond the lock
    # and it scans, from a workspace outside the checkout
    workspace = tmp_path / "workspace"
    workspace.mkdir()
    (workspace / "main.tf").write_text('resource "aws_s3_bucket" "b" {\n  bucket = "b"\n}\n')
    proc = subprocess.run(
        [python, "-m", "soc2lint", "scan", ".", "--format", "json", "--rule", "SOC2-AWS-001"],
        cwd=workspace,
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    assert proc.returncode == 1, proc.stderr
    assert json.loads(proc.stdout)["findings"][0]["rule_id"] == "SOC2-AWS-001"
