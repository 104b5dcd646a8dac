"""The resource graph: a small API over networkx so nothing else touches the raw graph."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator

import networkx as nx

from soc2lint.model import Resource


class ResourceGraph:
    """Resources as nodes (by address), references as edges carrying their kind and attribute."""

    def __init__(self) -> None:
        self._g = nx.MultiDiGraph()
        self._by_type: dict[str, list[Resource]] = defaultdict(list)

    def add_resource(self, resource: Resource) -> None:
        self._g.add_node(resource.key, resource=resource)
        self._by_type[resource.type].append(resource)

    def add_edge(self, source: str, target: str, kind: str, attribute: str = "") -> None:
        """An edge source -> target; ignored when either end is not a resource in the graph."""
        if source == target or source not in self._g or target not in self._g:
            return
        if self._g.has_edge(source, target, key=(kind, attribute)):
            return
        self._g.add_edge(source, target, key=(kind, attribute), kind=kind, attribute=attribute)

    def __contains__(self, key: str) -> bool:
        return key in self._g

    def __len__(self) -> int:
        return self._g.number_of_nodes()

    def get(self, key: str) -> Resource | None:
        data = self._g.nodes.get(key)
        return data["resource"] if data else None

    def resources(self) -> Iterator[Resource]:
        for _address, data in self._g.nodes(data=True):
            yield data["resource"]

    def of_type(self, resource_type: str) -> list[Resource]:
        return self._by_type.get(resource_type, [])

    def types(self) -> Iterable[str]:
        return self._by_type.keys()

    def edge_count(self) -> int:
        return self._g.number_of_edges()

    def neighbours(
        self,
        key: str,
        resource_type: str | None = None,
        direction: str = "any",
        kind: str | None = None,
        via: tuple[str, ...] = (),
    ) -> list[Resource]:
        """Resources linked to the node key (out: it refers to them; in: they refer to it).

        via limits the links to those made by these attributes (top-level names, on whichever
        side holds the reference).
        """
        found: dict[str, Resource] = {}
        edges = []
        if direction in ("out", "any"):
            edges.extend((v, d) for _u, v, d in self._g.out_edges(key, data=True))
        if direction in ("in", "any"):
            edges.extend((u, d) for u, _v, d in self._g.in_edges(key, data=True))
        for other, data in edges:
            if kind is not None and data["kind"] != kind:
                continue
            if via and data["attribute"].split(".", 1)[0] not in via:
                continue
            res = self._g.nodes[other]["resource"]
            if resource_type is None or res.type == resource_type:
                found[other] = res
        return [found[k] for k in sorted(found)]

    def edge_attributes(self, source: str, target: str) -> list[str]:
        """The attribute paths of source that refer to target."""
        if not self._g.has_edge(source, target):
            return []
        return sorted(d["attribute"] for d in self._g.get_edge_data(source, target).values())

    def reachable(self, key: str) -> set[str]:
        return set(nx.descendants(self._g, key))

    def cycles(self) -> list[list[str]]:
        return [sorted(c) for c in nx.simple_cycles(nx.DiGraph(self._g))]
