"""Starting plans: the rules, then ATC with the bound's material choice and other look-aheads."""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import replace

from scenarios.pipelines.schedule import build_scenario_problem, grade_scenario, make_plan, solve_options
from scheduler.bounds import cost_lower_bound, material_choices
from scheduler.construct import _atc_variants, _machines_kept, look_aheads, starting_plans
from scheduler.dispatch import dispatch
from scheduler.floors import MaterialChoice
from scheduler.insertion import insert_unscheduled
from scheduler.problem import StabilityPrices
from scheduler.rules import RULE_NAMES
from scheduler.stop import StopRequest
from tests.helpers.plants import seeded_plant as plant
from tests.helpers.plants import three_machine_shop


def test_weighted_tardiness_starts_from_every_rule_and_the_best_look_ahead() -> None:
    scenario = plant(60)  # one worker: everything runs, whatever the clock says
    problem = build_scenario_problem(scenario, grade_scenario(scenario))
    starts = starting_plans(problem, solve_options(scenario), StopRequest(), time.perf_counter())
    searched = [name for name in starts.plans if name.startswith("atc(")]
    k = float(searched[0][6:].split(",")[0].split(")")[0])
    floor, covering, supply = material_choices(problem, workers=1)
    assert supply.supply_from and covering.left_out  # scarce material, some arriving in receipts

    def one_run(choice: MaterialChoice, k: float) -> float:
        left_out, supply_from = choice.left_out or None, choice.supply_from
        plan = dispatch(problem, "atc", left_out=left_out, lookahead=k, runs=1, supply_from=supply_from)
        return plan.objective_value("weighted_tardiness")

    # the choice cheaper at k = 2 leads the search; the other is a start at the k found
    lead, other = ("+supply", "+materials")
    if one_run(covering, 2.0) < one_run(supply, 2.0):
        lead, other = other, lead
    assert searched == [f"atc(k={k:g}, one run){lead}", f"atc(k={k:g}){lead}", f"atc(k={k:g}){other}"]
    assert set(RULE_NAMES) <= set(starts.plans)
    chosen = supply if lead == "+supply" else covering
    # the search always tries k = 2 and 4; its choice is no worse than either
    assert one_run(chosen, k) <= min(one_run(chosen, 2.0), one_run(chosen, 4.0))
    # the starts carry the whole search-free bound, timed supply included
    assert starts.floor == floor == cost_lower_bound(problem, workers=1)


def test_a_poor_allocation_does_not_lead_the_look_ahead_search() -> None:
    # an allocation that promises material backwards (the latest receipts first) loses to
    # the covering's choice at k = 2, so the search follows the covering
    scenario = plant(60)
    problem = build_scenario_problem(scenario, grade_scenario(scenario))
    _, covering, supply = material_choices(problem, workers=1)
    backwards = MaterialChoice(
        supply.extra_cost, supply.left_out, 0.0, {i: -t for i, t in supply.supply_from.items()}
    )
    plans: dict = {}
    _atc_variants(problem, covering, backwards, plans, StopRequest(), lambda *_: False)
    assert next(iter(plans)).endswith("+materials")
    assert any(name.endswith("+supply") for name in plans)


def test_the_plan_is_no_worse_than_the_best_start_and_the_rules_are_reported_alone() -> None:
    scenario = plant(60, time_limit=2.0)
    plan = make_plan(scenario, solve_options(scenario))
    problem = plan.result.schedule.problem
    starts = starting_plans(problem, solve_options(scenario), StopRequest(), time.perf_counter())
    best_start = min(s.objective_value("weighted_tardiness") for s in starts.plans.values())
    assert plan.result.objective <= best_start
    assert set(plan.tables.summary["solver"]["dispatch_rules"]) == set(RULE_NAMES)


def test_a_rule_alone_is_just_that_rule() -> None:
    scenario = plant(30)
    problem = build_scenario_problem(scenario, grade_scenario(scenario))
    options = solve_options(scenario, solver="dispatch:atc")
    starts = starting_plans(problem, options, StopRequest(), time.perf_counter())
    assert list(starts.plans) == ["atc"] and starts.floor is None
    assert starts.plans["atc"] == insert_unscheduled(dispatch(problem, "atc"))


def _searched(cost: Callable[[float], float], answers: int = 1000) -> list[float]:
    """The look-aheads the line search tries on ``cost`` (rounded), the clock running out
    after ``answers`` answers."""
    asked: list[float] = []

    def answer(k: float) -> float | None:
        if len(asked) >= answers:
            return None
        asked.append(round(k, 2))
        return cost(k)

    look_aheads(answer)
    return asked


def test_the_look_ahead_doubles_while_plans_get_cheaper_then_refines_around_the_best() -> None:
    assert _searched(lambda k: (math.log2(k) - 3) ** 2) == [2, 4, 8, 16, 32, 11.31, 5.66]


def test_the_look_ahead_search_looks_past_one_worse_doubling() -> None:
    bumpy = {2: 10.0, 4: 8.0, 8: 9.0, 16: 5.0, 32: 6.0, 64: 7.0}
    assert _searched(lambda k: bumpy.get(k, 20.0)) == [2, 4, 8, 16, 32, 64, 22.63, 11.31]


def test_the_look_ahead_halves_when_doubling_does_not_help_and_stays_in_range() -> None:
    assert _searched(lambda k: k) == [2, 4, 8, 1, 0.5, 0.25, 0.35]


def test_the_look_ahead_search_stops_when_time_is_up() -> None:
    assert _searched(lambda k: -k, answers=3) == [2, 4, 8]


def test_a_re_plan_gets_a_start_that_keeps_machines() -> None:
    # one weight-1 order, one step of 60 minutes on M1 or M2, planned on M1 before; M1 is now
    # down until 300: ATC ends it on M2 at 60, keeping machines on M1 at 360 (grace 480)
    problem = three_machine_shop({1: (0, 300)}, [[[(1, 60), (2, 60)]]], {0: (1, 0)})
    problem = replace(problem, stability=StabilityPrices())
    plans = {"atc": insert_unscheduled(dispatch(problem, "atc"))}
    _machines_kept(problem, MaterialChoice(), 2.0, plans, StopRequest(), lambda *_: False)
    assert list(plans) == ["atc", "atc(k=2), machines kept"]
    assert (plans["atc"].machine[0], plans["atc(k=2), machines kept"].machine[0]) == (2, 1)


def test_a_plan_that_is_no_re_plan_gets_no_kept_machines_start() -> None:
    problem = three_machine_shop({1: (0, 300)}, [[[(1, 60), (2, 60)]]], {})
    plans = {"atc": insert_unscheduled(dispatch(problem, "atc"))}
    _machines_kept(problem, MaterialChoice(), 2.0, plans, StopRequest(), lambda *_: False)
    assert list(plans) == ["atc"]
