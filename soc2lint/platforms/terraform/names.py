"""Terraform's files by name: what the registry needs to claim them, without the parser."""

from __future__ import annotations

MODULE_KINDS = ("tf", "tfjson")


def kind_of(name: str) -> str | None:
    """The kind of a Terraform file by its name: tf, tfjson, tfvars; None when not one."""
    if name.endswith(".tf"):
        return "tf"
    if name.endswith(".tf.json"):
        return "tfjson"
    if name == "terraform.tfvars" or name.endswith(".auto.tfvars"):
        return "tfvars"
    if name == "terraform.tfvars.json" or name.endswith(".auto.tfvars.json"):
        return "tfvars"
    return None
