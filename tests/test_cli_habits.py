"""What a user of other command-line tools expects of this one: -h, help for every option,
rule ids in any case with a suggestion for a typo, the same format names everywhere, wrapped
text, Ctrl-C, colour variables, -q, SOC2LINT_* variables, the platform's cache directory, a
one-line error for a broken rule file, shell completion, and a start that loads nothing it
does not need."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import textwrap
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from soc2lint.cli import main
from soc2lint.cli.commands import LAZY_COMMANDS

REPO = Path(__file__).resolve().parents[1]
BAD = 'resource "aws_s3_bucket" "logs" {\n  bucket = "acme-logs"\n}\n'
_BUNDLED: list = []


@dataclass
class Result:
    returncode: int
    stdout: str
    stderr: str


@pytest.fixture
def run(monkeypatch: pytest.MonkeyPatch) -> Callable[..., Result]:
    """The command line in this process (click's test runner), as `soc2lint ARGS` with env
    added to the environment. The bundled rules are read once for the module: they are
    immutable, and reading 300 rule files per command would make these tests slow."""
    import soc2lint.cli.run as run_module
    import soc2lint.engine.rules as rules_module

    original = rules_module.load_rules

    def load_rules(
        extra_dirs: list[str] | None = None, include_bundled: bool = True, cache: object = None
    ) -> list:
        if extra_dirs or not include_bundled:
            return original(extra_dirs, include_bundled, cache)
        if not _BUNDLED:
            _BUNDLED.extend(original())
        return list(_BUNDLED)

    monkeypatch.setattr(rules_module, "load_rules", load_rules)
    monkeypatch.setattr(run_module, "load_rules", load_rules)

    def invoke(*args: str, env: dict | None = None) -> Result:
        result = CliRunner().invoke(main, list(args), env=env, prog_name="soc2lint")
        if result.exception and not isinstance(result.exception, SystemExit):
            raise result.exception
        return Result(result.exit_code, result.stdout, result.stderr)

    return invoke


def _repo(tmp_path: Path, text: str = BAD) -> Path:
    (tmp_path / ".git").mkdir(parents=True, exist_ok=True)
    (tmp_path / "main.tf").write_text(text)
    return tmp_path


def _commands() -> list[tuple[list[str], click.Command]]:
    """Every command and group, with the words that reach it (lazy ones imported)."""
    out: list[tuple[list[str], click.Command]] = []

    def walk(words: list[str], command: click.Command) -> None:
        out.append((words, command))
        if isinstance(command, click.Group):
            ctx = click.Context(command)
            for name in command.list_commands(ctx):
                walk([*words, name], command.get_command(ctx, name))

    walk([], main)
    return out


def test_every_option_of_every_command_has_help() -> None:
    commands = _commands()
    assert len(commands) >= 10  # scan, baseline create, evidence verify/population/render, ...
    missing = [
        f"soc2lint {' '.join(words)} {param.opts[0]}"
        for words, command in commands
        for param in command.params
        if isinstance(param, click.Option) and not (param.help or "").strip()
    ]
    assert missing == []
    undocumented = [" ".join(w) for w, c in commands if w and not (c.help or "").strip()]
    assert undocumented == []


def test_a_lazy_command_is_listed_with_its_own_short_help() -> None:
    for name, (_module, _attribute, short) in LAZY_COMMANDS.items():
        command = main.get_command(click.Context(main), name)
        assert command is not None and command.help.split("\n\n")[0].strip() == short


@pytest.mark.parametrize("words", [[], ["scan"], ["baseline", "create"], ["evidence", "render"]])
def test_h_is_help(run: Callable[..., Result], words: list[str]) -> None:
    short, long = run(*words, "-h"), run(*words, "--help")
    assert short.returncode == 0 and short.stdout == long.stdout
    assert short.stdout.startswith("Usage: ")


def test_version_and_help_load_nothing_a_scan_needs() -> None:
    """The start of `--version` and `--help` (and a pre-commit run's option parsing) stays
    cheap: the rule engine, parsers, graph and reporters are imported only by a command that
    uses them. benchmarks/bench_startup.py times it."""
    heavy = (
        "networkx",
        "sarif_om",
        "ruamel",
        "lark",
        "hcl2",
        "soc2lint.scan",
        "soc2lint.engine.rules",
        "soc2lint.evidence.record",
        "soc2lint.platforms.terraform",
    )
    probe = textwrap.dedent(
        """
        import sys
        from soc2lint.cli import main
        sys.argv = ["soc2lint", *sys.argv[1:]]
        try:
            main()
        except SystemExit:
            pass
        print(sorted(m for m in sys.modules if m.split(".")[0] in {"networkx", "sarif_om",
              "ruamel", "lark", "hcl2"} or m.startswith("soc2lint.")), file=sys.stderr)
        """
    )
    for words in (["--version"], ["--help"], ["scan", "--help"], ["evidence", "--help"]):
        proc = subprocess.run(
            [sys.executable, "-c", probe, *words], capture_output=True, text=True, timeout=60
        )
        loaded = eval(proc.stderr.strip().splitlines()[-1])  # noqa: S307 - our own print
        assert [m for m in loaded if m.startswith(heavy)] == [], words


def test_rule_ids_in_any_case_and_a_suggestion_for_a_typo(
    run: Callable[..., Result], tmp_path: Path
) -> None:
    repo = _repo(tmp_path)
    lower = run("scan", str(repo), "--rule", "soc2-aws-001", "--format", "json")
    assert lower.returncode == 1
    assert {f["rule_id"] for f in json.loads(lower.stdout)["findings"]} == {"SOC2-AWS-001"}
    typo = run("scan", str(repo), "--rule", "SOC2-AWS-0001")
    assert typo.returncode == 2
    assert (
        typo.stderr.strip() == "Error: --rule: no rule 'SOC2-AWS-0001' (did you mean SOC2-AWS-001?)"
    )
    explained = run("explain", "soc2-aws-001")
    assert explained.returncode == 0 and explained.stdout.startswith("SOC2-AWS-001  ")
    assert run("explain", "S3-Bucket-Encryption-At-Rest").stdout == explained.stdout
    wrong = run("explain", "s3-bucket-encryption-at-rst")
    assert wrong.returncode == 2
    assert "did you mean s3-bucket-encryption-at-rest?" in wrong.stderr


def test_an_invalid_rule_file_is_one_line_with_its_line_and_a_suggestion(
    run: Callable[..., Result], tmp_path: Path
) -> None:
    repo = _repo(tmp_path / "repo")
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "a.yaml").write_text("id: SOC2-X-001\nname: x\n  title: [\n")
    proc = run("scan", str(repo), "--rules-dir", str(broken))
    assert proc.returncode == 2
    assert proc.stderr.count("\n") == 1, proc.stderr  # one line
    assert re.match(rf"Error: {re.escape(str(broken / 'a.yaml'))}:3: not valid YAML: ", proc.stderr)

    good = next((REPO / "rules" / "terraform" / "aws").glob("*.yaml")).read_text()
    good = re.sub(r"(?m)^id: .*$", "id: SOC2-ACME-001", good)
    good = re.sub(r"(?m)^name: .*$", "name: acme-rule", good)
    lines = good.splitlines()
    at = next(i for i, line in enumerate(lines) if line.startswith("severity:"))
    lines[at] = lines[at].replace("severity:", "severty:")
    typo = tmp_path / "typo"
    typo.mkdir()
    (typo / "r.yaml").write_text("\n".join(lines) + "\n")
    for command in (["scan", str(repo)], ["explain", "SOC2-ACME-001"]):
        proc = run(*command, "--rules-dir", str(typo))
        assert proc.returncode == 2
        assert proc.stderr.count("\n") == 1, proc.stderr
        assert f"{typo / 'r.yaml'}:{at + 1}: severty: unknown key (did you mean 'severity'?)" in (
            proc.stderr
        )


def test_evidence_render_takes_the_scan_format_names(
    run: Callable[..., Result], tmp_path: Path
) -> None:
    repo = _repo(tmp_path / "repo")
    scan = run("scan", str(repo), "--rule", "SOC2-AWS-001", "--evidence", str(tmp_path / "ev"))
    assert scan.returncode == 1, scan.stderr
    record = next((tmp_path / "ev").glob("*.json"))
    markdown = run("evidence", "render", str(record), "--format", "markdown")
    assert markdown.returncode == 0 and markdown.stdout.startswith("### ")
    assert run("evidence", "render", str(record), "--format", "md").stdout == markdown.stdout
    assert markdown.stdout == record.with_suffix(".md").read_text()
    as_json = run("evidence", "render", str(record), "--format", "json")
    assert as_json.returncode == 0 and as_json.stdout == record.read_text()
    html = run("evidence", "render", str(record), "--format", "HTML")
    assert html.returncode == 0 and html.stdout == record.with_suffix(".html").read_text()
    sarif = run("evidence", "render", str(record), "--format", "sarif")
    assert sarif.returncode == 2 and "'html', 'json', 'markdown', 'md'" in sarif.stderr


def test_explain_wraps_its_prose_to_the_terminal(run: Callable[..., Result]) -> None:
    from soc2lint.engine.rules import load_rules

    rule = next(r for r in load_rules() if r.id == "SOC2-AWS-001")
    example = {"    " + line for v in rule.variants for line in v.example.splitlines()}
    for columns in (60, 100):
        out = run("explain", "SOC2-AWS-001", env={"COLUMNS": str(columns)}).stdout
        long = [
            line
            for line in out.splitlines()
            if len(line) > columns and line not in example and " " in line.strip()
        ]
        assert long == [], columns
        words = re.sub(r"\s+", " ", rule.rationale).strip()
        assert words in re.sub(r"\s+", " ", out)  # every word kept, in order


def test_ctrl_c_exits_130_without_a_traceback(tmp_path: Path) -> None:
    repo = _repo(tmp_path)
    probe = textwrap.dedent(
        """
        import os, signal, sys
        import soc2lint.cli.commands as commands
        def interrupted(params, **extra):
            os.kill(os.getpid(), signal.SIGINT)  # the user presses Ctrl-C during the scan
            signal.pause()
        commands._request = interrupted
        sys.argv = ["soc2lint", "scan", sys.argv[1]]
        commands.main()
        """
    )
    proc = subprocess.run(
        [sys.executable, "-c", probe, str(repo)], capture_output=True, text=True, timeout=60
    )
    assert proc.returncode == 130
    assert proc.stderr.strip() == "" and proc.stdout == ""


def test_force_color_and_no_color(run: Callable[..., Result], tmp_path: Path) -> None:
    repo = _repo(tmp_path)
    args = ("scan", str(repo), "--rule", "SOC2-AWS-001")
    assert "\033[" not in run(*args).stdout  # piped: no colour
    assert "\033[" in run(*args, env={"FORCE_COLOR": "1"}).stdout
    assert "\033[" not in run(*args, env={"FORCE_COLOR": "1", "NO_COLOR": "1"}).stdout
    assert "\033[" not in run(*args, "--no-color", env={"FORCE_COLOR": "1"}).stdout
    assert "\033[" in run(*args, "--color").stdout


def test_quiet_leaves_the_report_and_drops_the_rest(
    run: Callable[..., Result], tmp_path: Path
) -> None:
    repo = _repo(tmp_path)
    loud = run("scan", str(repo), "--rule", "SOC2-AWS-001", "--format", "json")
    quiet = run("scan", str(repo), "--rule", "SOC2-AWS-001", "--format", "json", "-q")
    assert loud.stderr and "soc2lint explain SOC2-AWS-001" in loud.stderr
    assert quiet.returncode == loud.returncode == 1
    assert quiet.stderr == "" and quiet.stdout == loud.stdout
    assert (
        run("scan", str(repo), "--rule", "SOC2-AWS-001", env={"SOC2LINT_QUIET": "1"}).stderr == ""
    )


def test_options_a_ci_sets_once_come_from_soc2lint_variables(
    run: Callable[..., Result], tmp_path: Path
) -> None:
    repo = _repo(tmp_path)
    env = {"SOC2LINT_FAIL_ON": "critical", "SOC2LINT_FORMAT": "json"}
    proc = run("scan", str(repo), "--rule", "SOC2-AWS-001", env=env)
    assert proc.returncode == 0  # the finding is high; the gate is critical
    assert json.loads(proc.stdout)["findings"][0]["rule_id"] == "SOC2-AWS-001"
    # the command line wins over the variable
    assert (
        run("scan", str(repo), "--rule", "SOC2-AWS-001", "--fail-on", "high", env=env).returncode
        == 1
    )
    cache = tmp_path / "cache"
    run("scan", str(repo), "--rule", "SOC2-AWS-001", env={"SOC2LINT_CACHE_DIR": str(cache)})
    assert cache.is_dir() and any(cache.iterdir())
    excluded = run(
        "scan", str(repo), "--rule", "SOC2-AWS-001", "--format", "json",
        env={"SOC2LINT_EXCLUDE": "other.tf\nmain.tf\n"},
    )  # fmt: skip
    assert json.loads(excluded.stdout)["findings"] == []
    helptext = run("scan", "--help", env={"COLUMNS": "200"}).stdout
    for name in ("CONFIG", "FAIL_ON", "FORMAT", "BASELINE", "CACHE_DIR", "RULES_DIR", "QUIET"):
        assert f"SOC2LINT_{name}" in helptext


def test_the_cache_directory_is_where_the_platform_keeps_caches(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import platformdirs
    import platformdirs.macos

    from soc2lint.pipeline.load import default_cache_dir

    asked = []

    def fake(appname: str, appauthor: object = None, **_kw: object) -> Path:
        asked.append((appname, appauthor))
        return Path("C:/Users/dev/AppData/Local/soc2lint/Cache")

    monkeypatch.setattr(platformdirs, "user_cache_path", fake)
    assert default_cache_dir() == Path("C:/Users/dev/AppData/Local/soc2lint/Cache")
    assert asked == [("soc2lint", False)]
    mac = platformdirs.macos.MacOS("soc2lint", appauthor=False).user_cache_path
    assert mac == Path.home() / "Library" / "Caches" / "soc2lint"


def test_shell_completion_works_as_documented(run: Callable[..., Result]) -> None:
    source = run(env={"_SOC2LINT_COMPLETE": "bash_source"})
    assert source.returncode == 0 and "complete " in source.stdout
    words = {"COMP_WORDS": "soc2lint sc", "COMP_CWORD": "1", "_SOC2LINT_COMPLETE": "bash_complete"}
    assert run(env=words).stdout.split() == ["plain,scan"]
    formats = {**words, "COMP_WORDS": "soc2lint scan --format s", "COMP_CWORD": "3"}
    assert run(env=formats).stdout.split() == ["plain,sarif"]
    readme = (REPO / "README.md").read_text()
    assert "_SOC2LINT_COMPLETE=bash_source soc2lint" in readme
