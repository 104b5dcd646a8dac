"""The release process's check (scripts/check_release.py, docs/RELEASING.md): one version,
named by the CHANGELOG's first heading and by every `rev:` and `@v…` the README tells users to
copy; and the packaging metadata a registry page shows."""

from __future__ import annotations

import importlib.util
import shutil
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def _check():
    spec = importlib.util.spec_from_file_location(
        "check_release", REPO / "scripts/check_release.py"
    )
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _copy(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    (root / "soc2lint").mkdir(parents=True)
    for name in ("pyproject.toml", "CHANGELOG.md", "README.md", "soc2lint/__init__.py"):
        shutil.copy(REPO / name, root / name)
    return root


def test_version_changelog_and_readme_references_agree() -> None:
    check = _check()
    assert check.problems(REPO) == []
    from soc2lint import __version__

    assert check.version(REPO) == __version__


def test_a_stale_reference_or_heading_is_reported(tmp_path: Path) -> None:
    check = _check()
    root = _copy(tmp_path)
    current = check.version(root)
    readme = root / "README.md"
    readme.write_text(
        readme.read_text().replace(f"soc2lint/soc2lint@v{current}", "soc2lint/soc2lint@v0.0.9")
    )
    changelog = root / "CHANGELOG.md"
    changelog.write_text(changelog.read_text().replace(f"## {current} ", "## 9.9.9 ", 1))
    found = check.problems(root)
    assert any("'soc2lint/soc2lint@v0.0.9' does not name" in p for p in found), found
    assert any("CHANGELOG.md: the first heading is 9.9.9" in p for p in found), found


def test_tagging_needs_the_matching_tag_and_a_dated_heading(tmp_path: Path) -> None:
    check = _check()
    root = _copy(tmp_path)
    current = check.version(root)
    changelog = root / "CHANGELOG.md"
    lines = changelog.read_text().splitlines(keepends=True)
    first = next(i for i, line in enumerate(lines) if line.startswith("## "))
    lines[first] = f"## {current} (unreleased)\n"
    changelog.write_text("".join(lines))
    assert any("is not dated" in p for p in check.problems(root, f"v{current}"))
    assert any("is not v" in p for p in check.problems(root, "v99.0.0"))
    lines[first] = f"## {current} (2026-12-05)\n"
    changelog.write_text("".join(lines))
    assert check.problems(root, f"v{current}") == []


def test_packaging_metadata() -> None:
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover
        import tomli as tomllib
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    assert {"Homepage", "Changelog", "Issues", "Source"} <= set(project["urls"])
    assert "Typing :: Typed" in project["classifiers"]
    assert (REPO / "soc2lint" / "py.typed").is_file()
    versions = {c.rsplit(":: ", 1)[1] for c in project["classifiers"] if "Python :: 3." in c}
    assert min(versions, key=lambda v: tuple(map(int, v.split(".")))) == project[
        "requires-python"
    ].removeprefix(">=")


def test_an_unreleased_section_above_the_release_is_allowed(tmp_path: Path) -> None:
    check = _check()
    root = _copy(tmp_path)
    changelog = root / "CHANGELOG.md"
    text = changelog.read_text()
    head, _, rest = text.partition("\n## ")
    changelog.write_text(f"{head}\n## Unreleased\n- a change\n\n## {rest}")
    assert check.problems(root) == []
