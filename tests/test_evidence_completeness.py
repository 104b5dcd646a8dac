"""What an auditor tests in a record's completeness: a narrowed or dirty scan shows as one, a
record stands only for the content it scanned, and the population counts only such records."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from test_evidence import KEY_A, KEY_B, commit, git, schema

from soc2lint.cli import main
from soc2lint.cli.run import Request, gate, run
from soc2lint.evidence import population, render_markdown, verify, write_evidence
from soc2lint.evidence.cli import evidence

MARCH = "2026-03-01"


def record_of(repo: Path, out: Path, **request: object) -> dict:
    """`soc2lint scan REPO --evidence OUT` with the given request fields; the record."""
    outcome = run(Request(paths=[str(repo)], diff_base=request.pop("diff_base", ""), **request))
    verdict = "pass" if gate(outcome.report, outcome.threshold) else "fail"
    path = write_evidence(
        outcome.report, out, gate=verdict, threshold=outcome.threshold, environ={}
    )
    record = json.loads(path.read_text())
    schema().validate(record)
    return record


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    root.mkdir()
    git(root, "init", "-q", "-b", "main")
    commit(root, {"main.tf": KEY_A}, "key a", "2026-03-02T10:00:00Z")
    return root


def test_excluded_files_and_the_command_line_scope_are_in_the_record(
    repo: Path, tmp_path: Path
) -> None:
    (repo / "infra").mkdir()
    (repo / "gen").mkdir()
    (repo / "infra" / "b.tf").write_text(KEY_B)
    (repo / "gen" / "tracked.tf").write_text(KEY_B)
    (repo / "gen" / "untracked.tf").write_text(KEY_B)
    (repo / ".gitignore").write_text("gen/\n")
    git(repo, "add", "-f", "infra/b.tf", "gen/tracked.tf", ".gitignore")
    git(repo, "commit", "-q", "-m", "more", date="2026-03-03T10:00:00Z")
    rec = record_of(repo, tmp_path / "ev", exclude=["infra/"], only=["SOC2-AWS-012"])
    # a file git tracks is part of the commit whatever .gitignore says: it is scanned
    assert set(rec["files"]["sha256"]) == {"main.tf", "gen/tracked.tf"}
    # ignored files are listed with the ignore file and line that leave them out
    assert rec["not_checked"]["excluded"] == [
        {"path": "gen/untracked.tf", "reason": "ignored by .gitignore:1 (gen/)"},
        {"path": "infra/", "reason": "excluded by pattern 'infra/'"},
    ]
    assert rec["invocation"]["exclude"] == ["infra/"]
    assert rec["invocation"]["rules"] == ["SOC2-AWS-012"]
    md = render_markdown(rec)
    assert "narrowed: excluded infra/" in md and "only the rules SOC2-AWS-012" in md


def test_an_untracked_configuration_or_baseline_makes_the_tree_dirty(
    repo: Path, tmp_path: Path
) -> None:
    assert record_of(repo, tmp_path / "ev")["repository"]["dirty"] is False
    (repo / ".soc2lint.yaml").write_text("exclude: ['*.tf']\n")
    rec = record_of(repo, tmp_path / "ev")
    assert rec["repository"]["dirty"] is True
    assert rec["repository"]["changed_paths"] == [".soc2lint.yaml"]
    (repo / ".soc2lint.yaml").unlink()
    (repo / ".git" / "info" / "exclude").write_text("bl.json\n")  # ignored: still not committed
    (repo / "bl.json").write_text('{"version": 1, "entries": []}\n')
    rec = record_of(repo, tmp_path / "ev", baseline=str(repo / "bl.json"))
    assert rec["repository"]["dirty"] is True and rec["repository"]["changed_paths"] == ["bl.json"]


def test_a_dirty_or_missing_record_does_not_cover_its_commit(repo: Path, tmp_path: Path) -> None:
    ev = tmp_path / "ev"
    (repo / "main.tf").write_text(KEY_B)  # scanned content is not the commit's
    dirty = record_of(repo, ev)
    git(repo, "checkout", "-q", "main.tf")
    pop = population(ev / "ledger.jsonl", MARCH, repo=repo)
    row = pop["rows"][0]
    assert not row["covered"] and row["records"] == [dirty["record_id"]]
    assert "scanned a tree with changes not in the commit (main.tf)" in row["problems"][0]
    clean = record_of(repo, ev)
    assert population(ev / "ledger.jsonl", MARCH, repo=repo)["rows"][0]["covered"]
    (ev / f"{clean['record_id']}.json").unlink()
    row = population(ev / "ledger.jsonl", MARCH, repo=repo)["rows"][0]
    assert not row["covered"] and f"record {clean['record_id']}: file missing" in row["problems"]


def test_a_pull_request_scan_covers_its_merge_and_the_commits_it_brought(
    repo: Path, tmp_path: Path
) -> None:
    ev = tmp_path / "ev"
    git(repo, "checkout", "-q", "-b", "feature")
    one = commit(repo, {"b.tf": KEY_B}, "b", "2026-03-03T10:00:00Z")
    two = commit(repo, {"b.tf": KEY_B + "# two\n"}, "b two", "2026-03-03T11:00:00Z")
    git(repo, "checkout", "-q", "main")
    commit(repo, {"README": "hi\n"}, "readme", "2026-03-04T10:00:00Z")
    # CI scans the pull request's test merge (a commit that never reaches main) ...
    git(repo, "checkout", "-q", "--detach", "main")
    git(repo, "merge", "-q", "--no-ff", "-m", "test merge", two, date="2026-03-05T09:00:00Z")
    record_of(repo, ev)
    git(repo, "checkout", "-q", "main")
    # ... and the merge button produces the same tree
    git(repo, "merge", "-q", "--no-ff", "-m", "merge #1", "feature", date="2026-03-05T10:00:00Z")
    merge = git(repo, "rev-parse", "HEAD")
    pop = population(ev / "ledger.jsonl", MARCH, repo=repo)
    rows = {r["commit"]: r for r in pop["rows"]}
    assert rows[merge]["coverage"] == "same tree"
    assert rows[one]["coverage"] == rows[two]["coverage"] == "merge"
    assert rows[one]["merged_by"] == merge and not rows[one]["first_parent"]
    assert [r["subject"] for r in pop["rows"] if not r["covered"]] == ["key a", "readme"]


def test_a_pull_request_head_record_covers_a_merge_whose_base_moved(
    repo: Path, tmp_path: Path
) -> None:
    ev = tmp_path / "ev"
    git(repo, "checkout", "-q", "-b", "feature")
    head = commit(repo, {"b.tf": KEY_B}, "b", "2026-03-03T10:00:00Z")
    event = tmp_path / "event.json"
    event.write_text(json.dumps({"pull_request": {"number": 7, "head": {"sha": head}}}))
    outcome = run(Request(paths=[str(repo)], diff_base=""))
    write_evidence(
        outcome.report,
        ev,
        gate="pass",
        threshold="info",
        environ={"GITHUB_ACTIONS": "true", "GITHUB_EVENT_PATH": str(event)},
    )
    git(repo, "checkout", "-q", "main")
    commit(repo, {"README": "hi\n"}, "readme", "2026-03-04T10:00:00Z")
    git(repo, "merge", "-q", "--no-ff", "-m", "merge #7", "feature", date="2026-03-05T10:00:00Z")
    rows = population(ev / "ledger.jsonl", MARCH, repo=repo)["rows"]
    assert rows[-1]["subject"] == "merge #7" and rows[-1]["coverage"] == "pull request head"


def test_appending_to_a_ledger_cut_before_its_last_newline(repo: Path, tmp_path: Path) -> None:
    ev = tmp_path / "ev"
    record_of(repo, ev)
    ledger = ev / "ledger.jsonl"
    ledger.write_bytes(ledger.read_bytes().rstrip(b"\n"))
    record_of(repo, ev)
    result = verify(ledger)
    assert result.ok and result.entries == 2, result.problems


def test_a_record_the_ledger_refused_is_not_left_behind(repo: Path, tmp_path: Path) -> None:
    ev = tmp_path / "ev"
    record_of(repo, ev)
    with (ev / "ledger.jsonl").open("a") as handle:
        handle.write("garbage\n")
    before = sorted(p.name for p in ev.iterdir())
    with pytest.raises(Exception, match="last line is not a ledger entry"):
        record_of(repo, ev)
    assert sorted(p.name for p in ev.iterdir()) == before


def test_diff_mode_counts_failures_present_before_as_known(repo: Path, tmp_path: Path) -> None:
    commit(repo, {"b.tf": KEY_B}, "b", "2026-03-03T10:00:00Z")  # key b: no rotation
    base = git(repo, "rev-parse", "HEAD")
    # a change to the module brings its other files (key b among them) into the scan
    commit(repo, {"c.tf": KEY_A.replace('"a"', '"c"')}, "key c", "2026-03-04T10:00:00Z")
    rec = record_of(repo, tmp_path / "ev", diff_base=base)
    assert rec["invocation"]["scoped_to"] == ["c.tf"]
    rule = next(r for r in rec["results"]["rules"] if r["id"] == "SOC2-AWS-012")
    assert rule["counts"]["fail"] == 0 and rule["counts"]["known"] == 1
    cell = next(c for c in rec["results"]["criteria"] if "SOC2-AWS-012" in c["rules"])
    assert cell["platforms"]["terraform"]["result"] == "known"
    known = rec["results"]["totals"]["known"]
    assert known >= 1 and rec["results"]["totals"]["fail"] == 0
    assert f"{known} known failures not gated (already failing at the merge base)" in (
        render_markdown(rec)
    )


def test_verify_says_which_record_it_compared_and_keeps_tampering_apart(
    repo: Path, tmp_path: Path
) -> None:
    ev = tmp_path / "ev"
    record_of(repo, ev)
    commit(repo, {"README": "hi\n"}, "readme", "2026-03-04T10:00:00Z")  # no record for this
    (repo / "main.tf").write_text(KEY_B)
    out = CliRunner().invoke(evidence, ["verify", str(ev / "ledger.jsonl"), "--against", str(repo)])
    assert out.exit_code == 1
    assert "ledger intact" in out.output and "NOT intact" not in out.output
    assert "NO record is of the checkout's commit" in out.output
    assert "checkout differs from the record: 1 file(s)" in out.output


def test_outside_git_and_a_ledger_without_evidence(tmp_path: Path) -> None:
    plain = tmp_path / "plain"
    plain.mkdir()
    (plain / "main.tf").write_text(KEY_A)
    env = {"GIT_CEILING_DIRECTORIES": str(tmp_path)}
    md = subprocess.run(
        [sys.executable, "-m", "soc2lint", "scan", str(plain), "--fail-on", "none"]
        + ["--evidence", str(tmp_path / "e")],
        capture_output=True,
        text=True,
        env={**__import__("os").environ, **env},
        check=False,
    )
    assert md.returncode == 0, md.stderr
    text = next((tmp_path / "e").glob("*.md")).read_text()
    assert "Not a commit: not a git work tree" in text
    out = CliRunner().invoke(main, ["scan", str(plain), "--ledger", str(tmp_path / "l.jsonl")])
    assert out.exit_code == 2 and "--ledger needs --evidence" in out.output


def test_a_scoped_pull_request_record_verifies_against_its_checkout(
    repo: Path, tmp_path: Path
) -> None:
    base = git(repo, "rev-parse", "HEAD")
    (repo / "mod").mkdir()
    commit(repo, {"mod/x.tf": KEY_A}, "module x", "2026-03-03T10:00:00Z")
    record_of(repo, tmp_path / "ev", diff_base=base)
    out = CliRunner().invoke(
        evidence, ["verify", str(tmp_path / "ev" / "ledger.jsonl"), "--against", str(repo)]
    )
    assert out.exit_code == 0, out.output
    assert "scoped to 1 changed file(s)" in out.output


def test_diff_mode_reads_a_var_file_as_the_merge_base_has_it(repo: Path, tmp_path: Path) -> None:
    variable = (
        'variable "rotate" {}\n'
        'resource "aws_kms_key" "v" {\n  enable_key_rotation = var.rotate\n}\n'
    )
    commit(repo, {"v.tf": variable, "prod.tfvars": "rotate = true\n"}, "v", "2026-03-03T10:00:00Z")
    base = git(repo, "rev-parse", "HEAD")
    commit(repo, {"prod.tfvars": "rotate = false\n"}, "stop rotating", "2026-03-04T10:00:00Z")
    outcome = run(Request(paths=[str(repo)], diff_base=base, var_files=[str(repo / "prod.tfvars")]))
    assert [f.resource for f in outcome.report.failing() if f.rule_id == "SOC2-AWS-012"] == [
        "aws_kms_key.v"
    ]


def test_a_configuration_outside_the_repository_makes_the_record_dirty(
    repo: Path, tmp_path: Path
) -> None:
    outside = tmp_path / "central.yaml"
    outside.write_text("exclude: ['*.tf']\n")
    rec = record_of(repo, tmp_path / "ev", config=str(outside))
    assert rec["repository"]["dirty"] is True
    assert rec["repository"]["changed_paths"] == [str(outside.resolve())]
