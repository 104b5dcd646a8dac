"""Rules are YAML data. This module loads and validates them into frozen objects."""

from __future__ import annotations

import fnmatch
import hashlib
import re
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.error import YAMLError

from soc2lint import platforms
from soc2lint.engine.operators import OPERATORS, SET_OPERATORS, check_regex
from soc2lint.engine.tsc import catalogue
from soc2lint.pipeline.inputs import InputFileError, inside, read_regular

SEVERITIES = ("critical", "high", "medium", "low", "info")
PEERS = ("checkov", "tfsec", "trivy", "kics", "kubescape", "kube-linter", "zizmor", "actionlint")
ID_RE = re.compile(r"^SOC2-[A-Z0-9]+-\d{3}$")
NAME_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
_REQUIRED = (
    "id",
    "name",
    "title",
    "severity",
    "platform",
    "resource_types",
    "criteria",
    "rationale",
    "remediation",
    "condition",
)
_RULE_KEYS = {
    *_REQUIRED,
    "references",
    "message",
    "help_uri",
    "tags",
    "enabled_by_default",
    "sensitive",
    "platforms",
}
# a rule written only in the `platforms:` form names these inside each platform's block
_PER_PLATFORM = ("platform", "resource_types", "condition")
_VARIANT_KEYS = {"resource_types", "condition", "example"}


class RuleError(Exception):
    """A rule file that cannot be used; the message names the file and the field."""


# -- condition tree ----------------------------------------------------------------------------


@dataclass(frozen=True)
class All:
    items: tuple[Condition, ...]


@dataclass(frozen=True)
class AnyOf:
    items: tuple[Condition, ...]


@dataclass(frozen=True)
class Not:
    item: Condition


@dataclass(frozen=True)
class Attr:
    path: tuple[str, ...]
    op: str
    value: Any = None
    match: str = "all"  # all | any: how several matched values combine
    missing: str = "fail"  # outcome when the attribute is not set: fail | pass | unknown
    to_path: tuple[str, ...] | None = None  # port_range_includes: the upper bound
    # outcome for a value not known statically: unknown (default), or pass where an unknown value
    # cannot be the problem (a credential that is not a literal is not hard-coded)
    unknown: str = "unknown"


@dataclass(frozen=True)
class Each:
    """every / some element at path satisfies condition (paths inside are relative)."""

    quantifier: str  # every | some
    path: tuple[str, ...]
    condition: Condition
    entries: bool = False  # a map's elements are its entries, {key, value}, not the map itself


@dataclass(frozen=True)
class Connected:
    types: tuple[str, ...]
    match: str  # any | all | none
    direction: str  # any | in | out
    condition: Condition | None
    via: tuple[str, ...] = ()  # only links made by these attributes
    # "module": resources of the types declared in the same module instance, linked or not
    # (an account-wide detector and the EventBridge rule that routes its findings)
    within: str = ""
    # "unknown": with no resource of the types linked, the result is Unknown (what it links to
    # is declared outside the scanned files), whatever match says
    missing: str = ""


Condition = All | AnyOf | Not | Attr | Each | Connected


@dataclass(frozen=True)
class Variant:
    """One control on one platform: the types it judges there, its condition and its example."""

    platform: str
    resource_types: tuple[str, ...]
    condition: Condition
    example: str

    def applies_to(self, resource_type: str) -> bool:
        return any(fnmatch.fnmatchcase(resource_type, p) for p in self.resource_types)


