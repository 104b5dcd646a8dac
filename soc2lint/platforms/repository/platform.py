"""Repository governance as a platform: CODEOWNERS by name, one `repository` resource at assembly.

The resource carries `github_actions` as its platform, the name the governance rules use."""

from __future__ import annotations

from soc2lint.platforms.contract import Assembly, Base, Parsed


class Repository(Base):
    name = "repository"
    claims_by_name = True  # claim() and may_sniff() read only the file name
    title = "Repository governance"
    reads = (
        "`CODEOWNERS` (at the root, `.github/`, `docs/` or `.gitlab/`), weighed against every "
        "infrastructure file the scan reads"
    )
    rule_platform = "github_actions"
    rules_dir = "github_actions/governance"
    fixture_file = "CODEOWNERS"
    resource_types = ("repository",)
    keeps_empty_files = True  # an empty CODEOWNERS still exists (and owns nothing)

    def claim(self, path: str) -> str | None:
        return "codeowners" if path.rsplit("/", 1)[-1] == "CODEOWNERS" else None

    def parse(self, path: str, text: str, kind: str) -> Parsed:
        # read whole at assembly, against every file scanned
        return Parsed(self.name, markers=False)

    def assemble(self, asm: Assembly, mine) -> None:  # type: ignore[no-untyped-def]
        # imported here: the registry imports every platform to claim files by name
        from soc2lint.platforms.repository.resource import repository_resource

        scanned = [p for p in asm.files if not p.endswith("CODEOWNERS")]
        # a scoped scan weighs CODEOWNERS against the files it did not parse too, so that its
        # repository-wide findings are those of a whole scan
        scanned = sorted({*scanned, *asm.outside_infrastructure})
        resource = repository_resource(asm.root, asm.targets, scanned, asm.errors)
        if resource is not None:
            asm.resources.append(resource)


PLATFORM = Repository()
