"""Kustomize overlays and Helm charts, rendered by their own tools when those are installed.

soc2lint never downloads a tool: it uses `kustomize build` or `kubectl kustomize`, and
`helm template`, from PATH. Findings in rendered objects are attributed to the file that declares
the object (matched by kind and name), else to the kustomization or chart itself.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from dataclasses import dataclass, replace
from pathlib import Path

from soc2lint.model import Location, ParseError, Resource
from soc2lint.parsers import kubernetes
from soc2lint.parsers.yamlsrc import load_documents

KUSTOMIZATION_NAMES = ("kustomization.yaml", "kustomization.yml", "Kustomization")
TIMEOUT_SECONDS = 60


@dataclass
class Rendered:
    resources: list[Resource]
    errors: list[ParseError]
    note: str


def kustomize_command() -> list[str] | None:
    if shutil.which("kustomize"):
        return ["kustomize", "build"]
    if shutil.which("kubectl"):
        return ["kubectl", "kustomize"]
    return None


def helm_command() -> list[str] | None:
    return ["helm", "template"] if shutil.which("helm") else None


def _run(command: list[str], cwd: Path) -> tuple[str | None, str]:
    try:
        proc = subprocess.run(
            command,
            cwd=cwd,
            capture_output=True,
            text=True,
            timeout=TIMEOUT_SECONDS,
            check=False,
            stdin=subprocess.DEVNULL,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        return None, f"{command[0]} failed: {exc}"
    if proc.returncode != 0:
        first = (proc.stderr.strip().splitlines() or ["no output"])[-1]
        return None, f"{' '.join(command)} failed: {first[:300]}"
    return proc.stdout, ""


def render(
    kind: str, directory: str, root: Path, declared: dict[tuple[str, str], Resource]
) -> Rendered:
    """Render a kustomization ("kustomize") or chart ("helm") directory into Resources.

    declared maps (kind, name) to a resource parsed from a plain file, used for locations.
    """
    base = root / directory if directory else root
    command = kustomize_command() if kind == "kustomize" else helm_command()
    marker = _marker_file(base, kind)
    if command is None:
        tool = "kustomize or kubectl" if kind == "kustomize" else "helm"
        return Rendered([], [], f"{tool} not found on PATH: not rendered")
    text, error = _run([*command, "."], base)
    if text is None:
        return Rendered([], [ParseError(marker, 1, error)], error)
    shown = f"{directory}/{marker}" if directory else marker
    docs, errors = load_documents(shown, text)
    resources, more = kubernetes.parse(shown, docs)
    sources = _helm_sources(text) if kind == "helm" else []
    located = [_locate(res, declared, shown, sources, base, directory) for res in resources]
    via = " ".join(command)
    return Rendered(located, errors + more, f"rendered with `{via}`")


def _marker_file(base: Path, kind: str) -> str:
    if kind == "helm":
        return "Chart.yaml"
    for name in KUSTOMIZATION_NAMES:
        if (base / name).exists():
            return name
    return KUSTOMIZATION_NAMES[0]


_SOURCE = re.compile(r"^# Source: (.+)$", re.M)


def _helm_sources(text: str) -> list[tuple[int, str]]:
    """(line, chart-relative template path) of each of Helm's `# Source:` comments."""
    return [
        (text.count("\n", 0, m.start()) + 1, m.group(1).strip().split("/", 1)[-1])
        for m in _SOURCE.finditer(text)
    ]


def _locate(
    res: Resource,
    declared: dict[tuple[str, str], Resource],
    shown: str,
    sources: list[tuple[int, str]],
    base: Path,
    directory: str,
) -> Resource:
    meta = res.attributes.get("metadata") or {}
    name = str(meta.get("name")) if isinstance(meta, dict) else ""
    origin = declared.get((res.type, name))
    if origin is not None:
        # the rendered values, located in the file that declares the object
        return replace(
            res,
            location=origin.location,
            attribute_locations=origin.attribute_locations,
        )
    template = next((t for line, t in reversed(sources) if line <= res.location.start_line), None)
    if template is not None:
        path = f"{directory}/{template}" if directory else template
        line = _kind_line(base / template, res.type)
        return replace(res, location=Location(path, line, line), attribute_locations={})
    return replace(res, location=Location(shown, 1, 1), attribute_locations={})


def _kind_line(path: Path, kind: str) -> int:
    """The line of `kind: <kind>` in a template, else 1."""
    try:
        lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return 1
    pattern = re.compile(rf"^\s*kind:\s*{re.escape(kind)}\s*$")
    return next((i + 1 for i, text in enumerate(lines) if pattern.match(text)), 1)


def find_roots(paths: list[str]) -> tuple[list[str], list[str]]:
    """(kustomization directories, Helm chart directories) among repository-relative paths."""
    kustomizations = sorted(
        {p.rpartition("/")[0] for p in paths if p.rsplit("/", 1)[-1] in KUSTOMIZATION_NAMES}
    )
    charts = sorted({p.rpartition("/")[0] for p in paths if p.rsplit("/", 1)[-1] == "Chart.yaml"})
    return kustomizations, charts
