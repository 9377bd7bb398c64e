"""Durations and material quantities follow the export's decimals, not binary floating point."""

from __future__ import annotations

from decimal import Decimal, localcontext
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from scheduler.exact import decimal_of, exact_product, operation_duration, scaled_units
from tests.helpers import make_plan_for, minutes, one_machine_shop, order_row


def test_a_float_product_that_lands_just_above_a_whole_number_is_not_rounded_up() -> None:
    assert 150 * 4.94 > 741  # what a naive reading gets: 741.0000000000001
    assert operation_duration(150, 4.94, 60) == 60 + 741
    assert operation_duration(100, 1.1, 0) == 110
    assert operation_duration(3, 0.1, 0) == 1  # 0.3 minutes still take a whole minute
    assert operation_duration(7, 1 / 3, 0) == 3  # 2.333... (the double's own decimal) rounds up


@given(
    quantity=st.integers(0, 10**9),
    minutes_per_unit=st.floats(0, 10**6, allow_nan=False) | st.decimals(0, 10**6, places=4),
    setup=st.integers(0, 10**4),
)
def test_durations_equal_the_ceiling_of_the_exact_decimal_product(
    quantity: int, minutes_per_unit: float | Decimal, setup: int
) -> None:
    exact = Decimal(repr(minutes_per_unit)) if isinstance(minutes_per_unit, float) else minutes_per_unit
    with localcontext() as context:
        context.prec = 60  # exact at these sizes
        ceiling = int((exact * quantity).to_integral_value(rounding="ROUND_CEILING"))
    assert operation_duration(quantity, minutes_per_unit, setup) == setup + ceiling


def test_decimals_are_the_exporters_numbers() -> None:
    assert decimal_of(4.94) == Decimal("4.94")
    assert exact_product(3, 0.1) == Decimal("0.3")
    assert scaled_units([Decimal("0.3"), Decimal("12"), Decimal("1.25")]) == (100, [30, 1200, 125])


def shop(tmp_path: Path, **tables: object):  # type: ignore[no-untyped-def]
    rows = [order_row("O1", 150, due=5000), order_row("O2", 100, due=5000, product="Q")]
    routings = [
        {"product_id": "P", "step": 10, "machine_id": "M1", "minutes_per_unit": 4.94, "setup_minutes": 60},
        {"product_id": "Q", "step": 10, "machine_id": "M1", "minutes_per_unit": 1.1},
    ]
    return one_machine_shop(rows, routings=routings, **tables)


@pytest.mark.parametrize("solver", ["cpsat", "dispatch:edd"])
def test_plans_use_exact_durations_and_exact_stock(tmp_path: Path, solver: str) -> None:
    tables = shop(
        tmp_path,
        # 150 x 0.1 + 100 x 1.1 = 15 + 110 = exactly the 125 on hand (floats say 125.00000000000001)
        materials=[{"material_id": "X", "on_hand": 125.0}],
        bom=[
            {"product_id": "P", "material_id": "X", "quantity_per_unit": 0.1},
            {"product_id": "Q", "material_id": "X", "quantity_per_unit": 1.1},
        ],
    )
    plan = make_plan_for(tmp_path / "s", tables, solver=solver)
    schedule = plan.tables.schedule.set_index("order_id")
    assert minutes(schedule.at["O1", "end"]) - minutes(schedule.at["O1", "start"]) == 801
    assert minutes(schedule.at["O2", "end"]) - minutes(schedule.at["O2", "start"]) == 110
    assert set(plan.tables.orders["status"]) == {"scheduled"}  # the stock covers both, exactly
    used = plan.tables.materials.groupby("order_id")["quantity"].sum()
    assert used["O1"] == 15.0 and used["O2"] == 110.0


def test_the_checker_rejects_the_float_artefact(tmp_path: Path) -> None:
    from scenarios.pipelines.schedule import check_plan_folder, write_plan

    tables = shop(tmp_path)
    plan = make_plan_for(tmp_path / "s", tables, solver="dispatch:edd")
    folder = write_plan(plan, tmp_path / "plan")
    schedule = pd.read_parquet(folder / "schedule.parquet")
    row = schedule.index[schedule["order_id"] == "O1"][0]
    schedule.loc[row, "end"] += pd.Timedelta(minutes=1)  # 802 minutes, what floats would give
    schedule.to_parquet(folder / "schedule.parquet")
    from scenarios.contract.model import load_scenario

    violations = [str(v) for v in check_plan_folder(load_scenario(tmp_path / "s"), folder)]
    assert any("lasts 802 min" in v and "= 801 min" in v for v in violations), violations
