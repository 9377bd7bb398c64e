"""Every plan the solvers return, on many small generated plants, passes the independent checker."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from scenarios.contract.errors import NoFeasiblePlanError
from scenarios.contract.model import Scenario
from scenarios.pipelines.schedule import check_context, make_plan, solve_options
from scheduler.check import check_plan
from scheduler.dispatch import dispatch
from scheduler.objectives import OBJECTIVES
from scheduler.rules import RULE_NAMES
from tests.helpers.plants import small_plant

pytestmark = pytest.mark.slow


def assert_holds(scenario: Scenario, solver: str) -> None:
    try:
        plan = make_plan(scenario, solve_options(scenario, solver=solver))  # raises if the check fails
    except NoFeasiblePlanError as exc:
        assert exc.diagnosis[0] == "no order can be scheduled within the limits:"
        return
    t = plan.tables
    assert check_plan(check_context(scenario, plan.tiers), t.schedule, t.orders, t.materials, t.summary) == []
    if solver == "cpsat":  # never worse than the best dispatch rule
        objective = scenario.settings.solve.objective
        problem = plan.result.schedule.problem
        best_rule = min(dispatch(problem, rule).objective_vector(objective) for rule in RULE_NAMES)
        assert plan.result.schedule.objective_vector(objective) <= best_rule


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    orders=st.integers(3, 14),
    seed=st.integers(0, 100_000),
    machines=st.integers(2, 6),
    objective=st.sampled_from(OBJECTIVES),
)
def test_cpsat_plans_pass_the_checker(orders: int, seed: int, machines: int, objective: str) -> None:
    assert_holds(small_plant(orders, seed, machines, objective, 0.5), "cpsat")


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    orders=st.integers(3, 40),
    seed=st.integers(0, 100_000),
    machines=st.integers(2, 8),
    rule=st.sampled_from(RULE_NAMES),
)
def test_dispatch_plans_pass_the_checker(orders: int, seed: int, machines: int, rule: str) -> None:
    assert_holds(small_plant(orders, seed, machines, "weighted_tardiness", 1), f"dispatch:{rule}")
