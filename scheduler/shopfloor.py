"""The shop floor's state at the plan start (contract section 5), read from ``progress``.

A step is done (finished before the plan starts) or running (it needs some more working
minutes of its machine from the plan start). An order with such a step is *started*; one
whose every step is done is *done*.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd


@dataclass(frozen=True)
class StepState:
    """What the shop floor says of one started step."""

    machine: str
    started: pd.Timestamp
    done: bool
    remaining: int  # running: working minutes still needed from the plan start


class ShopFloor:
    """The progress table, read once: each started step, the started and the done orders
    (order_id -> the finish of its last step)."""

    def __init__(
        self,
        progress: pd.DataFrame | None,
        orders: pd.DataFrame,
        steps_of: dict[str, list[int]],
    ) -> None:
        self.state: dict[tuple[str, int], StepState] = {}
        self.started: set[str] = set()
        self.done: dict[str, pd.Timestamp] = {}
        if progress is None or progress.empty:
            return
        finished: dict[tuple[str, int], pd.Timestamp] = {}
        for r in progress.itertuples(index=False):
            key = (str(r.order_id), int(r.step))
            is_done = r.state == "done"
            remaining = 0 if is_done or pd.isna(r.remaining_minutes) else int(r.remaining_minutes)
            self.state[key] = StepState(str(r.machine_id), pd.Timestamp(r.started_at), is_done, remaining)
            self.started.add(key[0])
            if is_done:
                finished[key] = pd.Timestamp(r.finished_at)
        for oid, product in zip(orders["order_id"], orders["product_id"], strict=True):
            if oid in self.started:
                last = steps_of[product][-1]
                if all(self.state.get((oid, s), _NOT_STARTED).done for s in steps_of[product]):
                    self.done[oid] = finished[(oid, last)]


_NOT_STARTED = StepState("", pd.NaT, False, 0)
