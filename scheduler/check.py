"""The independent plan checker: feasibility and every KPI, recomputed from the tables alone.

Nothing here uses the solver, the problem model or the dispatch code: the checker reads
the scenario's tables and the plan's tables and recomputes everything with plain pandas,
so a mistake in the model cannot hide in the check.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import numpy as np
import pandas as pd

from scheduler.check_plant import (
    changeover_rule,
    check_capacity,
    check_changeovers,
    check_machine_summary,
    check_plant_columns,
    check_working_time,
    working_time,
)
from scheduler.check_progress import Floor, check_shop_floor_rows, expected_steps, read_floor
from scheduler.exact import decimal_of, exact_product, exact_sum, operation_duration
from scheduler.plan_schema import PLAN_TABLES, V1_COLUMNS, names

MINUTE = pd.Timedelta(minutes=1)
_MAX_PER_RULE = 25


@dataclass(frozen=True)
class Violation:
    file: str
    key: str
    message: str

    def __str__(self) -> str:
        return f"{self.file} [{self.key}]: {self.message}" if self.key else f"{self.file}: {self.message}"


@dataclass(frozen=True)
class CheckContext:
    """What the checker needs besides the plan: the scenario's tables and settings, and the tiers."""

    tables: dict[str, pd.DataFrame]
    tiers: pd.DataFrame  # customer_id, tier
    start: pd.Timestamp
    horizon_minutes: int
    tier_names: tuple[str, ...]
    tier_weights: dict[str, float]

    @property
    def end(self) -> pd.Timestamp:
        return self.start + self.horizon_minutes * MINUTE


class _Found:
    def __init__(self) -> None:
        self.items: list[Violation] = []
        self.counts: dict[str, int] = {}

    def add(self, file: str, key: str, message: str, rule: str) -> None:
        self.counts[rule] = self.counts.get(rule, 0) + 1
        if self.counts[rule] <= _MAX_PER_RULE:
            self.items.append(Violation(file, key, message))

    def result(self) -> list[Violation]:
        more = [
            Violation("plan", "", f"{n - _MAX_PER_RULE} more of: {rule}")
            for rule, n in self.counts.items()
            if n > _MAX_PER_RULE
        ]
        return self.items + more


PLAN_COLUMNS = {name: tuple(names(name)[: V1_COLUMNS[name]]) for name in PLAN_TABLES}  # the v1 ones


def check_plan(
    ctx: CheckContext,
    schedule: pd.DataFrame,
    orders: pd.DataFrame,
    materials: pd.DataFrame,
    summary: dict[str, Any] | None,
) -> list[Violation]:
    """Every violation of the plan against its scenario; empty when the plan holds."""
    found = _Found()
    for name, frame in (("schedule", schedule), ("orders", orders), ("materials", materials)):
        missing = [c for c in PLAN_COLUMNS[name] if c not in frame.columns]
        if missing:
            found.add(f"{name}.parquet", "", f"missing columns {', '.join(missing)}", "columns")
    if found.items:
        return found.result()
    floor = read_floor(ctx.tables)
    ops = _check_operations(ctx, schedule, floor, found)
    expected = _check_orders(ctx, ops, orders, floor, found)
    _check_machines(ctx, ops, summary, found)
    _check_materials(ctx, ops, expected, materials, floor, found)
    if summary is not None:
        _check_summary(ctx, expected, summary, found)
    return found.result()


