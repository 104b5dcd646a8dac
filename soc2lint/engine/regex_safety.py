r"""Refuse regular expressions that Python's backtracking engine can take exponential (or high
polynomial) time on, before they ever run.

Rules' patterns are checked when the rules load, and patterns inside scanned Terraform
(`regex()`, `replace(s, "/re/", …)`) before they are evaluated: a hostile pull request must not
be able to hang CI with `replace(var.x, "/^(a|aa)+$/", "")`. The check is structural and
conservative; a refused pattern is a rule error at load, or an Unknown value in Terraform.

Refused shapes:
- a repeated part that itself holds a repetition: `(a+)+`, `(.*a){25}`, `((a+))+`;
- a repeated part with alternatives that can start with the same character, or can be empty:
  `(a|aa)+`, `(x|x?)*` (the engine tries every way of splitting the input between them);
- more than three unbounded wildcards (`.*`, `[^x]+`) in one pattern, or three unbounded
  repetitions in a row that can match the same characters (`a+a+a+`, `\w+\w*\w+`): each
  multiplies the work on an input that does not match.
"""

from __future__ import annotations

import re
import sys
from typing import Any

if sys.version_info >= (3, 11):
    from re import _constants as C  # noqa: N812
    from re import _parser as sre_parse
else:  # pragma: no cover - Python 3.10
    import sre_constants as C  # noqa: N812
    import sre_parse

