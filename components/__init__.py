"""Pulumi component resources of the nodeapi platform, one per file."""
