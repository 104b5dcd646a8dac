"""Terraform edges: every reference between blocks, plus S3 sub-resources linked by bucket name
and Azure resources linked to their parent by a literal name or resource ID."""

from __future__ import annotations

import re
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
