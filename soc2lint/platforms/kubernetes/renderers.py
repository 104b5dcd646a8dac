"""Kustomize overlays and Helm charts, rendered by their own tools when those are installed.

soc2lint never downloads a tool: it uses `kustomize build` or `kubectl kustomize`, and
`helm template`, from PATH. A rendered object is attributed to the file that declares it: for
kustomize, the origin kustomize records (`buildMetadata: [originAnnotations]`, requested from a
wrapper kustomization in a temporary directory, never in the user's tree), else a manifest the
kustomization reads whose name, with the build's namePrefix and nameSuffix, is the rendered name;
for Helm, the template its `# Source:` comment names. Failing all that, the kustomization or chart
itself.
"""

from __future__ import annotations

import functools
import json
import os
import re
import shutil
import subprocess
import tempfile
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from soc2lint.model import Location, ParseError, Resource, Skipped
from soc2lint.platforms.kubernetes import helm_sources
from soc2lint.platforms.kubernetes import kustomization as kz
from soc2lint.platforms.kubernetes import objects as kubernetes
from soc2lint.platforms.shared.yamlsrc import load_documents

KUSTOMIZATION_NAMES = kz.KUSTOMIZATION_NAMES
TIMEOUT_SECONDS = 60
MAX_REASON = 500  # characters of a tool's error kept in the report
ORIGIN = "config.kubernetes.io/origin"


@dataclass
class Rendered:
    resources: list[Resource]
    errors: list[ParseError]
    note: str


@dataclass
class Outcome:
    """Every kustomization and chart under the scanned paths, rendered where possible."""

    resources: list[Resource]
    errors: list[ParseError] = field(default_factory=list)
    notes: list[dict] = field(default_factory=list)
    # False when the result depends on more than the scanned files and the tools' identity: a
    # tool that could not run (it may next time), a kustomization reading outside the repository
    reusable: bool = True
    charts: list[str] = field(default_factory=list)  # chart directories rendered

    def in_rendered_chart(self, path: str) -> bool:
        return any(_under(path, c) for c in self.charts)


def kustomize_command() -> list[str] | None:
    if shutil.which("kustomize"):
        return ["kustomize", "build"]
    if shutil.which("kubectl"):
        return ["kubectl", "kustomize"]
    return None


def helm_command() -> list[str] | None:
    return ["helm", "template"] if shutil.which("helm") else None


def find_roots(paths: list[str]) -> tuple[list[str], list[str]]:
    """(kustomization directories, Helm chart directories) among repository-relative paths."""
    kustomizations = sorted(
        {p.rpartition("/")[0] for p in paths if p.rsplit("/", 1)[-1] in KUSTOMIZATION_NAMES}
    )
    charts = sorted({p.rpartition("/")[0] for p in paths if p.rsplit("/", 1)[-1] == "Chart.yaml"})
    return kustomizations, charts


