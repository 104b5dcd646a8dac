"""Refresh soc2lint/data/github_action_advisories.yaml from the GitHub Advisory Database.

    GITHUB_TOKEN=... python scripts/refresh_action_advisories.py [--out PATH]

Asks GitHub's GraphQL API for every reviewed advisory in the "actions" ecosystem and writes the
snapshot SOC2-GHA-021 reads, dated today. It needs network access and a token (any token can
read advisories), so it is run by hand and never in CI; review the diff before committing.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import re
import sys
import urllib.request
from pathlib import Path

from ruamel.yaml import YAML

API = "https://api.github.com/graphql"
QUERY = """
query($after: String) {
  securityVulnerabilities(ecosystem: ACTIONS, first: 100, after: $after) {
    pageInfo { hasNextPage endCursor }
    nodes {
      package { name }
      vulnerableVersionRange
      firstPatchedVersion { identifier }
      advisory { ghsaId summary severity withdrawnAt identifiers { type value } }
    }
  }
}
"""
OUT = Path(__file__).resolve().parents[1] / "soc2lint" / "data" / "github_action_advisories.yaml"


def fetch(token: str) -> list[dict]:
    nodes: list[dict] = []
    after = None
    while True:
        body = json.dumps({"query": QUERY, "variables": {"after": after}}).encode()
        request = urllib.request.Request(
            API, body, {"Authorization": f"bearer {token}", "Content-Type": "application/json"}
        )
        with urllib.request.urlopen(request, timeout=60) as response:
            page = json.load(response)["data"]["securityVulnerabilities"]
        nodes.extend(page["nodes"])
        if not page["pageInfo"]["hasNextPage"]:
            return nodes
        after = page["pageInfo"]["endCursor"]


def as_range(text: str) -> dict[str, str]:
    """'>= 4.0.0, < 4.1.3' -> {introduced: 4.0.0, fixed: 4.1.3}; '<= 45.0.7' -> last_affected."""
    out = {"introduced": "0"}
    for part in (p.strip() for p in text.split(",")):
        m = re.match(r"(>=|<=|<|=)\s*v?(\S+)", part)
        if not m:
            continue
        op, version = m.groups()
        key = {">=": "introduced", "<": "fixed", "<=": "last_affected", "=": "last_affected"}[op]
        out[key] = version
        if op == "=":
            out["introduced"] = version
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", type=Path, default=OUT)
    args = ap.parse_args()
    token = os.environ.get("GITHUB_TOKEN")
    if not token:
        sys.exit("set GITHUB_TOKEN (any token can read advisories)")
    entries: dict[tuple[str, str], dict] = {}
    for node in fetch(token):
        advisory = node["advisory"]
        if advisory.get("withdrawnAt"):
            continue
        key = (advisory["ghsaId"], node["package"]["name"].lower())
        cve = next((i["value"] for i in advisory["identifiers"] if i["type"] == "CVE"), None)
        entry = entries.setdefault(
            key,
            {
                "id": advisory["ghsaId"],
                **({"cve": cve} if cve else {}),
                "action": key[1],
                "severity": advisory["severity"].lower(),
                "summary": advisory["summary"],
                "ranges": [],
            },
        )
        entry["ranges"].append(as_range(node["vulnerableVersionRange"]))
        patched = (node.get("firstPatchedVersion") or {}).get("identifier")
        if patched:
            entry["fixed"] = patched
    data = {
        "snapshot_date": dt.date.today().isoformat(),
        "source": "GitHub Advisory Database (https://github.com/advisories?query=ecosystem%3Aactions)",
        "advisories": sorted(entries.values(), key=lambda e: (e["action"], e["id"])),
    }
    yaml = YAML()
    yaml.width = 4096
    with args.out.open("w") as fh:
        fh.write(
            "# Known-vulnerable GitHub Actions for SOC2-GHA-021, a snapshot of the GitHub\n"
            "# Advisory Database by scripts/refresh_action_advisories.py; review it\n"
        )
        yaml.dump(data, fh)
    print(f"{len(entries)} advisories written to {args.out}")


if __name__ == "__main__":
    main()
