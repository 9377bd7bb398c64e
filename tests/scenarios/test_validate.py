"""A corpus of broken scenarios: each gives exit 1 and a message naming table, key and column."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from cli import app
from tests.helpers import at, settings_text, write_scenario
from tests.helpers.cli import runner
from tests.helpers.tables import (
    append_row,
    assert_rejected,
    base_tables,
    drop_column,
    set_value,
    validate,
    without_table,
)


def test_base_scenario_is_valid(tmp_path: Path) -> None:
    code, output = validate(write_scenario(tmp_path / "s", base_tables()))
    assert code == 0, output
    assert "valid" in output


CASES: dict[str, tuple[Callable[[dict[str, Any]], None], list[str]]] = {
    "missing table": (
        without_table("machines"),
        ["machines: required table missing", "machines.parquet or machines.csv"],
    ),
    "missing column": (drop_column("orders", "due"), ["orders due: required column missing"]),
    "wrong type int": (
        set_value("orders", 0, "quantity", "ten"),
        ["orders [order_id=O1] quantity: found 'ten'", "expected a whole number > 0"],
    ),
    "wrong type fraction": (
        set_value("orders", 0, "quantity", 2.5),
        ["orders [order_id=O1] quantity: found '2.5'"],
    ),
    "wrong type timestamp": (
        set_value("orders", 1, "due", "next tuesday"),
        ["orders [order_id=O2] due: found 'next tuesday'", "ISO 8601"],
    ),
    "time zone": (
        set_value("orders", 1, "due", "2026-12-02T06:00:00+01:00"),
        ["orders [order_id=O2] due: found"],
    ),
    "null in required column": (
        set_value("orders", 1, "customer_id", ""),
        ["orders [order_id=O2] customer_id: missing value"],
    ),
    "duplicate key": (
        set_value("orders", 1, "order_id", "O1"),
        ["orders [order_id=O1] order_id: duplicate key", "expected each order_id once"],
    ),
    "unknown product": (
        set_value("orders", 1, "product_id", "Q"),
        ["orders [order_id=O2] product_id: unknown product Q", "routings"],
    ),
    "unknown machine": (
        set_value("routings", 1, "machine_id", "M9"),
        ["routings [product_id=P, step=20, machine_id=M9] machine_id: unknown machine M9"],
    ),
    "unknown downtime machine": (
        set_value("downtime", 0, "machine_id", "M7"),
        ["downtime [row 1, machine_id=M7] machine_id: unknown machine M7"],
    ),
    "unknown material": (
        set_value("bom", 0, "material_id", "Y"),
        ["bom [product_id=P, material_id=Y, step=10] material_id: unknown material Y"],
    ),
    "unknown receipt material": (
        set_value("receipts", 0, "material_id", "Z"),
        ["receipts [row 1, material_id=Z]"],
    ),
    "unknown after_order": (
        set_value("orders", 1, "after_order", "O9"),
        ["orders [order_id=O2] after_order: unknown after_order O9"],
    ),
    "unknown complaint customer": (
        set_value("complaints", 0, "customer_id", "C99"),
        ["complaints [complaint_id=Q1] customer_id: unknown customer C99"],
    ),
    "quantity not positive": (
        set_value("orders", 0, "quantity", 0),
        ["orders [order_id=O1] quantity: found 0", "expected a whole number > 0"],
    ),
    "negative minutes": (
        set_value("routings", 0, "minutes_per_unit", -1),
        ["routings [product_id=P, step=10, machine_id=M1] minutes_per_unit: found -1"],
    ),
    "due before release": (
        set_value("orders", 1, "due", at(30)),
        ["orders [order_id=O2] due: due", "is before release", "expected due >= release"],
    ),
    "step without machine": (
        set_value("routings", 1, "machine_id", ""),
        ["routings [product_id=P, step=20, machine_id=] machine_id: missing value"],
    ),
    "downtime end before start": (
        set_value("downtime", 0, "end", at(100)),
        ["downtime [row 1, machine_id=M1] end: end", "expected end > start"],
    ),
    "cyclic after_order": (
        set_value("orders", 0, "after_order", "O2"),
        ["after_order chain is cyclic: O1 -> O2 -> O1"],
    ),
    "self after_order": (
        set_value("orders", 0, "after_order", "O1"),
        ["orders [order_id=O1] after_order: the order names itself"],
    ),
    "bom step not in routing": (
        set_value("bom", 0, "step", 30),
        ["bom [product_id=P, material_id=X, step=30] step: step 30 is not a step of product P"],
    ),
    "unknown manual tier": (
        set_value("customers", 1, "manual_tier", "Z"),
        ["customers [customer_id=C2] manual_tier: unknown tier Z", "expected one of A, B, C"],
    ),
    "complaint closed before opened": (
        set_value("complaints", 0, "closed_at", at(-700)),
        ["complaints [complaint_id=Q1] closed_at", "before opened_at"],
    ),
    "prospect out of range": (
        append_row("customers", {"customer_id": "C3", "prospect_score": 130}),
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
