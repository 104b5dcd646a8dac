"""Evaluate rule condition trees over resources, three-valued (fail / pass / unknown)."""

from __future__ import annotations

import fnmatch
import json
import pickle
from collections.abc import Iterator
from dataclasses import MISSING, fields
from operator import attrgetter
from typing import Any, NamedTuple

from soc2lint import collector, platforms
from soc2lint.engine.operators import (
    DECIDED_BY_ONE,
    OPERATORS,
    decide_by_prefix,
    excluded_by_prefix,
)
from soc2lint.engine.provenance import value_source
from soc2lint.engine.rules import (
    All,
    AnyOf,
    Attr,
    Condition,
    Connected,
    Each,
    Not,
    Rule,
    type_matches,
)
from soc2lint.graph import ResourceGraph
from soc2lint.model import (
    Finding,
    Location,
    Resource,
    Status,
    Unknown,
    contains_unknown,
    is_unknown,
)

PASS, FAIL, UNKNOWN = Status.PASS, Status.FAIL, Status.UNKNOWN


Lazy = Any  # a str, or a function giving it when a finding is reported (most never are)


def lazy_text(value: Lazy) -> str:
    return value() if callable(value) else value


class Outcome(NamedTuple):
    # a named tuple, not a dataclass: one is made for every condition on every resource, and a
    # frozen dataclass's __init__ costs several times as much
    status: Status
    resource: Resource | None = None  # where the deciding value lives, when not the subject
    path: Lazy = ""  # attribute path of the deciding value
    detail: Lazy = ""
    # the full path of the deciding value where it is not written (path is then the deepest
    # written part): what a rendered object's provenance is asked about
    value_path: Lazy = ""

    def negate(self) -> Outcome:
        # the detail names the value that decided, which is what a failing `not` reports too
        flipped = {PASS: FAIL, FAIL: PASS, UNKNOWN: UNKNOWN}[self.status]
        return Outcome(flipped, self.resource, self.path, self.detail, self.value_path)


class Match(NamedTuple):
    value: Any
    path: str  # dotted path from the resource root


def resolve(value: Any, path: tuple[str, ...], prefix: str = "") -> list[Match]:
    """Every value at path. Lists are walked implicitly, JSON strings parsed, `*` fans out."""
    # maps keyed by the path's names all the way (most attributes) need no fan-out
    at = 0
    for segment in path:
        if type(value) is not dict or segment == "*":
            break
        if segment not in value:
            if "*" in segment:  # a glob over map keys: the general walk below
                break
            return []
        value = value[segment]
        prefix = f"{prefix}.{segment}" if prefix else segment
        at += 1
    current = [Match(value, prefix)]
    for segment in path[at:]:
        nxt: list[Match] = []
        for m in current:
            nxt.extend(_step(m, segment))
        current = nxt
        if not current:
            break
    return current


def _join(path: str, seg: str | int) -> str:
    return f"{path}.{seg}" if path else str(seg)


def _step(m: Match, segment: str) -> Iterator[Match]:
    value = m.value
    if is_unknown(value):
        yield Match(value, _join(m.path, segment))
        return
    if isinstance(value, str) and value.lstrip()[:1] in ("{", "["):
        try:
            value = json.loads(value)
        except ValueError:
            return
    if segment == "*":
        if isinstance(value, list):
            for i, item in enumerate(value):
                yield Match(item, _join(m.path, i))
        elif value is not None:
            yield Match(value, m.path)  # a map or scalar is its own only element
        return
    if isinstance(value, list):
        if segment.isdigit():
            idx = int(segment)
            if idx < len(value):
                yield Match(value[idx], _join(m.path, idx))
            return
        for i, item in enumerate(value):
            yield from _step(Match(item, _join(m.path, i)), segment)
        return
    if isinstance(value, dict):
        if segment in value:
            yield Match(value[segment], _join(m.path, segment))
        elif "*" in segment:  # a glob over map keys: annotations["x.io/*"]
            for k in sorted(value):
                if fnmatch.fnmatchcase(str(k), segment):
                    yield Match(value[k], _join(m.path, k))


def _detail(shown: str, actual: Any, cond: Attr, result: bool) -> Lazy:
    def text() -> str:
        out = f"{shown} = {_show(actual)}"
        if not result:
            needs = OPERATORS[cond.op].needs_value
            out += f" (expected {cond.op.replace('_', ' ')}" + (
                f" {_show(cond.value)})" if needs else ")"
            )
        return out

    return text


