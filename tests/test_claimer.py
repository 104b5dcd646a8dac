"""platforms.claimer() asks a platform that claims by name once per name: it must give what
asking every platform for every path, in registry order, gives."""

from __future__ import annotations

import itertools

from soc2lint import platforms
from soc2lint.platforms import Base


def _plain(path: str) -> tuple[str, str] | None:
    """claim() as the contract states it: each platform in order, for the whole path."""
    maybe = False
    for platform in platforms.platforms():
        kind = platform.claim(path)
        if kind is not None:
            return platform.name, kind
        maybe = maybe or platform.may_sniff(path)
    return ("", "") if maybe else None


DIRECTORIES = ["", "a/", ".github/workflows/", "x/.github/workflows/", "envs/b/.github/", "ci/"]
NAMES = [
    "main.tf",
    "x.tf.json",
    "terraform.tfvars",
    "prod.auto.tfvars",
    "ci.yml",
    "values.yaml",
    "Chart.yaml",
    "action.yml",
    "action.yaml",
    ".gitlab-ci.yml",
    "compose.yaml",
    "docker-compose.prod.yml",
    "Dockerfile",
    "api.Dockerfile",
    "Containerfile.dev",
    ".dockerignore",
    "CODEOWNERS",
    "package.json",
    "template.json",
    "stack.template",
    "README.md",
    "app.properties",
]
PATHS = [d + n for d, n in itertools.product(DIRECTORIES, NAMES)]


def test_claimer_agrees_with_asking_every_platform_for_every_path() -> None:
    claim = platforms.claimer()
    # twice over: the second time from what the first remembered of each name
    for path in PATHS + PATHS[::-1]:
        assert claim(path) == _plain(path), path


class _ByPath(Base):
    """Claims by directory (as GitHub Actions does): never asked by name."""

    name = "by_path"
    rule_platform = "by_path"

    def claim(self, path: str) -> str | None:
        return "special" if path.startswith("special/") else None

    def may_sniff(self, path: str) -> bool:
        return path.startswith("sniffed/")


class _ByName(Base):
    name = "by_name"
    rule_platform = "by_name"
    claims_by_name = True

    def claim(self, path: str) -> str | None:
        return "props" if path.rsplit("/", 1)[-1].endswith(".properties") else None

    def may_sniff(self, path: str) -> bool:
        return path.endswith(".ini")


def test_claimer_keeps_registry_order_between_path_and_name_platforms() -> None:
    # registered last: a bundled platform claiming a file first keeps it; ours decide the rest,
    # the path-dependent one asked for every path even when the name was seen before
    platforms.register(_ByPath())
    platforms.register(_ByName())
    try:
        claim = platforms.claimer()
        paths = [
            *PATHS,
            "special/main.tf",  # Terraform's by name, before ours
            "special/app.properties",  # _ByPath is registered before _ByName
            "other/app.properties",
            "special/notes.txt",
            "sniffed/notes.txt",  # only _ByPath may sniff it, by its directory
            "plain/notes.txt",
            "conf/app.ini",
            "special/app.ini",
        ]
        for path in paths + paths[::-1]:
            assert claim(path) == _plain(path), path
        assert claim("special/app.properties") == ("by_path", "special")
        assert claim("other/app.properties") == ("by_name", "props")
        assert claim("sniffed/notes.txt") == ("", "")
        assert claim("plain/notes.txt") is None
        assert claim("special/main.tf") == ("terraform", "tf")
    finally:
        platforms.unregister("by_name")
        platforms.unregister("by_path")


def test_a_platform_that_says_nothing_is_asked_for_every_path() -> None:
    class Legacy:  # no Base: no claims_by_name attribute at all
        name = "legacy"
        rule_platform = "legacy"

        def claim(self, path: str) -> str | None:
            return "deep" if path.count("/") >= 2 else None

        def may_sniff(self, path: str) -> bool:
            return False

    platforms.register(Legacy())  # type: ignore[arg-type]
    try:
        claim = platforms.claimer()
        assert claim("a/notes.txt") is None
        assert claim("a/b/notes.txt") == ("legacy", "deep")  # same name, other verdict
        assert claim("notes.txt") is None
    finally:
        platforms.unregister("legacy")
