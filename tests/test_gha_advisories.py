"""The bundled advisory snapshot of SOC2-GHA-021: dated, well-formed, and matched by version."""

from __future__ import annotations

import datetime as dt
import re

from soc2lint.model import Unknown
from soc2lint.platforms.github_actions.advisories import (
    known_vulnerabilities,
    snapshot,
    version_comment,
)


def test_snapshot_is_dated_and_well_formed() -> None:
    data = snapshot()
    dt.date.fromisoformat(data["snapshot_date"])
    for entry in data["advisories"]:
        assert re.fullmatch(r"GHSA(-[23456789cfghjmpqrvwx]{4}){3}", entry["id"]), entry["id"]
        assert entry["action"] == entry["action"].lower() and "/" in entry["action"]
        for rng in entry["ranges"]:
            assert set(rng) <= {"introduced", "fixed", "last_affected"} and len(rng) >= 2


def test_versions_are_placed_in_ranges() -> None:
    assert known_vulnerabilities("actions/download-artifact", "v4.1.2")
    assert known_vulnerabilities("actions/download-artifact", "v4.1.3") == []
    assert known_vulnerabilities("actions/download-artifact", "v3") == []
    assert isinstance(known_vulnerabilities("actions/download-artifact", "v4"), Unknown)
    assert known_vulnerabilities("tj-actions/changed-files", "v1")  # every v1.x is affected
    assert known_vulnerabilities("actions/checkout", "main") == []  # no advisory at all


def test_version_comment() -> None:
    assert version_comment("- uses: a/b@0123abc # v4.2.2") == "v4.2.2"
    assert version_comment("- uses: a/b@0123abc # tag=v1.2") == "v1.2"
    assert version_comment("- uses: a/b@0123abc") == ""
    assert version_comment("- uses: a/b@0123abc # pinned by bot") == ""
