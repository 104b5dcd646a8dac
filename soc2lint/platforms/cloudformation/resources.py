"""A template's resources: properties evaluated as far as is known statically, located, linked.

Each resource's address is its logical id, unique within its template (the scope). A resource
whose `Condition` is known to be false is not created and is left out; one whose condition is not
known is judged as if created. SAM's `Globals` fill in what a serverless resource leaves unset.
"""

from __future__ import annotations

from typing import Any

from soc2lint.model import Location, Resource, is_unknown
from soc2lint.platforms.cloudformation.resolve import Resolver, references
from soc2lint.platforms.cloudformation.template import Template

_SAM_GLOBALS = {
    "AWS::Serverless::Function": "Function",
    "AWS::Serverless::Api": "Api",
    "AWS::Serverless::HttpApi": "HttpApi",
    "AWS::Serverless::SimpleTable": "SimpleTable",
    "AWS::Serverless::StateMachine": "StateMachine",
    "AWS::Serverless::LayerVersion": "LayerVersion",
}


def build(template: Template, overrides: dict[str, str] | None = None) -> list[Resource]:
    data = template.data
    declared = data.get("Resources")
    if not isinstance(declared, dict):
        return []
    resolver = Resolver(data, overrides)
    globals_ = data.get("Globals") if isinstance(data.get("Globals"), dict) else {}
    out: list[Resource] = []
    for logical_id, spec in declared.items():
        if not isinstance(spec, dict) or not isinstance(spec.get("Type"), str):
            continue
        rtype = spec["Type"]
        if "Condition" in spec and resolver.condition(spec["Condition"]) is False:
            continue  # not created with these parameters
        raw = spec.get("Properties") if isinstance(spec.get("Properties"), dict) else {}
        section = _SAM_GLOBALS.get(rtype)
        if section and isinstance(globals_.get(section), dict):
            raw = _merge(globals_[section], raw)
        attributes = resolver.value(raw)
        if not isinstance(attributes, dict):
            attributes = {}
        prefix = f"Resources.{logical_id}"
        start, end = template.doc.span(prefix)
        located = template.doc.located(template.path, f"{prefix}.Properties")
        refs = references(raw, declared)
        depends = spec.get("DependsOn")
        for target in [depends] if isinstance(depends, str) else depends or []:
            if isinstance(target, str) and target in declared:
                refs.append((target, "DependsOn"))
        out.append(
            Resource(
                address=str(logical_id),
                type=rtype,
                platform="cloudformation",
                attributes=attributes,
                location=Location(template.path, start, end),
                attribute_locations=located,
                references=tuple(dict.fromkeys(refs)),
                scope=template.path,
            )
        )
    return out


def _merge(base: Any, over: Any) -> Any:
    """SAM's Globals under a resource's own properties: maps merge, the resource's value wins."""
    if isinstance(base, dict) and isinstance(over, dict):
        merged = dict(base)
        for k, v in over.items():
            merged[k] = _merge(base.get(k), v) if k in base else v
        return merged
    return over


def link_by_name(resources: list[Resource]) -> list[tuple[str, str, str]]:
    """(source key, target key, attribute) where a separate resource names its bucket by a
    literal name (`Bucket: acme-logs`) rather than by Ref."""
    buckets = {
        (r.scope, r.attributes.get("BucketName")): r
        for r in resources
        if r.type == "AWS::S3::Bucket" and isinstance(r.attributes.get("BucketName"), str)
    }
    out = []
    for r in resources:
        name = r.attributes.get("Bucket")
        if r.type.startswith("AWS::S3::") and isinstance(name, str) and not is_unknown(name):
            target = buckets.get((r.scope, name))
            if target is not None and target is not r:
                out.append((r.key, target.key, "Bucket"))
    return out
