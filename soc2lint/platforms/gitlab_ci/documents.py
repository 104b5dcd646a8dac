"""A GitLab CI pipeline's files (read with their includes, or one file on its own) -> its
resources and parse errors."""

from __future__ import annotations

from soc2lint.model import ParseError, Resource
from soc2lint.platforms.gitlab_ci.config import Config, Source, config_document
from soc2lint.platforms.gitlab_ci.jobs import job_resource
from soc2lint.platforms.gitlab_ci.pipeline import pipeline_resources
from soc2lint.platforms.shared.yamlsrc import YamlDoc


def parse(path: str, docs: list[YamlDoc]) -> tuple[list[Resource], list[ParseError]]:
    """The pipeline, its jobs and its include entries, for a file read on its own."""
    return parse_pipeline([(path, docs)])


def parse_pipeline(
    files: list[tuple[str, list[YamlDoc]]], targets: dict[str, list[str]] | None = None
) -> tuple[list[Resource], list[ParseError]]:
    """The resources of one pipeline's files, given in GitLab's merge order (included files
    first, the main file last).

    targets maps a local include's location, as written, to the repository-relative files it
    names (wildcards expanded by the caller); include entries record them for the linker.
    """
    out: list[Resource] = []
    errors: list[ParseError] = []
    sources = []
    for path, docs in files:
        doc = config_document(docs)
        if doc is None:
            line = docs[0].start_line if docs else 1
            problem = "a GitLab CI file must be a mapping of jobs and keywords"
            errors.extend([ParseError(path, line, problem)] if docs else [])
            continue
        sources.append(Source(path, doc))
        out.extend(pipeline_resources(path, doc, targets or {}))
    config = Config(sources)
    for name, owner in config.jobs():
        resource, problem = job_resource(config, owner, name)
        out.append(resource)
        if problem:
            line = owner.doc.locations.get(name, (owner.doc.start_line, 1))[0]
            errors.append(ParseError(owner.path, line, problem))
    return out, errors
