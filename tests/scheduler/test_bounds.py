"""The lower bound that needs no search: hand-checked values, and never above a proven optimum."""

from __future__ import annotations

from pathlib import Path

import pytest

from scheduler.bounds import cost_lower_bound
from scheduler.floors import MaterialChoice
from tests.helpers import (
    at,
    customers,
    make_plan_for,
    one_machine_shop,
    order_row,
    settings_text,
    two_material_shop,
)
from tests.helpers.plants import small_plant

HORIZON = 1440  # one day


def _problem_and_plan(tmp_path: Path, tables: dict) -> tuple:
    plan = make_plan_for(tmp_path, tables, settings_text(horizon_days=1, time_limit_s=10))
    return plan.result.schedule.problem, plan


def test_an_order_due_before_it_can_end_costs_at_least_its_lateness(tmp_path: Path) -> None:
    # 100 units at 1 min/unit released at 0, due at 50: at least 50 min late, tier C weight 1
    problem, plan = _problem_and_plan(tmp_path, one_machine_shop([order_row("O1", 100, due=50)]))
    assert cost_lower_bound(problem) == 50
    assert plan.tables.summary["best_bound"] == 50
    assert plan.tables.summary["objective_value"] == 50


def test_two_orders_competing_for_one_machine_have_no_lower_bound_from_orders_alone(tmp_path: Path) -> None:
    tables = one_machine_shop([order_row("O1", 60, due=60), order_row("O2", 60, due=60)])
    problem, plan = _problem_and_plan(tmp_path, tables)
    assert cost_lower_bound(problem) == 0  # each alone is on time
    assert plan.tables.summary["objective_value"] == 60  # one of them waits an hour


def test_scarce_material_forces_the_cheapest_order_out(tmp_path: Path) -> None:
    # two orders need 10 kg each, 10 kg in stock: one is left out. Tier A weighs 4, C 1;
    # the penalty is weight x (max(0, horizon - due) + horizon) with due at minute 600.
    tables = one_machine_shop(
        [order_row("O1", 10, due=600, customer="a"), order_row("O2", 10, due=600, customer="c")],
        customers=customers({"a": "A", "c": "C"}),
        materials=[{"material_id": "K", "on_hand": 10}],
        bom=[{"product_id": "P", "material_id": "K", "quantity_per_unit": 1, "step": 10}],
    )
    problem, plan = _problem_and_plan(tmp_path, tables)
    c_penalty = 1 * ((HORIZON - 600) + HORIZON)
    assert cost_lower_bound(problem) == c_penalty
    assert plan.tables.summary["objective_value"] == c_penalty
    assert plan.tables.summary["status"] == "optimal"


def test_every_scarce_material_forces_its_own_orders_out(tmp_path: Path) -> None:
    # two materials, 10 kg of each; a tier C and a tier A order need each: both C orders go
    # (one order's penalty per material would be the bound if materials were taken one by one)
    rows = [
        order_row("C1", 10, due=600, customer="c", product="P1"),
        order_row("A1", 10, due=600, customer="a", product="P1"),
        order_row("C2", 10, due=600, customer="c", product="P2"),
        order_row("A2", 10, due=600, customer="a", product="P2"),
    ]
    tables = two_material_shop(rows, on_hand=10, customers=customers({"a": "A", "c": "C"}))
    problem, plan = _problem_and_plan(tmp_path, tables)
    c_penalty = 1 * ((HORIZON - 600) + HORIZON)
    assert cost_lower_bound(problem) == 2 * c_penalty
    assert plan.tables.summary["objective_value"] == 2 * c_penalty
    assert plan.tables.summary["best_bound"] == 2 * c_penalty


