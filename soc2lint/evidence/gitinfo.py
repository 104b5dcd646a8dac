"""What git knows about the scanned tree, read with the git command; never fails the scan."""

from __future__ import annotations

import datetime as dt
import os
import re
import shutil
import subprocess
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

_ZERO = re.compile(r"^0{40}(0{24})?$")
# scp-like remotes: user@host:path (no scheme)
_SCP = re.compile(r"^(?:(?P<user>[^@/]+)@)?(?P<host>[^:/]+):(?P<path>.*)$")


def git(root: str | Path, *args: str) -> str | None:
    """stdout of `git -C root args`, or None when git is missing or the command fails."""
    env = {
        **os.environ,
        "GIT_TERMINAL_PROMPT": "0",
        # read-only: never let `git status` refresh and rewrite the index
        "GIT_OPTIONAL_LOCKS": "0",
        "LC_ALL": "C",
    }
    try:
        proc = subprocess.run(
            ["git", "-C", str(root), *args],
            capture_output=True,
            text=True,
            encoding="utf-8",
            errors="replace",
            env=env,
            timeout=120,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    return proc.stdout if proc.returncode == 0 else None


def sanitize_url(url: str) -> str:
    """A remote URL without credentials: no user:password@ or token, no query string."""
    url = url.strip()
    if "://" in url:
        parts = urlsplit(url)
        host = parts.hostname or ""
        if ":" in host:  # IPv6 literal
            host = f"[{host}]"
        try:
            port = parts.port
        except ValueError:
            port = None
        netloc = host + (f":{port}" if port else "")
        return urlunsplit((parts.scheme, netloc, parts.path, "", ""))
    match = _SCP.match(url)
    if match and not re.match(r"^[A-Za-z]:[\\/]", url):  # not a Windows drive path
        # "git@" is the conventional SSH user, not a secret; any other user part may be a token
        user = "git@" if match.group("user") == "git" else ""
        return f"{user}{match.group('host')}:{match.group('path')}"
    return url


def provenance(root: str | Path) -> dict | None:
    """What SARIF's versionControlProvenance needs of the git work tree holding root: the
    remote's URL without credentials as a URI (an scp-like remote as ssh://), else the work
    tree's file URI; the commit; the branch (None when detached); whether root is the work
    tree's top (SARIF can then map %SRCROOT% to the repository root). None outside git or
    before the first commit."""
    root = Path(root)
    if shutil.which("git") is None:
        return None
    top = (git(root, "rev-parse", "--show-toplevel") or "").strip()
    commit = (git(root, "rev-parse", "--verify", "-q", "HEAD") or "").strip()
    if not top or not commit:
        return None
    url = _remote_url(root)
    if url and "://" not in url:
        match = _SCP.match(url)
        if match:
            user = f"{match.group('user')}@" if match.group("user") else ""
            url = f"ssh://{user}{match.group('host')}/{match.group('path').lstrip('/')}"
    if not url or "://" not in url:
        url = Path(top).as_uri()
    branch = (git(root, "symbolic-ref", "--short", "-q", "HEAD") or "").strip() or None
    prefix = (git(root, "rev-parse", "--show-prefix") or "").strip()
    return {"url": url, "commit": commit, "branch": branch, "at_top": not prefix}


def _remote_url(root: Path) -> str | None:
    names = (git(root, "remote") or "").split()
    if not names:
        return None
    name = "origin" if "origin" in names else names[0]
    url = git(root, "remote", "get-url", name)
    return sanitize_url(url) if url and url.strip() else None


def _changed_paths(root: Path, scanned: set[str], inputs: list[str]) -> list[str]:
    """Tracked files that differ from HEAD, and untracked files the scan read or that are
    inputs of it (configuration, baseline, var files; a directory input covers its files)."""
    prefixes = tuple(i.rstrip("/") + "/" for i in inputs)
    out = git(root, "status", "--porcelain=v1", "-z", "--untracked-files=all")
    if out is None:
        return []
    prefix = (git(root, "rev-parse", "--show-prefix") or "").strip()
    items = out.split("\0")
    changed: set[str] = set()
    i = 0
    while i < len(items):
        item = items[i]
        i += 1
        if len(item) < 4:
            continue
        code, path = item[:2], item[3:]
        if code[0] in "RC":
            i += 1  # a rename's source path follows
        if code == "!!":
            continue
        rel = path[len(prefix) :] if prefix and path.startswith(prefix) else path
        if code == "??" and not (rel in scanned or rel in inputs or rel.startswith(prefixes)):
            continue
        changed.add(rel)
    for item in inputs:  # an ignored input is in no status line, and still not in the commit
        if item.startswith("/"):
            changed.add(item)  # outside the repository: the commit alone does not decide
        elif not (git(root, "ls-files", "--", item) or "").strip():
            changed.add(item)
    return sorted(changed)


def repository_info(
    root: str | Path, files: dict[str, str], diff: dict | None, inputs: list[str] | None = None
) -> dict:
    """Remote, branch, commit, tree, dirty flag and (diff mode) base of the tree at root.

    inputs: repository-relative files besides the scanned ones that the result depends on; an
    untracked one makes the tree dirty too."""
    root = Path(root)
    info: dict = {
        "url": None,
        "branch": None,
        "commit": None,
        "tree": None,
        "dirty": None,
        "changed_paths": [],
        "base_ref": (diff or {}).get("base_ref"),
        "base_commit": None,
        "merge_base": (diff or {}).get("merge_base"),
        "error": None,
    }
    if shutil.which("git") is None:
        info["error"] = "git is not installed"
        return info
    if (git(root, "rev-parse", "--is-inside-work-tree") or "").strip() != "true":
        info["error"] = "not a git work tree (or git refused to read it)"
        return info
    info["url"] = _remote_url(root)
    info["commit"] = (git(root, "rev-parse", "--verify", "-q", "HEAD") or "").strip() or None
    info["branch"] = (git(root, "symbolic-ref", "--short", "-q", "HEAD") or "").strip() or None
    if info["commit"]:
        tree = git(root, "rev-parse", "--verify", "-q", "HEAD^{tree}")
        info["tree"] = (tree or "").strip() or None
    changed = _changed_paths(root, set(files), list(inputs or []))
    info["changed_paths"] = changed
    info["dirty"] = bool(changed)
    if info["base_ref"]:
        base = git(root, "rev-parse", "--verify", "-q", f"{info['base_ref']}^{{commit}}")
        info["base_commit"] = (base or "").strip() or None
        if info["merge_base"] is None and info["base_commit"] and info["commit"]:
            found = git(root, "merge-base", info["commit"], info["base_commit"])
            info["merge_base"] = (found or "").strip() or None
    return info


def blame_line(root: str | Path, path: str, line: int) -> dict:
    """The commit that last changed path:line, with author and date; None values if uncommitted."""
    none = {"commit": None, "author": None, "date": None}
    out = git(root, "blame", "--porcelain", "-L", f"{line},{line}", "--", path)
    if not out:
        return none
    lines = out.splitlines()
    sha = lines[0].split(" ", 1)[0]
    if _ZERO.match(sha):
        return none
    fields = dict(ln.split(" ", 1) for ln in lines[1:] if " " in ln and not ln.startswith("\t"))
    date = None
    if fields.get("author-time", "").isdigit():
        stamp = dt.datetime.fromtimestamp(int(fields["author-time"]), dt.timezone.utc)
        date = stamp.strftime("%Y-%m-%dT%H:%M:%SZ")
    return {"commit": sha, "author": fields.get("author"), "date": date}


def branch_log(repo: str | Path, branch: str) -> list[dict]:
    """Every commit that reached branch (merged-in commits too), newest first: {commit, tree,
    parents, committed, author, subject}. Raises ValueError when repo is not a repository or
    branch does not exist."""
    if git(repo, "rev-parse", "--verify", "-q", f"{branch}^{{commit}}") is None:
        raise ValueError(f"{repo}: no branch or commit {branch!r} (or not a git repository)")
    out = git(repo, "log", "--format=%H%x1f%T%x1f%P%x1f%ct%x1f%an%x1f%s%x1e", branch, "--")
    if out is None:
        raise ValueError(f"{repo}: git log failed on {branch!r}")
    first = set((git(repo, "rev-list", "--first-parent", branch, "--") or "").split())
    commits = []
    for chunk in out.split("\x1e"):
        parts = chunk.strip("\n").split("\x1f")
        if len(parts) != 6:
            continue
        sha, tree, parents, stamp, author, subject = parts
        when = dt.datetime.fromtimestamp(int(stamp), dt.timezone.utc)
        commits.append(
            {
                "commit": sha,
                "tree": tree,
                "parents": parents.split(),
                "first_parent": sha in first,
                "committed": when,
                "author": author,
                "subject": subject,
            }
        )
    return commits
