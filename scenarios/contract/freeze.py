"""Re-planning from a previous plan: operations starting before the freeze time stay as they were."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path

import pandas as pd
import pyarrow as pa

from scenarios.contract.convert import parse_timestamp
from scenarios.contract.errors import InputError, Problem, UsageError
from scenarios.contract.io import read_plan_table
from scenarios.contract.model import Scenario


@dataclass(frozen=True)
class Frozen:
    """Operations of a previous plan that start before ``until``: (order_id, step) -> (machine_id, start)."""

    until: pd.Timestamp
    operations: dict[tuple[str, int], tuple[str, pd.Timestamp]]
    source: Path
    later: dict[tuple[str, int], tuple[str, pd.Timestamp]] = field(default_factory=dict)  # the rest

    def after_shop_floor(self, scenario: Scenario) -> Frozen:
        """Without the operations the shop floor has started (progress says where they are)
        and without those the previous plan had before the plan start, which did not start."""
        started = _started_steps(scenario)
        start = scenario.settings.plan.start

        def keep(placed: dict[tuple[str, int], tuple[str, pd.Timestamp]]) -> dict:
            return {key: value for key, value in placed.items() if key not in started and value[1] >= start}

        return replace(self, operations=keep(self.operations), later=keep(self.later))


def _started_steps(scenario: Scenario) -> set[tuple[str, int]]:
    progress = scenario["progress"]
    return {(str(o), int(s)) for o, s in zip(progress["order_id"], progress["step"], strict=True)}


def read_frozen(previous: Path, until: str) -> Frozen:
    at = parse_timestamp(until)
    if pd.isna(at):
        raise UsageError(
            f"--freeze-until {until!r} is not a plant-local ISO 8601 timestamp, e.g. 2026-12-02T06:00"
        )
    try:
        schedule = read_plan_table(Path(previous), "schedule")
    except (OSError, pa.ArrowException) as exc:
        raise InputError(
            [Problem(str(previous), "", "", f"cannot read the previous plan's schedule: {exc}")]
        ) from None
    placed = {
        (str(r.order_id), int(r.step)): (str(r.machine_id), pd.Timestamp(r.start))
        for r in schedule.itertuples()
    }
    operations = {key: value for key, value in placed.items() if value[1] < at}
    later = {key: value for key, value in placed.items() if value[1] >= at}
    return Frozen(pd.Timestamp(at), operations, Path(previous), later)


def frozen_problems(scenario: Scenario, frozen: Frozen) -> list[Problem]:
    """Frozen operations must still fit the scenario: known order, step and machine, first steps first."""
    table = f"{frozen.source.name}/schedule.parquet"
    orders = scenario["orders"].set_index("order_id")
    routings = scenario["routings"]
    allowed = set(zip(routings["product_id"], routings["step"], routings["machine_id"], strict=True))
    steps = routings.groupby("product_id")["step"].apply(lambda s: sorted(set(s)))
    started = _started_steps(scenario)
    problems = []
    by_order: dict[str, list[int]] = {}
    for (oid, step), (machine, _) in sorted(frozen.operations.items()):
        key = f"order_id={oid}, step={step}"
        if oid not in orders.index:
            problems.append(
                Problem(
                    table,
                    key,
                    "order_id",
                    "frozen operation of an order the scenario no longer has",
                )
            )
            continue
        product = orders.at[oid, "product_id"]
        if (product, step, machine) not in allowed:
            problems.append(
                Problem(
                    table,
                    key,
                    "machine_id",
                    f"machine {machine} is not an alternative of step {step} of product {product}",
                )
            )
            continue
        by_order.setdefault(oid, []).append(step)
    for oid, kept in by_order.items():
        open_steps = [s for s in steps[orders.at[oid, "product_id"]] if (oid, s) not in started]
        if kept != open_steps[: len(kept)]:
            problems.append(
                Problem(
                    table,
                    f"order_id={oid}",
                    "step",
                    f"frozen steps {kept} are not the order's first steps not yet started; expected a "
                    f"prefix of {open_steps}",
                )
            )
    return problems