def _prefixed(address: str, detail: Lazy) -> Lazy:
    return lambda: f"{address}: {lazy_text(detail)}"


def _deepest_later(value: Any, path: tuple[str, ...], prefix: str) -> Lazy:
    return lambda: _deepest(value, path, prefix)


def _deepest(value: Any, path: tuple[str, ...], prefix: str) -> str:
    """The path of the deepest written part of path, with real list indices."""
    for cut in range(len(path) - 1, 0, -1):
        found = resolve(value, path[:cut], prefix)
        if found:
            return found[0].path
    return prefix


def _elements(matches: list[Match]) -> list[Match]:
    out: list[Match] = []
    for m in matches:
        if isinstance(m.value, list):
            out.extend(Match(v, _join(m.path, i)) for i, v in enumerate(m.value))
        elif m.value is not None:
            out.append(m)
    return out


def _entries(matches: list[Match]) -> list[Match]:
    """Each entry of each map as {key, value}, at the key's own path (so at its own line)."""
    out: list[Match] = []
    for m in matches:
        if isinstance(m.value, dict):
            for k in sorted(m.value, key=str):
                out.append(Match({"key": k, "value": m.value[k]}, _join(m.path, k)))
    return out


def combine_all(outcomes: list[Outcome]) -> Outcome:
    for o in outcomes:
        if o.status is FAIL:
            return o
    for o in outcomes:
        if o.status is UNKNOWN:
            return o
    return outcomes[0] if outcomes else Outcome(PASS)


def combine_any(outcomes: list[Outcome]) -> Outcome:
    for o in outcomes:
        if o.status is PASS:
            return o
    for o in outcomes:
        if o.status is UNKNOWN:
            return o
    return outcomes[0] if outcomes else Outcome(FAIL)


