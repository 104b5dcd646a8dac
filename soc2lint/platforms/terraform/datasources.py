"""Data sources whose result is a pure function of their arguments, so rules can see it."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from soc2lint.model import Unknown, contains_unknown, is_unknown


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _statement(block: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if block.get("sid"):
        out["Sid"] = block["sid"]
    out["Effect"] = block.get("effect") or "Allow"
    for key, field in (
        ("actions", "Action"),
        ("not_actions", "NotAction"),
        ("resources", "Resource"),
        ("not_resources", "NotResource"),
    ):
        if block.get(key) is not None:
            values = block[key]
            out[field] = (
                values if is_unknown(values) else _one_or_many(sorted(_as_list(values), key=str))
            )
    for key, field in (("principals", "Principal"), ("not_principals", "NotPrincipal")):
        principals = block.get(key)
        if principals:
            merged: dict[str, Any] = {}
            for p in _as_list(principals):
                if is_unknown(p):
                    return {**out, field: p}
                ptype = p.get("type")
                ids = _as_list(p.get("identifiers"))
                if ptype == "*" and ids == ["*"]:
                    merged = "*"  # type: ignore[assignment]
                    break
                merged.setdefault(ptype, []).extend(ids)
            out[field] = (
                merged if merged == "*" else {k: _one_or_many(v) for k, v in sorted(merged.items())}
            )
    conditions = block.get("condition")
    if conditions:
        cond: dict[str, dict[str, Any]] = {}
        for c in _as_list(conditions):
            if is_unknown(c):
                out["Condition"] = c
                return out
            cond.setdefault(c.get("test"), {})[c.get("variable")] = _one_or_many(
                _as_list(c.get("values"))
            )
        out["Condition"] = cond
    return out


def _one_or_many(values: list[Any]) -> Any:
    return values[0] if len(values) == 1 else values


def iam_policy_document(attrs: dict[str, Any]) -> dict[str, Any]:
    """aws_iam_policy_document: its `json` is the policy its statements describe."""
    statements = [_statement(s) for s in _as_list(attrs.get("statement")) if isinstance(s, dict)]
    doc: dict[str, Any] = {"Version": attrs.get("version") or "2012-10-17", "Statement": statements}
    if attrs.get("policy_id"):
        doc["Id"] = attrs["policy_id"]
    bases = [attrs.get("source_policy_documents"), attrs.get("override_policy_documents")]
    if any(b for b in bases if b):
        # merged documents: the structure is known only when the sources are
        return {**attrs, "json": Unknown("merged policy documents are not evaluated", True)}
    # a structure with unknown leaves stays a structure (rules read it by path); known: JSON
    rendered: Any = doc if contains_unknown(doc) else json.dumps(doc, separators=(",", ":"))
    return {**attrs, "json": rendered, "minified_json": rendered}


DATA_SOURCES: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {
    "aws_iam_policy_document": iam_policy_document,
}
