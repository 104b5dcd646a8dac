"""Rules are YAML data. This module loads and validates them into frozen objects."""

from __future__ import annotations

import fnmatch
import functools
import hashlib
import os
import re
import stat
import time
from dataclasses import field
from pathlib import Path
from typing import Any

from soc2lint import package_file, platforms
from soc2lint.engine.linear_regex import Lazy
from soc2lint.engine.operators import OPERATORS, SET_OPERATORS, check_regex
from soc2lint.engine.severity import SEVERITIES
from soc2lint.engine.tsc import catalogue
from soc2lint.model import record
from soc2lint.pipeline.inputs import InputFileError, inside, read_regular


@record(frozen=True)
class Peer:
    """A tool whose checks rules name in `references`, so users can migrate and compare."""

    title: str
    url: str  # where its checks are documented
    ids: str  # what its ids look like, for people
    # a pattern every id must match, where the tool's ids have a fixed form (a typo such as
    # DL300 or W3 for W35 is refused at load); None where they have none. Compiled when first
    # used (Lazy), as are this module's other patterns: a run whose rules come from the cache
    # validates none
    pattern: Lazy | None = None


PEER_TOOLS: dict[str, Peer] = {
    "checkov": Peer("Checkov", "https://www.checkov.io/5.Policy%20Index/all.html", "`CKV_AWS_19`"),
    "tfsec": Peer(
        "tfsec", "https://aquasecurity.github.io/tfsec/", "`aws-s3-enable-bucket-encryption`"
    ),
    "trivy": Peer("Trivy", "https://avd.aquasec.com/misconfig/", "`AVD-AWS-0088`"),
    "kics": Peer("KICS", "https://docs.kics.io/latest/queries/all-queries/", "query UUIDs"),
    "kubescape": Peer("Kubescape", "https://hub.armosec.io/docs/controls", "`C-0057`"),
    "kube-linter": Peer(
        "KubeLinter", "https://docs.kubelinter.io/#/generated/checks", "`privileged-container`"
    ),
    "zizmor": Peer("zizmor", "https://docs.zizmor.sh/audits/", "`template-injection`"),
    "actionlint": Peer(
        "actionlint", "https://github.com/rhysd/actionlint/blob/main/docs/checks.md", "`expression`"
    ),
    "hadolint": Peer(
        "Hadolint",
        "https://github.com/hadolint/hadolint#rules",
        "`DL3002` (its own rules; `SC` ids are ShellCheck's)",
        Lazy(r"^(DL|SC)\d{4}$"),
    ),
    "cfn-lint": Peer(
        "cfn-lint",
        "https://github.com/aws-cloudformation/cfn-lint/blob/main/docs/rules.md",
        "`I3013` (E errors, W warnings, I informational)",
        Lazy(r"^[EWI]\d{4}$"),
    ),
    "cfn-nag": Peer(
        "cfn_nag",
        "https://github.com/stelligent/cfn_nag",
        "`F25` (F failures, W warnings)",
        Lazy(r"^[FW]\d{1,4}$"),
    ),
    "cfn-guard": Peer(
        "AWS Guard Rules Registry (cfn-guard)",
        "https://github.com/aws-cloudformation/aws-guard-rules-registry",
        "rule names, `S3_BUCKET_VERSIONING_ENABLED`",
        Lazy(r"^[A-Z][A-Z0-9_]+$"),
    ),
}
PEERS = tuple(PEER_TOOLS)
ID_RE = Lazy(r"^SOC2-[A-Z0-9]+-\d{3}$")
NAME_RE = Lazy(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
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
    "needs_config",
    "platforms",
}
_CONFIG_PATH = Lazy(r"^[a-z_]+(\.[a-z_]+)+$")
# a rule written only in the `platforms:` form names these inside each platform's block
_PER_PLATFORM = ("platform", "resource_types", "condition")
_VARIANT_KEYS = {"resource_types", "condition", "example"}


class RuleError(Exception):
    """A rule file that cannot be used; the message names the file and the field."""

    def __init__(self, message: str, field: str | None = None, detail: str = "") -> None:
        super().__init__(message)
        self.field = field  # the field at fault (condition.all[1].op), when one is
        self.detail = detail


def _hint(word: object, choices: object) -> str:
    """'did you mean 'x'?' for a near miss, else the allowed names."""
    names = sorted(str(c) for c in choices)  # type: ignore[attr-defined]
    from difflib import get_close_matches  # only for a mistake's hint

    close = get_close_matches(str(word), names, n=1)
    return f"did you mean {close[0]!r}?" if close else f"allowed: {', '.join(names)}"


