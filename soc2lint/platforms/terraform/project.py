"""A Terraform project: which directories are root modules, and where called modules live.

Each directory is parsed once, however many times it is instantiated. A directory that another
scanned directory calls as a local module is not also evaluated as a root, so one resource
instance gives one finding. Registry and git sources are read from `.terraform/modules` when
`terraform init` put them there, never fetched.
"""

from __future__ import annotations

import gc
import json
import posixpath
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import field
from pathlib import Path
from typing import Any

from soc2lint import collector
from soc2lint.model import Location, ParseError, Resource, record
from soc2lint.platforms.terraform.blocks import shared_facts
from soc2lint.platforms.terraform.evaluate import Scope, evaluate
from soc2lint.platforms.terraform.module import TfFile, build_module

# read a directory (relative to the repository root): its parsed files, or None if absent
DirectoryReader = Callable[[str], list[TfFile] | None]


@record()
class ProjectResult:
    resources: list[Resource] = field(default_factory=list)
    errors: list[ParseError] = field(default_factory=list)
    unavailable: list[dict[str, Any]] = field(default_factory=list)
    roots: list[str] = field(default_factory=list)
    notes: list[dict[str, str]] = field(default_factory=list)


def is_local(source: str) -> bool:
    return source.startswith(("./", "../"))


def local_target(caller: str, source: str) -> str | None:
    """The repository-relative directory of a local module source, None if it leaves the root."""
    joined = posixpath.normpath(posixpath.join(caller or ".", source))
    if joined == ".." or joined.startswith("../"):
        return None
    return "" if joined == "." else joined


def _module_sources(files: list[TfFile]) -> list[str]:
    sources = []
    for tf in files:
        if tf.body is None:
            continue
        for block in tf.body.blocks:
            attr = block.body.attributes.get("source") if block.type == "module" else None
            if attr is not None:
                value = evaluate(attr.expr, Scope())
                if isinstance(value, str):
                    sources.append(value)
    return sources


class Project:
    def __init__(
        self,
        root: Path,
        parsed: dict[str, list[TfFile]],
        tfvars: dict[str, list[TfFile]],
        reader: DirectoryReader,
    ) -> None:
        self.root = root
        self.parsed = dict(parsed)
        self.tfvars = tfvars
        self.reader = reader

    def files_of(self, directory: str) -> list[TfFile] | None:
        if directory not in self.parsed:
            files = self.reader(directory)
            if files is None:
                return None
            self.parsed[directory] = files
        return self.parsed[directory]

    def roots(self) -> list[str]:
        """Scanned directories that no other scanned directory calls as a local module."""
        called: set[str] = set()
        for directory in sorted(self.parsed):
            for source in _module_sources(self.parsed[directory]):
                if is_local(source):
                    target = local_target(directory, source)
                    if target is not None and target != directory:
                        called.add(target)
        return [d for d in sorted(self.parsed) if d not in called]

    def loader_for(self, root_dir: str) -> Callable[[str, str, tuple[str, ...]], tuple[Any, Any]]:
        manifest = self._manifest(root_dir)

        def load(caller: str, source: str, key_path: tuple[str, ...]) -> tuple[Any, Any]:
            if is_local(source):
                target = local_target(caller, source)
                if target is None:
                    return None, "local module source leaves the repository"
            else:
                entry = manifest.get(".".join(key_path))
                if entry is None:
                    return None, "not downloaded (run `terraform init`); never fetched"
                target = entry
            files = self.files_of(target)
            if not files:
                return None, f"no Terraform files in {target or '.'}"
            return target, files

        return load

    def _manifest(self, root_dir: str) -> dict[str, str]:
        """`.terraform/modules/modules.json` of a root module: call key path -> directory."""
        base = self.root / root_dir if root_dir else self.root
        path = base / ".terraform" / "modules" / "modules.json"
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
        out: dict[str, str] = {}
        for entry in data.get("Modules", []) if isinstance(data, dict) else []:
            if not isinstance(entry, dict) or not entry.get("Key"):
                continue
            target = local_target(root_dir, str(entry.get("Dir", "")))
            if target is not None:
                out[str(entry["Key"])] = target
        return out

    def build(
        self,
        env_vars: dict[str, str] | None = None,
        cli_layers: list[dict[str, Any]] | None = None,
    ) -> ProjectResult:
        result = ProjectResult()
        with _collector_spares_the_parse(), shared_facts():  # a module many call is read once
            self._build_roots(result, env_vars, cli_layers)
        return result

    def _build_roots(
        self,
        result: ProjectResult,
        env_vars: dict[str, str] | None,
        cli_layers: list[dict[str, Any]] | None,
    ) -> None:
        for directory in self.roots():
            result.roots.append(directory)
            module = build_module(
                self.parsed[directory],
                self.tfvars.get(directory, []),
                directory or ".",
                directory=directory,
                loader=self.loader_for(directory),
                env_vars=env_vars,
                cli_layers=cli_layers,
            )
            result.resources.extend(module.resources)
            result.errors.extend(module.errors)
            result.notes.extend(module.notes)
            for site, source, why in module.unavailable:
                result.unavailable.append(_unavailable(site, source, why))


@contextmanager
def _collector_spares_the_parse() -> Iterator[None]:
    """While the root modules are built, the cyclic garbage collector looks only at what the
    build makes: everything alive before it (the whole scan's parsed files, hundreds of
    thousands of containers that none of this frees) is set aside with gc.freeze() and put back
    after. Each full collection walked all of it again, as much time as the build itself on a
    5,000-file repository. A no-op if something has already frozen objects (never unfreezes
    what it did not freeze)."""
    if not gc.isenabled():
        yield
        return
    with collector.set_aside():
        yield


def _unavailable(site: Location, source: str, why: str) -> dict[str, Any]:
    return {"path": site.path, "line": site.start_line, "source": source, "reason": why}