@pytest.mark.parametrize("seed", range(6))
def test_never_above_a_proven_optimum_on_small_plants(seed: int) -> None:
    from scenarios.contract.errors import NoFeasiblePlanError
    from scenarios.pipelines.schedule import make_plan, solve_options

    scenario = small_plant(orders=6, seed=seed, machines=3, objective="weighted_tardiness", time_limit=20)
    try:
        plan = make_plan(scenario, solve_options(scenario))
    except NoFeasiblePlanError:
        pytest.skip("no plan at all")
    problem = plan.result.schedule.problem
    floor = cost_lower_bound(problem)
    assert floor <= plan.result.objective + 1e-6
    if plan.result.status == "optimal":
        assert plan.tables.summary["best_bound"] <= plan.result.objective + 1e-6


def test_the_cheapest_covering_becomes_a_start_where_the_rules_choose_greedily(tmp_path: Path) -> None:
    # 10 kg in stock; X (tier B, weight 2) needs 6 kg, Y and Z (tier C, order weight 1.5) 5 kg
    # each. Per kg X is worth most, so the rules keep X and leave Y and Z out (penalty 3 x
    # 2280); leaving X out instead costs 2 x 2280, and the covering problem finds that.
    from scheduler.bounds import search_free_bound
    from scheduler.dispatch import dispatch

    rows = [
        order_row("X", 6, due=600, customer="b"),
        order_row("Y", 5, due=600, customer="c", weight=1.5),
        order_row("Z", 5, due=600, customer="c", weight=1.5),
    ]
    tables = one_machine_shop(
        rows,
        customers=customers({"b": "B", "c": "C"}),
        materials=[{"material_id": "K", "on_hand": 10}],
        bom=[{"product_id": "P", "material_id": "K", "quantity_per_unit": 1, "step": 10}],
    )
    problem, plan = _problem_and_plan(tmp_path, tables)
    penalty = (HORIZON - 600) + HORIZON
    greedy = dispatch(problem, "atc")
    assert greedy.objective_value("weighted_tardiness") == 3 * penalty
    bound, choice = search_free_bound(problem)
    assert bound == 2 * penalty
    assert {problem.orders[i].id for i in choice.left_out} == {"X"}
    covered = dispatch(problem, "atc", left_out=choice.left_out)
    assert covered.objective_value("weighted_tardiness") == 2 * penalty
    assert plan.tables.summary["objective_value"] == 2 * penalty


def _receipt_wait_shop() -> dict:
    """A (weight 4) and C (weight 1) each need 10 kg for 100 minutes' work, due at 100;
    10 kg on hand, 10 more arrive at minute 600."""
    return one_machine_shop(
        [order_row("A1", 100, due=100, customer="a"), order_row("C1", 100, due=100, customer="c")],
        customers=customers({"a": "A", "c": "C"}),
        materials=[{"material_id": "K", "on_hand": 10}],
        receipts=[{"material_id": "K", "arrival": at(600), "quantity": 10.0}],
        bom=[{"product_id": "P", "material_id": "K", "quantity_per_unit": 0.1, "step": 10}],
    )


def test_an_order_that_must_wait_for_a_receipt_raises_the_bound(tmp_path: Path) -> None:
    # 10 kg on hand, 10 more arrive at minute 600; A (weight 4) and C (weight 1) each need
    # 10 kg for 100 minutes' work, due at 100. Either alone is on time and the horizon's
    # supply covers both, so neither the orders nor the covering give a bound; one of them
    # must wait for the receipt: C ends at 700 at the least, 600 minutes late.
    problem, plan = _problem_and_plan(tmp_path, _receipt_wait_shop())
    assert cost_lower_bound(problem) == 600
    assert plan.tables.summary["best_bound"] == 600
    assert plan.tables.summary["objective_value"] == 600


def test_the_timed_supply_allocation_gives_the_stock_on_hand_to_the_heavier_order(tmp_path: Path) -> None:
    # the same shop: the relaxation's best allocation lets A (weight 4) use the stock on
    # hand and C wait for the receipt at minute 600; nobody leaves
    from scheduler.bounds import timed_supply_choice
    from scheduler.floors import order_floors

    problem, _ = _problem_and_plan(tmp_path, _receipt_wait_shop())
    choice = timed_supply_choice(problem, *order_floors(problem), 5.0, workers=1)
    ids = {o.id: i for i, o in enumerate(problem.orders)}
    assert dict(choice.supply_from) == {ids["A1"]: -1, ids["C1"]: 600}
    assert choice.left_out == frozenset() and choice.extra_cost == 600