@dataclass(frozen=True)
class Rule:
    id: str
    name: str
    title: str
    severity: str
    platform: str
    resource_types: tuple[str, ...]
    criteria: tuple[str, ...]
    rationale: str
    remediation: str
    remediation_example: str
    references: dict[str, tuple[str, ...]]
    condition: Condition
    message: str
    source: str  # file the rule came from
    digest: str  # sha256 of the rule file
    help_uri: str = ""
    tags: tuple[str, ...] = field(default=())
    # an opt-in rule runs only when the configuration or --rule names it
    enabled_by_default: bool = True
    # the values this rule reads are secrets: findings name the attribute, never its value
    sensitive: bool = False
    # (peer, id) -> how that peer check covers more or less than the rule
    partial_references: dict[tuple[str, str], str] = field(default_factory=dict)

    def reference_label(self, peer: str, ref: str) -> str:
        """A peer id as docs show it: `CKV_AWS_103 (partial: why)` when the check differs."""
        why = self.partial_references.get((peer, ref))
        return f"{ref} (partial: {why})" if why else ref

    # the same control on further platforms (`platforms:`); the fields above are the first
    others: tuple[Variant, ...] = field(default=())

    @property
    def variants(self) -> tuple[Variant, ...]:
        """Every platform the rule judges, the primary first."""
        first = Variant(
            self.platform, self.resource_types, self.condition, self.remediation_example
        )
        return (first, *self.others)

    @property
    def platforms(self) -> tuple[str, ...]:
        return tuple(v.platform for v in self.variants)

    def variant(self, platform: str) -> Variant | None:
        """The rule on one platform, or None when it does not judge that platform."""
        return next((v for v in self.variants if v.platform == platform), None)

    def applies_to(self, resource_type: str) -> bool:
        return any(v.applies_to(resource_type) for v in self.variants)

    def condition_for(self, res_platform: str, resource_type: str) -> Condition | None:
        """The condition that judges a resource of this platform and type, if any."""
        v = self.variant(res_platform)
        return v.condition if v is not None and v.applies_to(resource_type) else None


# -- loading -----------------------------------------------------------------------------------


def bundled_rules_dir() -> Path:
    """The rules shipped with soc2lint: in the wheel, or at the top of a source checkout."""
    packaged = Path(str(resources.files("soc2lint"))) / "_bundled_rules"
    if packaged.is_dir():
        return packaged
    return Path(__file__).resolve().parents[2] / "rules"


def load_rules(extra_dirs: list[str] | None = None, include_bundled: bool = True) -> list[Rule]:
    """All rules, sorted by id; any invalid file raises RuleError naming file and field."""
    dirs = ([bundled_rules_dir()] if include_bundled else []) + [Path(d) for d in extra_dirs or []]
    rules: dict[str, Rule] = {}
    names: dict[str, str] = {}
    for directory in dirs:
        if not directory.is_dir():
            raise RuleError(f"{directory}: rules directory does not exist")
        for path in sorted(directory.rglob("*.y*ml")):
            if not inside(path, directory):
                raise RuleError(f"{path}: a link out of the rules directory {directory}; not read")
            rule = load_rule_file(path)
            if rule.id in rules:
                raise RuleError(f"{path}: id: {rule.id} is already used by {rules[rule.id].source}")
            if rule.name in names:
                raise RuleError(f"{path}: name: {rule.name} is already used by {names[rule.name]}")
            rules[rule.id] = rule
            names[rule.name] = str(path)
    return [rules[k] for k in sorted(rules)]


def load_rule_file(path: Path) -> Rule:
    try:
        raw = read_regular(path, "rule file")
    except InputFileError as exc:
        raise RuleError(str(exc)) from None
    try:
        data = YAML(typ="safe").load(raw)
    except YAMLError as exc:
        raise RuleError(f"{path}: not valid YAML: {exc}") from None
    return parse_rule(data, str(path), hashlib.sha256(raw).hexdigest())