def _check_operations(ctx: CheckContext, schedule: pd.DataFrame, floor: Floor, found: _Found) -> pd.DataFrame:
    """Each row: a known order, a step of its routing, an allowed machine, the right duration
    (a running step: its remaining working minutes), the shop floor's state."""
    orders = ctx.tables["orders"].set_index("order_id")
    routings = ctx.tables["routings"]
    ops = schedule.copy()
    ops["start"] = pd.to_datetime(ops["start"])
    ops["end"] = pd.to_datetime(ops["end"])
    known = ops["order_id"].isin(orders.index)
    for oid in ops.loc[~known, "order_id"]:
        found.add("schedule.parquet", f"order_id={oid}", "unknown order", "unknown order")
    ops = ops[known].copy()
    ops["product_id"] = ops["order_id"].map(orders["product_id"])
    ops["quantity"] = ops["order_id"].map(orders["quantity"]).astype("int64")
    ops = ops.merge(
        routings[
            ["product_id", "step", "machine_id", "minutes_per_unit", "setup_minutes", "family", "resumable"]
        ],
        on=["product_id", "step", "machine_id"],
        how="left",
        indicator=True,
    )
    for r in ops[ops["_merge"] != "both"].itertuples():
        found.add(
            "schedule.parquet",
            f"order_id={r.order_id}, step={r.step}",
            f"machine {r.machine_id} is not an alternative of step {r.step} of product {r.product_id}",
            "machine not allowed",
        )
    dup = ops.duplicated(["order_id", "step"], keep="first")
    for r in ops[dup].itertuples():
        found.add(
            "schedule.parquet",
            f"order_id={r.order_id}, step={r.step}",
            "step scheduled twice",
            "duplicate",
        )
    ops = ops[(ops["_merge"] == "both") & ~dup].drop(columns="_merge")
    expected = [
        operation_duration(q, m, s)
        for q, m, s in zip(ops["quantity"], ops["minutes_per_unit"], ops["setup_minutes"], strict=True)
    ]
    ops["duration"] = np.asarray(expected, dtype="int64")
    keys = list(zip(ops["order_id"], ops["step"].astype(int), strict=True))
    ops["running"] = np.array([k in floor.running for k in keys], dtype=bool)
    remaining = [floor.running[k][1] for k in keys if k in floor.running]
    ops.loc[ops["running"], "duration"] = np.asarray(remaining, dtype="int64")
    check_shop_floor_rows(ops, floor, ctx.start, found.add)
    for column in ("start", "end"):
        offset = (ops[column] - ctx.start) / MINUTE
        for r in ops[offset % 1 != 0].itertuples():
            found.add(
                "schedule.parquet",
                f"order_id={r.order_id}, step={r.step}",
                f"{column} {getattr(r, column)} is not a whole minute from the plan start",
                "whole minutes",
            )
        ops[f"{column}_minute"] = np.floor(offset.to_numpy(dtype=float)).astype("int64")
    outside = (ops["start"] < ctx.start) | (ops["end"] > ctx.end)
    for r in ops[outside].itertuples():
        found.add(
            "schedule.parquet",
            f"order_id={r.order_id}, step={r.step}",
            f"runs {r.start} to {r.end}, outside the horizon {ctx.start} to {ctx.end}",
            "horizon",
        )
    return ops


