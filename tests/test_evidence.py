"""Change-control evidence as a team and its auditor use it: a real git history with records at
most commits, the ledger tampered with in every way, the population sampled, the CLI."""

from __future__ import annotations

import csv
import json
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import jsonschema
import pytest
from click.testing import CliRunner

from soc2lint.cli.run import Request, gate, run
from soc2lint.evidence import (
    population,
    render_html,
    render_markdown,
    sample,
    schema_text,
    verify,
    write_evidence,
)
from soc2lint.evidence.ci import ci_context
from soc2lint.evidence.cli import evidence
from soc2lint.evidence.gitinfo import sanitize_url
from soc2lint.evidence.hashing import canonical, sha256_hex
from soc2lint.evidence.ledger import entry_digest

RULE = "SOC2-AWS-012"
REASON = "key b holds imported material <rotated by hand> & 'tracked' in SEC-42"
KEY_A = 'resource "aws_kms_key" "a" {\n  enable_key_rotation = true\n}\n'
KEY_B = 'resource "aws_kms_key" "b" {\n  description = "imported"\n}\n'
KEY_C = 'resource "aws_kms_key" "c" {\n  description = "app"\n}\n'
KEY_C_FIXED = (
    'resource "aws_kms_key" "c" {\n  description = "app"\n  enable_key_rotation = true\n}\n'
)
MARKER = f'# soc2lint:ignore {RULE} reason="{REASON}" until=2099-12-31\n'
IDENTITY = {
    "GIT_AUTHOR_NAME": "Dana Dev",
    "GIT_AUTHOR_EMAIL": "dana@example.com",
    "GIT_COMMITTER_NAME": "Dana Dev",
    "GIT_COMMITTER_EMAIL": "dana@example.com",
    "GIT_CONFIG_GLOBAL": os.devnull,
    "GIT_CONFIG_NOSYSTEM": "1",
}


def git(repo: Path, *args: str, date: str | None = None) -> str:
    env = {**os.environ, **IDENTITY}
    if date:
        env.update(GIT_AUTHOR_DATE=date, GIT_COMMITTER_DATE=date)
    done = subprocess.run(
        ["git", *args], cwd=repo, env=env, capture_output=True, text=True, check=True
    )
    return done.stdout.strip()


def commit(repo: Path, files: dict[str, str], message: str, date: str) -> str:
    for name, content in files.items():
        (repo / name).write_text(content)
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", message, date=date)
    return git(repo, "rev-parse", "HEAD")


def schema(name: str = "record-1.json") -> jsonschema.Draft202012Validator:
    loaded = json.loads(schema_text(name))
    jsonschema.Draft202012Validator.check_schema(loaded)
    return jsonschema.Draft202012Validator(loaded)


def scan_and_record(
    repo: Path, out: Path, diff_base: str = "", environ: dict | None = None, **kw: object
) -> Path:
    """What `soc2lint scan REPO --evidence OUT` does (diff_base "" means no diff mode)."""
    outcome = run(Request(paths=[str(repo)], diff_base=diff_base, only=kw.pop("only", [])))
    verdict = "pass" if gate(outcome.report, outcome.threshold) else "fail"
    return write_evidence(
        outcome.report,
        out,
        gate=verdict,
        threshold=outcome.threshold,
        environ={} if environ is None else environ,
        **kw,
    )


@dataclass
class History:
    repo: Path
    evidence: Path
    commits: dict[str, str]  # name -> sha
    records: dict[str, Path]  # commit name -> record file

    def record(self, name: str) -> dict:
        return json.loads(self.records[name].read_text())

    def copy(self, tmp_path: Path) -> Path:
        """A copy of the evidence directory to tamper with."""
        return Path(shutil.copytree(self.evidence, tmp_path / "evidence"))


