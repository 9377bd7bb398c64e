"""The problem from a scenario's typed tables: minutes, durations, calendars, materials."""

from __future__ import annotations

import math
from decimal import Decimal

import numpy as np
import pandas as pd

from scheduler.calendars import calendar_minutes, weekly_windows
from scheduler.exact import decimal_of, exact_product, operation_duration, scaled_units
from scheduler.problem import (
    NO_FAMILY,
    Demand,
    DoneOrder,
    Machine,
    Material,
    Mode,
    Operation,
    Order,
    ProblemData,
    StabilityPrices,
    merge_intervals,
)
from scheduler.shopfloor import ShopFloor
from scheduler.worktime import working_stretches


def _minutes(times: pd.Series, start: pd.Timestamp, rounding: str) -> np.ndarray:
    """Whole minutes from ``start``; ``rounding`` is "ceil" or "floor"."""
    delta = (times - start) / pd.Timedelta(minutes=1)
    values = (
        np.ceil(delta.to_numpy(dtype=float)) if rounding == "ceil" else np.floor(delta.to_numpy(dtype=float))
    )
    return values.astype(np.int64)


def build_problem(
    tables: dict[str, pd.DataFrame],
    tier_of_customer: dict[str, str],
    tier_names: tuple[str, ...],
    tier_weights: dict[str, float],
    start: pd.Timestamp,
    horizon: int,
    frozen: dict[tuple[str, int], tuple[str, pd.Timestamp]] | None = None,
    freeze_at: pd.Timestamp | None = None,
    previous: dict[tuple[str, int], tuple[str, pd.Timestamp]] | None = None,
    stability: StabilityPrices | None = None,
) -> ProblemData:
    """Build the problem from the scenario's typed tables and the customers' tiers.

    Customers without a tier get the lowest tier. Times are rounded so that the model is
    never more generous than the data: releases, receipts and downtime ends round up,
    due dates and downtime starts round down. ``frozen`` maps (order_id, step) to the
    machine and start an operation keeps; every other operation starts at or after
    ``freeze_at``. ``previous`` (same keys) is where the other operations were in the
    previous plan: moving them costs ``stability`` (the prices of :class:`StabilityPrices`).
    Operations, orders and machines no longer in the scenario are left out of it.

    The shop floor's ``progress`` table (contract section 5) shapes the problem: done steps
    are not operations, running ones keep their machine from minute 0 for the working
    minutes they still need (pausing over any break), neither takes material again, orders
    with a step done or running must be planned, and orders with every step done are
    reported apart (:attr:`ProblemData.done`). Frozen or previous places of operations the
    shop floor has started are dropped: the shop floor wins.
    """
    routings = tables["routings"]
    machine_index = {m: i for i, m in enumerate(tables["machines"]["machine_id"])}
    families = _families(tables)
    family_index = {f: i for i, f in enumerate(families)}
    machines = _machines(tables, machine_index, family_index, start, horizon)
    steps_of = _product_steps(routings, machine_index, family_index)
    floor = ShopFloor(
        tables.get("progress"),
        tables["orders"],
        {p: [step for step, _ in steps] for p, steps in steps_of.items()},
    )
    lowest = tier_names[-1]

    def tier_and_weight(customer: str, weight: float) -> tuple[str, float]:
        tier = tier_of_customer.get(customer, lowest)
        return tier, float(tier_weights[tier]) * float(weight)

    orders_t = tables["orders"][~tables["orders"]["order_id"].isin(floor.done)].reset_index(drop=True)
    order_index = {o: i for i, o in enumerate(orders_t["order_id"])}
    release = np.maximum(_minutes(orders_t["release"], start, "ceil"), 0)
    due = _minutes(orders_t["due"], start, "floor")

    operations: list[Operation] = []
    orders: list[Order] = []
    op_of_step: dict[tuple[int, int], int] = {}
    running: dict[int, pd.Timestamp] = {}
    fixed: dict[int, tuple[int, int]] = {}
    started: set[int] = set()
    for i, row in enumerate(orders_t.itertuples(index=False)):
        ops = []
        for step, alternatives in steps_of[row.product_id]:
            state = floor.state.get((row.order_id, step))
            if state is not None and state.done:
                continue
            modes = tuple(
                Mode(m, operation_duration(row.quantity, mpu, setup), family, resumable)
                for m, mpu, setup, family, resumable in alternatives
            )
            k = len(operations)
            if state is not None:  # running: its machine, the minutes it still needs, pausing
                m = machine_index[state.machine]
                family = next(mode.family for mode in modes if mode.machine == m)
                modes = (Mode(m, state.remaining, family, True),)
                fixed[k], running[k] = (m, 0), state.started
            op_of_step[(i, step)] = k
            ops.append(k)
            operations.append(Operation(i, step, len(ops) - 1, modes))
        tier, weight = tier_and_weight(row.customer_id, row.weight)
        is_started = row.order_id in floor.started
        if is_started:
            started.add(i)
        # a started order is under way: its release and after_order lie behind it, and a
        # predecessor that is done has finished before the plan starts
        linked = not (pd.isna(row.after_order) or is_started or row.after_order in floor.done)
        orders.append(
            Order(
                id=row.order_id,
                customer=row.customer_id,
                tier=tier,
                tier_rank=tier_names.index(tier),
                weight=weight,
                release=0 if is_started else int(release[i]),
                due=int(due[i]),
                operations=tuple(ops),
                predecessors=(order_index[row.after_order],) if linked else (),
            )
        )
    materials, demands = _materials(tables, orders_t, op_of_step, start, horizon, set(running))
    minute = pd.Timedelta(minutes=1)
    for (oid, step), (mid, at) in (frozen or {}).items():
        kept = op_of_step.get((order_index.get(oid, -1), step))
        if kept is not None and kept not in running and at >= start:
            fixed[kept] = (machine_index[mid], int((at - start) / minute))
    freeze = 0 if freeze_at is None else max(0, math.ceil((freeze_at - start) / minute))
    before = {
        op_of_step[(order_index[oid], step)]: (machine_index[mid], round((at - start) / minute))
        for (oid, step), (mid, at) in (previous or {}).items()
        if oid in order_index and (order_index[oid], step) in op_of_step and mid in machine_index
    }
    done = tuple(
        DoneOrder(oid, customer, *tier_and_weight(customer, weight), floor.done[oid])
        for oid, customer, weight in zip(
            tables["orders"]["order_id"],
            tables["orders"]["customer_id"],
            tables["orders"]["weight"],
            strict=True,
        )
        if oid in floor.done
    )
    return ProblemData(
        start,
        horizon,
        tuple(orders),
        tuple(operations),
        machines,
        materials,
        demands,
        tuple(tier_names),
        dict(tier_weights),
        fixed,
        freeze,
        families,
        previous={k: placed for k, placed in before.items() if placed[1] >= freeze and k not in fixed},
        stability=stability or StabilityPrices(0.0, 0.0, 0.0),
        running=running,
        started=frozenset(started),
        done=done,
    )


