"""Regular expressions from rules and from scanned Terraform run on RE2: linear in the length of
the text whatever the pattern, so no pattern (written in a pull request, say) can make a scan
backtrack for ever. Terraform's regex functions use Go's regexp, which is RE2 syntax, so this
is also Terraform's meaning. A pattern RE2 does not accept (lookaround, backreferences) raises
RegexError with RE2's reason."""

from __future__ import annotations

import functools

import re2

MAX_PATTERN = 2000


class RegexError(ValueError):
    """A pattern RE2 refuses; the message says why."""


def _options() -> re2.Options:
    options = re2.Options()
    options.log_errors = False  # RE2 would write every refused pattern to standard error
    return options


@functools.lru_cache(maxsize=1024)
def compile_linear(pattern: str) -> re2._Regexp:
    """pattern compiled by RE2 (cached)."""
    if len(pattern) > MAX_PATTERN:
        raise RegexError(f"regular expression longer than {MAX_PATTERN} characters")
    try:
        return re2.compile(pattern, _options())
    except re2.error as exc:
        reason = exc.args[0] if exc.args else exc
        if isinstance(reason, bytes):
            reason = reason.decode("utf-8", "replace")
        raise RegexError(
            f"not a regular expression the linear-time engine (RE2 syntax) accepts: {reason}"
        ) from None
