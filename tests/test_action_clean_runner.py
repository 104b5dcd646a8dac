"""The GitHub Action on a clean runner: a fresh Debian root file system (debootstrap, no pip
cache, no pip configuration, no Python package but the distribution's), the repository's
tracked files copied in as the action's checkout, and inside `chroot`, as an unprivileged
`runner` user, the Action's own steps from action.yml: the install step (pip
--require-hashes --no-deps against action-requirements.txt, soc2lint built from the checkout),
its reuse by a second use in the same job, then `soc2lint --version` and the Scan step with
every input at its default over a copy of the bundled demo, whose SARIF must carry the same
results as this checkout's own scan of it.

The root file system holds what a GitHub ubuntu runner has that the Action relies on, nothing
more: bash and coreutils (Debian's essential set, debootstrap's minbase), python3 with its venv
module (python3-venv: ensurepip's pip) and ca-certificates (pip's https to PyPI). It is Debian
bookworm (Python 3.11) standing in for ubuntu-22.04/24.04 (Python 3.10/3.12).

Opt-in like the other install test (SOC2LINT_INSTALL_TEST=1). On this 2-core machine,
debootstrap took 2.5 minutes and the install step half a minute when it was quiet (3.6 minutes
and 52 s, 6 minutes in all, beside other work): too slow to sit in the suite, so .ci/run runs
it in the background beside the suite and fails when it fails:
`SOC2LINT_INSTALL_TEST=1 pytest -n 0 -m install -s tests/test_action_clean_runner.py`.
It needs root (debootstrap, chroot, mounting /proc) and debootstrap (apt-get install
debootstrap); without them it is skipped with the reason.

The built root file system is kept as a tar file in ~/.cache/soc2lint-rootfs and reused only
under the same key: the sha256 of the suite's InRelease on the mirror (any package change in the
suite changes it), the debootstrap version, the architecture, the package list and the source of
the function that builds it. It is written only after debootstrap succeeded and the result
passed a check, with its sha256 beside it, verified before each reuse. It never holds anything
of soc2lint: the install under test runs afresh in a fresh copy each time.

The one change made to the image that a runner does not need: certificate authorities the host
added (/usr/local/share/ca-certificates, e.g. an egress proxy's) are added to the image's, so
that its https reaches PyPI from where the test runs; pip's configuration is untouched.
"""

from __future__ import annotations

import fcntl
import hashlib
import inspect
import json
import os
import re
import shutil
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
LOCK = REPO / "action-requirements.txt"

SUITE = "bookworm"
MIRROR = "http://deb.debian.org/debian"
KEYRING = "/usr/share/keyrings/debian-archive-keyring.gpg"  # debootstrap verifies the suite
# what a GitHub ubuntu runner has that the Action relies on (bash and coreutils are essential)
PACKAGES = ("python3", "python3-venv", "ca-certificates")
CACHE = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "soc2lint-rootfs"

# where a runner puts things (the `runner` user is uid 1001 on GitHub's images)
RUNNER_UID = 1001
HOME = "/home/runner"
WORK = f"{HOME}/work"
ACTION_PATH = f"{WORK}/_actions/soc2lint/soc2lint/v1"
RUNNER_TEMP = f"{WORK}/_temp"
WORKSPACE = f"{WORK}/demo/demo"
PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

pytestmark = [
    pytest.mark.install,
    pytest.mark.skipif(
        not os.environ.get("SOC2LINT_INSTALL_TEST"),
        reason="builds a Debian root file system and downloads from PyPI: set "
        "SOC2LINT_INSTALL_TEST=1 (.ci/run runs it beside the suite)",
    ),
    pytest.mark.skipif(not sys.platform.startswith("linux"), reason="chroot: Linux only"),
]


def _blocked() -> str | None:
    """Why this machine cannot run the test, or None."""
    if os.geteuid() != 0:
        return "needs root (debootstrap, chroot, mount -t proc)"
    for tool in ("debootstrap", "chroot", "mount", "umount", "tar"):
        if shutil.which(tool) is None:
            hint = " (apt-get install debootstrap)" if tool == "debootstrap" else ""
            return f"{tool} is not installed{hint}"
    if not Path(KEYRING).is_file():
        return f"{KEYRING} is missing (apt-get install debian-archive-keyring)"
    if shutil.which("git") is None or not (REPO / ".git").exists():
        return "needs git and a git checkout (the action's checkout is the tracked files)"
    probe = _run(["chroot", "/", "true"], 30)  # before minutes of debootstrap
    if probe.returncode != 0:
        return f"chroot is not permitted here: {_tail(probe)}"
    return None


