"""Pull-request mode: only findings introduced relative to the merge base, and how many fixed.

The base revision is read from git's object store into a temporary directory, so the
user's working tree and index are never touched.
"""

from __future__ import annotations

import os
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path

from soc2lint.engine.rules import Rule
from soc2lint.policies.baseline import key
from soc2lint.scan import Report, ScanOptions, scan


class DiffError(Exception):
    """Diff mode cannot work here; the message says what history or ref it needs."""


def default_base() -> str | None:
    """In a GitHub pull_request workflow: the pull request's base branch on origin."""
    base = os.environ.get("GITHUB_BASE_REF", "").strip()
    return f"origin/{base}" if base else None


def _git(root: Path, *args: str, binary: bool = False) -> subprocess.CompletedProcess:
    return subprocess.run(
        ["git", *args],
        cwd=root,
        capture_output=True,
        text=not binary,
        check=False,
        stdin=subprocess.DEVNULL,
    )


def merge_base(root: Path, ref: str) -> str:
    """The merge base of ref and HEAD, or a DiffError explaining what history is missing."""
    if _git(root, "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}").returncode != 0:
        raise DiffError(
            f"--diff-base {ref}: no such commit here; fetch it first "
            f"(git fetch origin {ref.removeprefix('origin/')})"
        )
    proc = _git(root, "merge-base", ref, "HEAD")
    if proc.returncode != 0:
        shallow = _git(root, "rev-parse", "--is-shallow-repository").stdout.strip() == "true"
        hint = (
            "this clone is shallow: fetch the history down to the merge base "
            "(git fetch --unshallow, or actions/checkout with fetch-depth: 0)"
            if shallow
            else "the two have no common history"
        )
        raise DiffError(f"--diff-base {ref}: cannot find the merge base with HEAD; {hint}")
    return proc.stdout.strip()


def changed_paths(root: Path, commit: str) -> set[str]:
    """Files that differ between commit and the working tree (deleted and renamed ones by both
    names), and untracked files: what a pull request changes, relative to root."""
    names: set[str] = set()
    for args in (
        ("diff", "--name-only", "-z", "--no-renames", commit, "--", "."),
        ("ls-files", "--others", "--exclude-standard", "-z", "--", "."),
    ):
        proc = _git(root, "-c", "core.quotePath=false", *args)
        if proc.returncode != 0:
            raise DiffError(f"git {args[0]} against {commit[:12]} failed: {proc.stderr.strip()}")
        names |= {n for n in proc.stdout.split("\0") if n}
    return names


def _extract(root: Path, commit: str, into: Path) -> None:
    """Write commit's files under into, read from git's object store (not `git archive`, which
    leaves out export-ignore paths: the base would then look as if it lacked them)."""
    listing = _git(root, "ls-tree", "-r", "-z", "--full-tree", commit, binary=True)
    if listing.returncode != 0:
        detail = listing.stderr.decode(errors="replace")[:200]
        raise DiffError(f"git ls-tree {commit} failed: {detail}")
    entries = []
    for item in listing.stdout.split(b"\0"):
        if not item:
            continue
        meta, _, name = item.partition(b"\t")
        mode, kind, sha = meta.split()
        path = name.decode("utf-8", "surrogateescape")
        if kind != b"blob" or path.startswith("/") or ".." in path.split("/"):
            continue  # submodules are another repository
        entries.append((mode, sha, path))
    batch = _git_input(root, b"".join(sha + b"\n" for _, sha, _ in entries), "cat-file", "--batch")
    if batch.returncode != 0:
        raise DiffError(f"git cat-file {commit} failed: {batch.stderr.decode(errors='replace')}")
    data, at = batch.stdout, 0
    for mode, _sha, path in entries:
        end = data.index(b"\n", at)
        header = data[at:end].split()
        if len(header) != 3:
            raise DiffError(f"{path} at {commit[:12]}: git has no content for it ({header})")
        size = int(header[2])
        content = data[end + 1 : end + 1 + size]
        at = end + 1 + size + 1
        target = into / path
        target.parent.mkdir(parents=True, exist_ok=True)
        if mode == b"120000":
            os.symlink(content.decode("utf-8", "surrogateescape"), target)
        else:
            target.write_bytes(content)


def _at_base(kind: str, value: str, root: Path, base_root: Path) -> tuple[str, str]:
    """A --var-file inside the repository, as the merge base has it (a file the base lacks is
    read as empty there); any other command-line value as given."""
    if kind != "file":
        return kind, value
    full = Path(os.path.abspath(value))
    if root not in full.parents:
        return kind, value
    at_base = base_root / full.relative_to(root)
    if not at_base.is_file():
        at_base.parent.mkdir(parents=True, exist_ok=True)
        at_base.write_text("")
    return kind, str(at_base)


def _git_input(root: Path, data: bytes, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(["git", *args], cwd=root, input=data, capture_output=True, check=False)


@contextmanager
def extracted(root: Path, commit: str) -> Iterator[Path]:
    """The tree of commit in a temporary directory (a repository root of its own), removed on
    exit."""
    with tempfile.TemporaryDirectory(prefix="soc2lint-base-") as tmp:
        base_root = Path(tmp)
        _extract(root, commit, base_root)
        (base_root / ".git").mkdir(exist_ok=True)  # the tree's root is the repository root
        yield base_root


def diff_scan(
    report: Report,
    targets: list[str],
    rules: list[Rule],
    options: ScanOptions,
    ref: str,
    base_commit: str | None = None,
    base_root: Path | None = None,
) -> Report:
    """report restricted to findings not present at the merge base of ref and HEAD.

    base_root: the merge base's tree, already extracted (else it is extracted here). The base
    is scanned with the same options: the same scope_paths, and the var files the command line
    names inside the repository read as they are at the merge base."""
    root = Path(report.root)
    base_commit = base_commit or merge_base(root, ref)
    if base_root is None:
        with extracted(root, base_commit) as tree:
            return diff_scan(report, targets, rules, options, ref, base_commit, tree)
    base_targets = []
    for target in targets:
        candidate = base_root / Path(target).resolve().relative_to(root)
        if candidate.exists():
            base_targets.append(str(candidate))
    base_options = replace(
        options,
        baseline=None,
        plan=None,
        cli_vars=[_at_base(kind, value, root, base_root) for kind, value in options.cli_vars],
    )
    base = scan(base_targets, rules, base_options) if base_targets else None
    before = {key(f) for f in base.visible()} if base else set()
    # baselined findings are still present: with --baseline they are not "fixed"
    shown = report.visible()
    now = {key(f) for f in [*shown, *report.known] if f.status.value != "pass"}
    report.known = [*report.known, *(f for f in shown if key(f) in before)]
    # passes stay, counted (a reused report's are not made for this)
    report.keep(lambda f: key(f) not in before)
    report.diff = {
        "base_ref": ref,
        "merge_base": base_commit,
        "new": len(report.visible()),
        "fixed": len(before - now),
        "fixed_findings": [
            {"rule_id": r, "path": p, "resource": a} for r, p, a in sorted(before - now)
        ],
    }
    return report
