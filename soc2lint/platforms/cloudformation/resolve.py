"""What a template says statically: parameters (defaults or given values), Conditions,
Mappings and the intrinsic functions over them; everything known only at deploy time is Unknown.

Known: `Ref` to a parameter with a value, `Fn::If` on a decidable condition, `Fn::Sub`,
`Fn::Join`, `Fn::Select`, `Fn::Split`, `Fn::FindInMap`, `Fn::Equals/Not/And/Or`, `Fn::Base64`
(its text). Unknown: pseudo parameters (AWS::Region ...), `Ref`/`Fn::GetAtt` of a resource (ids
and attributes exist only after deployment; they are surely set), `Fn::ImportValue`,
`Fn::GetAZs`, `Fn::Cidr`, dynamic references (`{{resolve:ssm:...}}`), parameters without a
value.
"""

from __future__ import annotations

import re
from typing import Any

from soc2lint.model import Unknown, is_unknown

NO_VALUE = object()  # AWS::NoValue: the property is removed
_SUB_VAR = re.compile(r"\$\{([^}]*)\}")
DYNAMIC = "{{resolve:"
PSEUDO = {
    "AWS::AccountId",
    "AWS::NotificationARNs",
    "AWS::Partition",
    "AWS::Region",
    "AWS::StackId",
    "AWS::StackName",
    "AWS::URLSuffix",
}


