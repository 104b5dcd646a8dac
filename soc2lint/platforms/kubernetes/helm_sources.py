"""The user's inputs to a Helm rendering (values files, --set), and each object as rendered
before each input, so that a finding can name the input its value came from.

Why render again rather than read the values files: a values key rarely names the object field
it ends up in (`image.tag` becomes `spec.template.spec.containers.0.image`, one key may feed many
fields and a template may combine many keys), so matching keys to fields would be a guess.
Rendering with only the inputs before each one and comparing the field is what helm did: the
last input whose rendering changed the field set it (soc2lint.engine.provenance). It costs one
more `helm template` per input, and only when inputs are given.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from soc2lint.model import Provenance, Resource, Unknown

# an object across renderings: its address (the name may change with the values, so also) the
# template that produced it, its kind and its rank among that template's objects of that kind
Key = tuple[str, tuple[str, str, int]]
FAILED = Unknown("helm template failed without the later values")


@dataclass(frozen=True)
class Input:
    shown: str  # "values file deploy/prod.yaml", "--set replicas=3"
    file: str  # repository-relative path of a values file, "" for --set
    args: tuple[str, ...]  # its helm arguments


def command(common: list[str], inputs: list[Input]) -> list[str]:
    return [*common, *(a for i in inputs for a in i.args)]


def keys(resources: list[Resource], sources: list[tuple[int, str]]) -> list[Key]:
    """The key of each parsed object of a rendering; sources are helm's `# Source:` lines."""
    out: list[Key] = []
    seen: dict[tuple[str, str], int] = {}
    for res in resources:
        template = next((t for line, t in reversed(sources) if line <= res.location.start_line), "")
        rank = seen.get((template, res.type), 0)
        seen[(template, res.type)] = rank + 1
        out.append((res.address.split("#L", 1)[0], (template, res.type, rank)))
    return out


def attach(
    located: list[Resource],
    final_keys: list[Key],
    inputs: list[Input],
    before: list[list[tuple[Key, dict[str, Any]]] | None],
    again: list[tuple[Key, dict[str, Any]]] | None,
) -> list[Resource]:
    """The final objects, each with its provenance: itself in every earlier rendering, and in
    a second rendering with every input (`again`)."""
    indexes = [None if b is None else _index(b) for b in before]
    repeat = None if again is None else _index(again)
    shown = tuple(i.shown for i in inputs)
    files = tuple(i.file for i in inputs)
    out = []
    for res, (address, place) in zip(located, final_keys, strict=True):
        earlier: list[Any] = []
        for index in indexes:
            if index is None:
                earlier.append(FAILED)
                continue
            by_address, by_place = index
            earlier.append(by_address.get(address) or by_place.get(place))
        # the same rendering twice, so the same place (a random name changes the address)
        second = None if repeat is None else repeat[1].get(place)
        provenance = Provenance(shown, files, tuple(earlier), second)
        out.append(replace(res, provenance=provenance))
    return out


def _index(
    objects: list[tuple[Key, dict[str, Any]]],
) -> tuple[dict[str, dict[str, Any]], dict[tuple[str, str, int], dict[str, Any]]]:
    by_address: dict[str, dict[str, Any]] = {}
    by_place: dict[tuple[str, str, int], dict[str, Any]] = {}
    for (address, place), attributes in objects:
        by_address.setdefault(address, attributes)
        by_place.setdefault(place, attributes)
    return by_address, by_place