class Evaluator:
    def __init__(self, graph: ResourceGraph) -> None:
        self.graph = graph
        self._orphans: dict[tuple, Resource | None] = {}
        # platforms whose links are written as values that may stay unknown (Terraform's
        # references); label selectors and names resolve fully
        self._by_value = {p.rule_platform for p in platforms.platforms() if p.links_by_value}

    def check(self, cond: Condition, res: Resource, value: Any, prefix: str = "") -> Outcome:
        kind = type(cond)
        if kind is Attr:  # most conditions: tested first, by type not isinstance
            return self._attr(cond, value, prefix)  # type: ignore[arg-type]
        if kind is All:
            return combine_all([self.check(c, res, value, prefix) for c in cond.items])  # type: ignore[union-attr]
        if kind is AnyOf:
            return combine_any([self.check(c, res, value, prefix) for c in cond.items])  # type: ignore[union-attr]
        if kind is Not:
            return self.check(cond.item, res, value, prefix).negate()  # type: ignore[union-attr]
        if kind is Each:
            return self._each(cond, res, value, prefix)  # type: ignore[arg-type]
        if kind is Connected:
            return self._connected(cond, res)  # type: ignore[arg-type]
        raise TypeError(cond)

    def _attr(self, cond: Attr, value: Any, prefix: str) -> Outcome:
        matches = resolve(value, cond.path, prefix)
        shown = ".".join(cond.path)
        if cond.unknown != "unknown" and any(is_unknown(m.value) for m in matches):
            # values not known statically decide as the rule says; the known ones as usual
            first = next(m for m in matches if is_unknown(m.value))
            status = {"fail": FAIL, "pass": PASS}[cond.unknown]
            decided = Outcome(status, None, first.path, _why(first.value, shown))
            known = [m for m in matches if not is_unknown(m.value)]
            if not known:
                return decided
            rest = self._attr_matches(cond, value, prefix, known, shown)
            both = [rest, decided]
            return combine_all(both) if cond.match == "all" else combine_any(both)
        return self._attr_matches(cond, value, prefix, matches, shown)

    def _attr_matches(
        self, cond: Attr, value: Any, prefix: str, matches: list[Match], shown: str
    ) -> Outcome:
        present = [m for m in matches if m.value is not None]
        if cond.op == "written":
            if present:
                return Outcome(PASS, None, present[0].path, f"{shown} is written")
            return Outcome(FAIL, None, _join(prefix, shown), f"{shown} is not written")
        if cond.op in ("exists", "absent"):
            # an Unknown that cannot be null (an ARN known after apply) still counts as set
            known = [
                m
                for m in present
                if (not is_unknown(m.value) or m.value.not_null) and m.value not in ("", [], {})
            ]
            if known:
                first = known[0].value
                out = Outcome(PASS, None, known[0].path, lambda: f"{shown} = {_show(first)}")
            elif any(is_unknown(m.value) for m in present):
                first = next(m for m in present if is_unknown(m.value))
                out = Outcome(UNKNOWN, None, first.path, _why(first.value, shown))
            else:
                where = matches[0].path if matches else _deepest_later(value, cond.path, prefix)
                out = Outcome(FAIL, None, where, f"{shown} is not set", _join(prefix, shown))
            return out if cond.op == "exists" else out.negate()
        if not present:
            status = {"fail": FAIL, "pass": PASS, "unknown": UNKNOWN}[cond.missing]
            where = matches[0].path if matches else _deepest_later(value, cond.path, prefix)
            return Outcome(status, None, where, f"{shown} is not set", _join(prefix, shown))
        operator = OPERATORS[cond.op]
        outcomes = []
        for m in present:
            actual = m.value
            if cond.to_path is not None:
                upper = resolve(value, cond.to_path, prefix)
                upper_value = upper[0].value if upper else actual
                actual = upper_value if is_unknown(upper_value) else [actual, upper_value]
            if is_unknown(actual):
                by_prefix = decide_by_prefix(cond.op, actual, cond.value)
                if by_prefix is not None:
                    status = PASS if by_prefix else FAIL
                    detail = f"{shown} starts with {actual.prefix!r} (rest not known)"
                    outcomes.append(Outcome(status, None, m.path, detail))
                    continue
            if is_unknown(actual) or _has_unknown(actual):
                decided = self._decided_by_known_part(cond, actual, m.path, shown)
                outcomes.append(decided or Outcome(UNKNOWN, None, m.path, _why(actual, shown)))
                continue
            result = operator.fn(actual, cond.value)
            if is_unknown(result):
                outcomes.append(Outcome(UNKNOWN, None, m.path, result.reason))
                continue
            outcomes.append(
                Outcome(
                    PASS if result else FAIL,
                    None,
                    m.path,
                    _detail(shown, actual, cond, bool(result)),
                )
            )
        return combine_all(outcomes) if cond.match == "all" else combine_any(outcomes)

    @staticmethod
    def _decided_by_known_part(cond: Attr, actual: Any, path: str, shown: str) -> Outcome | None:
        decisive = DECIDED_BY_ONE.get(cond.op)
        if decisive is None or not isinstance(actual, list):
            return None
        known = [v for v in actual if not is_unknown(v)]
        if known and OPERATORS[cond.op].fn(known, cond.value) is decisive:
            status = PASS if decisive else FAIL
            return Outcome(status, None, path, f"{shown} = {_show(known)} (and values not known)")
        # the unknown elements are partly known strings that cannot be the value looked for
        if cond.op in ("contains", "not_contains") and all(
            excluded_by_prefix(v, cond.value) for v in actual if is_unknown(v)
        ):
            result = OPERATORS[cond.op].fn(known, cond.value)
            status = PASS if result else FAIL
            return Outcome(status, None, path, f"{shown} = {_show(known)} (and values not known)")
        return None

    def _each(self, cond: Each, res: Resource, value: Any, prefix: str) -> Outcome:
        matches = resolve(value, cond.path, prefix)
        shown = ".".join(cond.path)
        unknown = [m for m in matches if is_unknown(m.value)]
        elements = [m for m in _elements(matches) if not is_unknown(m.value)]
        if cond.entries:
            elements = _entries(elements)
        outcomes = [self.check(cond.condition, res, m.value, m.path) for m in elements]
        if unknown:
            outcomes.append(Outcome(UNKNOWN, None, unknown[0].path, _why(unknown[0].value, shown)))
        if cond.quantifier == "every":
            return combine_all(outcomes) if outcomes else Outcome(PASS, None, "", f"no {shown}")
        if not outcomes:
            return Outcome(FAIL, None, _join(prefix, shown), f"no {shown}")
        return combine_any(outcomes)

    def _connected(self, cond: Connected, res: Resource) -> Outcome:
        if cond.within == "module":
            module = _module_of(res)
            neighbours = [
                n
                for other_type in sorted(self.graph.types())
                if any(_type_matches(other_type, t) for t in cond.types)
                for n in self.graph.of_type(other_type)
                if n.scope == res.scope
                and _module_of(n) == module
                and n.key != res.key
                and n.kind in ("resource", "object")
            ]
        else:
            neighbours = [
                n
                for t in cond.types
                for n in self.graph.neighbours(res.key, None, cond.direction, via=cond.via)
                if _type_matches(n.type, t)
            ]
        names = "/".join(cond.types)
        if not neighbours and cond.missing == "unknown":
            return Outcome(UNKNOWN, None, "", f"no linked {names} in the scanned files")
        outcomes: list[Outcome] = []
        for n in neighbours:
            if cond.condition is None:
                outcomes.append(Outcome(PASS, n, "", f"{n.address} is linked"))
            else:
                o = self.check(cond.condition, n, n.attributes)
                # a nested connection keeps the resource that decided: the path is into it
                where = o.resource or n
                outcomes.append(
                    Outcome(o.status, where, o.path, _prefixed(n.address, o.detail), o.value_path)
                )
        if cond.match == "all":
            return combine_all(outcomes) if outcomes else Outcome(PASS, None, "", f"no {names}")
        none = f"no {names} in this module" if cond.within else f"no linked {names}"
        found = combine_any(outcomes) if outcomes else Outcome(FAIL, None, "", none)
        if (
            found.status is FAIL
            and cond.direction != "out"
            and not cond.within
            and res.platform in self._by_value
        ):
            orphan = self._orphan(cond, res)
            if orphan is not None:
                found = Outcome(
                    UNKNOWN,
                    orphan,
                    "",
                    f"{orphan.address} may configure this "
                    "resource, but its link cannot be resolved statically",
                )
        return found if cond.match == "any" else found.negate()

    def _orphan(self, cond: Connected, res: Resource) -> Resource | None:
        """A resource of the wanted type in the same scope that links to nothing of ours."""
        key = (res.scope, cond.types, res.type, cond.via, id(cond))
        if key not in self._orphans:  # once per scope and types: the answer is the same
            self._orphans[key] = self._find_orphan(cond, res)
        return self._orphans[key]

    def _find_orphan(self, cond: Connected, res: Resource) -> Resource | None:
        for t in cond.types:
            for other in self.graph.in_scope(t, res.scope):
                if other.key == res.key:
                    continue
                # with `via`, a link made by that attribute to anything (aws_alb where the
                # subject is an aws_lb, an API stage) shows what other configures: not ours
                linked = self.graph.neighbours(
                    other.key, None if cond.via else res.type, "any", via=cond.via
                )
                if linked or not _may_link(other, cond.via):
                    continue
                # one that fails the condition could not change the result, wherever it points
                if (
                    cond.condition is not None
                    and self.check(cond.condition, other, other.attributes).status is FAIL
                ):
                    continue
                return other
        return None


