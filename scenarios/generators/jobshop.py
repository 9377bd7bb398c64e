"""Classic job-shop instances (Fisher-Thompson, Lawrence, Taillard, Singer-Pinedo) and flexible
job shops (Brandimarte, Hurink) as scenario tables.

Job j becomes order ``J{j}`` of quantity 1 whose product has one step per operation,
each on the instance's machine for its duration in minutes; in a flexible job shop a step
has one routing row per machine that can run it, each with its own duration. Weights 4, 2 and 1 (the
Singer-Pinedo tiers) become tiers A, B and C through manual overrides, so the default
tier weights reproduce them; other weights go into the order weight.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import pandas as pd
import tomli_w

START = pd.Timestamp("2026-01-05T00:00:00")
# A flexible job shop: per job, per operation, the (machine, minutes) pairs that can run it.
FlexibleJobs = Sequence[Sequence[Sequence[tuple[int, int]]]]
TIER_OF_WEIGHT = {4: "A", 2: "B", 1: "C"}


def jobshop_tables(
    machines: Sequence[Sequence[int]],
    durations: Sequence[Sequence[int]],
    due_dates: Sequence[int] | None = None,
    weights: Sequence[float] | None = None,
    release_dates: Sequence[int] | None = None,
) -> dict[str, pd.DataFrame]:
    """The tables of a scenario that is exactly the given job shop."""
    jobs = [
        [[(m, d)] for m, d in zip(route, times, strict=True)]
        for route, times in zip(machines, durations, strict=True)
    ]
    return flexible_tables(jobs, due_dates, weights, release_dates)


def flexible_tables(
    jobs: FlexibleJobs,
    due_dates: Sequence[int] | None = None,
    weights: Sequence[float] | None = None,
    release_dates: Sequence[int] | None = None,
) -> dict[str, pd.DataFrame]:
    """The tables of a scenario that is exactly the given flexible job shop."""
    n = len(jobs)
    due = due_dates or [sum(longest_minutes(jobs))] * n
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
            for j, operations in enumerate(jobs)
            for k, alternatives in enumerate(operations)
            for m, d in alternatives
        ]
    )
    used = sorted({m for operations in jobs for alternatives in operations for m, _ in alternatives})
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


def read_flexible(text: str) -> list[list[list[tuple[int, int]]]]:
    """A flexible job shop in the usual text format: ``jobs machines``, then per job its number
    of operations and per operation the number of machines and ``machine minutes`` pairs
    (machines counted from 0)."""
    lines = [line.split() for line in text.splitlines() if line.strip()]
    jobs = []
    for numbers in lines[1 : 1 + int(lines[0][0])]:
        values = [int(float(v)) for v in numbers]
        at, operations = 1, []
        for _ in range(values[0]):
            count = values[at]
            pairs = values[at + 1 : at + 1 + 2 * count]
            operations.append(list(zip(pairs[::2], pairs[1::2], strict=True)))
            at += 1 + 2 * count
        jobs.append(operations)
    return jobs


def longest_minutes(jobs: FlexibleJobs) -> list[int]:
    """Per job, its operations one after the other on their slowest machines."""
    return [sum(max(d for _, d in alternatives) for alternatives in operations) for operations in jobs]


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