Alternative = tuple[int, float, int, int, bool]  # machine, minutes per unit, setup, family, resumable


def _families(tables: dict[str, pd.DataFrame]) -> tuple[str, ...]:
    names = set(tables["routings"]["family"].dropna())
    names |= set(tables["changeovers"]["from_family"].dropna()) | set(
        tables["changeovers"]["to_family"].dropna()
    )
    return tuple(sorted(str(n) for n in names))


def _product_steps(
    routings: pd.DataFrame, machine_index: dict[str, int], family_index: dict[str, int]
) -> dict[str, list[tuple[int, list[Alternative]]]]:
    """Per product, its steps in ascending order, each with its alternatives."""
    out: dict[str, list[tuple[int, list[Alternative]]]] = {}
    ordered = routings.sort_values(["product_id", "step", "machine_id"], kind="stable")
    for r in ordered.itertuples(index=False):
        steps = out.setdefault(r.product_id, [])
        if not steps or steps[-1][0] != int(r.step):
            steps.append((int(r.step), []))
        family = NO_FAMILY if pd.isna(r.family) else family_index[str(r.family)]
        steps[-1][1].append(
            (
                machine_index[r.machine_id],
                float(r.minutes_per_unit),
                int(r.setup_minutes),
                family,
                bool(r.resumable),
            )
        )
    return out


def _machines(
    tables: dict[str, pd.DataFrame],
    index: dict[str, int],
    family_index: dict[str, int],
    start: pd.Timestamp,
    horizon: int,
) -> tuple[Machine, ...]:
    machines_t, downtime = tables["machines"].reset_index(drop=True), tables["downtime"]
    windows: dict[int, list[tuple[int, int]]] = {i: [] for i in index.values()}
    if not downtime.empty:
        s = _minutes(downtime["start"], start, "floor")
        e = _minutes(downtime["end"], start, "ceil")
        for m, a, b in zip(downtime["machine_id"], s, e, strict=True):
            windows[index[m]].append((int(a), int(b)))
    calendars = weekly_windows(tables["shifts"])
    changeovers = _changeovers(tables["changeovers"], family_index)
    out = []
    for i, r in enumerate(machines_t.itertuples(index=False)):
        down = merge_intervals(windows[i], 0, horizon)
        calendar = None if pd.isna(r.calendar) else str(r.calendar)
        shifts = None if calendar is None else calendar_minutes(calendars.get(calendar, []), start, horizon)
        capacity = int(r.capacity)
        table = {**changeovers.get(None, {}), **changeovers.get(r.machine_id, {})} if capacity == 1 else {}
        out.append(
            Machine(
                r.machine_id,
                str(r.name) if pd.notna(r.name) else r.machine_id,
                str(r.group) if pd.notna(r.group) else "",
                down,
                capacity,
                working_stretches(shifts, down, horizon),
                _gaps(shifts, horizon) if shifts is not None else (),
                calendar,
                tuple(sorted(table.items())),
            )
        )
    return tuple(out)