def _may_link(other: Resource, via: tuple[str, ...]) -> bool:
    """Whether other's linking attribute could point at something we cannot resolve."""
    if not via:
        return True
    # an attribute that is not written links nothing; a literal may name what we cannot see,
    # and so may a selector block (an aws_backup_selection's selection_tag picks by tag)
    return any(name in other.attributes and _may_name(other.attributes[name]) for name in via)


def _may_name(value: Any) -> bool:
    if contains_unknown(value) or isinstance(value, str):
        return True
    return isinstance(value, list) and any(isinstance(v, dict) and v for v in value)


def _module_of(res: Resource) -> str:
    """The module instance part of an address: `module.a["x"].` (empty at the root)."""
    return res.address[: res.address.rfind(f"{res.type}.")]


def _type_matches(actual: str, pattern: str) -> bool:
    if pattern.endswith("*"):
        return actual.startswith(pattern[:-1])
    return actual == pattern


def _has_unknown(value: Any) -> bool:
    if isinstance(value, list):
        return any(is_unknown(v) for v in value)
    return False


def _why(value: Any, shown: str) -> str:
    if isinstance(value, list):
        value = next((v for v in value if is_unknown(v)), value)
    reason = value.reason if isinstance(value, Unknown) else "not known"
    return f"{shown} is not known statically: {reason}"


