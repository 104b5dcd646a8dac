"""Kubernetes as a platform: manifests found by content, Kustomize and Helm rendered at assembly.

The registry imports every platform to claim files, so the YAML reader, the object model, the
renderers and the linker are imported only when a manifest is parsed, rendered or linked."""

from __future__ import annotations

from soc2lint.platforms.contract import Assembly, Base, Parsed
from soc2lint.platforms.kubernetes import classify

# JSON files that are never manifests (package managers, editors, bots)
NOT_MANIFESTS = {
    "package.json",
    "package-lock.json",
    "tsconfig.json",
    "composer.json",
    "composer.lock",
    ".eslintrc.json",
    "renovate.json",
}
HELM_TEMPLATE = "helm-template"


class Kubernetes(Base):
    name = "kubernetes"
    claims_by_name = True  # claim() and may_sniff() read only the file name
    title = "Kubernetes"
    reads = (
        "`*.yaml`, `*.yml` and `*.json` files whose content has `apiVersion` and `kind` "
        "(manifests, `List`s, multi-document files); Kustomize directories and Helm charts "
        "rendered with `kustomize`/`kubectl` and `helm` when installed"
    )
    rule_platform = "kubernetes"
    rules_dir = "kubernetes"
    fixture_file = "manifest.yaml"
    type_pattern = classify.TYPE_PATTERN
    resource_types = ("*",)  # objects are typed by kind
    tools = ("kustomize", "kubectl", "helm")

    def may_sniff(self, path: str) -> bool:
        name = path.rsplit("/", 1)[-1]
        return name.endswith((".yaml", ".yml")) or (
            name.endswith(".json") and name not in NOT_MANIFESTS
        )

    def sniff(self, path: str, text: str) -> str | None:
        if classify.is_helm_template(path, text):
            return HELM_TEMPLATE
        return "manifest" if classify.might_be_kubernetes(text) else None

    def parse(self, path: str, text: str, kind: str) -> Parsed:
        if kind == HELM_TEMPLATE:
            return Parsed(None, skip_reason="Helm chart template (render it with helm to scan)")
        from soc2lint.platforms.kubernetes import objects
        from soc2lint.platforms.shared.yamlsrc import load_documents

        docs, errors = load_documents(path, text)
        if classify.is_kubernetes(docs):
            resources, more = objects.parse(path, docs)
            return Parsed(self.name, resources, errors + more)
        if errors:  # looks like a manifest but does not load: say why
            return Parsed(self.name, errors=errors)
        return Parsed(None)

    def assemble(self, asm: Assembly, mine) -> None:  # type: ignore[no-untyped-def]
        if not any(f.path.rsplit("/", 1)[-1] in classify.RENDER_ROOTS for f in asm.discovered):
            return  # no kustomization and no chart: nothing to render (renderers.find_roots)
        from soc2lint.platforms.kubernetes import renderers

        asm.resources[:], reusable = renderers.render_kubernetes(
            asm.root,
            [f.path for f in asm.discovered],
            asm.resources,
            asm.errors,
            asm.notes,
            asm.skipped,
            asm.options,
        )
        asm.reusable = asm.reusable and reusable

    def link(self, graph, resources) -> None:  # type: ignore[no-untyped-def]
        if not any(r.platform == self.rule_platform for r in resources):
            return
        from soc2lint.platforms.kubernetes import linker

        linker.link(graph, resources)


PLATFORM = Kubernetes()