def _check_orders(
    ctx: CheckContext, ops: pd.DataFrame, plan_orders: pd.DataFrame, floor: Floor, found: _Found
) -> pd.DataFrame:
    """Completeness (the steps not done), step order, release and after_order (of orders not
    started on the shop floor); and each order's row recomputed."""
    orders = ctx.tables["orders"].copy()
    routings = ctx.tables["routings"]
    steps_of = routings.groupby("product_id")["step"].apply(lambda s: sorted({int(x) for x in s}))
    ordered = ops.sort_values(["order_id", "step"], kind="stable").reset_index(drop=True)
    per_order = ordered.groupby("order_id", sort=False).agg(
        steps=("step", list), first=("start", "first"), begins=("start", "min"), ends=("end", "max")
    )
    oid, step = ordered["order_id"].to_numpy(), ordered["step"].to_numpy()
    starts, ends = ordered["start"].to_numpy(), ordered["end"].to_numpy()
    early: dict[str, list[int]] = {}  # per order, rows whose next step starts before they end
    for row in np.flatnonzero((oid[1:] == oid[:-1]) & (starts[1:] < ends[:-1])):
        early.setdefault(oid[row], []).append(int(row))
    completion: dict[str, pd.Timestamp] = {**per_order["ends"].to_dict(), **floor.done_orders}
    first_start: dict[str, pd.Timestamp] = per_order["begins"].to_dict()
    steps_in, first_step_start = per_order["steps"].to_dict(), per_order["first"].to_dict()
    for r in orders.itertuples(index=False):
        if r.order_id not in steps_in:
            continue
        key = f"order_id={r.order_id}"
        steps = [int(x) for x in steps_in[r.order_id]]
        wanted = expected_steps(r.order_id, steps_of[r.product_id], floor)
        if steps != wanted:
            found.add(
                "schedule.parquet",
                key,
                f"has steps {steps}; expected all of {wanted} (the steps not done on the shop floor)",
                "incomplete order",
            )
        for a in early.get(r.order_id, ()):
            found.add(
                "schedule.parquet",
                key,
                f"step {step[a + 1]} starts before step {step[a]} ends",
                "step order",
            )
        if r.order_id not in floor.started and first_step_start[r.order_id] < r.release:
            found.add(
                "schedule.parquet",
                key,
                f"starts {first_step_start[r.order_id]} before its release {r.release}",
                "release",
            )
    for r in orders.dropna(subset=["after_order"]).itertuples(index=False):
        if r.order_id not in first_start or r.order_id in floor.started:
            continue
        before = completion.get(r.after_order)
        if before is None:
            found.add(
                "schedule.parquet",
                f"order_id={r.order_id}",
                f"scheduled although order {r.after_order} (after_order) is not",
                "after_order",
            )
        elif first_start[r.order_id] < before:
            found.add(
                "schedule.parquet",
                f"order_id={r.order_id}",
                f"starts {first_start[r.order_id]} before order {r.after_order} finishes {before}",
                "after_order",
            )

    tier_of = dict(zip(ctx.tiers["customer_id"], ctx.tiers["tier"], strict=True)) if len(ctx.tiers) else {}
    orders["tier"] = orders["customer_id"].map(lambda c: tier_of.get(c, ctx.tier_names[-1]))
    orders["weight"] = orders["tier"].map(ctx.tier_weights).astype(float) * orders["weight"].astype(float)
    orders["completion"] = orders["order_id"].map(completion).astype("datetime64[us]")
    orders["status"] = np.where(orders["completion"].notna(), "scheduled", "unscheduled")
    orders.loc[orders["order_id"].isin(list(floor.done_orders)), "status"] = "done"
    for oid in orders.loc[orders["status"] == "unscheduled", "order_id"]:
        if oid in floor.started:
            found.add(
                "orders.parquet",
                f"order_id={oid}",
                "started on the shop floor but unscheduled; expected every started order planned",
                "started order left out",
            )
    late = (orders["completion"] - orders["due"]) / MINUTE
    orders["tardiness_minutes"] = np.ceil(late.fillna(0).clip(lower=0)).astype("int64")
    _compare_orders(orders, plan_orders, found)
    return orders


