"""The pure scheduling problem, in whole minutes from the plan start.

Built once from the scenario's tables (:func:`build_problem`), immutable afterwards. No
solver is imported here: the CP-SAT adapter, the dispatch rules and the explanations all
read this model.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cached_property

import numpy as np
import pandas as pd

from scheduler.exact import decimal_of, exact_product, operation_duration, scaled_units


@dataclass(frozen=True)
class Mode:
    """One way to run an operation: on ``machine`` for ``duration`` minutes."""

    machine: int
    duration: int


@dataclass(frozen=True)
class Operation:
    """One routing step of one order; ``modes`` are its alternative machines."""

    order: int
    step: int
    position: int
    modes: tuple[Mode, ...]

    @property
    def min_duration(self) -> int:
        return min(m.duration for m in self.modes)


@dataclass(frozen=True)
class Order:
    id: str
    customer: str
    tier: str
    tier_rank: int
    weight: float
    release: int
    due: int
    operations: tuple[int, ...]
    predecessors: tuple[int, ...] = ()

    @property
    def first_op(self) -> int:
        return self.operations[0]

    @property
    def last_op(self) -> int:
        return self.operations[-1]


@dataclass(frozen=True)
class Machine:
    id: str
    name: str
    group: str
    downtime: tuple[tuple[int, int], ...] = ()


@dataclass(frozen=True)
class Material:
    """Stock in exact whole units of ``1 / scale`` (see :mod:`scheduler.exact`)."""

    id: str
    on_hand: int
    receipts: tuple[tuple[int, int], ...] = ()  # (minute, units), sorted by minute
    scale: int = 1

    def supply_until(self, time: int) -> int:
        """Stock on hand plus everything that has arrived by ``time`` (inclusive)."""
        return self.on_hand + sum(q for t, q in self.receipts if t <= time)

    def amount(self, units: int) -> Decimal:
        """``units`` in the material's own unit of measure."""
        return (Decimal(units) / self.scale).normalize()

    def show(self, units: int) -> str:
        return f"{self.amount(units):f}"


@dataclass(frozen=True)
class Demand:
    """``order`` consumes ``quantity`` units (of ``1 / scale``) of ``material`` when ``operation`` starts."""

    order: int
    operation: int
    material: int
    quantity: int


