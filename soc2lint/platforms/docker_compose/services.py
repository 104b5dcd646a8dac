"""A Compose file's services as resources, in a shape the rules can judge.

Each entry of `services:` becomes a `compose_service` addressed `service.<name>`. Strings are
interpolated (`interpolate.py`); `extends` from a service of the same file is merged as Compose
merges it; the short and long syntaxes of `environment`, `volumes`, `ports` and `cap_add` are
brought to one shape:

- `environment`: a list of `{name, value}` (value absent when taken from the shell: `- KEY`)
- `volumes`: a list of `{type, source, target, read_only}`; a short-syntax source that is a
  path (`/`, `.`, `~`) is a `bind`, a name is a `volume`
- `ports`: a list of `{host_ip, published, target, protocol}`
- `cap_add` / `cap_drop`: upper case without the `CAP_` prefix, as Docker reads them
"""

from __future__ import annotations

from typing import Any

from soc2lint.model import Location, ParseError, Resource, Unknown
from soc2lint.platforms.docker_compose.interpolate import interpolate
from soc2lint.platforms.shared.yamlsrc import YamlDoc

SERVICE = "compose_service"
MAX_EXTENDS = 20  # a chain of extends longer than this is a loop or a mistake

Located = tuple[dict[str, Any], dict[str, Location]]


def build(path: str, doc: YamlDoc) -> tuple[list[Resource], list[ParseError]]:
    data = doc.data
    services = data.get("services") if isinstance(data, dict) else None
    if not isinstance(services, dict):
        return [], []
    errors: list[ParseError] = []
    out: list[Resource] = []
    for name, body in services.items():
        prefix = f"services.{name}"
        line = doc.locations.get(prefix, (doc.start_line, 1))[0]
        if not isinstance(body, dict):
            if body is not None:
                errors.append(ParseError(path, line, f"service {name} is not a mapping"))
            body = {}
        attrs, locs = _merged(path, doc, services, name, errors, ())
        attrs = _normalise(attrs, locs)
        attrs["name"] = name
        start, end = doc.span(prefix)
        out.append(
            Resource(
                address=f"service.{name}",
                type=SERVICE,
                platform="docker_compose",
                attributes=attrs,
                location=Location(path, start, end),
                attribute_locations=locs,
                scope=path,
            )
        )
    return out, errors


def _merged(
    path: str,
    doc: YamlDoc,
    services: dict,
    name: str,
    errors: list[ParseError],
    seen: tuple[str, ...],
) -> Located:
    """The service's own keys over those of the service it extends in the same file."""
    body = services.get(name)
    body = body if isinstance(body, dict) else {}
    own = (dict(body), doc.located(path, f"services.{name}"))
    ext = body.get("extends")
    if ext is None:
        return own
    base_name = (
        ext if isinstance(ext, str) else ext.get("service") if isinstance(ext, dict) else None
    )
    line = doc.locations.get(f"services.{name}.extends", (doc.start_line, 1))[0]
    if isinstance(ext, dict) and ext.get("file"):
        # another file's service: its keys are not known from this file alone
        own[0]["extends_file"] = ext["file"]
        return own
    if not isinstance(base_name, str) or base_name not in services:
        errors.append(
            ParseError(path, line, f"service {name} extends {base_name!r}, not in the file")
        )
        return own
    if base_name in seen or len(seen) > MAX_EXTENDS:
        errors.append(ParseError(path, line, f"service {name}: extends forms a loop"))
        return own
    base = _merged(path, doc, services, base_name, errors, (*seen, name))
    return _merge(base, own)


# keys whose sequences Compose concatenates (or merges by key) rather than replaces
_SEQUENCES = ("cap_add", "cap_drop", "devices", "dns", "ports", "security_opt", "volumes", "expose")
_MAPPINGS = ("environment", "labels", "extra_hosts", "sysctls", "ulimits")


