"""The resource graph answers as the networkx MultiDiGraph it replaced did (networkx is the
reference here only: the scan no longer imports it)."""

from __future__ import annotations

import random

import networkx as nx

from soc2lint.graph import ResourceGraph
from soc2lint.model import Location, Resource

KINDS = ("reference", "selector")
ATTRIBUTES = ("", "bucket", "bucket.id", "policy", "role.arn")


def _res(i: int) -> Resource:
    rtype = ("aws_s3_bucket", "aws_iam_role", "aws_kms_key")[i % 3]
    return Resource(f"{rtype}.r{i}", rtype, "terraform", {}, Location("main.tf", i + 1, 1), ".")


def _both(seed: int) -> tuple[ResourceGraph, nx.MultiDiGraph, list[Resource]]:
    rng = random.Random(seed)
    resources = [_res(i) for i in range(12)]
    graph, reference = ResourceGraph(), nx.MultiDiGraph()
    for res in resources:
        graph.add_resource(res)
        reference.add_node(res.key, resource=res)
    keys = [r.key for r in resources] + ["not.there"]
    for _ in range(40):
        source, target = rng.choice(keys), rng.choice(keys)
        kind, attribute = rng.choice(KINDS), rng.choice(ATTRIBUTES)
        graph.add_edge(source, target, kind, attribute)
        ok = source != target and source in reference and target in reference
        if ok and not reference.has_edge(source, target, key=(kind, attribute)):
            reference.add_edge(
                source, target, key=(kind, attribute), kind=kind, attribute=attribute
            )
    return graph, reference, resources


def _neighbours(reference: nx.MultiDiGraph, key: str, rtype, direction, kind, via) -> list[str]:
    edges = []
    if direction in ("out", "any"):
        edges += [(v, d) for _u, v, d in reference.out_edges(key, data=True)]
    if direction in ("in", "any"):
        edges += [(u, d) for u, _v, d in reference.in_edges(key, data=True)]
    found = {
        other
        for other, d in edges
        if (kind is None or d["kind"] == kind)
        and (not via or d["attribute"].split(".", 1)[0] in via)
        and (rtype is None or reference.nodes[other]["resource"].type == rtype)
    }
    return sorted(found)


def test_the_graph_answers_as_networkx_did() -> None:
    for seed in range(20):
        graph, reference, resources = _both(seed)
        assert len(graph) == reference.number_of_nodes()
        assert graph.edge_count() == reference.number_of_edges()
        assert list(graph.resources()) == [d["resource"] for _, d in reference.nodes(data=True)]
        for res in resources:
            assert res.key in graph and graph.get(res.key) is res
            assert graph.reachable(res.key) == nx.descendants(reference, res.key)
            for other in resources:
                expected = []
                if reference.has_edge(res.key, other.key):
                    data = reference.get_edge_data(res.key, other.key).values()
                    expected = sorted(d["attribute"] for d in data)
                assert graph.edge_attributes(res.key, other.key) == expected
            for rtype in (None, "aws_iam_role"):
                for direction in ("any", "in", "out"):
                    for kind in (None, "reference"):
                        for via in ((), ("bucket",)):
                            got = [
                                r.key
                                for r in graph.neighbours(res.key, rtype, direction, kind, via)
                            ]
                            assert got == _neighbours(
                                reference, res.key, rtype, direction, kind, via
                            )
        assert graph.cycles() == [sorted(c) for c in nx.simple_cycles(nx.DiGraph(reference))]
    assert "not.there" not in graph and graph.get("not.there") is None
