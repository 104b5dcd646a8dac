"""Terraform as a platform: `.tf`, `.tf.json` and tfvars files by name; modules, variables and
plans at assembly; references and separate configuration resources as edges.

The registry imports every platform to claim files by name, so the parser, the assembly and the
linker are imported only when a Terraform file is parsed, assembled or linked."""

from __future__ import annotations

import re

from soc2lint.platforms.contract import Base, Parsed
from soc2lint.platforms.terraform.names import kind_of


class Terraform(Base):
    name = "terraform"
    claims_by_name = True  # claim() and may_sniff() read only the file name
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
        return kind_of(path.rsplit("/", 1)[-1])

    def parse(self, path: str, text: str, kind: str) -> Parsed:
        from soc2lint.platforms.terraform.files import parse_file

        parsed = parse_file(path, text)
        return Parsed(self.name, errors=list(parsed.errors), unit=parsed)

    def assemble(self, asm, mine) -> None:  # type: ignore[no-untyped-def]
        options = asm.options
        if not mine and not options.plan and all(k != "file" for k, _ in options.cli_vars):
            return  # nothing to build: no file, no plan, no --var-file to read (and report on)
        from soc2lint.platforms.terraform import assemble

        assemble.assemble(asm, mine)

    def link(self, graph, resources) -> None:  # type: ignore[no-untyped-def]
        if not any(r.platform == self.rule_platform for r in resources):
            return
        from soc2lint.platforms.terraform import linker

        linker.link(graph, resources)


PLATFORM = Terraform()