@pytest.mark.parametrize(("orders", "seed"), [(6, 0), (8, 1), (8, 2), (8, 5), (6, 7)])
def test_receipt_waits_raise_the_bound_but_never_above_a_plan(
    orders: int, seed: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    # generated plants whose scarce material arrives in receipts; the bound must stay at
    # or below every plan's cost, the proven optimum's included
    import scheduler.bounds
    from scenarios.pipelines.schedule import make_plan, solve_options

    scenario = small_plant(
        orders=orders, seed=seed, machines=3, objective="weighted_tardiness", time_limit=20
    )
    plan = make_plan(scenario, solve_options(scenario))
    problem = plan.result.schedule.problem
    bound = cost_lower_bound(problem, workers=1)
    assert bound <= plan.result.objective + 1e-6
    assert plan.tables.summary["best_bound"] <= plan.result.objective + 1e-6
    monkeypatch.setattr(scheduler.bounds, "timed_supply_choice", lambda *_: MaterialChoice())
    assert bound > cost_lower_bound(problem, workers=1)  # above the covering alone


def test_no_allocation_at_all_adds_nothing_to_the_bound(tmp_path: Path) -> None:
    # A1 is frozen at the plan start and takes 10 kg when only 5 are on hand: no plan
    # exists, the timed-supply model is infeasible, and its "bound" must not count
    from dataclasses import replace

    from scheduler.bounds import timed_supply_extra
    from scheduler.floors import order_floors

    problem, _ = _problem_and_plan(tmp_path, _receipt_wait_shop())
    k = problem.materials[0]
    frozen = replace(
        problem,
        fixed={problem.orders[0].first_op: (0, 0)},
        materials=(replace(k, on_hand=k.on_hand // 2),),
    )
    floors, possible = order_floors(frozen)
    assert timed_supply_extra(frozen, floors, possible, 5.0, workers=1) == 0.0
    assert timed_supply_extra(problem, *order_floors(problem), 5.0, workers=1) == 600


def test_a_plan_that_meets_the_search_free_bound_is_optimal(tmp_path: Path) -> None:
    # neighbourhoods only (no full model proves anything): the plan's 600 meets the bound's
    # 600, so it is optimal, and said so
    from unittest import mock

    with mock.patch("scheduler.solve.FULL_MODEL_MAX_OPERATIONS", 0):
        _, plan = _problem_and_plan(tmp_path, _receipt_wait_shop())
    s = plan.tables.summary
    assert s["solver"]["rounds"][0]["name"] == "neighbourhoods"
    assert (s["objective_value"], s["best_bound"], s["status"], s["gap"]) == (600, 600, "optimal", 0.0)


def test_the_live_bound_is_the_one_the_summary_gives(tmp_path: Path) -> None:
    # CP-SAT's own bound of the weighted round may lag behind the search-free floor: the
    # progress line shows the floor, as the summary will
    import time

    from scheduler.objectives import COST
    from scheduler.result import ProgressEvent
    from scheduler.solve import _reporter

    problem, _ = _problem_and_plan(tmp_path, _receipt_wait_shop())
    seen: list[ProgressEvent] = []
    report = _reporter(problem, COST, 0, 1, 10.0, time.perf_counter(), seen.append, floor=600.0)
    assert report is not None
    report(700.0, 0.0, 1.0)
    report(650.0, 610.0, 2.0)
    assert [(e.bound, round(e.gap or 0, 4)) for e in seen] == [
        (600.0, round(100 / 700, 4)),
        (610.0, round(40 / 650, 4)),
    ]
