"""CODEOWNERS: locating the file, parsing it, and GitHub's / GitLab's ownership semantics."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from soc2lint.platforms.repository.codeowners import (
    Entry,
    find_codeowners,
    owners_of,
    parse,
    uncovered,
)


def _owned(pattern: str, path: str) -> bool:
    return owners_of([Entry(pattern, ("@owner",), 1, "")], path) == ("@owner",)


# (pattern, path, owned?) — the behaviours GitHub's "About code owners" page describes for its
# example file, restated as cases, followed by gitignore-like corner cases of our own.
MATCHING = [
    # a lone `*` is the default owner of everything
    ("*", "README.md", True),
    ("*", "src/deep/module/file.py", True),
    # an extension pattern without a slash matches at any depth
    ("*.js", "app.js", True),
    ("*.js", "web/static/app.js", True),
    ("*.js", "web/static/app.jsx", False),
    # a leading slash anchors to the root; a trailing slash means the directory's contents
    ("/build/logs/", "build/logs/today.log", True),
    ("/build/logs/", "build/logs/archive/2023/jan.log", True),
    ("/build/logs/", "tools/build/logs/today.log", False),
    ("/build/logs/", "build/logs", False),
    # `docs/*` owns direct children only, and a middle slash anchors it to the root
    ("docs/*", "docs/getting-started.md", True),
    ("docs/*", "docs/build-app/troubleshooting.md", False),
    ("docs/*", "site/docs/getting-started.md", False),
    # a directory pattern without a leading slash matches that directory anywhere
    ("apps/", "apps/web/index.ts", True),
    ("apps/", "services/apps/api/main.go", True),
    ("apps/", "apps", False),
    ("apps/", "myapps/x", False),
    # `**/logs` matches a logs directory (or file) at any depth, and its contents
    ("**/logs", "logs", True),
    ("**/logs", "build/logs/a.txt", True),
    ("**/logs", "scripts/logs/b.txt", True),
    ("**/logs", "deeply/nested/logs/c.txt", True),
    ("**/logs", "build/catalogs/a.txt", False),
    # a named path (no wildcard) covers itself and everything beneath it
    ("/docs", "docs", True),
    ("/docs", "docs/a/b.md", True),
    ("/docs", "docsite/index.md", False),
    ("Makefile", "Makefile", True),
    ("Makefile", "sub/dir/Makefile", True),
    # `*` and `?` stay within one segment; `**` spans segments (zero or more)
    ("src/*.py", "src/app.py", True),
    ("src/*.py", "src/pkg/app.py", False),
    ("src/**/*.py", "src/app.py", True),
    ("src/**/*.py", "src/pkg/sub/app.py", True),
    ("src/**/*.py", "lib/src/app.py", False),
    ("/infra/**", "infra/main.tf", True),
    ("/infra/**", "infra/modules/vpc/main.tf", True),
    ("/infra/**", "infra", False),
    ("file?.txt", "file1.txt", True),
    ("file?.txt", "file10.txt", False),
    ("file?.txt", "file/.txt", False),
    ("a*b", "ab", True),
    ("a*b", "axxb", True),
    ("a*b", "a/b", False),
    # "/" matches nothing; "**" everything
    ("/", "README.md", False),
    ("**", "any/path/at/all", True),
    # paths are compared case-sensitively
    ("/Docs/", "docs/a.md", False),
    # escapes resolved by the parser reach the matcher as literals
    ("path with spaces/", "path with spaces/file.txt", True),
    ("#notes.md", "#notes.md", True),
    (r"\*.md", "*.md", True),
    (r"\*.md", "README.md", False),
    # brackets are literal: GitHub has no character ranges
    ("app/[id]/page.tsx", "app/[id]/page.tsx", True),
    ("app/[id]/page.tsx", "app/i/page.tsx", False),
    # paths given with a leading "./" or "/" are normalised
    ("/terraform/", "./terraform/main.tf", True),
    ("/terraform/", "/terraform/main.tf", True),
]


@pytest.mark.parametrize(("pattern", "path", "owned"), MATCHING)
def test_matching(pattern: str, path: str, owned: bool) -> None:
    assert _owned(pattern, path) is owned


GITHUB_EXAMPLE = """\
# This is a comment.
*       @global-owner1 @global-owner2
*.js    @js-owner #This is an inline comment.
*.go docs@example.com
*.txt @octo-org/octocats
/build/logs/ @doctocat
docs/* docs@example.com
apps/ @octocat
/docs/ @doctocat
/scripts/ @doctocat @octocat
**/logs @octocat
/apps/ @octocat
/apps/github
"""


def test_github_example_file_last_match_wins() -> None:
    entries, errors = parse("CODEOWNERS", GITHUB_EXAMPLE)
    assert errors == []
    assert [e.line for e in entries] == list(range(2, 14))
    assert entries[1] == Entry("*.js", ("@js-owner",), 3, "")  # the inline comment is dropped
    table = {
        "README.md": ("@global-owner1", "@global-owner2"),
        "web/app.js": ("@js-owner",),
        "cmd/main.go": ("docs@example.com",),
        "notes/todo.txt": ("@octo-org/octocats",),
        # `/docs/` comes after `docs/*`, so it wins for direct children as well
        "docs/getting-started.md": ("@doctocat",),
        "docs/build-app/troubleshooting.md": ("@doctocat",),
        "scripts/deploy.sh": ("@doctocat", "@octocat"),
        # /build/logs/ matches, but the later **/logs does too and wins
        "build/logs/today.log": ("@octocat",),
        "apps/web/index.ts": ("@octocat",),
        # the last matching entry has no owners: the path is un-owned
        "apps/github/ci.yml": (),
        "apps/github": (),
    }
    for path, owners in table.items():
        assert owners_of(entries, path) == owners, path


def test_order_decides_not_specificity() -> None:
    specific_first, _ = parse("CODEOWNERS", "/infra/vpc.tf @network\n*.tf @platform\n")
    assert owners_of(specific_first, "infra/vpc.tf") == ("@platform",)
    specific_last, _ = parse("CODEOWNERS", "*.tf @platform\n/infra/vpc.tf @network\n")
    assert owners_of(specific_last, "infra/vpc.tf") == ("@network",)


def test_unowning_entry_and_reowning_after_it() -> None:
    entries, _ = parse("CODEOWNERS", "* @all\n/vendor/\n/vendor/acme/ @acme-team\n")
    assert owners_of(entries, "vendor/lib/x.go") == ()
    assert owners_of(entries, "vendor/acme/y.go") == ("@acme-team",)
    assert owners_of(entries, "main.go") == ("@all",)
    assert uncovered(entries, ["main.go", "vendor/lib/x.go", "vendor/acme/y.go"]) == [
        "vendor/lib/x.go"
    ]


def test_uncovered_keeps_order_and_handles_no_entries() -> None:
    assert uncovered([], ["b.tf", "a.tf"]) == ["b.tf", "a.tf"]
    entries, _ = parse("CODEOWNERS", "*.tf @platform\n")
    assert uncovered(entries, ["a.tf", ".gitlab-ci.yml", "k8s/app.yaml"]) == [
        ".gitlab-ci.yml",
        "k8s/app.yaml",
    ]


GITLAB_EXAMPLE = """\
* @default-owner