@pytest.fixture(scope="module")
def history(tmp_path_factory: pytest.TempPathFactory) -> History:
    base = tmp_path_factory.mktemp("history")
    repo, out = base / "repo", base / "evidence"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    git(repo, "remote", "add", "origin", "https://ci-bot:s3cr3t@git.example.com/acme/infra.git")
    shas: dict[str, str] = {}
    records: dict[str, Path] = {}

    owners = {"README.md": "infra\n", "CODEOWNERS": "* @acme/platform\n"}
    shas["before"] = commit(repo, owners, "readme", "2026-02-20T10:00:00Z")
    shas["clean"] = commit(repo, {"main.tf": KEY_A}, "kms key a", "2026-03-02T10:00:00Z")
    records["clean"] = scan_and_record(repo, out)
    both = KEY_A + KEY_B + KEY_C
    shas["finding"] = commit(repo, {"main.tf": both}, "keys b, c", "2026-03-03T10:00:00Z")
    records["finding"] = scan_and_record(repo, out, diff_base="HEAD~1")
    marked = KEY_A + MARKER + KEY_B + KEY_C
    shas["exception"] = commit(repo, {"main.tf": marked}, "accept b", "2026-03-04T10:00:00Z")
    records["exception"] = scan_and_record(repo, out)
    fixed = KEY_A + MARKER + KEY_B + KEY_C_FIXED
    shas["fix"] = commit(repo, {"main.tf": fixed}, "rotate c", "2026-03-05T10:00:00Z")
    records["fix"] = scan_and_record(repo, out, diff_base=shas["exception"])
    # a feature branch merged without a record: scanned, but nobody kept the evidence
    git(repo, "checkout", "-q", "-b", "feature")
    shas["feature"] = commit(repo, {"notes.tf": "# nothing\n"}, "notes", "2026-03-06T09:00:00Z")
    git(repo, "checkout", "-q", "main")
    git(
        repo,
        "merge",
        "-q",
        "--no-ff",
        "-m",
        "merge feature",
        "feature",
        date="2026-03-06T10:00:00Z",
    )
    shas["unrecorded"] = git(repo, "rev-parse", "HEAD")
    assert run(Request(paths=[str(repo)], diff_base="")).report.files  # scanned, not recorded
    return History(repo, out, shas, records)


# -- the record ------------------------------------------------------------------------------


def test_every_record_and_ledger_entry_follows_its_schema(history: History) -> None:
    records, entries = schema(), schema("ledger-entry-1.json")
    for name in history.records:
        records.validate(history.record(name))
    lines = (history.evidence / "ledger.jsonl").read_text().splitlines()
    assert len(lines) == 4
    for line in lines:
        entries.validate(json.loads(line))


def test_record_identifies_commit_tree_rules_and_results(history: History) -> None:
    rec = history.record("finding")
    repo = rec["repository"]
    assert repo["url"] == "https://git.example.com/acme/infra.git"  # no ci-bot:s3cr3t@
    assert "s3cr3t" not in history.records["finding"].read_text()
    assert (repo["branch"], repo["commit"], repo["dirty"]) == (
        "main",
        history.commits["finding"],
        False,
    )
    assert (repo["base_ref"], repo["base_commit"]) == ("HEAD~1", history.commits["clean"])
    assert repo["merge_base"] == history.commits["clean"]
    main_tf = (history.repo / "main.tf").read_bytes()
    owners = sha256_hex((history.repo / "CODEOWNERS").read_bytes())
    assert rec["files"]["sha256"]["main.tf"] != sha256_hex(main_tf)  # main.tf changed since
    fix = history.record("fix")
    assert fix["files"]["sha256"] == {"CODEOWNERS": owners, "main.tf": sha256_hex(main_tf)}
    lines = "".join(f"{p}\0{d}\n" for p, d in sorted(fix["files"]["sha256"].items()))
    assert fix["files"]["tree_sha256"] == sha256_hex(lines.encode())
    assert rec["record_id"].startswith(rec["started"][:4]) and rec["ci"] is None
    assert rec["gate"] == {
        "verdict": "fail",
        "threshold": "info",
        "coverage": "complete",
        "statement": "failed",
        "fail_on_uncovered": False,
    }
    rule = next(r for r in rec["results"]["rules"] if r["id"] == RULE)
    assert rule["counts"] == {"pass": 1, "fail": 2, "unknown": 0, "suppressed": 0, "known": 0}
    assert [r["resource"] for r in rule["resources"]["fail"]] == ["aws_kms_key.b", "aws_kms_key.c"]
    cc61 = next(c for c in rec["results"]["criteria"] if c["criterion"] == "CC6.1")
    assert cc61["platforms"]["terraform"]["result"] == "fail"
    assert cc61["result"] == "fail" and RULE in cc61["rules"]
    assert rec["scope"]["all"] and "CC1.1" in rec["scope"]["uncovered"]
    assert rec["configuration"] == {"path": None, "sha256": None}


