"""The start that fits every order in: plans without changeovers given them back."""

from __future__ import annotations

from pathlib import Path

from scenarios.contract.model import load_scenario
from scenarios.pipelines.grade import grade_scenario
from scenarios.pipelines.schedule import build_scenario_problem
from scheduler.cpsat.model import SolverSettings
from scheduler.fit_all import fit_all_start, in_start_order, wanted, with_changeovers
from scheduler.problem import ProblemData
from scheduler.schedule import Schedule
from scheduler.stop import StopRequest
from tests.helpers import settings_text, write_scenario
from tests.helpers.plants import changeover_shop


def _press(folder: Path, horizon_days: float) -> ProblemData:
    scenario = load_scenario(write_scenario(folder, changeover_shop(), settings_text(horizon_days)))
    return build_scenario_problem(scenario, grade_scenario(scenario))


def _without_changeovers(p: ProblemData) -> Schedule:
    """A1, C1, A2 back to back on the press from minute 0: dark, light, dark, no switch time."""
    first = {o.id: o.first_op for o in p.orders}
    start = [0] * len(p.operations)
    for minute, order_id in ((0, "A1"), (30, "C1"), (60, "A2")):
        start[first[order_id]] = minute
    return Schedule(p, (0,) * len(p.operations), tuple(start))


def _starts(plan: Schedule) -> dict[str, int | None]:
    return {
        o.id: plan.start[o.first_op] if plan.is_scheduled(i) else None
        for i, o in enumerate(plan.problem.orders)
    }


def test_the_changeovers_go_back_in_the_plans_own_sequence(tmp_path: Path) -> None:
    # A1 0-30, an hour to switch to light: C1 90-120, an hour back to dark: A2 180-210
    plan = with_changeovers(_without_changeovers(_press(tmp_path / "s", horizon_days=1)))
    assert plan is not None
    assert _starts(plan) == {"A1": 0, "C1": 90, "A2": 180}


def test_an_order_pushed_past_the_horizon_leaves_and_the_rest_keep_their_sequence(tmp_path: Path) -> None:
    # a three-hour horizon: A2 would end at 210 and leaves; it fits nowhere else either
    # (after A1 at 30-60 it would leave C1 no hour to switch before 90)
    plan = with_changeovers(_without_changeovers(_press(tmp_path / "s", horizon_days=3 / 24)))
    assert plan is not None
    assert _starts(plan) == {"A1": 0, "C1": 90, "A2": None}


def test_in_start_order_each_step_takes_the_machine_that_ends_it_first(tmp_path: Path) -> None:
    # a second press: C1 (light) starts on it at once instead of waiting an hour behind A1;
    # A2 (dark) follows A1 on the first press without a switch, at 30
    tables = changeover_shop()
    tables["routings"] += [{**r, "machine_id": "M2"} for r in tables["routings"]]
    tables["machines"] = [{"machine_id": "M1"}, {"machine_id": "M2"}]
    scenario = load_scenario(write_scenario(tmp_path / "s", tables, settings_text(1)))
    p = build_scenario_problem(scenario, grade_scenario(scenario))
    m1 = next(j for j, m in enumerate(p.machines) if m.id == "M1")
    plan = _without_changeovers(p)
    plan = in_start_order(Schedule(p, (m1,) * len(p.operations), plan.start))
    assert _starts(plan) == {"A1": 0, "C1": 0, "A2": 30}
    machine_of = {o.id: p.machines[plan.machine[o.first_op]].id for o in p.orders}
    assert machine_of == {"A1": "M1", "C1": "M2", "A2": "M1"}


def test_the_bound_is_the_plant_without_changeovers_and_never_above_the_optimum(tmp_path: Path) -> None:
    # without the hour's switch: A1, A2 back to back, C1 60-90, 30 min late at weight 1 (tier
    # C); leaving any order out costs far more. With the switch the optimum is 90 (C1 from 120,
    # test_plant.py), so 30 is a true bound, and the plan found with changeovers is that 90.
    found = fit_all_start(_press(tmp_path / "s", horizon_days=1), SolverSettings(5.0, 1), 5.0, StopRequest())
    assert found.summary.status == "OPTIMAL" and found.bound == 30
    assert found.plans and found.plans[0].tier_cost() == 90


def test_in_start_order_breaks_a_tie_between_two_other_machines(tmp_path: Path) -> None:
    # three presses: C1 could start at once on M2 or M3 (both end at 30): the first listed;
    # A2 then starts at once on the last free one
    tables = changeover_shop()
    tables["routings"] += [{**r, "machine_id": m} for m in ("M2", "M3") for r in tables["routings"]]
    tables["machines"] = [{"machine_id": m} for m in ("M1", "M2", "M3")]
    scenario = load_scenario(write_scenario(tmp_path / "s", tables, settings_text(1)))
    p = build_scenario_problem(scenario, grade_scenario(scenario))
    m1 = next(j for j, m in enumerate(p.machines) if m.id == "M1")
    plan = in_start_order(Schedule(p, (m1,) * len(p.operations), _without_changeovers(p).start))
    assert _starts(plan) == {"A1": 0, "C1": 0, "A2": 0}
    machine_of = {o.id: p.machines[plan.machine[o.first_op]].id for o in p.orders}
    assert machine_of == {"A1": "M1", "C1": "M2", "A2": "M3"}


def test_the_step_runs_only_when_the_best_start_misses_one_order(tmp_path: Path) -> None:
    p = _press(tmp_path / "s", horizon_days=1)
    plan = _without_changeovers(p)
    one_out = Schedule(p, (0, 0, -1), (0, 30, -1))
    two_out = Schedule(p, (0, -1, -1), (0, -1, -1))
    assert [wanted(p, s) for s in (plan, one_out, two_out)] == [False, True, False]
