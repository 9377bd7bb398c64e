"""The checker's rules of the shop-floor state (contract section 5), from the tables alone.

Like :mod:`scheduler.check`, nothing here uses the solver's model: the ``progress`` table
is read again and every rule is checked against the plan's own rows. A done step is not
planned again; a running step stays on its machine from the plan start for its remaining
working minutes and is marked ``running``; every other row is ``planned``; started orders
are never left out; orders whose steps are all done are reported ``done``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import pandas as pd

Report = Callable[[str, str, str, str], None]  # file, key, message, rule


@dataclass(frozen=True)
class Floor:
    """The progress table as the checker needs it."""

    done_steps: set[tuple[str, int]] = field(default_factory=set)
    running: dict[tuple[str, int], tuple[str, int]] = field(default_factory=dict)  # -> machine, minutes
    started: set[str] = field(default_factory=set)
    done_orders: dict[str, pd.Timestamp] = field(default_factory=dict)  # -> finish of the last step


def read_floor(tables: dict[str, pd.DataFrame]) -> Floor:
    progress = tables.get("progress")
    if progress is None or progress.empty:
        return Floor()
    done_rows = progress[progress["state"] == "done"]
    running_rows = progress[progress["state"] == "running"]
    done_steps = {(str(o), int(s)) for o, s in zip(done_rows["order_id"], done_rows["step"], strict=True)}
    running = {
        (str(o), int(s)): (str(m), int(r))
        for o, s, m, r in zip(
            running_rows["order_id"],
            running_rows["step"],
            running_rows["machine_id"],
            running_rows["remaining_minutes"],
            strict=True,
        )
    }
    finished = {
        (str(o), int(s)): pd.Timestamp(t)
        for o, s, t in zip(done_rows["order_id"], done_rows["step"], done_rows["finished_at"], strict=True)
    }
    steps = tables["routings"].groupby("product_id")["step"].apply(lambda s: sorted({int(x) for x in s}))
    done_orders = {}
    for order, product in zip(tables["orders"]["order_id"], tables["orders"]["product_id"], strict=True):
        mine = steps.get(product, [])
        if mine and all((order, s) in done_steps for s in mine):
            done_orders[str(order)] = finished[(order, mine[-1])]
    started = {str(o) for o in progress["order_id"]}
    return Floor(done_steps, running, started, done_orders)


def check_shop_floor_rows(ops: pd.DataFrame, floor: Floor, start: pd.Timestamp, report: Report) -> None:
    """Done steps absent, running ones in place, the state of every row."""
    keys = list(zip(ops["order_id"], ops["step"].astype(int), strict=True))
    for r, key in zip(ops.itertuples(), keys, strict=True):
        where = f"order_id={r.order_id}, step={r.step}"
        if key in floor.done_steps:
            report(
                "schedule.parquet", where, "the step is done on the shop floor; expected no row", "done step"
            )
            continue
        expected_state = "running" if key in floor.running else "planned"
        state = getattr(r, "state", None)
        if state != expected_state:
            report("schedule.parquet", where, f"state is {state!r}; expected {expected_state!r}", "state")
        if key in floor.running:
            machine, _ = floor.running[key]
            if r.machine_id != machine or pd.Timestamp(r.start) != start:
                report(
                    "schedule.parquet",
                    where,
                    f"running step placed on {r.machine_id} from {r.start}; expected it where it runs: on "
                    f"{machine} from the plan start {start}",
                    "running step moved",
                )
    planned = set(keys)
    for key, (machine, minutes) in sorted(floor.running.items()):
        if key not in planned and key[0] not in floor.done_orders:
            report(
                "schedule.parquet",
                f"order_id={key[0]}, step={key[1]}",
                f"running step missing; expected it on {machine} from {start} for {minutes} working minutes",
                "running step missing",
            )


def expected_steps(order: str, steps: list[int], floor: Floor) -> list[int]:
    """The steps of an order the plan must hold: all but those done."""
    return [s for s in steps if (order, s) not in floor.done_steps]
