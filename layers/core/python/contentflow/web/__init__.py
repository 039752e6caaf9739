"""The admin API: routers per domain, one resolver, one gate for keys and body size."""