def test_exception_records_reason_expiry_and_introducing_commit(history: History) -> None:
    for name in ("exception", "fix"):
        (exc,) = history.record(name)["exceptions"]
        assert (exc["rule_id"], exc["resource"]) == (RULE, "aws_kms_key.b")
        assert (exc["reason"], exc["expires"]) == (REASON, "2099-12-31")
        assert exc["introduced"]["commit"] == history.commits["exception"]
        assert exc["introduced"]["author"] == "Dana Dev"
    rule = next(r for r in history.record("fix")["results"]["rules"] if r["id"] == RULE)
    assert rule["counts"] == {"pass": 2, "fail": 0, "unknown": 0, "suppressed": 1, "known": 0}


def test_uncommitted_marker_has_no_introducing_commit(history: History, tmp_path: Path) -> None:
    repo = Path(shutil.copytree(history.repo, tmp_path / "repo"))
    (repo / "main.tf").write_text(KEY_A + KEY_B + MARKER + KEY_C)
    path = scan_and_record(repo, tmp_path / "ev", only=[RULE])
    rec = json.loads(path.read_text())
    (exc,) = rec["exceptions"]
    assert exc["resource"] == "aws_kms_key.c" and exc["marker_line"] == 7
    assert exc["introduced"] == {"commit": None, "author": None, "date": None}
    assert rec["repository"]["dirty"] is True and rec["repository"]["changed_paths"] == ["main.tf"]
    assert "uncommitted" in path.with_suffix(".md").read_text()


def test_no_git_detached_head_and_ci_are_recorded(history: History, tmp_path: Path) -> None:
    plain = tmp_path / "plain"
    plain.mkdir()
    (plain / "main.tf").write_text(KEY_C)
    rec = json.loads(scan_and_record(plain, tmp_path / "a", only=[RULE]).read_text())
    schema().validate(rec)
    assert rec["repository"]["commit"] is None and rec["repository"]["error"]
    assert rec["gate"]["verdict"] == "fail" and rec["findings"][0]["resource"] == "aws_kms_key.c"
    detached = Path(shutil.copytree(history.repo, tmp_path / "detached"))
    git(detached, "checkout", "-q", "--detach", history.commits["fix"])
    event = tmp_path / "event.json"
    pr = {
        "number": 7,
        "user": {"login": "dana"},
        "base": {"ref": "main", "sha": "1" * 40},
        "head": {"ref": "rotate", "sha": "2" * 40},
    }
    event.write_text(json.dumps({"pull_request": pr}))
    env = {
        "GITHUB_ACTIONS": "true",
        "GITHUB_REPOSITORY": "acme/infra",
        "GITHUB_RUN_ID": "99",
        "GITHUB_RUN_ATTEMPT": "2",
        "GITHUB_WORKFLOW": "soc2",
        "GITHUB_EVENT_NAME": "pull_request",
        "GITHUB_EVENT_PATH": str(event),
    }
    path = scan_and_record(detached, tmp_path / "b", environ=env, only=[RULE])
    rec = json.loads(path.read_text())
    schema().validate(rec)
    assert (
        rec["repository"]["branch"] is None
        and rec["repository"]["commit"] == history.commits["fix"]
    )
    ci = rec["ci"]
    assert (ci["provider"], ci["repository"], ci["run_id"], ci["run_attempt"]) == (
        "github",
        "acme/infra",
        "99",
        "2",
    )
    assert ci["run_url"] == "https://github.com/acme/infra/actions/runs/99"
    assert ci["pull_request"]["number"] == 7 and ci["pull_request"]["author"] == "dana"
    md = path.with_suffix(".md").read_text()
    assert "run 99 attempt 2" in md and "pull request #7 by dana (rotate → main)" in md


