"""The parse and result cache holds data, never code, and is read only where nobody else could
have written it: a planted pickle is never run, a planted entry in a directory others may write
is never believed, an entry that is a link to /dev/zero is never read."""

from __future__ import annotations

import hashlib
import json
import os
import pickle
from pathlib import Path

import pytest

from soc2lint.pipeline import codec
from soc2lint.pipeline import load as loader
from soc2lint.pipeline.load import _MAGIC as MAGIC

from .harness import repository, soc2lint

POD = (
    "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  containers:\n"
    "    - name: c\n      image: nginx:1.25\n      securityContext:\n        privileged: true\n"
)


class _Boom:
    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f"touch {self.marker}",))


def _scan(repo: Path, cache: Path):
    proc = soc2lint("scan", "--cache-dir", str(cache), "--format", "json", ".", cwd=repo)
    assert proc.returncode == 1, proc.stderr
    return json.loads(proc.stdout)


def _failing(doc: dict) -> set[tuple[str, str]]:
    return {(f["rule_id"], f["path"]) for f in doc["findings"] if f["status"] == "fail"}


def _entries(cache: Path) -> list[Path]:
    return sorted(p for p in cache.rglob("*") if p.is_file())


@pytest.fixture
def scanned(tmp_path: Path):
    repo = repository(
        tmp_path / "repo", {"pod.yaml": POD, "main.tf": 'resource "aws_s3_bucket" "b" {}\n'}
    )
    cache = tmp_path / "cache"
    first = _scan(repo, cache)
    assert _failing(first) and _entries(cache)
    return repo, cache, _failing(first)


def test_a_planted_pickle_is_never_run(scanned, tmp_path: Path) -> None:
    repo, cache, expected = scanned
    marker = tmp_path / "executed"
    payload = pickle.dumps(_Boom(marker))
    # digest right, under this format's head (a pickle too, but of a name it never resolves)
    # and the heads of older formats (the first of which was a plain pickle)
    for magic in (MAGIC, b"soc2lint-cache\x02\n", b"soc2lint-cache\x01\n"):
        for entry in _entries(cache):
            entry.write_bytes(magic + hashlib.sha256(payload).digest() + payload)
        assert _failing(_scan(repo, cache)) == expected
        assert not marker.exists()
        # and the entries are cache data again (a pack: every entry in it)
        for entry in _entries(cache):
            for payload in _payloads(entry):
                codec.decode(payload)


def _payloads(entry: Path) -> list[bytes]:
    """An entry's payload, or each payload of a pack, its digests checked."""
    if entry.suffix != ".pack":
        return [entry.read_bytes()[len(MAGIC) + 32 :]]
    reader = loader.Cache(entry.parents[2])
    _written, name, _size, records = reader._read_index(entry.name)
    out = [
        reader._read_place((name, offset, length, digest)) for _k, offset, length, digest in records
    ]
    reader.close()
    assert out
    return out


def _forge_clean_report(cache: Path) -> Path:
    """Rewrite the cached report to say there are no findings, digest and all."""
    (entry,) = [e for e in _entries(cache) if e.name.startswith("report-")]
    body = codec.decode(entry.read_bytes()[len(MAGIC) + 32 :])
    body["findings"] = codec.Rows([[], [], [[]], []])  # a table of no findings
    payload = codec.encode(body)
    entry.write_bytes(MAGIC + hashlib.sha256(payload).digest() + payload)
    return entry


@pytest.mark.skipif(not hasattr(os, "getuid"), reason="POSIX ownership")
def test_an_entry_in_a_directory_others_may_write_is_not_believed(scanned) -> None:
    repo, cache, expected = scanned
    entry = _forge_clean_report(cache)
    entry.parent.chmod(0o777)  # the top of the cache is private, this sub-directory is not
    assert _failing(_scan(repo, cache)) == expected
    entry.parent.chmod(0o700)
    entry.chmod(0o666)  # nor an entry others may write
    assert _failing(_scan(repo, cache)) == expected


@pytest.mark.skipif(not hasattr(os, "getuid"), reason="POSIX ownership")
def test_a_cache_under_a_directory_others_may_write_is_not_used(tmp_path: Path) -> None:
    repo = repository(tmp_path / "repo", {"pod.yaml": POD})
    shared = tmp_path / "shared"
    shared.mkdir()
    shared.chmod(0o777)  # not sticky: anyone could swap the cache directory below
    cache = shared / "cache"
    proc = soc2lint("scan", "--cache-dir", str(cache), "--format", "json", ".", cwd=repo)
    assert proc.returncode == 1
    assert "not using the cache" in proc.stderr and "may be changed by another user" in proc.stderr
    assert not cache.exists()


def test_an_entry_linked_to_dev_zero_is_not_read(scanned) -> None:
    repo, cache, expected = scanned
    for entry in _entries(cache):
        entry.unlink()
        entry.symlink_to("/dev/zero")
    # under the memory limit: reading /dev/zero to the end would be killed
    assert _failing(_scan(repo, cache)) == expected
