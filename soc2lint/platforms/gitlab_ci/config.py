"""A pipeline's configuration over its files, merged as GitLab merges them, and `extends:`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from soc2lint.model import Location
from soc2lint.platforms.shared.yamlsrc import YamlDoc

_KEYWORDS = "default include stages variables workflow image services cache types spec"
KEYWORDS = {*_KEYWORDS.split(), "before_script", "after_script"}
MAX_EXTENDS = 11  # GitLab's own nesting limit


@dataclass(frozen=True)
class Source:
    path: str
    doc: YamlDoc


class Config:
    """A pipeline's top-level keys over its files, merged as GitLab merges included files."""

    def __init__(self, sources: list[Source]) -> None:
        self.sources = sources
        self._merged: dict[str, tuple[Any, dict[str, Location], Location | None]] = {}

    def has(self, key: str) -> bool:
        return any(key in s.doc.data for s in self.sources)

    def get(self, key: str) -> tuple[Any, dict[str, Location], Location | None]:
        """The merged value of a top-level key, where each part of it is written (keyed
        relative to the key), and where the key itself is written (in the last file)."""
        if key not in self._merged:
            value: Any = None
            locs: dict[str, Location] = {}
            at: Location | None = None
            found = False
            for source in self.sources:
                if key not in source.doc.data:
                    continue
                item, item_locs = (
                    source.doc.data[key],
                    source.doc.located(source.path, key),
                )
                if found and isinstance(value, dict) and isinstance(item, dict):
                    value, locs = merge(value, locs, item, item_locs)
                else:
                    value, locs = item, dict(item_locs)
                found = True
                line = source.doc.locations.get(key)
                at = Location(source.path, line[0], line[0]) if line else at
            self._merged[key] = (value, locs, at)
        return self._merged[key]

    def lookup(self, path: list[str]) -> tuple[Any, dict[str, Location], Location | None] | None:
        """What `!reference [key, sub, ...]` names, or None when nothing is there."""
        if not self.has(path[0]):
            return None
        value, locs, at = self.get(path[0])
        for part in path[1:]:
            if not isinstance(value, dict) or part not in value:
                return None
            value = value[part]
            at = locs.get(part, at)
            locs = under(locs, part)
        return value, locs, at

    def jobs(self) -> list[tuple[str, Source]]:
        """(job name, the file that defines it last), in file order."""
        owner: dict[str, Source] = {}
        for source in self.sources:
            for name, value in source.doc.data.items():
                if is_job(name, value):
                    owner[str(name)] = source
        return [
            (str(name), source)
            for source in self.sources
            for name in source.doc.data
            if owner.get(str(name)) is source
        ]


def config_document(docs: list[YamlDoc]) -> YamlDoc | None:
    """The document holding the configuration (a CI/CD component puts `spec:` before it)."""
    configs = [d for d in docs if isinstance(d.data, dict) and set(d.data) != {"spec"}]
    return configs[-1] if configs else None


def is_job(name: Any, value: Any) -> bool:
    """Whether a top-level key is a job: not a keyword, not a hidden template."""
    return isinstance(value, dict) and str(name) not in KEYWORDS and not str(name).startswith(".")


def extended(config: Config, name: str) -> tuple[dict, dict[str, Location], list[str], str]:
    """The job with `extends:` merged in, its locations, and templates the pipeline lacks."""
    unresolved: list[str] = []
    problem = ""

    def resolve(key: str, depth: int, seen: tuple[str, ...]) -> tuple[dict, dict[str, Location]]:
        nonlocal problem
        value, locs, _at = config.get(key)
        value = value if isinstance(value, dict) else {}
        parents = value.get("extends")
        parents = parents if isinstance(parents, list) else [parents] if parents else []
        merged: dict = {}
        merged_locs: dict[str, Location] = {}
        for parent in map(str, parents):
            if parent in seen or depth >= MAX_EXTENDS:
                problem = f"{name}: extends {parent} loops or nests too deeply"
                continue
            if not isinstance(config.get(parent)[0], dict):
                unresolved.append(parent)
                continue
            pv, pl = resolve(parent, depth + 1, (*seen, parent))
            merged, merged_locs = merge(merged, merged_locs, pv, pl)
        if not parents:
            return dict(value), dict(locs)
        own = {k: v for k, v in value.items() if k != "extends"}
        own_locs = {
            p: v for p, v in locs.items() if p != "extends" and not p.startswith("extends.")
        }
        return merge(merged, merged_locs, own, own_locs)

    job, locs = resolve(name, 0, (name,))
    return job, locs, sorted(set(unresolved)), problem


def merge(base: dict, base_locs: dict, over: dict, over_locs: dict) -> tuple[dict, dict]:
    """GitLab's extends merge: hashes deeply, everything else replaced by the later value."""
    out = dict(base)
    locs = dict(base_locs)
    for key, value in over.items():
        k = str(key)
        if isinstance(out.get(k), dict) and isinstance(value, dict):
            merged, merged_locs = merge(out[k], under(locs, k), value, under(over_locs, k))
            out[k] = merged
            locs = {p: v for p, v in locs.items() if not p.startswith(k + ".")}
            locs.update({f"{k}.{p}": v for p, v in merged_locs.items()})
            if k in over_locs:
                locs[k] = over_locs[k]
        else:
            out[k] = value
            locs = {p: v for p, v in locs.items() if p != k and not p.startswith(k + ".")}
            locs.update({p: v for p, v in over_locs.items() if p == k or p.startswith(k + ".")})
    return out, locs


def under(locs: dict[str, Location], key: str) -> dict[str, Location]:
    """The locations under key, relative to it."""
    cut = len(key) + 1
    return {p[cut:]: v for p, v in locs.items() if p.startswith(key + ".")}
