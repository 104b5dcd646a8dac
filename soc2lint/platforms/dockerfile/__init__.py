"""Dockerfiles (and Containerfiles): instructions with their lines, stages, ARG substitution."""
