"""Starting plans: the rules, then ATC with the bound's material choice and other look-aheads."""

from __future__ import annotations

import time

from scenarios.pipeline import build_scenario_problem, grade_scenario, make_plan, solve_options
from scheduler.bounds import cost_lower_bound
from scheduler.construct import ATC_SWEEP, starting_plans
from scheduler.dispatch import RULES, dispatch
from scheduler.insertion import insert_unscheduled
from scheduler.stop import StopRequest
from tests.scheduler.test_lns import plant


def test_weighted_tardiness_starts_from_every_rule_and_every_look_ahead() -> None:
    scenario = plant(60)  # one worker: everything runs, whatever the clock says
    problem = build_scenario_problem(scenario, grade_scenario(scenario))
    starts = starting_plans(problem, solve_options(scenario), StopRequest(), time.perf_counter())
    sweep = [name for name in starts.plans if name.startswith("atc(")]
    assert set(RULES) <= set(starts.plans)
    assert [float(name[6:].split(")")[0]) for name in sweep][-len(ATC_SWEEP) :] == list(ATC_SWEEP)
    assert starts.floor == cost_lower_bound(problem)


def test_the_plan_is_no_worse_than_the_best_start_and_the_rules_are_reported_alone() -> None:
    scenario = plant(60, time_limit=2.0)
    plan = make_plan(scenario, solve_options(scenario))
    problem = plan.result.schedule.problem
    starts = starting_plans(problem, solve_options(scenario), StopRequest(), time.perf_counter())
    best_start = min(s.objective_value("weighted_tardiness") for s in starts.plans.values())
    assert plan.result.objective <= best_start
    assert set(plan.tables.summary["solver"]["dispatch_rules"]) == set(RULES)


def test_a_rule_alone_is_just_that_rule() -> None:
    scenario = plant(30)
    problem = build_scenario_problem(scenario, grade_scenario(scenario))
    options = solve_options(scenario, solver="dispatch:atc")
    starts = starting_plans(problem, options, StopRequest(), time.perf_counter())
    assert list(starts.plans) == ["atc"] and starts.floor is None
    assert starts.plans["atc"] == insert_unscheduled(dispatch(problem, "atc"))
