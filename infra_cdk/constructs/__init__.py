"""One construct per concern: `data` (tables) and `api` (functions, layers, HTTP API)."""