def render_all(
    root: Path, paths: list[str], resources: list[Resource], options: Any = None
) -> Outcome:
    """Replace the plain manifests a kustomization or chart renders by the rendered objects.

    Files a kustomization reads (resources, bases, components, recursively) are replaced only
    when its build succeeded; a chart's files when `helm template` did. Patches and other
    inputs a kustomization only applies are never objects of their own. Manifests beside a
    kustomization that it does not read stay plain manifests.
    """
    kustomizations, charts = find_roots(paths)
    if not kustomizations and not charts:
        return Outcome(resources)
    plain = [r for r in resources if r.platform == "kubernetes"]
    scanned = {r.location.path for r in plain}
    by_file: dict[str, list[Resource]] = {}
    for res in plain:
        by_file.setdefault(res.location.path, []).append(res)

    def declared(path: str) -> list[Resource]:
        """Objects a file declares: as scanned, else read now (outside the scanned paths)."""
        if path not in by_file:
            by_file[path] = _parse_file(root, path)
        return by_file[path]

    outcome = Outcome([])
    replaced: set[str] = set()
    never: set[str] = set()  # patches: not objects, rendered or not
    listed: set[str] = set()  # manifests some kustomization includes as objects
    added: list[Resource] = []
    infos = [kz.read(root, directory) for directory in kustomizations]
    for info, built in zip(infos, _build_all(root, infos, options), strict=True):
        outcome.reusable = outcome.reusable and not info.reads_outside
        never |= info.patches
        listed |= set(info.resources)
        rendered = _rendered(root, info, declared, built)
        outcome.errors.extend(rendered.errors)
        if rendered.resources:
            replaced |= set(info.resources)
            added.extend(rendered.resources)
            outcome.notes.append({"path": info.marker, "message": rendered.note})
            if info.outside:
                message = (
                    f"read from outside the repository: {_listed(info.outside)}; the objects "
                    "there were scanned as rendered, but their files are in no digest of this "
                    "scan or its evidence"
                )
                outcome.notes.append({"path": info.marker, "message": message})
        else:
            patches = sorted(p for p in info.patches if p in scanned and p not in listed)
            outcome.notes.append({"path": info.marker, "message": _fallback(rendered, patches)})
            if info.outside:
                message = (
                    f"not read (outside the repository): {_listed(info.outside)}; the objects "
                    "there were not scanned (not checked)"
                )
                outcome.notes.append({"path": info.marker, "message": message})
    settings = HelmSettings.of(options)
    own_charts, chart_notes = chart_roots(root, charts)
    outcome.notes.extend(chart_notes)
    for directory in own_charts:
        rendered = render_chart(root, directory, settings)
        outcome.errors.extend(rendered.errors)
        shown = _join(directory, "Chart.yaml")
        if rendered.resources:
            outcome.charts.append(directory)
            added.extend(rendered.resources)
            outcome.notes.append({"path": shown, "message": rendered.note})
        else:
            message = f"{rendered.note}; its templates were not scanned (not checked)"
            outcome.notes.append({"path": shown, "message": message})

    never -= listed  # a file one kustomization patches with, another includes: an object

    def superseded(res: Resource) -> bool:
        path = res.location.path
        return res.platform == "kubernetes" and (
            path in replaced or path in never or outcome.in_rendered_chart(path)
        )

    outcome.resources = [r for r in resources if not superseded(r)] + added
    return outcome


def render_kubernetes(
    root: Path,
    paths: list[str],
    resources: list[Resource],
    errors: list[ParseError],
    notes: list[dict],
    skipped: list[Skipped],
    options: Any = None,
) -> tuple[list[Resource], bool]:
    """Kustomizations and Helm charts rendered by their tools; else say what was not rendered.
    Also whether the result may be reused while the files and the tools are unchanged."""
    failed = runs_failed
    outcome = render_all(root, paths, resources, options)
    errors.extend(outcome.errors)
    notes.extend(outcome.notes)
    # templates of a chart helm rendered were scanned, as rendered
    skipped[:] = [s for s in skipped if not outcome.in_rendered_chart(s.path)]
    return outcome.resources, outcome.reusable and runs_failed == failed


def _listed(entries: list[str]) -> str:
    more = f" and {len(entries) - 3} more" if len(entries) > 3 else ""
    return ", ".join(entries[:3]) + more


def _fallback(rendered: Rendered, patches: list[str]) -> str:
    """What happened to a kustomization's files when it could not be built."""
    message = f"{rendered.note}; its resource files were scanned as plain manifests"
    if patches:
        more = f" and {len(patches) - 5} more" if len(patches) > 5 else ""
        shown = ", ".join(patches[:5]) + more
        message += f", its patch files ({shown}) were not: a patch is not an object of its own"
    return message


# -- kustomize ---------------------------------------------------------------------------------


def render_kustomization(
    root: Path, info: kz.Kustomization, declared: Callable[[str], list[Resource]]
) -> Rendered:
    """`kustomize build` of one kustomization, each object located in the file declaring it."""
    return _rendered(root, info, declared, _build(root, info))


@dataclass(frozen=True)
class _Built:
    """What the tool said about one kustomization: its output (None: it failed, error says
    why) and the directory it ran in (origins are relative to it)."""

    command: list[str] | None
    text: str | None
    cwd: Path
    error: str = ""


