"""Where a job runs: its runner labels, whether they are self-hosted, and its container images."""

from __future__ import annotations

import re
from typing import Any

from soc2lint.model import Unknown
from soc2lint.platforms.shared.ci_common import as_list, as_map, image_pinned
from soc2lint.platforms.shared.ci_expressions import is_expression, matrix_values

HOSTED_LABEL = re.compile(r"^(ubuntu|windows|macos)-[A-Za-z0-9._-]+$", re.I)


def runner_labels(job: dict) -> list[Any]:
    """The job's `runs-on` labels; a matrix expression gives the matrix's values."""
    value = job.get("runs-on")
    if isinstance(value, dict):
        labels = value.get("labels")
        value = labels if labels is not None else []
    items = value if isinstance(value, list) else [value]
    out: list[Any] = []
    for item in items:
        if item is not None:
            out.extend(_matrix_values(item, job) if is_expression(item) else [str(item)])
    return out


def _matrix_values(item: str, job: dict) -> list[Any]:
    """`${{ matrix.os }}` with a literal matrix: its values; any other expression: Unknown."""
    m = re.fullmatch(r"\$\{\{\s*matrix\.([A-Za-z0-9_-]+)\s*\}\}", item.strip())
    strategy = as_map(job.get("strategy"))
    matrix = strategy.get("matrix")
    if m and isinstance(matrix, dict):
        key = m.group(1)
        values = as_list(matrix.get(key))
        include = as_list(matrix.get("include"))
        extra = [e.get(key) for e in include if isinstance(e, dict)]
        found = [v for v in [*values, *extra] if v is not None]
        if found and all(isinstance(v, str) and not is_expression(v) for v in found):
            return sorted(set(found))
    return [Unknown(f"runs-on is set by the expression {item.strip()}")]


def self_hosted(runs_on: list[Any], raw: Any) -> Any:
    """Whether the labels name a self-hosted runner; Unknown for a custom label or group."""
    labels = [label for label in runs_on if isinstance(label, str)]
    if any(label.lower() == "self-hosted" for label in labels):
        return True
    unknown = next((label for label in runs_on if isinstance(label, Unknown)), None)
    if unknown is not None:
        return unknown
    if isinstance(raw, dict) and raw.get("group"):
        return Unknown(f"runner group {raw['group']!r} may hold self-hosted runners")
    custom = [label for label in labels if not HOSTED_LABEL.match(label)]
    if custom:
        return Unknown(f"runner label {custom[0]!r} may name a self-hosted runner")
    return False


def job_images(container: dict, services: dict, raw: Any, job: dict) -> list[dict[str, Any]]:
    """The job's container and service images, each with where it is set and if pinned.

    An image written with `${{ matrix.X }}` is one image per value of a literal matrix. An empty
    image (a service a matrix leg switches off with `image: ""`) starts no container."""
    found = []
    if isinstance(raw, str):
        found.append(("container", raw))
    elif container.get("image") is not None:
        found.append(("container.image", container["image"]))
    for name, svc in services.items():
        if isinstance(svc, dict) and svc.get("image") is not None:
            found.append((f"services.{name}.image", svc["image"]))
    out = []
    for where, written in found:
        if isinstance(written, str) and not written.strip():
            continue
        for image in _expand_matrix(written, job) if is_expression(written) else [written]:
            if isinstance(image, str) and not image.strip():
                continue
            pinned: Any = image_pinned(image)
            if is_expression(image):
                pinned = Unknown(f"image {image} is set by an expression")
            out.append({"path": where, "image": image, "pinned": pinned})
    return out


_MATRIX_REF = re.compile(r"\$\{\{\s*matrix\.([A-Za-z0-9_-]+)\s*\}\}")


def _expand_matrix(text: str, job: dict, limit: int = 64) -> list[str]:
    """text with each `${{ matrix.X }}` replaced by each literal value of X (text itself when a
    value is not a literal, or other expressions remain)."""
    values = matrix_values(job.get("strategy"))
    out = [text]
    for key in dict.fromkeys(m.group(1) for m in _MATRIX_REF.finditer(text)):
        choices = values.get(key.lower(), [])
        if not choices or not all(
            isinstance(v, (str, int, float)) and not is_expression(v) for v in choices
        ):
            return [text]
        pattern = re.compile(r"\$\{\{\s*matrix\." + re.escape(key) + r"\s*\}\}")
        out = [pattern.sub(str(v), t) for t in out for v in dict.fromkeys(choices)][:limit]
    return sorted(set(out))
