"""Which files a scan of some changed files must parse: the changed files and their context.

Pre-commit (`--only-changed`) and pull-request diff mode report only what the changed files
bring; parsing the rest of a monorepo to get there is wasted work. The context of a change is
what can alter the results of the changed files' resources, found from cheap text tests, never
from parsing:

- Terraform: a module is a directory, so every Terraform file in a changed file's directory;
  and the directories that call that module (`source = "../x"`), up to their roots, so that the
  module is evaluated with the inputs it really gets. Modules those call are read on demand.
- Kubernetes: the manifests that share a namespace with a changed manifest (graph rules such as
  NetworkPolicy coverage look across a namespace), and every manifest that names no namespace
  (cluster-scoped objects, and objects in the default namespace). A change inside a Kustomize or
  Helm directory brings that whole directory, which its tool renders as one.
- CI: any changed pipeline brings every workflow, composite action and GitLab pipeline file.
- CODEOWNERS is always read; a change to it brings everything (its rules weigh it against every
  infrastructure file).

What is out of scope is neither parsed nor reported; an unchanged file outside the context
gives the same results before and after the change by construction.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from soc2lint import platforms
from soc2lint.pipeline.discover import SourceFile, classify
from soc2lint.platforms.kubernetes.classify import might_be_kubernetes

_CI = ("github_actions", "gitlab_ci")

# a local module source in any layout: its own line, a one-line block, a comment after it, or
# .tf.json; a `source` of something else (a provisioner's file) only widens the context. Read
# as bytes: a walk of every Terraform file of a monorepo decodes only the sources it finds
_MODULE_SOURCE = re.compile(rb"""\bsource["']?\s*[=:]\s*"(\.\.?/[^"]*)["]""")
_NAMESPACE = re.compile(
    r"""(?:^|[{,\s])["']?namespace["']?\s*:\s*["']?([A-Za-z0-9][-.A-Za-z0-9]*)""", re.M
)
_RENDERED = ("kustomization.yaml", "kustomization.yml", "Kustomization", "Chart.yaml")


def _directory(path: str) -> str:
    return path.rpartition("/")[0]


def _read(root: Path, path: str) -> str:
    """A file's text as read_text(errors="replace") gives it, newlines made "\n"."""
    raw = _read_bytes(root, path)
    text = raw.decode("utf-8", "replace")
    return text.replace("\r\n", "\n").replace("\r", "\n") if b"\r" in raw else text


def _read_bytes(root: Path, path: str) -> bytes:
    try:
        with open(os.path.join(root, path), "rb") as handle:
            return handle.read()
    except OSError:
        return b""


def context(
    root: Path, files: list[SourceFile], changed: set[str], var_files: set[str] = frozenset()
) -> set[str]:
    """The paths (of files) to parse for a scan that reports on changed. var_files: the
    --var-file paths (repository-relative); a changed one reaches every Terraform root."""
    if any(p.rsplit("/", 1)[-1] == "CODEOWNERS" for p in changed):
        # CODEOWNERS rules weigh it against every infrastructure file the scan finds
        return {f.path for f in files}
    wanted = {f.path for f in files if f.path in changed or f.kind == "codeowners"}
    terraform = [f for f in files if f.platform == "terraform"]
    if var_files & changed:
        wanted |= {f.path for f in terraform}
    yaml = [f for f in files if f.platform in ("", *_CI)]
    wanted |= _terraform_context(root, terraform, changed)
    wanted |= _yaml_context(root, yaml, changed)
    return wanted


def _terraform_context(root: Path, files: list[SourceFile], changed: set[str]) -> set[str]:
    by_dir: dict[str, list[str]] = {}
    for f in files:
        by_dir.setdefault(_directory(f.path), []).append(f.path)
    callers: dict[str, set[str]] = {}  # module directory -> directories that call it
    for directory, paths in by_dir.items():
        for path in paths:
            if not path.endswith((".tf", ".tf.json")):
                continue
            for found in _MODULE_SOURCE.findall(_read_bytes(root, path)):
                source = found.decode("utf-8", "replace")
                target = _normal(f"{directory}/{source}" if directory else source)
                if target is not None:
                    callers.setdefault(target, set()).add(directory)
    # a deleted file's directory counts too: what is left of its module may now fail
    todo = [_directory(p) for p in changed if (classify(p) or ("",))[0] == "terraform"]
    dirs: set[str] = set()
    while todo:
        current = todo.pop()
        if current in dirs:
            continue
        dirs.add(current)
        todo += sorted(callers.get(current, ()))
    return {p for d in dirs for p in by_dir.get(d, [])}


def _normal(path: str) -> str | None:
    """a/b/../c -> a/c; None when it climbs out of the repository."""
    parts: list[str] = []
    for part in path.split("/"):
        if part in ("", "."):
            continue
        if part == "..":
            if not parts:
                return None
            parts.pop()
        else:
            parts.append(part)
    return "/".join(parts)


def _yaml_context(root: Path, files: list[SourceFile], changed: set[str]) -> set[str]:
    if not any(f.path in changed for f in files):
        return set()  # no YAML changed: nothing to read
    out: set[str] = set()
    ci = {f.path for f in files if _is_ci(f.path)}
    texts = {f.path: _read(root, f.path) for f in files if f.path not in ci}
    # a changed YAML file that is no manifest may be a file a GitLab pipeline includes
    included = any(p in texts and not might_be_kubernetes(texts[p]) for p in changed)
    if ci & changed or included:
        out |= ci
    rendered = sorted(
        {_directory(f.path) for f in files if f.path.rsplit("/", 1)[-1] in _RENDERED}, key=len
    )
    manifests = [f for f in files if f.path not in ci]
    changed_manifests = [f for f in manifests if f.path in changed]
    if not changed_manifests:
        return out
    # a rendered directory is rendered (and checked) whole, and so is every overlay that
    # renders it; the namespaces they set are part of the context too
    renders = _renderers(texts, rendered)
    todo = [_enclosing(f.path, rendered) for f in changed_manifests]
    seen: set[str] = set()
    while todo:
        directory = todo.pop()
        if directory is None or directory in seen:
            continue
        seen.add(directory)
        todo += sorted(renders.get(directory, ()))
    inside = [g for g in manifests if any(_within(g.path, d) for d in seen)]
    out |= {g.path for g in inside}
    spaces = set()
    for f in changed_manifests:
        spaces |= set(_NAMESPACE.findall(texts[f.path])) or {"default"}
    for g in inside:
        spaces |= set(_NAMESPACE.findall(texts.get(g.path, "")))
    for f in manifests:
        text = texts[f.path]
        if not might_be_kubernetes(text):
            continue
        named = set(_NAMESPACE.findall(text))
        if not named or named & spaces:
            out.add(f.path)
    return out


def _within(path: str, directory: str) -> bool:
    return not directory or path.startswith(directory + "/")


def _enclosing(path: str, rendered: list[str]) -> str | None:
    """The nearest directory holding path that a tool renders (a kustomization, a chart)."""
    inner = [d for d in rendered if _within(path, d)]
    return max(inner, key=len) if inner else None


_LISTED = re.compile(r"""(?:^\s*-\s*|\bpath:\s*)["']?([^\s"'#]+)""", re.M)


def _renderers(texts: dict[str, str], rendered: list[str]) -> dict[str, set[str]]:
    """For each rendered directory, the rendered directories whose kustomization lists it (or a
    file in it) among resources, bases, components or patches."""
    out: dict[str, set[str]] = {}
    for directory in rendered:
        for name in _RENDERED[:3]:
            path = f"{directory}/{name}" if directory else name
            for listed in _LISTED.findall(texts.get(path, "")):
                target = _normal(f"{directory}/{listed}" if directory else listed)
                if target is None:
                    continue
                used = _enclosing(target + "/", rendered)
                if used is not None and used != directory:
                    out.setdefault(used, set()).add(directory)
    return out


def infrastructure(root: Path, files: list[SourceFile]) -> list[str]:
    """Which of files a whole scan would read as infrastructure (Terraform, pipelines,
    manifests), told from names and a cheap look at the text, without parsing."""
    out = []
    registry = platforms.platforms()
    for f in files:
        if f.kind == "codeowners":
            continue
        if f.platform:
            out.append(f.path)
            continue
        candidates = [p for p in registry if p.may_sniff(f.path)]  # content_candidates()
        text = _read(root, f.path) if candidates else ""
        if any(p.sniff(f.path, text) is not None for p in candidates):
            out.append(f.path)
    return out


def _is_ci(path: str) -> bool:
    if (classify(path) or ("",))[0] in _CI:
        return True
    parts = path.split("/")
    return parts[-1] in ("action.yml", "action.yaml") or (len(parts) > 1 and parts[0] == ".github")