def _run(args: list[str], timeout: float, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run(args, capture_output=True, text=True, timeout=timeout, **kwargs)


def _tail(proc: subprocess.CompletedProcess, lines: int = 60) -> str:
    text = (proc.stdout or "") + (proc.stderr or "")
    return "\n".join(text.splitlines()[-lines:])


def _mounts_under(root: Path) -> list[str]:
    prefix = str(root.resolve())
    found = []
    for line in Path("/proc/self/mountinfo").read_text().splitlines():
        point = line.split()[4].replace("\\040", " ")
        if point == prefix or point.startswith(prefix + "/"):
            found.append(point)
    return found


def _remove_tree(root: Path) -> None:
    """rm -rf of a root file system, never through a mount left in it."""
    for point in sorted(_mounts_under(root), key=len, reverse=True):
        subprocess.run(["umount", "-l", point], check=False)
    if _mounts_under(root):  # pragma: no cover - refuse rather than delete the host's files
        raise RuntimeError(f"still mounted under {root}: {_mounts_under(root)}")
    shutil.rmtree(root, ignore_errors=True)


# --- the root file system ----------------------------------------------------------------


def _architecture() -> str:
    return _run(["dpkg", "--print-architecture"], 30, check=True).stdout.strip()


def build_rootfs(target: Path, architecture: str) -> None:
    """debootstrap a minimal Debian with what the Action needs of a runner; check it."""
    proc = _run(
        [
            "debootstrap",
            "--variant=minbase",
            f"--arch={architecture}",
            f"--include={','.join(PACKAGES)}",
            f"--keyring={KEYRING}",
            SUITE,
            str(target),
            MIRROR,
        ],
        1500,
    )
    assert proc.returncode == 0, f"debootstrap failed:\n{_tail(proc)}"
    check = _run(
        ["chroot", str(target), "python3", "-c", "import ensurepip, ssl, venv"],
        60,
        env={"PATH": PATH, "LANG": "C.UTF-8"},
    )
    assert check.returncode == 0, f"the new root file system has no usable python3:\n{_tail(check)}"


def _cache_key(architecture: str) -> str:
    """Everything the built root file system is a function of."""
    with urllib.request.urlopen(f"{MIRROR}/dists/{SUITE}/InRelease", timeout=60) as response:
        release = hashlib.sha256(response.read()).hexdigest()
    version = _run(["debootstrap", "--version"], 30).stdout.strip()
    recipe = inspect.getsource(build_rootfs)
    parts = [release, version, architecture, SUITE, MIRROR, "minbase", *PACKAGES, recipe]
    return hashlib.sha256("\0".join(parts).encode()).hexdigest()[:24]


def _sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def rootfs_tarball(log: list[str]) -> Path:
    """The keyed tar of a freshly built root file system: reused when its key and sha256
    match, else built now (and the older ones removed)."""
    architecture = _architecture()
    CACHE.mkdir(parents=True, exist_ok=True)
    with (CACHE / ".lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # one builder at a time
        try:
            key = _cache_key(architecture)
        except OSError as error:  # no reuse without a key; debootstrap will say what is wrong
            key = None
            log.append(f"rootfs: no cache key ({error}); building without reuse")
        name = f"{SUITE}-minbase-{architecture}-{key}.tar"
        tarball, digest = CACHE / name, CACHE / f"{name}.sha256"
        if key and tarball.is_file() and digest.is_file():
            started = time.monotonic()
            if _sha256_file(tarball) == digest.read_text().strip():
                log.append(
                    f"rootfs: reused {tarball} ({time.monotonic() - started:.1f} s to verify)"
                )
                return tarball
            log.append(f"rootfs: {tarball} does not match its sha256; rebuilding")
        build = CACHE / f"build-{os.getpid()}"
        _remove_tree(build)
        started = time.monotonic()
        try:
            build_rootfs(build, architecture)
            built = time.monotonic() - started
            partial = CACHE / f"{name}.partial"
            proc = _run(["tar", "--numeric-owner", "-C", str(build), "-cf", str(partial), "."], 600)
            assert proc.returncode == 0, _tail(proc)
        finally:
            _remove_tree(build)
        sha = _sha256_file(partial)
        if not key:
            log.append(f"rootfs: debootstrap took {built:.0f} s (not kept)")
            return partial
        for old in CACHE.glob(f"{SUITE}-minbase-*.tar*"):
            if old != partial:
                old.unlink()
        digest.write_text(sha + "\n")
        os.replace(partial, tarball)
        log.append(f"rootfs: debootstrap took {built:.0f} s; kept as {tarball}")
        return tarball


def _prepare(root: Path, tarball: Path) -> None:
    """A fresh copy of the image with a runner's user, the network's settings and the action."""
    proc = _run(["tar", "--numeric-owner", "-C", str(root), "-xf", str(tarball)], 600)
    assert proc.returncode == 0, _tail(proc)
    shutil.copy2("/etc/resolv.conf", root / "etc/resolv.conf")
    extra = sorted(Path("/usr/local/share/ca-certificates").glob("**/*.crt"))
    if extra:
        for certificate in extra:
            shutil.copy2(certificate, root / "usr/local/share/ca-certificates" / certificate.name)
        proc = _run(["chroot", str(root), "update-ca-certificates"], 120, env={"PATH": PATH})
        assert proc.returncode == 0, _tail(proc)
    proc = _run(
        ["chroot", str(root), "useradd", "--create-home", "--uid", str(RUNNER_UID), "runner"],
        60,
        env={"PATH": PATH},
    )
    assert proc.returncode == 0, _tail(proc)
    # the action's checkout: the repository's tracked files, nothing built or cached
    checkout = root / ACTION_PATH.lstrip("/")
    files = _run(["git", "-C", str(REPO), "ls-files", "-z"], 60, check=True).stdout
    for name in filter(None, files.split("\0")):
        source = REPO / name
        if source.is_symlink() or source.is_file():
            (checkout / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, checkout / name, follow_symlinks=False)
    shutil.copytree(REPO / "fixtures/demo", root / WORKSPACE.lstrip("/"))
    (root / RUNNER_TEMP.lstrip("/")).mkdir(parents=True)
    for path in [root / WORK.lstrip("/"), *(root / WORK.lstrip("/")).rglob("*")]:
        os.lchown(path, RUNNER_UID, RUNNER_UID)


# --- the composite action, run as the runner runs it --------------------------------------

EXPRESSION = re.compile(r"\$\{\{\s*([^}]*?)\s*\}\}")


def _substitute(value: str, context: dict[str, str]) -> str:
    def one(match: re.Match) -> str:
        assert match.group(1) in context, (
            f"action.yml uses ${{{{ {match.group(1)} }}}}, which this test does not provide"
        )
        return context[match.group(1)]

    return EXPRESSION.sub(one, str(value))


def _outputs(path: Path) -> dict[str, str]:
    return dict(line.partition("=")[::2] for line in path.read_text().splitlines() if "=" in line)


class Runner:
    """Runs a composite step's `run` as GitHub's `shell: bash` does, as the runner user."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.context: dict[str, str] = {
            "github.action_path": ACTION_PATH,
            "runner.temp": RUNNER_TEMP,
        }
        self.count = 0

    def host(self, path: str) -> Path:
        return self.root / path.lstrip("/")

    def base_env(self) -> dict[str, str]:
        return {
            "HOME": HOME,
            "PATH": PATH,
            "LANG": "C.UTF-8",
            "CI": "true",
            "GITHUB_ACTIONS": "true",
            "RUNNER_TEMP": RUNNER_TEMP,
            "GITHUB_WORKSPACE": WORKSPACE,
            "GITHUB_ACTION_PATH": ACTION_PATH,
        }

    def command(self, args: list[str], env: dict[str, str], cwd: str, timeout: float):
        """args inside the image as the runner user, with exactly env (nothing of the host's)."""
        inner = ["/usr/bin/env", "-i", *(f"{k}={v}" for k, v in env.items()), *args]
        script = 'cd "$1" && shift && exec "$@"'
        return _run(
            [
                "chroot",
                f"--userspec={RUNNER_UID}:{RUNNER_UID}",
                str(self.root),
                "/bin/sh",
                "-c",
                script,
                "sh",
                cwd,
                *inner,
            ],
            timeout,
            env={"PATH": PATH},
        )

    def step(self, step: dict, timeout: float = 900) -> tuple[subprocess.CompletedProcess, dict]:
        assert step.get("shell") == "bash", step
        self.count += 1
        script = f"{RUNNER_TEMP}/step-{self.count}.sh"
        output = f"{RUNNER_TEMP}/output-{self.count}"
        summary = f"{RUNNER_TEMP}/summary-{self.count}"
        self.host(script).write_text(_substitute(step["run"], self.context))
        for name in (output, summary):
            self.host(name).touch()
            os.chown(self.host(name), RUNNER_UID, RUNNER_UID)
        env = self.base_env()
        env.update({k: _substitute(v, self.context) for k, v in (step.get("env") or {}).items()})
        env.update({"GITHUB_OUTPUT": output, "GITHUB_STEP_SUMMARY": summary})
        # GitHub's `shell: bash`: bash --noprofile --norc -eo pipefail {0}
        proc = self.command(
            ["bash", "--noprofile", "--norc", "-eo", "pipefail", script], env, WORKSPACE, timeout
        )
        outputs = _outputs(self.host(output))
        if step.get("id"):
            for key, value in outputs.items():
                self.context[f"steps.{step['id']}.outputs.{key}"] = value
        return proc, outputs


def _normal(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


INSPECT = r"""
import json, sys
from importlib import metadata
from packaging.markers import Marker
pins = {}
for line in open(sys.argv[1]).read().replace("\\\n", " ").splitlines():
    if line.strip() and not line.startswith("#"):
        requirement, _, marker = line.split(" --hash")[0].partition(";")
        name, _, version = requirement.strip().partition("==")
        if not marker.strip() or Marker(marker.strip()).evaluate():
            pins[name] = version
installed = {d.metadata["Name"]: d.version for d in metadata.distributions()}
print(json.dumps({"pins": pins, "installed": installed}))
"""


PEP_668 = (
    "import os, sysconfig; "
    "print(os.path.isfile(os.path.join(sysconfig.get_path('stdlib'), 'EXTERNALLY-MANAGED')))"
)


def _results(sarif: dict) -> list[tuple]:
    return sorted(
        (
            result["ruleId"],
            result.get("level"),
            location["physicalLocation"]["artifactLocation"]["uri"],
            location["physicalLocation"].get("region", {}).get("startLine"),
        )
        for run in sarif["runs"]
        for result in run["results"]
        for location in result["locations"]
    )


def test_the_action_installs_and_scans_on_a_clean_debian_runner(tmp_path: Path) -> None:
    blocked = _blocked()
    if blocked:
        pytest.skip(blocked)
    from ruamel.yaml import YAML

    action = YAML(typ="safe").load((REPO / "action.yml").read_text())
    steps = action["runs"]["steps"]
    install = next(s for s in steps if s["name"] == "Install soc2lint")
    scan = next(s for s in steps if s["name"] == "Scan")
    assert "--require-hashes" in install["run"] and "--no-deps" in install["run"]

    log: list[str] = []
    started = time.monotonic()
    tarball = rootfs_tarball(log)
    root = tmp_path / "root"
    root.mkdir()
    proc_mounted = False
    try:
        _prepare(root, tarball)
        if tarball.name.endswith(".partial"):
            tarball.unlink()
        probe = _run(["chroot", str(root), "/bin/true"], 60)
        if probe.returncode != 0:
            pytest.skip(f"chroot is not permitted here: {_tail(probe)}")
        mount = _run(["mount", "-t", "proc", "proc", str(root / "proc")], 60)
        if mount.returncode != 0:
            pytest.skip(f"mounting /proc in the image is not permitted here: {_tail(mount)}")
        proc_mounted = True
        log.append(f"rootfs ready: {time.monotonic() - started:.0f} s")
        runner = Runner(root)
        # a clean machine: no pip cache, no pip configuration, no soc2lint; and, as on
        # ubuntu-24.04, a system Python that pip may not install into (PEP 668)
        assert not runner.host(f"{HOME}/.cache").exists()
        for config in ("etc/pip.conf", "etc/xdg/pip/pip.conf", "home/runner/.config/pip"):
            assert not (root / config).exists(), config
        managed = runner.command(["python3", "-c", PEP_668], runner.base_env(), WORKSPACE, 60)
        assert managed.stdout.strip() == "True", _tail(managed)

        started = time.monotonic()
        first, outputs = runner.step(install)
        log.append(f"install step: {time.monotonic() - started:.0f} s")
        assert first.returncode == 0, _tail(first)
        assert "externally-managed" not in first.stderr
        assert "reusing the environment" not in first.stdout
        python = outputs["python"]
        assert python == f"{RUNNER_TEMP}/soc2lint-venv/bin/python", outputs
        # a second use of the action in the same job reuses the environment
        again, outputs = runner.step(install)
        assert again.returncode == 0, _tail(again)
        assert "reusing the environment installed earlier in this job" in again.stdout
        assert outputs["python"] == python

        env = runner.base_env()
        # exactly the lock's versions (markers evaluated by the image's Python), nothing more
        runner.host(f"{RUNNER_TEMP}/locked_versions.py").write_text(INSPECT)
        proc = runner.command(
            [python, f"{RUNNER_TEMP}/locked_versions.py", f"{ACTION_PATH}/action-requirements.txt"],
            env,
            WORKSPACE,
            120,
        )
        assert proc.returncode == 0, _tail(proc)
        found = json.loads(proc.stdout)
        pins = {_normal(k): v for k, v in found["pins"].items()}
        installed = {_normal(k): v for k, v in found["installed"].items()}
        for name, version in pins.items():
            assert installed.get(name) == version, (name, installed.get(name), version)
        assert set(installed) - set(pins) <= {"pip", "soc2lint"}, set(installed) - set(pins)
        from soc2lint import __version__

        assert installed["soc2lint"] == __version__

        proc = runner.command(
            [f"{RUNNER_TEMP}/soc2lint-venv/bin/soc2lint", "--version"], env, WORKSPACE, 60
        )
        assert proc.returncode == 0, _tail(proc)
        assert proc.stdout.strip() == f"soc2lint, version {__version__}"

        # the Scan step, every input at its default (`uses: soc2lint/soc2lint@v1`, no `with:`)
        for name, spec in action["inputs"].items():
            runner.context[f"inputs.{name}"] = str(spec.get("default", ""))
        scanned, outputs = runner.step(scan, timeout=300)
        assert scanned.returncode == 1, _tail(scanned)  # the demo has findings: the gate fails
        assert outputs["verdict"] == "fail" and outputs["sarif-file"] == "soc2lint.sarif"
        failing = sum(int(outputs[s]) for s in ("critical", "high", "medium", "low", "info"))
        errors = [line for line in scanned.stdout.splitlines() if line.startswith("::error ")]
        assert failing and len(errors) == min(10, failing), (failing, errors)  # max-annotations
        sarif = json.loads(runner.host(f"{WORKSPACE}/soc2lint.sarif").read_text())
        assert sarif["version"] == "2.1.0"
        assert sarif["runs"][0]["tool"]["driver"]["name"] == "soc2lint"
        summary = runner.host(f"{RUNNER_TEMP}/summary-{runner.count}").read_text()
        assert "the SARIF file `soc2lint.sarif`" in summary
    finally:
        if proc_mounted:
            subprocess.run(["umount", str(root / "proc")], check=False)
        demo = tmp_path / "demo"
        if (root / WORKSPACE.lstrip("/")).is_dir():
            shutil.copytree(
                root / WORKSPACE.lstrip("/"), demo, ignore=shutil.ignore_patterns("*.sarif")
            )
        _remove_tree(root)
        print("\n" + "\n".join(log))

    # the installed wheel (bundled rules and all) finds what this checkout finds in the demo
    host_sarif = tmp_path / "host.sarif"
    proc = _run(
        [
            sys.executable,
            "-m",
            "soc2lint",
            "scan",
            ".",
            "--no-cache",
            "--format",
            "sarif",
            "--output",
            str(host_sarif),
        ],
        300,
        cwd=demo,
    )
    assert proc.returncode == 1, _tail(proc)
    expected = _results(json.loads(host_sarif.read_text()))
    assert expected and _results(sarif) == expected
