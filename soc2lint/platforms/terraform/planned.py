"""Resources from a Terraform plan (`terraform show -json`), located in their configuration.

The plan gives fully resolved values; the configuration gives file and line. Each planned
resource is matched to its declaration by (module path, mode, type, name) without instance keys.
"""

from __future__ import annotations

import re
from typing import Any

from soc2lint.model import Location, Platform, Resource, Unknown
from soc2lint.platforms.terraform.plan import PlannedResource, strip_instance_keys


def config_key(res: Resource) -> tuple[str, str, str, str]:
    """(module path, mode, type, name) of a configuration resource, instance keys dropped."""
    address = strip_instance_keys(res.address)
    mode = "data" if res.kind == "data" else "managed"
    marker = f"data.{res.type}." if mode == "data" else f"{res.type}."
    module_path, _, rest = (
        address.rpartition("." + marker)
        if "." + marker in address
        else ("", "", address.removeprefix(marker))
    )
    name = rest.split(".")[-1] if rest else address.rsplit(".", 1)[-1]
    return (module_path, mode, res.type, name)


def planned_resources(
    planned: list[PlannedResource],
    configuration: list[Resource],
    plan_path: str,
    plan_text: str,
    scope: str,
) -> list[Resource]:
    """Resources with the plan's values and the configuration's locations and references."""
    declared: dict[tuple[str, str, str, str], Resource] = {}
    for res in configuration:
        if res.kind in ("resource", "data"):
            declared.setdefault(config_key(res), res)
    out = []
    for p in planned:
        config = declared.get(p.config_key)
        if config is not None:
            location = config.location
            attribute_locations = config.attribute_locations
            references = config.references
            call_sites = config.call_sites
        else:
            line = _line_of(plan_text, p.address)
            location = Location(plan_path, line, line)
            attribute_locations, references, call_sites = {}, (), ()
        values = _settle(p.values, config.attributes if config is not None else {})
        out.append(
            Resource(
                address=p.address,
                type=p.type,
                platform=Platform.TERRAFORM.value,
                attributes=values,
                location=location,
                attribute_locations=attribute_locations,
                references=references,
                kind="resource" if p.mode == "managed" else "data",
                scope=scope,
                call_sites=call_sites,
            )
        )
    return out


def _settle(planned: Any, configured: Any) -> Any:
    """Known-after-apply values are surely set only where the configuration sets them.

    A plan marks `arn` and a computed `versioning` block alike as unknown; an unknown the
    configuration wrote as a reference (`kms_key_id = aws_kms_key.k.arn`) is set, one the
    provider computes may be null.
    """
    if isinstance(planned, Unknown):
        surely_set = isinstance(configured, Unknown) and configured.not_null
        return Unknown(planned.reason, surely_set)
    if isinstance(planned, dict):
        conf = configured if isinstance(configured, dict) else {}
        return {k: _settle(v, conf.get(k)) for k, v in planned.items()}
    if isinstance(planned, list):
        conf_list = configured if isinstance(configured, list) else []
        return [
            _settle(v, conf_list[i] if i < len(conf_list) else None) for i, v in enumerate(planned)
        ]
    return planned


def _line_of(text: str, address: str) -> int:
    match = re.search(r'"address"\s*:\s*' + re.escape(_json_string(address)), text)
    return text.count("\n", 0, match.start()) + 1 if match else 1


def _json_string(value: str) -> str:
    import json

    return json.dumps(value)
