"""Terraform edges: every reference between blocks, plus S3 sub-resources linked by bucket name
Google Cloud project metadata linked to the instances of its project, and google_* resources
linked to the google_project whose project_id they name as a literal."""

from __future__ import annotations

from collections import defaultdict

from soc2lint.graph import ResourceGraph
from soc2lint.model import Platform, Resource


def link(graph: ResourceGraph, resources: list[Resource]) -> None:
    """Add reference edges (source refers to target) within each module."""
    tf = [r for r in resources if r.platform == Platform.TERRAFORM.value]
    # `aws_s3_bucket.b` refers to every instance of b (b[0], b["x"]) when it was expanded
    instances: dict[tuple[str, str], list[str]] = defaultdict(list)
    for res in tf:
        instances[(res.scope, base_address(res.address))].append(res.key)
    for res in tf:
        for target, attribute in res.references:
            for key in instances.get((res.scope, target), ()):
                graph.add_edge(res.key, key, "reference", attribute)
    _link_by_bucket_name(graph, tf)
    _link_project_metadata(graph, tf)
    _link_by_project_id(graph, tf)


def base_address(address: str) -> str:
    """The address without its instance key: aws_s3_bucket.b["x"] -> aws_s3_bucket.b."""
    if address.endswith("]"):
        depth = 0
        for i in range(len(address) - 1, -1, -1):
            ch = address[i]
            if ch == "]":
                depth += 1
            elif ch == "[":
                depth -= 1
                if depth == 0:
                    return address[:i]
    return address


def _link_by_bucket_name(graph: ResourceGraph, resources: list[Resource]) -> None:
    # `bucket = "my-logs"` on an aws_s3_bucket_* resource names the bucket as a literal
    buckets: dict[tuple[str, str], list[Resource]] = defaultdict(list)
    for res in resources:
        name = res.attributes.get("bucket")
        if res.type == "aws_s3_bucket" and isinstance(name, str):
            buckets[(res.scope, name)].append(res)
    if not buckets:
        return
    for res in resources:
        name = res.attributes.get("bucket")
        if res.type.startswith("aws_s3_bucket_") and isinstance(name, str):
            for bucket in buckets.get((res.scope, name), []):
                graph.add_edge(res.key, bucket.key, "reference", "bucket")


# Project-wide Compute metadata (enable-oslogin, serial-port-enable, ssh-keys) applies to every
# instance of the project that does not override it, although no reference joins them.
GCP_PROJECT_METADATA = ("google_compute_project_metadata", "google_compute_project_metadata_item")
GCP_INSTANCES = (
    "google_compute_instance",
    "google_compute_instance_template",
    "google_compute_region_instance_template",
    "google_compute_instance_from_template",
)


def _link_project_metadata(graph: ResourceGraph, resources: list[Resource]) -> None:
    """Link project metadata to the instances of the same module and project.

    Both sides must name the project the same way: both omit it (the provider's project) or both
    write the same literal. A project that is not known statically links nothing, so a rule
    asking for the link sees an unresolved resource (Unknown), never a silent pass.
    """
    metadata = [r for r in resources if r.type in GCP_PROJECT_METADATA]
    if not metadata:
        return
    instances = [r for r in resources if r.type in GCP_INSTANCES]
    for meta in metadata:
        project = meta.attributes.get("project")
        if project is not None and not isinstance(project, str):
            continue
        for inst in instances:
            if inst.scope == meta.scope and inst.attributes.get("project") == project:
                graph.add_edge(meta.key, inst.key, "reference", "project")


def _link_by_project_id(graph: ResourceGraph, resources: list[Resource]) -> None:
    # `project = "acme-prod"` on a google_* resource names a google_project as a literal
    projects: dict[tuple[str, str], list[Resource]] = defaultdict(list)
    for res in resources:
        project_id = res.attributes.get("project_id")
        if res.type == "google_project" and isinstance(project_id, str):
            projects[(res.scope, project_id)].append(res)
    if not projects:
        return
    for res in resources:
        name = res.attributes.get("project")
        if res.type.startswith("google_") and isinstance(name, str):
            for project in projects.get((res.scope, name), []):
                graph.add_edge(res.key, project.key, "reference", "project")
