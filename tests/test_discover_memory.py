"""The walk (pipeline.discover): its own directory walk gives what os.walk gives, and the
registry's verdicts remembered in the cache directory never change what a walk finds."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from soc2lint import platforms
from soc2lint.pipeline import codec
from soc2lint.pipeline import discover as walk
from soc2lint.pipeline.discover import SourceFile, discover, source_file
from soc2lint.pipeline.load import Cache
from soc2lint.platforms import Base


def _tree(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    for d in ("envs/prod", "modules/m1", "k8s/base", ".github/workflows", "node_modules/x"):
        (root / d).mkdir(parents=True)
    (root / "envs/prod/main.tf").write_text('module "a" {\n  source = "../../modules/m1"\n}\n')
    (root / "modules/m1/main.tf").write_text('resource "aws_sqs_queue" "q" {}\n')
    (root / "k8s/base/app.yaml").write_text("kind: ConfigMap\n")
    (root / ".github/workflows/ci.yml").write_text("on: push\n")
    (root / "node_modules/x/main.tf").write_text("")
    (root / "README.md").write_text("hi\n")
    (root / "CODEOWNERS").write_text("* @a\n")
    (root / "linked").symlink_to(root / "modules")  # a link to a directory inside the root
    (root / "loop").symlink_to(root)  # a link back up: a loop
    (root / "k8s/gone").symlink_to(tmp_path / "nowhere")  # a broken link
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "x.tf").write_text("")
    (root / "out").symlink_to(outside)  # a link out of the root
    return root


def _shown(found: walk.Discovery) -> tuple:
    return (
        found.files,
        found.skipped,
        found.excluded,
        found.unsupported,
        found.notes,
        sorted(found.signatures),
    )


def test_the_walk_gives_what_os_walk_gives(tmp_path: Path) -> None:
    root = _tree(tmp_path)
    errors: list[OSError] = []
    ours = [(d, sorted(n), sorted(f)) for d, n, f, _ in walk._walk(str(root), errors.append)]
    theirs = [(d, sorted(n), sorted(f)) for d, n, f in os.walk(root, followlinks=False)]
    assert sorted(ours) == sorted(theirs) and not errors
    linked = {d: links for d, _n, _f, links in walk._walk(str(root), errors.append)}
    assert linked[str(root)] == {"linked", "loop", "out"}
    # a directory that cannot be listed goes to onerror, as with os.walk
    walk_errors: list[OSError] = []
    list(walk._walk(str(tmp_path / "missing"), walk_errors.append))
    assert len(walk_errors) == 1


def test_a_source_file_made_for_the_walk_is_the_one_the_constructor_makes() -> None:
    made = source_file("a/b.tf", "/r/a/b.tf", "terraform", "tf")
    given = SourceFile("a/b.tf", "/r/a/b.tf", "terraform", "tf")
    assert made == given and hash(made) == hash(given) and repr(made) == repr(given)
    with pytest.raises(AttributeError):
        made.path = "c.tf"  # type: ignore[misc]


def _claims_entry(root: Path, cache: Path) -> tuple[Cache, str, dict]:
    claims = walk._Claims(str(root.resolve()), str(cache))
    store = Cache(cache)
    value = store.get(claims._key())
    assert isinstance(value, dict)
    return store, claims._key(), value


def test_remembered_verdicts_change_nothing_a_walk_finds(tmp_path: Path) -> None:
    root, cache = _tree(tmp_path), tmp_path / "cache"
    plain = _shown(discover(root))
    assert _shown(discover(root, cache_dir=str(cache))) == plain  # asks, then remembers
    _store, _key, value = _claims_entry(root, cache)
    remembered = value["paths"].split("\0")
    assert "envs/prod/main.tf" in remembered and "README.md" in remembered
    assert _shown(discover(root, cache_dir=str(cache))) == plain  # from what it remembered


def test_only_paths_not_remembered_are_asked(tmp_path: Path, monkeypatch) -> None:
    root, cache = _tree(tmp_path), tmp_path / "cache"
    discover(root, cache_dir=str(cache))
    asked: list[str] = []
    real = platforms.claimer

    def counting() -> object:
        claim = real()

        def ask(path: str) -> object:
            asked.append(path)
            return claim(path)

        return ask

    monkeypatch.setattr(platforms, "claimer", counting)
    discover(root, cache_dir=str(cache))
    assert asked == []
    (root / "envs/prod/extra.tf").write_text("")
    (root / "README.md").unlink()
    found = discover(root, cache_dir=str(cache))
    assert asked == ["envs/prod/extra.tf"]
    assert "envs/prod/extra.tf" in [f.path for f in found.files]
    # the walk of the whole tree wrote them anew: the deleted file is gone from the entry
    _store, _key, value = _claims_entry(root, cache)
    assert "README.md" not in value["paths"].split("\0")
    assert "envs/prod/extra.tf" in value["paths"].split("\0")
    asked.clear()
    discover(root, cache_dir=str(cache))
    assert asked == []


def test_a_walk_of_part_of_the_tree_keeps_the_rest(tmp_path: Path) -> None:
    root, cache = _tree(tmp_path), tmp_path / "cache"
    discover(root, cache_dir=str(cache))
    (root / "envs/prod/extra.tf").write_text("")
    discover(root, [str(root / "envs")], cache_dir=str(cache))
    _store, _key, value = _claims_entry(root, cache)
    paths = value["paths"].split("\0")
    assert "envs/prod/extra.tf" in paths and "modules/m1/main.tf" in paths


@pytest.mark.parametrize(
    "spoil",
    [
        lambda v: v.__setitem__("rows", v["rows"][:-1]),  # a verdict short
        lambda v: v.__setitem__("rows", bytes([200]) + v["rows"][1:]),  # past the table
        lambda v: v.__setitem__("verdicts", [["terraform"]] * len(v["verdicts"])),
        lambda v: v.__setitem__("verdicts", [[1, 2]] * len(v["verdicts"])),
        lambda v: v.__setitem__("paths", v["paths"].split("\0")),  # a list, not one string
        lambda v: v.__setitem__("paths", "\0".join([v["paths"].split("\0")[0]] * len(v["rows"]))),
        lambda v: v.__setitem__("root", "/elsewhere"),
        lambda v: v.__setitem__("format", 0),
        lambda v: v.pop("rows"),
    ],
)
def test_a_malformed_entry_is_not_used_even_in_part(tmp_path: Path, spoil) -> None:
    root, cache = _tree(tmp_path), tmp_path / "cache"
    plain = _shown(discover(root))
    discover(root, cache_dir=str(cache))
    store, key, value = _claims_entry(root, cache)
    spoil(value)
    store.put(key, value)
    claims = walk._Claims(str(root.resolve()), str(cache))
    assert claims.known == {}
    assert _shown(discover(root, cache_dir=str(cache))) == plain


def test_a_corrupt_or_hostile_entry_is_a_miss(tmp_path: Path) -> None:
    root, cache = _tree(tmp_path), tmp_path / "cache"
    discover(root, cache_dir=str(cache))
    store, key, _value = _claims_entry(root, cache)
    entry = Path(store._path(key))
    data = bytearray(entry.read_bytes())
    data[-3] ^= 0xFF
    entry.write_bytes(bytes(data))
    assert walk._Claims(str(root.resolve()), str(cache)).known == {}
    store.put_payload(key, b"\x80\x05cposix\nsystem\n\x8c\x04true\x85R.")
    with pytest.raises(ValueError):
        codec.decode(store.get_payload(key) or b"")
    assert walk._Claims(str(root.resolve()), str(cache)).known == {}


class _Props(Base):
    name = "props"
    rule_platform = "props"
    claims_by_name = True

    def claim(self, path: str) -> str | None:
        return "properties" if path.endswith(".md") else None


def test_verdicts_are_kept_for_the_platforms_registered(tmp_path: Path) -> None:
    root, cache = _tree(tmp_path), tmp_path / "cache"
    assert "README.md" not in [f.path for f in discover(root, cache_dir=str(cache)).files]
    platforms.register(_Props())
    try:
        found = discover(root, cache_dir=str(cache))  # another registry: another entry
        assert ("README.md", "props") in [(f.path, f.platform) for f in found.files]
    finally:
        platforms.unregister("props")
    assert "README.md" not in [f.path for f in discover(root, cache_dir=str(cache)).files]