def _build(root: Path, info: kz.Kustomization) -> _Built:
    """Run the tool on one kustomization (no scan state read or written: may run in a thread)."""
    command = kustomize_command()
    base = root / info.directory if info.directory else root
    if command is None:
        return _Built(None, None, base)
    text, cwd = _build_with_origins(command, base)
    if text is None:
        text, error = _run([*command, "."], base)
        return _Built(command, text, base, error)
    return _Built(command, text, cwd)


def _build_all(root: Path, infos: list[kz.Kustomization], options: Any) -> list[_Built]:
    """_build of each kustomization, in order. Each build is a separate process of the tool
    that reads only its own files, so several run at once (as many as --jobs), the scan
    waiting for them together rather than one after another."""
    jobs = min(len(infos), getattr(options, "jobs", None) or os.cpu_count() or 1)
    if jobs <= 1 or kustomize_command() is None:
        return [_build(root, info) for info in infos]
    with ThreadPoolExecutor(max_workers=jobs) as pool:
        return list(pool.map(lambda info: _build(root, info), infos))


def _rendered(
    root: Path,
    info: kz.Kustomization,
    declared: Callable[[str], list[Resource]],
    built: _Built,
) -> Rendered:
    if built.command is None:
        return Rendered([], [], "kustomize or kubectl not found on PATH: not rendered")
    if built.text is None:
        return Rendered([], [ParseError(info.marker, 1, built.error)], built.error)
    docs, errors = load_documents(info.marker, built.text)
    resources, more = kubernetes.parse(info.marker, docs)
    origins = _Origins(root, built.cwd)
    located = [_locate_kustomized(res, origins, info, declared) for res in resources]
    return Rendered(located, errors + more, f"rendered with `{' '.join(built.command)}`")


def _build_with_origins(command: list[str], base: Path) -> tuple[str | None, Path]:
    """Build through a temporary kustomization that asks for origin annotations; None when the
    tool cannot (an old kustomize, a Component, another drive)."""
    with tempfile.TemporaryDirectory(prefix="soc2lint-kustomize-") as tmp:
        wrapper = Path(tmp)
        try:
            target = os.path.relpath(base.resolve(), wrapper.resolve())
        except ValueError:
            return None, base
        (wrapper / "kustomization.yaml").write_text(
            "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\n"
            f"resources:\n  - {json.dumps(Path(target).as_posix())}\n"
            "buildMetadata: [originAnnotations]\n",
            encoding="utf-8",
        )
        text, _error = _run([*command, "."], wrapper)
        return text, wrapper.resolve()


def _locate_kustomized(
    res: Resource,
    origins: _Origins,
    info: kz.Kustomization,
    declared: Callable[[str], list[Resource]],
) -> Resource:
    res, origin = _pop_origin(res)
    name = _name(res)
    namespace = str(res.attributes.get("namespace") or "")
    if origin is not None:
        path = origins.path(origin)
        if path is not None and isinstance(origin.get("path"), str):
            affixes = info.resources.get(path, set()) | {("", "")}
            known = [(c, affixes) for c in declared(path)]
            found = _match(res.type, name, namespace, known, loose=True)
            if found is not None:
                return _at(res, found)
            return replace(res, location=Location(path, 1, 1), attribute_locations={})
        if path is not None:  # a generator: configuredIn the kustomization that declares it
            return replace(res, location=Location(path, 1, 1), attribute_locations={})
    candidates = [
        (c, affixes)
        for path, affixes in sorted(info.resources.items())
        for c in declared(path)
        if c.type == res.type
    ]
    found = _match(res.type, name, namespace, candidates)
    if found is not None:
        return _at(res, found)
    return replace(res, location=Location(info.marker, 1, 1), attribute_locations={})


def _pop_origin(res: Resource) -> tuple[Resource, dict | None]:
    """The object without kustomize's origin annotation, and the origin it recorded."""
    meta = _meta(res)
    annotations = meta.get("annotations")
    if not isinstance(annotations, dict) or ORIGIN not in annotations:
        return res, None
    raw = annotations[ORIGIN]
    kept = {k: v for k, v in annotations.items() if k != ORIGIN}
    new_meta = {k: v for k, v in meta.items() if k != "annotations"}
    if kept:
        new_meta["annotations"] = kept
    attributes = {**res.attributes, "metadata": new_meta}
    origin = _origin(raw) if isinstance(raw, str) else None
    return replace(res, attributes=attributes), origin


