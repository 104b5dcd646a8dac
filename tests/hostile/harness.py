"""The hostile-pull-request suite: every case runs the CLI (or the GitHub Action's step) in a
subprocess under a CPU-time and address-space limit, the way CI would meet the attack."""

from __future__ import annotations

import os
import resource
import subprocess
import sys
from pathlib import Path

CPU_SECONDS = 60
MEMORY_BYTES = 2 * 1024**3
HERE = Path(__file__).resolve().parents[2]


def _limits() -> None:
    resource.setrlimit(resource.RLIMIT_CPU, (CPU_SECONDS, CPU_SECONDS))
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_BYTES, MEMORY_BYTES))


def limited(
    argv: list[str], cwd: Path, env: dict[str, str] | None = None, timeout: int = 120
) -> subprocess.CompletedProcess:
    """Run argv bounded in CPU time and memory; a hang or a blow-up fails the test."""
    full = {k: v for k, v in os.environ.items() if not k.startswith(("SOC2LINT_", "GITHUB_"))}
    full["PYTHONPATH"] = str(HERE)
    full.update(env or {})
    return subprocess.run(
        argv,
        cwd=cwd,
        env=full,
        capture_output=True,
        text=True,
        errors="surrogateescape",
        timeout=timeout,
        preexec_fn=_limits,
        check=False,
    )


def soc2lint(*args: str, cwd: Path, env: dict[str, str] | None = None):
    return limited([sys.executable, "-m", "soc2lint", *args], cwd=cwd, env=env)


def repository(path: Path, files: dict[str, str | bytes]) -> Path:
    """A git-less repository root (a `.git` directory marks it) with the given files."""
    (path / ".git").mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        target = path / name
        target.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(text, bytes):
            target.write_bytes(text)
        else:
            target.write_text(text, encoding="utf-8")
    return path