def _show(value: Any) -> str:
    text = (
        json.dumps(value, sort_keys=True, default=str)
        if not isinstance(value, str)
        else repr(value)
    )
    return text if len(text) <= 80 else text[:77] + "..."


PARALLEL_PAIRS = 20_000  # fewer (rule, resource) pairs than this evaluate faster in one process
# More pairs than this are judged in one process all the same: a forked worker writes a reference
# count into most pages of the graph it reads (merely reading every resource once copies a
# quarter of the heap), so it ends up with a copy of about two thirds of this process's, and
# with a graph this large that copy is the scan's highest point. On 50,000 files (about 1.4
# million pairs): 1.49 GB of whole-tree memory while evaluating with a worker, 1.10 GB in one
# process, which also spends less CPU in all (nothing pickled, no pages copied) but takes
# about 17 s longer.
SERIAL_PAIRS = 800_000
Work = list[tuple[Resource, list[tuple[Rule, Condition]]]]
# the work with each condition compiled (soc2lint.engine.compiled)
Plan = list[tuple[Resource, list[tuple[Rule, Any]]]]
# inherited by forked workers: the plan, the graph, the slices of the plan and the number of the
# next slice nobody has claimed yet (shared memory)
_SHARED: tuple[Plan, ResourceGraph, list[tuple[int, int]], Any] | None = None


class RuleIndex:
    """Each platform's rules by the resource types they name, so that a resource meets only
    the rules that can apply to it: exact type names in a dictionary, patterns (`aws_*`) in a
    list per platform. Answers as asking every rule `condition_for` would, in rule order."""

    def __init__(self, rules: list[Rule]) -> None:
        self.rules = rules
        self._exact: dict[tuple[str, str], list[int]] = {}
        self._patterns: dict[str, list[tuple[str, int]]] = {}
        for i, rule in enumerate(rules):
            seen: set[str] = set()
            for variant in rule.variants:
                if variant.platform in seen:
                    continue  # the rule's first variant for a platform is the one it judges by
                seen.add(variant.platform)
                for pattern in variant.resource_types:
                    if any(ch in pattern for ch in "*?["):
                        self._patterns.setdefault(variant.platform, []).append((pattern, i))
                    else:
                        self._exact.setdefault((variant.platform, pattern), []).append(i)

    def applicable(self, platform: str, names: tuple[str, ...]) -> list[tuple[Rule, Condition]]:
        """(rule, the condition that judges it) for a resource of platform whose type and
        further types are names."""
        hits: set[int] = set()
        patterns = self._patterns.get(platform, ())
        for name in names:
            hits.update(self._exact.get((platform, name), ()))
            hits.update(i for pattern, i in patterns if type_matches(name, pattern))
        out = []
        for i in sorted(hits):
            variant = self.rules[i].variant(platform)
            assert variant is not None
            out.append((self.rules[i], variant.condition))
        return out


def _work(rules: list[Rule], graph: ResourceGraph) -> Work:
    """(resource, the rules that apply to it with the condition that judges it there), indexed
    by type: a rule sees only its types, on each platform the condition written for it."""
    index = RuleIndex(rules)
    work: Work = []
    # the rules and conditions depend only on the platform and the type names: found once for
    # each, not for each resource
    known: dict[tuple[str, tuple[str, ...]], list[tuple[Rule, Condition]]] = {}
    for resource_type in sorted(graph.types()):
        for res in graph.of_type(resource_type):
            if res.kind not in ("resource", "object", "provider"):
                continue
            # a resource is also judged by the rules of the types its shape gives it, once
            names = (resource_type, *res.also_types) if res.also_types else (resource_type,)
            applicable = known.get((res.platform, names))
            if applicable is None:
                applicable = known[(res.platform, names)] = index.applicable(res.platform, names)
            if applicable:
                work.append((res, applicable))
    return work


def _plan(work: Work) -> Plan:
    """The work with every condition compiled, once per list of rules (resources of one type
    share theirs)."""
    from soc2lint.engine.compiled import compiled

    lists: dict[int, list[tuple[Rule, Any]]] = {}
    plan: Plan = []
    for res, rules in work:
        done = lists.get(id(rules))
        if done is None:
            done = lists[id(rules)] = [(rule, compiled(c)) for rule, c in rules]
        plan.append((res, done))
    return plan


def _evaluate(graph: ResourceGraph, plan: Plan) -> tuple[list[Finding], list[str]]:
    from soc2lint.engine.compiled import Context

    return _judge(Context(graph), plan, {})


