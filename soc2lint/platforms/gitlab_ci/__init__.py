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

from soc2lint.platforms.shared.lazy import lazy_names

# the package's names, imported on first use: the platform registry imports every platform
# (to claim files by name), and a scan without pipelines should not load the whole parser
_LAZY = {
    "parse": "soc2lint.platforms.gitlab_ci.documents",
    "parse_pipeline": "soc2lint.platforms.gitlab_ci.documents",
    "config_document": "soc2lint.platforms.gitlab_ci.config",
    "include_locations": "soc2lint.platforms.gitlab_ci.includes",
    "include_pattern": "soc2lint.platforms.gitlab_ci.includes",
}
__getattr__ = lazy_names(__name__, _LAZY)

__all__ = ["config_document", "include_locations", "include_pattern", "parse", "parse_pipeline"]
