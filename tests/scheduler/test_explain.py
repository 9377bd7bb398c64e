"""Why an order is unscheduled: the booked share of its most loaded machines, counted directly."""

from __future__ import annotations

import pytest

from scenarios.pipelines.schedule import build_scenario_problem, grade_scenario
from scheduler.dispatch import dispatch
from scheduler.explain import explain
from scheduler.schedule import Schedule
from tests.helpers.plants import small_plant


def _booked_share(schedule: Schedule, i: int) -> tuple[float, str, int, int, int]:
    """The definition, operation by operation: of the working time of the step's machines
    from the order's earliest start to the horizon end, the share other operations book."""
    p = schedule.problem
    lo, hi = p.earliest_starts[p.orders[i].first_op], p.horizon
    worst: tuple[float, str, int, int, int] | None = None
    for k in p.orders[i].operations:
        machines = [mode.machine for mode in p.operations[k].modes]
        busy = available = 0
        for m in machines:
            working = p.machines[m].working
            available += working.worked(lo, hi) * p.machines[m].capacity
            for j in range(len(p.operations)):
                if schedule.machine[j] == m:
                    busy += max(0, working.worked(max(schedule.start[j], lo), min(schedule.end[j], hi)))
        share = busy / max(1, available)
        if worst is None or share > worst[0]:
            step = p.operations[k]
            worst = (
                share,
                ", ".join(p.machines[m].id for m in machines),
                step.step,
                available - busy,
                step.min_duration,
            )
    assert worst is not None
    return worst


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_no_capacity_reasons_name_the_most_booked_machines(seed: int) -> None:
    scenario = small_plant(60, seed, 4, "weighted_tardiness", 1)
    problem = build_scenario_problem(scenario, grade_scenario(scenario))
    plan = dispatch(problem, "edd")
    reasons = explain(plan)
    checked = 0
    for i, reason in reasons.items():
        if not reason.startswith("no capacity inside the horizon"):
            continue
        share, names, step, free, need = _booked_share(plan, i)
        assert f"step {step} needs" in reason and f" on {names}, " in reason, reason
        assert f"is {share:.0%} booked" in reason, reason
        # enough free minutes in all, only not in one gap: another sequence might fit it
        assert (f"; {free:,} min of it are free in all" in reason) == (free >= need), reason
        checked += 1
    assert checked > 0  # the plants are loaded enough to leave orders out for capacity
