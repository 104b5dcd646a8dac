"""What the CI parsers share: their resources are objects in the `ci` scope."""

from __future__ import annotations

from soc2lint.model import Location, Resource

SCOPE = "ci"


def ci_resource(
    platform: str,
    address: str,
    rtype: str,
    attrs: dict,
    loc: Location,
    locs: dict[str, Location],
) -> Resource:
    """A workflow, job, step, pipeline or include as a Resource."""
    return Resource(
        address=address,
        type=rtype,
        platform=platform,
        attributes=attrs,
        location=loc,
        attribute_locations=locs,
        kind="object",
        scope=SCOPE,
    )
