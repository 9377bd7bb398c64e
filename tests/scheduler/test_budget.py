"""Re-planning within a cost budget: the cap binds CP-SAT and the neighbourhoods alike."""

from __future__ import annotations

import random
from dataclasses import replace

import pytest

from scenarios.pipelines.schedule import build_scenario_problem, grade_scenario
from scheduler.budget import TIE_BREAK, capped, moves_nearly_free, phase_limits, rebound
from scheduler.cpsat.model import CpSatModel, SolverSettings
from scheduler.dispatch import dispatch
from scheduler.insertion import insert_unscheduled
from scheduler.lns import HeldInTime, choose_orders, improve
from scheduler.objectives import COST
from scheduler.problem import ProblemData, StabilityPrices
from scheduler.schedule import Schedule
from scheduler.stop import StopRequest
from tests.helpers.plants import seeded_plant, small_plant


def _replanned(problem: ProblemData, before: Schedule) -> ProblemData:
    """``problem`` re-planned against ``before`` with the default prices on moves."""
    places = enumerate(zip(before.machine, before.start, strict=True))
    previous = {k: (m, s) for k, (m, s) in places if m >= 0}
    return replace(problem, previous=previous, stability=StabilityPrices())


def test_cpsat_finds_nothing_under_a_cap_below_the_optimum_and_stays_under_one_at_it() -> None:
    scenario = small_plant(6, seed=2, machines=2, objective="weighted_tardiness", time_limit=10)
    free = build_scenario_problem(scenario, grade_scenario(scenario))
    optimum = CpSatModel(free).solve_round(COST, SolverSettings(20.0, 1, 0), 20.0)
    assert optimum.status == "OPTIMAL" and optimum.schedule is not None
    cost = optimum.schedule.tier_cost()
    assert cost > 0  # else a cap below it means nothing
    before = insert_unscheduled(dispatch(free, "wspt"))
    stable = _replanned(free, before)
    below = CpSatModel(capped(stable, cost * 0.999, 0.0)).solve_round(COST, SolverSettings(20.0, 1, 0), 20.0)
    assert below.schedule is None and below.status == "INFEASIBLE"
    at = CpSatModel(capped(stable, cost, 0.0)).solve_round(COST, SolverSettings(20.0, 1, 0), 20.0)
    assert at.schedule is not None and at.schedule.tier_cost() <= cost + 1e-6


def test_neighbourhoods_never_leave_the_cap_and_move_work_back() -> None:
    scenario = seeded_plant(40)
    free = build_scenario_problem(scenario, grade_scenario(scenario))
    before = insert_unscheduled(dispatch(free, "atc"))
    cheapest = insert_unscheduled(dispatch(free, "edd"))  # on this plant cheaper than ATC
    assert cheapest.tier_cost() < before.tier_cost()  # so moving back to it costs lateness
    problem = capped(_replanned(free, before), cheapest.tier_cost(), 0.0)  # no lateness for moves
    (start,) = rebound({"atc": cheapest}, problem).values()
    assert start.moves.machine > 0  # the two rules disagree: there is work to move back
    moved = {
        problem.operations[k].order
        for k, (m, s) in problem.previous.items()
        if (start.machine[k], start.start[k]) != (m, s)
    }
    for seed in range(5):  # the "moved" kind starts from an order that moved
        assert choose_orders(problem, start, "moved", 6, random.Random(seed)) & moved
    better, _, improved = improve(start, SolverSettings(6.0, 1, 0), 6.0)
    assert problem.cost_cap is not None and better.tier_cost() <= problem.cost_cap + 1e-6
    objective = "weighted_tardiness"  # with moves priced: cost plus the moves' price
    assert better.objective_vector(objective) <= start.objective_vector(objective)
    assert (improved > 0) == (better.objective_vector(objective) < start.objective_vector(objective))


def test_plans_over_the_cap_are_left_out_and_the_first_phase_prices_moves_at_a_hundredth() -> None:
    scenario = seeded_plant(40)
    free = build_scenario_problem(scenario, grade_scenario(scenario))
    edd, atc = (insert_unscheduled(dispatch(free, rule)) for rule in ("edd", "atc"))
    low, high = sorted((edd, atc), key=lambda plan: plan.tier_cost())
    assert low.tier_cost() < high.tier_cost()
    problem = _replanned(free, edd)
    assert set(rebound({"low": low, "high": high}, capped(problem, low.tier_cost(), 0.0))) == {"low"}
    nearly_free = moves_nearly_free(problem)
    assert nearly_free.stability.values == tuple(v * TIE_BREAK for v in problem.stability.values)
    full = rebound({"atc": atc}, problem)["atc"].stability_cost()
    assert full > 0
    assert rebound({"atc": atc}, nearly_free)["atc"].stability_cost() == pytest.approx(full * TIE_BREAK)


def test_the_phases_share_the_time() -> None:
    assert phase_limits(30.0, 0.0, True) == (15.0, 15.0)  # work units: each phase its share
    first, last = phase_limits(30.0, 10.0, False)  # moments from the run's start
    assert (first, last) == (20.0, 30.0)


def test_with_priced_moves_every_other_step_brings_moved_work_back() -> None:
    scenario = seeded_plant(40)
    free = build_scenario_problem(scenario, grade_scenario(scenario))
    replan = _replanned(free, insert_unscheduled(dispatch(free, "atc")))
    settings = SolverSettings(1.0, 1, 0)
    kinds = HeldInTime(replan, settings, StopRequest(), "weighted_tardiness", random.Random(0))
    held = HeldInTime(free, settings, StopRequest(), "weighted_tardiness", random.Random(0))
    for kind in ("material", "time", "costly"):  # no gains reported: the kinds in turn
        kinds.kinds.reward(kind, 0.0, 1.0)
    drawn = [kinds.next_kind() for _ in range(10)]
    assert drawn[0::2] == ["moved"] * 5
    assert drawn[1::2] == ["material", "time", "costly", "material", "time"]
    assert [held.next_kind() for _ in range(4)] == ["material", "time", "costly", "material"]
