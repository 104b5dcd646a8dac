"""What the pipeline asks of a platform, and what it hands one.

A platform is one package under `soc2lint/platforms/<name>/` whose `platform.py` defines
`PLATFORM`, an object with the attributes and methods of `Platform` below; the registry
(`soc2lint.platforms`) lists the packages. The pipeline asks the registry, never a platform by
name:

    discover  ->  claim(path)             which files are its own, by path alone
                  sniff(path, text)       or by a cheap look at the content
    parse     ->  parse(path, text, kind) pure: text in, resources and errors out (cached, parallel)
    assemble  ->  assemble(asm, mine)     optional: over all its parsed files at once
    link      ->  link(graph, resources)  optional: its edges in the graph
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from soc2lint.model import FACTORY, ParseError, Resource, Skipped, record

if TYPE_CHECKING:  # the pipeline's types, only for annotations: imports flow one way
    from soc2lint.graph import ResourceGraph
    from soc2lint.pipeline.discover import SourceFile
    from soc2lint.pipeline.load import Loaded


# made for every file, it writes its own __init__ (soc2lint.model.record says why)
@record()
class Parsed:
    """One file after its platform's parse."""

    platform: str | None  # None: not a file of this platform after all (a stray YAML file)
    resources: list[Resource] = field(default_factory=list)
    errors: list[ParseError] = field(default_factory=list)
    skip_reason: str = ""  # set when the file is one we would read but cannot (Helm template)
    # what assemble needs of the file beyond its resources (a Terraform module file's blocks)
    unit: Any = None
    # whether suppression markers are looked for in its comments
    markers: bool = True

    def __init__(
        self,
        platform: str | None,
        resources: list[Resource] = FACTORY,
        errors: list[ParseError] = FACTORY,
        skip_reason: str = "",
        unit: Any = None,
        markers: bool = True,
    ) -> None:
        self.platform = platform
        self.resources = [] if resources is FACTORY else resources
        self.errors = [] if errors is FACTORY else errors
        self.skip_reason = skip_reason
        self.unit = unit
        self.markers = markers


@record()
class Assembly:
    """The state a platform's assemble step reads and extends.

    `resources` holds every platform's resources so far, in order; an assemble step may add to
    it, or replace what it produced (a rendered object superseding the file it came from)."""

    root: Path
    targets: list[Path]
    options: Any  # soc2lint.scan.ScanOptions
    discovered: list[SourceFile]  # every file the scan considers, whichever platform claims it
    # infrastructure files a scoped scan did not parse (weighed by repository-wide checks)
    outside_infrastructure: list[str]
    files: dict[str, str]  # scanned path -> sha256; an assemble step that reads a file adds it
    resources: list[Resource]
    errors: list[ParseError]
    notes: list[dict]
    skipped: list[Skipped]
    unavailable: list[dict]  # module calls whose source could not be read
    # read and parse one more file through the cache; it is recorded as scanned
    load: Callable[[SourceFile], Loaded]
    # False when an assemble step's result depends on more than the scanned files and the
    # identity of the platforms' `tools` (a tool that could not run, a remote input): the
    # scan's result is then not stored for reuse
    reusable: bool = True


class Platform(Protocol):
    """One platform: its files, its parse, its assembly, its links, its rules."""

    name: str  # registry key and package name
    title: str  # for people: "Terraform", "GitHub Actions"
    reads: str  # for people: which files it reads and how it recognises them (Markdown)
    rule_platform: str  # the `platform:` its resources carry and its rules name
    rules_dir: str  # its rules, under rules/ (a path: "github_actions/workflows")
    fixture_file: str  # the file a fixture expectation means when it names none
    example_language: str  # code fence of remediation examples in the docs
    type_pattern: re.Pattern[str]  # resource types its rules may name
    resource_types: tuple[str, ...]  # fnmatch patterns of the types it produces
    keeps_empty_files: bool  # an empty file is still read (CODEOWNERS), not skipped
    # a link may hide behind a value known only later (a reference to an input): an unlinked
    # resource of the wanted type then makes a `connected` condition Unknown, not failed
    links_by_value: bool
    skip_dirs: tuple[str, ...]  # directories that hold copies, never sources (.terraform)
    # programs the assemble step may run (kustomize, helm): a reused result is keyed on which
    # of them are installed, and which build
    tools: tuple[str, ...]
    # claim() and may_sniff() read only the file name (the path's last part), so the registry
    # asks them once per name, not once per path (repositories repeat names: main.tf,
    # variables.tf, kustomization.yaml)
    claims_by_name: bool

    def claim(self, path: str) -> str | None:
        """The kind of file a repository-relative path is, when the path alone decides."""
        ...

    def may_sniff(self, path: str) -> bool:
        """Whether the content of this path could make it one of ours (read to find out)."""
        ...

    def sniff(self, path: str, text: str) -> str | None:
        """A kind when a cheap look at the content says the file may be ours, else None."""
        ...

    def parse(self, path: str, text: str, kind: str) -> Parsed:
        """Pure: no I/O beyond the text given; safe to run in parallel and to cache."""
        ...

    def assemble(self, asm: Assembly, mine: list[Loaded]) -> None:
        """Over all of its parsed files: modules, renders, includes."""
        ...

    def link(self, graph: ResourceGraph, resources: list[Resource]) -> None:
        """Add its edges to the graph."""
        ...


class Base:
    """Defaults for the optional parts of the contract; a platform overrides what it has."""

    keeps_empty_files = False
    links_by_value = False
    skip_dirs: tuple[str, ...] = ()
    tools: tuple[str, ...] = ()
    claims_by_name = False  # the safe default: asked for every path
    example_language = "yaml"
    type_pattern = re.compile(r"^[a-z_*]+$")

    def claim(self, path: str) -> str | None:
        return None

    def may_sniff(self, path: str) -> bool:
        return False

    def sniff(self, path: str, text: str) -> str | None:
        return None

    def assemble(self, asm: Assembly, mine: list[Loaded]) -> None:
        return None

    def link(self, graph: ResourceGraph, resources: list[Resource]) -> None:
        return None
