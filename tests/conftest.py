from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

REPO = Path(__file__).resolve().parents[1]

settings.register_profile(
    "ci",
    max_examples=60,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile("thorough", max_examples=2000, deadline=None)
settings.load_profile(os.environ.get("SOC2LINT_HYPOTHESIS_PROFILE", "ci"))

# the option variables (SOC2LINT_FAIL_ON, SOC2LINT_FORMAT, ...) and colour settings of the
# shell running the tests must not change what the commands under test do; the test suite's
# own switches stay (SOC2LINT_INSTALL_TEST opts in to the Action's install tests)
_SUITE_SWITCHES = (
    "SOC2LINT_HYPOTHESIS_PROFILE",
    "SOC2LINT_UPDATE_GOLDEN",
    "SOC2LINT_DEBUG",
    "SOC2LINT_INSTALL_TEST",
)
for _name in list(os.environ):
    if _name in ("FORCE_COLOR", "NO_COLOR") or (
        _name.startswith("SOC2LINT_") and _name not in _SUITE_SWITCHES
    ):
        del os.environ[_name]


@pytest.fixture(scope="session")
def repo() -> Path:
    return REPO


@pytest.fixture(scope="session")
def all_rules():
    from soc2lint.engine.rules import load_rules

    return load_rules()
