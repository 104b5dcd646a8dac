"""The scope's index of per-file facts (soc2lint.pipeline.facts): trusted only while a file is
unchanged, ignored whole when it is not as written, and never changing what a scoped scan
reports."""

from __future__ import annotations

import itertools
import os
import re
import shutil
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from soc2lint.cli import main
from soc2lint.pipeline import codec, facts
from soc2lint.pipeline.discover import discover
from soc2lint.pipeline.load import Cache
from soc2lint.policies import scope

REPO = Path(__file__).resolve().parents[1]
CALL = 'module "a" {\n  source = "../../modules/MOD"\n}\n'
LATER = 10 * facts.SLACK_NS  # a walk that begins long after the files were written


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    (root / "envs" / "prod").mkdir(parents=True)
    (root / "modules" / "m1").mkdir(parents=True)
    (root / "modules" / "m2").mkdir(parents=True)
    (root / "envs" / "prod" / "main.tf").write_text(
        'module "a" {\n  source = "../../modules/m1"\n}\n'
    )
    (root / "modules" / "m1" / "main.tf").write_text('resource "aws_sqs_queue" "q" {}\n')
    (root / "modules" / "m2" / "main.tf").write_text('resource "aws_sqs_queue" "q" {}\n')
    (root / "app.yaml").write_text("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n")
    return root


def _facts(root: Path, cache: Path, started: int | None = None) -> facts.Facts:
    found = discover(root)
    if started is None:
        started = time.time_ns() + LATER  # every file has settled
    return facts.Facts(root.resolve(), scope.KINDS, str(cache), found.signatures, started)


def _sources(root: Path, cache: Path, path: str, started: int | None = None) -> tuple:
    known = _facts(root, cache, started)
    value = known.get(path, "sources")
    known.save(prune=True)
    return value, known.read


def test_an_unchanged_file_is_not_read_again(tree: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    assert _sources(tree, cache, "envs/prod/main.tf") == (["../../modules/m1"], 1)
    assert _sources(tree, cache, "envs/prod/main.tf") == (["../../modules/m1"], 0)


def test_same_size_and_modification_time_set_back_is_still_a_change(
    tree: Path, tmp_path: Path
) -> None:
    cache = tmp_path / "cache"
    path = tree / "envs" / "prod" / "main.tf"
    assert _sources(tree, cache, "envs/prod/main.tf")[0] == ["../../modules/m1"]
    before = path.stat()
    path.write_text(path.read_text().replace("m1", "m2"))
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))
    after = path.stat()
    assert (after.st_size, after.st_mtime_ns) == (before.st_size, before.st_mtime_ns)
    assert _sources(tree, cache, "envs/prod/main.tf") == (["../../modules/m2"], 1)


def test_a_racy_entry_is_not_kept(tree: Path, tmp_path: Path) -> None:
    """A file written in the same tick of the clock as the walk that read it may change again
    without a new status: what was read of it is not trusted on the next run."""
    path = "envs/prod/main.tf"
    status = facts.signature((tree / path).stat())
    frozen = {path: status}  # the status a coarse clock would show after the second write

    def once(started: int, cache: Path) -> list[str]:
        known = facts.Facts(tree.resolve(), scope.KINDS, str(cache), dict(frozen), started)
        value = known.get(path, "sources")
        known.save()
        return value

    written = max(status[1], status[2])
    for started, stale in ((written + 1, False), (written + LATER, True)):
        cache = tmp_path / f"cache-{stale}"
        (tree / path).write_text('module "a" {\n  source = "../../modules/m1"\n}\n')
        assert once(started, cache) == ["../../modules/m1"]
        (tree / path).write_text('module "a" {\n  source = "../../modules/m2"\n}\n')
        # settled, the index answers without reading (the status is the same); racy, it reads
        assert once(started, cache) == (["../../modules/m1"] if stale else ["../../modules/m2"])


