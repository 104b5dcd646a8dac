"""Docker Compose files: services with their lines, `${VAR}` interpolation and `extends`."""
