"""Meta-tests over the platform registry, and a platform added from outside soc2lint.

Every registered platform must come with what a user of it needs: rules, fixtures for them, a
line in the generated docs, and a parse function that takes any text without raising. A platform
that misses one fails here with a message saying what to add.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import textwrap
from fnmatch import fnmatchcase
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from soc2lint import platforms
from soc2lint.engine.rules import bundled_rules_dir, load_rules
from soc2lint.platforms.contract import Parsed
from soc2lint.reporters.rule_docs import platforms_markdown

REPO = Path(__file__).resolve().parents[1]
RULES = load_rules()
PLATFORMS = platforms.platforms()
NAMES = [p.name for p in PLATFORMS]
SCAN_PY = REPO / "soc2lint" / "scan.py"


def _own_rules(platform: platforms.Platform) -> list:
    folder = bundled_rules_dir() / platform.rules_dir
    return [r for r in RULES if Path(r.source).is_relative_to(folder)]


def _judging(platform: platforms.Platform) -> list:
    """Rules filed under another platform that also judge this one (`platforms:` blocks)."""
    return [r for r in RULES if platform.rule_platform in r.platforms[1:]]


@pytest.mark.parametrize("name", NAMES)
def test_platform_has_rules(name: str) -> None:
    platform = platforms.get(name)
    folder = bundled_rules_dir() / platform.rules_dir
    own = _own_rules(platform) if folder.is_dir() else []
    judging = _judging(platform)
    assert folder.is_dir() or judging, (
        f"platform {name}: add its rules under rules/{platform.rules_dir}/, or a "
        f"`platforms: {{{platform.rule_platform}: ...}}` block to a rule of another platform"
    )
    assert own or judging, (
        f"platform {name}: rules/{platform.rules_dir}/ holds no rule; add at least one"
    )
    for rule in own:
        assert rule.platform == platform.rule_platform, (
            f"{rule.id} is under rules/{platform.rules_dir}/ but names platform {rule.platform};"
            f" rules of {name} name `platform: {platform.rule_platform}`"
        )
    for rule in own + judging:
        types = rule.variant(platform.rule_platform).resource_types
        assert any(
            fnmatchcase(t, p) or fnmatchcase(p, t) for t in types for p in platform.resource_types
        ), f"{rule.id} judges {types}, which platform {name} never produces"


@pytest.mark.parametrize("name", NAMES)
def test_platform_rules_have_fixtures(name: str) -> None:
    platform = platforms.get(name)
    for rule in _own_rules(platform) + _judging(platform):
        expected = REPO / "fixtures" / rule.id / "expected.yaml"
        assert expected.is_file(), f"platform {name}: add fixtures/{rule.id}/expected.yaml"


@pytest.mark.parametrize("name", NAMES)
def test_platform_is_in_the_docs(name: str) -> None:
    platform = platforms.get(name)
    assert platform.title and platform.reads, f"platform {name}: give it a title and `reads`"
    docs = (REPO / "docs" / "rules.md").read_text(encoding="utf-8")
    row = next(line for line in platforms_markdown(RULES) if f"(`{name}`)" in line)
    assert row in docs, (
        f"platform {name} is missing from docs/rules.md: "
        "run `soc2lint rules --format markdown > docs/rules.md`"
    )


@pytest.mark.parametrize("name", NAMES)
def test_platform_claims_its_fixture_file(name: str) -> None:
    platform = platforms.get(name)
    path = platform.fixture_file
    assert platform.claim(path) or platform.may_sniff(path), (
        f"platform {name}: its fixture_file {path} is not a file it reads"
    )


# the start of a file of each kind, so that fuzzing reaches past the first check
_HEADS = ["", "apiVersion: v1\nkind: Pod\n", "runs:\n  using: composite\n", 'resource "a" "b" {\n']


@pytest.mark.parametrize("name", NAMES)
@given(head=st.sampled_from(_HEADS), body=st.text(max_size=300))
def test_platform_parse_survives_any_text(name: str, head: str, body: str) -> None:
    platform = platforms.get(name)
    path = platform.fixture_file
    text = head + body
    kind = platform.claim(path) or platform.sniff(path, text)
    if kind is None:
        return
    parsed = platform.parse(path, text, kind)
    assert isinstance(parsed, Parsed)
    assert parsed.platform in (None, platform.name)
    for error in parsed.errors:
        assert error.path == path and error.line >= 1


def test_the_pipeline_names_no_platform() -> None:
    """scan.py is the pipeline only: platform names, file suffixes and tool names live in the
    platforms' packages (comments aside)."""
    words = ("terraform", "kubernetes", "gitlab", "github", "helm", "kustomiz", "tfvars")
    words += ("CODEOWNERS", ".tf", ".yaml", ".yml")
    for number, line in enumerate(SCAN_PY.read_text(encoding="utf-8").splitlines(), 1):
        code = line.split("#", 1)[0]
        if code.strip().startswith(('"""', "'''")) or not code.strip():
            continue
        for word in words:
            assert word.lower() not in code.lower(), f"scan.py:{number} names {word}: {line}"


