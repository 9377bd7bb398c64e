"""A planned shop to ask promises on (contract section 6): plan it, ask, read the quotes.

The gaps shop: M1 busy [0, 60) with O1 (tier C), [90, 150) with O2 (tier A) and [200, 260)
with O3 (tier C), all due at minute 2000; the free gaps are 30 and 50 minutes long.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

from tests.helpers import customers, order_row, settings_text, write_scenario
from tests.helpers.cli import invoke

T0 = pd.Timestamp("2026-12-01T06:00")


def minute(value: Any) -> float:
    return (pd.Timestamp(value) - T0) / pd.Timedelta(minutes=1)


def planned(
    tmp_path: Path, tables: dict[str, Any], where: dict[str, tuple[float, float]], days: float = 2
) -> Path:
    """Write and plan the shop; assert each order in ``where`` runs [start, end) (minutes)."""
    folder = write_scenario(tmp_path / "shop", tables, settings_text(horizon_days=days, time_limit_s=5))
    code, output = invoke("schedule", folder, "--out", tmp_path / "plan", "--quiet")
    assert code == 0, output
    schedule = pd.read_parquet(tmp_path / "plan" / "schedule.parquet").set_index("order_id")
    for oid, (s, e) in where.items():
        assert (minute(schedule.loc[oid, "start"]), minute(schedule.loc[oid, "end"])) == (s, e), oid
    return folder


def ask(
    tmp_path: Path, folder: Path, rows: list[dict[str, Any]], mode: str, name: str = "out"
) -> pd.DataFrame:
    requests = tmp_path / f"{name}-requests.csv"
    pd.DataFrame(rows).to_csv(requests, index=False)
    out = tmp_path / name
    code, output = invoke("promise", folder, tmp_path / "plan", requests, "--out", out, "--displace", mode)
    assert code == 0, output
    return pd.read_parquet(out / "quotes.parquet").set_index("request_id")


def request(
    rid: str, quantity: int, customer: str = "CA", product: str = "P", **extra: Any
) -> dict[str, Any]:
    return {"request_id": rid, "customer_id": customer, "product_id": product, "quantity": quantity, **extra}


def gaps_shop() -> dict[str, Any]:
    """M1 busy [0, 60), [90, 150), [200, 260): free gaps of 30 and 50 minutes."""
    return {
        "orders": [
            order_row("O1", 60, due=2000, release=0, customer="CC"),
            order_row("O2", 60, due=2000, release=90, customer="CA"),
            order_row("O3", 60, due=2000, release=200, customer="CC"),
        ],
        "routings": [{"product_id": "P", "step": 10, "machine_id": "M1", "minutes_per_unit": 1}],
        "machines": [{"machine_id": "M1"}],
        "customers": customers({"CA": "A", "CB": "B", "CC": "C"}),
    }


GAPS = {"O1": (0, 60), "O2": (90, 150), "O3": (200, 260)}
