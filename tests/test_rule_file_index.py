"""Loading rules with a cache reads no rule file whose lstat is as it was when it was last read
(engine.rules._FileIndex), and finds the files rglob would, in the same order."""

from __future__ import annotations

import fnmatch
import os
import shutil
import time
from pathlib import Path

import pytest

from soc2lint.engine import rules
from soc2lint.pipeline.load import Cache

RULE = next(iter(sorted(rules.bundled_rules_dir().rglob("*.yaml"))))


def _reads(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The rule files read from now on."""
    read: list[str] = []
    original = rules._read_rule_file

    def counting(path: str | Path) -> bytes:
        read.append(str(path))
        return original(path)

    monkeypatch.setattr(rules, "_read_rule_file", counting)
    return read


def _custom(tmp_path: Path) -> tuple[Path, Path]:
    directory = tmp_path / "rules"
    directory.mkdir()
    shutil.copy(RULE, directory / "one.yaml")
    return directory, directory / "one.yaml"


def test_the_walk_finds_what_sorted_rglob_finds(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    top = tmp_path / "rules"
    for name in ("b/z.yml", "b/a.yaml", "a.yaml", "B.yaml", "a b/c.yml", "b.yml/inner.yaml"):
        (top / name).parent.mkdir(parents=True, exist_ok=True)
        (top / name).write_text("x")
    for name in ("x.yaml.html", ".hidden.yml", "x.yaml.bak", "notes.txt", "a-yml", "ab.ymlx"):
        (top / name).write_text("x")
    (tmp_path / "outside").mkdir()
    (tmp_path / "outside" / "far.yaml").write_text("x")
    (top / "linked").symlink_to(tmp_path / "outside")  # a link to a directory is not entered
    (top / "link.yaml").symlink_to(top / "a.yaml")
    expected = [str(p) for p in sorted(top.rglob("*.y*ml"))]
    assert [path for path, _ in rules._rule_files(top)] == expected
    links = {path: info for path, info in rules._rule_files(top)}
    assert links[str(top / "link.yaml")] is None  # a link: no lstat, never indexed
    monkeypatch.chdir(top)  # Path(".") / "a.yaml" is "a.yaml"
    assert [path for path, _ in rules._rule_files(Path("."))] == [
        str(p) for p in sorted(Path(".").rglob("*.y*ml"))
    ]


@pytest.mark.parametrize(
    "name",
    [
        "a.yml",
        "a.yaml",
        ".yml",
        "x.y",
        "a.ml",
        "a.yml.bak",
        "a.yml.html",
        "a.y.ml",
        "A.YML",
        "a.yXml",
    ],
)
def test_rule_file_names_match_as_fnmatch_matches_them(name: str) -> None:
    assert rules._rule_file_name(name) == fnmatch.fnmatch(name, "*.y*ml")


def test_a_second_load_reads_no_unchanged_rule_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    directory, _ = _custom(tmp_path)
    monkeypatch.setattr(rules._FileIndex, "SETTLED", 0)  # the copy is new: trust it at once
    cache = Cache(tmp_path / "cache")
    first = rules.load_rules([str(directory)], include_bundled=False, cache=cache)
    rules._LOADED.clear()
    read = _reads(monkeypatch)
    again = rules.load_rules([str(directory)], include_bundled=False, cache=Cache(cache.directory))
    assert read == []
    assert again == first
    assert again == rules.load_rules([str(directory)], include_bundled=False)  # without cache


def test_a_rule_file_written_again_is_read_again_though_size_and_mtime_are_as_before(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The change time, which no program sets back, tells a rewritten file."""
    directory, path = _custom(tmp_path)
    monkeypatch.setattr(rules._FileIndex, "SETTLED", 0)
    cache = Cache(tmp_path / "cache")
    (first,) = rules.load_rules([str(directory)], include_bundled=False, cache=cache)
    before = os.lstat(path)
    time.sleep(0.05)  # past a tick of the file system's clock
    text = path.read_text()
    path.write_text(text.replace(f"title: {first.title}", f"title: {first.title.upper()}"))
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))
    after = os.lstat(path)
    assert (after.st_size, after.st_mtime_ns) == (before.st_size, before.st_mtime_ns)
    if after.st_ctime_ns == before.st_ctime_ns:
        pytest.skip("this file system keeps change times too coarsely to tell")
    rules._LOADED.clear()
    read = _reads(monkeypatch)
    (again,) = rules.load_rules(
        [str(directory)], include_bundled=False, cache=Cache(cache.directory)
    )
    assert read == [str(path)]
    assert again.title == first.title.upper()


def test_a_rule_file_written_just_now_is_not_trusted_by_its_lstat(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Within a tick of a coarse clock, a second write could leave the times as they were: a
    file is recorded only once its times are SETTLED old."""
    directory, path = _custom(tmp_path)
    monkeypatch.setattr(rules._FileIndex, "SETTLED", 3600 * 10**9)
    cache = Cache(tmp_path / "cache")
    rules.load_rules([str(directory)], include_bundled=False, cache=cache)
    rules._LOADED.clear()
    read = _reads(monkeypatch)
    rules.load_rules([str(directory)], include_bundled=False, cache=Cache(cache.directory))
    assert read == [str(path)]
