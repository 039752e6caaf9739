"""KPIs in fixed 2-hour windows of Europe/Paris wall time, recomputed from their sources."""