def test_gitlab_context_never_copies_the_job_token() -> None:
    env = {
        "GITLAB_CI": "true",
        "CI_PROJECT_PATH": "acme/infra",
        "CI_PIPELINE_ID": "5",
        "CI_JOB_ID": "6",
        "CI_COMMIT_REF_NAME": "mr-1",
        "CI_MERGE_REQUEST_IID": "3",
        "CI_MERGE_REQUEST_TARGET_BRANCH_NAME": "main",
        "CI_JOB_TOKEN": "glcbt-secret",
        "CI_REPOSITORY_URL": "https://gitlab-ci-token:glcbt-secret@gitlab.com/acme/infra.git",
    }
    ctx = ci_context(env)
    assert (ctx["provider"], ctx["project"], ctx["pipeline_id"], ctx["job_id"]) == (
        "gitlab",
        "acme/infra",
        "5",
        "6",
    )
    assert ctx["pull_request"]["number"] == "3" and ctx["pull_request"]["base"] == "main"
    assert "glcbt-secret" not in json.dumps(ctx)
    assert ci_context({}) is None


@pytest.mark.parametrize(
    ("url", "clean"),
    [
        ("https://user:pa55@github.com/a/b.git", "https://github.com/a/b.git"),
        ("https://x-access-token:ghs_abc@github.com/a/b", "https://github.com/a/b"),
        (
            "https://oauth2:tok@gitlab.com:8443/a/b.git?private_token=t#x",
            "https://gitlab.com:8443/a/b.git",
        ),
        ("ssh://git@github.com/a/b.git", "ssh://github.com/a/b.git"),
        ("git@github.com:a/b.git", "git@github.com:a/b.git"),
        ("ghp_token123@github.com:a/b.git", "github.com:a/b.git"),
        ("/srv/git/infra.git", "/srv/git/infra.git"),
    ],
)
def test_remote_urls_lose_their_credentials(url: str, clean: str) -> None:
    assert sanitize_url(url) == clean


# -- renderings --------------------------------------------------------------------------------


def test_markdown_shows_verdict_changes_exceptions_and_coverage(history: History) -> None:
    md = {name: path.with_suffix(".md").read_text() for name, path in history.records.items()}
    assert "gate passed" in md["clean"] and "#### Failing findings (0)" in md["clean"]
    assert "gate FAILED (fail on info)" in md["finding"]
    assert "#### New findings (2)" in md["finding"] and "`aws_kms_key.c`" in md["finding"]
    assert f"merge base `{history.commits['clean'][:12]}`" in md["finding"]
    assert "#### Exceptions (1)" in md["exception"]
    assert "&lt;rotated by hand&gt; &amp; 'tracked' in SEC-42 | 2099-12-31" in md["exception"]
    assert f"`{history.commits['exception'][:12]}`" in md["exception"]
    assert "#### Fixed findings (1)" in md["fix"]
    assert "\n- `SOC2-" in md["fix"].split("#### Fixed findings (1)")[1]
    assert "| `CC6.1` | " in md["fix"] and "⚠️ exception" in md["fix"]
    assert all(len(text) < 20_000 for text in md.values())  # fits a pull-request comment
    assert render_markdown(history.record("fix")) == md["fix"]


def test_fixed_findings_are_listed_when_the_diff_names_them(
    history: History, tmp_path: Path
) -> None:
    outcome = run(Request(paths=[str(history.repo)], diff_base=history.commits["exception"]))
    assert outcome.report.diff["fixed"] == 1
    # the (rule, path, resource) keys diff mode compares, when it hands them over
    outcome.report.diff["fixed_findings"] = [(RULE, "main.tf", "aws_kms_key.c")]
    path = write_evidence(outcome.report, tmp_path, gate="pass", threshold="info", environ={})
    assert json.loads(path.read_text())["diff"] == {
        "new": 0,
        "fixed": 1,
        "fixed_findings": [{"rule_id": RULE, "resource": "aws_kms_key.c", "path": "main.tf"}],
    }
    assert f"- `{RULE}` `aws_kms_key.c` `main.tf`" in path.with_suffix(".md").read_text()


