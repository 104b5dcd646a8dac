"""Terraform as a platform: `.tf`, `.tf.json` and tfvars files by name; modules, variables and
plans at assembly; references and separate configuration resources as edges."""

from __future__ import annotations

import re

from soc2lint.platforms.contract import Base, Parsed
from soc2lint.platforms.terraform import assemble, linker
from soc2lint.platforms.terraform.files import parse_file


class Terraform(Base):
    name = "terraform"
    title = "Terraform"
    reads = (
        "`*.tf` and `*.tf.json` module files, `terraform.tfvars`, `*.auto.tfvars` and their "
        "`.json` forms, by name; modules called by local path; a plan with `--plan`"
    )
    rule_platform = "terraform"
    rules_dir = "terraform"
    fixture_file = "main.tf"
    example_language = "hcl"
    type_pattern = re.compile(r"^(data\.)?[a-z0-9_*]+$")
    resource_types = ("*",)  # every provider's resource and data source types
    links_by_value = True
    skip_dirs = (".terraform",)  # downloaded modules and providers: copies, not sources

    def claim(self, path: str) -> str | None:
        return assemble.kind_of(path.rsplit("/", 1)[-1])

    def parse(self, path: str, text: str, kind: str) -> Parsed:
        parsed = parse_file(path, text)
        return Parsed(self.name, errors=list(parsed.errors), unit=parsed)

    def assemble(self, asm, mine) -> None:  # type: ignore[no-untyped-def]
        assemble.assemble(asm, mine)

    def link(self, graph, resources) -> None:  # type: ignore[no-untyped-def]
        linker.link(graph, resources)


PLATFORM = Terraform()