def _judge(context: Any, plan: Plan, texts: dict[str, str]) -> tuple[list[Finding], list[str]]:
    """The findings of plan, as make_finding makes them, and rule errors. texts: one string for
    each message made so far (a rule fails the same way on many resources), kept by the caller
    across calls."""
    findings: list[Finding] = []
    errors: list[str] = []
    add = findings.append
    for res, rules in plan:
        attributes = res.attributes
        address, kind, here, sites = res.address, res.type, res.location, res.call_sites
        for rule, check in rules:
            try:
                outcome = check(context, res, attributes, "")
            except Exception as exc:  # a broken rule must not stop the scan
                errors.append(f"{rule.id} on {address}: {type(exc).__name__}: {exc}")
                continue
            status, location, message, evidence, source, files = _made(rule, res, outcome)
            if message is not rule.title:
                message = texts.setdefault(message, message)
            add(
                _finding(
                    rule.id,
                    address,
                    kind,
                    status,
                    location,
                    message,
                    evidence,
                    here,
                    sites,
                    source,
                    files,
                )
            )
    return findings, errors


# A worker's result for one (rule, resource) pair: what make_finding would make of its outcome
# beyond the rule's and the resource's own fields, which the parent has already: (status,
# location, message, evidence, value source, value files), the location None where it is the
# resource's own and the message None where it is the rule's title; None for a rule error.
Entry = tuple[Status, Location | None, str | None, tuple[str, ...], str, tuple[str, ...]] | None
# most results: a pass at the resource itself, sent (and received) as this one tuple
_PASS_HERE: Entry = (PASS, None, None, (), "", ())


def _judge_to_send(
    context: Any, plan: Plan, texts: dict[str, str]
) -> tuple[list[Entry], list[str]]:
    """_judge's results as entries, for the parent to make the findings from (soc2lint.engine.
    evaluate._received): a fifth of the bytes of pickled findings, and findings the parent
    makes share the strings and places of its own resources and rules."""
    entries: list[Entry] = []
    errors: list[str] = []
    add = entries.append
    for res, rules in plan:
        attributes = res.attributes
        for rule, check in rules:
            try:
                outcome = check(context, res, attributes, "")
            except Exception as exc:  # a broken rule must not stop the scan
                errors.append(f"{rule.id} on {res.address}: {type(exc).__name__}: {exc}")
                add(None)
                continue
            status, location, message, evidence, source, files = _made(rule, res, outcome)
            at = None if location is res.location else location
            # the title is the parent's already; another message is pickled once
            text = None if message is rule.title else texts.setdefault(message, message)
            if status is PASS and at is None and text is None and not source:
                add(_PASS_HERE if not evidence else (PASS, None, None, evidence, source, files))
            else:
                add((status, at, text, evidence, source, files))
    return entries, errors


def _received(plan: Plan, entries: list[Entry], texts: dict[str, str]) -> list[Finding]:
    """The findings a worker's entries for plan stand for, as make_finding makes them (texts as
    for _judge)."""
    findings: list[Finding] = []
    add = findings.append
    at = iter(entries)
    for res, rules in plan:
        address, kind, here, sites = res.address, res.type, res.location, res.call_sites
        for rule, _check in rules:
            entry = next(at)
            if entry is None:
                continue
            status, location, message, evidence, source, files = entry
            add(
                _finding(
                    rule.id,
                    address,
                    kind,
                    status,
                    here if location is None else location,
                    rule.title if message is None else texts.setdefault(message, message),
                    evidence,
                    here,
                    sites,
                    source,
                    files,
                )
            )
    return findings


def _claim(counter: Any) -> int:
    """The number of the next slice of the plan nobody has taken, taking it."""
    with counter.get_lock():
        number = counter.value
        counter.value = number + 1
    return number


def _evaluate_share() -> list[tuple[int, bytes]]:
    """A forked worker's share of the plan: slices taken one at a time until none is left (the
    parent takes them too), each slice's number and its entries and errors pickled as soon as
    they are made (the bytes are a fraction of the objects, kept until the share is done)."""
    from soc2lint.engine.compiled import Context

    assert _SHARED is not None
    plan, graph, slices, counter = _SHARED  # made once by the parent, not again here
    context = Context(graph)
    texts: dict[str, str] = {}
    done = []
    while (number := _claim(counter)) < len(slices):
        low, high = slices[number]
        done.append((number, pickle.dumps(_judge_to_send(context, plan[low:high], texts), -1)))
    return done


