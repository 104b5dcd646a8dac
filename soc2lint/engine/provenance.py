"""Which input of a rendered object set the value a finding is about.

A Helm chart rendered with values files and --set items is also rendered with only the inputs
before each one (see `Provenance`). The value at the finding's path is compared between those
renderings, from the last input back: the last input whose rendering changed it set it. This
is what helm itself did, not a guess from key names: a values key rarely names the object field
it ends up in (`image.tag` becomes `spec.template.spec.containers.0.image`). A value that no
input changed comes from the chart's templates or its own default values; the finding then
says which inputs the object was rendered with, and attributes it to none of them.
"""

from __future__ import annotations

import fnmatch
from typing import Any

from soc2lint.model import Provenance, is_unknown


def values_at(value: Any, path: str) -> list[Any]:
    """Every value at a dotted path (a finding's path: real indices, keys that may hold dots,
    `*` and globs as the rule wrote them); lists without an index are walked implicitly."""
    if not path:
        return [value]
    if isinstance(value, dict):
        # the longest key the path starts with: `metadata.annotations.a.io/b` has key `a.io/b`
        for key in sorted((k for k in value if isinstance(k, str)), key=len, reverse=True):
            if path == key or path.startswith(key + "."):
                return values_at(value[key], path[len(key) + 1 :])
        # a glob over keys, which may hold dots too: `annotations.a.io/*`
        cuts = [i for i, ch in enumerate(path) if ch == "."] + [len(path)]
        found = []
        for cut in cuts:
            segment, rest = path[:cut], path[cut + 1 :]
            if "*" not in segment:
                continue
            for k in sorted(value, key=str):
                if fnmatch.fnmatchcase(str(k), segment):
                    found.extend(values_at(value[k], rest))
            if found:
                break
        return found
    if isinstance(value, list):
        segment, _, rest = path.partition(".")
        if segment.isdigit():
            index = int(segment)
            return values_at(value[index], rest) if index < len(value) else []
        if segment == "*":
            return [v for item in value for v in values_at(item, rest)]
        return [v for item in value for v in values_at(item, path)]
    return []


def value_source(
    provenance: Provenance, attributes: dict[str, Any], path: str
) -> tuple[str, tuple[str, ...]]:
    """(what to say, the input files it names) about the value at path of a rendered object."""
    layers = [*provenance.before, attributes]
    # a value decided by other objects (no linked NetworkPolicy: no path), or made at random by
    # the template, is not compared: only the object's own existence can come from an input
    compare = bool(path) and values_at(provenance.again, path) == values_at(attributes, path)
    for k in range(len(provenance.inputs) - 1, -1, -1):
        earlier, later = layers[k], layers[k + 1]
        if is_unknown(earlier):  # that rendering failed: nothing earlier can be told apart
            break
        file = (provenance.files[k],) if provenance.files[k] else ()
        if earlier is None:
            return f"object rendered only with {provenance.inputs[k]}", file
        now = values_at(later, path)
        if compare and values_at(earlier, path) != now:
            # a value the input unset, or whose object it changed (a container it inserted)
            verb = "value from" if now else "not set because of"
            return f"{verb} {provenance.inputs[k]}", file
    return rendered_with(provenance), ()


def rendered_with(provenance: Provenance) -> str:
    """The inputs the object was rendered with, when none of them can be named as the source."""
    files = [i.removeprefix("values file ") for i in provenance.inputs if i.startswith("values")]
    sets = [i for i in provenance.inputs if not i.startswith("values")]
    parts = []
    if files:
        parts.append(("values file " if len(files) == 1 else "values files ") + ", ".join(files))
    if sets:
        parts.append(", ".join(sets))
    return "rendered with " + " and ".join(parts)
