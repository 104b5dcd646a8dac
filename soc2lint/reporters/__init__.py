"""Reporters only format a Report; they never decide. Each format is one module with render()."""

from __future__ import annotations

from collections.abc import Callable

from soc2lint.reporters import json_report, markdown, sarif, text

RENDERERS: dict[str, Callable[..., str]] = {
    "text": text.render,
    "json": json_report.render,
    "sarif": sarif.render,
    "markdown": markdown.render,
}