def _compare_orders(expected: pd.DataFrame, plan: pd.DataFrame, found: _Found) -> None:
    counts = plan["order_id"].value_counts()
    for oid in counts[counts > 1].index:
        found.add("orders.parquet", f"order_id={oid}", "listed more than once", "orders rows")
    missing = set(expected["order_id"]) - set(plan["order_id"])
    for oid in sorted(missing):
        found.add(
            "orders.parquet",
            f"order_id={oid}",
            "missing; expected one row per order",
            "orders rows",
        )
    for oid in sorted(set(plan["order_id"]) - set(expected["order_id"])):
        found.add("orders.parquet", f"order_id={oid}", "not an order of the scenario", "orders rows")
    merged = expected.merge(plan.drop_duplicates("order_id"), on="order_id", suffixes=("", "_plan"))
    for column in ("customer_id", "tier", "status"):
        bad = merged[merged[column].astype(str) != merged[f"{column}_plan"].astype(str)]
        for r in bad.itertuples():
            found.add(
                "orders.parquet",
                f"order_id={r.order_id}",
                f"{column} is {getattr(r, column + '_plan')!r}; expected {getattr(r, column)!r}",
                column,
            )
    bad = merged[~np.isclose(merged["weight"], merged["weight_plan"].astype(float), rtol=1e-9)]
    for r in bad.itertuples():
        found.add(
            "orders.parquet",
            f"order_id={r.order_id}",
            f"weight is {r.weight_plan}; expected tier weight x order weight = {r.weight}",
            "weight",
        )
    for column in ("due", "completion"):
        a, b = merged[column], pd.to_datetime(merged[f"{column}_plan"])
        bad = merged[~((a == b) | (a.isna() & b.isna()))]
        for r in bad.itertuples():
            found.add(
                "orders.parquet",
                f"order_id={r.order_id}",
                f"{column} is {getattr(r, column + '_plan')}; expected {getattr(r, column)}",
                column,
            )
    bad = merged[merged["tardiness_minutes"] != merged["tardiness_minutes_plan"].astype("int64")]
    for r in bad.itertuples():
        found.add(
            "orders.parquet",
            f"order_id={r.order_id}",
            f"tardiness_minutes is {r.tardiness_minutes_plan}; expected {r.tardiness_minutes}",
            "tardiness",
        )
    needs_reason = (merged["status"] == "unscheduled") | (merged["tardiness_minutes"] > 0)
    no_reason = needs_reason & (merged["reason"].isna() | (merged["reason"].astype(str).str.strip() == ""))
    for r in merged[no_reason].itertuples():
        found.add(
            "orders.parquet",
            f"order_id={r.order_id}",
            "late or unscheduled without a reason",
            "reason",
        )


def _check_machines(
    ctx: CheckContext, ops: pd.DataFrame, summary: dict[str, Any] | None, found: _Found
) -> None:
    """Working time (shifts minus downtime, resumable steps), capacity, changeovers."""
    machines = ctx.tables["machines"]
    capacity = dict(zip(machines["machine_id"], machines["capacity"].astype(int), strict=True))
    working = working_time(ctx.tables, ctx.start, ctx.horizon_minutes)
    check_working_time(ops, working, found.add)
    check_capacity(ops, capacity, found.add)
    required = check_changeovers(ops, capacity, changeover_rule(ctx.tables), found.add)
    check_plant_columns(ops, required, found.add)
    if summary is not None:
        check_machine_summary(ops, working, ctx.horizon_minutes, required, summary, found.add)


def _check_materials(
    ctx: CheckContext,
    ops: pd.DataFrame,
    orders: pd.DataFrame,
    plan: pd.DataFrame,
    floor: Floor,
    found: _Found,
) -> None:
    """Consumption as the BOM says, at the step's start (none for steps the shop floor has
    started: their material is issued); stock never below zero."""
    bom = ctx.tables["bom"]
    first_step = ctx.tables["routings"].groupby("product_id")["step"].min()
    scheduled = orders[orders["status"] == "scheduled"][["order_id", "product_id", "quantity"]]
    lines = scheduled.merge(bom, on="product_id")
    if len(lines):
        lines["step"] = lines["step"].fillna(lines["product_id"].map(first_step)).astype("int64")
        issued = floor.done_steps | set(floor.running)
        lines = lines[
            [(o, int(s)) not in issued for o, s in zip(lines["order_id"], lines["step"], strict=True)]
        ]
        lines = lines.merge(ops[["order_id", "step", "start"]], on=["order_id", "step"], how="left")
        pairs = zip(lines["quantity"], lines["quantity_per_unit"], strict=True)
        lines["need"] = [exact_product(int(q), u) for q, u in pairs]
    exact = (
        {(r.material_id, r.order_id, float(r.need), r.start): r.need for r in lines.itertuples()}
        if len(lines)
        else {}
    )
    expected = sorted(exact)
    given = sorted(
        (r.material_id, r.order_id, float(r.quantity), pd.Timestamp(r.time)) for r in plan.itertuples()
    )
    if expected != given:
        extra = sorted(set(given) - set(expected))
        missing = sorted(set(expected) - set(given))
        for m, o, q, t in missing:
            found.add(
                "materials.parquet",
                f"order_id={o}",
                f"expected consumption of {q:g} {m} at {t}",
                "consumption",
            )
        for m, o, q, t in extra:
            found.add(
                "materials.parquet",
                f"order_id={o}",
                f"consumes {q:g} {m} at {t}; not what the BOM and schedule say",
                "consumption",
            )
    materials = ctx.tables["materials"]
    stock = {m: decimal_of(q) for m, q in zip(materials["material_id"], materials["on_hand"], strict=True)}
    events: dict[str, list[tuple[pd.Timestamp, int, Decimal]]] = {m: [] for m in stock}
    for r in ctx.tables["receipts"].itertuples():
        events.setdefault(r.material_id, []).append((r.arrival, 0, decimal_of(r.quantity)))
    for (m, _, _, t), need in exact.items():
        if pd.notna(t):
            events.setdefault(m, []).append((t, 1, -need))
    for material, items in events.items():
        level: Decimal = stock.get(material, Decimal(0))
        first_below, lowest, lowest_at = None, Decimal(0), None
        for t, _, change in sorted(items, key=lambda e: (e[0], e[1])):
            level = exact_sum(level, change)
            if level < 0:
                first_below = first_below or t
                if level < lowest:
                    lowest, lowest_at = level, t
        if first_below is not None:
            found.add(
                "materials.parquet",
                f"material_id={material}",
                f"stock falls below 0 at {first_below}, lowest {lowest:g} at {lowest_at}; "
                "expected never below 0",
                "negative stock",
            )