def _merge(base: Located, own: Located) -> Located:
    battrs, blocs = base
    oattrs, olocs = own
    attrs = {k: v for k, v in battrs.items() if k != "extends"}
    locs = {k: v for k, v in blocs.items() if not k.startswith("extends")}
    for key, value in oattrs.items():
        if key == "extends":
            continue
        old = attrs.get(key)
        if key in _SEQUENCES and isinstance(old, list) and isinstance(value, list):
            shift = len(old)
            attrs[key] = old + value
            locs.update(_shifted(olocs, key, shift))
            continue
        if key in _MAPPINGS and old is not None and value is not None:
            merged = {**_as_map(old), **_as_map(value)}
            attrs[key] = merged
            locs.update(_map_locations(blocs, old, key))
            locs.update(_map_locations(olocs, value, key))
            continue
        attrs[key] = value
        locs = {k: v for k, v in locs.items() if k != key and not k.startswith(key + ".")}
        locs.update({k: v for k, v in olocs.items() if k == key or k.startswith(key + ".")})
    for key in olocs:
        if key.startswith("extends"):
            locs[key] = olocs[key]
    return attrs, locs


def _shifted(locs: dict[str, Location], key: str, shift: int) -> dict[str, Location]:
    out = {}
    for k, v in locs.items():
        if k.startswith(key + "."):
            index, _, rest = k[len(key) + 1 :].partition(".")
            if index.isdigit():
                k = f"{key}.{int(index) + shift}" + (f".{rest}" if rest else "")
        out[k] = v
    return out


def _as_map(value: Any) -> dict:
    """A Compose mapping written as a map or as a list of KEY=VALUE strings."""
    if isinstance(value, dict):
        return dict(value)
    out: dict = {}
    for item in value if isinstance(value, list) else []:
        key, sep, val = str(item).partition("=")
        out[key] = val if sep else None
    return out


def _map_locations(locs: dict[str, Location], value: Any, key: str) -> dict[str, Location]:
    """Locations of a mapping's entries keyed by entry name (`environment.KEY`)."""
    if isinstance(value, dict):
        return {k: v for k, v in locs.items() if k == key or k.startswith(key + ".")}
    out = {}
    for i, item in enumerate(value if isinstance(value, list) else []):
        where = locs.get(f"{key}.{i}")
        if where is not None:
            out[f"{key}.{str(item).partition('=')[0]}"] = where
    return out