@dataclass(frozen=True)
class ProblemData:
    start: pd.Timestamp
    horizon: int
    orders: tuple[Order, ...]
    operations: tuple[Operation, ...]
    machines: tuple[Machine, ...]
    materials: tuple[Material, ...] = ()
    demands: tuple[Demand, ...] = ()
    tier_names: tuple[str, ...] = ("A", "B", "C")
    tier_weights: dict[str, float] = field(default_factory=dict)
    fixed: dict[int, tuple[int, int]] = field(default_factory=dict)  # operation -> (machine, start), frozen
    freeze: int = 0  # operations that are not fixed start at or after this minute

    def fixed_duration(self, op: int) -> int:
        machine = self.fixed[op][0]
        return next(m.duration for m in self.operations[op].modes if m.machine == machine)

    @cached_property
    def frozen_orders(self) -> frozenset[int]:
        """Orders with at least one frozen operation: they must be scheduled."""
        return frozenset(self.operations[k].order for k in self.fixed)

    @cached_property
    def demands_of_order(self) -> dict[int, tuple[Demand, ...]]:
        out: dict[int, list[Demand]] = {}
        for d in self.demands:
            out.setdefault(d.order, []).append(d)
        return {k: tuple(v) for k, v in out.items()}

    @cached_property
    def demands_of_operation(self) -> dict[int, tuple[Demand, ...]]:
        out: dict[int, list[Demand]] = {}
        for d in self.demands:
            out.setdefault(d.operation, []).append(d)
        return {k: tuple(v) for k, v in out.items()}

    @cached_property
    def successors(self) -> tuple[tuple[int, ...], ...]:
        """Orders that may start only after each order finishes (after_order)."""
        out: list[list[int]] = [[] for _ in self.orders]
        for i, order in enumerate(self.orders):
            for p in order.predecessors:
                out[p].append(i)
        return tuple(tuple(s) for s in out)

    @cached_property
    def topological_orders(self) -> tuple[int, ...]:
        """Orders sorted so that every after_order predecessor comes first."""
        indegree = [len(o.predecessors) for o in self.orders]
        ready = [i for i, d in enumerate(indegree) if d == 0]
        out: list[int] = []
        while ready:
            i = ready.pop()
            out.append(i)
            for s in self.successors[i]:
                indegree[s] -= 1
                if indegree[s] == 0:
                    ready.append(s)
        return tuple(out)

    @cached_property
    def earliest_starts(self) -> tuple[int, ...]:
        """Per operation, the earliest start ignoring capacity and material."""
        est = [0] * len(self.operations)
        completion = [0] * len(self.orders)
        for i in self.topological_orders:
            order = self.orders[i]
            t = max([order.release, self.freeze, *(completion[p] for p in order.predecessors)])
            for k in order.operations:
                if k in self.fixed:
                    est[k] = self.fixed[k][1]
                    t = est[k] + self.fixed_duration(k)
                    continue
                est[k] = t = max(t, self.freeze)
                t += self.operations[k].min_duration
            completion[i] = t
        return tuple(est)

    @cached_property
    def latest_ends(self) -> tuple[int, ...]:
        """Per operation, the latest end that still lets its order end inside the horizon.

        after_order successors do not tighten this: a successor may stay unscheduled,
        and then its predecessor may end as late as the horizon allows.
        """
        lend = [self.horizon] * len(self.operations)
        for order in self.orders:
            t = self.horizon
            for k in reversed(order.operations):
                lend[k] = t
                t -= self.operations[k].min_duration
        return tuple(lend)

    @cached_property
    def weight_scale(self) -> int:
        """Smallest of 1, 10, ..., 1000 that makes every order weight whole (then rounded)."""
        for scale in (1, 10, 100, 1000):
            if all(abs(o.weight * scale - round(o.weight * scale)) < 1e-9 for o in self.orders):
                return scale
        return 1000

    def largest_cost(self) -> tuple[int, int]:
        """The objective's largest value in the solver's integer units (every order left out,
        weights scaled by ``weight_scale``), and the order contributing most to it."""
        costs = [round(self.unscheduled_penalty(i) * self.weight_scale) for i in range(len(self.orders))]
        worst = max(range(len(costs)), key=costs.__getitem__, default=-1)
        return sum(costs), worst

    def weight(self, order: int) -> float:
        return self.orders[order].weight

    def max_tardiness(self, order: int) -> int:
        return max(0, self.horizon - self.orders[order].due)

    def unscheduled_penalty(self, order: int) -> float:
        """What leaving an order out costs: its weight times (its largest tardiness + horizon).

        Larger than any tardiness cost the order could have inside the horizon, so the
        solvers leave an order out only when it cannot be made in time or material.
        """
        return self.weight(order) * (self.max_tardiness(order) + self.horizon)


# The objective's largest value, in the solver's integer units: CP-SAT sums the penalty
# and tardiness terms in 64-bit integers, and each of the two may reach this much.
INTEGER_COST_LIMIT = 2**61


def _minutes(times: pd.Series, start: pd.Timestamp, rounding: str) -> np.ndarray:
    """Whole minutes from ``start``; ``rounding`` is "ceil" or "floor"."""
    delta = (times - start) / pd.Timedelta(minutes=1)
    values = (
        np.ceil(delta.to_numpy(dtype=float)) if rounding == "ceil" else np.floor(delta.to_numpy(dtype=float))
    )
    return values.astype(np.int64)


def merge_intervals(
    intervals: list[tuple[int, int]], lo: int | None = None, hi: int | None = None
) -> tuple[tuple[int, int], ...]:
    """Clip intervals to [lo, hi) (when given) and merge overlapping or touching ones."""
    out: list[list[int]] = []
    clipped = ((s if lo is None else max(s, lo), e if hi is None else min(e, hi)) for s, e in intervals)
    for s, e in sorted(clipped):
        if e <= s:
            continue
        if out and s <= out[-1][1]:
            out[-1][1] = max(out[-1][1], e)
        else:
            out.append([s, e])
    return tuple((s, e) for s, e in out)


