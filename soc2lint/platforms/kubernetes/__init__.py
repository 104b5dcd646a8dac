"""Kubernetes manifests: objects, Kustomize and Helm renders, selectors and bindings."""
