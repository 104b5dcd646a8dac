"""Kubernetes edges: selectors, bindings, service accounts, policies, mounted secrets.

Edge kinds (source -> target):
  selects        Service / NetworkPolicy / PodDisruptionBudget -> workloads whose pods match
  routes         Ingress -> Service
  binds          RoleBinding / ClusterRoleBinding -> Role / ClusterRole and -> ServiceAccount
  runs_as        workload -> ServiceAccount
  scales         HorizontalPodAutoscaler -> its target
  mounts         workload -> Secret / ConfigMap it mounts or reads
  stored_on      PersistentVolumeClaim -> the PersistentVolume its volumeName binds it to, else
                 the StorageClass that provisions it (its storageClassName, or without one the
                 classes annotated as the cluster's default); a dynamically provisioned
                 PersistentVolume (pv.kubernetes.io/provisioned-by) -> its StorageClass
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from soc2lint.graph import ResourceGraph
from soc2lint.model import Platform, Resource
from soc2lint.platforms.kubernetes.objects import POD_PATHS, WORKLOAD


def link(graph: ResourceGraph, resources: list[Resource]) -> None:
    k8s = [r for r in resources if r.platform == Platform.KUBERNETES.value]
    if not k8s:
        return
    by_name: dict[tuple[str, str, str], list[Resource]] = defaultdict(list)
    workloads_by_ns: dict[str, list[Resource]] = defaultdict(list)
    for res in k8s:
        meta = res.attributes.get("metadata") or {}
        name = meta.get("name") if isinstance(meta, dict) else None
        by_name[(res.type, res.attributes.get("namespace", ""), str(name))].append(res)
        if _workload(res):
            workloads_by_ns[res.attributes.get("namespace", "")].append(res)

    def named(kind: str, namespace: str, name: Any) -> list[Resource]:
        return by_name.get((kind, namespace, str(name)), [])

    defaults = [r for r in k8s if r.type == "StorageClass" and _default_class(r)]
    # (namespace, label, value as text) -> the positions of the workloads in
    # workloads_by_ns[namespace] whose pods carry it: a selector is tried against the
    # workloads that carry one of its labels, not against every workload of its namespace
    carrying: dict[tuple[str, Any, str], list[int]] = defaultdict(list)
    for ns, workloads in workloads_by_ns.items():
        for i, w in enumerate(workloads):
            for key, value in _pod_labels(w).items():
                carrying[(ns, key, str(value))].append(i)

    def selectable(ns: str, selector: dict[str, Any]) -> list[Resource]:
        """The workloads of ns a selector may select, in their order: all of them, or those
        carrying the label of its matchLabels that the fewest carry."""
        workloads = workloads_by_ns[ns]
        match_labels = selector.get("matchLabels")
        if not isinstance(match_labels, dict) or not match_labels:
            return workloads
        fewest = min(
            (carrying.get((ns, key, str(value)), []) for key, value in match_labels.items()),
            key=len,
        )
        return [workloads[i] for i in fewest]

    for res in k8s:
        attrs = res.attributes
        ns = attrs.get("namespace", "")
        spec = attrs.get("spec") if isinstance(attrs.get("spec"), dict) else {}
        if res.type == "Service":
            selector = spec.get("selector")
            if isinstance(selector, dict) and selector:
                for w in selectable(ns, {"matchLabels": selector}):
                    if _labels_match({"matchLabels": selector}, _pod_labels(w)):
                        graph.add_edge(res.key, w.key, "selects", "spec.selector")
        elif res.type in ("NetworkPolicy", "PodDisruptionBudget"):
            field = "podSelector" if res.type == "NetworkPolicy" else "selector"
            selector = spec.get(field)
            if isinstance(selector, dict):
                for w in selectable(ns, selector):
                    if _labels_match(selector, _pod_labels(w)):
                        graph.add_edge(res.key, w.key, "selects", f"spec.{field}")
        elif res.type == "Ingress":
            for name in _ingress_services(spec):
                for svc in named("Service", ns, name):
                    graph.add_edge(res.key, svc.key, "routes", "spec.rules")
        elif res.type in ("RoleBinding", "ClusterRoleBinding"):
            role = attrs.get("roleRef") if isinstance(attrs.get("roleRef"), dict) else {}
            kind, name = role.get("kind"), role.get("name")
            targets = (
                named("ClusterRole", "", name) if kind == "ClusterRole" else named("Role", ns, name)
            )
            for target in targets:
                graph.add_edge(res.key, target.key, "binds", "roleRef")
            for subject in attrs.get("subjects") or []:
                if isinstance(subject, dict) and subject.get("kind") == "ServiceAccount":
                    sns = subject.get("namespace") or ns or "default"
                    for sa in named("ServiceAccount", sns, subject.get("name")):
                        graph.add_edge(res.key, sa.key, "binds", "subjects")
        elif res.type == "HorizontalPodAutoscaler":
            target = (
                spec.get("scaleTargetRef") if isinstance(spec.get("scaleTargetRef"), dict) else {}
            )
            for t in named(str(target.get("kind")), ns, target.get("name")):
                graph.add_edge(res.key, t.key, "scales", "spec.scaleTargetRef")
        elif res.type in ("PersistentVolumeClaim", "PersistentVolume"):
            for target, attribute in _storage(res, spec, named, defaults):
                graph.add_edge(res.key, target.key, "stored_on", attribute)
        if _workload(res):
            pod = attrs.get("podSpec") if isinstance(attrs.get("podSpec"), dict) else {}
            account = pod.get("serviceAccountName") or pod.get("serviceAccount") or "default"
            for sa in named("ServiceAccount", ns, account):
                graph.add_edge(res.key, sa.key, "runs_as", "podSpec.serviceAccountName")
            for kind, name in sorted(_mounted(pod, attrs.get("allContainers") or [])):
                for target in named(kind, ns, name):
                    graph.add_edge(res.key, target.key, "mounts", "podSpec")


def _workload(res: Resource) -> bool:
    """A built-in workload kind, or another kind with a pod template (found by shape)."""
    return res.type in POD_PATHS or WORKLOAD in res.also_types


DEFAULT_CLASS = (
    "storageclass.kubernetes.io/is-default-class",
    "storageclass.beta.kubernetes.io/is-default-class",
)


def _default_class(res: Resource) -> bool:
    meta = res.attributes.get("metadata")
    annotations = meta.get("annotations") if isinstance(meta, dict) else None
    return isinstance(annotations, dict) and any(
        str(annotations.get(a)).lower() == "true" for a in DEFAULT_CLASS
    )


def _storage(
    res: Resource, spec: dict[str, Any], named: Any, defaults: list[Resource]
) -> list[tuple[Resource, str]]:
    """(PersistentVolume or StorageClass, attribute) a claim or volume is stored on."""
    klass = spec.get("storageClassName")
    if res.type == "PersistentVolume":
        meta = res.attributes.get("metadata")
        annotations = meta.get("annotations") if isinstance(meta, dict) else None
        # a class's parameters decide only the volumes its provisioner created
        provisioned = isinstance(annotations, dict) and "pv.kubernetes.io/provisioned-by" in (
            annotations
        )
        if not provisioned or not klass:
            return []
        return [(c, "spec.storageClassName") for c in named("StorageClass", "", klass)]
    if spec.get("volumeName"):  # bound to a volume that exists already: nothing is provisioned
        return [(v, "spec.volumeName") for v in named("PersistentVolume", "", spec["volumeName"])]
    if klass is None:  # the cluster's default class provisions it
        return [(c, "storageclass.kubernetes.io/is-default-class") for c in defaults]
    if klass == "":  # binds to a pre-provisioned volume without a class: none named
        return []
    return [(c, "spec.storageClassName") for c in named("StorageClass", "", klass)]


def _pod_labels(workload: Resource) -> dict[str, Any]:
    meta = workload.attributes.get("podMetadata")
    labels = meta.get("labels") if isinstance(meta, dict) else None
    return labels if isinstance(labels, dict) else {}


def _labels_match(selector: dict[str, Any], labels: dict[str, Any]) -> bool:
    """A LabelSelector against labels; an empty selector selects everything."""
    match_labels = selector.get("matchLabels") or {}
    if not isinstance(match_labels, dict):
        return False
    for key, value in match_labels.items():
        if str(labels.get(key)) != str(value) or key not in labels:
            return False
    for expr in selector.get("matchExpressions") or []:
        if not isinstance(expr, dict):
            return False
        key, op = expr.get("key"), expr.get("operator")
        values = [str(v) for v in expr.get("values") or []]
        present = key in labels
        value = str(labels.get(key))
        if op == "In" and not (present and value in values):
            return False
        if op == "NotIn" and present and value in values:
            return False
        if op == "Exists" and not present:
            return False
        if op == "DoesNotExist" and present:
            return False
    return True


def _ingress_services(spec: dict[str, Any]) -> set[str]:
    names: set[str] = set()

    def backend(b: Any) -> None:
        if not isinstance(b, dict):
            return
        service = b.get("service")
        if isinstance(service, dict) and service.get("name"):
            names.add(str(service["name"]))
        if b.get("serviceName"):
            names.add(str(b["serviceName"]))

    backend(spec.get("defaultBackend") or spec.get("backend"))
    for rule in spec.get("rules") or []:
        http = rule.get("http") if isinstance(rule, dict) else None
        for p in (http or {}).get("paths") or []:
            if isinstance(p, dict):
                backend(p.get("backend"))
    return names


def _mounted(pod: dict[str, Any], containers: list[Any]) -> set[tuple[str, str]]:
    found: set[tuple[str, str]] = set()
    for volume in pod.get("volumes") or []:
        if not isinstance(volume, dict):
            continue
        secret = volume.get("secret")
        if isinstance(secret, dict) and secret.get("secretName"):
            found.add(("Secret", str(secret["secretName"])))
        config = volume.get("configMap")
        if isinstance(config, dict) and config.get("name"):
            found.add(("ConfigMap", str(config["name"])))
        for source in (volume.get("projected") or {}).get("sources") or []:
            if isinstance(source, dict):
                if isinstance(source.get("secret"), dict) and source["secret"].get("name"):
                    found.add(("Secret", str(source["secret"]["name"])))
                if isinstance(source.get("configMap"), dict) and source["configMap"].get("name"):
                    found.add(("ConfigMap", str(source["configMap"]["name"])))
    for container in containers:
        if not isinstance(container, dict):
            continue
        for ref in container.get("envFrom") or []:
            if isinstance(ref, dict):
                if isinstance(ref.get("secretRef"), dict) and ref["secretRef"].get("name"):
                    found.add(("Secret", str(ref["secretRef"]["name"])))
                if isinstance(ref.get("configMapRef"), dict) and ref["configMapRef"].get("name"):
                    found.add(("ConfigMap", str(ref["configMapRef"]["name"])))
        for env in container.get("env") or []:
            source = env.get("valueFrom") if isinstance(env, dict) else None
            if isinstance(source, dict):
                for key, kind in (("secretKeyRef", "Secret"), ("configMapKeyRef", "ConfigMap")):
                    ref = source.get(key)
                    if isinstance(ref, dict) and ref.get("name"):
                        found.add((kind, str(ref["name"])))
    return found
