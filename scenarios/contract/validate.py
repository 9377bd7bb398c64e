"""Rules that span rows and tables: keys, references, dates, cycles."""

from __future__ import annotations

import networkx as nx
import numpy as np
import pandas as pd

from scenarios.contract.errors import Problem
from scenarios.contract.row_problems import problems_at as _problems
from scenarios.contract.row_problems import unknown_values as _unknown
from scenarios.contract.schema import MAX_MINUTES, MAX_QUANTITY, TABLES, number_text
from scenarios.contract.settings import Settings
from scenarios.contract.validate_plant import plant_problems
from scenarios.contract.validate_progress import progress_problems
from scheduler.exact import exact_product, operation_duration

Tables = dict[str, pd.DataFrame]


def cross_table_problems(tables: Tables, settings: Settings | None) -> list[Problem]:
    """Every problem between rows and tables; ``tables`` hold typed columns."""
    problems: list[Problem] = []
    problems += _duplicate_keys(tables)
    problems += _references(tables)
    problems += _orders(tables, settings)
    problems += _after_order_cycles(tables["orders"])
    problems += _downtime(tables["downtime"])
    problems += _bom_steps(tables)
    problems += _operation_lengths(tables)
    problems += _material_needs(tables)
    problems += plant_problems(tables, settings)
    problems += progress_problems(tables, settings)
    problems += _customers(tables, settings)
    problems += _complaints(tables, settings)
    return problems


def _duplicate_keys(tables: Tables) -> list[Problem]:
    problems: list[Problem] = []
    for name, table in TABLES.items():
        frame = tables[name]
        if not table.unique or frame.empty:
            continue
        keys = frame[list(table.key)]
        dup = keys.duplicated(keep=False) & keys.notna().all(axis=1)
        if not dup.any():
            continue
        first = (
            pd.Series(np.arange(1, len(frame) + 1), index=frame.index)
            .groupby([keys[c].astype(str) for c in table.key])
            .transform("min")
        )
        message = (
            "duplicate key (first in row "
            + first.astype(str)
            + "); expected each "
            + "+".join(table.key)
            + " once"
        )
        problems += _problems(
            name, frame, dup, table.key[-1] if len(table.key) > 1 else table.key[0], message
        )
    return problems


def _references(tables: Tables) -> list[Problem]:
    orders, routings, machines = tables["orders"], tables["routings"], tables["machines"]
    products = routings["product_id"].dropna().unique()
    machine_ids = machines["machine_id"].dropna().unique()
    materials = tables["materials"]["material_id"].dropna().unique()
    problems = _unknown(
        "orders",
        orders,
        "product_id",
        products,
        "routings (a product without routing cannot be made)",
    )
    problems += _unknown("orders", orders, "after_order", orders["order_id"].dropna().unique(), "orders")
    problems += _unknown("routings", routings, "machine_id", machine_ids, "machines")
    problems += _unknown("downtime", tables["downtime"], "machine_id", machine_ids, "machines")
    problems += _unknown("bom", tables["bom"], "product_id", products, "routings")
    problems += _unknown("bom", tables["bom"], "material_id", materials, "materials")
    problems += _unknown("receipts", tables["receipts"], "material_id", materials, "materials")
    if len(tables["customers"]):
        problems += _unknown(
            "orders",
            orders,
            "customer_id",
            tables["customers"]["customer_id"].dropna().unique(),
            "customers",
            "warning",
            "; its tier comes from grading, else the lowest tier",
        )
    return problems


def _orders(tables: Tables, settings: Settings | None) -> list[Problem]:
    orders = tables["orders"]
    problems = _problems(
        "orders",
        orders,
        orders["due"] < orders["release"],
        "due",
        "due "
        + orders["due"].astype(str)
        + " is before release "
        + orders["release"].astype(str)
        + "; expected due >= release",
    )
    problems += _problems(
        "orders",
        orders,
        orders["after_order"] == orders["order_id"],
        "after_order",
        "the order names itself; expected another order that must finish first",
    )
    if settings is not None:
        late = orders["release"] >= settings.plan.end
        problems += _problems(
            "orders",
            orders,
            late,
            "release",
            f"release is at or after the horizon end {settings.plan.end}; the order cannot be scheduled",
            "warning",
        )
    return problems