class Resolver:
    def __init__(
        self,
        template: dict,
        overrides: dict[str, str] | None = None,
    ) -> None:
        self.template = template
        self.resources = (
            template.get("Resources") if isinstance(template.get("Resources"), dict) else {}
        )
        self.mappings = (
            template.get("Mappings") if isinstance(template.get("Mappings"), dict) else {}
        )
        conditions = template.get("Conditions")
        self.conditions: dict = conditions if isinstance(conditions, dict) else {}
        self.params = self._parameters(overrides or {})
        self._decided: dict[str, Any] = {}

    def _parameters(self, overrides: dict[str, str]) -> dict[str, Any]:
        declared = self.template.get("Parameters")
        out: dict[str, Any] = {}
        for name, spec in declared.items() if isinstance(declared, dict) else []:
            spec = spec if isinstance(spec, dict) else {}
            ptype = str(spec.get("Type", "String"))
            if name in overrides:
                value: Any = overrides[name]
            elif "Default" in spec and not isinstance(spec["Default"], dict):
                value = spec["Default"]
            else:
                out[name] = Unknown(f"parameter {name} has no default and no value was given")
                continue
            if ptype.startswith("AWS::SSM::Parameter::Value"):
                out[name] = Unknown(f"parameter {name} is read from SSM at deploy time")
                continue
            if "List" in ptype and isinstance(value, str):
                value = [v.strip() for v in value.split(",")] if value else []
            out[name] = value
        return out

    # -- conditions -------------------------------------------------------------------------

    def condition(self, name: Any) -> Any:
        """True, False or Unknown: whether the named condition holds."""
        if not isinstance(name, str) or name not in self.conditions:
            return Unknown(f"condition {name!r} is not declared")
        if name not in self._decided:
            self._decided[name] = Unknown(f"condition {name} refers to itself")
            self._decided[name] = self._truth(self.value(self.conditions[name]))
        return self._decided[name]

    @staticmethod
    def _truth(value: Any) -> Any:
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.lower() in ("true", "false"):
            return value.lower() == "true"
        return value if is_unknown(value) else Unknown("condition is not a boolean")

    # -- values -----------------------------------------------------------------------------

    def value(self, node: Any) -> Any:
        """The value of a template node, intrinsic functions applied; NO_VALUE for AWS::NoValue."""
        if isinstance(node, dict):
            if len(node) == 1:
                ((key, arg),) = node.items()
                fn = _FUNCTIONS.get(key)
                if fn is not None:
                    return fn(self, arg)
            out = {}
            for k, v in node.items():
                got = self.value(v)
                if got is not NO_VALUE:
                    out[k] = got
            return out
        if isinstance(node, list):
            return [got for v in node if (got := self.value(v)) is not NO_VALUE]
        if isinstance(node, str) and DYNAMIC in node:
            return Unknown("a dynamic reference ({{resolve:...}}) is read at deploy time", True)
        return node

    def _ref(self, name: Any) -> Any:
        if name == "AWS::NoValue":
            return NO_VALUE
        if name in PSEUDO:
            return Unknown(f"pseudo parameter {name} is known at deploy time", True)
        if name in self.params:
            return self.params[name]
        if isinstance(name, str) and name in self.resources:
            return Unknown(f"the id of {name} is known after deployment", True)
        return Unknown(f"Ref to {name!r}, which is not declared")

    def _get_att(self, arg: Any) -> Any:
        if isinstance(arg, str):
            arg = arg.split(".", 1)
        name = ".".join(str(a) for a in arg) if isinstance(arg, list) else str(arg)
        return Unknown(f"attribute {name} is known after deployment", True)

    def _if(self, arg: Any) -> Any:
        if not isinstance(arg, list) or len(arg) != 3:
            return Unknown("Fn::If needs [condition, then, else]")
        holds = self.condition(arg[0])
        if holds is True:
            return self.value(arg[1])
        if holds is False:
            return self.value(arg[2])
        yes, no = self.value(arg[1]), self.value(arg[2])
        if yes == no and not is_unknown(yes):
            return yes
        return Unknown(f"Fn::If on condition {arg[0]}: {holds.reason}")

    def _sub(self, arg: Any) -> Any:
        if isinstance(arg, list) and len(arg) == 2 and isinstance(arg[1], dict):
            text, local = arg[0], {k: self.value(v) for k, v in arg[1].items()}
        else:
            text, local = arg, {}
        if not isinstance(text, str):
            return Unknown("Fn::Sub of a value that is not text")
        missing: list[Unknown] = []

        def one(match: re.Match[str]) -> str:
            name = match.group(1)
            if name.startswith("!"):
                return "${" + name[1:] + "}"
            if name in local:
                got = local[name]
            elif "." in name and name.split(".", 1)[0] in self.resources:
                got = self._get_att(name)
            else:
                got = self._ref(name)
            if is_unknown(got) or got is NO_VALUE or isinstance(got, (dict, list)):
                missing.append(got if is_unknown(got) else Unknown(f"${{{name}}} is not text"))
                return ""
            return _text(got)

        out = _SUB_VAR.sub(one, text)
        if missing:
            return Unknown(f"Fn::Sub: {missing[0].reason}", all(m.not_null for m in missing))
        return self.value(out)

    def _join(self, arg: Any) -> Any:
        if not isinstance(arg, list) or len(arg) != 2:
            return Unknown("Fn::Join needs [delimiter, list]")
        items = self.value(arg[1])
        if is_unknown(items) or not isinstance(items, list) or any(is_unknown(i) for i in items):
            bad = items if is_unknown(items) else next((i for i in items if is_unknown(i)), None)
            reason = bad.reason if is_unknown(bad) else "not a list"
            return Unknown(f"Fn::Join: {reason}", True)
        return str(arg[0]).join(_text(i) for i in items)

    def _select(self, arg: Any) -> Any:
        if not isinstance(arg, list) or len(arg) != 2:
            return Unknown("Fn::Select needs [index, list]")
        index, items = self.value(arg[0]), self.value(arg[1])
        if is_unknown(index) or is_unknown(items):
            return Unknown("Fn::Select over a value known at deploy time")
        try:
            return items[int(index)]
        except (ValueError, TypeError, IndexError, KeyError):
            return Unknown("Fn::Select index out of range")

    def _split(self, arg: Any) -> Any:
        if not isinstance(arg, list) or len(arg) != 2:
            return Unknown("Fn::Split needs [delimiter, text]")
        text = self.value(arg[1])
        if not isinstance(text, str):
            return Unknown("Fn::Split of a value known at deploy time")
        return text.split(str(arg[0]))

    def _find_in_map(self, arg: Any) -> Any:
        if not isinstance(arg, list) or len(arg) < 3:
            return Unknown("Fn::FindInMap needs [map, key, key]")
        keys = [self.value(a) for a in arg[:3]]
        for k in keys:
            if is_unknown(k):
                return Unknown(f"Fn::FindInMap key: {k.reason}")
        try:
            return self.value(self.mappings[keys[0]][_text(keys[1])][_text(keys[2])])
        except (KeyError, TypeError):
            return Unknown(f"Fn::FindInMap {keys} is not in the Mappings")

    def _equals(self, arg: Any) -> Any:
        if not isinstance(arg, list) or len(arg) != 2:
            return Unknown("Fn::Equals needs two values")
        a, b = self.value(arg[0]), self.value(arg[1])
        if is_unknown(a) or is_unknown(b):
            return a if is_unknown(a) else b
        return _text(a) == _text(b) if not isinstance(a, (list, dict)) else a == b

    def _not(self, arg: Any) -> Any:
        inner = self._truth(self.value(arg[0] if isinstance(arg, list) and arg else arg))
        return inner if is_unknown(inner) else not inner

    def _and(self, arg: Any) -> Any:
        values = [self._truth(self.value(a)) for a in (arg if isinstance(arg, list) else [])]
        if any(v is False for v in values):
            return False
        unknown = [v for v in values if is_unknown(v)]
        return unknown[0] if unknown else True

    def _or(self, arg: Any) -> Any:
        values = [self._truth(self.value(a)) for a in (arg if isinstance(arg, list) else [])]
        if any(v is True for v in values):
            return True
        unknown = [v for v in values if is_unknown(v)]
        return unknown[0] if unknown else False

    def _base64(self, arg: Any) -> Any:
        return self.value(arg)  # the text before encoding is what a rule reads

    @staticmethod
    def _deploy_time(name: str) -> Any:
        return lambda self, arg: Unknown(f"{name} is known at deploy time")


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


