"""The command line: click commands (commands.py) over one call that runs a scan (run.py)."""

from soc2lint.cli.commands import main

__all__ = ["main"]