def parse_rule(data: Any, source: str, digest: str = "") -> Rule:
    """Validate one rule's data."""

    def fail(fld: str, msg: str) -> RuleError:
        return RuleError(f"{source}: {fld}: {msg}")

    if not isinstance(data, dict):
        raise fail("(top)", "a rule file must be a mapping")
    unknown = sorted(set(data) - _RULE_KEYS)
    if unknown:
        raise fail(unknown[0], f"unknown key (allowed: {', '.join(sorted(_RULE_KEYS))})")
    blocks = data.get("platforms")
    if blocks is not None and (not isinstance(blocks, dict) or not blocks):
        raise fail("platforms", "must map a platform to its resource_types, condition, example")
    data = dict(data)
    if blocks and "platform" not in data:  # the `platforms:` form alone: the first is primary
        first = next(iter(blocks))
        for key in _PER_PLATFORM[1:]:
            if key in data:
                raise fail(key, "belongs inside platforms.<platform> when no platform: is given")
        block = blocks[first] if isinstance(blocks[first], dict) else {}
        data["platform"] = first
        data["resource_types"] = block.get("resource_types")
        data["condition"] = block.get("condition")
        remediation = data.get("remediation")
        if isinstance(remediation, dict) and "example" not in remediation and "example" in block:
            data["remediation"] = {**remediation, "example": block["example"]}
        blocks = {k: v for k, v in blocks.items() if k != first}
    for key in _REQUIRED:
        if key not in data or data[key] in (None, "", []):
            raise fail(key, "is required")
    rid = str(data["id"])
    if not ID_RE.match(rid):
        raise fail("id", f"{rid!r} must look like SOC2-AWS-001")
    if not NAME_RE.match(str(data["name"])):
        raise fail("name", f"{data['name']!r} must be kebab-case")
    if data["severity"] not in SEVERITIES:
        raise fail("severity", f"{data['severity']!r} is not one of {', '.join(SEVERITIES)}")
    platform = data["platform"]
    known = platforms.by_rule_platform()
    if platform not in known:
        raise fail("platform", f"{platform!r} is not one of {', '.join(sorted(known))}")
    types = _types(data["resource_types"], platform, known, "resource_types", fail)
    others: list[Variant] = []
    for name, block in (blocks or {}).items():
        where = f"platforms.{name}"
        if name not in known:
            raise fail(where, f"{name!r} is not one of {', '.join(sorted(known))}")
        if name == platform or any(v.platform == name for v in others):
            raise fail(where, "names a platform the rule already judges")
        if not isinstance(block, dict):
            raise fail(where, "must be a mapping with resource_types, condition and example")
        extra = sorted(set(block) - _VARIANT_KEYS)
        if extra:
            raise fail(
                f"{where}.{extra[0]}", "unknown key (allowed: condition, example, resource_types)"
            )
        for key in sorted(_VARIANT_KEYS):
            if block.get(key) in (None, "", []):
                raise fail(f"{where}.{key}", "is required")
        others.append(
            Variant(
                name,
                tuple(
                    _types(block["resource_types"], name, known, f"{where}.resource_types", fail)
                ),
                parse_condition(block["condition"], f"{where}.condition", fail),
                str(block["example"]).rstrip() + "\n",
            )
        )
    criteria = data["criteria"]
    if not isinstance(criteria, list):
        raise fail("criteria", "must be a list, primary criterion first")
    known = catalogue().criteria
    for c in criteria:
        if c not in known:
            raise fail("criteria", f"{c!r} is not a SOC 2 Trust Services Criterion")
    if len(set(criteria)) != len(criteria):
        raise fail("criteria", "lists a criterion twice")
    remediation = data["remediation"]
    if not isinstance(remediation, dict) or set(remediation) - {"description", "example"}:
        raise fail("remediation", "must be a mapping with description and example")
    if not remediation.get("description") or not remediation.get("example"):
        raise fail("remediation", "needs both description and example")
    refs = data.get("references") or {}
    if not isinstance(refs, dict):
        raise fail("references", "must map a peer tool to a list of ids")
    references: dict[str, tuple[str, ...]] = {}
    partial: dict[tuple[str, str], str] = {}
    for peer, ids in refs.items():
        if peer not in PEERS:
            raise fail("references", f"unknown peer {peer!r} (known: {', '.join(PEERS)})")
        ids = [ids] if isinstance(ids, (str, dict)) else ids
        if not isinstance(ids, list):
            raise fail(f"references.{peer}", "must be a list of ids")
        plain: list[str] = []
        for i, item in enumerate(ids):
            # `{id: CKV_AWS_103, partial: "why"}`: the peer check covers more or less than the rule
            if isinstance(item, dict):
                where = f"references.{peer}[{i}]"
                if set(item) != {"id", "partial"}:
                    raise fail(where, "a reference with a note is {id: ..., partial: ...}")
                item, why = item["id"], item["partial"]
                if not isinstance(why, str) or not why.strip():
                    raise fail(f"{where}.partial", "must say how the peer check differs")
                if isinstance(item, str) and item:
                    partial[(peer, item)] = " ".join(why.split())
            if not isinstance(item, str) or not item:
                raise fail(f"references.{peer}", "must be a list of ids")
            plain.append(item)
        if len(set(plain)) != len(plain):
            raise fail(f"references.{peer}", "lists an id twice")
        references[peer] = tuple(plain)
    tags = data.get("tags") or []
    if not isinstance(tags, list):
        raise fail("tags", "must be a list")
    enabled = data.get("enabled_by_default", True)
    if not isinstance(enabled, bool):
        raise fail("enabled_by_default", "must be true or false")
    sensitive = data.get("sensitive", False)
    if not isinstance(sensitive, bool):
        raise fail("sensitive", "must be true or false")
    condition = parse_condition(data["condition"], "condition", fail)
    return Rule(
        id=rid,
        name=str(data["name"]),
        title=str(data["title"]).strip(),
        severity=str(data["severity"]),
        platform=platform,
        resource_types=tuple(types),
        criteria=tuple(criteria),
        rationale=str(data["rationale"]).strip(),
        remediation=str(remediation["description"]).strip(),
        remediation_example=str(remediation["example"]).rstrip() + "\n",
        references=references,
        partial_references=partial,
        sensitive=sensitive,
        condition=condition,
        # the title states the compliant condition; a failing result says it is not met
        message=str(data.get("message") or f"Not met: {str(data['title']).strip()}").strip(),
        source=source,
        digest=digest,
        help_uri=str(data.get("help_uri") or ""),
        tags=tuple(str(t) for t in tags),
        enabled_by_default=enabled,
        others=tuple(others),
    )


