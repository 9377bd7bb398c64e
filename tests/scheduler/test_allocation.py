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


def test_an_order_that_others_wait_for_is_not_the_one_to_leave(tmp_path: Path) -> None:
    # K1 holds 10 kg; X (tier C) and Z (tier B) need 10 kg each: one of them leaves. Y (tier A,
    # 5 kg of K2, of which there is enough) waits for X (after_order). All three are due at
    # 600 and each alone ends by 20. Leaving X out leaves Y out too: 1 x 2280 + 4 x 2280
    # (penalty: weight x (horizon - due + horizon)), against 2 x 2280 for Z alone, so Z leaves
    # in the greedy allocation, the covering and the timed-supply model, and the bound is
    # Z's penalty, which a plan meets (X 0-10, Y 10-15, both on time).
    from scheduler.bounds import search_free_bound
    from tests.helpers import make_plan_for, two_material_shop

    rows = [
        order_row("X", 10, due=600, customer="c", product="P1"),
        order_row("Z", 10, due=600, customer="b", product="P1"),
        order_row("Y", 5, due=600, customer="a", product="P2", after_order="X"),
    ]
    tables = two_material_shop(rows, on_hand=10, customers=customers({"a": "A", "b": "B", "c": "C"}))
    problem = _problem(tmp_path / "shop", tables)
    floors, possible = order_floors(problem)
    penalty = (1440 - 600) + 1440
    greedy = greedy_allocation(problem, floors, supply_uses(problem, floors, possible))
    assert _ids(problem, greedy.left_out) == {"Z"} and greedy.cost == 2 * penalty
    covering = material_choice(problem, floors, possible, 5.0, workers=1)
    assert _ids(problem, covering.left_out) == {"Z"} and covering.extra_cost == 2 * penalty
    timed = timed_supply_choice(problem, floors, possible, 5.0, workers=1)
    assert _ids(problem, timed.left_out) == {"Z"} and timed.extra_cost == 2 * penalty
    assert search_free_bound(problem)[0] == 2 * penalty
    plan = make_plan_for(tmp_path / "plan", tables, settings_text(horizon_days=1, time_limit_s=10))
    assert plan.tables.summary["objective_value"] == 2 * penalty
    assert plan.tables.summary["status"] == "optimal"


def test_an_order_left_out_takes_the_orders_waiting_for_it_along(tmp_path: Path) -> None:
    # 10 kg of K1 and of K2; X and Z (tier C) need 10 kg of K1 each, W (tier C) 5 kg of K2 and
    # waits for X, V (tier C) 6 kg of K2. With X left out (as a covering may choose), the
    # greedy allocation leaves W out with it and gives K2 to V and K1 to Z; the allocation's
    # cost counts both penalties.
    from tests.helpers import two_material_shop

    rows = [
        order_row("X", 10, due=600, customer="c", product="P1"),
        order_row("Z", 10, due=600, customer="c", product="P1"),
        order_row("W", 5, due=600, customer="c", product="P2", after_order="X"),
        order_row("V", 6, due=600, customer="c", product="P2"),
    ]
    tables = two_material_shop(rows, on_hand=10, customers=customers({"c": "C"}))
    problem = _problem(tmp_path, tables)
    floors, possible = order_floors(problem)
    data = supply_uses(problem, floors, possible)
    assert data is not None
    kept = greedy_allocation(problem, floors, data, left_out=frozenset({_index(problem, "X")}))
    assert _ids(problem, kept.left_out) == {"X", "W"}
    assert {problem.orders[data.uses[u].order].id for u in kept.chosen} == {"Z", "V"}
    assert kept.cost == 2 * ((1440 - 600) + 1440)


def _index(problem: ProblemData, order_id: str) -> int:
    return next(i for i, o in enumerate(problem.orders) if o.id == order_id)
