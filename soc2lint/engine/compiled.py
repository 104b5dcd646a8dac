"""Condition trees compiled once into closures, for the scan's evaluation.

`Evaluator.check` (evaluate.py) is the definition: it interprets a condition tree, deciding on
every call which kind of node it holds, which branches of the operator's handling apply, how
the path joins, what each detail says. A scan asks that of every rule on every resource, so the
compiled form decides it once per condition: each node becomes a function `(context, resource,
value, prefix) -> Outcome` holding its children's functions, the branches its operator takes,
its path split into the segments a dictionary walk takes and the texts that do not depend on
the value (the operator's function itself is looked up when used, as the interpreter does).
The outcomes are the same, detail for detail and Unknown for Unknown
(tests/test_engine_compiled.py compares the two over every rule's fixtures and over generated
conditions and values); every child is still evaluated, as the interpreter does, so a rule that
raises on a resource raises here too.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from soc2lint import platforms
from soc2lint.engine.evaluate import (
    FAIL,
    PASS,
    UNKNOWN,
    Match,
    Outcome,
    _deepest_later,
    _may_link,
    _module_of,
    _prefixed,
    _show,
    _step,
    _type_matches,
    _why,
    combine_all,
    combine_any,
    resolve,
)
from soc2lint.engine.operators import (
    DECIDED_BY_ONE,
    OPERATORS,
    decide_by_prefix,
    excluded_by_prefix,
)
from soc2lint.engine.rules import All, AnyOf, Attr, Condition, Connected, Each, Not
from soc2lint.graph import ResourceGraph
from soc2lint.model import Resource, Unknown

# Outcome(...) and Match(...) run a Python __new__; tuple.__new__ builds the same named tuple
_new = tuple.__new__
_FLIP = {PASS: FAIL, FAIL: PASS, UNKNOWN: UNKNOWN}

Compiled = Callable[["Context", Resource, Any, str], Outcome]


class Context:
    """What compiled conditions ask of one graph: links, indexed lookups, answers kept."""

    def __init__(self, graph: ResourceGraph) -> None:
        self.graph = graph
        # platforms whose links are written as values that may stay unknown (Terraform's
        # references); label selectors and names resolve fully
        self.by_value = {p.rule_platform for p in platforms.platforms() if p.links_by_value}
        self.orphans: dict[tuple, Resource | None] = {}
        self._module_types: dict[tuple[str, ...], list[str]] = {}
        self._members: dict[str, dict[tuple[str, str], list[Resource]]] = {}

    def module_members(self, types: tuple[str, ...], res: Resource) -> list[Resource]:
        """Resources and objects of types in res's scope and module instance, res not among
        them: graph types in sorted order, each in the graph's order (as the interpreter)."""
        wanted = self._module_types.get(types)
        if wanted is None:
            wanted = [
                t for t in sorted(self.graph.types()) if any(_type_matches(t, p) for p in types)
            ]
            self._module_types[types] = wanted
        place = (res.scope, _module_of(res))
        key = res.key
        out: list[Resource] = []
        for t in wanted:
            groups = self._members.get(t)
            if groups is None:
                groups = {}
                for n in self.graph.of_type(t):
                    if n.kind in ("resource", "object"):
                        groups.setdefault((n.scope, _module_of(n)), []).append(n)
                self._members[t] = groups
            out.extend(n for n in groups.get(place, ()) if n.key != key)
        return out


_CACHE: dict[int, tuple[Condition, Compiled]] = {}


def compiled(cond: Condition) -> Compiled:
    """The function of a condition, made once per condition object (rules are frozen and a
    process loads a rule set once)."""
    hit = _CACHE.get(id(cond))
    if hit is not None and hit[0] is cond:
        return hit[1]
    kind = type(cond)
    if kind is Attr:
        fn = _attr(cond)  # type: ignore[arg-type]
    elif kind is All or kind is AnyOf:
        fn = _all_any(cond)  # type: ignore[arg-type]
    elif kind is Not:
        fn = _not(cond)  # type: ignore[arg-type]
    elif kind is Each:
        fn = _each(cond)  # type: ignore[arg-type]
    elif kind is Connected:
        fn = _connected(cond)  # type: ignore[arg-type]
    else:
        raise TypeError(cond)
    if len(_CACHE) >= 100_000:  # a long-lived process reading ever new rule sets
        _CACHE.clear()
    _CACHE[id(cond)] = (cond, fn)  # the condition is kept: its id is not reused
    return fn


def _join_to(prefix: str, shown: str) -> str:
    return f"{prefix}.{shown}" if prefix else shown