@functools.lru_cache(maxsize=4096)
def _origin(raw: str) -> dict | None:
    """An origin annotation read (the objects of one file carry the same text): shared, so
    read-only."""
    docs, _errors = load_documents("origin", raw)
    return docs[0].data if docs and isinstance(docs[0].data, dict) else None


class _Origins:
    """The repository-relative files origins name, for one build (its directory): each
    relative path resolved once, however many objects come from that file."""

    def __init__(self, root: Path, cwd: Path) -> None:
        self.root, self.cwd = root, cwd
        self._root_resolved: Path | None = None
        self._paths: dict[str, str | None] = {}

    def path(self, origin: dict) -> str | None:
        """The file an origin names (path, or configuredIn for generators)."""
        rel = origin.get("path") or origin.get("configuredIn")
        if not isinstance(rel, str) or origin.get("repo"):
            return None
        if rel not in self._paths:
            self._paths[rel] = self._relative(rel)
        return self._paths[rel]

    def _relative(self, rel: str) -> str | None:
        if self._root_resolved is None:
            self._root_resolved = self.root.resolve()
        full = (self.cwd / rel).resolve()
        try:
            return full.relative_to(self._root_resolved).as_posix()
        except ValueError:
            return None


def _match(
    kind: str,
    name: str,
    namespace: str,
    candidates: list[tuple[Resource, set[tuple[str, str]]]],
    loose: bool = False,
) -> Resource | None:
    """The declared object a rendered one comes from: the same kind, a name the build's
    namePrefix and nameSuffix (given with each candidate) turn into the rendered name, and
    among several, the one that names the same namespace, else one that names none.
    loose (the declaring file is known): else the longest declared name within the rendered
    one, else the file's only object of that kind."""
    same_kind = [(c, a) for c, a in candidates if c.type == kind]
    named = [c for c, a in same_kind if any(name == f"{p}{_name(c)}{s}" for p, s in a)]
    if not named and loose:
        inside = [c for c, _a in same_kind if _name(c) in name]
        longest = max((len(_name(c)) for c in inside), default=0)
        named = [c for c in inside if len(_name(c)) == longest] or (
            [same_kind[0][0]] if len(same_kind) == 1 else []
        )
    if not named:
        return None

    def rank(c: Resource) -> int:
        written = _meta(c).get("namespace")
        return 0 if written == namespace else (1 if not written else 2)

    return min(named, key=rank)


def _meta(res: Resource) -> dict:
    meta = res.attributes.get("metadata")
    return meta if isinstance(meta, dict) else {}


def _name(res: Resource) -> str:
    return str(_meta(res).get("name"))


def _at(res: Resource, origin: Resource) -> Resource:
    """The rendered values, located in the file that declares the object."""
    return replace(res, location=origin.location, attribute_locations=origin.attribute_locations)


def _parse_file(root: Path, path: str) -> list[Resource]:
    full = (root / path).resolve()
    try:
        full.relative_to(root.resolve())
        text = full.read_text(encoding="utf-8")
    except (ValueError, OSError, UnicodeDecodeError):
        return []
    docs, _errors = load_documents(path, text)
    resources, _more = kubernetes.parse(path, docs)
    return resources


# -- helm --------------------------------------------------------------------------------------


@dataclass
class HelmSettings:
    """How charts are rendered: values files and --set for every chart, per-chart settings
    (absolute chart directory -> {values, set, release, namespace}), the cluster version."""

    values: list[str] = field(default_factory=list)
    sets: list[str] = field(default_factory=list)
    charts: dict[str, dict] = field(default_factory=dict)
    kube_version: str | None = None
    api_versions: list[str] = field(default_factory=list)

    @classmethod
    def of(cls, options: Any) -> HelmSettings:
        if options is None:
            return cls()
        return cls(
            list(getattr(options, "helm_values", []) or []),
            list(getattr(options, "helm_set", []) or []),
            dict(getattr(options, "helm_charts", {}) or {}),
            getattr(options, "kube_version", None),
            list(getattr(options, "api_versions", []) or []),
        )

    def for_chart(self, base: Path) -> dict:
        """The chart's own settings from the configuration, else none."""
        here = base.resolve()
        return next((c for d, c in self.charts.items() if Path(d).resolve() == here), {})


