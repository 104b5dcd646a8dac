"""The SOC 2 Trust Services Criteria catalogue, shipped as package data."""

from __future__ import annotations

import functools
import hashlib
from dataclasses import dataclass
from importlib import resources


@dataclass(frozen=True)
class Catalogue:
    version: str
    criteria: dict[str, str]  # id -> title
    categories: dict[str, tuple[str, str]]  # key -> (name, id prefix)
    digest: str

    def category_of(self, criterion: str) -> str:
        """The Trust Services Category key (security, availability, ...) of a criterion id."""
        for key, (_name, prefix) in sorted(self.categories.items(), key=lambda kv: -len(kv[1][1])):
            if criterion.startswith(prefix) and criterion[len(prefix) :][:1].isdigit():
                return key
        raise KeyError(criterion)

    def sort_key(self, criterion: str) -> tuple[int, str]:
        order = list(self.criteria)
        return (order.index(criterion) if criterion in self.criteria else len(order), criterion)


@functools.lru_cache(maxsize=1)
def catalogue() -> Catalogue:
    """Load the catalogue once."""
    from ruamel.yaml import YAML  # here: importing this module reads nothing

    raw = resources.files("soc2lint").joinpath("data/tsc.yaml").read_bytes()
    data = YAML(typ="safe").load(raw)
    return Catalogue(
        version=str(data["version"]),
        criteria={str(k): str(v) for k, v in data["criteria"].items()},
        categories={k: (v["name"], v["prefix"]) for k, v in data["categories"].items()},
        digest=hashlib.sha256(raw).hexdigest(),
    )