# -- paths -------------------------------------------------------------------------------------


def _plain(path: tuple[str, ...]) -> bool:
    """A path resolve walks as dictionary keys as long as the values are maps: no `*`, no
    globs, no empty segment (whose joining differs)."""
    return bool(path) and all(seg and "*" not in seg for seg in path)


Walk = Callable[[Any, str], tuple[list[Match], Any]]


def _walker(path: tuple[str, ...]) -> Walk:
    """(value, prefix) -> (resolve(value, path, prefix), where): where nothing matches, where
    is what _deepest tells, the path of the deepest written part of path. resolve walks the
    path one segment at a time, and the values after k segments are resolve(path[:k]): the
    deepest written part is the first value of the last segment that found any (the prefix
    itself when the first found none)."""
    if not path or not all(path):

        def general(value: Any, prefix: str) -> tuple[list[Match], Any]:
            found = resolve(value, path, prefix)
            return found, (None if found else _deepest_later(value, path, prefix))

        return general

    joined = [".".join(path[:i]) for i in range(len(path) + 1)]
    last = len(path)

    def walk(value: Any, prefix: str) -> tuple[list[Match], Any]:
        # as resolve: maps keyed by the path's names all the way need no fan-out
        at = 0
        for segment in path:
            if type(value) is not dict or segment == "*":
                break
            if segment not in value:
                if "*" in segment:  # a glob over map keys: the general walk below
                    break
                return [], (f"{prefix}.{joined[at]}" if prefix else joined[at]) if at else prefix
            value = value[segment]
            at += 1
        if at:
            prefix = f"{prefix}.{joined[at]}" if prefix else joined[at]
        current = [_new(Match, (value, prefix))]
        if at == last:
            return current, None
        for segment in path[at:]:
            found: list[Match] = []
            for m in current:
                _step_into(found, m.value, m.path, segment)
            if not found:
                return found, current[0].path
            current = found
        return current, None

    return walk


def _step_into(out: list[Match], value: Any, path: str, segment: str) -> None:
    """out.extend(_step(Match(value, path), segment)), without a generator for maps and lists."""
    kind = type(value)
    if kind is dict:
        if segment == "*":
            out.append(_new(Match, (value, path)))  # a map is its own only element
        elif segment in value:
            out.append(_new(Match, (value[segment], f"{path}.{segment}" if path else segment)))
        elif "*" in segment:  # a glob over map keys
            out.extend(_step(_new(Match, (value, path)), segment))
    elif kind is list:
        if segment == "*":
            out.extend(
                _new(Match, (item, f"{path}.{i}" if path else str(i)))
                for i, item in enumerate(value)
            )
        elif segment.isdigit():
            index = int(segment)
            if index < len(value):
                out.append(_new(Match, (value[index], f"{path}.{index}" if path else str(index))))
        else:
            for i, item in enumerate(value):
                _step_into(out, item, f"{path}.{i}" if path else str(i), segment)
    else:  # an Unknown, a string that may hold JSON, a scalar, None
        out.extend(_step(_new(Match, (value, path)), segment))


# -- attribute ---------------------------------------------------------------------------------


def _attr(cond: Attr) -> Compiled:
    path, op = cond.path, cond.op
    shown = ".".join(path)
    walk = _walker(path)
    plain = _plain(path)
    joined = [".".join(path[:i]) for i in range(len(path) + 1)]
    combine = combine_all if cond.match == "all" else combine_any
    decide_unknown = {"fail": FAIL, "pass": PASS}.get(cond.unknown)  # None: unknown stays so

    if op == "written":
        body, single, missing = _written(shown)
    elif op in ("exists", "absent"):
        body, single, missing = _exists(shown, op == "exists")
    else:
        body, single, missing = _compare(cond, shown, combine)

    def general(value: Any, prefix: str) -> Outcome:
        matches, deepest = walk(value, prefix)
        if decide_unknown is not None:
            first = next((m for m in matches if isinstance(m.value, Unknown)), None)
            if first is not None:
                # values not known statically decide as the rule says; the known ones as usual
                decided = _new(
                    Outcome, (decide_unknown, None, first.path, _why(first.value, shown), "")
                )
                known = [m for m in matches if not isinstance(m.value, Unknown)]
                if not known:
                    return decided
                return combine([body(value, prefix, known, None), decided])
        return body(value, prefix, matches, deepest)

    if not plain:

        def attr_any_path(ctx: Context, res: Resource, value: Any, prefix: str) -> Outcome:
            return general(value, prefix)

        return attr_any_path

    full = joined[-1]
    # at the resource's top (no prefix) an absent key gives the same outcome every time
    missing_at_top = [missing(prefix="", where=joined[i] if i else "") for i in range(len(path))]

    def attr(ctx: Context, res: Resource, value: Any, prefix: str) -> Outcome:
        found = value
        for at, segment in enumerate(path):
            if type(found) is not dict:
                return general(value, prefix)
            if segment not in found:
                if not prefix:
                    return missing_at_top[at]
                return missing(prefix, (f"{prefix}.{joined[at]}" if at else prefix))
            found = found[segment]
        where = f"{prefix}.{full}" if prefix else full
        if decide_unknown is not None and isinstance(found, Unknown):
            return _new(Outcome, (decide_unknown, None, where, _why(found, shown), ""))
        return single(found, where, value, prefix)

    return attr


