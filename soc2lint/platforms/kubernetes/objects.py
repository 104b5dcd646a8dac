"""Kubernetes manifests -> Resources addressed `Kind/namespace/name`.

Workloads get three derived attributes so rules need not know where each kind keeps its pod:
`podSpec` (the pod spec), `podMetadata` (the pod template's metadata) and `allContainers`
(containers, initContainers and ephemeralContainers, each with `containerType`). They are the
same values as in the manifest, and their locations point at the manifest's own lines.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from soc2lint.model import Location, ParseError, Platform, Resource
from soc2lint.platforms.kubernetes.classify import is_tool_config
from soc2lint.platforms.shared.yamlsrc import YamlDoc

CLUSTER_SCOPED = {
    "Namespace",
    "Node",
    "PersistentVolume",
    "ClusterRole",
    "ClusterRoleBinding",
    "CustomResourceDefinition",
    "StorageClass",
    "PriorityClass",
    "IngressClass",
    "RuntimeClass",
    "ValidatingWebhookConfiguration",
    "MutatingWebhookConfiguration",
    "APIService",
    "PodSecurityPolicy",
    "CSIDriver",
    "CSINode",
    "VolumeAttachment",
    "ClusterIssuer",
    "ValidatingAdmissionPolicy",
    "ValidatingAdmissionPolicyBinding",
    "MutatingAdmissionPolicy",
    "MutatingAdmissionPolicyBinding",
    "ComponentStatus",
    "CertificateSigningRequest",
    "TokenReview",
    "SelfSubjectReview",
    "SelfSubjectAccessReview",
    "SelfSubjectRulesReview",
    "SubjectAccessReview",
    "FlowSchema",
    "PriorityLevelConfiguration",
    "ClusterTrustBundle",
    "DeviceClass",
    "IPAddress",
    "ServiceCIDR",
    "VolumeSnapshotClass",
    "VolumeSnapshotContent",
    # widely installed custom resources that are cluster-wide
    "GatewayClass",
    "ClusterSecretStore",
    "ClusterExternalSecret",
    "ClusterPolicy",  # Kyverno
    "ClusterPolicyReport",
    "ConstraintTemplate",  # Gatekeeper
    "ClusterImagePolicy",  # Sigstore policy-controller
    "ClusterTriggerBinding",  # Tekton
    "ClusterTask",
    "ClusterWorkflowTemplate",  # Argo Workflows
    "GlobalNetworkPolicy",  # Calico
    "GlobalNetworkSet",
    "CiliumClusterwideNetworkPolicy",
    "NodeFeatureRule",
    "NodePool",  # Karpenter
    "EC2NodeClass",
}

# where the built-in workload kinds keep their pod template
POD_PATHS = {
    "Pod": ("spec",),
    "Deployment": ("spec", "template", "spec"),
    "StatefulSet": ("spec", "template", "spec"),
    "DaemonSet": ("spec", "template", "spec"),
    "ReplicaSet": ("spec", "template", "spec"),
    "ReplicationController": ("spec", "template", "spec"),
    "Job": ("spec", "template", "spec"),
    "CronJob": ("spec", "jobTemplate", "spec", "template", "spec"),
}
# any other kind is a workload by shape: a pod spec (a list of containers) at one of these
# paths, e.g. OpenShift DeploymentConfig, Argo Rollout, Knative Service, KEDA ScaledJob,
# PodTemplate; such an object is also judged by the rules of the `Workload` type
POD_SHAPES = (
    ("spec", "template", "spec"),
    ("spec", "jobTemplate", "spec", "template", "spec"),
    ("spec", "jobTargetRef", "template", "spec"),
    ("template", "spec"),
    ("spec",),
)
WORKLOAD = "Workload"
# a workload found by shape that keeps its pods running (not a job template, and its pods
# restart Always, as a Deployment's must): also judged by the rules of `LongRunningWorkload`
# (liveness and readiness probes), which leave run-to-completion kinds alone
LONG_RUNNING = "LongRunningWorkload"
BATCH_SHAPES = (
    ("spec", "jobTemplate", "spec", "template", "spec"),
    ("spec", "jobTargetRef", "template", "spec"),
)
# an audit.k8s.io Policy is the API server's audit configuration, a file it reads: typed `Policy`
# like Kyverno's, judged by the rules of `AuditPolicy`, and cluster-wide
AUDIT_GROUP = "audit.k8s.io/"
AUDIT_POLICY = "AuditPolicy"
CONTAINER_KEYS = ("containers", "initContainers", "ephemeralContainers")


def parse(path: str, docs: list[YamlDoc]) -> tuple[list[Resource], list[ParseError]]:
    """Resources for every object in the documents (List items included)."""
    resources: list[Resource] = []
    errors: list[ParseError] = []
    for doc in docs:
        data = doc.data
        if data in (None, {}, []) or is_tool_config(data):
            continue
        if not isinstance(data, (dict, list)):
            errors.append(ParseError(path, doc.start_line, "document is not a Kubernetes object"))
            continue
        _as_yaml11(data, doc.yaml11)
        if _is_list(data):
            for item, prefix in _list_items(data, ""):
                line = doc.locations.get(prefix, (doc.start_line, 1))[0]
                res = _resource(path, item, doc, prefix, line, doc.span(prefix)[1])
                if res is None:
                    errors.append(ParseError(path, line, "List item without apiVersion and kind"))
                else:
                    resources += [res, *claim_templates(res)]
            continue
        malformed = _malformed(data, doc)
        if malformed is not None:  # rules would walk nothing and pass: an error instead
            errors.append(ParseError(path, malformed[0], malformed[1]))
            continue
        res = _resource(path, data, doc, "", doc.start_line, doc.end_line)
        if res is None:
            if not str(data.get("apiVersion", "")).startswith("kustomize.config.k8s.io/"):
                # the first key written, past any comment the document opens with
                line = min((ln for ln, _col in doc.locations.values()), default=doc.start_line)
                errors.append(ParseError(path, line, "object without apiVersion and kind"))
        else:
            resources += [res, *claim_templates(res)]
    return _unique(resources), errors


def _is_list(data: Any) -> bool:
    """A `List` kind, or a bare YAML list / JSON array of objects (read as a List is)."""
    if isinstance(data, list):
        return True
    return str(data.get("kind", "")).endswith("List") and isinstance(data.get("items"), list)


def _list_items(data: Any, prefix: str, depth: int = 0) -> list[tuple[Any, str]]:
    """(object, dotted path) of every item, a List inside a List read through."""
    items = data if isinstance(data, list) else data["items"]
    base = prefix if isinstance(data, list) else (f"{prefix}.items" if prefix else "items")
    out: list[tuple[Any, str]] = []
    for i, item in enumerate(items):
        where = f"{base}.{i}" if base else str(i)
        nested = isinstance(item, list) or (isinstance(item, dict) and _is_list(item))
        if nested and depth < MAX_LIST_DEPTH:
            out.extend(_list_items(item, where, depth + 1))
        else:
            out.append((item, where))
    return out


MAX_LIST_DEPTH = 10
_NESTED = ("spec", "template", "jobTemplate")
_CONTAINERS = ("containers", "initContainers", "ephemeralContainers")


def _malformed(data: dict[str, Any], doc: YamlDoc) -> tuple[int, str] | None:
    """(line, problem) where a spec, pod template or container list has the wrong shape."""

    def line(path: str) -> int:
        return doc.locations.get(path, (doc.start_line, 1))[0]

    def walk(node: dict[str, Any], prefix: str, depth: int) -> tuple[int, str] | None:
        if depth > 8:
            return None
        for key in _NESTED:
            if key not in node or node[key] is None:
                continue
            path = f"{prefix}{key}"
            value = node[key]
            if not isinstance(value, dict):
                return line(path), f"{path} must be a mapping, not {_shape(value)}"
            found = walk(value, path + ".", depth + 1)
            if found:
                return found
        if prefix.endswith("spec."):
            for key in _CONTAINERS:
                value = node.get(key)
                if value is None:
                    continue
                path = f"{prefix}{key}"
                if not isinstance(value, list):
                    return line(path), f"{path} must be a list of containers, not {_shape(value)}"
                for i, item in enumerate(value):
                    if not isinstance(item, dict):
                        return line(f"{path}.{i}"), f"{path}[{i}] must be a container mapping"
        return None

    return walk(data, "", 0)


def _shape(value: Any) -> str:
    return {dict: "a mapping", list: "a list", str: "a string"}.get(type(value), "a scalar")


def _as_yaml11(data: dict[str, Any], values: dict[tuple[str | int, ...], Any]) -> None:
    """Kubernetes reads YAML 1.1: `hostNetwork: no` is false, `defaultMode: 0644` is octal.

    Each path is the exact sequence of keys and indices to the scalar, so a key written with
    dots (`securityContext.privileged: no`) is that one key, never a path to another value."""
    for steps, value in values.items():
        if not steps:
            continue
        *parents, last = steps
        node: Any = data
        for step in parents:
            if (
                isinstance(node, list)
                and isinstance(step, int)
                and step < len(node)
                or isinstance(node, dict)
                and isinstance(step, str)
                and step in node
            ):
                node = node[step]
            else:
                node = None
                break
        if (
            isinstance(node, dict)
            and isinstance(last, str)
            and last in node
            or isinstance(node, list)
            and isinstance(last, int)
            and last < len(node)
        ):
            node[last] = value


def _resource(
    path: str, obj: Any, doc: YamlDoc, prefix: str, start: int, end: int
) -> Resource | None:
    if not isinstance(obj, dict) or not isinstance(obj.get("kind"), str):
        return None
    if not isinstance(obj.get("apiVersion"), str):
        return None
    kind = obj["kind"]
    if str(obj["apiVersion"]).startswith("kustomize.config.k8s.io/"):
        return None  # a kustomization describes manifests; it is not one
    meta = obj.get("metadata") if isinstance(obj.get("metadata"), dict) else {}
    name = meta.get("name") or meta.get("generateName") or f"unnamed-{doc.index}"
    namespace = meta.get("namespace") or "default"
    audit = str(obj["apiVersion"]).startswith(AUDIT_GROUP)
    if kind in CLUSTER_SCOPED or audit:
        address = f"{kind}/{name}"
        namespace = ""
    else:
        address = f"{kind}/{namespace}/{name}"
    attributes = dict(obj)
    attributes["namespace"] = namespace
    locations = doc.located(path, prefix)
    pod_path = POD_PATHS.get(kind)
    also: tuple[str, ...] = ()
    if pod_path is None and not str(obj["apiVersion"]).startswith(CORE_GROUPS):
        pod_path = pod_shape(obj)
        also = _shape_types(obj, pod_path) if pod_path is not None else ()
    if pod_path is not None:
        _derive_pod(attributes, obj, pod_path, locations)
    if audit and kind == "Policy":
        also = (AUDIT_POLICY,)
    return Resource(
        address=str(address),
        type=kind,
        platform=Platform.KUBERNETES.value,
        attributes=attributes,
        location=Location(path, start, max(start, end)),
        attribute_locations=locations,
        kind="object",
        scope="kubernetes",
        also_types=also,
    )


# API groups of built-in kinds whose shape may resemble a pod's but that run nothing
# (a PodTemplate is only a template; a core Service or ConfigMap has no containers)
CORE_GROUPS = ("v1", "apps/", "batch/", "policy/", "rbac.authorization.k8s.io/")


def pod_shape(obj: dict[str, Any]) -> tuple[str, ...] | None:
    """The path of a pod spec in an object of a kind soc2lint does not know: the first shape
    whose spec holds a list of containers that name an image."""
    for path in POD_SHAPES:
        spec: Any = obj
        for step in path:
            spec = spec.get(step) if isinstance(spec, dict) else None
        containers = spec.get("containers") if isinstance(spec, dict) else None
        if isinstance(containers, list) and any(
            isinstance(c, dict) and "image" in c for c in containers
        ):
            return path
    return None


def _shape_types(obj: dict[str, Any], pod_path: tuple[str, ...]) -> tuple[str, ...]:
    """`Workload`, and `LongRunningWorkload` unless its pods run to completion: a job template
    (CronJob-like, KEDA ScaledJob) or a pod template whose restartPolicy is not Always."""
    spec: Any = obj
    for step in pod_path:
        spec = spec.get(step) if isinstance(spec, dict) else None
    restart = spec.get("restartPolicy") if isinstance(spec, dict) else None
    if pod_path in BATCH_SHAPES or restart not in (None, "Always"):
        return (WORKLOAD,)
    return (WORKLOAD, LONG_RUNNING)


def _derive_pod(
    attributes: dict[str, Any],
    obj: dict[str, Any],
    pod_path: tuple[str, ...],
    locations: dict[str, Location],
) -> None:
    spec: Any = obj
    for step in pod_path:
        spec = spec.get(step) if isinstance(spec, dict) else None
    if not isinstance(spec, dict):
        return
    base = ".".join(pod_path)
    attributes["podSpec"] = spec
    _alias(locations, base, "podSpec")
    meta_path = ".".join(pod_path[:-1] + ("metadata",)) if len(pod_path) > 1 else "metadata"
    template = obj
    for step in meta_path.split("."):
        template = template.get(step) if isinstance(template, dict) else None
    attributes["podMetadata"] = template if isinstance(template, dict) else {}
    _alias(locations, meta_path, "podMetadata")
    found: list[tuple[int, str, int, dict[str, Any]]] = []
    for order, key in enumerate(CONTAINER_KEYS):
        items = spec.get(key)
        if not isinstance(items, list):
            continue
        for i, item in enumerate(items):
            if isinstance(item, dict):
                where = locations.get(f"{base}.{key}.{i}")
                found.append((where.start_line if where else order, key, i, item))
    containers: list[dict[str, Any]] = []
    for _line, key, i, item in sorted(found, key=lambda c: c[0]):  # in file order
        _alias(locations, f"{base}.{key}.{i}", f"allContainers.{len(containers)}")
        containers.append({**item, "containerType": key})
    attributes["allContainers"] = containers


def _alias(locations: dict[str, Location], source: str, target: str) -> None:
    """Make target.* point where source.* is written."""
    for key, loc in list(locations.items()):
        if key == source:
            locations[target] = loc
        elif key.startswith(source + "."):
            locations[target + key[len(source) :]] = loc


def claim_templates(res: Resource) -> list[Resource]:
    """The PersistentVolumeClaims a StatefulSet creates from its volumeClaimTemplates, judged
    like written claims (storage encryption): one per template, named `<template>-<set>` (the
    controller adds each pod's ordinal), located at the template."""
    spec = res.attributes.get("spec")
    templates = spec.get("volumeClaimTemplates") if isinstance(spec, dict) else None
    if res.type != "StatefulSet" or not isinstance(templates, list):
        return []
    namespace = str(res.attributes.get("namespace") or "default")
    owner = str(_meta_of(res.attributes).get("name"))
    out = []
    for i, template in enumerate(templates):
        if not isinstance(template, dict):
            continue
        meta = _meta_of(template)
        name = f"{meta.get('name') or f'template-{i}'}-{owner}"
        prefix = f"spec.volumeClaimTemplates.{i}"
        where = res.attribute_locations.get(prefix, res.location)
        cut = len(prefix) + 1
        locations = {
            k[cut:]: v for k, v in res.attribute_locations.items() if k.startswith(prefix + ".")
        }
        attributes = {
            "apiVersion": "v1",
            "kind": "PersistentVolumeClaim",
            "metadata": {**meta, "name": name, "namespace": namespace},
            "spec": template.get("spec") if isinstance(template.get("spec"), dict) else {},
            "namespace": namespace,
        }
        end = max([where.start_line, *(v.end_line for v in locations.values())])
        out.append(
            Resource(
                address=f"PersistentVolumeClaim/{namespace}/{name}",
                type="PersistentVolumeClaim",
                platform=res.platform,
                attributes=attributes,
                location=Location(where.path, where.start_line, end),
                attribute_locations=locations,
                kind="object",
                scope=res.scope,
            )
        )
    return out


def _meta_of(obj: dict[str, Any]) -> dict[str, Any]:
    meta = obj.get("metadata")
    return meta if isinstance(meta, dict) else {}


def _unique(resources: list[Resource]) -> list[Resource]:
    """The same address twice in one file: keep both, the second with its line in the address."""
    seen: set[str] = set()
    out = []
    for res in resources:
        if res.address in seen:
            res = replace(res, address=f"{res.address}#L{res.location.start_line}")
        seen.add(res.address)
        out.append(res)
    return out
