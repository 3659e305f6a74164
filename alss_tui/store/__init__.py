"""Durable state: the home folder, run folders, append-only logs, the registry."""