def _written(shown: str) -> tuple:
    yes, no = f"{shown} is written", f"{shown} is not written"

    def body(value: Any, prefix: str, matches: list[Match], deepest: Any) -> Outcome:
        for m in matches:
            if m.value is not None:
                return _new(Outcome, (PASS, None, m.path, yes, ""))
        return _new(Outcome, (FAIL, None, _join_to(prefix, shown), no, ""))

    def single(found: Any, where: str, value: Any, prefix: str) -> Outcome:
        if found is not None:
            return _new(Outcome, (PASS, None, where, yes, ""))
        return _new(Outcome, (FAIL, None, _join_to(prefix, shown), no, ""))

    def missing(prefix: str, where: Any) -> Outcome:
        return _new(Outcome, (FAIL, None, _join_to(prefix, shown), no, ""))

    return body, single, missing


def _exists(shown: str, exists: bool) -> tuple:
    not_set = f"{shown} is not set"
    hit, miss = (PASS, FAIL) if exists else (FAIL, PASS)
    unknown_status = UNKNOWN

    def is_set(v: Any) -> bool:
        # an Unknown that cannot be null (an ARN known after apply) still counts as set
        return (not isinstance(v, Unknown) or v.not_null) and v not in ("", [], {})

    def body(value: Any, prefix: str, matches: list[Match], deepest: Any) -> Outcome:
        present = [m for m in matches if m.value is not None]
        first = next((m for m in present if is_set(m.value)), None)
        if first is not None:
            return _new(Outcome, (hit, None, first.path, _shown_as(shown, first.value), ""))
        for m in present:
            if isinstance(m.value, Unknown):
                return _new(Outcome, (unknown_status, None, m.path, _why(m.value, shown), ""))
        where = matches[0].path if matches else deepest
        return _new(Outcome, (miss, None, where, not_set, _join_to(prefix, shown)))

    def single(found: Any, where: str, value: Any, prefix: str) -> Outcome:
        if found is not None:
            if is_set(found):
                return _new(Outcome, (hit, None, where, _shown_as(shown, found), ""))
            if isinstance(found, Unknown):
                return _new(Outcome, (unknown_status, None, where, _why(found, shown), ""))
        return _new(Outcome, (miss, None, where, not_set, _join_to(prefix, shown)))

    def missing(prefix: str, where: Any) -> Outcome:
        return _new(Outcome, (miss, None, where, not_set, _join_to(prefix, shown)))

    return body, single, missing


def _shown_as(shown: str, value: Any) -> Callable[[], str]:
    return lambda: f"{shown} = {_show(value)}"


