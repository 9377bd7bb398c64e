"""The explanations find the work that held a machine by bisection: the same operations a
pass over the whole machine finds, also where parallel capacity lets ends fall out of order."""

from __future__ import annotations

import random

import pytest

from scenarios.pipelines.schedule import build_scenario_problem, grade_scenario
from scheduler.dispatch import dispatch
from scheduler.explain import _plan
from tests.helpers.plants import small_plant


@pytest.mark.parametrize("seed", [1, 2])
def test_running_within_finds_every_overlapping_operation(seed: int) -> None:
    scenario = small_plant(60, seed, 4, "weighted_tardiness", 1)
    problem = build_scenario_problem(scenario, grade_scenario(scenario))
    schedule = dispatch(problem, "edd")
    plan = _plan(schedule)
    parallel = [m for m, machine in enumerate(problem.machines) if machine.capacity > 1]
    assert parallel  # the case where ends are not ordered like starts
    rng = random.Random(seed)
    for m in range(len(problem.machines)):
        ops = [k for k, on in enumerate(schedule.machine) if on == m]
        for _ in range(60):
            lo = rng.randrange(-10, problem.horizon + 10)
            hi = lo + rng.choice([0, 1, 30, 600, 5000])
            expected = [k for k in ops if schedule.start[k] < hi and schedule.end[k] > lo]
            assert plan.running_within(schedule, m, lo, hi) == expected
