"""A valid scenario as tables, edits that break it, and validating it through the CLI."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from cli import app
from tests.helpers import at
from tests.helpers.cli import runner


def base_tables() -> dict[str, list[dict[str, Any]]]:
    return {
        "orders": [
            {
                "order_id": "O1",
                "customer_id": "C1",
                "product_id": "P",
                "quantity": 10,
                "due": at(600),
                "release": at(0),
                "after_order": "",
            },
            {
                "order_id": "O2",
                "customer_id": "C2",
                "product_id": "P",
                "quantity": 5,
                "due": at(900),
                "release": at(60),
                "after_order": "O1",
            },
        ],
        "routings": [
            {
                "product_id": "P",
                "step": 10,
                "machine_id": "M1",
                "minutes_per_unit": 1.5,
                "setup_minutes": 10,
            },
            {
                "product_id": "P",
                "step": 20,
                "machine_id": "M2",
                "minutes_per_unit": 2.0,
                "setup_minutes": 0,
            },
        ],
        "machines": [{"machine_id": "M1", "group": "CUT"}, {"machine_id": "M2", "group": "MILL"}],
        "customers": [
            {
                "customer_id": "C1",
                "name": "One",
                "manual_tier": "A",
                "manual_reason": "key account",
            },
            {"customer_id": "C2", "name": "Two", "manual_tier": "", "manual_reason": ""},
        ],
        "materials": [{"material_id": "X", "on_hand": 100.0}],
        "bom": [{"product_id": "P", "material_id": "X", "quantity_per_unit": 1.0, "step": 10}],
        "receipts": [{"material_id": "X", "arrival": at(300), "quantity": 50.0}],
        "downtime": [{"machine_id": "M1", "start": at(120), "end": at(180)}],
        "complaints": [{"complaint_id": "Q1", "customer_id": "C1", "opened_at": at(-600), "closed_at": ""}],
        "sales_history": [{"customer_id": "C1", "order_date": "2026-10-01", "amount": 100.0, "cost": 60.0}],
        "payments": [
            {
                "customer_id": "C1",
                "invoice_id": "I1",
                "amount": 100.0,
                "due_date": "2026-10-31",
                "paid_date": "2026-10-30",
            }
        ],
    }


def validate(folder: Path) -> tuple[int, str]:
    result = runner.invoke(app, ["validate", str(folder)])
    assert "Traceback" not in result.output
    return result.exit_code, result.output


def assert_rejected(folder: Path, expected: list[str]) -> None:
    """``validate`` exits 1 and its message holds every expected fragment."""
    code, output = validate(folder)
    assert code == 1, output
    flat = " ".join(output.split())
    for fragment in expected:
        assert fragment in flat, f"{fragment!r} not in:\n{output}"


def set_value(table: str, row: int, column: str, value: Any) -> Callable[[dict[str, Any]], None]:
    def change(tables: dict[str, Any]) -> None:
        tables[table][row][column] = value

    return change


def drop_column(table: str, column: str) -> Callable[[dict[str, Any]], None]:
    def change(tables: dict[str, Any]) -> None:
        for row in tables[table]:
            row.pop(column)

    return change


def append_row(table: str, row: dict[str, Any]) -> Callable[[dict[str, Any]], None]:
    return lambda tables: tables[table].append(row)


def without_table(table: str) -> Callable[[dict[str, Any]], None]:
    return lambda tables: tables.pop(table)