def test_html_is_self_contained_and_escaped(history: History) -> None:
    page = history.records["exception"].with_suffix(".html").read_text()
    assert page == render_html(history.record("exception"))
    assert not re.search(r"""(src|href)\s*=\s*["']?\s*(https?:)?//""", page, re.I)
    assert "<script" not in page.lower() and "<link" not in page.lower()
    assert '<table id="coverage">' in page and "<th>github_actions</th>" in page
    assert "&lt;rotated by hand&gt; &amp; &#x27;tracked&#x27;" in page and "<rotated" not in page
    assert 'class="cell fail"' in page and history.commits["exception"] in page


@pytest.mark.slow
def test_html_renders_in_headless_chromium(history: History, tmp_path: Path) -> None:
    browser = next(
        (
            shutil.which(b)
            for b in ("chromium", "chromium-browser", "google-chrome", "chrome")
            if shutil.which(b)
        ),
        None,
    )
    if browser is None:
        if os.environ.get("CI"):
            pytest.fail("CI is set but no chromium binary was found")
        pytest.skip("no chromium binary")
    page = history.records["fix"].with_suffix(".html")
    base = [
        browser,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        f"--user-data-dir={tmp_path / 'profile'}",
    ]
    png = tmp_path / "page.png"
    subprocess.run(
        [*base, f"--screenshot={png}", "--window-size=1200,900", page.as_uri()],
        capture_output=True,
        timeout=120,
        check=False,
    )
    assert png.is_file() and png.stat().st_size > 1000
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    dom = subprocess.run(
        [*base, "--dump-dom", page.as_uri()],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    ).stdout
    assert '<table id="coverage">' in dom and "CC6.1" in dom and "terraform" in dom


# -- ledger ------------------------------------------------------------------------------------


def _lines(ledger: Path) -> list[str]:
    return ledger.read_text().splitlines()


def _save(ledger: Path, lines: list[str]) -> None:
    ledger.write_text("\n".join(lines) + "\n")


def test_untouched_ledger_verifies(history: History) -> None:
    result = verify(history.evidence / "ledger.jsonl")
    assert result.ok and result.entries == 4 and result.problems == []
    entries = [json.loads(x) for x in _lines(history.evidence / "ledger.jsonl")]
    assert [e["seq"] for e in entries] == [1, 2, 3, 4]
    assert entries[0]["prev_entry_sha256"] is None
    assert all(
        b["prev_entry_sha256"] == a["entry_sha256"]
        for a, b in zip(entries, entries[1:], strict=False)
    )
    assert [e["commit"] for e in entries] == [history.commits[n] for n in history.records]
    for entry, path in zip(entries, history.records.values(), strict=True):
        assert entry["record_sha256"] == sha256_hex(path.read_bytes())
    assert result.head == entries[-1]["entry_sha256"]


def test_edited_entry_is_detected(history: History, tmp_path: Path) -> None:
    ledger = history.copy(tmp_path) / "ledger.jsonl"
    lines = _lines(ledger)
    entry = json.loads(lines[1])
    entry["commit"] = history.commits["clean"]
    lines[1] = json.dumps(entry)
    _save(ledger, lines)
    assert verify(ledger).problems == [
        "line 2: entry seq 2 was edited (its entry_sha256 does not match its content)"
    ]
    # edited and re-hashed: the next entry no longer chains to it
    entry["entry_sha256"] = entry_digest(entry)
    lines[1] = json.dumps(entry)
    _save(ledger, lines)
    assert verify(ledger).problems == [
        "line 3: entry seq 3 does not chain to the entry before it (prev_entry_sha256 differs): "
        "an entry was edited, inserted or removed"
    ]


def test_removed_entry_is_detected(history: History, tmp_path: Path) -> None:
    ledger = history.copy(tmp_path) / "ledger.jsonl"
    lines = _lines(ledger)
    removed = json.loads(lines.pop(1))["record_id"]
    _save(ledger, lines)
    problems = verify(ledger).problems
    assert "entry seq 2 was removed (no line has it)" in problems
    assert f"record {removed}: file is not in the ledger (entry removed?)" in problems


