"""What a step's `uses:` names, and the stable key a step is addressed by."""

from __future__ import annotations

import re
from typing import Any

SHA_RE = re.compile(r"^[0-9a-fA-F]{40}$")


def uses_info(uses: Any) -> dict[str, Any]:
    """uses_kind (local/docker/action/reusable), uses_name, uses_ref and uses_pinned."""
    if not isinstance(uses, str) or not uses.strip():
        return {}
    text = uses.strip()
    if text.startswith("./") or text.startswith("../"):
        return {"uses_kind": "local", "uses_name": text, "uses_ref": "", "uses_pinned": True}
    if text.startswith("docker://"):
        image = text[len("docker://") :]
        # judged as a container image (SOC2-GHA-014), not as an action: no uses_pinned
        return {"uses_kind": "docker", "uses_name": image, "uses_ref": image.partition("@")[2]}
    name, _, ref = text.partition("@")
    kind = "reusable" if "/.github/workflows/" in name else "action"
    return {
        "uses_kind": kind,
        "uses_name": name.lower(),
        "uses_ref": ref,
        "uses_pinned": bool(SHA_RE.match(ref)),
    }


def step_keys(steps: list) -> list[str]:
    """A stable, unique key for each step (see the module docstring); "" for a non-mapping."""
    keys: list[str] = []
    taken: set[str] = set()
    for step in steps:
        if not isinstance(step, dict):
            keys.append("")
            continue
        base = _step_key(step)
        key, n = base, 1
        while key in taken:
            n += 1
            key = f"{base}#{n}"
        taken.add(key)
        keys.append(key)
    return keys


def _step_key(step: dict) -> str:
    for value in (step.get("id"), _uses_key(step.get("uses")), step.get("name")):
        if isinstance(value, (str, int)) and str(value).strip():
            return " ".join(str(value).split())[:60]
    for line in str(step.get("run") or "").splitlines():
        text = " ".join(line.split())
        if text and not text.startswith("#") and not re.match(r"set\s+[-+]", text):
            return text if len(text) <= 48 else text[:48].rpartition(" ")[0] or text[:48]
    return "step"


def _uses_key(uses: Any) -> str:
    """The action a step uses, without the ref (or the image, without tag or digest)."""
    if not isinstance(uses, str):
        return ""
    text = uses.strip()
    if text.startswith(("./", "../")):
        return text
    if text.startswith("docker://"):
        image = text[len("docker://") :].partition("@")[0]
        name, sep, tag = image.rpartition(":")
        return "docker://" + (name if sep and "/" not in tag else image)
    return text.partition("@")[0].lower()
