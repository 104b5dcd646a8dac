"""GitLab CI as a platform: `.gitlab-ci.yml` by name, its local includes read at assembly.

The registry imports every platform to claim files by name, so the pipeline reader and the
linker are imported only when a pipeline is parsed, assembled or linked."""

from __future__ import annotations

from soc2lint.platforms.contract import Assembly, Base, Parsed

PIPELINE_NAMES = (".gitlab-ci.yml", ".gitlab-ci.yaml")


class GitLabCI(Base):
    name = "gitlab_ci"
    claims_by_name = True  # claim() and may_sniff() read only the file name
    title = "GitLab CI"
    reads = (
        "`.gitlab-ci.yml` by name, with the files it includes by `include: local:` "
        "(remote, project and template includes are never fetched)"
    )
    rule_platform = "gitlab_ci"
    rules_dir = "gitlab_ci"
    fixture_file = ".gitlab-ci.yml"
    resource_types = ("gitlab_pipeline", "gitlab_job", "gitlab_include")

    def claim(self, path: str) -> str | None:
        return "pipeline" if path.rsplit("/", 1)[-1] in PIPELINE_NAMES else None

    def parse(self, path: str, text: str, kind: str) -> Parsed:
        from soc2lint.platforms.gitlab_ci.documents import parse as parse_documents
        from soc2lint.platforms.shared.yamlsrc import load_documents

        docs, errors = load_documents(path, text)
        resources, more = parse_documents(path, docs)
        return Parsed(self.name, resources, errors + more)

    def assemble(self, asm: Assembly, mine) -> None:  # type: ignore[no-untyped-def]
        # a pipeline and the files it includes locally are parsed again as one pipeline
        if not any(r.type == "gitlab_pipeline" for r in asm.resources):
            return  # no pipeline: no includes to read
        from soc2lint.platforms.gitlab_ci.local_includes import read_local_includes

        max_bytes = asm.options.max_bytes
        asm.resources.extend(
            read_local_includes(asm.root, asm.resources, asm.files, asm.errors, max_bytes)
        )

    def link(self, graph, resources) -> None:  # type: ignore[no-untyped-def]
        if not any(r.platform == self.rule_platform for r in resources):
            return
        from soc2lint.platforms.gitlab_ci.environments import link_protected_environments
        from soc2lint.platforms.shared import ci_linker

        ci_linker.link(graph, resources, self.rule_platform)
        link_protected_environments(graph, resources)


PLATFORM = GitLabCI()
