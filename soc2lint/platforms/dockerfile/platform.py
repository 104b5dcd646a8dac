"""Dockerfiles as a platform: Dockerfile, *.Dockerfile, Dockerfile.* and Containerfile by name;
one resource per build stage."""

from __future__ import annotations

import re

from soc2lint.platforms.contract import Base, Parsed


class Dockerfile(Base):
    name = "dockerfile"
    claims_by_name = True  # claim() and may_sniff() read only the file name
    title = "Dockerfile"
    reads = (
        "`Dockerfile`, `*.Dockerfile`, `Dockerfile.*` and `Containerfile`, by name: each build "
        "stage is a `dockerfile_stage` (line continuations, heredocs, `# escape=`, ARG "
        "substitution in `FROM`)"
    )
    rule_platform = "dockerfile"
    rules_dir = "dockerfile"
    fixture_file = "Dockerfile"
    example_language = "dockerfile"
    type_pattern = re.compile(r"^dockerfile_[a-z_*]+$")
    resource_types = ("dockerfile_*",)

    def claim(self, path: str) -> str | None:
        name = path.rsplit("/", 1)[-1]
        if name.endswith(".dockerignore"):
            return None
        if name in ("Dockerfile", "Containerfile") or name.endswith((".Dockerfile", ".dockerfile")):
            return "dockerfile"
        if name.startswith(("Dockerfile.", "Containerfile.")):
            return "dockerfile"
        return None

    def parse(self, path: str, text: str, kind: str) -> Parsed:
        # imported here: the registry imports every platform to claim files by name
        from soc2lint.platforms.dockerfile.resources import build

        return Parsed(self.name, build(path, text))


PLATFORM = Dockerfile()