def _values(value: Any) -> Any:
    """Strings interpolated, recursively."""
    if isinstance(value, str):
        return interpolate(value)
    if isinstance(value, dict):
        return {k: _values(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_values(v) for v in value]
    return value


def _normalise(raw: dict, locs: dict[str, Location]) -> dict:
    """Interpolated values in one shape; `environment` is split into names and values before
    its values are interpolated (`- KEY=${VAR}` keeps its name)."""
    split_first = ("environment", "volumes", "ports")
    attrs = _values({k: v for k, v in raw.items() if k not in split_first})
    if "environment" in raw:
        attrs["environment"] = _environment(raw["environment"], locs)
    if isinstance(raw.get("volumes"), list):
        attrs["volumes"] = [_volume(v, i, locs) for i, v in enumerate(raw["volumes"])]
    elif "volumes" in raw:
        attrs["volumes"] = _values(raw["volumes"])
    if isinstance(raw.get("ports"), list):
        attrs["ports"] = [_port(p, i, locs) for i, p in enumerate(raw["ports"])]
    elif "ports" in raw:
        attrs["ports"] = _values(raw["ports"])
    for key in ("cap_add", "cap_drop"):
        if isinstance(attrs.get(key), list):
            attrs[key] = [_capability(c) for c in attrs[key]]
    return attrs


def _environment(value: Any, locs: dict[str, Location]) -> list[dict]:
    """[{name, value}] from `KEY: value` or `- KEY=value`; locations moved to the list form."""
    out: list[dict] = []
    items: list[tuple[Any, Any]]
    if isinstance(value, dict):
        items = list(value.items())
        where = [locs.get(f"environment.{k}") for k, _ in items]
    elif isinstance(value, list):
        items = []
        for item in value:
            key, sep, val = str(item).partition("=")
            items.append((key, val if sep else None))
        where = [locs.get(f"environment.{i}") for i in range(len(items))]
    else:
        return []
    for key in [k for k in locs if k.startswith("environment.")]:
        del locs[key]
    for i, ((key, val), loc) in enumerate(zip(items, where, strict=True)):
        entry: dict[str, Any] = {"name": _values(str(key))}
        if val is not None:
            # a number or boolean is written as text in the container's environment
            entry["value"] = _values(val if isinstance(val, str) else _text(val))
        out.append(entry)
        if loc is not None:
            for sub in ("", ".name", ".value"):
                locs[f"environment.{i}{sub}"] = loc
    return out


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _volume(value: Any, i: int, locs: dict[str, Location]) -> Any:
    if isinstance(value, dict):
        long = _values(dict(value))
        long.setdefault("type", "volume")
        if long.get("read_only") is None:
            long["read_only"] = False
        return long
    if not isinstance(value, str):
        return _values(value)
    # split before interpolating, so that `${DIR}:/data` keeps its target, and a colon inside
    # `${VAR:-default}` is not a separator
    parts = _split_outside_braces(value)
    # a Windows drive letter (C:\data:/data) is part of the source
    if len(parts) > 2 and len(parts[0]) == 1 and parts[1].startswith(("\\", "/")):
        parts = [parts[0] + ":" + parts[1], *parts[2:]]
    where = locs.get(f"volumes.{i}")
    out: dict[str, Any]
    if len(parts) == 1:
        out = {"type": "volume", "target": _values(parts[0]), "read_only": False}
    else:
        source, target = _values(parts[0]), _values(parts[1])
        mode = _values(parts[2]) if len(parts) > 2 else ""
        known = source if isinstance(source, str) else source.prefix
        if known.startswith(("/", ".", "~")) or ":\\" in known:
            kind: Any = "bind"
        elif isinstance(source, str):
            kind = "volume"
        else:  # `${VAR}`: a host path or a volume's name, as the variable says
            kind = Unknown(source.reason)
        out = {
            "type": kind,
            "source": source,
            "target": target,
            "read_only": "ro" in mode.split(",") if isinstance(mode, str) else mode,
        }
    if where is not None:
        for key in out:
            locs[f"volumes.{i}.{key}"] = where
    return out


def _split_outside_braces(text: str) -> list[str]:
    parts, depth, start = [], 0, 0
    for i, ch in enumerate(text):
        if ch == "{":
            depth += 1
        elif ch == "}":
            depth = max(0, depth - 1)
        elif ch == ":" and depth == 0:
            parts.append(text[start:i])
            start = i + 1
    parts.append(text[start:])
    return parts


def _port(value: Any, i: int, locs: dict[str, Location]) -> Any:
    """{host_ip, published, target, protocol}; a port published without a host address listens
    on every interface of the host (0.0.0.0), in the short and the long syntax alike."""
    if isinstance(value, dict):
        long = _values(dict(value))
        if long.get("host_ip") in (None, ""):
            long["host_ip"] = "0.0.0.0"
        return long
    text = str(value)
    proto: Any = "tcp"
    if "/" in text and "}" not in text.rsplit("/", 1)[1]:
        text, proto = text.rsplit("/", 1)
    host_ip: Any = ""
    if text.startswith("["):  # [::1]:8080:80
        end = text.find("]")
        host_ip, text = text[1:end], text[end + 2 :]
    # split before interpolating: `${BIND:-127.0.0.1}:5432:5432` keeps its three parts
    parts = [_values(part) for part in _split_outside_braces(text)]
    published: Any = ""
    if len(parts) >= 3:
        host_ip, published, target = ":".join(map(str, parts[:-2])), parts[-2], parts[-1]
        if any(isinstance(x, Unknown) for x in parts[:-2]):
            host_ip = next(x for x in parts[:-2] if isinstance(x, Unknown))
    elif len(parts) == 2:
        published, target = parts
    else:
        target = parts[0]
    out = {"host_ip": host_ip or "0.0.0.0", "target": target, "protocol": proto}
    if published:
        out["published"] = published
    where = locs.get(f"ports.{i}")
    if where is not None:
        for key in out:
            locs[f"ports.{i}.{key}"] = where
    return out


def _capability(value: Any) -> Any:
    if not isinstance(value, str):
        return value
    name = value.strip().upper()
    return name[4:] if name.startswith("CAP_") else name
