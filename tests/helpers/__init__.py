"""Small scenarios built in code, written as real scenario folders."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

START = "2026-12-01T06:00:00"
T0 = pd.Timestamp(START)


def at(minutes: float) -> str:
    """The ISO timestamp ``minutes`` after the plan start."""
    return (T0 + pd.Timedelta(minutes=minutes)).isoformat()


def settings_text(
    horizon_days: float = 1,
    objective: str = "weighted_tardiness",
    extra: str = "",
    time_limit_s: float = 10,
    workers: int = 1,
) -> str:
    return (
        f"[plan]\nstart = {START}\nhorizon_days = {horizon_days}\n\n"
        f'[solve]\nobjective = "{objective}"\ntime_limit_s = {time_limit_s}\n'
        f"workers = {workers}\nseed = 0\n\n" + extra
    )


def write_scenario(
    folder: Path,
    tables: dict[str, list[dict[str, Any]] | pd.DataFrame],
    settings: str | None = None,
    fmt: str = "csv",
) -> Path:
    """Write ``tables`` (lists of row dicts) and ``scenario.toml`` into ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "scenario.toml").write_text(settings if settings is not None else settings_text())
    for name, rows in tables.items():
        frame = rows if isinstance(rows, pd.DataFrame) else pd.DataFrame(rows)
        if fmt == "csv":
            frame.to_csv(folder / f"{name}.csv", index=False)
        else:
            frame.to_parquet(folder / f"{name}.parquet", index=False)
    return folder


def one_machine_shop(
    orders: list[dict[str, Any]],
    machines: tuple[str, ...] = ("M1",),
    routings: list[dict[str, Any]] | None = None,
    **tables: Any,
) -> dict[str, Any]:
    """Tables for a shop where product P runs one step on M1 at 1 minute per unit."""
    return {
        "orders": orders,
        "routings": routings
        or [{"product_id": "P", "step": 10, "machine_id": "M1", "minutes_per_unit": 1.0}],
        "machines": [{"machine_id": m} for m in machines],
        **tables,
    }


def two_material_shop(orders: list[dict[str, Any]], on_hand: float, **tables: Any) -> dict[str, Any]:
    """One machine M1 (1 minute per unit); product P1 needs material K1, P2 needs K2, a kg
    per unit, ``on_hand`` kg of each in stock."""
    return one_machine_shop(
        orders,
        routings=[
            {"product_id": product, "step": 10, "machine_id": "M1", "minutes_per_unit": 1.0}
            for product in ("P1", "P2")
        ],
        materials=[{"material_id": "K1", "on_hand": on_hand}, {"material_id": "K2", "on_hand": on_hand}],
        bom=[
            {"product_id": "P1", "material_id": "K1", "quantity_per_unit": 1, "step": 10},
            {"product_id": "P2", "material_id": "K2", "quantity_per_unit": 1, "step": 10},
        ],
        **tables,
    )


def customers(tiers: dict[str, str]) -> list[dict[str, Any]]:
    """A customers table that fixes each customer's tier by manual override."""
    return [{"customer_id": c, "manual_tier": t, "manual_reason": "test"} for c, t in tiers.items()]


def make_plan_for(folder: Path, tables: dict[str, Any], settings: str | None = None, **options: Any) -> Any:
    """Write the scenario, grade, schedule and check it; return the Plan."""
    from scenarios.contract.model import load_scenario
    from scenarios.pipelines.schedule import make_plan, solve_options

    scenario = load_scenario(write_scenario(folder, tables, settings))
    return make_plan(scenario, solve_options(scenario, **options))


def rows_by_order(plan: Any) -> dict[str, dict[str, Any]]:
    """orders.parquet of a plan as {order_id: row}."""
    return {r["order_id"]: r for r in plan.tables.orders.to_dict("records")}


def minutes(value: Any) -> float:
    return (pd.Timestamp(value) - T0) / pd.Timedelta(minutes=1)


def order_row(
    oid: str,
    quantity: int,
    due: float,
    release: float | None = 0,
    customer: str = "c",
    product: str = "P",
    **extra: Any,
) -> dict[str, Any]:
    """An orders row; times in minutes from the plan start (release None: the column's default)."""
    row = {
        "order_id": oid,
        "customer_id": customer,
        "product_id": product,
        "quantity": quantity,
        "due": at(due),
    }
    if release is not None:
        row["release"] = at(release)
    return {**row, **extra}


def tiny_shop(**tables: Any) -> dict[str, Any]:
    """One order O1 of customer C1 for product P, one step on machine M; more tables on top."""
    return {
        "orders": [order_row("O1", 1, due=1440, release=None, customer="C1")],
        "routings": [{"product_id": "P", "step": 1, "machine_id": "M", "minutes_per_unit": 1}],
        "machines": [{"machine_id": "M"}],
        **tables,
    }
