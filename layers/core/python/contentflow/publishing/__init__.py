"""Scheduled publishing: when posts go out, once."""
