"""Terraform edges: every reference between blocks, plus S3 sub-resources linked by bucket name
Google Cloud project metadata linked to the instances of its project, google_* resources
linked to the google_project whose project_id they name as a literal, and Azure resources linked
to their parent by a literal name or resource ID."""

from __future__ import annotations

import re
from collections import defaultdict

from soc2lint.graph import ResourceGraph
from soc2lint.model import Platform, Resource, Unknown


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
    _link_alarms_to_metric_filters(graph, tf)
    _link_by_literal_name(
        graph, tf, "aws_ecr_repository", "name", "aws_ecr_lifecycle_policy", "repository"
    )
    for credential in ("aws_iam_user_login_profile", "aws_iam_access_key"):
        _link_by_literal_name(graph, tf, "aws_iam_user", "name", credential, "user")
    _link_azure_by_name_or_id(graph, tf)


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
    # `bucket = "my-logs"` on an aws_s3_bucket_* resource names the bucket as a literal;
    # `bucket = var.name` on both names the same bucket when exactly one bucket is written so
    buckets: dict[tuple[str, str], list[Resource]] = defaultdict(list)
    same: dict[tuple[str, str, str], list[Resource]] = defaultdict(list)
    for res in resources:
        name = res.attributes.get("bucket")
        if res.type == "aws_s3_bucket" and isinstance(name, str):
            buckets[(res.scope, name)].append(res)
        elif (
            res.type == "aws_s3_bucket"
            and isinstance(name, Unknown)
            and getattr(name, "source", "")
        ):
            same[(res.scope, _module_of(res), getattr(name, "source", ""))].append(res)
    if not buckets and not same:
        return
    for res in resources:
        name = res.attributes.get("bucket")
        if not res.type.startswith("aws_s3_bucket_"):
            continue
        if isinstance(name, str):
            for bucket in buckets.get((res.scope, name), []):
                graph.add_edge(res.key, bucket.key, "reference", "bucket")
        elif _source(name):
            written = same.get((res.scope, _module_of(res), _source(name)), [])
            if len(written) == 1:
                graph.add_edge(res.key, written[0].key, "reference", "bucket")
    # log destinations named as literals: where server access logs and CloudTrail write
    for res in resources:
        attribute = _LOG_DESTINATION.get(res.type)
        destination = res.attributes.get(attribute) if attribute else None
        if attribute and isinstance(destination, str):
            for bucket in buckets.get((res.scope, destination), []):
                graph.add_edge(res.key, bucket.key, "reference", attribute)


_LOG_DESTINATION = {"aws_s3_bucket_logging": "target_bucket", "aws_cloudtrail": "s3_bucket_name"}


def _source(value: object) -> str:
    """The source expression of an Unknown argument value ("" for a value read from a cache
    written before Unknown carried one)."""
    return str(getattr(value, "source", None) or "") if isinstance(value, Unknown) else ""


def _module_of(res: Resource) -> str:
    """The module instance prefix of an address: `module.a["x"].` (empty at the root)."""
    return res.address[: res.address.rfind(f"{res.type}.")]


def _link_alarms_to_metric_filters(graph: ResourceGraph, resources: list[Resource]) -> None:
    # an alarm names the metric a log metric filter publishes by its literal name and namespace
    metrics: dict[tuple[str, str, str, str], list[Resource]] = defaultdict(list)
    for res in resources:
        if res.type != "aws_cloudwatch_log_metric_filter":
            continue
        for transformation in res.attributes.get("metric_transformation") or []:
            if not isinstance(transformation, dict):
                continue
            name, namespace = transformation.get("name"), transformation.get("namespace")
            if isinstance(name, str) and isinstance(namespace, str):
                metrics[(res.scope, _module_of(res), namespace, name)].append(res)
    if not metrics:
        return
    for res in resources:
        name, namespace = res.attributes.get("metric_name"), res.attributes.get("namespace")
        if res.type == "aws_cloudwatch_metric_alarm" and isinstance(name, str):
            key = (
                res.scope,
                _module_of(res),
                namespace if isinstance(namespace, str) else "",
                name,
            )
            for metric_filter in metrics.get(key, []):
                graph.add_edge(res.key, metric_filter.key, "reference", "metric_name")


