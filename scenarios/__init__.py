"""Scenario and plan folders, in rooms by concern.

``contract`` (the tables, reading, validation, atomic writing), ``pipelines`` (one per
command: grade, schedule, promise, complaints), ``studies`` (what-if and comparison),
``batch`` (overnight runs, the Dask cluster, supervised children), ``generators``
(synthetic scenarios) and ``demo``. ``tests/test_layers.py`` keeps each room to the rooms
below it.
"""
