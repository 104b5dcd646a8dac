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

import posixpath
import re
from pathlib import Path

from soc2lint import platforms
from soc2lint.pipeline.discover import Discovery, SourceFile, classify
from soc2lint.pipeline.facts import Facts, Kind, booleans, strings
from soc2lint.platforms.kubernetes.classify import might_be_kubernetes

_CI = ("github_actions", "gitlab_ci")
_YAML = ("", *_CI)  # the platforms of files the YAML context looks at ("": content decides)

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


def _text(raw: bytes) -> str:
    """A file's text as read_text(errors="replace") gives it, newlines made "\n"."""
    text = raw.decode("utf-8", "replace")
    return text.replace("\r\n", "\n").replace("\r", "\n") if b"\r" in raw else text


def _sources(path: str, raw: bytes) -> list[str]:
    """The local module sources a Terraform file names (as written)."""
    if not path.endswith((".tf", ".tf.json")) or b"source" not in raw:
        return []
    return [found.decode("utf-8", "replace") for found in _MODULE_SOURCE.findall(raw)]


def _sniffed(path: str, raw: bytes) -> bool:
    """Whether a platform that decides by content calls the file its own."""
    candidates = [p for p in platforms.platforms() if p.may_sniff(path)]
    text = _text(raw) if candidates else ""
    return any(p.sniff(path, text) is not None for p in candidates)


def _manifest(path: str, raw: bytes) -> list:
    """[might be a manifest, the namespaces it names, what it lists when it is a
    kustomization]."""
    text = _text(raw)
    listed = _LISTED.findall(text) if path.rsplit("/", 1)[-1] in _RENDERED[:3] else []
    spaces = sorted(set(_NAMESPACE.findall(text))) if "namespace" in text else []
    return [might_be_kubernetes(text), spaces, listed]


def _valid_manifests(values: list) -> bool:
    if not set(map(type, values)) <= {list} or not set(map(len, values)) <= {3}:
        return False
    return (
        booleans([v[0] for v in values])
        and strings([v[1] for v in values])
        and strings([v[2] for v in values])
    )


# what the scope asks of files, remembered between runs (pipeline.facts)
KINDS = {
    "sources": Kind(_sources, strings),
    "infrastructure": Kind(_sniffed, booleans),
    "manifest": Kind(_manifest, _valid_manifests),
}


def _kinds(f: SourceFile, registry: list[platforms.Platform]) -> tuple[str, ...]:
    """The facts a scoped scan may ask of a file."""
    if f.platform == "terraform":
        return ("sources",) if f.path.endswith((".tf", ".tf.json")) else ()
    if f.platform not in _YAML:
        return ()
    sniffed = f.platform == "" and any(p.may_sniff(f.path) for p in registry)
    return (*(("infrastructure",) if sniffed else ()), *(() if _is_ci(f) else ("manifest",)))


def facts_for(root: Path, found: Discovery, cache_dir: str | None) -> Facts:
    """The facts of the files found (one object per walk), remembered in cache_dir if any."""
    if not isinstance(found.facts, Facts):
        registry = platforms.platforms()
        files: dict[str, SourceFile] = {}  # made on the first file read (none, most runs)

        def kinds_of(path: str) -> tuple[str, ...]:
            if not files:
                files.update((f.path, f) for f in found.files)
            return _kinds(files[path], registry) if path in files else ()

        found.facts = Facts(
            root, KINDS, cache_dir, found.signatures, found.started_ns, kinds_of=kinds_of
        )
    return found.facts


def remember(root: Path, found: Discovery, cache_dir: str, whole: bool) -> None:
    """Take and store every fact a later scoped scan of this tree will ask (a whole scan does
    this, so that the first pre-commit scan after it reads only what changed since). whole: the
    walk covered the whole tree (what it did not find is gone)."""
    facts = facts_for(root, found, cache_dir)
    if facts.cache is None:
        return  # nowhere to keep them
    registry = platforms.platforms()
    for f in found.files:
        kinds = _kinds(f, registry)
        if kinds:
            facts.take_all(f.path, kinds)
    facts.save(prune=whole)


def context(
    root: Path,
    files: list[SourceFile],
    changed: set[str],
    var_files: set[str] = frozenset(),
    facts: Facts | None = None,
) -> set[str]:
    """The paths (of files) to parse for a scan that reports on changed. var_files: the
    --var-file paths (repository-relative); a changed one reaches every Terraform root.
    facts: what is known of the files (facts_for), else every file asked about is read."""
    if any(p.rsplit("/", 1)[-1] == "CODEOWNERS" for p in changed):
        # CODEOWNERS rules weigh it against every infrastructure file the scan finds
        return {f.path for f in files}
    wanted = {f.path for f in files if f.path in changed or f.kind == "codeowners"}
    terraform = [f for f in files if f.platform == "terraform"]
    if var_files & changed:
        wanted |= {f.path for f in terraform}
    yaml = [f for f in files if f.platform in _YAML]
    facts = facts if facts is not None else Facts(root, KINDS)
    wanted |= _terraform_context(facts, terraform, changed)
    wanted |= _yaml_context(facts, yaml, changed)
    return wanted