def test_removed_last_entry_is_detected_with_a_kept_head(history: History, tmp_path: Path) -> None:
    ledger = history.copy(tmp_path) / "ledger.jsonl"
    head = verify(ledger).head
    lines = _lines(ledger)
    last = json.loads(lines.pop())
    _save(ledger, lines)
    (ledger.parent / f"{last['record_id']}.json").unlink()
    assert verify(ledger).ok  # a cut-off tail leaves a valid chain...
    assert verify(ledger, head=head).problems == [  # ...which the kept head exposes
        f"head {head} is not in the ledger: entries at its end were removed or rewritten"
    ]


def test_reordered_entries_are_detected(history: History, tmp_path: Path) -> None:
    ledger = history.copy(tmp_path) / "ledger.jsonl"
    lines = _lines(ledger)
    lines[1], lines[2] = lines[2], lines[1]
    _save(ledger, lines)
    problems = verify(ledger).problems
    assert "line 3: entry seq 2 comes after seq 3: entries were reordered" in problems


def test_inserted_entry_is_detected(history: History, tmp_path: Path) -> None:
    out = history.copy(tmp_path)
    ledger = out / "ledger.jsonl"
    lines = _lines(ledger)
    second = json.loads(lines[1])
    forged_record = {
        "schema": "soc2lint/evidence/record-1",
        "record_id": "20260303T120000Z-" + "f" * 16,
    }
    data = json.dumps(forged_record).encode()
    (out / f"{forged_record['record_id']}.json").write_bytes(data)
    forged = {
        "seq": 3,
        "record_id": forged_record["record_id"],
        "record_sha256": sha256_hex(data),
        "commit": history.commits["finding"],
        "created": "2026-03-03T12:00:00.000000Z",
        "prev_entry_sha256": second["entry_sha256"],
    }
    forged["entry_sha256"] = entry_digest(forged)
    lines.insert(2, json.dumps(forged))
    _save(ledger, lines)
    problems = verify(ledger).problems
    assert "entry seq 3 appears on lines 3, 4: an entry was inserted or duplicated" in problems
    # a forger who renumbers and re-hashes everything after it is caught by the kept head
    head = verify(history.evidence / "ledger.jsonl").head
    entries = [json.loads(x) for x in lines]
    for i, entry in enumerate(entries[3:], 3):
        entry["seq"], entry["prev_entry_sha256"] = i + 1, entries[i - 1]["entry_sha256"]
        entry["entry_sha256"] = entry_digest(entry)
    _save(ledger, [json.dumps(e) for e in entries])
    assert verify(ledger).ok
    assert not verify(ledger, head=head).ok


def test_edited_record_file_is_detected(history: History, tmp_path: Path) -> None:
    out = history.copy(tmp_path)
    name = history.records["exception"].name
    rec = json.loads((out / name).read_text())
    rec["exceptions"][0]["expires"] = "2199-12-31"
    (out / name).write_text(json.dumps(rec, indent=2))
    assert verify(out / "ledger.jsonl").problems == [
        f"record {rec['record_id']}: file content does not match its ledger digest (edited)"
    ]
    (out / name).unlink()
    assert verify(out / "ledger.jsonl").problems == [
        f"record {rec['record_id']}: file {out / name} is missing"
    ]


def test_against_a_checkout_lists_changed_and_missing_files(
    history: History, tmp_path: Path
) -> None:
    checkout = tmp_path / "checkout"
    git(history.repo, "worktree", "add", "-q", "--detach", str(checkout), history.commits["fix"])
    try:
        ledger = history.evidence / "ledger.jsonl"
        result = verify(ledger, against=checkout)
        assert result.ok and result.checked_record == history.records["fix"].stem
        (checkout / "main.tf").write_text(KEY_A)
        rid = history.records["fix"].stem
        changed = verify(ledger, against=checkout)
        assert changed.problems == [] and not changed.ok  # the ledger itself is intact
        assert len(changed.checkout_problems) == 1 and changed.checkout_problems[0].startswith(
            f"record {rid}: main.tf changed in {checkout}"
        )
        (checkout / "main.tf").unlink()
        assert verify(ledger, against=checkout).checkout_problems == [
            f"record {rid}: main.tf is missing in {checkout}"
        ]
        git(checkout, "checkout", "-q", "main.tf")
        # the fix record is a pull-request record, scoped to its change: a file outside that
        # is not compared; a whole scan's record covers every file
        (checkout / "extra.tf").write_text(KEY_A)
        assert verify(ledger, against=checkout).checkout_problems == []
        (checkout / "extra.tf").unlink()
        whole = scan_and_record(checkout, tmp_path / "whole")
        (checkout / "extra.tf").write_text(KEY_A)  # content the record never covered
        assert verify(tmp_path / "whole" / "ledger.jsonl", against=checkout).checkout_problems == [
            f"record {whole.stem}: extra.tf is in {checkout} but the record did not scan it"
        ]
    finally:
        git(history.repo, "worktree", "remove", "--force", str(checkout))