def _can_fork() -> bool:
    import multiprocessing  # here: a small scan (a pre-commit hook's) forks nothing

    return "fork" in multiprocessing.get_all_start_methods()


def evaluate_rules(
    rules: list[Rule], graph: ResourceGraph, jobs: int = 1
) -> tuple[list[Finding], list[str]]:
    """Every (rule, resource) result, and rule errors (a rule that raised on a resource).

    Large graphs are split across forked processes, which inherit the graph instead of having
    it pickled to them; the result is the same, sorted, whatever the number of processes.
    """
    # No reference cycles are made here, but the many findings and outcomes made would set off
    # the collector's full passes over everything the scan holds (the graph and every file's
    # data): most of the time evaluation took. Forked workers inherit the setting.
    with collector.paused():
        return _evaluate_rules(rules, graph, jobs)


def _evaluate_rules(
    rules: list[Rule], graph: ResourceGraph, jobs: int
) -> tuple[list[Finding], list[str]]:
    global _SHARED
    plan = _plan(_work(rules, graph))
    pairs = sum(len(r) for _res, r in plan)
    if jobs > 1 and PARALLEL_PAIRS <= pairs < SERIAL_PAIRS and _can_fork():
        findings, errors = _evaluate_forked(graph, plan, jobs)
    else:
        findings, errors = _evaluate(graph, plan)
    findings = _sorted(findings)
    return findings, sorted(errors)


