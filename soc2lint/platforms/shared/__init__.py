"""Parsing helpers several platforms share: located YAML, CI expressions and CI linking."""