# -- a platform from outside soc2lint ---------------------------------------------------------

PROPERTIES_PLATFORM = '''
"""Java .properties files: one `property` resource per key."""

import re

from soc2lint.model import Location, ParseError, Resource
from soc2lint.platforms import Base, Parsed

_LINE = re.compile(r"^\\s*([^#!=:\\s][^=:]*?)\\s*[=:]\\s*(.*)$")


class Properties(Base):
    name = "properties"
    title = "Java properties"
    reads = "`*.properties`, by name"
    rule_platform = "properties"
    rules_dir = "properties"
    fixture_file = "app.properties"
    resource_types = ("property",)

    def claim(self, path):
        return "properties" if path.endswith(".properties") else None

    def parse(self, path, text, kind):
        out, errors = [], []
        for number, line in enumerate(text.splitlines(), 1):
            if not line.strip() or line.lstrip().startswith(("#", "!")):
                continue
            m = _LINE.match(line)
            if m is None:
                errors.append(ParseError(path, number, "not a key = value line"))
                continue
            key, value = m.group(1), m.group(2)
            where = Location(path, number, number)
            out.append(
                Resource(
                    address=f"{path}:{key}",
                    type="property",
                    platform=self.rule_platform,
                    attributes={"key": key, "value": value},
                    location=where,
                    attribute_locations={"key": where, "value": where},
                    kind="object",
                    scope=path,
                )
            )
        return Parsed(self.name, out, errors)


PLATFORM = Properties()
'''

PROPERTIES_RULE = """\
id: SOC2-PROP-001
name: properties-debug-off
title: Debug mode is off in application properties
severity: medium
platform: properties
resource_types: [property]
criteria: [CC7.2]
rationale: >
  CC7.2 (monitoring of system components) expects that what is logged is chosen; a debug flag
  left on in production logs secrets and drowns the events that monitoring looks for.
remediation:
  description: Set debug to false.
  example: |
    debug=false
condition:
  any:
    - attribute: key
      op: not_equals
      value: debug
    - attribute: value
      op: equals
      value: "false"
"""


def _pythonpath(first: Path) -> str:
    return os.pathsep.join([str(first), os.environ.get("PYTHONPATH", "")])