# environment of `helm template`: no user repositories, plugins or registry logins, no cluster
OFFLINE_ENV = ("HELM_CACHE_HOME", "HELM_CONFIG_HOME", "HELM_DATA_HOME")


def chart_roots(root: Path, charts: list[str]) -> tuple[list[str], list[dict]]:
    """Charts to render on their own, and notes on the others: a subchart vendored in a parent's
    charts/ is rendered with its parent, a library chart only as a dependency."""
    own, notes = [], []
    for directory in charts:
        parent = next(
            (c for c in charts if c != directory and directory.startswith(_join(c, "charts/"))),
            None,
        )
        marker = _join(directory, "Chart.yaml")
        if parent is not None:
            continue  # rendered as part of its parent
        meta = _chart_meta(root / directory if directory else root)
        if meta.get("type") == "library":
            notes.append(
                {
                    "path": marker,
                    "message": "library chart: rendered only as a "
                    "dependency of the charts that use it",
                }
            )
            continue
        own.append(directory)
    return own, notes


def _chart_meta(base: Path, name: str = "Chart.yaml") -> dict:
    try:
        docs, _errors = load_documents(name, (base / name).read_text("utf-8"))
    except (OSError, UnicodeDecodeError):
        return {}
    data = docs[0].data if docs else None
    return data if isinstance(data, dict) else {}


def _dependencies(base: Path, meta: dict) -> list[dict]:
    deps = meta.get("dependencies")
    if not isinstance(deps, list):  # apiVersion v1 charts: requirements.yaml
        deps = _chart_meta(base, "requirements.yaml").get("dependencies")
    return [d for d in deps or [] if isinstance(d, dict) and isinstance(d.get("name"), str)]


def _vendored(base: Path, dep: dict) -> bool:
    """The dependency is in charts/: unpacked (a directory with a Chart.yaml of that name) or
    as the archive `helm dependency build` leaves there."""
    charts = base / "charts"
    if not charts.is_dir():
        return False
    name = dep["name"]
    if (charts / name / "Chart.yaml").is_file():
        return True
    for archive in charts.glob(f"{name}-*.tgz"):
        rest = archive.name[len(name) + 1 : -4]
        if rest[:1].isdigit() or rest[:1] == "v":
            return True
    for sub in charts.iterdir():
        if (sub / "Chart.yaml").is_file() and _chart_meta(sub).get("name") == name:
            return True
    if isinstance(dep.get("repository"), str) and dep["repository"].startswith("file://"):
        return (base / dep["repository"][7:] / "Chart.yaml").is_file()
    return False


