"""The CP-SAT adapter: the only place that imports OR-Tools."""
