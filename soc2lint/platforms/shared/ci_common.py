"""What the CI parsers share: resources in the `ci` scope, YAML helpers, and credential tests.

Credentials are recognised two ways. By name: a literal under a name that says password, secret,
token or key, unless the name says it holds something else (`TOKEN_URL`, `token_format`,
`SECRET_DETECTION_EXCLUDED_PATHS`) or the value is plainly not a secret (a path, a duration, a
number, a URL without credentials, a reference to a variable or secret). By value, whatever the
name: the shapes of well-known tokens (GitHub, GitLab, AWS, Slack, Stripe, npm, PyPI, Google
API keys), private-key headers, and URLs with a password or a token in them.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from soc2lint.engine.linear_regex import compile_linear
from soc2lint.model import Location, Resource

SCOPE = "ci"

SECRET_NAME = re.compile(
    r"(?i)(passw(or)?d|passwd|secret|token|api[_-]?key|private[_-]?key|access[_-]?key|"
    r"credentials?)([_-]|$)"
)
# names that hold something about a credential (where, which, how long), not the credential
NOT_SECRET_NAME = re.compile(
    r"(?i)([_-](url|uri|host|file|files|path|paths|dir|name|names|user|username|id|ids|endpoint|"
    r"header|type|length|expiry|expires|ttl|lifetime|duration|timeout|audience|format|enabled|"
    r"disabled|required|scopes?|permissions|excluded|exclude|include|pattern|version|level|mode|"
    r"region|arn|suffix|prefix|image|count|analyzers|options|reference|historic_scan)$)"
    # GitLab's Secret Detection template variables configure the scanner
    r"|^secret[_-]detection[_-]"
)
NOT_SECRET_VALUE = {"true", "false", "yes", "no", "on", "off", "none", "null", "read", "write"}
_PLAIN_VALUE = re.compile(
    r"""(?ix)^(
        [-+]?\d+(\.\d+)?                          # a number
      | (\d+(\.\d+)?(ns|us|ms|s|m|h|d|w))+        # a duration: 300s, 1h30m
      | (/|\./|\.\./|~/|[a-z]:\\)\S*              # a path
      | \$\{?[a-z_][a-z0-9_]*\}?                  # a reference to a variable: $VAR, ${VAR}
      | [a-z][a-z0-9+.-]*://[^\s@]+               # a URL without user information
    )$"""
)
_TOKEN_SHAPES = (
    r"gh[pousr]_[A-Za-z0-9]{36,}",  # GitHub tokens
    r"github_pat_[A-Za-z0-9_]{22,}",
    r"glpat-[A-Za-z0-9_-]{20,}",  # GitLab personal access token
    r"(?:^|[^A-Z0-9])(?:AKIA|ASIA)[0-9A-Z]{16}(?:$|[^A-Z0-9])",  # AWS access key id
    r"xox[baprs]-[A-Za-z0-9-]{10,}",  # Slack
    r"-----BEGIN [A-Z ]*PRIVATE KEY( BLOCK)?-----",
    r"[sr]k_live_[A-Za-z0-9]{16,}",  # Stripe
    r"npm_[A-Za-z0-9]{36}",
    r"pypi-AgEIcHlwaS5vcmc[A-Za-z0-9_-]{50,}",
    r"AIza[0-9A-Za-z_-]{35}",  # Google API key
    r"hooks\.slack\.com/services/T[A-Za-z0-9_]+/B[A-Za-z0-9_]+/[A-Za-z0-9_]+",
    r"[?&](?i:access_token|private_token|api_?key|token|secret|password)=[^&\s$]{8,}",
)
# scripts and values from the repository: RE2, linear in their length
TOKEN_SHAPE = compile_linear("|".join(f"(?:{s})" for s in _TOKEN_SHAPES))
_URL_CREDENTIALS = compile_linear(r"(?i)[a-z][a-z0-9+.-]*://([^\s/:@]+):([^\s/@]+)@([^\s/:?#]+)")
# passwords of throwaway databases and services that live only as long as the job's containers
_PLACEHOLDER_WORDS = """postgres postgresql mysql mariadb mongo mongodb redis rabbitmq root admin
    password passw0rd pass secret test tests testing testpass example changeme dev development ci
    local localhost guest user default dummy fake sample foo bar"""
PLACEHOLDERS = frozenset(_PLACEHOLDER_WORDS.split())


def ci_resource(
    platform: str,
    address: str,
    rtype: str,
    attrs: dict,
    loc: Location,
    locs: dict[str, Location],
) -> Resource:
    """A workflow, job, step, pipeline or include as a Resource."""
    return Resource(
        address=address,
        type=rtype,
        platform=platform,
        attributes=attrs,
        location=loc,
        attribute_locations=locs,
        kind="object",
        scope=SCOPE,
    )


def as_map(value: Any) -> dict:
    """value when it is a mapping, else an empty one (YAML may hold anything anywhere)."""
    return value if isinstance(value, dict) else {}


def as_list(value: Any) -> list:
    """value when it is a list, else an empty one."""
    return value if isinstance(value, list) else []


def image_pinned(image: Any) -> bool | None:
    """A container image reference pinned by digest or by a tag other than latest."""
    if not isinstance(image, str) or not image.strip():
        return None
    if "@sha256:" in image:
        return True
    last = image.strip().rsplit("/", 1)[-1]
    _, sep, tag = last.partition(":")
    return bool(sep) and tag not in ("", "latest")


def set_list_locations(
    attributes: dict[str, Any], locs: dict[str, Location], name: str, paths: list[str]
) -> None:
    """attributes[name] = paths, each element located where its path is written."""
    attributes[name] = paths
    for i, p in enumerate(paths):
        if p in locs:
            locs[f"{name}.{i}"] = locs[p]
    if paths and paths[0] in locs:
        locs[name] = locs[paths[0]]


def credential_shaped(text: str) -> bool:
    """text holds a well-known token, a private key, or a URL with a real password in it."""
    if TOKEN_SHAPE.search(text):
        return True
    for m in _URL_CREDENTIALS.finditer(text):
        password, host = m.group(2), m.group(3).lower()
        if password.startswith("$") or "${{" in password:
            continue
        local = host in ("localhost", "127.0.0.1", "0.0.0.0") or "." not in host
        if local and password.lower() in PLACEHOLDERS:
            continue  # a throwaway service container reached by its alias or on localhost
        return True
    return False


def plainly_not_secret(text: str) -> bool:
    """A value no one would keep secret: empty, a switch, a number, a duration, a path, a
    reference to a variable, a URL without credentials."""
    value = text.strip()
    return not value or value.lower() in NOT_SECRET_VALUE or bool(_PLAIN_VALUE.match(value))


def secret_literals(
    mapping: Any,
    where: str,
    literal: Callable[[Any], bool],
    placeholders_ok: bool = False,
) -> list[str]:
    """Paths `where.<name>` of entries that hold a credential written literally.

    placeholders_ok: a trivial placeholder (`postgres`, `test`) under a secret name is accepted,
    for the environment of throwaway service containers.
    """
    if not isinstance(mapping, dict):
        return []
    out = []
    for name, value in mapping.items():
        if isinstance(value, bool) or value is None or isinstance(value, (dict, list)):
            continue
        if not literal(value):
            continue
        text = str(value)
        path = f"{where}.{name}" if where else str(name)
        if credential_shaped(text):
            out.append(path)
            continue
        if not SECRET_NAME.search(str(name)) or NOT_SECRET_NAME.search(str(name)):
            continue
        if plainly_not_secret(text):
            continue
        if placeholders_ok and text.strip().lower() in PLACEHOLDERS:
            continue
        out.append(path)
    return out
