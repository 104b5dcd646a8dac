"""A pipeline's local includes, read from the repository so that it is parsed as one pipeline."""

from __future__ import annotations

import os
import posixpath
from pathlib import Path

from soc2lint.model import ParseError, Resource
from soc2lint.pipeline.discover import SourceFile, read_text
from soc2lint.platforms.gitlab_ci.documents import parse_pipeline
from soc2lint.platforms.gitlab_ci.includes import include_locations, include_pattern
from soc2lint.platforms.shared.yamlsrc import YamlDoc, load_documents


def read_local_includes(
    root: Path,
    resources: list[Resource],
    files: dict[str, str],
    errors: list[ParseError],
    max_bytes: int,
) -> list[Resource]:
    """A .gitlab-ci.yml and the files it includes with `include: local:` are one pipeline.

    Local includes are read (paths from the directory of the pipeline's main file, the project;
    wildcards expanded, sorted; nothing outside the project or the repository) and each pipeline is
    parsed again with all its files, so that `extends:`, `!reference` and `default:` resolve
    across them. The pipelines' own resources are taken out of `resources`; the resources of
    every file of those pipelines are returned.
    """
    max_matches = 1000  # a wildcard include names at most this many files
    loaded: dict[str, list[YamlDoc] | None] = {}

    def load(path: str) -> list[YamlDoc] | None:
        if path not in loaded:
            loaded[path] = None
            full = (root / path).resolve()
            if full.is_file() and root in full.parents:
                source = SourceFile(path, str(full), "gitlab_ci", "pipeline")
                text, digest, skip = read_text(source, max_bytes)
                if text is not None and skip is None:
                    docs, problems = load_documents(path, text)
                    if path not in files:  # the main files' problems are already reported
                        files[path] = digest
                        errors.extend(problems)
                    loaded[path] = docs
        return loaded[path]

    def expand(base: str, location: str) -> list[str]:
        rel = posixpath.normpath(posixpath.join(base, location.lstrip("/")))
        if rel == ".." or rel.startswith("../") or (base and not rel.startswith(base + "/")):
            return []  # outside the project
        pattern = include_pattern(rel)
        if pattern is None:
            return [rel]
        static = rel.split("*")[0].split("?")[0].rpartition("/")[0]
        start = (root / static).resolve()
        if not start.is_dir() or not (start == root or root in start.parents):
            return []
        found = []
        for directory, subdirs, names in os.walk(start):
            subdirs[:] = sorted(d for d in subdirs if d != ".git")
            for name in names:
                candidate = Path(directory, name).relative_to(root).as_posix()
                if name.endswith((".yml", ".yaml")) and pattern.match(candidate):
                    found.append(candidate)
        return sorted(found)[:max_matches]

    def pipeline_files(main: str) -> tuple[list[str], dict[str, list[str]]]:
        """The files of main's pipeline in GitLab's merge order, and what each include names."""
        base = main.rpartition("/")[0]
        order: list[str] = []
        targets: dict[str, list[str]] = {}

        def visit(path: str, stack: tuple[str, ...]) -> None:
            docs = load(path)
            if docs is None or path in order or path in stack:
                return
            for location in include_locations(docs):
                targets[location] = expand(base, location)
                for target in targets[location]:
                    visit(target, (*stack, path))
            order.append(path)

        visit(main, ())
        return order, targets

    mains = sorted(
        {
            r.location.path
            for r in resources
            if r.type == "gitlab_pipeline" and r.attributes.get("local_includes")
        }
    )
    done: set[str] = set()
    out: list[Resource] = []
    for main in mains:
        if main in done:
            continue
        order, targets = pipeline_files(main)
        parsed, problems = parse_pipeline([(p, load(p) or []) for p in order], targets)
        errors.extend(problems)
        group = set(order) - done
        resources[:] = [
            r for r in resources if not (r.platform == "gitlab_ci" and r.location.path in group)
        ]
        out.extend(r for r in parsed if r.location.path in group)
        done |= group
    return out