_FUNCTIONS = {
    "Ref": Resolver._ref,
    "Condition": Resolver.condition,
    "Fn::GetAtt": Resolver._get_att,
    "Fn::If": Resolver._if,
    "Fn::Sub": Resolver._sub,
    "Fn::Join": Resolver._join,
    "Fn::Select": Resolver._select,
    "Fn::Split": Resolver._split,
    "Fn::FindInMap": Resolver._find_in_map,
    "Fn::Equals": Resolver._equals,
    "Fn::Not": Resolver._not,
    "Fn::And": Resolver._and,
    "Fn::Or": Resolver._or,
    "Fn::Base64": Resolver._base64,
    "Fn::ImportValue": Resolver._deploy_time("Fn::ImportValue"),
    "Fn::GetAZs": Resolver._deploy_time("Fn::GetAZs"),
    "Fn::Cidr": Resolver._deploy_time("Fn::Cidr"),
    "Fn::Transform": Resolver._deploy_time("Fn::Transform"),
    "Fn::Length": Resolver._deploy_time("Fn::Length"),
    "Fn::ToJsonString": Resolver._deploy_time("Fn::ToJsonString"),
}


def references(node: Any, resources: dict, path: str = "") -> list[tuple[str, str]]:
    """(logical id, attribute path) of every Ref, GetAtt and ${X} in Sub to another resource."""
    out: list[tuple[str, str]] = []
    if isinstance(node, dict):
        if len(node) == 1:
            ((key, arg),) = node.items()
            if key == "Ref" and isinstance(arg, str) and arg in resources:
                return [(arg, path)]
            if key == "Fn::GetAtt":
                name = arg.split(".", 1)[0] if isinstance(arg, str) else (arg or [None])[0]
                return [(name, path)] if isinstance(name, str) and name in resources else []
            if key == "Fn::Sub":
                text = arg[0] if isinstance(arg, list) and arg else arg
                if isinstance(text, str):
                    for var in _SUB_VAR.findall(text):
                        name = var.split(".", 1)[0]
                        if name in resources:
                            out.append((name, path))
                if isinstance(arg, list) and len(arg) == 2:
                    out += references(arg[1], resources, path)
                return out
        for k, v in node.items():
            out += references(v, resources, f"{path}.{k}" if path else str(k))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            out += references(v, resources, f"{path}.{i}" if path else str(i))
    return out