def render_chart(root: Path, directory: str, settings: HelmSettings | None = None) -> Rendered:
    """`helm template` of one chart, each object located in the template that produced it.

    helm never reaches the network here: dependencies are not updated (no
    --dependency-update), helm's repository, registry and plugin homes are an empty temporary
    directory, KUBECONFIG is empty and no --validate/--dry-run=server is passed, so `lookup`
    finds nothing. A dependency missing from charts/ is left out of the rendering and named.
    """
    settings = settings or HelmSettings()
    command = helm_command()
    marker = _join(directory, "Chart.yaml")
    if command is None:
        return Rendered([], [], "helm not found on PATH: not rendered")
    base = root / directory if directory else root
    meta = _chart_meta(base)
    missing = [d["name"] for d in _dependencies(base, meta) if not _vendored(base, d)]
    own = settings.for_chart(base)
    release = str(own.get("release") or "release-name")  # helm's own default
    common = [*command, release, ".", "--include-crds"]
    if own.get("namespace"):
        common += ["--namespace", str(own["namespace"])]
    if settings.kube_version:
        common += ["--kube-version", settings.kube_version]
    for api in settings.api_versions:
        common += ["--api-versions", api]
    values = [*own.get("values", []), *settings.values]
    sets = [str(item) for item in [*own.get("set", []), *settings.sets]]
    # the user's inputs in the order helm applies them: values files, then --set
    inputs = [
        helm_sources.Input(
            f"values file {_show_path(root, v)}",
            _show_path(root, v),
            ("--values", str(Path(v).resolve())),
        )
        for v in values
    ] + [helm_sources.Input(f"--set {item}", "", ("--set", item)) for item in sets]
    earlier: list[str | None] = []
    again: str | None = None
    with tempfile.TemporaryDirectory(prefix="soc2lint-helm-") as home:
        env = {**os.environ, **{k: home for k in OFFLINE_ENV}, "KUBECONFIG": os.devnull}
        env["HELM_REGISTRY_CONFIG"] = os.path.join(home, "registry.json")
        env["HELM_REPOSITORY_CONFIG"] = os.path.join(home, "repositories.yaml")
        cwd = base
        if missing:
            cwd = Path(home) / "chart"
            _copy_without(base, cwd, set(missing))
        text, error = _run(helm_sources.command(common, inputs), cwd, env)
        if text is not None and inputs:
            # rendered again with only the inputs before each one: findings name the input a
            # value came from (helm_sources)
            for k in range(len(inputs)):
                earlier.append(_run(helm_sources.command(common, inputs[:k]), cwd, env)[0])
            # and again with every input: values that differ are made at random
            again = _run(helm_sources.command(common, inputs), cwd, env)[0]
    shown = ["helm template"]
    if values:
        shown.append("values " + ", ".join(_show_path(root, v) for v in values))
    if sets:
        shown.append("--set " + ", ".join(sets))
    gap = (
        f"; dependencies not vendored in charts/ were not checked (never fetched): "
        f"{', '.join(missing)}"
        if missing
        else ""
    )
    if text is None:
        return Rendered([], [ParseError(marker, 1, error)], error + gap)
    docs, errors = load_documents(marker, text)
    resources, more = kubernetes.parse(marker, docs)
    sources = _helm_sources(text)
    located = [_locate_templated(res, marker, sources, base, directory) for res in resources]
    if inputs:
        keys = helm_sources.keys(resources, sources)
        before = [_parsed_render(marker, t) for t in earlier]
        repeat = _parsed_render(marker, again)
        located = helm_sources.attach(located, keys, inputs, before, repeat)
    note = f"rendered with `{' '.join(command)}`"
    if len(shown) > 1:
        note += " (" + "; ".join(shown[1:]) + ")"
    return Rendered(located, errors + more, note + gap)


def _parsed_render(
    marker: str, text: str | None
) -> list[tuple[helm_sources.Key, dict[str, Any]]] | None:
    """(key, attributes) of each object of an earlier rendering; None when it failed."""
    if text is None:
        return None
    docs, _errors = load_documents(marker, text)
    resources, _more = kubernetes.parse(marker, docs)
    keys = helm_sources.keys(resources, _helm_sources(text))
    return [(k, r.attributes) for k, r in zip(keys, resources, strict=True)]


def _show_path(root: Path, name: str) -> str:
    full = Path(name).resolve()
    try:
        return full.relative_to(root.resolve()).as_posix()
    except ValueError:
        return str(name)


def _copy_without(base: Path, target: Path, missing: set[str]) -> None:
    """A copy of the chart whose dependency list leaves out the ones not vendored."""
    shutil.copytree(base, target, symlinks=True)
    for name in ("Chart.yaml", "requirements.yaml"):
        path = target / name
        if not path.is_file():
            continue
        docs, _errors = load_documents(name, path.read_text(encoding="utf-8"))
        data = docs[0].data if docs and isinstance(docs[0].data, dict) else None
        if data is None or not isinstance(data.get("dependencies"), list):
            continue
        deps = data["dependencies"]
        data["dependencies"] = [
            d for d in deps if not isinstance(d, dict) or d.get("name") not in missing
        ]
        path.write_text(json.dumps(data), encoding="utf-8")  # JSON is YAML
    (target / "Chart.lock").unlink(missing_ok=True)
    (target / "requirements.lock").unlink(missing_ok=True)


_SOURCE = re.compile(r"^# Source: (.+)$", re.M)


def _helm_sources(text: str) -> list[tuple[int, str]]:
    """(line, chart-relative template path) of each of Helm's `# Source:` comments."""
    return [
        (text.count("\n", 0, m.start()) + 1, m.group(1).strip().split("/", 1)[-1])
        for m in _SOURCE.finditer(text)
    ]