def _after_order_cycles(orders: pd.DataFrame) -> list[Problem]:
    links = orders.dropna(subset=["order_id", "after_order"])
    links = links[links["after_order"] != links["order_id"]]
    graph = nx.DiGraph(zip(links["after_order"], links["order_id"], strict=True))
    problems = []
    for component in nx.strongly_connected_components(graph):
        if len(component) < 2:
            continue
        cycle = [u for u, _ in nx.find_cycle(graph.subgraph(component), source=min(component))]
        first = cycle.index(min(cycle))
        cycle = cycle[first:] + cycle[:first]
        chain = " -> ".join([*cycle, cycle[0]])
        problems.append(
            Problem(
                "orders",
                f"order_id={min(component)}",
                "after_order",
                f"after_order chain is cyclic: {chain} (each must finish before the next starts); "
                "expected an acyclic chain",
            )
        )
    return problems


def _downtime(downtime: pd.DataFrame) -> list[Problem]:
    message = (
        "end "
        + downtime["end"].astype(str)
        + " is not after start "
        + downtime["start"].astype(str)
        + "; expected end > start"
    )
    return _problems("downtime", downtime, downtime["end"] <= downtime["start"], "end", message)


def _bom_steps(tables: Tables) -> list[Problem]:
    bom, routings = tables["bom"], tables["routings"]
    if bom.empty:
        return []
    steps = set(zip(routings["product_id"], routings["step"], strict=True))
    known_product = bom["product_id"].isin(routings["product_id"])
    has_step = pd.Series(
        [(p, s) in steps for p, s in zip(bom["product_id"], bom["step"], strict=True)],
        index=bom.index,
        dtype=bool,
    )
    mask = known_product & bom["step"].notna() & ~has_step
    message = (
        "step "
        + bom["step"].astype(str)
        + " is not a step of product "
        + bom["product_id"].astype(str)
        + "'s routing; expected one of its steps"
    )
    return _problems("bom", bom, mask, "step", message)


