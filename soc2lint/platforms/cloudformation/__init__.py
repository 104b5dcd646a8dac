"""CloudFormation and SAM templates: YAML (short-form intrinsic tags) and JSON, found by content."""
