"""Exports from other systems: odd but valid Parquet types, CSV with a byte-order mark."""

from __future__ import annotations

import decimal
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from scenarios.contract.model import check_scenario


def test_parquet_types_and_csv_bom(tmp_path: Path) -> None:
    (tmp_path / "scenario.toml").write_text("[plan]\nstart = 2026-12-01T06:00:00\n")
    orders = pa.table(
        {
            "order_id": pa.array(["O1", "O2"]).dictionary_encode(),
            "customer_id": pa.array(["C1", "C2"], pa.large_string()),
            "product_id": ["P", "P"],
            "quantity": pa.array([5, 7], pa.int32()),
            "due": pa.array([pd.Timestamp("2026-12-02"), pd.Timestamp("2026-12-03")], pa.timestamp("ns")),
            "release": pa.array([pd.Timestamp("2026-12-01").date(), None], pa.date32()),
            "weight": pa.array([decimal.Decimal("1.5"), decimal.Decimal("2")], pa.decimal128(5, 2)),
        }
    )
    pq.write_table(orders, tmp_path / "orders.parquet")
    (tmp_path / "routings.csv").write_text("\ufeffproduct_id,step,machine_id,minutes_per_unit\nP,1,M1,1.5\n")
    (tmp_path / "machines.csv").write_text("machine_id\nM1\n")
    scenario, problems = check_scenario(tmp_path)
    assert problems == [] and scenario is not None
    o = scenario["orders"]
    assert pd.api.types.is_string_dtype(o["order_id"]) and list(o["order_id"]) == ["O1", "O2"]
    assert list(o["quantity"]) == [5, 7] and list(o["weight"]) == [1.5, 2.0]
    assert list(o["release"]) == [pd.Timestamp("2026-12-01"), pd.Timestamp("2026-12-01T06:00")]  # default
    assert list(scenario["routings"]["product_id"]) == ["P"]


def test_time_zone_in_parquet_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "scenario.toml").write_text("[plan]\nstart = 2026-12-01T06:00:00\n")
    pd.DataFrame(
        {
            "order_id": ["O1"],
            "customer_id": ["C"],
            "product_id": ["P"],
            "quantity": [1],
            "due": [pd.Timestamp("2026-12-02", tz="UTC")],
        }
    ).to_parquet(tmp_path / "orders.parquet")
    (tmp_path / "routings.csv").write_text("product_id,step,machine_id,minutes_per_unit\nP,1,M1,1.5\n")
    (tmp_path / "machines.csv").write_text("machine_id\nM1\n")
    _, problems = check_scenario(tmp_path)
    assert [p.column for p in problems] == ["due"]
    assert "orders [order_id=O1] due: found" in str(problems[0])
