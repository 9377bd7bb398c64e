"""Production scheduling: problem model, dispatch rules, CP-SAT adapter, checker."""