def _compare(cond: Attr, shown: str, combine: Callable) -> tuple:
    op, expected = cond.op, cond.value
    missing_status = {"fail": FAIL, "pass": PASS, "unknown": UNKNOWN}[cond.missing]
    not_set = f"{shown} is not set"
    by_prefix = op in ("equals", "not_equals", "in", "not_in")  # decide_by_prefix's operators
    decisive = DECIDED_BY_ONE.get(op)
    upper_path = _walker(cond.to_path) if cond.to_path is not None else None
    texts: list[str] = []

    def expectation() -> str:
        if not texts:  # the rule's value is shown only when a failure is reported
            texts.append(
                f" (expected {op.replace('_', ' ')}"
                + (f" {_show(expected)})" if OPERATORS[op].needs_value else ")")
            )
        return texts[0]

    def decided_by_known_part(actual: list, path: str) -> Outcome | None:
        known = [v for v in actual if not isinstance(v, Unknown)]
        if known and OPERATORS[op].fn(known, expected) is decisive:
            status = PASS if decisive else FAIL
            detail = f"{shown} = {_show(known)} (and values not known)"
            return _new(Outcome, (status, None, path, detail, ""))
        # the unknown elements are partly known strings that cannot be the value looked for
        if op in ("contains", "not_contains") and all(
            excluded_by_prefix(v, expected) for v in actual if isinstance(v, Unknown)
        ):
            status = PASS if OPERATORS[op].fn(known, expected) else FAIL
            detail = f"{shown} = {_show(known)} (and values not known)"
            return _new(Outcome, (status, None, path, detail, ""))
        return None

    def one(actual: Any, path: str, value: Any, prefix: str) -> Outcome:
        if upper_path is not None:
            upper = upper_path(value, prefix)[0]
            upper_value = upper[0].value if upper else actual
            actual = upper_value if isinstance(upper_value, Unknown) else [actual, upper_value]
        if isinstance(actual, Unknown):
            if by_prefix:
                decided = decide_by_prefix(op, actual, expected)
                if decided is not None:
                    detail = f"{shown} starts with {actual.prefix!r} (rest not known)"
                    return _new(Outcome, (PASS if decided else FAIL, None, path, detail, ""))
            return _new(Outcome, (UNKNOWN, None, path, _why(actual, shown), ""))
        if isinstance(actual, list) and any(isinstance(v, Unknown) for v in actual):
            known_part = decided_by_known_part(actual, path) if decisive is not None else None
            return known_part or _new(Outcome, (UNKNOWN, None, path, _why(actual, shown), ""))
        # the operator is looked up when used, as the interpreter does (a test replaces one)
        result = OPERATORS[op].fn(actual, expected)
        if isinstance(result, Unknown):
            return _new(Outcome, (UNKNOWN, None, path, result.reason, ""))
        if result:
            return _new(Outcome, (PASS, None, path, lambda: f"{shown} = {_show(actual)}", ""))
        return _new(
            Outcome, (FAIL, None, path, lambda: f"{shown} = {_show(actual)}{expectation()}", "")
        )

    def body(value: Any, prefix: str, matches: list[Match], deepest: Any) -> Outcome:
        present = [m for m in matches if m.value is not None]
        if not present:
            where = matches[0].path if matches else deepest
            return _new(Outcome, (missing_status, None, where, not_set, _join_to(prefix, shown)))
        if len(present) == 1:
            return one(present[0].value, present[0].path, value, prefix)
        return combine([one(m.value, m.path, value, prefix) for m in present])

    def single(found: Any, where: str, value: Any, prefix: str) -> Outcome:
        if found is None:
            return _new(Outcome, (missing_status, None, where, not_set, _join_to(prefix, shown)))
        return one(found, where, value, prefix)

    def missing(prefix: str, where: Any) -> Outcome:
        return _new(Outcome, (missing_status, None, where, not_set, _join_to(prefix, shown)))

    return body, single, missing


# -- combinations ------------------------------------------------------------------------------


def _all_any(cond: All | AnyOf) -> Compiled:
    items = tuple(compiled(c) for c in cond.items)
    if not items:
        empty = Outcome(PASS) if type(cond) is All else Outcome(FAIL)
        return lambda ctx, res, value, prefix: empty
    # all: the first failure, else the first unknown, else the first; any: the first pass, ...
    decides = FAIL if type(cond) is All else PASS

    def all_any(ctx: Context, res: Resource, value: Any, prefix: str) -> Outcome:
        outcomes = [f(ctx, res, value, prefix) for f in items]  # every one, as the interpreter
        for o in outcomes:
            if o[0] is decides:
                return o
        for o in outcomes:
            if o[0] is UNKNOWN:
                return o
        return outcomes[0]

    return all_any


def _not(cond: Not) -> Compiled:
    item = compiled(cond.item)

    def not_(ctx: Context, res: Resource, value: Any, prefix: str) -> Outcome:
        # the detail names the value that decided, which is what a failing `not` reports too
        o = item(ctx, res, value, prefix)
        return _new(Outcome, (_FLIP[o[0]], o[1], o[2], o[3], o[4]))

    return not_


