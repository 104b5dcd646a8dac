"""soc2lint: SOC 2 compliance-as-code linter for infrastructure repositories."""

__version__ = "0.1.0"
