"""What is applied to findings after evaluation: suppressions, baseline, diff base, and the
scope of a scan of changed files."""