def _types(types: Any, platform: str, known: dict, where: str, fail: Any) -> list[str]:
    if isinstance(types, str):
        types = [types]
    if not isinstance(types, list):
        raise fail(where, "must be a list")
    for t in types:
        if not isinstance(t, str) or not known[platform].type_pattern.match(t):
            raise fail(where, f"{t!r} is not a valid {platform} resource type pattern")
    return types


_SEGMENT = re.compile(r"""\[\s*(?:"([^"]*)"|'([^']*)')\s*\]|\[\*\]|\[(\d+)\]|([^.\[\]]+)|\.""")


def _path(value: Any, where: str, fail: Any) -> tuple[str, ...]:
    """`a.b[*].c`, `a.0`, and quoted keys with dots: `annotations["x.io/*"]` (globs match keys)."""
    if not isinstance(value, str) or not value.strip():
        raise fail(where, "must be a dotted attribute path")
    parts: list[str] = []
    pos = 0
    while pos < len(value):
        match = _SEGMENT.match(value, pos)
        if match is None or match.end() == pos:
            raise fail(where, f"{value!r} is not a valid path")
        quoted = match.group(1) if match.group(1) is not None else match.group(2)
        if quoted is not None:
            parts.append(quoted)
        elif match.group(0) == "[*]":
            parts.append("*")
        elif match.group(3) is not None:
            parts.append(match.group(3))
        elif match.group(4) is not None:
            parts.append(match.group(4))
        elif pos == 0 or value[pos + 1 : pos + 2] in ("", ".", "["):
            raise fail(where, f"{value!r} is not a valid path")
        pos = match.end()
    if not parts:
        raise fail(where, f"{value!r} is not a valid path")
    return tuple(parts)


