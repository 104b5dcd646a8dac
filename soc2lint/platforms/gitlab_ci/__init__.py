"""GitLab CI pipelines (`.gitlab-ci.yml` and the files it includes) -> Resources.

Each file becomes a `gitlab_pipeline` (address: the path) and each `include:` entry a
`gitlab_include` (`<path>:include[<n>]`). Each job becomes a `gitlab_job` (`<path>:<job name>`,
the path of the file that defines it; of the last one when several do). Hidden jobs (`.name`)
are templates, not jobs.

A pipeline is read as GitLab merges it (`parse_pipeline`): the files it includes locally come
first, in include order and each after the files it includes itself, the main file last; a key
written in several files is merged deeply, the later file winning. Over that merged configuration
`extends:` is resolved (hashes merged deeply, the job winning; a list of parents in order; nested
up to GitLab's limit), `!reference [key, ...]` is replaced by what it names, and a job's effective
`image`, `services`, `before_script` and `after_script` come from the job, else `default:`, else
the deprecated top-level keywords. Every value stays located where it is written, in whichever
file. Includes are never fetched: `local_includes` lists the paths, and the scan reads them from
the repository and hands them back (`local_includes.read_local_includes`; `include_locations`
reads them from documents, `include_pattern` matches wildcards).
"""

from __future__ import annotations

from soc2lint.model import ParseError, Resource
from soc2lint.platforms.gitlab_ci.config import Config, Source, config_document
from soc2lint.platforms.gitlab_ci.includes import include_locations, include_pattern
from soc2lint.platforms.gitlab_ci.jobs import job_resource
from soc2lint.platforms.gitlab_ci.pipeline import pipeline_resources
from soc2lint.platforms.shared.yamlsrc import YamlDoc

__all__ = ["config_document", "include_locations", "include_pattern", "parse", "parse_pipeline"]


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
