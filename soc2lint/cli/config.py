"""Configuration: `.soc2lint.yaml` at the repository root, `[tool.soc2lint]` in pyproject.toml,
or `--config FILE`. Unknown keys and bad values are errors naming the file, the key and a fix."""

from __future__ import annotations

import fnmatch
import hashlib
import os
import sys
from collections.abc import Callable
from dataclasses import field
from pathlib import Path
from typing import Any

from soc2lint.engine.rules import SEVERITIES, Rule
from soc2lint.engine.tsc import catalogue
from soc2lint.model import record
from soc2lint.pipeline.inputs import InputFileError, check_inside, read_regular

CONFIG_NAMES = (".soc2lint.yaml", ".soc2lint.yml")
KEYS = {
    "include": "globs of paths to scan (default: everything)",
    "exclude": "globs of paths to skip (gitignore syntax)",
    "rules": "{enable: [...], disable: [...], opt_in: [...]} rule ids or names",
    "severity": "{RULE-ID-or-name: critical|high|medium|low|info} overrides",
    "rules_dirs": "directories of custom rules, relative to the configuration file",
    "fail_on": "lowest severity that fails the scan: critical|high|medium|low|info|none",
    "fail_on_uncovered": "true: incomplete coverage (resource types no rule judges, "
    "infrastructure files soc2lint does not read, charts not rendered) fails the scan",
    "criteria": "Trust Services Categories or criteria in scope: security, availability, "
    "confidentiality, processing_integrity, privacy, or ids like CC6.1 / CC6.*",
    "max_file_size": "skip files larger than this many bytes",
    "baseline": "baseline file to apply by default",
    "helm": "{kube_version, api_versions, charts: {CHART-DIR: {values, set, release, namespace}}}",
    "var_files": "Terraform variable files (-var-file) for every scan, relative to the "
    "configuration file; --var-file on the command line replaces them",
    "plan": "a plan (terraform show -json output) to evaluate, relative to the configuration "
    "file; --plan on the command line replaces it",
    "cfn_parameters": "CloudFormation parameter values file, relative to the configuration file",
    "github_actions": "{code_inputs: {owner/action: [input, ...]}} action inputs run as code "
    "(added to soc2lint/data/github_code_inputs.yaml for SOC2-GHA-005); "
    "{approved: {actions: [owner/repo*, ...], images: [registry/name*, ...]}} the approved "
    "actions, reusable workflows and images (SOC2-GHA-024)",
}
HELM_CHART_KEYS = ("values", "set", "release", "namespace")


GITHUB_ACTIONS_KEYS = ("code_inputs", "approved")
APPROVED_KEYS = ("actions", "images")


class ConfigError(Exception):
    """A configuration problem; the message names the file and the key."""


@record()
class Config:
    path: str | None = None
    digest: str | None = None
    include: list[str] = field(default_factory=list)
    exclude: list[str] = field(default_factory=list)
    enable: list[str] = field(default_factory=list)
    disable: list[str] = field(default_factory=list)
    # opt-in rules (off by default) to run besides the others
    opt_in: list[str] = field(default_factory=list)
    severity: dict[str, str] = field(default_factory=dict)
    rules_dirs: list[str] = field(default_factory=list)
    fail_on: str | None = None
    fail_on_uncovered: bool | None = None
    criteria: list[str] = field(default_factory=list)
    max_file_size: int | None = None
    baseline: str | None = None
    # Helm: absolute chart directory -> {values: [absolute files], set, release, namespace}
    helm_charts: dict[str, dict] = field(default_factory=dict)
    kube_version: str | None = None
    api_versions: list[str] = field(default_factory=list)
    cfn_parameters: str | None = None
    # Terraform inputs set once for the repository (absolute paths)
    var_files: list[str] = field(default_factory=list)
    plan: str | None = None
    github_actions: dict[str, Any] = field(default_factory=dict)

    def apply(self, rules: list[Rule], requested: list[str] | None = None) -> list[Rule]:
        """The rules this configuration enables, with its severity overrides.

        requested: rules the command line asks for (--rule); they turn opt-in rules on too.
        """
        from dataclasses import replace

        def named(rule: Rule, names: list[str]) -> bool:
            return rule.id in names or rule.name in names

        out = []
        for rule in rules:
            if self.enable and not named(rule, self.enable):
                continue
            if not rule.enabled_by_default and not named(
                rule, [*self.enable, *self.opt_in, *(requested or [])]
            ):
                continue
            if named(rule, self.disable):
                continue
            if self.criteria and not any(in_scope(c, self.criteria) for c in rule.criteria):
                continue
            override = self.severity.get(rule.id) or self.severity.get(rule.name)
            out.append(replace(rule, severity=override) if override else rule)
        return out

    def scope(self) -> list[str]:
        """Every criterion id in scope (all of them when none is configured)."""
        ids = list(catalogue().criteria)
        return [c for c in ids if not self.criteria or in_scope(c, self.criteria)]


