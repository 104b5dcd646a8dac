"""A Dockerfile's stages as resources: what each stage is built from, who it runs as, what its
RUN, COPY, ADD, ENV, ARG and LABEL instructions say, each with its line."""

from __future__ import annotations

import shlex
from typing import Any

from soc2lint.model import Location, Resource, Unknown
from soc2lint.platforms.dockerfile.parse import Instruction, instructions, split_image, substitute

STAGE = "dockerfile_stage"


def build(path: str, text: str) -> list[Resource]:
    found = instructions(text)
    global_args: dict[str, str | None] = {}
    stages: list[dict] = []
    for ins in found:
        if ins.keyword == "FROM":
            stages.append({"from": ins, "body": []})
        elif not stages:
            if ins.keyword == "ARG":
                for key, value in _pairs(ins.value, arg=True):
                    global_args[key] = value
        else:
            stages[-1]["body"].append(ins)
    out: list[Resource] = []
    names: dict[str, dict] = {}
    for index, stage in enumerate(stages):
        attrs, locs = _stage(path, stage["from"], stage["body"], global_args, names)
        attrs["final"] = index == len(stages) - 1
        attrs["index"] = index
        name = attrs.get("name")
        if isinstance(name, str):
            names[name.lower()] = attrs
        names[str(index)] = attrs
        last = stage["body"][-1].end_line if stage["body"] else stage["from"].end_line
        out.append(
            Resource(
                address=f"stage.{name}" if isinstance(name, str) else f"stage.{index}",
                type=STAGE,
                platform="dockerfile",
                attributes=attrs,
                location=Location(path, stage["from"].line, last),
                attribute_locations=locs,
                scope=path,
            )
        )
    return out


def _stage(
    path: str,
    head: Instruction,
    body: list[Instruction],
    global_args: dict[str, str | None],
    earlier: dict[str, dict],
) -> tuple[dict, dict[str, Location]]:
    words = [w for w in head.value.split() if not w.startswith("--")]
    ref = words[0] if words else ""
    name = words[2] if len(words) >= 3 and words[1].lower() == "as" else None
    resolved, missing = substitute(ref, global_args)
    locs: dict[str, Location] = {}

    def at(key: str, ins: Instruction) -> None:
        locs[key] = Location(path, ins.line, ins.end_line)

    base: dict[str, Any]
    if missing:
        why = f"the base image names ARG {missing[0]}, which has no default"
        base = {
            "ref": Unknown(why),
            "image": Unknown(why),
            "tag": Unknown(why),
            "digest": Unknown(why),
        }
    else:
        base = split_image(resolved)
        parent = earlier.get(resolved.lower())
        if parent is not None:
            base["stage"] = resolved
    attrs: dict[str, Any] = {"from": base}
    for key in ("from", "from.ref", "from.image", "from.tag", "from.digest", "from.stage"):
        at(key, head)
    if name:
        attrs["name"] = name
    parent = earlier.get(resolved.lower()) if not missing else None
    if parent is not None and "user" in parent:
        attrs["user"] = parent["user"]  # a stage built on another runs as that one's user
    values: dict[str, str | None] = {k: v for k, v in global_args.items()}
    lists: dict[str, list] = {
        k: [] for k in ("run", "copy", "add", "env", "arg", "label", "expose")
    }
    for ins in body:
        kw = ins.keyword
        if kw == "USER":
            user, unset = substitute(ins.value.strip(), values)
            attrs["user"] = (
                Unknown(f"USER names ${unset[0]}, which has no value") if unset else user
            )
            at("user", ins)
        elif kw == "RUN":
            command = ins.value
            if ins.heredocs:
                command = "\n".join([command, *ins.heredocs])
            form = ins.exec_form()
            if form is not None:
                command = " ".join(form)
            _append(lists, locs, "run", {"command": command}, path, ins)
        elif kw in ("COPY", "ADD"):
            flags = {}
            rest = []
            for word in _split(ins.value) or []:
                if word.startswith("--") and not rest:
                    key, _, value = word[2:].partition("=")
                    flags[key] = value
                else:
                    rest.append(word)
            form = ins.exec_form()
            if form is not None:
                rest = form
            item: dict[str, Any] = {"sources": rest[:-1], "dest": rest[-1] if rest else ""}
            if "from" in flags:
                item["from"] = flags["from"]
            if "checksum" in flags:
                item["checksum"] = flags["checksum"]
            _append(lists, locs, kw.lower(), item, path, ins)
        elif kw in ("ENV", "ARG", "LABEL"):
            for key, value in _pairs(ins.value, arg=kw == "ARG"):
                _append(lists, locs, kw.lower(), {"key": key, "value": value}, path, ins)
                if kw in ("ENV", "ARG"):
                    if kw == "ARG" and value is None and key in global_args:
                        value = global_args[key]
                    values[key] = value
        elif kw == "EXPOSE":
            for port in ins.value.split():
                _append(lists, locs, "expose", port, path, ins)
        elif kw == "HEALTHCHECK":
            attrs["healthcheck"] = {"value": "NONE" if ins.value.upper() == "NONE" else ins.value}
            at("healthcheck", ins)
            at("healthcheck.value", ins)
        elif kw in ("CMD", "ENTRYPOINT"):
            attrs[kw.lower()] = ins.value
            at(kw.lower(), ins)
    for key, items in lists.items():
        if items:
            attrs[key] = items
    return attrs, locs


def _append(lists: dict, locs: dict, key: str, item: Any, path: str, ins: Instruction) -> None:
    n = len(lists[key])
    lists[key].append(item)
    where = Location(path, ins.line, ins.end_line)
    locs.setdefault(key, where)
    locs[f"{key}.{n}"] = where
    if isinstance(item, dict):
        for k in item:
            locs[f"{key}.{n}.{k}"] = where


def _split(text: str) -> list[str] | None:
    try:
        return shlex.split(text, posix=True)
    except ValueError:
        return text.split()


def _pairs(text: str, arg: bool = False) -> list[tuple[str, str | None]]:
    """`K=V K2="v 2"`, the legacy `K V`, and `ARG NAME` without a default."""
    words = _split(text) or []
    if not words:
        return []
    if "=" not in words[0]:
        if arg:
            return [(w, None) for w in words]
        return [(words[0], " ".join(words[1:]))]  # ENV KEY value with spaces
    out: list[tuple[str, str | None]] = []
    for w in words:
        key, sep, value = w.partition("=")
        out.append((key, value if sep else None))
    return out