def _check_summary(ctx: CheckContext, orders: pd.DataFrame, summary: dict[str, Any], found: _Found) -> None:
    """The KPIs per tier and the objective value, recomputed; orders the shop floor has done
    are only counted, outside the KPIs and the objective."""
    done = orders["status"] == "done"
    for tier in ctx.tier_names:
        rows = orders[(orders["tier"] == tier) & ~done]
        scheduled = rows["status"] == "scheduled"
        late = scheduled & (rows["tardiness_minutes"] > 0)
        expected = {
            "orders": len(rows),
            "on_time": int((scheduled & ~late).sum()),
            "late": int(late.sum()),
            "unscheduled": int((~scheduled).sum()),
            "total_tardiness_minutes": int(rows["tardiness_minutes"].sum()),
            "weighted_tardiness": float((rows["weight"] * rows["tardiness_minutes"]).sum()),
            "done": int((done & (orders["tier"] == tier)).sum()),
        }
        given = summary.get("kpis", {}).get(tier, {})
        for key, wanted in expected.items():
            if key not in given or not math.isclose(float(given[key]), wanted, rel_tol=1e-9, abs_tol=1e-6):
                found.add(
                    "summary.json",
                    f"kpis.{tier}",
                    f"{key} is {given.get(key)}; expected {wanted}",
                    "kpis",
                )
    objective = summary.get("objective")
    value = summary.get("objective_value")
    orders = orders[~done]
    due_minute = np.floor((orders["due"] - ctx.start) / MINUTE)
    horizon = ctx.horizon_minutes
    penalty = orders["weight"] * ((horizon - due_minute).clip(lower=0) + horizon)
    cost = float(
        np.where(
            orders["status"] == "scheduled", orders["weight"] * orders["tardiness_minutes"], penalty
        ).sum()
    )
    ends = orders["completion"].dropna()
    span = float((ends.max() - ctx.start) / MINUTE) if len(ends) else 0.0
    expected_value = {"weighted_tardiness": cost, "lexicographic": cost, "makespan": span}.get(str(objective))
    if expected_value is None:
        found.add("summary.json", "objective", f"unknown objective {objective!r}", "objective")
    elif value is None or not math.isclose(float(value), expected_value, rel_tol=1e-9, abs_tol=1e-6):
        found.add(
            "summary.json",
            "objective_value",
            f"is {value}; expected {expected_value:g} for {objective}",
            "objective",
        )