def build_problem(
    tables: dict[str, pd.DataFrame],
    tier_of_customer: dict[str, str],
    tier_names: tuple[str, ...],
    tier_weights: dict[str, float],
    start: pd.Timestamp,
    horizon: int,
    frozen: dict[tuple[str, int], tuple[str, pd.Timestamp]] | None = None,
    freeze_at: pd.Timestamp | None = None,
) -> ProblemData:
    """Build the problem from the scenario's typed tables and the customers' tiers.

    Customers without a tier get the lowest tier. Times are rounded so that the model is
    never more generous than the data: releases, receipts and downtime ends round up,
    due dates and downtime starts round down. ``frozen`` maps (order_id, step) to the
    machine and start an operation keeps; every other operation starts at or after
    ``freeze_at``.
    """
    orders_t = tables["orders"].reset_index(drop=True)
    routings = tables["routings"]
    machines_t = tables["machines"].reset_index(drop=True)
    machine_index = {m: i for i, m in enumerate(machines_t["machine_id"])}
    machines = _machines(machines_t, tables["downtime"], machine_index, start, horizon)
    steps_of = _product_steps(routings, machine_index)
    order_index = {o: i for i, o in enumerate(orders_t["order_id"])}
    release = np.maximum(_minutes(orders_t["release"], start, "ceil"), 0)
    due = _minutes(orders_t["due"], start, "floor")

    operations: list[Operation] = []
    orders: list[Order] = []
    op_of_step: dict[tuple[int, int], int] = {}
    lowest = tier_names[-1]
    for i, row in enumerate(orders_t.itertuples(index=False)):
        ops = []
        for position, (step, alternatives) in enumerate(steps_of[row.product_id]):
            modes = tuple(
                Mode(m, operation_duration(row.quantity, mpu, setup)) for m, mpu, setup in alternatives
            )
            op_of_step[(i, step)] = len(operations)
            ops.append(len(operations))
            operations.append(Operation(i, step, position, modes))
        tier = tier_of_customer.get(row.customer_id, lowest)
        predecessors = () if pd.isna(row.after_order) else (order_index[row.after_order],)
        orders.append(
            Order(
                id=row.order_id,
                customer=row.customer_id,
                tier=tier,
                tier_rank=tier_names.index(tier),
                weight=float(tier_weights[tier]) * float(row.weight),
                release=int(release[i]),
                due=int(due[i]),
                operations=tuple(ops),
                predecessors=predecessors,
            )
        )
    materials, demands = _materials(tables, orders_t, op_of_step, start, horizon)
    fixed = {
        op_of_step[(order_index[oid], step)]: (
            machine_index[mid],
            int((at - start) / pd.Timedelta(minutes=1)),
        )
        for (oid, step), (mid, at) in (frozen or {}).items()
    }
    freeze = 0 if freeze_at is None else max(0, math.ceil((freeze_at - start) / pd.Timedelta(minutes=1)))
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
    )


def _product_steps(
    routings: pd.DataFrame, machine_index: dict[str, int]
) -> dict[str, list[tuple[int, list[tuple[int, float, int]]]]]:
    """Per product, its steps in ascending order, each with (machine, minutes_per_unit, setup)."""
    out: dict[str, list[tuple[int, list[tuple[int, float, int]]]]] = {}
    ordered = routings.sort_values(["product_id", "step", "machine_id"], kind="stable")
    for r in ordered.itertuples(index=False):
        steps = out.setdefault(r.product_id, [])
        if not steps or steps[-1][0] != int(r.step):
            steps.append((int(r.step), []))
        steps[-1][1].append((machine_index[r.machine_id], float(r.minutes_per_unit), int(r.setup_minutes)))
    return out


def _machines(
    machines_t: pd.DataFrame,
    downtime: pd.DataFrame,
    index: dict[str, int],
    start: pd.Timestamp,
    horizon: int,
) -> tuple[Machine, ...]:
    windows: dict[int, list[tuple[int, int]]] = {i: [] for i in index.values()}
    if not downtime.empty:
        s = _minutes(downtime["start"], start, "floor")
        e = _minutes(downtime["end"], start, "ceil")
        for m, a, b in zip(downtime["machine_id"], s, e, strict=True):
            windows[index[m]].append((int(a), int(b)))
    names = machines_t["name"] if "name" in machines_t else machines_t["machine_id"]
    groups = machines_t["group"] if "group" in machines_t else pd.Series([None] * len(machines_t))
    return tuple(
        Machine(
            mid,
            str(name) if pd.notna(name) else mid,
            str(group) if pd.notna(group) else "",
            merge_intervals(windows[i], 0, horizon),
        )
        for i, (mid, name, group) in enumerate(zip(machines_t["machine_id"], names, groups, strict=True))
    )


def _materials(
    tables: dict[str, pd.DataFrame],
    orders_t: pd.DataFrame,
    op_of_step: dict[tuple[int, int], int],
    start: pd.Timestamp,
    horizon: int,
) -> tuple[tuple[Material, ...], tuple[Demand, ...]]:
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
            amount = exact_product(int(r.quantity), r.quantity_per_unit)
            needs.append((i, op_of_step[(i, int(r.step))], index[r.material_id], amount))
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