_REPEATS = {C.MAX_REPEAT, C.MIN_REPEAT, getattr(C, "POSSESSIVE_REPEAT", C.MAX_REPEAT)}
_ANYTHING = None  # a first-character set that may hold any character
MAX_WILDCARDS = 3
MAX_CHAIN = 3
_SPACE = frozenset(map(ord, " \t\n\r\f\v"))
_DIGIT = frozenset(range(ord("0"), ord("9") + 1))
_WORD = frozenset(map(ord, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ_")) | _DIGIT
# (characters, whether the class is all but those); \w is approximated by its ASCII part
_CATEGORIES = {
    C.CATEGORY_SPACE: (_SPACE, False),
    C.CATEGORY_NOT_SPACE: (_SPACE, True),
    C.CATEGORY_DIGIT: (_DIGIT, False),
    C.CATEGORY_NOT_DIGIT: (_DIGIT, True),
    C.CATEGORY_WORD: (_WORD, False),
    C.CATEGORY_NOT_WORD: (_WORD, True),
}


def _overlap(one: _Charset | None, other: _Charset | None) -> bool:
    return one is _ANYTHING or other is _ANYTHING or one.meets(other)


class _Charset:
    """The characters a piece may start with: chars, or everything but chars when negated."""

    __slots__ = ("chars", "negated")

    def __init__(self, chars: frozenset[int], negated: bool = False) -> None:
        self.chars, self.negated = chars, negated

    def meets(self, other: _Charset) -> bool:
        if self.negated and other.negated:
            return True
        if self.negated:
            return bool(other.chars - self.chars)
        if other.negated:
            return bool(self.chars - other.chars)
        return bool(self.chars & other.chars)


def backtracking_risk(pattern: str, flags: int = 0) -> str | None:
    """Why pattern may take exponential or high-polynomial time, or None when it is safe."""
    try:
        tree = sre_parse.parse(pattern, flags)
    except (re.error, RecursionError, OverflowError) as exc:
        return f"invalid regular expression: {exc}"
    fold = bool(tree.state.flags & re.IGNORECASE)
    walker = _Walker(fold)
    try:
        walker.walk(list(tree), 0)
    except RecursionError:
        return "regular expression nested too deeply"
    if walker.problem:
        return walker.problem
    if walker.wildcards > MAX_WILDCARDS:
        return (
            f"{walker.wildcards} unbounded wildcards like .* in one pattern (at most "
            f"{MAX_WILDCARDS}): each multiplies the time taken on text that does not match"
        )
    return None


class _Walker:
    def __init__(self, fold: bool) -> None:
        self.fold = fold
        self.problem: str | None = None
        self.wildcards = 0

    def walk(self, items: list[tuple[Any, Any]], repeated: int) -> None:
        """repeated: how many enclosing repetitions (of more than one) there are."""
        chain: list[_Charset | None] = []  # overlapping unbounded repetitions in a row
        for op, av in items:
            if self.problem:
                return
            self._chain(chain, op, av)
            if self.problem:
                return
            if op in _REPEATS:
                low, high, sub = av
                many = high == C.MAXREPEAT or high > 1
                if many and repeated:
                    self.problem = (
                        "a repetition inside a repetition, like (a+)+ or (.*a){25}, can "
                        "backtrack catastrophically"
                    )
                    return
                if many:
                    self._alternatives_in(list(sub))
                if high == C.MAXREPEAT and self._wild(list(sub)):
                    self.wildcards += 1
                self.walk(list(sub), repeated + (1 if many else 0))
            elif op == C.BRANCH:
                for branch in av[1]:
                    self.walk(list(branch), repeated)
            elif op == C.SUBPATTERN:
                self.walk(list(av[-1]), repeated)
            elif op in (C.ASSERT, C.ASSERT_NOT):
                self.walk(list(av[1]), repeated)
            elif op == getattr(C, "ATOMIC_GROUP", None):
                self.walk(list(av), repeated)
            elif op == C.GROUPREF_EXISTS:
                for part in av[1:]:
                    if part is not None:
                        self.walk(list(part), repeated)

    def _chain(self, chain: list[_Charset | None], op: Any, av: Any) -> None:
        """Count unbounded repetitions in a row that can match the same characters: a+a+a+!
        tries every way of sharing the a's among them (time grows as the length to the power
        of their number). A character all of them could match keeps the chain; one they could
        not breaks it; an optional part (a?, (x)?) is passed over."""
        if op in _REPEATS and av[1] == C.MAXREPEAT:
            here = self.first(list(av[2]))
            if not all(_overlap(here, c) for c in chain):
                chain.clear()
            chain.append(here)
            if len(chain) >= MAX_CHAIN:
                self.problem = (
                    f"{len(chain)} unbounded repetitions in a row that can match the same "
                    "characters, like a+a+a+, take time that grows as a power of the length"
                )
        elif op == C.AT or (op in _REPEATS and av[0] == 0):
            return
        else:
            here = self.first([(op, av)])
            if not all(_overlap(here, c) for c in chain):
                chain.clear()

    def _alternatives_in(self, items: list[tuple[Any, Any]]) -> None:
        """A repeated part holding alternatives that may start alike, or be empty, is ambiguous
        (the parser factors common prefixes out: (a|aa)+ arrives as a(?:|a), so every set of
        alternatives in the part counts, not only a leading one)."""
        for op, av in items:
            if op == C.SUBPATTERN:
                self._alternatives_in(list(av[-1]))
            elif op == C.BRANCH:
                starts = [self.first(list(b)) for b in av[1]]
                for i, one in enumerate(starts):
                    for other in starts[i + 1 :]:
                        if one is _ANYTHING or other is _ANYTHING or one.meets(other):
                            self.problem = (
                                "a repetition of alternatives that can match the same text, "
                                "like (a|aa)+, can backtrack catastrophically"
                            )
                            return

    def first(self, items: list[tuple[Any, Any]]) -> _Charset | None:
        """The characters items may start with; None when that is anything (or nothing)."""
        for op, av in items:
            if op == C.AT:
                continue
            if op == C.LITERAL:
                return _Charset(self._folded({av}))
            if op == C.NOT_LITERAL:
                return _Charset(self._folded({av}), negated=True)
            if op == C.IN:
                return self._set(av)
            if op == C.SUBPATTERN:
                return self.first(list(av[-1]))
            if op in _REPEATS and av[0] >= 1:
                return self.first(list(av[2]))
            return _ANYTHING
        return _ANYTHING  # an empty alternative matches anywhere

    def _set(self, av: list[tuple[Any, Any]]) -> _Charset | None:
        """A character class: its characters, or all but some (\\S, [^x]); None for anything."""
        negated, chars, excluded = False, set(), []
        for op, value in av:
            if op == C.NEGATE:
                negated = True
            elif op == C.LITERAL:
                chars.add(value)
            elif op == C.RANGE and value[1] - value[0] <= 512:
                chars.update(range(value[0], value[1] + 1))
            elif op == C.CATEGORY and value in _CATEGORIES:
                members, inverse = _CATEGORIES[value]
                if inverse:
                    excluded.append(members)
                else:
                    chars |= members
            else:  # a wide range, an unknown category: anything
                return _ANYTHING if not negated else _Charset(frozenset(), negated=True)
        if excluded:  # \S, \D, \W, alone or beside characters they leave out anyway
            if negated or len(excluded) > 1:
                return _ANYTHING
            rest = excluded[0] - chars
            return _Charset(self._folded(rest), negated=True)
        return _Charset(self._folded(chars), negated)

    def _folded(self, chars: set[int]) -> frozenset[int]:
        if not self.fold:
            return frozenset(chars)
        out = set(chars)
        for c in chars:
            out.update(ord(x) for x in (chr(c).lower(), chr(c).upper()) if len(x) == 1)
        return frozenset(out)

    def _wild(self, items: list[tuple[Any, Any]]) -> bool:
        """A repeated single item that matches (nearly) any character."""
        if len(items) != 1:
            return False
        op, av = items[0]
        return (
            op == C.ANY
            or (op == C.IN and bool(av) and av[0][0] == C.NEGATE)
            or (op == C.NOT_LITERAL)
        )