def _each(cond: Each) -> Compiled:
    shown = ".".join(cond.path)
    walk = _walker(cond.path)
    child = compiled(cond.condition)
    every, entries = cond.quantifier == "every", cond.entries
    none = f"no {shown}"
    nothing = _new(Outcome, (PASS, None, "", none, ""))

    def each(ctx: Context, res: Resource, value: Any, prefix: str) -> Outcome:
        matches = walk(value, prefix)[0]
        unknown = None
        elements: list[tuple[Any, str]] = []
        for m in matches:
            v = m.value
            if isinstance(v, list):
                base = m.path
                for i, item in enumerate(v):
                    if not isinstance(item, Unknown):
                        elements.append((item, f"{base}.{i}" if base else str(i)))
            elif isinstance(v, Unknown):
                if unknown is None:
                    unknown = m
            elif v is not None:
                elements.append((v, m.path))
        if entries:
            # each entry of each map as {key, value}, at the key's own path (its own line)
            elements = [
                ({"key": k, "value": v[k]}, f"{p}.{k}" if p else str(k))
                for v, p in elements
                if isinstance(v, dict)
                for k in sorted(v, key=str)
            ]
        outcomes = [child(ctx, res, v, p) for v, p in elements]
        if unknown is not None:
            why = _why(unknown.value, shown)
            outcomes.append(_new(Outcome, (UNKNOWN, None, unknown.path, why, "")))
        if every:
            return combine_all(outcomes) if outcomes else nothing
        if not outcomes:
            return _new(Outcome, (FAIL, None, _join_to(prefix, shown), none, ""))
        return combine_any(outcomes)

    return each


# -- connections -------------------------------------------------------------------------------


def _connected(cond: Connected) -> Compiled:
    types, via, direction = cond.types, cond.via, cond.direction
    child = compiled(cond.condition) if cond.condition is not None else None
    names = "/".join(types)
    match_all, match_any = cond.match == "all", cond.match == "any"
    within = cond.within == "module"
    not_linked = f"no linked {names} in the scanned files"
    unknown_if_none = cond.missing == "unknown"
    no_all = _new(Outcome, (PASS, None, "", f"no {names}", ""))
    no_any = _new(
        Outcome,
        (FAIL, None, "", f"no {names} in this module" if cond.within else f"no linked {names}", ""),
    )
    # an unresolved link may configure the subject: looked for where a link is written as a
    # value (in, or either way), and not among the members of a module
    may_orphan = direction != "out" and not cond.within

    def find_orphan(ctx: Context, res: Resource) -> Resource | None:
        """A resource of the wanted type in the same scope that links to nothing of ours."""
        graph, key = ctx.graph, res.key
        for t in types:
            for other in graph.in_scope(t, res.scope):
                if other.key == key:
                    continue
                # with `via`, a link made by that attribute to anything (aws_alb where the
                # subject is an aws_lb, an API stage) shows what other configures: not ours
                linked = graph.neighbours(other.key, None if via else res.type, "any", via=via)
                if linked or not _may_link(other, via):
                    continue
                # one that fails the condition could not change the result, wherever it points
                if child is not None and child(ctx, other, other.attributes, "")[0] is FAIL:
                    continue
                return other
        return None

    def connected(ctx: Context, res: Resource, value: Any, prefix: str) -> Outcome:
        if within:
            neighbours = ctx.module_members(types, res)
        else:
            near = ctx.graph.neighbours(res.key, None, direction, via=via)
            neighbours = [n for t in types for n in near if _type_matches(n.type, t)]
        if not neighbours and unknown_if_none:
            return _new(Outcome, (UNKNOWN, None, "", not_linked, ""))
        outcomes: list[Outcome] = []
        for n in neighbours:
            if child is None:
                outcomes.append(_new(Outcome, (PASS, n, "", f"{n.address} is linked", "")))
            else:
                o = child(ctx, n, n.attributes, "")
                # a nested connection keeps the resource that decided: the path is into it
                where = o[1] or n
                detail = _prefixed(n.address, o[3])
                outcomes.append(_new(Outcome, (o[0], where, o[2], detail, o[4])))
        if match_all:
            return combine_all(outcomes) if outcomes else no_all
        found = combine_any(outcomes) if outcomes else no_any
        if found[0] is FAIL and may_orphan and res.platform in ctx.by_value:
            key = (connected, res.scope, res.type)  # once per scope and type: the same answer
            if key in ctx.orphans:
                orphan = ctx.orphans[key]
            else:
                orphan = ctx.orphans[key] = find_orphan(ctx, res)
            if orphan is not None:
                found = _new(
                    Outcome,
                    (
                        UNKNOWN,
                        orphan,
                        "",
                        f"{orphan.address} may configure this "
                        "resource, but its link cannot be resolved statically",
                        "",
                    ),
                )
        if match_any:
            return found
        return _new(Outcome, (_FLIP[found[0]], found[1], found[2], found[3], found[4]))

    return connected
