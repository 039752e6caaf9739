"""Posts: what was published where, with which link, and the platforms' latest numbers for it."""
