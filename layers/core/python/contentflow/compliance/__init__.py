"""Compliance: the rules a post must pass (stored in `state`, changed through /api/rules) and the one
gate, `service.check`, that publishing and the autopilot call before anything is posted."""