def _link_by_literal_name(
    graph: ResourceGraph,
    resources: list[Resource],
    target_type: str,
    name_attribute: str,
    source_type: str,
    attribute: str,
) -> None:
    # `repository = "api"` names the repository declared with `name = "api"` in the same module
    named: dict[tuple[str, str, str], list[Resource]] = defaultdict(list)
    for res in resources:
        name = res.attributes.get(name_attribute)
        if res.type == target_type and isinstance(name, str):
            named[(res.scope, _module_of(res), name)].append(res)
    for res in resources:
        name = res.attributes.get(attribute)
        if res.type == source_type and isinstance(name, str):
            for target in named.get((res.scope, _module_of(res), name), []):
                graph.add_edge(res.key, target.key, "reference", attribute)


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


# Azure resources name their parent by a literal name (`network_security_group_name = "web-nsg"`,
# with `resource_group_name`) or by a literal resource ID; a reference makes its own edge.
_AZURE_NAME_PARENTS: dict[str, tuple[str, ...]] = {
    "network_security_group_name": ("azurerm_network_security_group",),
    "storage_account_name": ("azurerm_storage_account",),
    "key_vault_name": ("azurerm_key_vault",),
    "virtual_network_name": ("azurerm_virtual_network",),
    "server_name": (
        "azurerm_mssql_server",
        "azurerm_sql_server",
        "azurerm_postgresql_server",
        "azurerm_mysql_server",
        "azurerm_mariadb_server",
    ),
}
# `/subscriptions/s/resourceGroups/rg/providers/Microsoft.Sql/servers/name[/...]`
_ARM_ID = re.compile(
    r"^/subscriptions/[^/]+/resourceGroups/(?P<rg>[^/]+)/providers/"
    r"(?P<kind>[^/]+/[^/]+)/(?P<name>[^/]+)",
    re.IGNORECASE,
)
_AZURE_ID_KINDS: dict[str, tuple[str, ...]] = {
    "microsoft.sql/servers": ("azurerm_mssql_server", "azurerm_sql_server"),
    "microsoft.storage/storageaccounts": ("azurerm_storage_account",),
    "microsoft.network/networksecuritygroups": ("azurerm_network_security_group",),
    "microsoft.network/networkinterfaces": ("azurerm_network_interface",),
    "microsoft.keyvault/vaults": ("azurerm_key_vault",),
    "microsoft.dbforpostgresql/servers": ("azurerm_postgresql_server",),
    "microsoft.dbforpostgresql/flexibleservers": ("azurerm_postgresql_flexible_server",),
    "microsoft.dbformysql/servers": ("azurerm_mysql_server",),
    "microsoft.dbformysql/flexibleservers": ("azurerm_mysql_flexible_server",),
    "microsoft.containerservice/managedclusters": ("azurerm_kubernetes_cluster",),
    "microsoft.documentdb/databaseaccounts": ("azurerm_cosmosdb_account",),
    "microsoft.operationalinsights/workspaces": ("azurerm_log_analytics_workspace",),
    "microsoft.compute/disks": ("azurerm_managed_disk",),
}


def _link_azure_by_name_or_id(graph: ResourceGraph, resources: list[Resource]) -> None:
    azure = [r for r in resources if r.type.startswith("azurerm_")]
    named: dict[tuple[str, str, str], list[Resource]] = defaultdict(list)
    for res in azure:
        name = res.attributes.get("name")
        if isinstance(name, str):
            named[(res.scope, res.type, name.lower())].append(res)
    if not named:
        return
    for res in azure:
        for attribute, value in res.attributes.items():
            if not isinstance(value, str):
                continue
            if attribute in _AZURE_NAME_PARENTS:
                types, name, group = (
                    _AZURE_NAME_PARENTS[attribute],
                    value,
                    res.attributes.get("resource_group_name"),
                )
            elif attribute.endswith("_id") and (m := _ARM_ID.match(value)):
                types = _AZURE_ID_KINDS.get(m["kind"].lower(), ())
                name, group = m["name"], m["rg"]
            else:
                continue
            for parent_type in types:
                for parent in named.get((res.scope, parent_type, name.lower()), ()):
                    if parent is not res and _same_group(parent, group):
                        graph.add_edge(res.key, parent.key, "reference", attribute)


def _same_group(parent: Resource, group: object) -> bool:
    """Names are unique per resource group: a literal group on both sides must agree."""
    theirs = parent.attributes.get("resource_group_name")
    if isinstance(theirs, str) and isinstance(group, str):
        return theirs.lower() == group.lower()
    return True
