"""Azure resources name their parent by a literal name (with its resource group) or resource ID."""

from __future__ import annotations

from pathlib import Path

from soc2lint.engine.rules import load_rules
from soc2lint.scan import scan

RULES = {r.id: r for r in load_rules()}

SERVERS = """
resource "azurerm_mssql_server" "a" {
  name                = "Acme-A"
  resource_group_name = "rg-one"
  location            = "westeurope"
  version             = "12.0"
}

resource "azurerm_mssql_server" "b" {
  name                = "acme-b"
  resource_group_name = "rg-one"
  location            = "westeurope"
  version             = "12.0"
}

resource "azurerm_mssql_server" "c" {
  name                = "acme-c"
  resource_group_name = "rg-one"
  location            = "westeurope"
  version             = "12.0"
}
"""

POLICIES = """
# by name (Azure names are case-insensitive) and resource group
resource "azurerm_mssql_server_security_alert_policy" "a" {
  resource_group_name = "rg-one"
  server_name         = "acme-a"
  state               = "Enabled"
}

# by resource ID
resource "azurerm_mssql_server_security_alert_policy" "b" {
  resource_group_name = "rg-one"
  server_name         = "acme-b"
  state               = "Disabled"
}

resource "azurerm_mssql_server_extended_auditing_policy" "b" {
  server_id = "/subscriptions/0000/resourceGroups/rg-one/providers/Microsoft.Sql/servers/acme-b"
}

# the same name in another resource group is another server's policy
resource "azurerm_mssql_server_extended_auditing_policy" "elsewhere" {
  server_id = "/subscriptions/0000/resourceGroups/rg-two/providers/Microsoft.Sql/servers/acme-c"
}
"""


def _statuses(tmp_path: Path, rule_id: str) -> dict[str, tuple[str, int]]:
    (tmp_path / "main.tf").write_text(SERVERS + POLICIES)
    report = scan([str(tmp_path)], [RULES[rule_id]])
    assert not report.errors
    return {f.resource: (f.status.value, f.location.start_line) for f in report.findings}


def test_literal_name_links_a_policy_to_its_server(tmp_path: Path) -> None:
    got = _statuses(tmp_path, "SOC2-AZR-020")
    assert got["azurerm_mssql_server.a"][0] == "pass"
    # the Disabled policy is b's: the finding points at its state line
    assert got["azurerm_mssql_server.b"] == ("fail", 34)
    assert got["azurerm_mssql_server.c"][0] == "fail"


def test_literal_resource_id_links_and_respects_the_resource_group(tmp_path: Path) -> None:
    got = _statuses(tmp_path, "SOC2-AZR-016")
    assert got["azurerm_mssql_server.b"][0] == "pass"
    assert got["azurerm_mssql_server.a"][0] != "pass"
    # rg-two's acme-c is not rg-one's acme-c: linked to nothing here, so it may belong to any
    # server of the module, and c (like a) stays Unknown rather than passing
    assert got["azurerm_mssql_server.c"][0] == "unknown"
