"""A package's public names imported on first use (PEP 562 module __getattr__).

The platform registry imports every platform package to claim files by name; a package whose
names pull in its whole parser makes every scan pay for it, even one with no file of its own."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any


def lazy_names(package: str, where: dict[str, str]) -> Callable[[str], Any]:
    """The module __getattr__ of package: each name in where is taken from the module it maps
    to, imported when the name is first asked for."""

    def __getattr__(name: str) -> Any:
        module = where.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        return getattr(importlib.import_module(module), name)

    return __getattr__
