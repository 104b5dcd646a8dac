"""CloudFormation and SAM as a platform: templates found by content (YAML with short-form tags,
JSON, CDK's cdk.out/*.template.json); parameters, Conditions and Mappings evaluated statically;
Ref, GetAtt, Sub and DependsOn as edges.

The registry imports every platform to claim files, so the template reader (YAML) and the
resource builder are imported only when a file is looked at or parsed as a template."""

from __future__ import annotations

import re

from soc2lint.platforms.contract import Assembly, Base, Parsed


class CloudFormation(Base):
    name = "cloudformation"
    claims_by_name = True  # claim() and may_sniff() read only the file name
    title = "CloudFormation"
    reads = (
        "`*.yaml`, `*.yml`, `*.json` and `*.template` files whose content is a CloudFormation or "
        "SAM template (`AWSTemplateFormatVersion`, or `Resources` of `Type: AWS::...`), "
        "CDK's `cdk.out/*.template.json` included; parameters from defaults or "
        "`--cfn-parameters`"
    )
    rule_platform = "cloudformation"
    rules_dir = "cloudformation"
    fixture_file = "template.yaml"
    type_pattern = re.compile(r"^(AWS|Custom)::[A-Za-z0-9*]+(::[A-Za-z0-9*]+)?$")
    resource_types = ("AWS::*", "Custom::*")
    links_by_value = True
    skip_dirs = ()

    def may_sniff(self, path: str) -> bool:
        name = path.rsplit("/", 1)[-1]
        return name.endswith((".yaml", ".yml", ".json", ".template"))

    def sniff(self, path: str, text: str) -> str | None:
        from soc2lint.platforms.cloudformation import template

        return "template" if template.looks_like_template(text[:200_000]) else None

    def parse(self, path: str, text: str, kind: str) -> Parsed:
        from soc2lint.platforms.cloudformation import resources, template

        found, errors = template.load(path, text)
        if found is None:
            # a file that looked like a template but does not load: say why
            return Parsed(self.name, errors=errors) if errors else Parsed(None)
        return Parsed(self.name, resources.build(found), errors, unit=found)

    def assemble(self, asm: Assembly, mine) -> None:  # type: ignore[no-untyped-def]
        overrides = getattr(asm.options, "cfn_parameters", None)
        if not overrides:
            return
        from soc2lint.platforms.cloudformation import resources

        rebuilt = {}
        for loaded in mine:
            unit = loaded.parsed.unit if loaded.parsed is not None else None
            if unit is not None:
                rebuilt[unit.path] = resources.build(unit, overrides)
        kept = [
            r
            for r in asm.resources
            if not (r.platform == self.rule_platform and r.location.path in rebuilt)
        ]
        asm.resources[:] = kept + [r for built in rebuilt.values() for r in built]

    def link(self, graph, found) -> None:  # type: ignore[no-untyped-def]
        mine = [r for r in found if r.platform == self.rule_platform]
        if not mine:
            return
        from soc2lint.platforms.cloudformation import resources

        for res in mine:
            for target, attribute in res.references:
                graph.add_edge(res.key, f"{res.scope}::{target}", "reference", attribute)
        for source, target, attribute in resources.link_by_name(mine):
            graph.add_edge(source, target, "reference", attribute)


PLATFORM = CloudFormation()
