"""The CP-SAT adapter: the scheduler's only modules that import OR-Tools.

The pure data model (``scheduler.problem``), the rules and the orchestration around them do
not; grading's rep-balancing model (``grading.balance_model``) is the one other user.
``tests/test_imports.py`` holds this rule.
"""
