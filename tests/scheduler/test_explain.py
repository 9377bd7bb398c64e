"""Why an order is unscheduled: the booked share of its most loaded machines, counted directly."""

from __future__ import annotations

import pandas as pd
import pytest

from scenarios.contract.model import load_scenario
from scenarios.pipelines.schedule import build_scenario_problem, grade_scenario
from scheduler.dispatch import dispatch
from scheduler.explain import explain
from scheduler.schedule import Schedule
from tests.helpers import T0, order_row, settings_text, write_scenario
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


def test_the_reason_names_the_step_that_finds_no_place_after_the_steps_before_it(tmp_path) -> None:  # type: ignore[no-untyped-def]
    # M1 is booked 0-600 and 840-1440 (a one-day horizon), free 600-840: 240 min in all.
    # X's first step runs 700 min on M2, so its 200-min second step is ready at 700, when
    # only 140 min of M1's gap are left: enough minutes in all, no gap after its first step.
    tables = {
        "orders": [
            order_row("B1", 100, due=1440, customer="c", product="Q"),
            order_row("B2", 100, due=1440, customer="c", product="Q"),
            order_row("X", 100, due=1440, customer="c", product="R"),
        ],
        "routings": [
            {"product_id": "Q", "step": 10, "machine_id": "M1", "minutes_per_unit": 6.0},
            {"product_id": "R", "step": 10, "machine_id": "M2", "minutes_per_unit": 7.0},
            {"product_id": "R", "step": 20, "machine_id": "M1", "minutes_per_unit": 2.0},
        ],
        "machines": [{"machine_id": "M1"}, {"machine_id": "M2"}],
    }
    scenario = load_scenario(write_scenario(tmp_path / "s", tables, settings_text(1)))
    p = build_scenario_problem(scenario, grade_scenario(scenario))
    m1 = next(j for j, m in enumerate(p.machines) if m.id == "M1")
    machine, start = [-1] * len(p.operations), [-1] * len(p.operations)
    for order_id, minute in (("B1", 0), ("B2", 840)):
        k = next(o.first_op for o in p.orders if o.id == order_id)
        machine[k], start[k] = m1, minute
    plan = Schedule(p, tuple(machine), tuple(start))
    x = next(i for i, o in enumerate(p.orders) if o.id == "X")
    reason = explain(plan)[x]
    assert reason.startswith("no capacity inside the horizon: step 20 needs 200 min on M1"), reason
    assert "; 240 min of it are free in all: another sequence might fit it" in reason
    ready = (T0 + pd.Timedelta(minutes=700)).strftime("%Y-%m-%d %H:%M")
    assert reason.endswith(
        "; placed step by step in the plan's gaps, step 20 finds no place: the steps before it "
        f"end {ready} at the earliest, and M1 has no gap of 200 min after that before the horizon end"
    ), reason
