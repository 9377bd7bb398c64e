"""Inputs at the edges of the contract still give checked plans."""

from __future__ import annotations

from pathlib import Path

from tests.helpers import (
    at,
    customers,
    make_plan_for,
    minutes,
    one_machine_shop,
    order_row,
    rows_by_order,
    settings_text,
)


def order(oid: str, quantity: int, due: float, release: float | None = None, customer: str = "c") -> dict:
    return order_row(oid, quantity, due, release, customer)


def test_no_orders_gives_an_empty_plan(tmp_path: Path) -> None:
    tables = one_machine_shop([])
    tables["orders"] = __import__("pandas").DataFrame(
        columns=["order_id", "customer_id", "product_id", "quantity", "due"]
    )
    plan = make_plan_for(tmp_path / "s", tables)
    assert plan.tables.schedule.empty and plan.tables.summary["kpis"]["all"]["orders"] == 0


def test_zero_duration_steps(tmp_path: Path) -> None:
    routings = [
        {"product_id": "P", "step": 1, "machine_id": "M1", "minutes_per_unit": 0.0},
        {"product_id": "P", "step": 2, "machine_id": "M1", "minutes_per_unit": 1.0},
    ]
    tables = one_machine_shop(
        [order("O1", 10, 100), order("O2", 10, 100)],
        routings=routings,
        downtime=[{"machine_id": "M1", "start": at(5), "end": at(12)}],
    )
    plan = make_plan_for(tmp_path / "s", tables)
    assert plan.tables.summary["kpis"]["all"]["unscheduled"] == 0


def test_times_before_the_plan_start(tmp_path: Path) -> None:
    tables = one_machine_shop(
        [order("OVERDUE", 30, due=-600, release=-900), order("LATER", 30, due=200)],
        materials=[{"material_id": "X", "on_hand": 0.0}],
        receipts=[{"material_id": "X", "arrival": at(-60), "quantity": 60.0}],
        bom=[{"product_id": "P", "material_id": "X", "quantity_per_unit": 1.0}],
    )
    plan = make_plan_for(tmp_path / "s", tables)
    rows = rows_by_order(plan)
    assert rows["OVERDUE"]["status"] == "scheduled" and rows["LATER"]["status"] == "scheduled"
    first = plan.tables.schedule.sort_values("start").iloc[0]
    assert minutes(first["start"]) == 0  # the receipt before the start is stock on hand
    assert rows["OVERDUE"]["tardiness_minutes"] >= 630


def test_overlapping_downtime_and_a_fractional_horizon(tmp_path: Path) -> None:
    tables = one_machine_shop(
        [order("O1", 60, 500)],
        downtime=[
            {"machine_id": "M1", "start": at(0), "end": at(100)},
            {"machine_id": "M1", "start": at(50), "end": at(150)},
            {"machine_id": "M1", "start": at(700), "end": at(2000)},
        ],
    )
    plan = make_plan_for(tmp_path / "s", tables, settings_text(horizon_days=0.5))
    assert minutes(plan.tables.schedule.iloc[0]["start"]) == 150


def test_four_custom_tiers_and_an_unknown_customer(tmp_path: Path) -> None:
    extra = (
        '[tiers]\nnames = ["P1", "P2", "P3", "P4"]\nweights = { P1 = 8, P2 = 4, P3 = 2, P4 = 1 }\n'
        "complaint_sla_days = { P1 = 1, P2 = 2, P3 = 3, P4 = 4 }\n"
        "[grading]\nratios = { P1 = 0.25, P2 = 0.25, P3 = 0.25, P4 = 0.25 }\n"
    )
    tables = one_machine_shop(
        [order("O1", 30, 30, customer="vip"), order("O2", 30, 30, customer="stranger")],
        customers=customers({"vip": "P1"}),
    )
    plan = make_plan_for(tmp_path / "s", tables, settings_text(extra=extra))
    rows = rows_by_order(plan)
    assert rows["O1"]["tier"] == "P1" and rows["O1"]["weight"] == 8
    assert rows["O2"]["tier"] == "P4" and rows["O2"]["tardiness_minutes"] == 30
    assert set(plan.tables.summary["kpis"]) == {"P1", "P2", "P3", "P4", "all"}
