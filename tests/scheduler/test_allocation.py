"""The greedy allocation of scarce material: hand-derived shops, and on generated plants an
allocation that the supply allows and that costs no less than the proven optimum."""

from __future__ import annotations

from pathlib import Path

import pytest

from scheduler.allocation import greedy_allocation
from scheduler.bounds import material_choice, timed_supply_choice
from scheduler.floors import order_floors, supply_uses
from scheduler.problem import ProblemData
from tests.helpers import at, customers, one_machine_shop, order_row, settings_text, write_scenario
from tests.helpers.plants import small_plant


def _problem(folder: Path, tables: dict) -> ProblemData:
    from scenarios.contract.model import load_scenario
    from scenarios.pipelines.schedule import build_scenario_problem, grade_scenario

    scenario = load_scenario(write_scenario(folder, tables, settings_text(horizon_days=1)))
    return build_scenario_problem(scenario, grade_scenario(scenario))


def _three_order_shop(arriving: float) -> dict:
    """A1 (tier A, weight 4) and C1 (tier C, weight 1) are due at 100, L1 (tier C) at 1,300;
    each needs 10 kg for 100 minutes' work. 10 kg on hand, ``arriving`` kg at minute 600."""
    return one_machine_shop(
        [
            order_row("A1", 100, due=100, customer="a"),
            order_row("C1", 100, due=100, customer="c"),
            order_row("L1", 100, due=1300, customer="c"),
        ],
        customers=customers({"a": "A", "c": "C"}),
        materials=[{"material_id": "K", "on_hand": 10}],
        receipts=[{"material_id": "K", "arrival": at(600), "quantity": arriving}],
        bom=[{"product_id": "P", "material_id": "K", "quantity_per_unit": 0.1, "step": 10}],
    )


def _ids(problem: ProblemData, orders: object) -> dict[str, int] | set[str]:
    if isinstance(orders, dict):
        return {problem.orders[i].id: minute for i, minute in orders.items()}
    return {problem.orders[i].id for i in orders}  # type: ignore[attr-defined]


def test_stock_on_hand_goes_to_the_order_that_cannot_wait(tmp_path: Path) -> None:
    # 30 kg arrive in all, enough for everyone: A1 waiting until 600 would cost 4 x 600,
    # C1 600 and L1 nothing (it ends at 700, due at 1,300). The best allocation gives A1 the
    # stock on hand and lets both others wait: 600 above the floors, as the model proves.
    problem = _problem(tmp_path, _three_order_shop(arriving=20))
    floors, possible = order_floors(problem)
    greedy = greedy_allocation(problem, floors, supply_uses(problem, floors, possible))
    assert greedy.cost == 600 and greedy.left_out == frozenset()
    choice = timed_supply_choice(problem, floors, possible, 0.0)  # no time: the greedy alone
    assert _ids(problem, choice.supply_from) == {"A1": -1, "C1": 600, "L1": 600}
    assert timed_supply_choice(problem, floors, possible, 5.0, workers=1).extra_cost == 600


def test_the_orders_the_covering_leaves_stay_out(tmp_path: Path) -> None:
    # only 20 kg in all: one order must leave. L1 costs least to leave (penalty 1 x (140 +
    # 1,440) = 1,580, against C1's 2,780); then A1 takes the stock on hand and C1 waits: 2,180
    problem = _problem(tmp_path, _three_order_shop(arriving=10))
    floors, possible = order_floors(problem)
    covering = material_choice(problem, floors, possible, workers=1)
    assert _ids(problem, covering.left_out) == {"L1"}
    choice = timed_supply_choice(problem, floors, possible, 0.0, left_out=covering.left_out)
    assert _ids(problem, choice.left_out) == {"L1"}
    assert _ids(problem, choice.supply_from) == {"A1": -1, "C1": 600}
    greedy = greedy_allocation(problem, floors, supply_uses(problem, floors, possible), covering.left_out)
    assert greedy.cost == 2180


@pytest.mark.parametrize(("orders", "seed"), [(6, 0), (8, 1), (8, 2), (8, 5), (6, 7), (30, 3)])
def test_the_greedy_allocation_fits_the_supply_and_never_beats_the_optimum(orders: int, seed: int) -> None:
    from scenarios.pipelines.schedule import build_scenario_problem, grade_scenario

    scenario = small_plant(orders=orders, seed=seed, machines=3, objective="weighted_tardiness", time_limit=5)
    problem = build_scenario_problem(scenario, grade_scenario(scenario))
    floors, possible = order_floors(problem)
    data = supply_uses(problem, floors, possible)
    assert data is not None
    covering = material_choice(problem, floors, possible, workers=1)
    greedy = greedy_allocation(problem, floors, data, covering.left_out)
    assert covering.left_out <= greedy.left_out
    for m, periods in data.periods.items():
        supply = problem.materials[m]
        for r, (first, _) in enumerate(periods):
            used = sum(
                d.quantity
                for u, d in enumerate(data.uses)
                if d.material == m and greedy.chosen.get(u, r + 1) <= r
            )
            assert used <= supply.supply_until(max(first, 0))
    for u, d in enumerate(data.uses):  # every use of an order that stays has its period
        assert (u in greedy.chosen) != (d.order in greedy.left_out)
    proven = timed_supply_choice(problem, floors, possible, 20.0, workers=1)
    assert proven.extra_cost <= greedy.cost + 1e-6