def test_deleted_and_renamed_files(tree: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    for path in ("envs/prod/main.tf", "modules/m1/main.tf"):
        assert _sources(tree, cache, path)[1] == 1
    # a file renamed over another: same path, another file
    (tree / "modules" / "m1" / "main.tf").unlink()
    other = tree / "envs" / "prod" / "other.tf"
    other.write_text('module "a" {\n  source = "../../modules/m2"\n}\n')
    os.utime(other, ns=(0, (tree / "envs" / "prod" / "main.tf").stat().st_mtime_ns))
    other.rename(tree / "envs" / "prod" / "main.tf")
    assert _sources(tree, cache, "envs/prod/main.tf") == (["../../modules/m2"], 1)
    # the deleted file's entry went with the walk that no longer found it
    known = _facts(tree, cache)
    assert "modules/m1/main.tf" not in known._rows
    assert "envs/prod/main.tf" in known._rows


def _stored_key(tree: Path, cache: Path) -> tuple[Cache, str, dict]:
    known = _facts(tree, cache)
    for f in discover(tree).files:
        known.take_all(f.path, ("sources",) if f.platform == "terraform" else ("manifest",))
    known.save()
    store = Cache(cache)
    value = store.get(known._key())
    assert isinstance(value, dict) and len(value["paths"]) == 4
    return store, known._key(), value


def _all_read(tree: Path, cache: Path) -> int:
    known = _facts(tree, cache)
    for path in ("envs/prod/main.tf", "modules/m1/main.tf", "modules/m2/main.tf"):
        assert known.get(path, "sources") == (["../../modules/m1"] if "envs" in path else [])
    assert known.get("app.yaml", "manifest") == [True, [], []]
    return known.read


def test_a_corrupt_index_is_ignored(tree: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    store, key, _value = _stored_key(tree, cache)
    assert _all_read(tree, cache) == 0
    entry = Path(store._path(key))
    data = bytearray(entry.read_bytes())
    data[-3] ^= 0xFF
    entry.write_bytes(bytes(data))
    assert _all_read(tree, cache) == 4
    entry.write_bytes(b"")
    assert _all_read(tree, cache) == 4


@pytest.mark.parametrize(
    "spoil",
    [
        lambda v: v["facts"]["sources"].__setitem__(-1, [7]),  # one bad value among good ones
        lambda v: v["facts"]["manifest"].__setitem__(0, [True, ["ns"]]),
        lambda v: v.__setitem__("status", v["status"][:-8]),  # a status short of a field
        lambda v: v.__setitem__("status", v["status"] + bytes(8)),  # one field too many
        # statuses as format 1 kept them (tuples), and a status that is no number
        lambda v: v.__setitem__("status", [facts._STATUS.unpack(v["status"][:40])] * 4),
        lambda v: v.__setitem__("status", [(1, 2, 3, 4, "5")] * 4),
        lambda v: v["paths"].append("extra"),
        lambda v: v["facts"].pop("infrastructure"),
        lambda v: v.__setitem__("root", "/elsewhere"),
        lambda v: v.__setitem__("format", 0),
        lambda v: v["paths"].__setitem__(1, v["paths"][0]),
    ],
)
def test_a_malformed_index_is_not_trusted_even_in_part(tree: Path, tmp_path: Path, spoil) -> None:
    cache = tmp_path / "cache"
    store, key, value = _stored_key(tree, cache)
    spoil(value)
    store.put(key, value)
    assert _all_read(tree, cache) == 4


def test_a_hostile_index_runs_nothing(tree: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    store, key, _value = _stored_key(tree, cache)
    marker = tmp_path / "ran"
    payload = b"\x80\x05cposix\nsystem\n\x8c\x0ctouch " + str(marker).encode() + b"\x85R."
    assert b"system" in payload
    with pytest.raises(ValueError):
        codec.decode(payload)
    store.put_payload(key, payload)
    assert _all_read(tree, cache) == 4
    assert not marker.exists()


_STAMP = re.compile(r'"(started|finished)": "[^"]*"')


def _scoped(repo: Path, changed: str, cache: list[str]) -> str:
    old = Path.cwd()
    os.chdir(repo)
    try:
        result = CliRunner().invoke(
            main, ["scan", "--only-changed", changed, "--format", "json", *cache]
        )
    finally:
        os.chdir(old)
    assert result.exit_code in (0, 1), result.output
    return _STAMP.sub("", result.stdout)


def test_a_scoped_scan_reports_the_same_with_the_index_as_without(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = tmp_path / "demo"
    shutil.copytree(REPO / "fixtures" / "demo", repo)
    (repo / ".git").mkdir()
    base = repo / "k8s" / "base"
    base.mkdir()
    (base / "kustomization.yaml").write_text("resources:\n  - app.yaml\nnamespace: shop\n")
    (base / "app.yaml").write_text(
        "apiVersion: v1\nkind: Service\nmetadata:\n  name: shop\nspec:\n  ports: [{port: 80}]\n"
    )
    (repo / "docs").mkdir()
    (repo / "docs" / "notes.yaml").write_text("title: not infrastructure\n")
    cache = tmp_path / "cache"
    # written this instant: the index keeps them at once only because the slack is set back
    monkeypatch.setattr(facts, "SLACK_NS", -LATER)
    read = []
    real = facts.read_bytes
    monkeypatch.setattr(
        facts, "read_bytes", lambda root, path: read.append(path) or real(root, path)
    )
    whole = CliRunner().invoke(main, ["scan", str(repo), "--cache-dir", str(cache)])
    assert whole.exit_code in (0, 1), whole.output
    assert len(read) >= 8  # the whole scan took the facts
    edits = [
        ("modules/queue/main.tf", lambda t: t + '\nresource "aws_sqs_queue" "extra" {}\n'),
        ("main.tf", lambda t: t + '\nmodule "again" {\n  source = "./modules/queue"\n}\n'),
        ("k8s/web.yaml", lambda t: t.replace("namespace:", "namespace: other #", 1)),
        ("k8s/base/kustomization.yaml", lambda t: t.replace("shop", "store")),
        ("docs/notes.yaml", lambda t: "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: x\n"),
        (".github/workflows/deploy.yml", lambda t: t + "\n# changed\n"),
        ("CODEOWNERS", lambda t: t + "\n/docs/ @docs\n"),
    ]
    for path, edit in edits:
        target = repo / path
        target.write_text(edit(target.read_text()))
        read.clear()
        indexed = _scoped(repo, path, ["--cache-dir", str(cache)])
        read_with_index = list(read)
        plain = _scoped(repo, path, ["--no-cache"])
        assert indexed == plain, path
        assert '"findings"' in plain
        if path != "CODEOWNERS":  # a changed CODEOWNERS brings everything, read or not
            assert set(read_with_index) <= {path}, (path, read_with_index)


def test_a_platform_from_outside_soc2lint_keys_the_index_by_its_code(
    tree: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Its sniff decides a fact, and soc2lint's own code digest does not cover it."""
    from soc2lint import platforms

    module = tmp_path / "outside_platform.py"
    module.write_text(
        "from soc2lint.platforms.contract import Base\nclass Outside(Base):\n    name = 'outside'\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    import outside_platform  # type: ignore[import-not-found]

    platforms.register(outside_platform.Outside())
    try:
        before = _facts(tree, tmp_path / "cache")._key()
        module.write_text(module.read_text() + "    title = 'changed'\n")
        assert _facts(tree, tmp_path / "cache")._key() != before
    finally:
        platforms.unregister("outside")


def test_many_answers_as_get_does_file_by_file(tree: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    _stored_key(tree, cache)
    # one file changed since (read again), one new (never stored), one gone (no status)
    (tree / "modules" / "m2" / "main.tf").write_text(CALL.replace("MOD", "m1"))
    (tree / "modules" / "m2" / "more.tf").write_text(CALL.replace("MOD", "m2"))
    paths = [
        "envs/prod/main.tf",
        "modules/m1/main.tf",
        "modules/m2/main.tf",
        "modules/m2/more.tf",
        "gone.tf",
    ]
    known = _facts(tree, cache)
    assert known.many(paths, "sources") == [
        ["../../modules/m1"],
        [],
        ["../../modules/m1"],
        ["../../modules/m2"],
        [],
    ]
    assert known.read == 3  # the changed, the new and the gone file; the others from the index
    one_by_one = _facts(tree, cache)
    assert [one_by_one.get(p, "sources") for p in paths] == known.many(paths, "sources")
    assert known.many(["app.yaml"], "manifest") == [[True, [], []]]


def test_module_sources_resolve_as_part_by_part() -> None:
    # _normal goes through posixpath.normpath; _climb is the part-by-part reference
    parts = ["a", "b", "..", ".", "", "c"]
    for n in range(1, 6):
        for combo in itertools.product(parts, repeat=n):
            for head in ("", "./", "../", "x/"):
                path = head + "/".join(combo)
                assert scope._normal(path) == scope._climb(path), path
    assert scope._normal("envs/prod/../../modules/m1") == "modules/m1"
    assert scope._normal("envs/../../x") is None
    assert scope._normal("a/..") == ""
