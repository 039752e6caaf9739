"""The autopilot: signals, proposals scored on the objective, guarded execution, the journal."""