def test_a_platform_is_added_by_one_package_and_one_rule_directory(tmp_path: Path) -> None:
    """No edit to soc2lint: the package is named in SOC2LINT_PLATFORMS, the rules come from
    --rules-dir, and the CLI scans, reports and gates on the new platform's files."""
    package = tmp_path / "plugins" / "props_platform"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "platform.py").write_text(PROPERTIES_PLATFORM)
    rules = tmp_path / "rules" / "properties"
    rules.mkdir(parents=True)
    (rules / "properties-debug-off.yaml").write_text(PROPERTIES_RULE)
    repo = tmp_path / "repo"
    (repo / ".git").mkdir(parents=True)
    (repo / "app.properties").write_text("# service\nname = api\ndebug = true\n")
    (repo / "ok.properties").write_text("debug=false\n")
    env = {
        **os.environ,
        "SOC2LINT_PLATFORMS": "props_platform.platform",
        "PYTHONPATH": os.pathsep.join(
            [str(tmp_path / "plugins"), os.environ.get("PYTHONPATH", "")]
        ),
    }
    command = [sys.executable, "-m", "soc2lint", "scan", str(repo), "--no-cache"]
    command += ["--rules-dir", str(tmp_path / "rules"), "--rule", "SOC2-PROP-001"]
    proc = subprocess.run(
        [*command, "--format", "json"], capture_output=True, text=True, env=env, timeout=120
    )
    assert proc.returncode == 1, proc.stderr
    findings = json.loads(proc.stdout)["findings"]
    assert [(f["rule_id"], f["resource"], f["path"], f["start_line"]) for f in findings] == [
        ("SOC2-PROP-001", "app.properties:debug", "app.properties", 3)
    ]
    text = subprocess.run(command, capture_output=True, text=True, env=env, timeout=120)
    assert re.search(
        r"^app\.properties\n +3 +MEDIUM +SOC2-PROP-001 +app\.properties:debug$", text.stdout, re.M
    ), text.stdout
    # without the package, the rule names a platform nobody registered: a clear usage error
    bare = {k: v for k, v in env.items() if k != "SOC2LINT_PLATFORMS"}
    refused = subprocess.run(command, capture_output=True, text=True, env=bare, timeout=120)
    assert refused.returncode == 2
    assert "'properties' is not one of" in refused.stderr


def test_register_adds_a_platform_in_process(tmp_path: Path) -> None:
    namespace: dict = {}
    exec(compile(textwrap.dedent(PROPERTIES_PLATFORM), "props_platform", "exec"), namespace)
    platforms.register(namespace["PLATFORM"])
    try:
        assert platforms.claim("conf/app.properties") == ("properties", "properties")
        assert "properties" in platforms.by_rule_platform()
    finally:
        platforms.unregister("properties")
    assert platforms.claim("conf/app.properties") is None


# -- ARCHITECTURE.md stays true ---------------------------------------------------------------

ARCHITECTURE = REPO / "ARCHITECTURE.md"


def _paths_in(text: str) -> list[str]:
    return re.findall(r"`((?:soc2lint|rules|fixtures|docs|tests)/[^`\s]*)`", text)


def test_architecture_paths_exist() -> None:
    """Every path ARCHITECTURE.md names exists; a template segment (<name>) stands for any
    existing entry at that level."""
    text = ARCHITECTURE.read_text(encoding="utf-8")
    paths = _paths_in(text)
    assert len(paths) > 15
    for path in paths:
        base = REPO
        for part in Path(path.rstrip("/")).parts:
            if part.startswith("<"):
                options = [p for p in base.iterdir() if p.is_dir()]
                assert options, f"ARCHITECTURE.md: nothing under {base} for {path}"
                base = options[0]
            else:
                base = base / part
        assert base.exists(), f"ARCHITECTURE.md names {path}, which does not exist"


def test_architecture_lists_every_folder_and_platform_step() -> None:
    text = ARCHITECTURE.read_text(encoding="utf-8")
    package = REPO / "soc2lint"
    for folder in sorted(p for p in package.iterdir() if p.is_dir() and p.name != "__pycache__"):
        if folder.name in ("data", "_bundled_rules"):
            continue
        assert f"`soc2lint/{folder.name}/`" in text, (
            f"ARCHITECTURE.md: describe soc2lint/{folder.name}/"
        )
    steps = text.split("## How to add a platform", 1)[1].split("## How to add a rule", 1)[0]
    # the attributes the steps tell a new platform to define are those the contract asks for
    for attribute in ("name", "title", "reads", "rule_platform", "rules_dir", "fixture_file"):
        assert f"`{attribute}`" in steps
        assert hasattr(platforms.get("terraform"), attribute)
    assert "PACKAGES" in steps and hasattr(platforms, "PACKAGES")
