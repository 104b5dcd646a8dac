"""The resource graph: a small API over plain dictionaries so nothing else touches the raw graph.

It was a networkx MultiDiGraph; what the scan asks of it (nodes, keyed edges, neighbours) is a
few dictionaries, and importing networkx cost a one-file pre-commit run a quarter of a second.
networkx is imported only by `cycles`, which no scan calls."""

from __future__ import annotations

import sys
from collections import defaultdict
from collections.abc import Iterable, Iterator

from soc2lint.model import Resource

# an edge's key: (kind, attribute); a source and target pair may have several
_EdgeKey = tuple[str, str]


class ResourceGraph:
    """Resources as nodes (by address), references as edges carrying their kind and attribute."""

    # A monorepo's graph has hundreds of thousands of nodes, held while every rule is judged:
    # each key is one string (interned, where the callers' own copies are made anew each time
    # a resource's key is asked for), only nodes with edges have adjacency maps, and the keys of
    # an edge's two ends are one dictionary, seen from either side.

    def __init__(self) -> None:
        self._nodes: dict[str, Resource] = {}  # in insertion order
        # source -> target -> keys, and target -> source -> the same keys (nodes with edges)
        self._out: dict[str, dict[str, dict[_EdgeKey, None]]] = {}
        self._in: dict[str, dict[str, dict[_EdgeKey, None]]] = {}
        self._edges = 0
        self._by_type: dict[str, list[Resource]] = defaultdict(list)
        # (type, scope) -> resources, made when first asked and again after a resource is added
        self._by_scope: dict[tuple[str, str], list[Resource]] | None = None

    def add_resource(self, resource: Resource) -> None:
        self._nodes[sys.intern(resource.key)] = resource  # a key added again keeps its place
        self._by_type[resource.type].append(resource)
        self._by_scope = None

    def add_edge(self, source: str, target: str, kind: str, attribute: str = "") -> None:
        """An edge source -> target; ignored when either end is not a resource in the graph."""
        if source == target or source not in self._nodes or target not in self._nodes:
            return
        source, target = sys.intern(source), sys.intern(target)  # the nodes' own strings
        targets = self._out.get(source)
        if targets is None:
            targets = self._out[source] = {}
        keys = targets.get(target)
        if keys is None:
            keys = targets[target] = {}
            self._in.setdefault(target, {})[source] = keys
        elif (kind, attribute) in keys:
            return
        keys[(kind, attribute)] = None
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

    def in_scope(self, resource_type: str, scope: str) -> list[Resource]:
        """of_type(resource_type) in one scope, in the same order: asked once per scope, a walk
        over every resource of the type would cost scopes x resources."""
        if self._by_scope is None:
            index: dict[tuple[str, str], list[Resource]] = {}
            for rtype, resources in self._by_type.items():
                for res in resources:
                    index.setdefault((rtype, res.scope), []).append(res)
            self._by_scope = index
        return self._by_scope.get((resource_type, scope), [])

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
        nodes = self._nodes
        sides = []
        if direction in ("out", "any"):
            sides.append(self._out.get(key))
        if direction in ("in", "any"):
            sides.append(self._in.get(key))
        for side in sides:
            if not side:
                continue
            for other, keys in side.items():
                if other in found:
                    continue  # linked already, by an edge of the other direction
                res = nodes[other]
                if resource_type is not None and res.type != resource_type:
                    continue
                # linked when any one of its edges is of the kind and made by an attribute
                for edge_kind, attribute in keys:
                    if kind is not None and edge_kind != kind:
                        continue
                    if via and attribute.split(".", 1)[0] not in via:
                        continue
                    found[other] = res
                    break
        if len(found) < 2:
            return list(found.values())
        return [found[k] for k in sorted(found)]

    def edge_attributes(self, source: str, target: str) -> list[str]:
        """The attribute paths of source that refer to target."""
        return sorted(attribute for _kind, attribute in self._out.get(source, {}).get(target, {}))

    def reachable(self, key: str) -> set[str]:
        """Every node a path of edges leads to from key, key itself never (as networkx's
        descendants)."""
        seen: set[str] = {key}
        stack = list(self._out.get(key, {}))
        while stack:
            node = stack.pop()
            if node not in seen:
                seen.add(node)
                stack.extend(self._out.get(node, ()))
        return seen - {key}

    def cycles(self) -> list[list[str]]:
        import networkx as nx  # only here: no scan asks for cycles

        graph = nx.DiGraph()
        graph.add_nodes_from(self._nodes)
        graph.add_edges_from((u, v) for u in self._nodes for v in self._out.get(u, ()))
        return [sorted(c) for c in nx.simple_cycles(graph)]