def _locate_templated(
    res: Resource, marker: str, sources: list[tuple[int, str]], base: Path, directory: str
) -> Resource:
    template = next((t for line, t in reversed(sources) if line <= res.location.start_line), None)
    if template is None:
        return replace(res, location=Location(marker, 1, 1), attribute_locations={})
    if not (base / template).is_file():
        # a template of a subchart vendored as an archive: the archive
        archive = _archive_of(base, template)
        if archive is None:
            return replace(res, location=Location(marker, 1, 1), attribute_locations={})
        return replace(
            res, location=Location(_join(directory, archive), 1, 1), attribute_locations={}
        )
    line = _kind_line(base / template, res.type)
    path = _join(directory, template)
    return replace(res, location=Location(path, line, line), attribute_locations={})


def _archive_of(base: Path, template: str) -> str | None:
    """charts/<name>-<version>.tgz holding `charts/<name>/templates/...`, if there is one."""
    parts = template.split("/")
    if len(parts) < 3 or parts[0] != "charts":
        return None
    found = sorted((base / "charts").glob(f"{parts[1]}-*.tgz"))
    return f"charts/{found[0].name}" if found else None


def _kind_line(path: Path, kind: str) -> int:
    """The line of `kind: <kind>` in a template, else 1."""
    try:
        lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return 1
    pattern = re.compile(rf"^\s*kind:\s*{re.escape(kind)}\s*$")
    return next((i + 1 for i, text in enumerate(lines) if pattern.match(text)), 1)


# -- running a tool ----------------------------------------------------------------------------


# tool runs that failed for a reason outside the input (could not start, timed out): a result
# holding one is not reused, as the next run may succeed
runs_failed = 0
_runs_lock = threading.Lock()


def _run(
    command: list[str], cwd: Path, env: dict[str, str] | None = None
) -> tuple[str | None, str]:
    shown = (
        " ".join(command[:2])
        if command[:2] == ["helm", "template"]
        else (" ".join(c for c in command if c != "."))
    )
    try:
        proc = subprocess.run(
            command,
            cwd=cwd,
            capture_output=True,
            text=True,
            timeout=TIMEOUT_SECONDS,
            check=False,
            stdin=subprocess.DEVNULL,
            env=env,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        global runs_failed
        with _runs_lock:  # kustomizations are built in threads
            runs_failed += 1
        return None, f"{shown} failed: {exc}"
    if proc.returncode != 0:
        return None, f"{shown} failed: {failure_reason(proc.stderr)}"
    return proc.stdout, ""


# klog's prefix on kubectl's errors: `E1127 16:38:08.401094   8530 run.go:72] `
_KLOG = re.compile(r"^[EWIF]\d{4} \d{2}:\d{2}:\d{2}\.\d+\s+\d+ \S+:\d+\] ")
_NOISE = ("usage:", "examples:", "flags:", "global flags:", "use --debug", 'use "')


def failure_reason(stderr: str) -> str:
    """The meaningful lines of a tool's error output, one line, capped: kubectl's multi-line
    `err=<` ... `>` blocks unwrapped, log prefixes and help text dropped."""
    parts: list[str] = []
    for raw in stderr.splitlines():
        line = _KLOG.sub("", raw.strip())
        line = re.sub(r'^"command failed" err=', "", line).strip()
        if line in ("", "<", ">"):
            continue
        if line.lower().startswith(_NOISE):
            break
        if line.startswith('"') and line.endswith('"'):
            line = _unquote(line)
        parts.append(line)
    text = re.sub(r"\s+", " ", " ".join(parts)).strip() or "no output"
    return text if len(text) <= MAX_REASON else text[: MAX_REASON - 1] + "…"


def _unquote(text: str) -> str:
    try:
        value: Any = json.loads(text)
    except ValueError:
        return text
    return value if isinstance(value, str) else text


def _join(directory: str, name: str) -> str:
    return f"{directory}/{name}" if directory else name


def _under(path: str, directory: str) -> bool:
    return not directory or path.startswith(directory + "/")