def test_a_chosen_ledger_file_and_records_directory(history: History, tmp_path: Path) -> None:
    ledger = tmp_path / "audit" / "chain.jsonl"
    first = scan_and_record(history.repo, tmp_path / "ev", ledger=ledger)
    second = scan_and_record(history.repo, tmp_path / "ev", ledger=ledger, only=[RULE])
    assert first != second
    assert not (tmp_path / "ev" / "ledger.jsonl").exists()
    assert verify(ledger, records_dir=tmp_path / "ev").ok
    assert f"record {first.stem}: file" in verify(ledger).problems[0]  # not beside the ledger


# -- population and sample ---------------------------------------------------------------------


def test_population_flags_exactly_the_unrecorded_commit(history: History) -> None:
    pop = population(
        history.evidence / "ledger.jsonl",
        "2026-03-01",
        "2026-03-31",
        branch="main",
        repo=history.repo,
    )
    # every commit that reached main in March: the feature commit came in with the merge
    names = ["clean", "finding", "exception", "fix", "feature", "unrecorded"]
    assert [r["commit"] for r in pop["rows"]] == [history.commits[n] for n in names]
    uncovered = [r["commit"] for r in pop["rows"] if not r["covered"]]
    assert uncovered == [history.commits["feature"], history.commits["unrecorded"]]
    assert pop["uncovered"] == 2 and pop["commits"] == 6  # not "before"
    feature = pop["rows"][4]
    assert not feature["first_parent"] and feature["merged_by"] == history.commits["unrecorded"]
    by_commit = {r["commit"]: r for r in pop["rows"]}
    assert by_commit[history.commits["finding"]]["records"] == [history.records["finding"].stem]
    assert by_commit[history.commits["finding"]]["verdicts"] == ["fail"]
    until = population(
        history.evidence / "ledger.jsonl", "2026-03-02", "2026-03-05", repo=history.repo
    )
    assert until["commits"] == 4 and until["uncovered"] == 0  # whole days, inclusive
    assert {r["coverage"] for r in until["rows"]} == {"commit"}


def test_sample_is_reproducible_and_sorted(history: History) -> None:
    pop = population(history.evidence / "ledger.jsonl", "2026-03-01", repo=history.repo)
    first = sample(pop, 3, seed=2026)
    assert first == sample(pop, 3, seed=2026) and len(first) == 3
    order = [r["commit"] for r in pop["rows"]]
    assert [order.index(r["commit"]) for r in first] == sorted(
        order.index(r["commit"]) for r in first
    )
    assert sample(pop, 99, seed=1) == pop["rows"]
    assert len({tuple(r["commit"] for r in sample(pop, 2, s)) for s in range(20)}) > 1


def test_population_rejects_a_missing_branch(history: History) -> None:
    with pytest.raises(ValueError, match="no branch or commit 'release'"):
        population(
            history.evidence / "ledger.jsonl", "2026-03-01", branch="release", repo=history.repo
        )


# -- command line ------------------------------------------------------------------------------