# -- condition tree ----------------------------------------------------------------------------


@record(frozen=True)
class All:
    items: tuple[Condition, ...]


@record(frozen=True)
class AnyOf:
    items: tuple[Condition, ...]


@record(frozen=True)
class Not:
    item: Condition


@record(frozen=True)
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


@record(frozen=True)
class Each:
    """every / some element at path satisfies condition (paths inside are relative)."""

    quantifier: str  # every | some
    path: tuple[str, ...]
    condition: Condition
    entries: bool = False  # a map's elements are its entries, {key, value}, not the map itself


@record(frozen=True)
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


@record(frozen=True)
class Variant:
    """One control on one platform: the types it judges there, its condition and its example."""

    platform: str
    resource_types: tuple[str, ...]
    condition: Condition
    example: str

    def applies_to(self, resource_type: str) -> bool:
        return any(type_matches(resource_type, p) for p in self.resource_types)


def type_matches(resource_type: str, pattern: str) -> bool:
    """fnmatchcase(resource_type, pattern): most patterns name one type, and fnmatch compiles
    a regular expression for each pattern it sees (hundreds, in a run that starts afresh)."""
    if "*" in pattern or "?" in pattern or "[" in pattern:
        return fnmatch.fnmatchcase(resource_type, pattern)
    return resource_type == pattern


@record(frozen=True)
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
    # a configuration setting the rule cannot be judged without (`github_actions.approved`):
    # unset, the rule is not evaluated and the report says so (never a pass)
    needs_config: str = ""
    # (peer, id) -> how that peer check covers more or less than the rule
    partial_references: dict[tuple[str, str], str] = field(default_factory=dict)

    def reference_label(self, peer: str, ref: str) -> str:
        """A peer id as docs show it: `CKV_AWS_103 (partial: why)` when the check differs."""
        why = self.partial_references.get((peer, ref))
        return f"{ref} (partial: {why})" if why else ref

    # the same control on further platforms (`platforms:`); the fields above are the first
    others: tuple[Variant, ...] = field(default=())

    @functools.cached_property
    def variants(self) -> tuple[Variant, ...]:
        """Every platform the rule judges, the primary first (made once: the evaluator asks
        for each resource)."""
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
    packaged = package_file("_bundled_rules")
    if packaged.is_dir():
        return packaged
    return Path(__file__).resolve().parents[2] / "rules"


def load_rules(
    extra_dirs: list[str] | None = None, include_bundled: bool = True, cache: Any = None
) -> list[Rule]:
    """All rules, sorted by id; any invalid file raises RuleError naming file and field.

    cache (a pipeline.load.Cache): the built rules are kept there under a digest of everything
    that decides them (each file's path and contents, soc2lint's code, the criteria catalogue and
    the platforms' rule types), so that an unchanged rule set is neither parsed as YAML nor
    validated again on every run; the rule files' data is kept too, under the digest of their
    contents, for a run whose code or platforms changed; and each file's digest, under what
    lstat says of it (_FileIndex), so that a run whose rule files have not changed reads none
    of them."""
    dirs = ([bundled_rules_dir()] if include_bundled else []) + [Path(d) for d in extra_dirs or []]
    index = _FileIndex(cache, dirs) if cache is not None else None
    paths: list[str] = []
    infos: list[os.stat_result | None] = []  # lstat, for the index
    raws: list[bytes | None] = []  # None: not read, the index knew its digest
    digests: list[str] = []
    for directory in dirs:
        if not directory.is_dir():
            raise RuleError(f"{directory}: rules directory does not exist")
        for path, info in _rule_files(directory):
            # the walk does not descend through links, so only the file itself can be one
            if info is None and os.path.islink(path) and not inside(path, directory):
                raise RuleError(f"{path}: a link out of the rules directory {directory}; not read")
            known = index.digest(path, info) if index is not None else None
            raw = None if known else _read_rule_file(path)
            paths.append(path)
            infos.append(info)
            raws.append(raw)
            digests.append(known or hashlib.sha256(raw or b"").hexdigest())
    if index is not None and any(raw is not None for raw in raws):
        index.record(paths, infos, digests)
    seen = tuple(zip(paths, digests, strict=True))
    # rules are frozen: the same files give the same rules, so a process loads them once
    if seen in _LOADED:
        return list(_LOADED[seen])
    built_key = _built_key(seen) if cache is not None else ""
    built = cache.get(built_key) if cache is not None else None
    if _is_rule_list(built, seen):
        return _remember(seen, built)
    for i, raw in enumerate(raws):
        if raw is None:  # to build, the files the index spared, read (and digested) now
            raws[i] = raw = _read_rule_file(paths[i])
            digests[i] = hashlib.sha256(raw).hexdigest()
    rebuilt = tuple(zip(paths, digests, strict=True))
    if rebuilt != seen:  # a file written since its lstat was taken is built as it is now
        seen = rebuilt
        built_key = _built_key(seen) if cache is not None else ""
    files = [(path, raw or b"") for path, raw in zip(paths, raws, strict=True)]
    key = "rules-" + hashlib.sha256("\0".join(digests).encode()).hexdigest()
    data = cache.get(key) if cache is not None else None
    if not isinstance(data, list) or len(data) != len(files):
        data = [_rule_data(raw, path) for path, raw in files]
        if cache is not None:
            cache.put(key, data)  # data YAML gives that the codec cannot hold is simply not kept
    rules: dict[str, Rule] = {}
    names: dict[str, str] = {}
    for (path, raw), one, digest in zip(files, data, digests, strict=True):
        rule = _parse_located(one, raw, path, digest)
        if rule.id in rules:
            raise RuleError(f"{path}: id: {rule.id} is already used by {rules[rule.id].source}")
        if rule.name in names:
            raise RuleError(f"{path}: name: {rule.name} is already used by {names[rule.name]}")
        rules[rule.id] = rule
        names[rule.name] = str(path)
    loaded = [rules[k] for k in sorted(rules)]
    if cache is not None:
        cache.put(built_key, loaded)  # a rule holding a value the codec cannot hold is not kept
    return _remember(seen, loaded)


