"""A realistic synthetic plant: customers, history, routings, materials, orders, complaints.

Deterministic per seed. The parts are built in a fixed order from one random generator,
so the same arguments always give the same scenario.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, replace
from functools import partial
from pathlib import Path

import numpy as np
import pandas as pd
import tomli_w

from scenarios.contract.errors import UsageError
from scenarios.contract.io import write_folder, write_table
from scenarios.generators.plant import (
    TWO_SHIFTS,
    changeovers_table,
    downtime_table,
    ids,
    machines_table,
    mark_resumable,
    materials_tables,
    routings_table,
    scale_to_load,
    shifts_table,
    working_minutes,
)
from scenarios.generators.progress import issued_lines, progress_table

DEFAULT_START = pd.Timestamp("2026-12-01T06:00:00")


@dataclass(frozen=True)
class PlantSpec:
    """What to generate; ``None`` sizes are derived from the number of orders.

    ``load`` is the share of the busiest machine group's working time that the orders ask
    for; ``material_cover`` the share of each scarce material's demand that stock and
    receipts inside the horizon cover (1 or more: no material is short), after what the
    started orders have taken. ``plant_model`` False gives a plant without shifts, ovens
    or changeovers (contract v1). ``started``: the share of orders the shop floor has
    started (done, running, or between steps), with a ``progress`` table.
    """

    orders: int = 200
    seed: int = 0
    customers: int | None = None
    machines: int | None = None
    materials: int | None = None
    horizon_days: int = 14
    start: pd.Timestamp = DEFAULT_START
    load: float = 0.85
    material_cover: float = 0.9
    plant_model: bool = True
    started: float = 0.1  # share of the orders already started at the plan start (section 5)

    def sized(self) -> PlantSpec:
        return replace(
            self,
            customers=self.customers or int(np.clip(self.orders // 6, 10, 5000)),
            machines=self.machines or int(np.clip(math.ceil(self.orders / 9), 6, 400)),
            materials=self.materials
            or int(np.clip((self.machines or math.ceil(self.orders / 9)) // 2, 3, 60)),
        )


def generate(spec: PlantSpec) -> tuple[dict[str, object], dict[str, pd.DataFrame]]:
    """Build the settings document and the tables of a synthetic scenario."""
    if not 1 <= spec.orders <= 1_000_000:
        raise UsageError("orders must be between 1 and 1,000,000")
    if not 0 < spec.load <= 2 or not 0 < spec.material_cover <= 100 or not 0 <= spec.started <= 1:
        raise UsageError("load must be in (0, 2], material cover in (0, 100] and started in [0, 1]")
    spec = spec.sized()
    rng = np.random.default_rng(spec.seed)
    as_of = spec.start.normalize() - pd.Timedelta(days=1)
    horizon = spec.horizon_days * 24 * 60
    machines = machines_table(rng, spec.machines or 6, spec.plant_model)
    shifts = shifts_table(spec.plant_model)
    products, routings = routings_table(rng, machines, int(np.clip(spec.orders // 8, 5, 400)))
    customers = _customers(rng, spec, as_of)
    _sales_reps(np.random.default_rng([spec.seed, 7]), customers, as_of)  # its own stream, as progress
    sales, payments = _history(rng, customers, as_of)
    orders = _orders(rng, spec, customers, products)
    available = working_minutes(machines, shifts, spec.start, horizon)
    scale_to_load(routings, machines, orders, available, spec.load)
    if spec.plant_model:
        mark_resumable(rng, routings, machines, orders)
    _due_dates(rng, spec, orders, routings, machines, available)
    # its own stream: the plant is the same whatever share has started
    progress = progress_table(
        np.random.default_rng([spec.seed, 5]), orders, routings, machines, spec.start, spec.started
    )
    bom, materials, receipts = materials_tables(
        rng,
        spec.materials or 3,
        products,
        orders,
        routings,
        spec.start,
        horizon,
        spec.material_cover,
        issued_lines(progress),
    )
    tables = {
        "orders": orders,
        "routings": routings,
        "machines": machines.drop(columns=["speed", "role"]),
        "customers": customers.drop(columns=["size", "behaviour"]),
        "sales_history": sales,
        "payments": payments,
        "downtime": downtime_table(rng, machines, spec.start, spec.horizon_days),
        "bom": bom,
        "materials": materials,
        "receipts": receipts,
        "complaints": _complaints(rng, customers, as_of, spec.orders),
    }
    if len(progress):
        tables["progress"] = progress
    plan: dict[str, object] = {"start": spec.start.to_pydatetime(), "horizon_days": spec.horizon_days}
    if spec.plant_model:
        tables["shifts"] = shifts
        tables["changeovers"] = changeovers_table(rng, machines)
        plan["calendar"] = TWO_SHIFTS
    else:
        tables["machines"] = tables["machines"].drop(columns=["capacity", "calendar"])
        tables["routings"] = tables["routings"].drop(columns=["family"])
    settings: dict[str, object] = {
        "plan": plan,
        "tiers": {
            "names": ["A", "B", "C"],
            "weights": {"A": 4, "B": 2, "C": 1},
            "complaint_sla_days": {"A": 3, "B": 4, "C": 5},
            "visit_every_days": {"A": 30, "B": 90, "C": 180},
        },
        "grading": {
            "as_of": as_of.date(),
            "balance": True,
            "window_months": 12,
            "weights": {"credit": 0.10, "amount": 0.30, "profit": 0.60},
            "method": "ratio",
            "ratios": {"A": 0.20, "B": 0.30, "C": 0.50},
        },
        "solve": {"objective": "weighted_tardiness", "time_limit_s": 30, "workers": 0, "seed": 0},
    }
    if "progress" in tables:
        tables["progress"] = finishable(settings, tables)
    return settings, tables


def finishable(settings: dict[str, object], tables: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """The progress rows of the started orders that can still finish inside the horizon (on
    idle machines, from where they stand): a generated plant always has a plan."""
    from scenarios.contract.model import scenario_from_tables
    from scheduler.build import build_problem

    scenario = scenario_from_tables("generated", tomli_w.dumps(settings), tables)
    s = scenario.settings
    p = build_problem(
        scenario.tables, {}, s.tiers.names, s.tiers.weights, s.plan.start, s.plan.horizon_minutes
    )
    late = set()
    for i in p.started:
        last = p.orders[i].last_op
        end = (
            p.fixed_end(last)
            if last in p.fixed
            else p.earliest_starts[last] + p.operations[last].min_duration
        )
        running_short = any(
            p.mode(k, m).duration > p.machines[m].working.worked(0, p.horizon)
            for k in p.orders[i].operations
            if k in p.running
            for m, _ in [p.fixed[k]]
        )
        if end > p.horizon or running_short:
            late.add(p.orders[i].id)
    progress = tables["progress"]
    return progress[~progress["order_id"].isin(late)].reset_index(drop=True)


def write_generated(out: Path, spec: PlantSpec, fmt: str = "parquet", force: bool = False) -> Path:
    """Generate a scenario and write it as a folder (atomically)."""
    settings, tables = generate(spec)
    text = tomli_w.dumps(settings)
    writers: dict[str, Callable[[Path], object]] = {
        "scenario.toml": lambda p: p.write_text(text, encoding="utf-8")
    }
    for name, frame in tables.items():
        writers[f"{name}.{fmt}"] = partial(_write, frame)
    return write_folder(out, writers, force)


def _write(frame: pd.DataFrame, path: Path) -> None:
    write_table(frame, path)


def _customers(rng: np.random.Generator, spec: PlantSpec, as_of: pd.Timestamp) -> pd.DataFrame:
    n = spec.customers or 10
    size = rng.pareto(1.16, n) + 1.0  # the 80/20 shape of customer revenue
    behaviour = rng.choice(
        ["punctual", "sometimes_late", "chronic_late", "bad_debt"], n, p=[0.6, 0.25, 0.1, 0.05]
    )
    is_new = rng.random(n) < 0.08
    is_new[rng.integers(n)] = True  # every plant has a new customer and a manual override
    behaviour = np.where(is_new, "new", behaviour)
    since_days = np.where(is_new, rng.integers(5, 60, n), rng.integers(400, 4000, n))
    prospect = np.where(is_new, np.round(rng.uniform(20, 95, n), 0), np.nan)
    manual = rng.random(n) < 0.03
    manual[rng.integers(n)] = True
    manual_tier = pd.Series(rng.choice(["A", "B", "C"], n, p=[0.5, 0.3, 0.2])).where(manual)
    reasons = [
        "strategic account",
        "key distributor",
        "payment dispute",
        "new market entry",
        "CEO request",
    ]
    manual_reason = pd.Series(rng.choice(reasons, n)).where(manual)
    return pd.DataFrame(
        {
            "customer_id": ids("C", n),
            "name": [f"Customer {i}" for i in range(1, n + 1)],
            "since": (as_of - pd.to_timedelta(since_days, unit="D")).normalize(),
            "prospect_score": prospect,
            "manual_tier": pd.Series(manual_tier, dtype="str"),
            "manual_reason": pd.Series(manual_reason, dtype="str"),
            "size": size,
            "behaviour": behaviour,
        }
    )


def _sales_reps(rng: np.random.Generator, customers: pd.DataFrame, as_of: pd.Timestamp) -> None:
    """A rep per customer, unbalanced on purpose: the first reps hold the big customers (the
    old hands kept the best accounts), a few customers have none; last visits up to a year
    back, a tenth never visited."""
    n = len(customers)
    reps = max(2, min(200, n // 25))
    size_rank = customers["size"].rank(ascending=False, method="first").to_numpy() / n  # 0: the biggest
    favoured = np.minimum(reps - 1, (rng.random(n) * reps * (0.15 + size_rank)).astype(int))
    rep = np.where(rng.random(n) < 0.6, favoured, rng.integers(0, reps, n))
    names = np.asarray([f"REP{i + 1:03d}" for i in range(reps)], dtype=object)
    assigned = pd.Series(names[rep], dtype="str").where(rng.random(n) >= 0.03)
    days = rng.integers(0, 365, n)
    last = pd.Series(as_of - pd.to_timedelta(days, unit="D")).where(rng.random(n) >= 0.1)
    customers["sales_rep"] = assigned.to_numpy()
    customers["last_visit"] = last.dt.normalize().to_numpy()


def _history(
    rng: np.random.Generator, customers: pd.DataFrame, as_of: pd.Timestamp
) -> tuple[pd.DataFrame, pd.DataFrame]:
    old = customers[customers["behaviour"] != "new"]
    counts = rng.poisson(np.clip(6 * old["size"].to_numpy(), 2, 400))
    cust = np.repeat(old["customer_id"].to_numpy(), counts)
    size = np.repeat(old["size"].to_numpy(), counts)
    behaviour = np.repeat(old["behaviour"].to_numpy(), counts)
    n = len(cust)
    days_back = rng.integers(1, 15 * 30, n)  # 15 months of history
    order_date = (as_of - pd.to_timedelta(days_back, unit="D")).normalize()
    amount = np.round(rng.lognormal(np.log(2500), 0.8, n) * np.sqrt(size), 2)
    margin = np.repeat(rng.normal(0.22, 0.1, len(old)), counts) + rng.normal(0, 0.04, n)
    cost = np.round(amount * (1 - np.clip(margin, -0.2, 0.6)), 2)
    cost = np.where(rng.random(n) < 0.03, np.nan, cost)  # some cost is unknown
    sales = (
        pd.DataFrame(
            {
                "customer_id": cust,
                "order_date": order_date,
                "amount": amount,
                "cost": cost,
                "quantity": rng.integers(1, 500, n).astype(float),
            }
        )
        .sort_values(["order_date", "customer_id"], kind="stable")
        .reset_index(drop=True)
    )

    delay_mean = (
        pd.Series(behaviour)
        .map({"punctual": -2.0, "sometimes_late": 6.0, "chronic_late": 25.0, "bad_debt": 45.0})
        .to_numpy()
    )
    late_chance = (
        pd.Series(behaviour)
        .map({"punctual": 0.05, "sometimes_late": 0.4, "chronic_late": 0.85, "bad_debt": 0.9})
        .to_numpy()
    )
    is_late = rng.random(n) < late_chance
    delay = np.where(is_late, np.abs(rng.normal(delay_mean, 8)) + 1, -rng.integers(0, 6, n))
    due_date = order_date + pd.Timedelta(days=30)
    paid = due_date + pd.to_timedelta(np.round(delay), unit="D")
    unpaid = (paid > as_of) | ((behaviour == "bad_debt") & (rng.random(n) < 0.3))
    payments = pd.DataFrame(
        {
            "customer_id": cust,
            "invoice_id": [f"INV{i:07d}" for i in range(1, n + 1)],
            "amount": amount,
            "due_date": due_date,
            "paid_date": pd.Series(paid).where(~unpaid),
        }
    )
    return sales, payments


def _orders(
    rng: np.random.Generator, spec: PlantSpec, customers: pd.DataFrame, products: pd.DataFrame
) -> pd.DataFrame:
    """Who orders what, how much, when it is released (due dates follow the routings' times)."""
    n = spec.orders
    horizon = spec.horizon_days * 24 * 60
    pick = customers["size"].to_numpy() ** 0.7
    customer = rng.choice(customers["customer_id"].to_numpy(), n, p=pick / pick.sum())
    product = rng.choice(products["product_id"].to_numpy(), n)
    quantity = np.clip(np.round(rng.lognormal(np.log(60), 0.7, n)), 5, 1000).astype(int)
    release = np.where(rng.random(n) < 0.6, 0, rng.integers(0, int(horizon * 0.6), n))
    weight = np.where(rng.random(n) < 0.05, rng.choice([1.5, 2.0], n), 1.0)
    order_ids = ids("O", n, max(5, len(str(n))))
    after = np.full(n, None, dtype=object)
    for i in np.flatnonzero(rng.random(n) < 0.03):
        same = np.flatnonzero(customer[:i] == customer[i])
        if len(same):
            after[i] = order_ids[same[-1]]
    return pd.DataFrame(
        {
            "order_id": order_ids,
            "customer_id": customer,
            "product_id": product,
            "quantity": quantity,
            "due": pd.NaT,
            "release": spec.start + pd.to_timedelta(release, unit="min"),
            "weight": weight,
            "after_order": pd.Series(after, dtype="str"),
        }
    )


def _due_dates(
    rng: np.random.Generator,
    spec: PlantSpec,
    orders: pd.DataFrame,
    routings: pd.DataFrame,
    machines: pd.DataFrame,
    available: pd.Series,
) -> None:
    """Due dates: the release plus some multiple of the order's processing time, in wall-clock
    time (a machine working two shifts needs about twice its working minutes), plus slack."""
    horizon = spec.horizon_days * 24 * 60
    stretch = (horizon / available.clip(lower=1)).reindex(routings["machine_id"]).to_numpy()
    per_step = routings.assign(
        wall=routings["minutes_per_unit"] * stretch, setup_wall=routings["setup_minutes"] * stretch
    )
    per_step = (
        per_step.groupby(["product_id", "step"])[["wall", "setup_wall"]].mean().groupby("product_id").sum()
    )
    lines = per_step.reindex(orders["product_id"])
    processing = orders["quantity"].to_numpy() * lines["wall"].to_numpy() + lines["setup_wall"].to_numpy()
    release = ((orders["release"] - spec.start) / pd.Timedelta(minutes=1)).to_numpy()
    n = len(orders)
    slack = rng.uniform(1.2, 3.0, n) * processing + rng.uniform(0.0, 0.4, n) * horizon
    due = np.minimum(release + slack, horizon * 1.1)
    orders["due"] = spec.start + pd.to_timedelta(np.round(due), unit="min")


def _complaints(
    rng: np.random.Generator, customers: pd.DataFrame, as_of: pd.Timestamp, n_orders: int
) -> pd.DataFrame:
    n = max(5, n_orders // 10)
    pick = customers["size"].to_numpy() ** 0.5
    who = rng.choice(customers["customer_id"].to_numpy(), n, p=pick / pick.sum())
    opened = as_of + pd.Timedelta(hours=18) - pd.to_timedelta(rng.integers(0, 60 * 24 * 60, n), unit="min")
    duration = pd.to_timedelta(rng.uniform(0.1, 9.0, n), unit="D").round("min")
    closed = pd.Series(opened + duration).where((rng.random(n) < 0.65) & (opened + duration <= as_of))
    subjects = [
        "late delivery",
        "damaged goods",
        "wrong quantity",
        "invoice error",
        "quality defect",
        "missing documents",
    ]
    return pd.DataFrame(
        {
            "complaint_id": ids("Q", n, 5),
            "customer_id": who,
            "opened_at": opened,
            "closed_at": closed,
            "subject": rng.choice(subjects, n),
        }
    )