[Documentation] @docs-team
docs/
*.md @tech-writers

^[Security][2] @security
/infra/

[documentation]
/docs/internal/ @internal-docs
"""


def test_gitlab_sections() -> None:
    entries, errors = parse(".gitlab/CODEOWNERS", GITLAB_EXAMPLE)
    assert errors == []
    by_line = {e.line: e for e in entries}
    # an entry without owners inside a section takes the section's default owners
    assert by_line[4] == Entry("docs/", ("@docs-team",), 4, "Documentation")
    assert by_line[8] == Entry("/infra/", ("@security",), 8, "Security", optional=True)
    # each section is evaluated on its own; the owners add up across sections
    assert owners_of(entries, "docs/guide.md") == ("@default-owner", "@tech-writers")
    assert owners_of(entries, "infra/main.tf") == ("@default-owner", "@security")
    # section names are case-insensitive: [documentation] continues [Documentation]
    assert owners_of(entries, "docs/internal/runbook.txt") == (
        "@default-owner",
        "@internal-docs",
    )
    # owners of an optional section need not approve
    assert owners_of(entries, "infra/main.tf", required_only=True) == ("@default-owner",)


def test_gitlab_optional_section_alone_does_not_cover_when_required_only() -> None:
    entries, _ = parse("CODEOWNERS", "^[Infra] @platform\n*.tf\n")
    assert uncovered(entries, ["main.tf"]) == []
    assert uncovered(entries, ["main.tf"], required_only=True) == ["main.tf"]


def test_gitlab_entry_without_owners_in_section_without_defaults_unowns() -> None:
    entries, _ = parse("CODEOWNERS", "[Infra]\n* @platform\n/generated/\n")
    assert owners_of(entries, "generated/x.tf") == ()
    assert owners_of(entries, "main.tf") == ("@platform",)


def test_parse_comments_blank_lines_and_escapes() -> None:
    text = (
        "  # an indented comment\n"
        "\n"
        "\t\n"
        "\\#hash.md @hash-owner\n"
        "my\\ dir/ @space-owner @second  # trailing comment\n"
        "/bin/ops/ ops@example.com @@maintainer\r\n"
    )
    entries, errors = parse("CODEOWNERS", text)
    assert errors == []
    assert entries == [
        Entry("#hash.md", ("@hash-owner",), 4, ""),
        Entry("my dir/", ("@space-owner", "@second"), 5, ""),
        Entry("/bin/ops/", ("ops@example.com", "@@maintainer"), 6, ""),
    ]
    assert owners_of(entries, "my dir/notes.txt") == ("@space-owner", "@second")


def test_parse_reports_problems_with_their_lines() -> None:
    text = (
        "* @ok\n"
        "/src/ not-an-owner\n"  # GitHub skips a line with an invalid owner
        "!/vendor/ @x\n"  # negation: GitHub ignores it, GitLab excludes the paths
        "Python/ceval*.[ch] @y\n"  # character range: kept, brackets literal
        "a/***/b @z\n"
        "[] @w\n"
    )
    entries, errors = parse("CODEOWNERS", text)
    assert [(e.line, e.message.split(" ")[0]) for e in errors] == [
        (2, "invalid"),
        (3, "negation"),
        (4, "character"),
        (5, "pattern"),
        (6, "section"),
    ]
    assert all(e.path == "CODEOWNERS" for e in errors)
    assert [e.line for e in entries] == [1, 3, 4]
    assert entries[1] == Entry("/vendor/", (), 3, "")  # the conservative reading: un-owned
    assert owners_of(entries, "src/main.py") == ("@ok",)
    assert owners_of(entries, "vendor/lib.go") == ()


def test_find_codeowners_in_githubs_order() -> None:
    everywhere = {"CODEOWNERS", "docs/CODEOWNERS", ".github/CODEOWNERS", ".gitlab/CODEOWNERS"}
    assert find_codeowners(everywhere) == ".github/CODEOWNERS"
    assert find_codeowners(everywhere - {".github/CODEOWNERS"}) == "CODEOWNERS"
    assert find_codeowners({"docs/CODEOWNERS", ".gitlab/CODEOWNERS"}) == "docs/CODEOWNERS"
    assert find_codeowners({".gitlab/CODEOWNERS", "main.tf"}) == ".gitlab/CODEOWNERS"
    assert find_codeowners({"main.tf", "src/CODEOWNERS", "codeowners"}) is None
    assert find_codeowners(set()) is None
    assert find_codeowners({"./CODEOWNERS"}) == "CODEOWNERS"


def test_hostile_patterns_stay_fast() -> None:
    # nested `**` would backtrack badly with a naive regular expression translation
    entries, _ = parse("CODEOWNERS", "**/" * 40 + "z*z*z*z*z*z*z*q @x\n")
    path = "/".join(["a"] * 60) + "/" + "z" * 200
    assert owners_of(entries, path) == ()


# -- properties ---------------------------------------------------------------------------------

_PATTERN_CHARS = st.sampled_from(
    ["*", "**", "/", "?", "\\", " ", "\\ ", "\\#", "#", "!", "[", "]", "^", "@", "a", "b", ".", "-"]
)
_patterns = st.lists(_PATTERN_CHARS, max_size=12).map("".join)
_SEGMENTS = st.sampled_from(["a", "b", "a.b", "*", " ", "", ".", "#", "[x]"])
_paths = st.lists(_SEGMENTS, max_size=6).map("/".join)


@given(st.text(max_size=400))
def test_parse_never_raises_on_any_text(text: str) -> None:
    entries, errors = parse("CODEOWNERS", text)
    for entry in entries:
        owners_of(entries, entry.pattern)
    assert all(e.line >= 1 for e in errors)


@given(st.lists(st.tuples(_patterns, st.booleans()), max_size=6), st.text(max_size=60))
def test_parse_and_owners_of_never_raise_on_pattern_like_files(
    lines: list[tuple[str, bool]], path: str
) -> None:
    text = "\n".join(f"{p} @owner" if owned else p for p, owned in lines)
    entries, _ = parse("CODEOWNERS", text)
    owners = owners_of(entries, path)
    assert set(owners) <= {"@owner"}


@given(_patterns, _paths)
def test_owners_of_never_raises_and_catch_all_owns_every_path(pattern: str, path: str) -> None:
    entry = Entry(pattern, ("@x",), 1, "")
    assert owners_of([entry], path) in ((), ("@x",))
    has_segment = any(path.split("/"))
    assert owners_of([Entry("*", ("@all",), 1, "")], path) == (("@all",) if has_segment else ())
    # a later catch-all always wins over whatever came before it
    assert owners_of([entry, Entry("*", ("@all",), 2, "")], path) in ((), ("@all",))
