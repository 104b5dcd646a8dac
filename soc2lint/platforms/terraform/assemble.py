"""Terraform's assemble step: root modules and the modules they call, variables from tfvars and
the command line, and a plan's planned values in place of the configuration's."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

from soc2lint.model import ParseError, Resource, Skipped
from soc2lint.platforms.contract import Assembly
from soc2lint.platforms.terraform.files import parse_file
from soc2lint.platforms.terraform.module import TfFile, raw_value, tfvars_layers
from soc2lint.platforms.terraform.names import MODULE_KINDS, kind_of
from soc2lint.platforms.terraform.project import Project


def assemble(asm: Assembly, mine: list) -> None:  # mine: list[Loaded]
    """Build every root module; Terraform's resources go first among the scan's resources."""
    by_dir: dict[str, list[TfFile]] = defaultdict(list)
    tfvars_by_dir: dict[str, list[TfFile]] = defaultdict(list)
    for loaded in mine:
        if loaded.parsed is None or loaded.parsed.unit is None:
            continue
        directory = loaded.source.path.rpartition("/")[0]
        target = tfvars_by_dir if loaded.source.kind == "tfvars" else by_dir
        target[directory].append(loaded.parsed.unit)

    def read_directory(directory: str) -> list[TfFile] | None:
        """A called module outside the scanned paths: read it for context."""
        from soc2lint.pipeline.discover import SourceFile

        root = asm.root
        base = (root / directory).resolve() if directory else root
        if not base.is_dir() or not (base == root or root in base.parents):
            return None
        out = []
        for path in sorted(base.iterdir()):
            kind = kind_of(path.name)
            rel = f"{directory}/{path.name}" if directory else path.name
            if kind in MODULE_KINDS and path.is_symlink():
                try:
                    target = path.resolve()
                except (RuntimeError, OSError):  # a link loop
                    asm.skipped.append(Skipped(rel, "symbolic link loop"))
                    continue
                if root not in target.parents:
                    why = "symbolic link leads outside the scanned root"
                    asm.skipped.append(Skipped(rel, why))
                    continue
            if kind not in MODULE_KINDS or not path.is_file():
                continue
            loaded = asm.load(SourceFile(rel, str(path), "terraform", kind))
            if loaded.parsed is not None and loaded.parsed.unit is not None:
                out.append(loaded.parsed.unit)
        return out

    options = asm.options
    project = Project(asm.root, by_dir, tfvars_by_dir, read_directory)
    built = project.build(options.env_vars, cli_layers(options.cli_vars, asm.errors))
    asm.errors.extend(built.errors)
    asm.notes.extend(built.notes)
    asm.unavailable.extend(built.unavailable)
    resources: list[Resource] = built.resources
    if options.plan:
        resources = apply_plan(
            options.plan, asm.root, asm.targets, built.roots, resources, asm.errors
        )
    asm.resources[:0] = resources


def apply_plan(
    plan: str,
    root: Path,
    paths: list[Path],
    roots: list[str],
    resources: list[Resource],
    errors: list[ParseError],
) -> list[Resource]:
    """Replace the plan's root module's configured resources by the planned ones."""
    # here: a scan without --plan (every pre-commit run) imports no plan reader
    from soc2lint.platforms.terraform.plan import parse_plan
    from soc2lint.platforms.terraform.planned import planned_resources

    plan_path = Path(plan).resolve()
    try:
        shown = plan_path.relative_to(root).as_posix()
    except ValueError:
        shown = plan_path.name
    try:
        text = plan_path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        errors.append(ParseError(shown, 1, f"cannot read plan: {exc}"))
        return resources
    planned, _sources, plan_errors = parse_plan(shown, text)
    errors.extend(plan_errors)
    if plan_errors and not planned:
        return resources
    target = plan_root(paths, root, roots, plan_path)
    scope = target or "."
    config = [r for r in resources if r.scope == scope]
    others = [r for r in resources if r.scope != scope]
    return others + planned_resources(planned, config, shown, text, scope)


def plan_root(paths: list[Path], root: Path, roots: list[str], plan_path: Path) -> str:
    """The root module a plan belongs to: the scanned directory, else the plan's directory."""
    for candidate in [*(p.resolve() for p in paths), plan_path.parent]:
        try:
            rel = candidate.relative_to(root).as_posix()
        except ValueError:
            continue
        rel = "" if rel == "." else rel
        if rel in roots:
            return rel
    return roots[0] if len(roots) == 1 else ""


def cli_layers(cli_vars: list[tuple[str, str]], errors: list[ParseError]) -> list[dict]:
    """--var-file and --var values, in the order given (later wins)."""
    layers: list[dict] = []
    for kind, value in cli_vars:
        if kind == "file":
            path = Path(value)
            try:
                text = path.read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError) as exc:
                errors.append(ParseError(value, 1, f"cannot read --var-file: {exc}"))
                continue
            parsed = parse_file(path.name if path.name.endswith(".json") else value, text)
            if parsed.errors:
                errors.extend(ParseError(value, e.line, e.message) for e in parsed.errors)
                continue
            layers.extend(tfvars_layers([parsed]))
        else:
            name, _, text = value.partition("=")
            layers.append({name.strip(): raw_value(text)})
    return layers
