"""A realistic synthetic plant: customers, history, routings, materials, orders, complaints.

Deterministic per seed. The parts are built in a fixed order from one random generator,
so the same arguments always give the same scenario.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import numpy as np
import pandas as pd
import tomli_w

from scenarios.errors import UsageError
from scenarios.io import write_folder, write_table

GROUP_NAMES = (
    "CUT",
    "MILL",
    "TURN",
    "DRILL",
    "WELD",
    "HEAT",
    "GRIND",
    "PAINT",
    "ASSY",
    "TEST",
    "PACK",
)
MEAN_STEPS = 5.5
TARGET_LOAD = 0.65
DEFAULT_START = pd.Timestamp("2026-12-01T06:00:00")  # machine utilisation the orders ask for, before downtime


@dataclass(frozen=True)
class PlantSpec:
    """What to generate; ``None`` sizes are derived from the number of orders."""

    orders: int = 200
    seed: int = 0
    customers: int | None = None
    machines: int | None = None
    materials: int | None = None
    horizon_days: int = 14
    start: pd.Timestamp = DEFAULT_START

    def sized(self) -> PlantSpec:
        customers = self.customers or int(np.clip(self.orders // 6, 10, 5000))
        machines = self.machines or int(np.clip(math.ceil(self.orders / 9), 6, 400))
        materials = self.materials or int(np.clip(machines // 2, 3, 60))
        return PlantSpec(
            self.orders, self.seed, customers, machines, materials, self.horizon_days, self.start
        )


def generate(spec: PlantSpec) -> tuple[dict[str, object], dict[str, pd.DataFrame]]:
    """Build the settings document and the tables of a synthetic scenario."""
    if not 1 <= spec.orders <= 1_000_000:
        raise UsageError("orders must be between 1 and 1,000,000")
    spec = spec.sized()
    rng = np.random.default_rng(spec.seed)
    as_of = spec.start.normalize() - pd.Timedelta(days=1)
    machines = _machines(rng, spec)
    products, routings = _routings(rng, machines, spec)
    customers = _customers(rng, spec, as_of)
    sales, payments = _history(rng, customers, as_of)
    orders = _orders(rng, spec, customers, products, routings, machines)
    bom, materials, receipts = _materials(rng, spec, products, orders, routings)
    tables = {
        "orders": orders,
        "routings": routings,
        "machines": machines.drop(columns=["speed"]),
        "customers": customers.drop(columns=["size", "behaviour"]),
        "sales_history": sales,
        "payments": payments,
        "downtime": _downtime(rng, machines, spec),
        "bom": bom,
        "materials": materials,
        "receipts": receipts,
        "complaints": _complaints(rng, customers, as_of, spec.orders),
    }
    settings: dict[str, object] = {
        "plan": {"start": spec.start.to_pydatetime(), "horizon_days": spec.horizon_days},
        "tiers": {
            "names": ["A", "B", "C"],
            "weights": {"A": 4, "B": 2, "C": 1},
            "complaint_sla_days": {"A": 3, "B": 4, "C": 5},
        },
        "grading": {
            "as_of": as_of.date(),
            "window_months": 12,
            "weights": {"credit": 0.10, "amount": 0.30, "profit": 0.60},
            "method": "ratio",
            "ratios": {"A": 0.20, "B": 0.30, "C": 0.50},
        },
        "solve": {"objective": "weighted_tardiness", "time_limit_s": 30, "workers": 0, "seed": 0},
    }
    return settings, tables


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


def _ids(prefix: str, n: int, width: int | None = None) -> list[str]:
    width = width or max(3, len(str(n)))
    return [f"{prefix}{i:0{width}d}" for i in range(1, n + 1)]


def _machines(rng: np.random.Generator, spec: PlantSpec) -> pd.DataFrame:
    n = spec.machines or 6
    # Groups of one to four interchangeable machines; larger plants have more groups.
    n_groups = max(3, n - 2) if n <= 8 else round(n / 2.2)
    extra = rng.choice(n_groups, size=max(0, n - n_groups), p=_zipf(n_groups, 0.3))
    group_of = np.sort(np.concatenate([np.arange(n_groups), extra]))[:n]
    names = [_group_name(g) for g in range(n_groups)]
    return pd.DataFrame(
        {
            "machine_id": _ids("M", n, 2),
            "name": [f"{names[g].title()} {i + 1}" for i, g in enumerate(group_of)],
            "group": [names[g] for g in group_of],
            "speed": np.round(rng.uniform(0.75, 1.35, n), 2),  # minutes factor: < 1 is faster
        }
    )


def _group_name(g: int) -> str:
    base = GROUP_NAMES[g % len(GROUP_NAMES)]
    return base if g < len(GROUP_NAMES) else f"{base}{g // len(GROUP_NAMES) + 1}"


def _zipf(n: int, s: float) -> np.ndarray:
    w = 1.0 / np.arange(1, n + 1) ** s
    return w / w.sum()


def _routings(
    rng: np.random.Generator, machines: pd.DataFrame, spec: PlantSpec
) -> tuple[pd.DataFrame, pd.DataFrame]:
    groups = list(dict.fromkeys(machines["group"]))
    sizes = machines["group"].value_counts().reindex(groups).to_numpy(dtype=float)
    capacity = sizes / sizes.sum()  # groups with more machines see more steps, so the load is even
    n_products = int(np.clip(spec.orders // 8, 5, 400))
    product_ids = _ids("P", n_products)
    base_minutes = rng.lognormal(np.log(1.2), 0.5, n_products)
    rows = []
    for p, product in enumerate(product_ids):
        chosen = _route(rng, capacity, int(rng.integers(3, 9)))
        for k, g in enumerate(chosen):
            setup = int(rng.choice([0, 15, 20, 30, 45, 60]))
            step_factor = rng.uniform(0.5, 1.6)
            for _, machine in machines[machines["group"] == groups[g]].iterrows():
                rows.append(
                    (
                        product,
                        10 * (k + 1),
                        machine["machine_id"],
                        base_minutes[p] * step_factor * machine["speed"],
                        setup,
                    )
                )
    routings = pd.DataFrame(
        rows, columns=["product_id", "step", "machine_id", "minutes_per_unit", "setup_minutes"]
    )
    return pd.DataFrame({"product_id": product_ids}), routings


def _route(rng: np.random.Generator, capacity: np.ndarray, n_steps: int) -> list[int]:
    """Groups a product visits, by their share of machines: a flow through distinct groups,
    re-entrant in small plants (never the same group twice in a row)."""
    n_groups = len(capacity)
    if n_steps <= n_groups:
        return sorted(int(g) for g in rng.choice(n_groups, size=n_steps, replace=False, p=capacity))
    route = [int(rng.choice(n_groups, p=capacity))]
    while len(route) < n_steps:
        p = capacity.copy()
        p[route[-1]] = 0.0
        route.append(int(rng.choice(n_groups, p=p / p.sum())))
    return route


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
            "customer_id": _ids("C", n),
            "name": [f"Customer {i}" for i in range(1, n + 1)],
            "since": (as_of - pd.to_timedelta(since_days, unit="D")).normalize(),
            "prospect_score": prospect,
            "manual_tier": pd.Series(manual_tier, dtype="str"),
            "manual_reason": pd.Series(manual_reason, dtype="str"),
            "size": size,
            "behaviour": behaviour,
        }
    )


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
    rng: np.random.Generator,
    spec: PlantSpec,
    customers: pd.DataFrame,
    products: pd.DataFrame,
    routings: pd.DataFrame,
    machines: pd.DataFrame,
) -> pd.DataFrame:
    n = spec.orders
    horizon = spec.horizon_days * 24 * 60
    pick = customers["size"].to_numpy() ** 0.7
    customer = rng.choice(customers["customer_id"].to_numpy(), n, p=pick / pick.sum())
    product = rng.choice(products["product_id"].to_numpy(), n)
    quantity = np.clip(np.round(rng.lognormal(np.log(60), 0.7, n)), 5, 1000).astype(int)

    # Scale every routing so the orders ask for TARGET_LOAD of the machines' time.
    per_unit = routings.groupby(["product_id", "step"])["minutes_per_unit"].mean().groupby("product_id").sum()
    setup = routings.groupby(["product_id", "step"])["setup_minutes"].first().groupby("product_id").sum()
    work = quantity * per_unit.reindex(product).to_numpy()
    scale = TARGET_LOAD * horizon * len(machines) / work.sum()
    routings["minutes_per_unit"] = np.round(routings["minutes_per_unit"] * scale, 3)
    processing = work * scale + setup.reindex(product).to_numpy()

    release = np.where(rng.random(n) < 0.6, 0, rng.integers(0, int(horizon * 0.6), n))
    slack = rng.uniform(1.2, 3.0, n) * processing + rng.uniform(0.0, 0.4, n) * horizon
    due = np.minimum(release + slack, horizon * 1.1)
    weight = np.where(rng.random(n) < 0.05, rng.choice([1.5, 2.0], n), 1.0)
    ids = _ids("O", n, max(5, len(str(n))))
    after = np.full(n, None, dtype=object)
    for i in np.flatnonzero(rng.random(n) < 0.03):
        same = np.flatnonzero(customer[:i] == customer[i])
        if len(same):
            after[i] = ids[same[-1]]
    to_time = lambda minutes: spec.start + pd.to_timedelta(np.round(minutes), unit="min")  # noqa: E731
    return pd.DataFrame(
        {
            "order_id": ids,
            "customer_id": customer,
            "product_id": product,
            "quantity": quantity,
            "due": to_time(due),
            "release": to_time(release),
            "weight": weight,
            "after_order": pd.Series(after, dtype="str"),
        }
    )


def _materials(
    rng: np.random.Generator,
    spec: PlantSpec,
    products: pd.DataFrame,
    orders: pd.DataFrame,
    routings: pd.DataFrame,
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    k = spec.materials or 3
    material_ids = _ids("MAT", k, 3)
    first_steps = routings.groupby("product_id")["step"].unique()
    rows = []
    for product in products["product_id"]:
        steps = sorted(first_steps[product])
        for material in rng.choice(material_ids, size=int(rng.integers(1, 3)), replace=False):
            step = steps[0] if rng.random() < 0.7 else int(rng.choice(steps))
            rows.append((product, material, round(float(rng.uniform(0.5, 3.0)), 2), int(step)))
    bom = pd.DataFrame(rows, columns=["product_id", "material_id", "quantity_per_unit", "step"])
    demand = (
        orders[["product_id", "quantity"]]
        .merge(bom, on="product_id")
        .assign(need=lambda f: f["quantity"] * f["quantity_per_unit"])
        .groupby("material_id")["need"]
        .sum()
        .reindex(material_ids, fill_value=0.0)
    )
    scarce = rng.random(k) < 0.35
    scarce[0] = True  # at least one material is short
    on_hand = np.where(scarce, demand * rng.uniform(0.45, 0.6, k), demand * rng.uniform(1.2, 2.0, k))
    materials = pd.DataFrame({"material_id": material_ids, "on_hand": np.round(on_hand, 1)})
    receipts = []
    horizon = spec.horizon_days * 24 * 60
    for i in np.flatnonzero(scarce):
        for share in rng.uniform(0.12, 0.25, int(rng.integers(1, 3))):
            arrival = spec.start + pd.Timedelta(minutes=int(rng.uniform(0.25, 0.75) * horizon) // 60 * 60)
            receipts.append((material_ids[i], arrival, round(float(demand.iloc[i] * share), 1) or 1.0))
    receipts_frame = pd.DataFrame(receipts, columns=["material_id", "arrival", "quantity"])
    return bom, materials, receipts_frame


def _downtime(rng: np.random.Generator, machines: pd.DataFrame, spec: PlantSpec) -> pd.DataFrame:
    rows = []
    for machine in machines["machine_id"]:
        for _ in range(int(rng.integers(1, 3))):
            day = int(rng.integers(0, spec.horizon_days))
            start = spec.start.normalize() + pd.Timedelta(days=day, hours=int(rng.integers(6, 18)))
            rows.append((machine, start, start + pd.Timedelta(hours=int(rng.integers(2, 9)))))
    frame = pd.DataFrame(rows, columns=["machine_id", "start", "end"])
    return frame.sort_values(["machine_id", "start"], kind="stable").reset_index(drop=True)


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
            "complaint_id": _ids("Q", n, 5),
            "customer_id": who,
            "opened_at": opened,
            "closed_at": closed,
            "subject": rng.choice(subjects, n),
        }
    )
