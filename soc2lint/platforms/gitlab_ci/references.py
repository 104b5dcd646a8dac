"""`!reference [key, ...]` replaced by what it names, locations following the values.

The YAML reader drops tags, so `!reference [.setup, script]` arrives as the list
`[".setup", "script"]`: a list of strings in `script`, `before_script`, `after_script`, `rules`
or `variables` whose first item names a top-level key of the pipeline is read as a reference.
"""

from __future__ import annotations

from typing import Any

from soc2lint.model import Location
from soc2lint.platforms.gitlab_ci.config import Config, under

MAX_NESTING = 10  # nested !reference tags and script arrays


def _reference(
    value: Any, config: Config
) -> tuple[Any, dict[str, Location], Location | None] | None:
    """What value names when it is a `!reference` (a list of strings naming something in the
    pipeline), else None."""
    if (
        isinstance(value, list)
        and len(value) >= 2
        and all(isinstance(v, str) for v in value)
        and config.has(value[0])
    ):
        return config.lookup(value)
    return None


def dereference(
    value: Any, locs: dict[str, Location], at: Location | None, config: Config, depth: int = 0
) -> tuple[Any, dict[str, Location]]:
    """A script or rules list with `!reference` items replaced by what they name and nested
    lists flattened, as GitLab does; locations follow the items to where they are written."""
    if depth > MAX_NESTING or not isinstance(value, list):
        return value, locs
    found = _reference(value, config)
    if found is not None:  # the whole list is one reference
        return dereference(found[0], found[1], found[2] or at, config, depth + 1)
    out: list = []
    out_locs: dict[str, Location] = {}
    for i, item in enumerate(value):
        item_at = locs.get(str(i), at)
        item_locs = under(locs, str(i))
        if isinstance(item, list):
            found = _reference(item, config)
            if found is not None:
                where = found[2] or item_at
                items, items_locs = dereference(found[0], found[1], where, config, depth + 1)
            else:
                items, items_locs = dereference(item, item_locs, item_at, config, depth + 1)
            items = items if isinstance(items, list) else [items]
            for j, sub in enumerate(items):
                _place(
                    out_locs, len(out), items_locs.get(str(j), item_at), under(items_locs, str(j))
                )
                out.append(sub)
        else:
            _place(out_locs, len(out), item_at, item_locs)
            out.append(item)
    return out, out_locs


def _place(out: dict[str, Location], index: int, at: Location | None, sub: dict) -> None:
    if at is not None:
        out[str(index)] = at
    out.update({f"{index}.{p}": v for p, v in sub.items()})


def dereference_variables(raw: Any, config: Config) -> tuple[Any, dict[str, Location] | None]:
    """A job's own variables with `!reference` (of the whole block or of single values)
    resolved; the block's locations (relative to `variables`) when it was a reference."""
    block_locs = None
    found = _reference(raw, config)
    if found is not None:
        raw, block_locs, _at = found
    if not isinstance(raw, dict):
        return raw, block_locs
    out = dict(raw)
    for name, value in raw.items():
        found = _reference(value, config)
        if found is not None:
            out[name] = found[0]
    return out, block_locs