def _custom_names(dirs: list[str]) -> set[str]:
    from soc2lint.engine.rules import load_rules

    return {n for r in load_rules(dirs, include_bundled=False) for n in (r.id, r.name)}


def in_scope(criterion: str, scope: list[str]) -> bool:
    cat = catalogue()
    for entry in scope:
        if entry in cat.categories and cat.category_of(criterion) == entry:
            return True
        if fnmatch.fnmatchcase(criterion, entry):
            return True
    return False


def find_config(root: Path) -> Path | None:
    """The configuration file at the repository root: .soc2lint.yaml, else pyproject.toml."""
    for name in CONFIG_NAMES:
        # one that is there but no regular file (a FIFO, a link to a device) is reported by
        # load_config, not silently passed over
        if os.path.lexists(root / name):
            return root / name
    pyproject = root / "pyproject.toml"
    if not pyproject.is_file():
        return None
    try:
        raw = read_regular(pyproject, "configuration file", root)
    except InputFileError as exc:
        raise ConfigError(str(exc)) from None
    try:
        tool = _toml(raw).get("tool", {})
    except (ValueError, UnicodeDecodeError):
        # a broken pyproject that mentions us is ours to report; any other is not our business
        return pyproject if b"soc2lint" in raw else None
    # `[tool.soc2lint]`, `[tool.soc2lint.rules]` and `tool.soc2lint = {...}` are all the table
    return pyproject if isinstance(tool, dict) and "soc2lint" in tool else None


def _toml(raw: bytes) -> dict[str, Any]:
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - Python 3.10
        import tomli as tomllib  # type: ignore[no-redef]
    return tomllib.loads(raw.decode("utf-8"))


def load_config(
    path: Path | None, rule_names: set[str] | None = None, root: Path | None = None
) -> Config:
    """Read and validate a configuration file (None: the defaults). With root (a configuration
    found in the repository, not one named on the command line), the file and every file it
    names must lie inside root, links followed; the file itself is a size-capped regular file
    either way."""
    if path is None:
        return Config()
    try:
        raw = read_regular(path, "configuration file", root)
    except InputFileError as exc:
        raise ConfigError(str(exc)) from None
    if path.name == "pyproject.toml":
        data = _pyproject(path, raw)
    else:
        from ruamel.yaml import YAML  # here: a repository without a configuration reads none
        from ruamel.yaml.error import YAMLError

        try:
            data = YAML(typ="safe").load(raw) or {}
        except YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            where = f":{mark.line + 1}" if mark is not None else ""
            raise ConfigError(
                f"{path}{where}: not valid YAML: {getattr(exc, 'problem', exc)}"
            ) from None
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: the configuration must be a mapping of keys to values")
    return _validate(path, data, raw, rule_names or set(), root)


def _pyproject(path: Path, raw: bytes) -> dict[str, Any]:
    try:
        data = _toml(raw)
    except (ValueError, UnicodeDecodeError) as exc:  # TOMLDecodeError is a ValueError
        raise ConfigError(f"{path}: not valid TOML: {exc}") from None
    return data.get("tool", {}).get("soc2lint", {})


