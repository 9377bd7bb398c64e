"""Numbers beyond what can be planned exactly are a broken export: exit 1, never a plan."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from cli import app
from tests.helpers import customers, settings_text, write_scenario
from tests.helpers.cli import runner
from tests.helpers.tables import append_row, base_tables, set_value


def run(*args: object) -> tuple[int, str]:
    result = runner.invoke(app, [str(a) for a in args])
    assert "Traceback" not in result.output and "internal error" not in result.output, result.output
    return result.exit_code, " ".join(result.output.split())


CASES: dict[str, tuple[Callable[[dict[str, Any]], None], list[str]]] = {
    "minutes per unit of 1e17": (
        set_value("routings", 0, "minutes_per_unit", 1e17),
        [
            "routings [product_id=P, step=10, machine_id=M1] minutes_per_unit: found 1e+17",
            "<= 5,259,600",
        ],
    ),
    "setup longer than ten years": (
        set_value("routings", 1, "setup_minutes", 6_000_000),
        ["routings [product_id=P, step=20, machine_id=M2] setup_minutes: found 6000000", "<= 5,259,600"],
    ),
    "an operation longer than ten years": (
        set_value("orders", 0, "quantity", 4_000_000),  # step 10: 6,000,010 min, step 20: 8,000,000 min
        [
            "orders [order_id=O1] quantity: step 20 on M2 would last 8,000,000 min",
            "expected at most 5,259,600 min (ten years)",
        ],
    ),
    "quantity of 10^13": (
        set_value("orders", 1, "quantity", 10**13),
        ["orders [order_id=O2] quantity: found 10000000000000", "<= 1,000,000,000,000"],
    ),
    "order weight of 10^7": (
        set_value("orders", 1, "weight", 1e7),
        ["orders [order_id=O2] weight: found 1e+07", "<= 1,000,000"],
    ),
    "stock of 10^13": (
        set_value("materials", 0, "on_hand", 1e13),
        ["materials [material_id=X] on_hand: found 1e+13", "<= 1,000,000,000,000"],
    ),
    "receipt of 10^13": (
        set_value("receipts", 0, "quantity", 1e13),
        ["receipts [row 1, material_id=X] quantity: found 1e+13"],
    ),
    "an order needing 10^13 of a material": (
        set_value("bom", 0, "quantity_per_unit", 1e12),  # O1: 10 x 1e12
        [
            "orders [order_id=O1] quantity: needs 10,000,000,000,000 of material X",
            "expected at most 1,000,000,000,000",
        ],
    ),
    "sales amount of 10^16": (
        append_row("sales_history", {"customer_id": "C1", "order_date": "2026-10-02", "amount": 1e16}),
        ["sales_history [row 2, customer_id=C1] amount: found 1e+16"],
    ),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_absurd_numbers_are_input_errors(tmp_path: Path, case: str) -> None:
    change, expected = CASES[case]
    tables = base_tables()
    change(tables)
    folder = write_scenario(tmp_path / "s", tables)
    for args in (["validate", folder], ["schedule", folder, "--out", tmp_path / "plan", "--quiet"]):
        code, output = run(*args)
        assert code == 1, output
        for fragment in expected:
            assert fragment in output, f"{fragment!r} not in:\n{output}"
    assert not (tmp_path / "plan").exists()


@pytest.mark.parametrize(
    ("extra", "horizon", "expected"),
    [
        ("", 4000, "[plan] horizon_days: found 4000; expected at most 3,653"),
        ("[tiers]\nweights = { A = 4, B = 2, C = 2e7 }\n", 1, "[tiers] weights.C: found 20000000.0"),
    ],
)
def test_absurd_settings(tmp_path: Path, extra: str, horizon: float, expected: str) -> None:
    folder = write_scenario(tmp_path / "s", base_tables(), settings_text(horizon_days=horizon, extra=extra))
    code, output = run("validate", folder)
    assert code == 1 and expected in output, output


def test_a_weighted_objective_beyond_64_bits_is_caught_before_the_model(tmp_path: Path) -> None:
    tables = base_tables()
    tables["customers"] = customers({"C1": "A", "C2": "A"})
    for row in tables["orders"]:
        row["weight"] = 1e6
        row["due"] = "0001-01-01T00:00:00"  # two thousand years late
        row["release"] = "0001-01-01T00:00:00"
    settings = settings_text(extra="[tiers]\nweights = { A = 1000000, B = 2, C = 1 }\n")
    folder = write_scenario(tmp_path / "s", tables, settings)
    code, output = run("schedule", folder, "--out", tmp_path / "plan", "--quiet")
    assert code == 1, output
    assert "orders [order_id=O1] weight: weight x (tardiness + horizon) summed over all 2 orders" in output
    assert "more than 64-bit integer arithmetic can plan exactly" in output
    assert not (tmp_path / "plan").exists()


def test_the_largest_allowed_numbers_still_plan(tmp_path: Path) -> None:
    tables = base_tables()
    tables["routings"][0]["setup_minutes"] = 0
    tables["routings"][0]["minutes_per_unit"] = 10.0
    tables["routings"][1]["minutes_per_unit"] = 0.0
    tables["orders"][0]["quantity"] = 525_960  # exactly ten years on M1
    tables["materials"][0]["on_hand"] = 1e12
    settings = settings_text(horizon_days=3653)
    folder = write_scenario(tmp_path / "s", tables, settings)
    code, output = run("schedule", folder, "--out", tmp_path / "plan", "--quiet", "--time-limit", 2)
    assert code == 0, output
    code, output = run("check", folder, tmp_path / "plan")
    assert code == 0, output