def _rule_files(directory: Path) -> list[tuple[str, os.stat_result | None]]:
    """What sorted(directory.rglob("*.y*ml")) gives (as str), each path with its lstat (None
    for a link, or when it cannot be had), from a walk with os.scandir: rglob makes a Path of
    every entry on its way, and sorting Paths costs as much again, a few milliseconds for the
    rule files every run loads. As rglob, the walk does not descend through links to
    directories and passes over a directory it may not list. Paths sort by their parts, so a
    walk that takes each directory's entries in name order, and goes into a directory where it
    meets it, gives them in order."""
    top = str(directory)
    found: list[tuple[str, os.stat_result | None]] = []

    def walk(where: str, parts: tuple[str, ...]) -> None:
        try:
            with os.scandir(where) as listing:
                entries = sorted(listing, key=lambda e: os.path.normcase(e.name))
        except PermissionError:
            return
        for entry in entries:
            name = entry.name
            if _rule_file_name(name):
                try:
                    info = None if entry.is_symlink() else entry.stat(follow_symlinks=False)
                except OSError:
                    info = None
                # Path(".") / "a.yaml" is "a.yaml", not "./a.yaml"
                found.append((entry.path if top != "." else os.path.join(*parts, name), info))
            try:
                descend = entry.is_dir(follow_symlinks=False)
            except OSError:
                descend = False
            if descend:
                walk(entry.path, (*parts, name))

    walk(top, ())
    return found


def _rule_file_name(name: str) -> bool:
    """fnmatch(name, "*.y*ml"), as rglob matches names (case-sensitively but on Windows):
    ".y" somewhere, and "ml" at the end after it."""
    name = os.path.normcase(name)
    dot = name.find(".y")
    return dot >= 0 and len(name) >= dot + 4 and name.endswith("ml")


