"""What a hostile or careless repository (or cache directory) can throw at the scanner: files
that never end, links out of the tree, patterns that backtrack for ever, poisoned cache entries,
duplicate blocks. Each is reported and the scan goes on; none hangs or escapes."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from soc2lint.cli.run import Request, run
from soc2lint.engine.operators import OPERATORS, check_regex
from soc2lint.engine.rules import load_rules
from soc2lint.evidence.ledger import LedgerError, append
from soc2lint.pipeline import load as loader
from soc2lint.reporters import json_report
from soc2lint.scan import ScanOptions, scan

RULES = load_rules()
BUCKET = 'resource "aws_s3_bucket" "{}" {{}}\n'


def repo_at(path: Path) -> Path:
    (path / ".git").mkdir(parents=True)
    return path


def scan_cli(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "soc2lint", "scan", "--no-cache", "--format", "json", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs here")
def test_a_fifo_named_like_a_source_is_skipped_not_read(tmp_path: Path) -> None:
    repo = repo_at(tmp_path / "repo")
    (repo / "ok.tf").write_text(BUCKET.format("b"))
    os.mkfifo(repo / "x.tf")
    os.mkfifo(repo / "k.yaml")
    for cache in ([], ["--cache-dir", str(tmp_path / "c")]):
        proc = scan_cli(".", *cache, cwd=repo)  # a read would block until the timeout
        doc = json.loads(proc.stdout)
        assert {s["path"]: s["reason"] for s in doc["skipped"]} == {
            "k.yaml": "not a regular file",
            "x.tf": "not a regular file",
        }
        assert "ok.tf" in {f["path"] for f in doc["findings"]}


def test_links_out_of_the_root_are_not_read_for_modules_targets_or_changed_files(
    tmp_path: Path,
) -> None:
    outside = tmp_path / "outside"
    (outside / "dir").mkdir(parents=True)
    (outside / "secret.tf").write_text(BUCKET.format("secret"))
    (outside / "dir" / "secret2.tf").write_text(BUCKET.format("secret2"))
    repo = repo_at(tmp_path / "repo")
    (repo / "modules" / "m").mkdir(parents=True)
    (repo / "modules" / "m" / "main.tf").symlink_to(outside / "secret.tf")
    (repo / "envs").mkdir()
    (repo / "envs" / "main.tf").write_text('module "m" {\n  source = "../modules/m"\n}\n')
    (repo / "linkdir").symlink_to(outside / "dir", target_is_directory=True)
    (repo / "link.tf").symlink_to(outside / "secret.tf")
    for args in ([], ["envs", "linkdir", "link.tf"], ["--only-changed", "envs/main.tf"]):
        proc = scan_cli(*args, cwd=repo)
        assert proc.returncode in (0, 1), proc.stderr
        doc = json.loads(proc.stdout)
        assert not [f for f in doc["findings"] if "secret" in f["resource"]], args
        assert "modules/m/main.tf" in {s["path"] for s in doc["skipped"]} or args == [
            "envs",
            "linkdir",
            "link.tf",
        ]
    outside_changed = scan_cli("--only-changed", str(outside / "secret.tf"), cwd=repo)
    assert outside_changed.returncode == 2 and "not inside the repository" in outside_changed.stderr


def test_the_result_cache_sees_a_changed_var_file(tmp_path: Path) -> None:
    repo = repo_at(tmp_path / "repo")
    (repo / "main.tf").write_text(
        'variable "enc" {}\nresource "aws_db_instance" "d" {\n  storage_encrypted = var.enc\n}\n'
    )
    values = repo / "prod.tfvars"

    def failing() -> int:
        request = Request(
            paths=[str(repo)],
            only=["SOC2-AWS-007"],
            var_files=[str(values)],
            cache_dir=str(tmp_path / "cache"),
            diff_base="",
        )
        return len(run(request).report.failing())

    values.write_text("enc = true\n")
    assert failing() == 0
    values.write_text("enc = false\n")
    assert failing() == 1


def test_poisoned_or_corrupt_cache_entries_are_never_trusted(tmp_path: Path) -> None:
    repo = repo_at(tmp_path / "repo")
    for i in range(20):
        (repo / f"b{i}.tf").write_text(BUCKET.format(i))
    cache = tmp_path / "cache"
    options = ScanOptions(cache_dir=str(cache))
    expected = json_report.render(scan([str(repo)], RULES, options))
    entries = sorted(p for p in cache.rglob("*") if p.is_file())
    for n, entry in enumerate(entries):
        data = bytearray(entry.read_bytes())
        if n % 2:  # a flipped byte in the payload: still decodes, but the digest says no
            data[-5] ^= 0x01
            entry.write_bytes(bytes(data))
        else:  # a well-formed entry of the wrong shape
            payload = json.dumps({"t": ["a", "b", "c"]}).encode()
            head = data[: len(loader._MAGIC)]
            entry.write_bytes(bytes(head) + hashlib.sha256(payload).digest() + payload)
    assert json_report.render(scan([str(repo)], RULES, options)) == expected


@pytest.mark.skipif(not hasattr(os, "getuid"), reason="POSIX ownership")
def test_a_cache_others_may_write_is_not_used(tmp_path: Path, capfd: pytest.CaptureFixture) -> None:
    shared = tmp_path / "shared"
    shared.mkdir()
    shared.chmod(0o777)
    loader.trusted.cache_clear()
    cache = loader.Cache(shared)
    cache.put("k" * 64, ("x",))
    assert not cache.usable and cache.get("k" * 64) is None
    assert list(shared.iterdir()) == []
    assert "writable by nobody else" in capfd.readouterr().err


@pytest.mark.parametrize(
    "pattern",
    ["^(a+)+$", "^((a+))+$", "^(.*a){25}$", "^(a|aa)+$", "(x|x?)*", ".*a.*b.*c.*d", "(\\d+|x)*"],
)
def test_patterns_that_would_backtrack_run_in_linear_time(pattern: str) -> None:
    assert check_regex(pattern) is None
    started = time.monotonic()
    OPERATORS["matches"].fn("a" * 200_000 + "!", pattern)
    assert time.monotonic() - started < 5


@pytest.mark.parametrize("pattern", ["(?=a)b", "(a)\\1", "(?<!x)y", "a++"])
def test_patterns_outside_re2_are_refused_with_a_reason(pattern: str) -> None:
    assert "RE2" in (check_regex(pattern) or "")


@pytest.mark.parametrize(
    "pattern",
    [
        "^(?i:tcp|udp|6|17)$",
        "(ab|ac)+",
        "(?i)(curl|wget)\\b(?:[^\\n\\\\]|\\\\[\\s\\S])*\\|\\s*(ba|z)?sh\\b",
        "@sha\\d+:[0-9a-fA-F]{32,128}$",
        "(^|[-_.])prod(uction)?($|[-_.])",
    ],
)
def test_ordinary_patterns_are_accepted(pattern: str) -> None:
    assert check_regex(pattern) is None


def test_every_bundled_rule_pattern_is_safe() -> None:
    assert len(RULES) > 100  # load_rules checks every pattern; a refused one raises


def test_a_backtracking_pattern_in_terraform_is_unknown_not_a_hang(tmp_path: Path) -> None:
    repo = repo_at(tmp_path / "repo")
    (repo / "main.tf").write_text(
        'resource "aws_s3_bucket" "b" {\n'
        '  bucket = replace("' + "a" * 40 + '!", "/^(a|aa)+$/", "x")\n'
        "}\n"
    )
    started = time.monotonic()
    report = scan([str(repo)], RULES)
    assert time.monotonic() - started < 30
    bucket = next(f for f in report.findings if f.resource == "aws_s3_bucket.b")
    assert bucket is not None


def test_duplicate_blocks_are_parse_errors_and_counted_once(tmp_path: Path) -> None:
    repo = repo_at(tmp_path / "repo")
    (repo / "main.tf").write_text(BUCKET.format("dup") + BUCKET.format("dup"))
    report = scan([str(repo)], [r for r in RULES if r.id == "SOC2-AWS-001"])
    assert [(e.path, e.line) for e in report.errors] == [("main.tf", 2)]
    assert "duplicate resource" in report.errors[0].message
    assert len(report.findings) == 1


def test_a_linked_ledger_is_not_appended_to(tmp_path: Path) -> None:
    victim = tmp_path / "victim.txt"
    victim.write_text("")
    (tmp_path / "ev").mkdir()
    (tmp_path / "ev" / "ledger.jsonl").symlink_to(victim)
    with pytest.raises(LedgerError, match="not a regular file"):
        append(tmp_path / "ev" / "ledger.jsonl", "r", "0" * 64, None)
    assert victim.read_text() == ""


def test_an_unreadable_manifest_is_reported_not_dropped(tmp_path: Path) -> None:
    repo = repo_at(tmp_path / "repo")
    (repo / "bad.yaml").write_bytes(b"apiVersion: v1\nkind: Pod\nmetadata:\n  name: \xff\n")
    (repo / "nul.yaml").write_bytes(b"apiVersion: v1\nkind: Pod\nmetadata:\n  name: a\x00b\n")
    (repo / "other.yaml").write_bytes(b"just: \xff stray\n")
    report = scan([str(repo)], RULES)
    assert [(s.path, s.reason) for s in report.skipped] == [
        ("bad.yaml", "not UTF-8 (byte 43)"),
        ("nul.yaml", "binary file (contains NUL bytes)"),
    ]


@pytest.mark.skipif(os.geteuid() == 0 if hasattr(os, "geteuid") else True, reason="root reads all")
def test_an_unreadable_directory_is_reported(tmp_path: Path) -> None:
    repo = repo_at(tmp_path / "repo")
    (repo / "sub").mkdir()
    (repo / "sub" / "s.tf").write_text(BUCKET.format("s"))
    (repo / "sub").chmod(0)
    try:
        report = scan([str(repo)], RULES)
    finally:
        (repo / "sub").chmod(0o755)
    assert any(s.path == "sub" and "cannot read directory" in s.reason for s in report.skipped)


@pytest.mark.parametrize("pattern", ["a+a+a+a+a+a+!", "\\w+\\w+\\w+!", "[a-z]+b?[a-z]+[a-z]*x"])
def test_overlapping_repetitions_in_a_row_run_in_linear_time(pattern: str) -> None:
    started = time.monotonic()
    assert OPERATORS["matches"].fn("a" * 200_000, pattern) is False
    assert time.monotonic() - started < 5


def test_a_polynomial_pattern_in_terraform_is_evaluated_not_a_hang(tmp_path: Path) -> None:
    repo = repo_at(tmp_path / "repo")
    (repo / "main.tf").write_text(
        'locals {\n  s  = "' + "a" * 3000 + '"\n'
        '  ok = replace(local.s, "/a+a+a+a+a+a+a+!/", "") == ""\n}\n'
        'resource "aws_kms_key" "k" {\n  enable_key_rotation = local.ok\n}\n'
    )
    started = time.monotonic()
    report = scan([str(repo)], [r for r in RULES if r.id == "SOC2-AWS-012"])
    assert time.monotonic() - started < 30
    # RE2 runs it in linear time, as Terraform would: no match, so rotation is off
    assert [f.status.value for f in report.findings] == ["fail"]


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs here")
@pytest.mark.parametrize("option", ["--var-file", "--config", "--baseline", "--plan"])
def test_an_input_named_on_the_command_line_that_is_a_fifo_is_refused(
    option: str, tmp_path: Path
) -> None:
    repo = repo_at(tmp_path / "repo")
    (repo / "main.tf").write_text(BUCKET.format("b"))
    os.mkfifo(tmp_path / "fifo")
    proc = scan_cli(".", option, str(tmp_path / "fifo"), cwd=repo)
    assert proc.returncode == 2 and "not a regular file" in proc.stderr


def test_the_result_cache_key_is_the_same_in_every_process(tmp_path: Path) -> None:
    repo = repo_at(tmp_path / "repo")
    (repo / "main.tf").write_text(BUCKET.format("b"))
    cache = tmp_path / "cache"
    for seed in ("1", "2"):  # sets print in another order under another hash seed
        subprocess.run(
            [sys.executable, "-m", "soc2lint", "scan", ".", "--cache-dir", str(cache)],
            cwd=repo,
            env={**os.environ, "PYTHONHASHSEED": seed},
            capture_output=True,
            check=False,
        )
    reports = [p for p in cache.rglob("report-*") if p.is_file()]
    assert len(reports) == 1  # the second scan reused the first one's result
