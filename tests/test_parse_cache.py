"""The parse cache and the way parses travel from worker processes (pipeline.load): a worker
sends each parse as the codec bytes it stores, and the parent gets the same Loaded as a parse in
its own process would give, re-parsing when the bytes are not a parse."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest

from soc2lint.pipeline import codec
from soc2lint.pipeline import load as loader
from soc2lint.pipeline.discover import discover

TF = (
    'resource "aws_s3_bucket" "b{0}" {{\n'
    '  bucket = "b{0}" # soc2lint:ignore SOC2-AWS-001 reason="x"\n'
    "}}\n"
)


def _repo(tmp_path: Path) -> Path:
    repo = tmp_path / "repo"
    repo.mkdir()
    for i in range(3):
        (repo / f"m{i}.tf").write_text(TF.format(i))
    (repo / "empty.tf").write_text("")
    (repo / "stray.yaml").write_text("a: 1\n")
    return repo


def _same(a: loader.Loaded, b: loader.Loaded) -> bool:
    return (a.source, a.digest, a.skip, a.parsed, a.markers, a.ours, a.unsupported) == (
        b.source,
        b.digest,
        b.skip,
        b.parsed,
        b.markers,
        b.ours,
        b.unsupported,
    )


def test_what_a_worker_sends_is_what_a_parse_here_gives(tmp_path: Path) -> None:
    sources = discover(_repo(tmp_path)).files
    here = [loader.load_one(s, 10**6, None) for s in sources]
    for cache_dir in (str(tmp_path / "cache"), str(tmp_path / "cache"), None):  # cold, warm, none
        sent = loader._load_chunk((sources, 10**6, cache_dir))
        assert any(type(item) is tuple for item in sent)  # parses travel as bytes
        got = [loader._received(i, s, 10**6, cache_dir) for i, s in zip(sent, sources, strict=True)]
        assert all(_same(a, b) for a, b in zip(got, here, strict=True))


def test_bytes_that_are_not_a_parse_are_parsed_again_and_the_entry_rewritten(
    tmp_path: Path,
) -> None:
    sources = [s for s in discover(_repo(tmp_path)).files if s.path.startswith("m")]
    cache_dir = str(tmp_path / "cache")
    expected = [loader.load_one(s, 10**6, None) for s in sources]
    loader._load_chunk((sources, 10**6, cache_dir))  # cold: every entry written
    cache = loader.Cache(Path(cache_dir))
    keys = [_key_of(s) for s in sources]
    assert all(cache.parse_payload(k) is not None for k in keys)
    for bad in (codec.encode(("not", "a", "parse")), b"not a pickle"):
        for key in keys:  # well-formed entries (the digest holds) of what is no parse
            cache.add_parse(key, bad)
        cache.flush()  # the newest pack: read before the parses
        sent = loader._load_chunk((sources, 10**6, cache_dir))
        assert [item[1] for item in sent] == [bad] * len(sources)  # passed on undecoded
        got = [loader._received(i, s, 10**6, cache_dir) for i, s in zip(sent, sources, strict=True)]
        assert all(_same(a, b) for a, b in zip(got, expected, strict=True))
        # the parent rewrote the entries: a worker reads parses from them again
        again = loader._load_chunk((sources, 10**6, cache_dir))
        assert all(
            loader._fill(loader.Loaded(s), codec.decode(i[1]))
            for i, s in zip(again, sources, strict=True)
        )


def _key_of(source) -> str:
    raw = Path(source.abspath).read_bytes()
    return loader._key(f"{source.platform}/{source.kind}", source.path, raw)


def test_entries_are_written_whole_and_leave_no_temporary_files(tmp_path: Path) -> None:
    cache = loader.Cache(tmp_path / "cache")
    for i in range(20):
        assert cache.put(f"{i:02x}" * 32, {"i": i, "big": "x" * 70_000}) is not None
    assert cache.get("05" * 32) == {"i": 5, "big": "x" * 70_000}
    files = [p for p in (tmp_path / "cache").rglob("*") if p.is_file()]
    assert len(files) == 20 and not [p for p in files if p.name.startswith(".tmp-")]
    assert all(os.stat(p).st_mode & 0o077 == 0 for p in files)
    # a value the format cannot hold is not stored
    assert cache.put("ff" * 32, {"k": object()}) is None and cache.get("ff" * 32) is None


def test_a_write_that_fails_leaves_no_temporary_file(tmp_path: Path, monkeypatch) -> None:
    cache = loader.Cache(tmp_path / "cache")
    cache.put("aa" * 32, 1)

    def full(fd: int, data: object) -> int:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(loader.os, "write", full)
    cache.put("ab" * 32, 2)
    monkeypatch.undo()
    assert cache.get("ab" * 32) is None
    assert [p.name for p in (tmp_path / "cache").rglob("*") if p.is_file()] == ["aa" * 32]


def _pack_of(keys: list[str], cache_dir: Path) -> Path:
    cache = loader.Cache(cache_dir)
    for i, key in enumerate(keys):
        cache.add_parse(key, codec.encode(("parse", i, "x" * 200)))
    cache.flush()
    (pack,) = (cache_dir / f"v{loader.CACHE_FORMAT}" / "packs").iterdir()
    return pack


def _readable(keys: list[str], cache_dir: Path) -> list[bool]:
    cache = loader.Cache(cache_dir)  # a new reader: the pack's index read afresh
    found = [cache.parse_payload(k) for k in keys]
    cache.close()
    assert all(codec.decode(p) == ("parse", i, "x" * 200) for i, p in enumerate(found) if p)
    return [p is not None for p in found]


def test_a_damaged_pack_costs_the_entries_it_spoils_and_no_more(tmp_path: Path) -> None:
    keys = [f"{i:02x}" * 32 for i in range(5)]
    pack = _pack_of(keys, tmp_path / "cache")
    whole = pack.read_bytes()
    assert _readable(keys, tmp_path / "cache") == [True] * 5
    flipped = bytearray(whole)
    flipped[-3] ^= 0x01  # in the last entry's payload
    pack.write_bytes(bytes(flipped))
    assert _readable(keys, tmp_path / "cache") == [True, True, True, True, False]
    pack.write_bytes(whole[:-100])  # torn: the last entry ends past the end
    assert _readable(keys, tmp_path / "cache") == [True, True, True, True, False]
    index = bytearray(whole)
    index[len(loader._PACK_MAGIC) + 12 + 32 + 40] ^= 0x01  # in the index: no entry is believed
    pack.write_bytes(bytes(index))
    assert _readable(keys, tmp_path / "cache") == [False] * 5
    pack.write_bytes(whole[:20])  # not even a head
    assert _readable(keys, tmp_path / "cache") == [False] * 5
    pack.write_bytes(whole)
    assert _readable(keys, tmp_path / "cache") == [True] * 5


@pytest.mark.skipif(not hasattr(os, "getuid"), reason="POSIX ownership")
def test_a_pack_others_may_write_or_a_link_is_not_read(tmp_path: Path) -> None:
    keys = [f"{i:02x}" * 32 for i in range(3)]
    pack = _pack_of(keys, tmp_path / "cache")
    pack.chmod(0o666)
    assert _readable(keys, tmp_path / "cache") == [False] * 3
    pack.chmod(0o600)
    pack.parent.chmod(0o777)
    assert _readable(keys, tmp_path / "cache") == [False] * 3
    pack.parent.chmod(0o700)
    elsewhere = tmp_path / "elsewhere.pack"
    pack.rename(elsewhere)
    pack.symlink_to(elsewhere)
    assert _readable(keys, tmp_path / "cache") == [False] * 3
    pack.unlink()
    elsewhere.rename(pack)
    assert _readable(keys, tmp_path / "cache") == [True] * 3


def test_the_newest_pack_holding_a_key_is_read_and_the_same_keys_rewrite_one_pack(
    tmp_path: Path,
) -> None:
    cache_dir = tmp_path / "cache"
    keys = [f"{i:02x}" * 32 for i in range(3)]
    pack = _pack_of(keys, cache_dir)
    newer = loader.Cache(cache_dir)
    newer.add_parse(keys[1], codec.encode("newer"))
    newer.flush()
    reader = loader.Cache(cache_dir)
    assert [codec.decode(reader.parse_payload(k) or b"") for k in keys[:2]] == [
        ("parse", 0, "x" * 200),
        "newer",
    ]
    reader.close()
    # the same keys again: the same pack name, replaced whole, and nothing half-written left
    again = loader.Cache(cache_dir)
    for key in keys:
        again.add_parse(key, codec.encode("again"))
    again.flush()
    names = sorted(p.name for p in pack.parent.iterdir())
    assert len(names) == 2 and pack.name in names and not any(n.startswith(".tmp") for n in names)
    reader = loader.Cache(cache_dir)
    assert [codec.decode(reader.parse_payload(k) or b"") for k in keys] == ["again"] * 3
    reader.close()


def test_a_look_up_searches_each_pack_index_by_halves(tmp_path: Path) -> None:
    # three packs of interleaved keys: every key is found in its pack, none that is absent is
    cache_dir = tmp_path / "cache"
    keys = [f"{i * 7919 % 65536:04x}" * 16 for i in range(300)]
    for part in range(3):
        writer = loader.Cache(cache_dir)
        for key in keys[part::3]:
            writer.add_parse(key, codec.encode(("parse", key)))
        writer.flush()
    reader = loader.Cache(cache_dir)
    assert all(codec.decode(reader.parse_payload(k) or b"") == ("parse", k) for k in keys)
    absent = [f"{i:04x}" * 16 for i in range(0, 65536, 4099) if f"{i:04x}" * 16 not in keys]
    assert absent and [reader.parse_payload(k) for k in absent] == [None] * len(absent)
    assert reader.hits == len(keys) and reader.misses == len(absent)
    reader.close()


def test_a_pack_whose_index_is_out_of_order_only_misses(tmp_path: Path) -> None:
    # an index written out of key order (by hand: flush() sorts it) may hide entries from the
    # search; what the search finds is still the key asked for, checked against its digest
    keys = [f"{i:02x}" * 32 for i in range(8)]
    pack = _pack_of(keys, tmp_path / "cache")
    whole = pack.read_bytes()
    head = len(loader._PACK_MAGIC) + 12 + 32
    size = loader._RECORD.size
    records = [whole[head + i * size : head + (i + 1) * size] for i in range(len(keys))]
    index = b"".join(records[::-1])
    stamp = whole[len(loader._PACK_MAGIC) : len(loader._PACK_MAGIC) + 12]
    digest = hashlib.sha256(stamp + index).digest()
    pack.write_bytes(loader._PACK_MAGIC + stamp + digest + index + whole[head + len(index) :])
    found = _readable(keys, tmp_path / "cache")  # decoded payloads checked inside
    assert found.count(True) < len(keys)


def _packs(cache_dir: Path) -> list[Path]:
    return sorted((cache_dir / f"v{loader.CACHE_FORMAT}" / "packs").glob("*.pack"))


def _one_pack_each(cache_dir: Path, keys: list[str], value: str = "v") -> None:
    for key in keys:
        writer = loader.Cache(cache_dir)
        writer.add_parse(key, codec.encode((value, key)))
        writer.flush()


def test_packs_piled_up_are_compacted_into_few_and_every_entry_still_reads(
    tmp_path: Path,
) -> None:
    cache_dir = tmp_path / "cache"
    keys = [f"{i:02x}" * 32 for i in range(12)]
    _one_pack_each(cache_dir, keys)
    newer = loader.Cache(cache_dir)  # three keys held twice: the newest pack's entry wins
    for key in keys[:3]:
        newer.add_parse(key, codec.encode(("newer", key)))
    newer.flush()
    assert len(_packs(cache_dir)) == 13
    cache = loader.Cache(cache_dir)
    assert not cache.compact(above=13)  # not yet more than that
    assert cache.compact(above=10)
    assert len(_packs(cache_dir)) == 1 and not list(_packs(cache_dir)[0].parent.glob(".tmp*"))
    reader = loader.Cache(cache_dir)
    found = [codec.decode(reader.parse_payload(k) or b"") for k in keys]
    assert found == [("newer", k) for k in keys[:3]] + [("v", k) for k in keys[3:]]
    # the compacting object reads afresh too
    assert codec.decode(cache.parse_payload(keys[5]) or b"") == ("v", keys[5])


def test_compaction_drops_only_what_no_longer_reads(tmp_path: Path) -> None:
    cache_dir = tmp_path / "cache"
    keys = [f"{i:02x}" * 32 for i in range(6)]
    _one_pack_each(cache_dir, keys)
    packs = _packs(cache_dir)
    torn = next(p for p in packs if p.read_bytes().count(codec.encode(("v", keys[1]))))
    data = bytearray(torn.read_bytes())
    data[-3] ^= 0x01  # keys[1]'s entry spoilt: lost already, not carried over
    torn.write_bytes(bytes(data))
    spoilt_index = next(p for p in packs if p.read_bytes().count(codec.encode(("v", keys[2]))))
    data = bytearray(spoilt_index.read_bytes())
    data[len(loader._PACK_MAGIC) + 12 + 32] ^= 0x01  # an index that does not read: left alone
    spoilt_index.write_bytes(bytes(data))
    assert loader.Cache(cache_dir).compact(above=2)
    remaining = _packs(cache_dir)
    assert spoilt_index in remaining and torn not in remaining and len(remaining) == 2
    reader = loader.Cache(cache_dir)
    assert [reader.parse_payload(k) is not None for k in keys] == [
        True,
        False,
        False,
        True,
        True,
        True,
    ]


def test_a_compaction_that_cannot_write_removes_nothing(tmp_path: Path, monkeypatch) -> None:
    cache_dir = tmp_path / "cache"
    keys = [f"{i:02x}" * 32 for i in range(5)]
    _one_pack_each(cache_dir, keys)
    before = _packs(cache_dir)

    def full(fd: int, data: object) -> int:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(loader.os, "write", full)
    assert not loader.Cache(cache_dir).compact(above=1)
    monkeypatch.undo()
    assert _packs(cache_dir) == before
    reader = loader.Cache(cache_dir)
    assert all(reader.parse_payload(k) is not None for k in keys)


def test_a_scan_compacts_the_packs_once_they_pile_up(tmp_path: Path, monkeypatch) -> None:
    repo, cache_dir = _repo(tmp_path), tmp_path / "cache"
    files = discover(repo).files
    monkeypatch.setattr(loader, "COMPACT_ABOVE", 3)
    for i in range(4):  # each run parses one new file: a pack each
        (repo / f"new{i}.tf").write_text(TF.format(10 + i))
        files = discover(repo).files
        loader.load_all(files, 1 << 20, 1, str(cache_dir))
    assert len(_packs(cache_dir)) == 1  # the fourth pack made four: compacted into one
    cache = loader.Cache(cache_dir)
    again = loader.load_all(files, 1 << 20, 1, str(cache_dir))
    fresh = loader.load_all(files, 1 << 20, 1, None)
    assert all(_same(a, b) for a, b in zip(again, fresh, strict=True))
    assert cache.compact() is False