def _order_lines(orders: pd.DataFrame, other: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    """Each order joined to its product's rows of ``other`` (routings or bom), bad cells left out."""
    left = orders[["order_id", "product_id", "quantity"]].reset_index(names="row").dropna()
    return left.merge(other[["product_id", *columns]].dropna(subset=columns[:3]), on="product_id")


def _worst_per_order(orders: pd.DataFrame, lines: pd.DataFrame, message: pd.Series) -> list[Problem]:
    """One problem per order, on its largest offending line (``lines`` sorted worst first)."""
    first = ~lines["row"].duplicated()
    texts = pd.Series(None, index=orders.index, dtype=object)
    texts.loc[lines.loc[first, "row"].to_numpy()] = message[first].to_numpy()
    return _problems("orders", orders, texts.notna(), "quantity", texts)


def _operation_lengths(tables: Tables) -> list[Problem]:
    """No operation may last longer than ten years: that is a broken export, not a plan."""
    orders = tables["orders"]
    lines = _order_lines(
        orders, tables["routings"], ["step", "machine_id", "minutes_per_unit", "setup_minutes"]
    )
    lines = lines[  # each factor within its own limit (else that cell is the problem already)
        (lines["quantity"] <= MAX_QUANTITY)
        & (lines["minutes_per_unit"] <= MAX_MINUTES)
        & ~(lines["setup_minutes"] > MAX_MINUTES)
    ]
    rough = lines["quantity"].astype(float) * lines["minutes_per_unit"] + lines["setup_minutes"].fillna(0)
    lines = lines[rough > MAX_MINUTES * 0.999].copy()  # then exactly, for the few near the limit
    if lines.empty:
        return []
    lines["minutes"] = [
        operation_duration(int(q), m, int(0 if pd.isna(s) else s))
        for q, m, s in zip(lines["quantity"], lines["minutes_per_unit"], lines["setup_minutes"], strict=True)
    ]
    lines = lines[lines["minutes"] > MAX_MINUTES].sort_values("minutes", ascending=False)
    if lines.empty:
        return []
    message = (
        "step "
        + lines["step"].astype(str)
        + " on "
        + lines["machine_id"].astype(str)
        + " would last "
        + lines["minutes"].map(number_text)
        + " min (setup_minutes + ceil(quantity x minutes_per_unit)); expected at most "
        + f"{number_text(MAX_MINUTES)} min (ten years)"
    )
    return _worst_per_order(orders, lines, message)


def _material_needs(tables: Tables) -> list[Problem]:
    """No order may need more than 10^12 of a material."""
    orders, bom = tables["orders"], tables["bom"]
    if bom.empty:
        return []
    lines = _order_lines(orders, bom, ["material_id", "quantity_per_unit"])
    lines = lines[(lines["quantity"] <= MAX_QUANTITY) & (lines["quantity_per_unit"] <= MAX_QUANTITY)]
    rough = lines["quantity"].astype(float) * lines["quantity_per_unit"]
    lines = lines[rough > MAX_QUANTITY * 0.999].copy()
    if lines.empty:
        return []
    lines["need"] = [
        exact_product(int(q), u) for q, u in zip(lines["quantity"], lines["quantity_per_unit"], strict=True)
    ]
    lines = lines[lines["need"] > MAX_QUANTITY].sort_values("need", ascending=False)
    if lines.empty:
        return []
    message = (
        "needs "
        + lines["need"].map(lambda v: f"{float(v):,.0f}")
        + " of material "
        + lines["material_id"].astype(str)
        + f" (quantity x quantity_per_unit); expected at most {number_text(MAX_QUANTITY)}"
    )
    return _worst_per_order(orders, lines, message)


def _customers(tables: Tables, settings: Settings | None) -> list[Problem]:
    customers = tables["customers"]
    if settings is None or customers.empty:
        return []
    names = settings.tiers.names
    mask = customers["manual_tier"].notna() & ~customers["manual_tier"].isin(list(names))
    message = "unknown tier " + customers["manual_tier"].astype(str) + f"; expected one of {', '.join(names)}"
    problems = _problems("customers", customers, mask, "manual_tier", message)
    later = customers["last_visit"] > settings.as_of
    problems += _problems(
        "customers",
        customers,
        later,
        "last_visit",
        "found "
        + customers["last_visit"].dt.strftime("%Y-%m-%d")
        + f", after the grading date {settings.as_of:%Y-%m-%d}"
        "; expected a visit that has happened",
    )
    no_reason = customers["manual_tier"].notna() & customers["manual_reason"].isna()
    problems += _problems(
        "customers",
        customers,
        no_reason,
        "manual_reason",
        "manual tier without a reason; the report will say 'no reason given'",
        "warning",
    )
    return problems


def _complaints(tables: Tables, settings: Settings | None) -> list[Problem]:
    complaints = tables["complaints"]
    if complaints.empty:
        return []
    known = pd.concat(
        [tables[t]["customer_id"] for t in ("customers", "orders", "sales_history", "payments")]
    )
    problems = _unknown(
        "complaints",
        complaints,
        "customer_id",
        known.dropna().unique(),
        "customers, orders, sales_history or payments",
    )
    early = complaints["closed_at"] < complaints["opened_at"]
    message = (
        "closed_at "
        + complaints["closed_at"].astype(str)
        + " is before opened_at "
        + complaints["opened_at"].astype(str)
        + "; expected closed_at >= opened_at"
    )
    problems += _problems("complaints", complaints, early, "closed_at", message)
    if settings is not None:
        for tier in settings.tiers.names:
            if tier not in settings.tiers.complaint_sla_days:
                problems.append(
                    Problem(
                        "scenario.toml",
                        "[tiers]",
                        f"complaint_sla_days.{tier}",
                        f"tier {tier} has no complaint deadline; expected {tier} = <days>",
                    )
                )
    return problems
