"""Docker Compose as a platform: compose files by name, one resource per service."""

from __future__ import annotations

import re

from soc2lint.platforms.contract import Base, Parsed

# docker-compose.yml, compose.yaml, docker-compose.prod.yml, compose.override.yaml
_NAME = re.compile(r"(^|/)(docker-)?compose(\.[\w.-]+)?\.ya?ml$")


class DockerCompose(Base):
    name = "docker_compose"
    claims_by_name = True  # claim() and may_sniff() read only the file name
    title = "Docker Compose"
    reads = (
        "`compose.yaml`, `docker-compose.yml` and their variants (`docker-compose.prod.yml`, "
        "`compose.override.yaml`), by name: each service is a `compose_service` (`${VAR}` "
        "interpolation with defaults, anchors and merge keys, `extends` within the file)"
    )
    rule_platform = "docker_compose"
    rules_dir = "docker_compose"
    fixture_file = "docker-compose.yml"
    type_pattern = re.compile(r"^compose_[a-z_*]+$")
    resource_types = ("compose_*",)

    def claim(self, path: str) -> str | None:
        return "compose" if _NAME.search(path) else None

    def parse(self, path: str, text: str, kind: str) -> Parsed:
        # imported here: the registry imports every platform to claim files by name
        from soc2lint.platforms.docker_compose.services import build
        from soc2lint.platforms.shared.yamlsrc import load_documents

        docs, errors = load_documents(path, text)
        resources = []
        for doc in docs[:1]:  # Compose reads the first document of the file
            found, more = build(path, doc)
            resources += found
            errors += more
        return Parsed(self.name, resources, errors)


PLATFORM = DockerCompose()
