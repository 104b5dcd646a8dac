"""Parameter values for templates, from a file: the JSON `aws cloudformation deploy
--parameter-overrides file://...` and `create-stack --parameters` take
(`[{"ParameterKey": "Env", "ParameterValue": "prod"}]`), a `{"Parameters": {"Env": "prod"}}`
template configuration (CodePipeline), or `Env=prod` lines (`#` starts a comment)."""

from __future__ import annotations

import json


class ParameterFileError(ValueError):
    """A parameter file that cannot be read; the message says where."""


def parse_parameters(text: str, source: str) -> dict[str, str]:
    stripped = text.strip()
    if stripped.startswith(("[", "{")):
        try:
            data = json.loads(stripped)
        except ValueError as exc:
            raise ParameterFileError(f"{source}: not valid JSON: {exc}") from None
        if isinstance(data, dict) and isinstance(data.get("Parameters"), dict):
            return {str(k): _text(v) for k, v in data["Parameters"].items()}
        if not isinstance(data, list):
            raise ParameterFileError(f"{source}: expected a list of ParameterKey/ParameterValue")
        out: dict[str, str] = {}
        for i, item in enumerate(data):
            if not isinstance(item, dict) or "ParameterKey" not in item:
                raise ParameterFileError(f"{source}: item {i} has no ParameterKey")
            if item.get("UsePreviousValue"):
                continue  # the deployed stack's value: not known here
            out[str(item["ParameterKey"])] = _text(item.get("ParameterValue", ""))
        return out
    out = {}
    for number, line in enumerate(text.splitlines(), 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        key, sep, value = line.partition("=")
        if not sep or not key.strip():
            raise ParameterFileError(f"{source}:{number}: expected Key=Value")
        out[key.strip()] = value.strip()
    return out


def _text(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return ",".join(str(v) for v in value)
    return str(value)