def parse_condition(node: Any, where: str, fail: Any) -> Condition:
    """Validate and build a condition tree node."""
    if not isinstance(node, dict) or not node:
        raise fail(where, "must be a mapping (all, any, not, attribute, every, some, connected)")
    keys = set(node)
    if keys == {"all"} or keys == {"any"}:
        key = next(iter(keys))
        items = node[key]
        if not isinstance(items, list) or not items:
            raise fail(f"{where}.{key}", "must be a non-empty list of conditions")
        parsed = tuple(parse_condition(c, f"{where}.{key}[{i}]", fail) for i, c in enumerate(items))
        return All(parsed) if key == "all" else AnyOf(parsed)
    if keys == {"not"}:
        return Not(parse_condition(node["not"], f"{where}.not", fail))
    if "attribute" in node:
        allowed = {"attribute", "op", "value", "match", "missing", "to_attribute", "unknown"}
        extra = sorted(keys - allowed)
        if extra:
            raise fail(
                f"{where}.{extra[0]}", f"unknown key (allowed: {', '.join(sorted(allowed))})"
            )
        op = node.get("op")
        if op not in OPERATORS and op not in SET_OPERATORS:
            names = ", ".join(sorted(set(OPERATORS) | set(SET_OPERATORS)))
            raise fail(f"{where}.op", f"unknown operator {op!r} (known: {names})")
        needs = OPERATORS[op].needs_value if op in OPERATORS else False
        if needs and "value" not in node:
            raise fail(f"{where}.value", f"operator {op} needs a value")
        if not needs and "value" in node:
            raise fail(f"{where}.value", f"operator {op} takes no value")
        value = node.get("value")
        if op in ("in", "not_in") and not isinstance(value, list):
            raise fail(f"{where}.value", f"operator {op} needs a list")
        numeric = (
            "greater_than",
            "greater_or_equal",
            "less_than",
            "less_or_equal",
            "port_range_includes",
            "port_list_includes",
        )
        if op in numeric and (isinstance(value, bool) or not isinstance(value, (int, float))):
            raise fail(f"{where}.value", f"operator {op} needs a number")
        if op in ("matches", "not_matches"):
            problem = check_regex(value) if isinstance(value, str) else "must be a string"
            if problem:
                raise fail(f"{where}.value", problem)
        to_path = None
        if op == "port_range_includes":
            if "to_attribute" not in node:
                raise fail(f"{where}.to_attribute", "port_range_includes needs to_attribute")
            to_path = _path(node["to_attribute"], f"{where}.to_attribute", fail)
        elif "to_attribute" in node:
            raise fail(f"{where}.to_attribute", "only port_range_includes takes to_attribute")
        match = node.get("match", "all")
        if match not in ("all", "any"):
            raise fail(f"{where}.match", "must be all or any")
        missing = node.get("missing", "fail")
        if missing not in ("fail", "pass", "unknown"):
            raise fail(f"{where}.missing", "must be fail, pass or unknown")
        unknown = node.get("unknown", "unknown")
        if unknown not in ("fail", "pass", "unknown"):
            raise fail(f"{where}.unknown", "must be fail, pass or unknown")
        return Attr(
            _path(node["attribute"], f"{where}.attribute", fail),
            op,
            value,
            match,
            missing,
            to_path,
            unknown,
        )
    if keys & {"every", "some"}:
        quantifier = "every" if "every" in node else "some"
        extra = sorted(keys - {quantifier, "condition", "entries"})
        if extra or "condition" not in node:
            raise fail(where, f"{quantifier} takes a path, a condition and optionally entries")
        entries = node.get("entries", False)
        if not isinstance(entries, bool):
            raise fail(f"{where}.entries", "must be true or false")
        return Each(
            quantifier,
            _path(node[quantifier], f"{where}.{quantifier}", fail),
            parse_condition(node["condition"], f"{where}.condition", fail),
            entries,
        )
    if keys == {"connected"}:
        spec = node["connected"]
        if not isinstance(spec, dict):
            raise fail(f"{where}.connected", "must be a mapping")
        extra = sorted(
            set(spec) - {"type", "match", "direction", "condition", "via", "within", "missing"}
        )
        if extra:
            raise fail(f"{where}.connected.{extra[0]}", "unknown key")
        types = spec.get("type")
        types = [types] if isinstance(types, str) else types
        if not types or not all(
            isinstance(t, str) and re.match(r"^[A-Za-z0-9_.:*]+$", t) for t in types
        ):
            raise fail(f"{where}.connected.type", "must name one or more resource types")
        match = spec.get("match", "any")
        if match not in ("any", "all", "none"):
            raise fail(f"{where}.connected.match", "must be any, all or none")
        direction = spec.get("direction", "any")
        if direction not in ("any", "in", "out"):
            raise fail(f"{where}.connected.direction", "must be any, in or out")
        cond = spec.get("condition")
        parsed = parse_condition(cond, f"{where}.connected.condition", fail) if cond else None
        if match == "all" and parsed is None:
            raise fail(f"{where}.connected.condition", "match: all needs a condition")
        via = spec.get("via") or []
        via = [via] if isinstance(via, str) else via
        if not isinstance(via, list) or not all(
            isinstance(v, str) and re.match(r"^[A-Za-z0-9_]+$", v) for v in via
        ):
            raise fail(f"{where}.connected.via", "must name one or more attributes")
        within = spec.get("within", "")
        if within not in ("", "module"):
            raise fail(f"{where}.connected.within", "must be module")
        if within and (via or "direction" in spec):
            raise fail(f"{where}.connected.within", "takes no via or direction: nothing links")
        missing = spec.get("missing", "")
        if missing not in ("", "unknown"):
            raise fail(f"{where}.connected.missing", "must be unknown")
        return Connected(tuple(types), match, direction, parsed, tuple(via), within, missing)
    raise fail(
        where,
        f"unknown condition {sorted(keys)} (use all, any, not, attribute, every, some, connected)",
    )


def ruleset_digest(rules: list[Rule]) -> str:
    """sha256 over every rule file's digest, in id order."""
    h = hashlib.sha256()
    for rule in sorted(rules, key=lambda r: r.id):
        h.update(f"{rule.id}:{rule.digest}\n".encode())
    return h.hexdigest()
