"""One parametrised test walks every rule and runs its fixtures; meta-tests guard the registry."""

from __future__ import annotations

from pathlib import Path

import pytest
from ruamel.yaml import YAML

from soc2lint import platforms
from soc2lint.cli.config import CONFIG_NAMES, load_config
from soc2lint.engine.rules import ID_RE, NAME_RE, bundled_rules_dir, load_rules
from soc2lint.engine.tsc import catalogue
from soc2lint.scan import ScanOptions, scan

REPO = Path(__file__).resolve().parents[1]
FIXTURES = REPO / "fixtures"
RULES = load_rules()
RULE_IDS = [r.id for r in RULES]
# the file a fixture expectation means when it names none: the platform's own choice
DEFAULT_FILE = {name: p.fixture_file for name, p in platforms.by_rule_platform().items()}


def _expected(rule_id: str) -> dict:
    path = FIXTURES / rule_id / "expected.yaml"
    assert path.is_file(), f"{rule_id} has no fixtures/{rule_id}/expected.yaml"
    return YAML(typ="safe").load(path.read_text()) or {}


def _cases(rule_id: str) -> list[str]:
    return sorted(_expected(rule_id))


def case_platform(rule, case: str) -> str:  # type: ignore[no-untyped-def]
    """The platform a fixture case is written for: a case directory named `<platform>-...`
    (`cloudformation-fail`) for a platform the rule judges besides its first; else the first."""
    head = case.split("-", 1)[0]
    others = [p for p in rule.platforms[1:] if case.startswith(f"{p}-") or head == p]
    return others[0] if others else rule.platform


# configuration a fixture case may carry in its own `.soc2lint.yaml` (a rule judged against an
# allow-list); any other key in it would silently do nothing, so it is refused
FIXTURE_CONFIG_KEYS = {"github_actions"}


def case_options(case_dir: Path) -> ScanOptions | None:
    """The scan options a case's own `.soc2lint.yaml` sets (None: it has none)."""
    found = [case_dir / n for n in CONFIG_NAMES if (case_dir / n).is_file()]
    if not found:
        return None
    keys = set(YAML(typ="safe").load(found[0].read_text()) or {})
    assert keys <= FIXTURE_CONFIG_KEYS, f"{found[0]}: fixtures honour only {FIXTURE_CONFIG_KEYS}"
    config = load_config(found[0])
    return ScanOptions(github_actions=config.github_actions)


@pytest.mark.parametrize("rule_id", RULE_IDS)
def test_rule_fixtures(rule_id: str) -> None:
    rule = next(r for r in RULES if r.id == rule_id)
    expected = _expected(rule_id)
    for case, wanted in expected.items():
        case_dir = FIXTURES / rule_id / case
        assert case_dir.is_dir(), f"{rule_id}: case directory {case} is missing"
        report = scan([str(case_dir)], [rule], case_options(case_dir))
        assert not report.errors, f"{rule_id}/{case}: parse errors {report.errors}"
        assert not report.rule_errors, f"{rule_id}/{case}: rule errors {report.rule_errors}"
        prefix = f"fixtures/{rule_id}/{case}/"
        got = sorted(
            (
                f.status.value,
                f.resource,
                f.location.path.removeprefix(prefix),
                f.location.start_line if f.status.value != "pass" else None,
            )
            for f in report.findings
        )
        want = sorted(
            (
                w["status"],
                w["resource"],
                w.get("file", DEFAULT_FILE[case_platform(rule, case)])
                if w["status"] != "pass"
                else None,
                w.get("line") if w["status"] != "pass" else None,
            )
            for w in (wanted or [])
        )
        if any(w[2] is None for w in want):
            got = [(s, r, p if s != "pass" else None, line) for s, r, p, line in got]
        assert got == want, f"{rule_id}/{case}"


@pytest.mark.parametrize("rule_id", RULE_IDS)
def test_rule_has_failing_passing_and_unknown_cases(rule_id: str) -> None:
    rule = next(r for r in RULES if r.id == rule_id)
    for platform in rule.platforms:  # every platform the control is judged on is exercised
        statuses = {
            w["status"]
            for case, found in _expected(rule_id).items()
            if case_platform(rule, case) == platform
            for w in (found or [])
        }
        assert "fail" in statuses, f"{rule_id} has no failing {platform} fixture"
        assert "pass" in statuses, f"{rule_id} has no passing {platform} fixture"
        variant = rule.variant(platform)
        decided = variant is not None and _never_unknown(variant.condition)
        if platform in ("terraform", "cloudformation") and not decided:
            assert "unknown" in statuses, f"{rule_id} has no {platform} fixture with an Unknown"


def _never_unknown(cond) -> bool:  # type: ignore[no-untyped-def]
    """Whether a condition decides every value, unknown ones included (`unknown: pass|fail`
    on each predicate, no links): such a rule has no Unknown result to show."""
    from soc2lint.engine.rules import All, AnyOf, Attr, Not

    if isinstance(cond, (All, AnyOf)):
        return all(_never_unknown(c) for c in cond.items)
    if isinstance(cond, Not):
        return _never_unknown(cond.item)
    return isinstance(cond, Attr) and cond.unknown != "unknown"


def test_every_fixture_directory_belongs_to_a_rule() -> None:
    dirs = {p.name for p in FIXTURES.iterdir() if p.is_dir() and ID_RE.match(p.name)}
    assert dirs <= set(RULE_IDS), f"fixtures without a rule: {sorted(dirs - set(RULE_IDS))}"


def test_registry_is_well_formed() -> None:
    known = catalogue().criteria
    assert len(RULES) >= 30
    for rule in RULES:
        assert ID_RE.match(rule.id) and NAME_RE.match(rule.name)
        assert rule.criteria and all(c in known for c in rule.criteria)
        assert rule.remediation_example.strip()
        assert len(rule.rationale) > 40
        assert any(c in rule.rationale for c in rule.criteria), (
            f"{rule.id}: the rationale should name the criterion it evidences"
        )
    assert len({r.id for r in RULES}) == len(RULES)
    assert len({r.name for r in RULES}) == len(RULES)


def test_rule_files_live_under_platform_folders() -> None:
    for rule in RULES:
        rel = Path(rule.source).relative_to(bundled_rules_dir())
        assert rel.parts[0] == rule.platform, (
            f"{rule.source} should be under rules/{rule.platform}/"
        )
