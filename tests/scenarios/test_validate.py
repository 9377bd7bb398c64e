"""A corpus of broken scenarios: each gives exit 1 and a message naming table, key and column."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from typer.testing import CliRunner

from cli import app
from tests.helpers import at, settings_text, write_scenario

runner = CliRunner()


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


def test_base_scenario_is_valid(tmp_path: Path) -> None:
    code, output = validate(write_scenario(tmp_path / "s", base_tables()))
    assert code == 0, output
    assert "valid" in output


def _set(table: str, row: int, column: str, value: Any) -> Callable[[dict[str, Any]], None]:
    def change(tables: dict[str, Any]) -> None:
        tables[table][row][column] = value

    return change


def _drop_column(table: str, column: str) -> Callable[[dict[str, Any]], None]:
    def change(tables: dict[str, Any]) -> None:
        for row in tables[table]:
            row.pop(column)

    return change


def _append(table: str, row: dict[str, Any]) -> Callable[[dict[str, Any]], None]:
    return lambda tables: tables[table].append(row)


def _without(table: str) -> Callable[[dict[str, Any]], None]:
    return lambda tables: tables.pop(table)


CASES: dict[str, tuple[Callable[[dict[str, Any]], None], list[str]]] = {
    "missing table": (
        _without("machines"),
        ["machines: required table missing", "machines.parquet or machines.csv"],
    ),
    "missing column": (_drop_column("orders", "due"), ["orders due: required column missing"]),
    "wrong type int": (
        _set("orders", 0, "quantity", "ten"),
        ["orders [order_id=O1] quantity: found 'ten'", "expected a whole number > 0"],
    ),
    "wrong type fraction": (
        _set("orders", 0, "quantity", 2.5),
        ["orders [order_id=O1] quantity: found '2.5'"],
    ),
    "wrong type timestamp": (
        _set("orders", 1, "due", "next tuesday"),
        ["orders [order_id=O2] due: found 'next tuesday'", "ISO 8601"],
    ),
    "time zone": (
        _set("orders", 1, "due", "2026-12-02T06:00:00+01:00"),
        ["orders [order_id=O2] due: found"],
    ),
    "null in required column": (
        _set("orders", 1, "customer_id", ""),
        ["orders [order_id=O2] customer_id: missing value"],
    ),
    "duplicate key": (
        _set("orders", 1, "order_id", "O1"),
        ["orders [order_id=O1] order_id: duplicate key", "expected each order_id once"],
    ),
    "unknown product": (
        _set("orders", 1, "product_id", "Q"),
        ["orders [order_id=O2] product_id: unknown product Q", "routings"],
    ),
    "unknown machine": (
        _set("routings", 1, "machine_id", "M9"),
        ["routings [product_id=P, step=20, machine_id=M9] machine_id: unknown machine M9"],
    ),
    "unknown downtime machine": (
        _set("downtime", 0, "machine_id", "M7"),
        ["downtime [row 1, machine_id=M7] machine_id: unknown machine M7"],
    ),
    "unknown material": (
        _set("bom", 0, "material_id", "Y"),
        ["bom [product_id=P, material_id=Y, step=10] material_id: unknown material Y"],
    ),
    "unknown receipt material": (
        _set("receipts", 0, "material_id", "Z"),
        ["receipts [row 1, material_id=Z]"],
    ),
    "unknown after_order": (
        _set("orders", 1, "after_order", "O9"),
        ["orders [order_id=O2] after_order: unknown after_order O9"],
    ),
    "unknown complaint customer": (
        _set("complaints", 0, "customer_id", "C99"),
        ["complaints [complaint_id=Q1] customer_id: unknown customer C99"],
    ),
    "quantity not positive": (
        _set("orders", 0, "quantity", 0),
        ["orders [order_id=O1] quantity: found 0", "expected a whole number > 0"],
    ),
    "negative minutes": (
        _set("routings", 0, "minutes_per_unit", -1),
        ["routings [product_id=P, step=10, machine_id=M1] minutes_per_unit: found -1"],
    ),
    "due before release": (
        _set("orders", 1, "due", at(30)),
        ["orders [order_id=O2] due: due", "is before release", "expected due >= release"],
    ),
    "step without machine": (
        _set("routings", 1, "machine_id", ""),
        ["routings [product_id=P, step=20, machine_id=] machine_id: missing value"],
    ),
    "downtime end before start": (
        _set("downtime", 0, "end", at(100)),
        ["downtime [row 1, machine_id=M1] end: end", "expected end > start"],
    ),
    "cyclic after_order": (
        _set("orders", 0, "after_order", "O2"),
        ["after_order chain is cyclic: O1 -> O2 -> O1"],
    ),
    "self after_order": (
        _set("orders", 0, "after_order", "O1"),
        ["orders [order_id=O1] after_order: the order names itself"],
    ),
    "bom step not in routing": (
        _set("bom", 0, "step", 30),
        ["bom [product_id=P, material_id=X, step=30] step: step 30 is not a step of product P"],
    ),
    "unknown manual tier": (
        _set("customers", 1, "manual_tier", "Z"),
        ["customers [customer_id=C2] manual_tier: unknown tier Z", "expected one of A, B, C"],
    ),
    "complaint closed before opened": (
        _set("complaints", 0, "closed_at", at(-700)),
        ["complaints [complaint_id=Q1] closed_at", "before opened_at"],
    ),
    "prospect out of range": (
        _append("customers", {"customer_id": "C3", "prospect_score": 130}),
        ["customers [customer_id=C3] prospect_score: found 130", "<= 100"],
    ),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_broken_scenario(tmp_path: Path, case: str) -> None:
    change, expected = CASES[case]
    tables = base_tables()
    change(tables)
    assert_rejected(write_scenario(tmp_path / "s", tables), expected)


SETTINGS_CASES = {
    "toml syntax": ("[plan\nstart = 2026-12-01T06:00:00\n", ["scenario.toml: not valid TOML"]),
    "missing start": ("[plan]\nhorizon_days = 3\n", ["scenario.toml [plan] start: missing"]),
    "unknown objective": (
        settings_text(objective="fastest"),
        [
            "scenario.toml [solve] objective: found 'fastest'",
            "expected one of weighted_tardiness",
        ],
    ),
    "tier without weight": (
        settings_text(extra='[tiers]\nnames = ["A", "B"]\nweights = { A = 3 }\n'),
        ["scenario.toml [tiers] weights.B: tier B has no weight"],
    ),
    "ratios not summing to 1": (
        settings_text(extra="[grading]\nratios = { A = 0.2, B = 0.3, C = 0.3 }\n"),
        ["scenario.toml [grading] ratios: the ratios sum to 0.8; expected 1"],
    ),
    "grading weights not summing to 1": (
        settings_text(extra="[grading]\nweights = { credit = 0.5, amount = 0.3, profit = 0.6 }\n"),
        ["weights: the weights sum to 1.4; expected 1"],
    ),
    "unknown key": (
        settings_text(extra="[solve]\n").replace("seed = 0", "seed = 0\nthreads = 4"),
        ["scenario.toml [solve] threads: unknown key"],
    ),
    "unknown section": (
        settings_text(extra="[extras]\nx = 1\n"),
        ["scenario.toml [extras]: unknown section"],
    ),
    "negative horizon": (settings_text(horizon_days=-2), ["[plan] horizon_days: found -2"]),
}


@pytest.mark.parametrize("case", sorted(SETTINGS_CASES))
def test_broken_settings(tmp_path: Path, case: str) -> None:
    text, expected = SETTINGS_CASES[case]
    if case == "unknown key":
        text = settings_text().replace("seed = 0", "seed = 0\nthreads = 4")
    assert_rejected(write_scenario(tmp_path / "s", base_tables(), text), expected)


def test_table_given_twice(tmp_path: Path) -> None:
    folder = write_scenario(tmp_path / "s", base_tables())
    pd.read_csv(folder / "machines.csv").to_parquet(folder / "machines.parquet")
    code, output = validate(folder)
    assert code == 1
    assert "machines: given both as machines.parquet and machines.csv" in " ".join(output.split())


def test_every_problem_is_reported_at_once(tmp_path: Path) -> None:
    tables = base_tables()
    tables["orders"][0]["quantity"] = -3
    tables["routings"][1]["machine_id"] = "M9"
    tables["downtime"][0]["end"] = at(0)
    code, output = validate(write_scenario(tmp_path / "s", tables))
    assert code == 1
    assert (
        "quantity: found -3" in output and "unknown machine M9" in output and "expected end > start" in output
    )
    assert "3 problem(s) found" in output


def test_unknown_order_customer_is_a_warning(tmp_path: Path) -> None:
    tables = base_tables()
    tables["orders"][1]["customer_id"] = "C7"
    code, output = validate(write_scenario(tmp_path / "s", tables))
    assert code == 0, output
    assert "warning: orders [order_id=O2] customer_id: unknown customer C7" in " ".join(output.split())


def test_parquet_and_csv_read_the_same(tmp_path: Path) -> None:
    from scenarios.contract.model import load_scenario

    a = load_scenario(write_scenario(tmp_path / "csv", base_tables(), fmt="csv"))
    b = load_scenario(write_scenario(tmp_path / "pq", base_tables(), fmt="parquet"))
    for name in ("orders", "routings", "downtime", "receipts"):
        pd.testing.assert_frame_equal(a[name], b[name], check_dtype=False)


def test_schedule_writes_nothing_for_bad_input(tmp_path: Path) -> None:
    tables = base_tables()
    tables["orders"][0]["quantity"] = -3
    folder = write_scenario(tmp_path / "s", tables)
    result = runner.invoke(app, ["schedule", str(folder), "--out", str(tmp_path / "plan"), "--quiet"])
    assert result.exit_code == 1
    assert "quantity: found -3" in result.output
    assert not (tmp_path / "plan").exists()
    assert [p.name for p in tmp_path.iterdir()] == ["s"]