def _terraform_context(facts: Facts, files: list[SourceFile], changed: set[str]) -> set[str]:
    by_dir: dict[str, list[str]] = {}
    for f in files:
        by_dir.setdefault(f.path.rpartition("/")[0], []).append(f.path)
    callers: dict[str, set[str]] = {}  # module directory -> directories that call it
    modules = [f.path for f in files if f.path.endswith((".tf", ".tf.json"))]
    normpath = posixpath.normpath
    for path, sources in zip(modules, facts.many(modules, "sources"), strict=True):
        if not sources:
            continue
        directory = path.rpartition("/")[0]
        for source in sources:
            joined = f"{directory}/{source}" if directory else source
            if joined.startswith("/"):
                target = _climb(joined)
            else:  # _normal, written out: a monorepo's files name tens of thousands
                target = normpath(joined)
                if target == ".." or target.startswith("../"):
                    continue
                target = "" if target == "." else target
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
    """a/b/../c -> a/c; None when it climbs out of the repository. A relative path goes
    through posixpath.normpath (C code on Python 3.11 and later), which keeps a ".." that
    climbs above the start at the front: it climbs out exactly when _climb() says so."""
    if path.startswith("/"):
        return _climb(path)
    out = posixpath.normpath(path)
    if out == ".." or out.startswith("../"):
        return None
    return "" if out == "." else out


def _climb(path: str) -> str | None:
    """_normal, part by part (the reference; and for a path from the root)."""
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


def _yaml_context(facts: Facts, files: list[SourceFile], changed: set[str]) -> set[str]:
    if not any(f.path in changed for f in files):
        return set()  # no YAML changed: nothing to read
    out: set[str] = set()
    ci = {f.path for f in files if _is_ci(f)}
    # path -> [might be a manifest, namespaces named, listed (a kustomization)]
    asked = [f.path for f in files if f.path not in ci]
    texts = dict(zip(asked, facts.many(asked, "manifest"), strict=True))
    # a changed YAML file that is no manifest may be a file a GitLab pipeline includes
    included = any(p in texts and not texts[p][0] for p in changed)
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
        spaces |= set(texts[f.path][1]) or {"default"}
    for g in inside:
        spaces |= set(texts[g.path][1])
    for f in manifests:
        kubernetes, names, _listed = texts[f.path]
        if not kubernetes:
            continue
        named = set(names)
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


def _renderers(texts: dict[str, list], rendered: list[str]) -> dict[str, set[str]]:
    """For each rendered directory, the rendered directories whose kustomization lists it (or a
    file in it) among resources, bases, components or patches. texts: the manifest facts."""
    out: dict[str, set[str]] = {}
    for directory in rendered:
        for name in _RENDERED[:3]:
            path = f"{directory}/{name}" if directory else name
            for listed in texts[path][2] if path in texts else ():
                target = _normal(f"{directory}/{listed}" if directory else listed)
                if target is None:
                    continue
                used = _enclosing(target + "/", rendered)
                if used is not None and used != directory:
                    out.setdefault(used, set()).add(directory)
    return out


def infrastructure(root: Path, files: list[SourceFile], facts: Facts | None = None) -> list[str]:
    """Which of files a whole scan would read as infrastructure (Terraform, pipelines,
    manifests), told from names and a cheap look at the text, without parsing. facts: what is
    known of the files (facts_for), else every file no platform claims by path is read."""
    facts = facts if facts is not None else Facts(root, KINDS)
    # a file no platform claims by path is one some platform may sniff (discover keeps no
    # other); the fact itself asks content_candidates() (a file none may sniff is not ours)
    sniffed = [f.path for f in files if not f.platform and f.kind != "codeowners"]
    taken = {
        p for p, yes in zip(sniffed, facts.many(sniffed, "infrastructure"), strict=True) if yes
    }
    return [f.path for f in files if f.kind != "codeowners" and (f.platform or f.path in taken)]


def _is_ci(f: SourceFile) -> bool:
    """A pipeline file, or one in a pipeline's reach (an action, anything under .github/)."""
    if f.platform in _CI:  # what classify() gave the walk
        return True
    parts = f.path.split("/")
    return parts[-1] in ("action.yml", "action.yaml") or (len(parts) > 1 and parts[0] == ".github")
