"""Regular expressions from rules and from scanned Terraform run on RE2: linear in the length of
the text whatever the pattern, so no pattern (written in a pull request, say) can make a scan
backtrack for ever. Terraform's regex functions use Go's regexp, which is RE2 syntax, so this
is also Terraform's meaning. A pattern RE2 does not accept (lookaround, backreferences) raises
RegexError with RE2's reason."""

from __future__ import annotations

import functools
import re
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import re2

MAX_PATTERN = 2000


class RegexError(ValueError):
    """A pattern RE2 refuses; the message says why."""


def _options() -> re2.Options:
    import re2  # here: a run that matches no pattern of a rule or of Terraform loads no RE2

    options = re2.Options()
    options.log_errors = False  # RE2 would write every refused pattern to standard error
    return options


@functools.lru_cache(maxsize=1024)
def compile_linear(pattern: str) -> re2._Regexp:
    """pattern compiled by RE2 (cached)."""
    if len(pattern) > MAX_PATTERN:
        raise RegexError(f"regular expression longer than {MAX_PATTERN} characters")
    import re2

    try:
        return re2.compile(pattern, _options())
    except re2.error as exc:
        reason = exc.args[0] if exc.args else exc
        if isinstance(reason, bytes):
            reason = reason.decode("utf-8", "replace")
        raise RegexError(
            f"not a regular expression the linear-time engine (RE2 syntax) accepts: {reason}"
        ) from None


class Lazy:
    """A pattern compiled when first used (re, or RE2 with linear=True): a module's patterns for
    what most runs never meet (a peer's suppression marker, a file no platform reads) cost a
    one-file pre-commit run nothing at import."""

    __slots__ = ("_compiled", "_flags", "_linear", "_pattern")

    def __init__(self, pattern: str, flags: int = 0, *, linear: bool = False) -> None:
        self._pattern, self._flags, self._linear = pattern, flags, linear
        self._compiled: Any = None

    def __repr__(self) -> str:
        return f"Lazy({self._pattern!r})"

    def __getattr__(self, name: str) -> Any:  # match, search, findall, sub, pattern, ...
        compiled = self._compiled
        if compiled is None:
            compiled = self._compiled = (
                compile_linear(self._pattern)
                if self._linear
                else re.compile(self._pattern, self._flags)
            )
        return getattr(compiled, name)
