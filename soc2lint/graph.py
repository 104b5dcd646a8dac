"""The resource graph: a small API over plain adjacency maps so nothing else touches the raw
graph.

Nodes are kept in the order they were added, edges in the order they were made, each edge keyed
by (kind, attribute) so a link is recorded once. networkx is imported only for the two whole-
graph algorithms (reachable, cycles), which no scan runs: importing it costs more than building
and searching the graph of a thousand workflows."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator
from typing import Any

from soc2lint.model import Resource

_Edges = dict[str, dict[tuple[str, str], None]]  # other end -> the (kind, attribute) of each edge


class ResourceGraph:
    """Resources as nodes (by address), references as edges carrying their kind and attribute."""

    def __init__(self) -> None:
        self._nodes: dict[str, Resource] = {}
        self._out: dict[str, _Edges] = {}
        self._in: dict[str, _Edges] = {}
        self._edges = 0
        self._by_type: dict[str, list[Resource]] = defaultdict(list)

    def add_resource(self, resource: Resource) -> None:
        if resource.key not in self._nodes:
            self._out[resource.key] = {}
            self._in[resource.key] = {}
        self._nodes[resource.key] = resource
        self._by_type[resource.type].append(resource)

    def add_edge(self, source: str, target: str, kind: str, attribute: str = "") -> None:
        """An edge source -> target; ignored when either end is not a resource in the graph."""
        if source == target or source not in self._nodes or target not in self._nodes:
            return
        keys = self._out[source].setdefault(target, {})
        if (kind, attribute) in keys:
            return
        keys[(kind, attribute)] = None
        self._in[target].setdefault(source, {})[(kind, attribute)] = None
        self._edges += 1

    def __contains__(self, key: str) -> bool:
        return key in self._nodes

    def __len__(self) -> int:
        return len(self._nodes)

    def get(self, key: str) -> Resource | None:
        return self._nodes.get(key)

    def resources(self) -> Iterator[Resource]:
        yield from self._nodes.values()

    def of_type(self, resource_type: str) -> list[Resource]:
        return self._by_type.get(resource_type, [])

    def types(self) -> Iterable[str]:
        return self._by_type.keys()

    def edge_count(self) -> int:
        return self._edges

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
        sides = []
        if direction in ("out", "any"):
            sides.append(self._out.get(key, {}))
        if direction in ("in", "any"):
            sides.append(self._in.get(key, {}))
        for side in sides:
            for other, keys in side.items():
                for edge_kind, attribute in keys:
                    if kind is not None and edge_kind != kind:
                        continue
                    if via and attribute.split(".", 1)[0] not in via:
                        continue
                    res = self._nodes[other]
                    if resource_type is None or res.type == resource_type:
                        found[other] = res
        return [found[k] for k in sorted(found)]

    def edge_attributes(self, source: str, target: str) -> list[str]:
        """The attribute paths of source that refer to target."""
        keys = self._out.get(source, {}).get(target)
        return sorted(attribute for _kind, attribute in keys) if keys else []

    def _networkx(self) -> Any:
        import networkx as nx

        g = nx.MultiDiGraph()
        for key, res in self._nodes.items():
            g.add_node(key, resource=res)
        for source, targets in self._out.items():
            for target, keys in targets.items():
                for kind, attribute in keys:
                    g.add_edge(
                        source, target, key=(kind, attribute), kind=kind, attribute=attribute
                    )
        return g

    def reachable(self, key: str) -> set[str]:
        import networkx as nx

        return set(nx.descendants(self._networkx(), key))

    def cycles(self) -> list[list[str]]:
        import networkx as nx

        return [sorted(c) for c in nx.simple_cycles(nx.DiGraph(self._networkx()))]
