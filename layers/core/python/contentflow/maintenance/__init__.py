"""Maintenance jobs: the runtime's own housekeeping."""
