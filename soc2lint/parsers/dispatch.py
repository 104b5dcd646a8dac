"""Read one source file into Resources, choosing the parser from its path and content."""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field

from soc2lint.model import ParseError, Resource
from soc2lint.parsers import classify, kubernetes
from soc2lint.parsers.yamlsrc import load_documents


@dataclass
class Parsed:
    platform: str | None  # None: not a file soc2lint reads (Helm values, compose, ...)
    resources: list[Resource] = field(default_factory=list)
    errors: list[ParseError] = field(default_factory=list)
    skip_reason: str = ""  # set when the file is one we would read but cannot (Helm template)


def _ci_parser(platform: str):  # type: ignore[no-untyped-def]
    """The CI parsers register as modules soc2lint.parsers.<platform> with parse(path, docs)."""
    try:
        return importlib.import_module(f"soc2lint.parsers.{platform}")
    except ModuleNotFoundError:
        return None


def parse_yaml_source(path: str, text: str, platform_hint: str | None = None) -> Parsed:
    """A YAML/JSON file: a workflow, an action, a pipeline, manifests, or none of ours."""
    platform = platform_hint or classify.by_path(path)
    if platform is None:
        if classify.is_helm_template(path, text):
            return Parsed(None, skip_reason="Helm chart template (render it with helm to scan)")
        name = path.rsplit("/", 1)[-1]
        if not classify.might_be_kubernetes(text) and name not in ("action.yml", "action.yaml"):
            return Parsed(None)
    docs, errors = load_documents(path, text)
    if platform is None:
        if classify.is_composite_action(path, docs):
            platform = classify.GITHUB_ACTIONS
        elif classify.is_kubernetes(docs):
            platform = classify.KUBERNETES
        elif errors and classify.might_be_kubernetes(text):
            return Parsed(classify.KUBERNETES, errors=errors)
        else:
            return Parsed(None)
    if platform == classify.KUBERNETES:
        resources, more = kubernetes.parse(path, docs)
        return Parsed(platform, resources, errors + more)
    parser = _ci_parser(platform)
    if parser is None:
        return Parsed(None)
    resources, more = parser.parse(path, docs)
    return Parsed(platform, resources, errors + more)