class _FileIndex:
    """Rule files' digests by what lstat says of them (device, inode, size, modification and
    change times), kept in the cache for one list of rule directories: a file whose lstat is
    the same as when it was read is not read and digested again (355 files at every start).

    A write or a chmod sets the change time, which no program can set back, so a changed file
    shows a new lstat, provided the times differ: file systems keep them to a second at worst,
    so a file is recorded only when both times are at least SETTLED old (a file edited twice
    within one tick of the clock would otherwise keep its first digest). Links are never
    recorded (lstat says nothing of their target), nor anything but a regular file."""

    SETTLED = 2_000_000_000  # ns

    def __init__(self, cache: Any, dirs: list[Path]) -> None:
        self.cache = cache
        self.key = "rules-files-" + hashlib.sha256("\0".join(map(str, dirs)).encode()).hexdigest()
        known = cache.get(self.key)
        self.known: dict[str, tuple] = known if isinstance(known, dict) else {}

    @staticmethod
    def _signature(info: os.stat_result | None) -> tuple | None:
        if info is None or not stat.S_ISREG(info.st_mode):
            return None
        return (info.st_dev, info.st_ino, info.st_size, info.st_mtime_ns, info.st_ctime_ns)

    def digest(self, path: str, info: os.stat_result | None) -> str | None:
        """The file's digest when its lstat is as recorded, else None (read it)."""
        entry = self.known.get(path)
        signature = self._signature(info)
        if signature is None or not isinstance(entry, tuple) or len(entry) != 2:
            return None
        recorded, digest = entry
        return digest if recorded == signature and isinstance(digest, str) else None

    def record(
        self, paths: list[str], infos: list[os.stat_result | None], digests: list[str]
    ) -> None:
        """Keep the digests of this run's files (each lstat from before the file was read, so
        one written meanwhile shows a new lstat next time), when any entry changes."""
        settled = time.time_ns() - self.SETTLED
        now: dict[str, tuple] = {}
        for path, info, digest in zip(paths, infos, digests, strict=True):
            signature = self._signature(info)
            if signature is not None and max(signature[3], signature[4]) <= settled:
                now[path] = (signature, digest)
        if now != self.known:
            self.cache.put(self.key, now)
            self.known = now


_LOADED: dict[tuple[tuple[str, str], ...], list[Rule]] = {}


def _remember(seen: tuple[tuple[str, str], ...], loaded: list[Rule]) -> list[Rule]:
    if len(_LOADED) >= 16:  # a long-lived process reading many rule sets: keep the latest
        _LOADED.clear()
    _LOADED[seen] = loaded
    return list(loaded)


def _built_key(seen: tuple[tuple[str, str], ...]) -> str:
    """The cache key of the rules built from these (path, digest) files: what validation and
    building read besides the files is in it too (soc2lint's code, which holds the operators
    and the peers; the criteria catalogue; each platform's rule name and type pattern)."""
    from soc2lint.pipeline.load import code_digest

    h = hashlib.sha256(f"rules-built\0{code_digest()}\0".encode())
    h.update(hashlib.sha256(_catalogue_bytes()).digest())
    for name, platform in sorted(platforms.by_rule_platform().items()):
        pattern = platform.type_pattern
        h.update(f"{name}\0{pattern.pattern}\0{pattern.flags}\n".encode())
    for path, digest in seen:
        h.update(f"{path}\0{digest}\n".encode())
    return "rules-built-" + h.hexdigest()


def _catalogue_bytes() -> bytes:
    return package_file("data", "tsc.yaml").read_bytes()


def _is_rule_list(value: Any, seen: tuple[tuple[str, str], ...]) -> bool:
    """Whether a cache entry is the rules of these files (their sources and digests, in order:
    a rule set of unique ids sorted by id, as the loader builds it)."""
    if not isinstance(value, list) or len(value) != len(seen):
        return False
    if not all(type(r) is Rule for r in value):
        return False
    ids = [r.id for r in value]
    if ids != sorted(set(ids)):
        return False
    return sorted((r.source, r.digest) for r in value) == sorted(seen)


def load_rule_file(path: Path) -> Rule:
    """One rule file; an invalid one raises RuleError with one line: `file:line: field: why`."""
    raw = _read_rule_file(path)
    return _parse_located(_rule_data(raw, path), raw, path, hashlib.sha256(raw).hexdigest())


def _read_rule_file(path: str | Path) -> bytes:
    try:
        return read_regular(path, "rule file")
    except InputFileError as exc:
        raise RuleError(str(exc)) from None


