"""API keys and the checks every admin route goes through."""
