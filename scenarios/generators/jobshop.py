"""Classic job-shop instances (Fisher-Thompson, Lawrence, Taillard, Singer-Pinedo) as scenario tables.

Job j becomes order ``J{j}`` of quantity 1 whose product has one step per operation,
each on the instance's machine for its duration in minutes. Weights 4, 2 and 1 (the
Singer-Pinedo tiers) become tiers A, B and C through manual overrides, so the default
tier weights reproduce them; other weights go into the order weight.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import pandas as pd
import tomli_w

START = pd.Timestamp("2026-01-05T00:00:00")
TIER_OF_WEIGHT = {4: "A", 2: "B", 1: "C"}


def jobshop_tables(
    machines: Sequence[Sequence[int]],
    durations: Sequence[Sequence[int]],
    due_dates: Sequence[int] | None = None,
    weights: Sequence[float] | None = None,
    release_dates: Sequence[int] | None = None,
) -> dict[str, pd.DataFrame]:
    """The tables of a scenario that is exactly the given job shop."""
    n = len(machines)
    total = sum(sum(d) for d in durations)
    due = due_dates or [total] * n
    weight = weights or [1] * n
    release = release_dates or [0] * n
    minute = pd.Timedelta(minutes=1)
    tiers = [TIER_OF_WEIGHT.get(int(w), "C") if float(w).is_integer() else "C" for w in weight]
    order_weight = [1.0 if float(w).is_integer() and int(w) in TIER_OF_WEIGHT else float(w) for w in weight]
    orders = pd.DataFrame(
        {
            "order_id": [f"J{j}" for j in range(n)],
            "customer_id": [f"tier-{t}" for t in tiers],
            "product_id": [f"P{j}" for j in range(n)],
            "quantity": 1,
            "due": [START + due[j] * minute for j in range(n)],
            "release": [START + release[j] * minute for j in range(n)],
            "weight": order_weight,
        }
    )
    routings = pd.DataFrame(
        [
            {"product_id": f"P{j}", "step": k + 1, "machine_id": f"M{m}", "minutes_per_unit": float(d)}
            for j in range(n)
            for k, (m, d) in enumerate(zip(machines[j], durations[j], strict=True))
        ]
    )
    used = sorted({m for row in machines for m in row})
    customers = pd.DataFrame(
        {
            "customer_id": [f"tier-{t}" for t in ("A", "B", "C")],
            "manual_tier": ["A", "B", "C"],
            "manual_reason": "job-shop instance weight",
        }
    )
    return {
        "orders": orders,
        "routings": routings,
        "machines": pd.DataFrame({"machine_id": [f"M{m}" for m in used]}),
        "customers": customers,
    }


def jobshop_settings(
    durations: Sequence[Sequence[int]],
    objective: str,
    time_limit_s: float = 60,
    workers: int = 0,
    seed: int = 0,
    release_dates: Sequence[int] | None = None,
) -> str:
    """scenario.toml whose horizon holds every job one after the other (always feasible)."""
    total = sum(sum(d) for d in durations) + max(release_dates or [0])
    return tomli_w.dumps(
        {
            "plan": {"start": START.to_pydatetime(), "horizon_days": math.ceil(total / 1440) + 1},
            "solve": {"objective": objective, "time_limit_s": time_limit_s, "workers": workers, "seed": seed},
        }
    )