def _changeovers(
    frame: pd.DataFrame, family_index: dict[str, int]
) -> dict[str | None, dict[tuple[int, int], int]]:
    """Per machine_id (None: every machine of capacity 1), (from, to) family -> minutes."""
    out: dict[str | None, dict[tuple[int, int], int]] = {}
    for r in frame.itertuples(index=False):
        machine = None if pd.isna(r.machine_id) else str(r.machine_id)
        pair = (family_index[str(r.from_family)], family_index[str(r.to_family)])
        out.setdefault(machine, {})[pair] = int(r.minutes)
    return out


def _gaps(windows: list[tuple[int, int]], horizon: int) -> tuple[tuple[int, int], ...]:
    """The non-working time between calendar windows, inside [0, horizon)."""
    out, cursor = [], 0
    for a, b in windows:
        if a > cursor:
            out.append((cursor, min(a, horizon)))
        cursor = max(cursor, b)
        if cursor >= horizon:
            break
    if cursor < horizon:
        out.append((cursor, horizon))
    return tuple((a, b) for a, b in out if b > a)


def _materials(
    tables: dict[str, pd.DataFrame],
    orders_t: pd.DataFrame,
    op_of_step: dict[tuple[int, int], int],
    start: pd.Timestamp,
    horizon: int,
    running: set[int],
) -> tuple[tuple[Material, ...], tuple[Demand, ...]]:
    """Stock, receipts and the orders' needs; steps done or running have had their material."""
    materials_t, receipts_t, bom = tables["materials"], tables["receipts"], tables["bom"]
    index = {m: i for i, m in enumerate(materials_t["material_id"])}
    on_hand: list[list[Decimal]] = [[decimal_of(v)] for v in materials_t["on_hand"]]
    receipts: list[list[tuple[int, Decimal]]] = [[] for _ in index]
    if not receipts_t.empty:
        arrival = np.maximum(_minutes(receipts_t["arrival"], start, "ceil"), 0)
        for m, t, q in zip(receipts_t["material_id"], arrival, receipts_t["quantity"], strict=True):
            if t == 0:
                on_hand[index[m]].append(decimal_of(q))  # arrived before the plan starts: it is stock
            elif t <= horizon:
                receipts[index[m]].append((int(t), decimal_of(q)))
    needs: list[tuple[int, int, int, Decimal]] = []  # order, operation, material, quantity
    if not bom.empty:
        lines = orders_t[["product_id", "quantity"]].reset_index().merge(bom, on="product_id", sort=False)
        for r in lines.sort_values(["index", "step", "material_id"]).itertuples(index=False):
            i = int(r.index)
            k = op_of_step.get((i, int(r.step)))
            if k is None or k in running:
                continue
            amount = exact_product(int(r.quantity), r.quantity_per_unit)
            needs.append((i, k, index[r.material_id], amount))
    needs_of: list[list[int]] = [[] for _ in index]
    for n, (_, _, material, _) in enumerate(needs):
        needs_of[material].append(n)
    materials = []
    units_of_need: list[int] = [0] * len(needs)
    for j, mid in enumerate(materials_t["material_id"]):
        mine = needs_of[j]
        values = [sum(on_hand[j], Decimal(0)), *(q for _, q in receipts[j]), *(needs[n][3] for n in mine)]
        scale, units = scaled_units(values)
        arriving = len(receipts[j])
        for n, u in zip(mine, units[1 + arriving :], strict=True):
            units_of_need[n] = u
        arrivals = tuple(sorted(zip((t for t, _ in receipts[j]), units[1 : 1 + arriving], strict=True)))
        materials.append(Material(mid, units[0], arrivals, scale))
    demands = tuple(
        Demand(order, operation, material, units_of_need[n])
        for n, (order, operation, material, _) in enumerate(needs)
    )
    return tuple(materials), demands
