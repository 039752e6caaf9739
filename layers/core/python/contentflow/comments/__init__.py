"""Comments under posts: polled, triaged, answered, clustered."""
