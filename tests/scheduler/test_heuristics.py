"""Dispatch rules, material choice, insertion repair and left-shifting on hand-made plans."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from scenarios.contract.model import load_scenario
from scenarios.pipelines.schedule import build_scenario_problem, grade_scenario
from scheduler.compact import left_shift
from scheduler.dispatch import dispatch, material_selection
from scheduler.insertion import insert_unscheduled
from scheduler.problem import ProblemData, StabilityPrices
from scheduler.rules import RULE_NAMES
from scheduler.schedule import Schedule
from tests.helpers import at, customers, one_machine_shop, order_row, write_scenario
from tests.helpers.plants import three_machine_shop


def problem_of(folder: Path, tables: dict) -> ProblemData:
    scenario = load_scenario(write_scenario(folder, tables))
    return build_scenario_problem(scenario, grade_scenario(scenario))


def order(oid: str, customer: str, quantity: int, due: float = 1000, release: float = 0) -> dict:
    return order_row(oid, quantity, due, release, customer)


def by_id(problem: ProblemData) -> dict[str, int]:
    return {o.id: i for i, o in enumerate(problem.orders)}


def test_insertion_fills_a_gap_and_waits_for_stock(tmp_path: Path) -> None:
    tables = one_machine_shop(
        [order("O1", "c", 60), order("O2", "c", 60), order("O3", "c", 100)],
        materials=[{"material_id": "X", "on_hand": 14.0}],
        receipts=[{"material_id": "X", "arrival": at(100), "quantity": 10.0}],
        bom=[{"product_id": "P", "material_id": "X", "quantity_per_unit": 0.1}],
    )
    p = problem_of(tmp_path / "s", tables)
    ids = by_id(p)
    ops = {oid: p.orders[i].first_op for oid, i in ids.items()}
    machine, start = [-1] * 3, [-1] * 3
    machine[ops["O1"]], start[ops["O1"]] = 0, 0  # 0-60, takes 6 of X
    machine[ops["O2"]], start[ops["O2"]] = 0, 200  # 200-260, takes 6 of X
    plan = Schedule(p, tuple(machine), tuple(start))
    repaired = insert_unscheduled(plan)
    # O3 needs 10 of X: 14 - 6 = 8 left until the receipt at minute 100, then 18 (and O2 still gets
    # its 6 at minute 200); the gap 60..200 holds O3's 100 minutes from minute 100
    assert repaired.machine[ops["O3"]] == 0 and repaired.start[ops["O3"]] == 100
    assert repaired.start[ops["O1"]] == 0 and repaired.start[ops["O2"]] == 200  # nothing planned moved


def test_insertion_leaves_out_what_does_not_fit(tmp_path: Path) -> None:
    tables = one_machine_shop([order("O1", "c", 60), order("O2", "c", 60), order("O3", "c", 150)])
    p = problem_of(tmp_path / "s", tables)
    ops = {o.id: o.first_op for o in p.orders}
    machine, start = [-1] * 3, [-1] * 3
    machine[ops["O1"]], start[ops["O1"]] = 0, 0
    machine[ops["O2"]], start[ops["O2"]] = 0, 200
    repaired = insert_unscheduled(Schedule(p, tuple(machine), tuple(start)))
    assert repaired.start[ops["O3"]] == 260  # after O2: the gap 60..200 is too short


def test_material_choice_by_penalty_per_share_of_stock(tmp_path: Path) -> None:
    tables = one_machine_shop(
        [order("OA", "top", 10), order("OC1", "low", 5), order("OC2", "low", 5), order("FREE", "low", 3)],
        customers=customers({"top": "A", "low": "C"}),
        materials=[{"material_id": "X", "on_hand": 10.0}],
        bom=[{"product_id": "P", "material_id": "X", "quantity_per_unit": 1.0}],
    )
    p = problem_of(tmp_path / "s", tables)
    ids = {i: o.id for i, o in enumerate(p.orders)}
    left_out = {ids[i] for i in material_selection(p, "wspt", set())}
    # A: penalty 4x over 100 % of the stock beats C: 1x over 50 %, per unit of stock
    assert "OA" not in left_out and len(left_out & {"OC1", "OC2", "FREE"}) >= 2
    for rule in RULE_NAMES:
        plan = dispatch(p, rule)
        assert plan.is_scheduled(by_id(p)["OA"]), rule


def test_dispatch_promises_scarce_material_in_the_allocations_order(tmp_path: Path) -> None:
    # A (weight 4) and C (weight 1) each need 10 kg for 100 minutes, due at 100; 10 kg on
    # hand, 10 more at minute 600. ATC promises the stock to A; an allocation that gives C
    # the stock on hand and A the receipt turns that round, whatever the rule's priority.
    tables = one_machine_shop(
        [order("A1", "a", 100, due=100), order("C1", "c", 100, due=100)],
        customers=customers({"a": "A", "c": "C"}),
        materials=[{"material_id": "K", "on_hand": 10}],
        receipts=[{"material_id": "K", "arrival": at(600), "quantity": 10.0}],
        bom=[{"product_id": "P", "material_id": "K", "quantity_per_unit": 0.1, "step": 10}],
    )
    problem = problem_of(tmp_path, tables)
    ids = by_id(problem)
    a, c = problem.orders[ids["A1"]].first_op, problem.orders[ids["C1"]].first_op
    own = dispatch(problem, "atc")
    assert (own.start[a], own.start[c]) == (0, 600)
    allocated = dispatch(problem, "atc", supply_from={ids["C1"]: -1, ids["A1"]: 600})
    assert (allocated.start[a], allocated.start[c]) == (600, 0)


def test_left_shift_removes_idle_time_and_keeps_order(tmp_path: Path) -> None:
    tables = one_machine_shop(
        [order("O1", "c", 30), order("O2", "c", 30, release=10)],
        downtime=[{"machine_id": "M1", "start": at(40), "end": at(50)}],
    )
    p = problem_of(tmp_path / "s", tables)
    ops = {o.id: o.first_op for o in p.orders}
    machine, start = [0, 0], [0, 0]
    start[ops["O1"]], start[ops["O2"]] = 100, 300
    shifted = left_shift(Schedule(p, tuple(machine), tuple(start)))
    assert shifted.start[ops["O1"]] == 0
    assert shifted.start[ops["O2"]] == 50  # not 30: 30..60 would run into the downtime at 40


@pytest.mark.parametrize("rule", RULE_NAMES)
def test_every_rule_respects_release_and_downtime(tmp_path: Path, rule: str) -> None:
    tables = one_machine_shop(
        [order(f"O{i}", "c", 20 + i, due=100 + 10 * i, release=5 * i) for i in range(6)],
        downtime=[{"machine_id": "M1", "start": at(30), "end": at(90)}],
    )
    p = problem_of(tmp_path / "s", tables)
    plan = dispatch(p, rule)
    for o in p.orders:
        k = o.first_op
        assert plan.start[k] >= o.release
        assert plan.end[k] <= 30 or plan.start[k] >= 90


@pytest.mark.parametrize(
    ("down_until", "priced", "expected", "why"),
    [
        (300, True, 1, "M1 ends it 300 minutes later than M2: within the 480 minutes a change costs"),
        (1000, True, 2, "M1 ends it 1,000 minutes later: the change costs less than the wait"),
        (300, False, 2, "moves not priced: the machine that ends it first"),
    ],
)
def test_a_re_plans_dispatch_keeps_work_on_its_machine_while_the_wait_costs_less_than_a_change(
    down_until: int, priced: bool, expected: int, why: str
) -> None:
    # one weight-1 order, one step of 60 minutes on M1 or M2, planned on M1 before; M1 is now
    # down from 0 until ``down_until``. A machine change costs 480 weighted minutes by default.
    problem = three_machine_shop({1: (0, down_until)}, [[[(1, 60), (2, 60)]]], {0: (1, 0)})
    problem = replace(problem, stability=StabilityPrices() if priced else problem.stability)
    plan = dispatch(problem, "atc", keep_machines=True)
    assert plan.machine[0] == expected, why
    assert plan.start[0] == (down_until if expected == 1 else 0)
    assert dispatch(problem, "atc").machine[0] == 2  # the plain rule takes the first to end it
