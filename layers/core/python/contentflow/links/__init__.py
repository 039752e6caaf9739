"""Short links: the stored affiliate destinations behind /l/{code}."""