def _evaluate_forked(
    graph: ResourceGraph, plan: Plan, jobs: int
) -> tuple[list[Finding], list[str]]:
    """The plan judged by this process and jobs - 1 forked workers, each taking the next slice
    nobody has taken until none is left (slices differ in cost: Kubernetes objects with links
    take longer than Terraform resources). This process judges too, rather than waiting: every
    page of the graph a process writes into (a reference count) is copied once for each other
    process sharing it, so one worker fewer is one copy fewer. Every process makes entries
    (_judge_to_send), this one included, and the findings are made from them, in the plan's
    order, once the workers are gone: made while they run, the findings would add to the
    copies they hold, at the scan's highest point."""
    global _SHARED
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    from soc2lint.engine.compiled import Context

    fork = multiprocessing.get_context("fork")
    step = -(-len(plan) // (jobs * 32))  # small: the last slice taken ends at about the same time
    slices = [(i, min(i + step, len(plan))) for i in range(0, len(plan), step)]
    # where each slice's entries begin among the plan's (one entry for each rule on a resource)
    starts = [0]
    for low, high in slices:
        starts.append(starts[-1] + sum(len(rules) for _res, rules in plan[low:high]))
    entries: list[Entry] = [None] * starts[-1]
    errors: list[str] = []
    texts: dict[str, str] = {}
    graph.in_scope("", "")  # the indexes the workers share are made before they fork
    counter = fork.Value("q", 0)
    _SHARED = (plan, graph, slices, counter)
    try:
        with ProcessPoolExecutor(jobs - 1, mp_context=fork) as pool:
            shares = [pool.submit(_evaluate_share) for _ in range(jobs - 1)]
            context = Context(graph)
            while (number := _claim(counter)) < len(slices):
                low, high = slices[number]
                made, failed = _judge_to_send(context, plan[low:high], texts)
                entries[starts[number] : starts[number + 1]] = made
                errors.extend(failed)
            sent = [share.result() for share in shares]
    finally:
        _SHARED = None
    for share in sent:
        for at, (number, data) in enumerate(share):
            share[at] = (number, b"")  # each slice's bytes freed as its entries are placed
            made, failed = pickle.loads(data)
            entries[starts[number] : starts[number + 1]] = made
            errors.extend(failed)
    return _received(plan, entries, texts), errors


def _sorted(findings: list[Finding]) -> list[Finding]:
    """sorted(findings, key=Finding.sort_key), without a key for every finding at once (a
    4-tuple each: on 50,000 files a hundred megabytes, at the end of evaluation): grouped by
    path in order, the paths sorted, each group sorted by the rest of the key."""
    by_path: dict[str, list[Finding]] = {}
    for f in findings:
        group = by_path.get(f.location.path)
        if group is None:
            by_path[f.location.path] = [f]
        else:
            group.append(f)
    out: list[Finding] = []
    for path in sorted(by_path):
        group = by_path.pop(path)
        group.sort(key=_REST_OF_KEY)
        out += group
    return out


# Finding.sort_key after its path
_REST_OF_KEY = attrgetter("location.start_line", "rule_id", "resource")


def make_finding(rule: Rule, res: Resource, outcome: Outcome) -> Finding:
    status, location, message, evidence, source, files = _made(rule, res, outcome)
    return _finding(
        rule.id,
        res.address,
        res.type,
        status,
        location,
        message,
        evidence,
        res.location,
        res.call_sites,
        source,
        files,
    )


def _made(
    rule: Rule, res: Resource, outcome: Outcome
) -> tuple[Status, Location, str, tuple[str, ...], str, tuple[str, ...]]:
    """A finding's fields that depend on the outcome: (status, location, message, evidence,
    value source, value files)."""
    status, decided_by, path, detail, value_path = outcome
    where = res if decided_by is None else decided_by
    if callable(path):
        path = path()
    location = where.location_of(path) if path else where.location
    source = ""
    files: tuple[str, ...] = ()
    if status is PASS:
        message = rule.title
    else:
        message = rule.message if status is FAIL else f"{_NEEDS_REVIEW}{rule.title}"
        if callable(detail):
            detail = detail()
        if detail and rule.sensitive:
            # the value may be a secret: say where it is, never what it is
            where_text = f"{decided_by.address}: " if decided_by is not None else ""
            detail = f"{where_text}{path or 'a value'} holds a literal value (not shown)"
        if detail:
            message = f"{message}: {detail}"
        if where.provenance is not None:
            if callable(value_path):
                value_path = value_path()
            source, files = value_source(where.provenance, where.attributes, value_path or path)
    evidence = (decided_by.address,) if decided_by is not None else ()
    return status, location, message, evidence, source, files


_NEEDS_REVIEW = "Needs review, not known statically: "
_FINDING_FIELDS = tuple(f.name for f in fields(Finding))
_FINDING_MADE = (
    "rule_id",
    "resource",
    "resource_type",
    "status",
    "location",
    "message",
    "evidence",
    "resource_location",
    "call_sites",
    "value_source",
    "value_files",
)
_FINDING_REST = tuple((f.name, f.default) for f in fields(Finding) if f.name not in _FINDING_MADE)
_set = object.__setattr__


def _finding(
    rule_id: str,
    resource: str,
    resource_type: str,
    status: Status,
    location: Location,
    message: str,
    evidence: tuple[str, ...],
    resource_location: Location,
    call_sites: tuple[Location, ...],
    value_source: str,
    value_files: tuple[str, ...],
) -> Finding:
    """Finding(...) with these fields, as its frozen dataclass __init__ makes it (one
    object.__setattr__ per field, in field order) without the call through keywords and
    defaults. Not by updating the object's __dict__, which would be quicker still: asking for
    an object's __dict__ gives it a dictionary of its own (about 350 bytes), where attributes
    set one by one live in a small array the class's objects share their keys for (about
    180 bytes a finding in all), and a scan keeps a finding for every rule on every resource.
    Used only while Finding is a frozen dataclass without __post_init__ whose other fields have
    defaults (tests compare the two)."""
    finding = _bare(Finding)
    _set(finding, "rule_id", rule_id)
    _set(finding, "resource", resource)
    _set(finding, "resource_type", resource_type)
    _set(finding, "status", status)
    _set(finding, "location", location)
    _set(finding, "message", message)
    _set(finding, "evidence", evidence)
    _set(finding, "resource_location", resource_location)
    _set(finding, "call_sites", call_sites)
    _set(finding, "value_source", value_source)
    _set(finding, "value_files", value_files)
    for name, default in _FINDING_REST:
        _set(finding, name, default)
    return finding


def _finding_by_init(*values: Any) -> Finding:
    return Finding(**dict(zip(_FINDING_MADE, values, strict=True)))


_bare = object.__new__
if (
    hasattr(Finding, "__post_init__")
    or _FINDING_FIELDS[: len(_FINDING_MADE)] != _FINDING_MADE
    or any(f.default is MISSING for f in fields(Finding) if f.name not in _FINDING_MADE)
):
    _finding = _finding_by_init  # type: ignore[assignment]  # noqa: F811