def test_cli_verify_exit_codes(history: History, tmp_path: Path) -> None:
    runner = CliRunner()
    ledger = history.evidence / "ledger.jsonl"
    ok = runner.invoke(evidence, ["verify", str(ledger)])
    assert ok.exit_code == 0 and ok.output.startswith("ledger intact: 4 entries, head ")
    out = history.copy(tmp_path)
    lines = _lines(out / "ledger.jsonl")
    _save(out / "ledger.jsonl", [lines[0], lines[2], lines[3]])
    bad = runner.invoke(evidence, ["verify", str(out / "ledger.jsonl")])
    assert bad.exit_code == 1 and "entry seq 2 was removed" in bad.output
    assert "ledger NOT intact" in bad.output
    missing = runner.invoke(evidence, ["verify", str(tmp_path / "nope.jsonl")])
    assert missing.exit_code == 2
    checkout = tmp_path / "checkout"
    git(history.repo, "worktree", "add", "-q", "--detach", str(checkout), history.commits["fix"])
    try:
        (checkout / "main.tf").write_text("# gone\n")
        changed = runner.invoke(evidence, ["verify", str(ledger), "--against", str(checkout)])
        assert changed.exit_code == 1 and "main.tf changed in" in changed.output
    finally:
        git(history.repo, "worktree", "remove", "--force", str(checkout))


def test_cli_population_writes_csv_json_and_a_seeded_sample(
    history: History, tmp_path: Path
) -> None:
    args = [
        "population",
        "--ledger",
        str(history.evidence / "ledger.jsonl"),
        "--since",
        "2026-03-01",
        "--until",
        "2026-03-31",
        "--repo",
        str(history.repo),
        "--csv",
        str(tmp_path / "p.csv"),
        "--json",
        str(tmp_path / "p.json"),
        "--sample",
        "2",
        "--seed",
        "42",
    ]
    result = CliRunner().invoke(evidence, args)
    assert result.exit_code == 0, result.output
    assert (
        "6 commits reached main" in result.output
        and "2 without an evidence record that covers it" in result.output
    )
    assert f"no record: {history.commits['unrecorded'][:12]}" in result.output
    with (tmp_path / "p.csv").open() as handle:
        rows = list(csv.DictReader(handle))
    assert [r["covered"] for r in rows] == ["yes", "yes", "yes", "yes", "no", "no"]
    assert [r["first_parent"] for r in rows] == ["yes", "yes", "yes", "yes", "no", "yes"]
    doc = json.loads((tmp_path / "p.json").read_text())
    expected = [r["commit"] for r in sample(doc, 2, 42)]
    assert doc["sample"] == {"size": 2, "seed": "42", "commits": expected}
    again = CliRunner().invoke(evidence, args)
    assert again.output == result.output
    bad = CliRunner().invoke(evidence, [*args[:5], "--since", "last tuesday-ish"])
    assert bad.exit_code == 2 and "is not a date" in bad.output


def test_cli_render_md_and_html(history: History, tmp_path: Path) -> None:
    runner = CliRunner()
    path = history.records["fix"]
    md = runner.invoke(evidence, ["render", str(path), "--format", "md"])
    assert md.exit_code == 0 and md.output == path.with_suffix(".md").read_text()
    html = runner.invoke(
        evidence, ["render", str(path), "--format", "html", "-o", str(tmp_path / "r.html")]
    )
    assert html.exit_code == 0
    assert (tmp_path / "r.html").read_text() == path.with_suffix(".html").read_text()
    (tmp_path / "x.json").write_text("{}")
    bad = runner.invoke(evidence, ["render", str(tmp_path / "x.json")])
    assert bad.exit_code == 2 and "not a soc2lint evidence record" in bad.output


def test_record_id_is_derived_from_content(history: History) -> None:
    rec = history.record("clean")
    body = {k: v for k, v in rec.items() if k != "record_id"}
    assert rec["record_id"].endswith("-" + sha256_hex(canonical(body))[:16])


@pytest.mark.slow
def test_scan_evidence_option_end_to_end(history: History, tmp_path: Path) -> None:
    out = tmp_path / "evidence"
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "soc2lint",
            "scan",
            str(history.repo),
            "--diff-base",
            "HEAD~1",
            "--evidence",
            str(out),
            "--fail-on",
            "high",
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    (record,) = out.glob("*.json")
    assert f"evidence record: {record}" in done.stderr
    data = json.loads(record.read_text())
    schema().validate(data)
    assert data["gate"] == {
        "verdict": "pass",
        "threshold": "high",
        "coverage": "complete",
        "statement": "passed",
        "fail_on_uncovered": False,
    }
    assert data["repository"]["commit"] == history.commits["unrecorded"]
    assert data["repository"]["merge_base"] == history.commits["fix"]
    assert verify(out / "ledger.jsonl").ok