def _validate(
    path: Path, data: dict[str, Any], raw: bytes, rule_names: set[str], root: Path | None
) -> Config:
    def fail(key: str, message: str) -> ConfigError:
        return ConfigError(f"{path}: {key}: {message}")

    def contained(key: str, named: Path) -> None:
        try:
            check_inside(named, root, key)
        except InputFileError as exc:
            raise fail(key, str(exc)) from None

    for key in data:
        if key not in KEYS:
            from difflib import get_close_matches  # only for a mistake's hint

            close = get_close_matches(str(key), KEYS, n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else f" (known: {', '.join(KEYS)})"
            raise fail(str(key), f"unknown key{hint}")
    config = Config(path=str(path), digest=hashlib.sha256(raw).hexdigest())

    def strings(key: str) -> list[str]:
        value = data.get(key, [])
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise fail(key, "must be a list of strings")
        return value

    config.include = strings("include")
    config.exclude = strings("exclude")
    for directory in strings("rules_dirs"):
        if not (path.parent / directory).is_dir():
            raise fail("rules_dirs", f"{directory!r} is not a directory (relative to this file)")
        contained("rules_dirs", path.parent / directory)
    config.rules_dirs = [str(path.parent / d) for d in strings("rules_dirs")]
    if rule_names and config.rules_dirs:
        # the configuration may name its own custom rules in rules: and severity:
        rule_names = rule_names | _custom_names(config.rules_dirs)
    rules = data.get("rules", {}) or {}
    if not isinstance(rules, dict):
        raise fail("rules", "must be a mapping with enable, disable and/or opt_in lists")
    for sub in rules:
        if sub not in ("enable", "disable", "opt_in"):
            raise fail(f"rules.{sub}", "unknown key (use enable, disable or opt_in)")
    for sub in ("enable", "disable", "opt_in"):
        names = rules.get(sub, []) or []
        if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
            raise fail(f"rules.{sub}", "must be a list of rule ids or names")
        for name in names:
            if rule_names and name not in rule_names:
                from difflib import get_close_matches

                close = get_close_matches(name, rule_names, n=1)
                hint = f" (did you mean {close[0]}?)" if close else " (see `soc2lint rules`)"
                raise fail(f"rules.{sub}", f"no rule {name!r}{hint}")
        setattr(config, sub, names)
    severity = data.get("severity", {}) or {}
    if not isinstance(severity, dict):
        raise fail("severity", "must map rule ids or names to a severity")
    for name, level in severity.items():
        if level not in SEVERITIES:
            raise fail(f"severity.{name}", f"{level!r} is not one of {', '.join(SEVERITIES)}")
        if rule_names and name not in rule_names:
            from difflib import get_close_matches

            close = get_close_matches(str(name), rule_names, n=1)
            hint = f"did you mean {close[0]}?" if close else "see `soc2lint rules`"
            raise fail(f"severity.{name}", f"no rule {name!r} ({hint})")
    config.severity = {str(k): str(v) for k, v in severity.items()}
    fail_on = data.get("fail_on")
    if fail_on is not None and fail_on not in (*SEVERITIES, "none"):
        raise fail("fail_on", f"{fail_on!r} is not one of {', '.join(SEVERITIES)}, none")
    config.fail_on = fail_on
    uncovered = data.get("fail_on_uncovered")
    if uncovered is not None and not isinstance(uncovered, bool):
        raise fail("fail_on_uncovered", "must be true or false")
    config.fail_on_uncovered = uncovered
    cat = catalogue()
    for entry in strings("criteria"):
        matches = entry in cat.categories or any(
            fnmatch.fnmatchcase(c, entry) for c in cat.criteria
        )
        if not matches:
            from difflib import get_close_matches

            close = get_close_matches(entry, [*cat.categories, *cat.criteria], n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            raise fail("criteria", f"{entry!r} is neither a category nor a criterion{hint}")
    config.criteria = strings("criteria")
    size = data.get("max_file_size")
    if size is not None and (isinstance(size, bool) or not isinstance(size, int) or size < 1):
        raise fail("max_file_size", "must be a positive number of bytes")
    config.max_file_size = size
    baseline = data.get("baseline")
    if baseline is not None and not isinstance(baseline, str):
        raise fail("baseline", "must be a path")
    if baseline:
        contained("baseline", path.parent / baseline)
    config.baseline = str(path.parent / baseline) if baseline else None
    _helm(path, data.get("helm"), config, fail)
    cfn = data.get("cfn_parameters")
    if cfn is not None and not isinstance(cfn, str):
        raise fail("cfn_parameters", "must be a path")
    config.cfn_parameters = str(path.parent / cfn) if cfn else None
    config.github_actions = _github_actions(data.get("github_actions"), fail)
    for file in strings("var_files"):
        if not (path.parent / file).is_file():
            raise fail("var_files", f"{file!r} is not a file (relative to this file)")
        contained("var_files", path.parent / file)
    config.var_files = [str(path.parent / f) for f in strings("var_files")]
    plan = data.get("plan")
    if plan is not None and not isinstance(plan, str):
        raise fail("plan", "must be a path")
    if plan:
        if not (path.parent / plan).is_file():
            raise fail("plan", f"{plan!r} is not a file (relative to this file)")
        contained("plan", path.parent / plan)
    config.plan = str(path.parent / plan) if plan else None
    return config


def _helm(path: Path, helm: Any, config: Config, fail: Any) -> None:
    """The helm: section; chart directories and values files are relative to this file."""
    if helm is None:
        return
    if not isinstance(helm, dict):
        raise fail("helm", "must be a mapping with kube_version, api_versions and/or charts")
    for key in helm:
        if key not in ("kube_version", "api_versions", "charts"):
            raise fail(f"helm.{key}", "unknown key (use kube_version, api_versions or charts)")
    version = helm.get("kube_version")
    if version is not None and not isinstance(version, (str, int, float)):
        raise fail("helm.kube_version", "must be a version such as 1.30")
    config.kube_version = str(version) if version is not None else None
    apis = helm.get("api_versions", []) or []
    if not isinstance(apis, list) or not all(isinstance(a, str) for a in apis):
        raise fail("helm.api_versions", "must be a list such as [monitoring.coreos.com/v1]")
    config.api_versions = apis
    charts = helm.get("charts", {}) or {}
    if not isinstance(charts, dict):
        raise fail("helm.charts", "must map chart directories to {values, set, release, namespace}")
    for chart, settings in charts.items():
        where = f"helm.charts.{chart}"
        directory = path.parent / str(chart)
        if not (directory / "Chart.yaml").is_file():
            raise fail(
                where, f"{chart!r} is not a chart directory (no Chart.yaml; relative to this file)"
            )
        settings = settings or {}
        if not isinstance(settings, dict):
            raise fail(where, "must be a mapping with values, set, release and/or namespace")
        for key in settings:
            if key not in HELM_CHART_KEYS:
                raise fail(f"{where}.{key}", f"unknown key (use {', '.join(HELM_CHART_KEYS)})")
        out: dict[str, Any] = {}
        for key in ("values", "set"):
            items = settings.get(key, []) or []
            if isinstance(items, str):
                items = [items]
            if not isinstance(items, list) or not all(isinstance(i, str) for i in items):
                raise fail(f"{where}.{key}", "must be a list of strings")
            out[key] = items
        for file in out["values"]:
            if not (path.parent / file).is_file():
                raise fail(f"{where}.values", f"{file!r} is not a file (relative to this file)")
        out["values"] = [str((path.parent / f).resolve()) for f in out["values"]]
        for item in out["set"]:
            if "=" not in item:
                raise fail(f"{where}.set", f"{item!r} is not KEY=VALUE")
        for key in ("release", "namespace"):
            value = settings.get(key)
            if value is not None and not isinstance(value, str):
                raise fail(f"{where}.{key}", "must be a string")
            if value:
                out[key] = value
        config.helm_charts[str(directory.resolve())] = out


def _github_actions(value: Any, fail: Callable[[str, str], ConfigError]) -> dict[str, Any]:
    """The `github_actions:` mapping, checked: code_inputs maps action names to input lists."""
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise fail("github_actions", "must be a mapping (code_inputs, approved)")
    for sub in value:
        if sub not in GITHUB_ACTIONS_KEYS:
            raise fail(
                f"github_actions.{sub}", f"unknown key (use {', '.join(GITHUB_ACTIONS_KEYS)})"
            )
    sinks = value.get("code_inputs") or {}
    if not isinstance(sinks, dict) or not all(
        isinstance(k, str) and isinstance(v, list) and all(isinstance(i, str) for i in v)
        for k, v in sinks.items()
    ):
        raise fail("github_actions.code_inputs", "must map owner/action to a list of input names")
    out: dict[str, Any] = {
        "code_inputs": {k.lower(): [i.lower() for i in v] for k, v in sinks.items()}
    }
    if "approved" in value:
        out["approved"] = _approved(value["approved"], fail)
    return out


def _approved(value: Any, fail: Callable[[str, str], ConfigError]) -> dict[str, list[str]]:
    """`github_actions: approved:` globs of approved actions and images; written at all (even
    empty), it is the allow-list SOC2-GHA-024 judges against."""
    where = "github_actions.approved"
    if value is None:
        value = {}
    if not isinstance(value, dict):
        raise fail(where, "must be a mapping with actions and/or images lists of globs")
    for sub in value:
        if sub not in APPROVED_KEYS:
            raise fail(f"{where}.{sub}", f"unknown key (use {', '.join(APPROVED_KEYS)})")
    out = {}
    for sub in APPROVED_KEYS:
        items = value.get(sub) or []
        if not isinstance(items, list) or not all(isinstance(i, str) and i for i in items):
            raise fail(f"{where}.{sub}", "must be a list of globs (actions/*, ghcr.io/acme/*)")
        # action names are case-insensitive on GitHub; image references are not
        out[sub] = [i.lower() for i in items] if sub == "actions" else list(items)
    return out


# where editors (the YAML language server: VS Code, JetBrains, Neovim) find the schema of a
# configuration or rule file: the copy published with this release's tag
SCHEMA_BASE = "https://raw.githubusercontent.com/soc2lint/soc2lint/v{version}/soc2lint/schemas/"


def schema_url(name: str) -> str:
    """The published URL of soc2lint/schemas/<name>.schema.json for this version."""
    from soc2lint import __version__

    return SCHEMA_BASE.format(version=__version__) + f"{name}.schema.json"


STARTER = (
    f"# yaml-language-server: $schema={schema_url('config')}\n"
    + """\
# soc2lint configuration (https://github.com/soc2lint/soc2lint). Every key is optional.

# Trust Services Categories your SOC 2 report covers: security is always in scope; add
# availability, confidentiality, processing_integrity or privacy, or list criteria (CC6.*).
criteria: [security]

# Paths (gitignore syntax) to skip, e.g. examples and vendored code.
exclude:
  - "**/examples/**"

# Turn rules off (or, with enable, run only those listed), by id or name; opt_in adds rules
# that are off by default (docs/rules.md marks them), such as SOC2-K8S-025 (image digests).
rules:
  disable: []
  opt_in: []

# Raise or lower a rule's severity.
severity: {}
#  SOC2-AWS-019: high

# The lowest severity that makes `soc2lint scan` exit 1: critical|high|medium|low|info|none.
fail_on: low

# Also exit 1 when coverage is incomplete: resource types no rule judges, infrastructure files
# soc2lint does not read (Dockerfiles, CloudFormation, ...), Helm charts not rendered.
fail_on_uncovered: false

# Directories with your own rules (same YAML schema as the bundled ones).
rules_dirs: []

# Terraform variable files and a plan (terraform show -json) used by every scan, relative to
# this file; --var-file and --plan on the command line replace them.
# var_files: [env/prod.tfvars]
# plan: plan.json
"""
)