def _rule_data(raw: bytes, path: str | Path) -> Any:
    from ruamel.yaml import YAML  # here: a run whose rules come from the cache reads no YAML
    from ruamel.yaml.error import YAMLError

    from soc2lint.platforms.shared.yamlsrc import NotPlain, plain_load

    if not raw.startswith((b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff")):
        # plain data straight from the C parser's nodes, as the safe loader would give it;
        # anything else (and every error) is read and worded by the safe loader below
        try:
            return plain_load(raw.decode("utf-8"))
        except (NotPlain, UnicodeDecodeError):
            pass
    try:
        return YAML(typ="safe").load(raw)
    except YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f":{mark.line + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise RuleError(f"{path}{where}: not valid YAML: {problem}") from None
    except RecursionError:
        raise RuleError(f"{path}: nested more than {MAX_RULE_DEPTH} levels deep") from None


def _parse_located(data: Any, raw: bytes, path: str | Path, digest: str) -> Rule:
    """parse_rule, with the line of the field at fault in its error."""
    try:
        return parse_rule(data, str(path), digest)
    except RuleError as exc:
        if exc.field is None:
            raise
        line = _line_of(raw, exc.field)
        raise RuleError(
            f"{path}:{line}: {exc.field}: {exc.detail}", exc.field, exc.detail
        ) from None


def _line_of(raw: bytes, field: str) -> int:
    """The line of a rule field (`condition.all[1].op`), or of the nearest enclosing one that
    is there (a missing key: its mapping); 1 for the file as a whole. Only for error messages,
    so the file is read again with positions kept."""
    from ruamel.yaml import YAML
    from ruamel.yaml.error import YAMLError

    try:
        node: Any = YAML().load(raw)
    except YAMLError:
        return 1
    line = 1
    tokens = re.findall(r"\[\d+\]|[^.\[\]]+", field)
    if tokens and isinstance(node, dict) and tokens[0] not in node and "platforms" in node:
        blocks = node["platforms"]  # the platforms: form, whose first block is the primary one
        if isinstance(blocks, dict) and blocks and isinstance(next(iter(blocks.values())), dict):
            first = next(iter(blocks))
            line, node = blocks.lc.key(first)[0] + 1, blocks[first]
    for token in tokens:
        if token.startswith("[") and isinstance(node, list) and int(token[1:-1]) < len(node):
            index = int(token[1:-1])
            line, node = node.lc.item(index)[0] + 1, node[index]
        elif isinstance(node, dict) and token in node and hasattr(node, "lc"):
            line, node = node.lc.key(token)[0] + 1, node[token]
        else:
            break
    return line


MAX_RULE_DEPTH = 64  # the bundled rules nest 14 levels at most


def _nesting(value: Any) -> int:
    """How deep mappings and lists nest in value (walked without recursion)."""
    deepest = 0
    stack = [(value, 1)]
    while stack:
        node, depth = stack.pop()
        if isinstance(node, dict):
            items: Any = node.values()
        elif isinstance(node, list):
            items = node
        else:
            continue
        deepest = max(deepest, depth)
        if depth <= MAX_RULE_DEPTH:
            stack.extend((item, depth + 1) for item in items)
    return deepest


def parse_rule(data: Any, source: str, digest: str = "") -> Rule:
    """Validate one rule's data."""

    def fail(fld: str, msg: str) -> RuleError:
        return RuleError(f"{source}: {fld}: {msg}", fld, msg)

    if not isinstance(data, dict):
        raise fail("(top)", "a rule file must be a mapping")
    if _nesting(data) > MAX_RULE_DEPTH:  # the evaluator walks conditions recursively
        raise RuleError(f"{source}: nested more than {MAX_RULE_DEPTH} levels deep")
    unknown = sorted(set(data) - _RULE_KEYS)
    if unknown:
        raise fail(unknown[0], f"unknown key ({_hint(unknown[0], _RULE_KEYS)})")
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
            raise fail(f"{where}.{extra[0]}", f"unknown key ({_hint(extra[0], _VARIANT_KEYS)})")
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
            form = PEER_TOOLS[peer].pattern
            if form is not None and not form.match(item):
                raise fail(
                    f"references.{peer}",
                    f"{item!r} is not a {peer} id (like {PEER_TOOLS[peer].ids})",
                )
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
    needs_config = data.get("needs_config", "")
    if not isinstance(needs_config, str) or (needs_config and not _CONFIG_PATH.match(needs_config)):
        raise fail("needs_config", "must be a dotted configuration key (github_actions.approved)")
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
        needs_config=needs_config,
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


_SEGMENT = Lazy(r"""\[\s*(?:"([^"]*)"|'([^']*)')\s*\]|\[\*\]|\[(\d+)\]|([^.\[\]]+)|\.""")


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
            raise fail(f"{where}.{extra[0]}", f"unknown key ({_hint(extra[0], allowed)})")
        op = node.get("op")
        if op not in OPERATORS and op not in SET_OPERATORS:
            hint = _hint(op, set(OPERATORS) | set(SET_OPERATORS))
            raise fail(f"{where}.op", f"unknown operator {op!r} ({hint})")
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
            keys = ("condition", "direction", "match", "type", "via", "within")
            raise fail(f"{where}.connected.{extra[0]}", f"unknown key ({_hint(extra[0], keys)})")
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
