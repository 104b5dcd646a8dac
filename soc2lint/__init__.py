"""soc2lint: SOC 2 compliance-as-code linter for infrastructure repositories."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pathlib import Path

__version__ = "0.1.0"


def package_file(*parts: str) -> Path:
    """A file shipped inside the package (package_file("data", "tsc.yaml")). soc2lint is
    installed as files (its bundled rules are read from the directory beside it), so this is its
    own directory: importlib.resources, and what that imports, cost a one-file hook run about a
    tenth of its start-up."""
    from pathlib import Path

    return Path(os.path.dirname(os.path.abspath(__file__)), *parts)
