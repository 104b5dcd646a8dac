"""A CloudFormation template read into plain values with the line of every key.

Short-form intrinsic tags (`!Ref X`, `!If [...]`, `!GetAtt A.Arn`) become the long form JSON
templates use (`{"Ref": "X"}`, `{"Fn::If": [...]}`, `{"Fn::GetAtt": ["A", "Arn"]}`), so one
evaluator reads both.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import TaggedScalar
from ruamel.yaml.error import MarkedYAMLError, YAMLError

from soc2lint.model import ParseError
from soc2lint.platforms.shared import jsonsrc
from soc2lint.platforms.shared.yamlsrc import YamlDoc, _Converter, _TooLarge

SHORT_FORMS = {
    "Ref": "Ref",
    "Condition": "Condition",
    **{
        name: f"Fn::{name}"
        for name in (
            "Sub",
            "GetAtt",
            "If",
            "Join",
            "Select",
            "FindInMap",
            "ImportValue",
            "Equals",
            "Not",
            "And",
            "Or",
            "Base64",
            "Cidr",
            "GetAZs",
            "Split",
            "Transform",
            "Length",
            "ToJsonString",
        )
    },
}


class _Tags(_Converter):
    """The located converter, reading `!Tag value` as `{"Fn::Tag": value}`."""

    def value(self, node: Any, path: str, depth: int, steps: tuple[str | int, ...] = ()) -> Any:
        tag = getattr(getattr(node, "tag", None), "value", None)
        if isinstance(tag, str) and tag.startswith("!") and tag[1:] in SHORT_FORMS:
            name = tag[1:]
            if isinstance(node, TaggedScalar):
                self.nodes += 1
                inner: Any = str(node.value)
                if name == "GetAtt":
                    inner = inner.split(".", 1)
            else:
                inner = super().value(node, path, depth, steps)
            return {SHORT_FORMS[name]: inner}
        return super().value(node, path, depth, steps)


@dataclass(frozen=True)
class Template:
    path: str
    doc: YamlDoc

    @property
    def data(self) -> dict:
        return self.doc.data


def looks_like_template(text: str) -> bool:
    """A cheap look: the format version, or a resource type of AWS (or SAM)."""
    return "AWSTemplateFormatVersion" in text or (
        "Resources" in text and ("AWS::" in text or "Custom::" in text)
    )


def is_template(data: Any) -> bool:
    if not isinstance(data, dict):
        return False
    if "AWSTemplateFormatVersion" in data:
        return True
    resources = data.get("Resources")
    return isinstance(resources, dict) and any(
        isinstance(r, dict) and str(r.get("Type", "")).startswith(("AWS::", "Custom::"))
        for r in resources.values()
    )


_INLINE_TAB = re.compile(r"(?<=\S)\t")


def load(path: str, text: str) -> tuple[Template | None, list[ParseError]]:
    """The template in text, or None when it is not one; errors for text that does not load."""
    found, errors = _load(path, text)
    if errors and "'\\t'" in errors[0].message and _INLINE_TAB.search(text):
        # YAML allows a tab between a value and its comment (`True\t# why`); ruamel does not.
        # Read it again with such tabs as spaces: lines and columns stay where they were.
        again, more = _load(path, _INLINE_TAB.sub(" ", text))
        if not more:
            return again, []
    return found, errors


def _load(path: str, text: str) -> tuple[Template | None, list[ParseError]]:
    if path.endswith(".json"):  # a JSON template is read as JSON, never as YAML
        return _load_json(path, text)
    yaml = YAML(typ="rt")
    yaml.allow_duplicate_keys = False
    try:
        raw = yaml.load(io.StringIO(text))
        converter = _Tags()
        data = converter.value(raw, "", 0)
    except _TooLarge as exc:
        return None, [ParseError(path, 1, str(exc))]
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else 1
        return None, [ParseError(path, line, f"invalid YAML: {exc.problem or 'invalid YAML'}")]
    except (YAMLError, RecursionError, ValueError, TypeError, AttributeError) as exc:
        return None, [ParseError(path, 1, f"invalid template: {type(exc).__name__}")]
    if not is_template(data):
        return None, []
    end = max(1, converter.last_line)
    return Template(path, YamlDoc(data, converter.locations, 1, end)), []


def _load_json(path: str, text: str) -> tuple[Template | None, list[ParseError]]:
    """A JSON template through the strict JSON reader (lines for every key; comments, YAML
    syntax and a property name given twice in one object are errors, as CloudFormation has
    them)."""
    try:
        value = jsonsrc.parse(text)
    except jsonsrc.JsonError as exc:
        return None, [ParseError(path, exc.line, f"invalid JSON: {exc.message}", exc.column)]
    except RecursionError:
        return None, [ParseError(path, 1, "invalid JSON: nesting is too deep to read")]
    data, locations, end = jsonsrc.located(value)
    if not is_template(data):
        return None, []
    repeated = jsonsrc.repeated_name(value)
    if repeated is not None:  # which one counts differs between tools: read neither
        return None, [ParseError(path, repeated[1], f"invalid JSON: duplicate key {repeated[0]!r}")]
    return Template(path, YamlDoc(data, locations, 1, max(1, end))), []
