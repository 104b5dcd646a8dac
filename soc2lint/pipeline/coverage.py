"""What a scan did not check: files it did not read, resource types no rule judged, an empty scan.

An auditor may rely on "passed" only about what was looked at. Coverage travels with every
report (text, JSON, SARIF, Markdown, evidence) so that a gap is never read as a pass; with
`--fail-on-uncovered` it fails the gate.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from soc2lint.engine.rules import Rule, type_matches
from soc2lint.model import ParseError, Resource, Skipped

# resource kinds a rule can judge (Terraform data sources, variables and modules are inputs)
JUDGED_KINDS = ("resource", "object")


def _category(reason: str) -> str:
    text = reason.lower()
    if "helm" in text or "chart" in text or "kustomiz" in text or "render" in text:
        return "unrendered"
    if "size cap" in text:
        return "too large"
    if "symbolic link" in text:
        return "link"
    if "cannot read" in text or "utf-8" in text or "binary" in text or "not a regular" in text:
        return "unreadable"
    if "empty file" in text:
        return "empty"
    return "skipped"


def compute(
    *,
    targets: list[Path],
    root: Path,
    files: dict[str, str],
    resources: list[Resource],
    rules: list[Rule],
    errors: list[ParseError],
    skipped: list[Skipped],
    excluded: list[dict],
    unsupported: list[dict],
    types: list[dict] | None = None,
) -> dict:
    """The coverage object every report carries (JSON shape documented in the README).
    types: the resource types of an earlier, identical scan (a reused result)."""
    not_checked: list[dict] = []
    for item in unsupported:
        not_checked.append(
            {
                "path": item["path"],
                "category": "unsupported",
                "reason": f"{item['kind']}: no platform of soc2lint reads it",
            }
        )
    for s in skipped:
        not_checked.append({"path": s.path, "category": _category(s.reason), "reason": s.reason})
    for e in excluded:
        category = "ignored" if e["reason"].startswith("ignored") else "excluded"
        not_checked.append({"path": e["path"], "category": category, "reason": e["reason"]})
    errored = sorted({e.path for e in errors if e.path in files})
    for path in errored:
        first = min((e for e in errors if e.path == path), key=lambda e: e.line)
        not_checked.append(
            {
                "path": path,
                "category": "parse error",
                "reason": f"line {first.line}: {first.message}",
            }
        )
    not_checked.sort(key=lambda n: (n["path"], n["category"]))
    types = types if types is not None else _types(resources, rules)
    uncovered = [t for t in types if t["rules"] == 0]
    gaps = {
        "uncovered_resources": sum(t["resources"] for t in uncovered),
        "uncovered_types": len(uncovered),
        "unsupported_files": len(unsupported),
        "unrendered": sum(1 for n in not_checked if n["category"] == "unrendered"),
        "parse_errors": len(errored),
    }
    incomplete = bool(
        gaps["uncovered_resources"] or gaps["unsupported_files"] or gaps["unrendered"]
    )
    return {
        "complete": not incomplete,
        "files": {
            "checked": len(files),
            "not_checked": not_checked,
            "by_category": dict(sorted(Counter(n["category"] for n in not_checked).items())),
        },
        "resources": {
            "judged": sum(t["resources"] for t in types),
            "types": types,
            "uncovered": [
                {"type": t["type"], "platform": t["platform"], "resources": t["resources"]}
                for t in uncovered
            ],
        },
        "gaps": gaps,
        "empty": _empty(targets, root, files, excluded, unsupported, skipped),
    }


def configured(options: object, key: str) -> bool:
    """Whether the scan's options set a dotted configuration key (`github_actions.approved`);
    an empty key (a rule that needs no configuration) always is."""
    if not key:
        return True
    head, *rest = key.split(".")
    value = getattr(options, head, None)
    for part in rest:
        value = value.get(part) if isinstance(value, dict) else None
    return value is not None


def not_evaluated(rules: list[Rule], types: list[dict], options: object) -> list[dict]:
    """A note for each rule that needs configuration the scan lacks (it judged nothing), where
    the scan holds resources it would judge: its silence is not a pass."""
    present = [(t["platform"], t["type"]) for t in types]
    notes = []
    for rule in rules:
        if configured(options, rule.needs_config):
            continue
        if any(
            platform == variant.platform and variant.applies_to(type_)
            for variant in rule.variants
            for platform, type_ in present
        ):
            section, _, key = rule.needs_config.partition(".")
            notes.append(
                {
                    "path": ".soc2lint.yaml",
                    "message": f"{rule.id} ({rule.name}) was not evaluated: it needs "
                    f"`{section}: {key}:` in the configuration; no result of it is a pass",
                }
            )
    return notes


def _types(resources: list[Resource], rules: list[Rule]) -> list[dict]:
    """Per resource type: how many resources, and how many enabled rules judge that type."""
    counts: Counter[tuple[str, str]] = Counter(
        (r.platform, r.type) for r in resources if r.kind in JUDGED_KINDS
    )
    # a resource also judged as another type (a shape-found Kubernetes workload)
    also: dict[tuple[str, str], set[str]] = {}
    for r in resources:
        if r.kind in JUDGED_KINDS and getattr(r, "also_types", ()):
            also.setdefault((r.platform, r.type), set()).update(r.also_types)
    out = []
    for (platform, type_), count in sorted(counts.items(), key=lambda kv: (kv[0][1], kv[0][0])):
        names = [type_, *sorted(also.get((platform, type_), ()))]
        applied = sum(
            1
            for rule in rules
            if rule.platform == platform
            and any(type_matches(n, pattern) for n in names for pattern in rule.resource_types)
        )
        out.append({"type": type_, "platform": platform, "resources": count, "rules": applied})
    return out


def _empty(
    targets: list[Path],
    root: Path,
    files: dict[str, str],
    excluded: list[dict],
    unsupported: list[dict],
    skipped: list[Skipped],
) -> str:
    """A warning when an explicitly given directory held no file soc2lint read, with why."""
    if files:
        return ""
    where = ", ".join(str(t) for t in targets) or "."
    why = []
    ignored = [e for e in excluded if e["reason"].startswith("ignored")]
    if ignored:
        why.append(f"{len(ignored)} ignored ({ignored[0]['reason']})")
    if len(excluded) > len(ignored):
        why.append(f"{len(excluded) - len(ignored)} excluded by pattern")
    if unsupported:
        kinds = sorted({u["kind"] for u in unsupported})
        why.append(f"{len(unsupported)} of kinds soc2lint does not read ({', '.join(kinds)})")
    if skipped:
        why.append(f"{len(skipped)} skipped")
    detail = "; ".join(why) if why else "no file there is of a kind soc2lint reads"
    return f"no infrastructure file was checked under {where}: {detail}"


def headline(coverage: dict) -> str:
    """One loud line when coverage is incomplete, else ""."""
    if not coverage or coverage.get("complete", True):
        return ""
    gaps = coverage["gaps"]
    parts = []
    if gaps["uncovered_resources"]:
        parts.append(
            f"{gaps['uncovered_resources']} resources of {gaps['uncovered_types']} types "
            "no rule checks"
        )
    if gaps["unsupported_files"]:
        parts.append(f"{gaps['unsupported_files']} infrastructure files soc2lint does not read")
    if gaps["unrendered"]:
        parts.append(f"{gaps['unrendered']} chart files not rendered")
    return "INCOMPLETE COVERAGE: " + ", ".join(parts) + " (see Not checked)"


def files_not_checked(coverage: dict) -> int:
    """Files that look like infrastructure and were not checked (ignored ones aside)."""
    if not coverage:
        return 0
    return sum(
        1 for n in coverage["files"]["not_checked"] if n["category"] not in ("ignored", "excluded")
    )
