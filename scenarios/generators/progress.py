"""Work in progress for a synthetic plant (contract section 5): what the shop floor has done.

A share of the orders released at the plan start has started: a third all done, a third
with a step running (as many as each machine's capacity allows), the rest with their
first steps done and the next one waiting. Steps ran one after the other before the plan
start, each as long as its routing says, with short waits in between; a running step has
some of its working minutes left. Orders that wait for another (after_order) are not
started, so nothing has started before what it waits for has finished.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from scenarios.contract.validate_progress import steps_by_product
from scheduler.exact import operation_duration

COLUMNS = ["order_id", "step", "machine_id", "state", "started_at", "finished_at", "remaining_minutes"]


def progress_table(
    rng: np.random.Generator,
    orders: pd.DataFrame,
    routings: pd.DataFrame,
    machines: pd.DataFrame,
    start: pd.Timestamp,
    share: float,
) -> pd.DataFrame:
    """The progress rows of about ``share`` of the orders."""
    eligible = np.flatnonzero(
        (orders["release"] <= start).to_numpy() & orders["after_order"].isna().to_numpy()
    )
    count = min(len(eligible), round(share * len(orders)))
    if count == 0:
        return pd.DataFrame(columns=COLUMNS)
    chosen = np.sort(rng.choice(eligible, size=count, replace=False))
    alternatives: dict[tuple[str, int], list[dict[str, Any]]] = {}  # in the routing's row order
    for row in routings[["product_id", "step", "machine_id", "minutes_per_unit", "setup_minutes"]].to_dict(
        "records"
    ):
        alternatives.setdefault((row["product_id"], int(row["step"])), []).append(row)
    steps_of = steps_by_product(routings)
    free = machines.set_index("machine_id")["capacity"].fillna(1).astype(int).to_dict()
    picked = orders.iloc[chosen][["order_id", "product_id", "quantity"]].to_dict("records")
    rows: list[tuple] = []
    for order in picked:
        steps = steps_of[order["product_id"]]
        kind = rng.choice(["done", "running", "waiting"])
        done = len(steps) if kind == "done" else int(rng.integers(0 if kind == "running" else 1, len(steps)))
        machine = None
        if kind == "running":  # on a machine of the step that still has room
            options = [
                o for o in alternatives[(order["product_id"], steps[done])] if free[o["machine_id"]] > 0
            ]
            if options:
                machine = options[int(rng.integers(len(options)))]["machine_id"]
                free[machine] -= 1
            else:  # every machine of the step runs something already: it waits for one
                done = max(done, 1)
        plan: list[tuple[int, dict[str, Any], bool]] = []  # step, routing row, running
        for position, step in enumerate(steps[: done + (machine is not None)]):
            options = alternatives[(order["product_id"], step)]
            if position == done:
                plan.append((step, next(o for o in options if o["machine_id"] == machine), True))
            else:
                plan.append((step, options[int(rng.integers(len(options)))], False))
        rows += _timed(rng, order, plan, start)
    frame = pd.DataFrame(rows, columns=COLUMNS)
    frame["remaining_minutes"] = frame["remaining_minutes"].astype("Int64")
    return frame


def _timed(
    rng: np.random.Generator,
    order: dict[str, Any],
    plan: list[tuple[int, dict[str, Any], bool]],
    start: pd.Timestamp,
) -> list[tuple]:
    """Rows for the planned steps, laid out backwards from the plan start."""
    minute = pd.Timedelta(minutes=1)
    cursor = start - int(rng.integers(0, 240)) * minute
    out: list[tuple] = []
    for step, row, is_running in reversed(plan):
        duration = operation_duration(
            int(order["quantity"]), float(row["minutes_per_unit"]), int(row["setup_minutes"])
        )
        if is_running:
            remaining = int(rng.integers(1, duration + 1)) if duration else 0
            began = start - (duration - remaining) * minute
            out.append((order["order_id"], step, row["machine_id"], "running", began, pd.NaT, remaining))
            cursor = began
        else:
            began = cursor - duration * minute
            out.append((order["order_id"], step, row["machine_id"], "done", began, cursor, None))
            cursor = began
        cursor -= int(rng.integers(0, 120)) * minute
    return out[::-1]


def issued_lines(progress: pd.DataFrame) -> set[tuple[str, int]]:
    """(order_id, step) of the steps whose material the shop floor has taken."""
    return set(zip(progress["order_id"], progress["step"].astype(int), strict=True))
