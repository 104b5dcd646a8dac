"""The severities a rule may have, most severe first (a module of its own, so the command line
can offer them without loading the rule engine)."""

SEVERITIES = ("critical", "high", "medium", "low", "info")
