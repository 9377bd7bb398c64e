"""grading.html: the graded table, the Pareto curve, tier sizes and value shares."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from grading.config import GradingConfig
from scenarios.html import figure, page, paragraph, section, table

SHOWN = [
    "customer_id",
    "name",
    "tier",
    "auto_tier",
    "overridden",
    "is_new",
    "rank",
    "composite",
    "credit_score",
    "amount_score",
    "profit_score",
    "prospect_score",
    "credit",
    "on_time_share",
    "avg_days_late",
    "max_days_late",
    "overdue_amount",
    "amount",
    "quantity",
    "profit",
    "cost_missing_rows",
    "complaints",
    "complaints_overdue",
    "reason",
]


def tier_sizes(tiers: pd.DataFrame, names: tuple[str, ...]) -> pd.DataFrame:
    """Per tier: customers, their share, and their share of amount and profit."""
    amount = tiers["amount"].fillna(0.0)
    profit = tiers["profit"].fillna(0.0)
    rows = []
    for tier in names:
        mine = tiers["tier"] == tier
        rows.append(
            {
                "tier": tier,
                "customers": int(mine.sum()),
                "share_of_customers": mine.mean() if len(tiers) else 0.0,
                "amount": amount[mine].sum(),
                "share_of_amount": amount[mine].sum() / amount.sum() if amount.sum() else 0.0,
                "profit": profit[mine].sum(),
                "share_of_profit": profit[mine].sum() / profit.sum() if profit.sum() else 0.0,
                "overridden": int((mine & tiers["overridden"]).sum()),
                "new": int((mine & tiers["is_new"]).sum()),
            }
        )
    return pd.DataFrame(rows)


def pareto_curve(tiers: pd.DataFrame, basis: str = "profit") -> str:
    values = tiers[basis].fillna(0.0).clip(lower=0).sort_values(ascending=False).to_numpy()
    fig, ax = plt.subplots(figsize=(7, 4))
    if values.sum() > 0:
        share = np.cumsum(values) / values.sum()
        customers = np.arange(1, len(values) + 1) / len(values)
        ax.plot(
            np.concatenate([[0], customers]) * 100,
            np.concatenate([[0], share]) * 100,
            color="#1f4e9c",
        )
        ax.axhline(80, color="#999999", linestyle="--", linewidth=0.8)
    ax.set_xlabel("share of customers, best first (%)")
    ax.set_ylabel(f"cumulative share of {basis} (%)")
    ax.set_ylim(0, 100)
    ax.grid(alpha=0.3)
    return figure(fig, f"Pareto curve of {basis} by customer")


def tier_bars(sizes: pd.DataFrame) -> str:
    fig, ax = plt.subplots(figsize=(7, 3.5))
    x = np.arange(len(sizes))
    for offset, column, colour in (
        (-0.25, "share_of_customers", "#9cc3ee"),
        (0.0, "share_of_amount", "#4f8fd6"),
        (0.25, "share_of_profit", "#1f4e9c"),
    ):
        ax.bar(
            x + offset,
            sizes[column] * 100,
            width=0.25,
            label=column.replace("_", " "),
            color=colour,
        )
    ax.set_xticks(x, sizes["tier"])
    ax.set_ylabel("%")
    ax.legend(frameon=False)
    return figure(fig, "Tier sizes and value shares")


def grading_report(
    tiers: pd.DataFrame,
    config: GradingConfig,
    migrations: pd.DataFrame | None = None,
    notes: list[str] | None = None,
) -> str:
    sizes = tier_sizes(tiers, config.tier_names)
    missing_cost = int(tiers["cost_missing_rows"].sum())
    lines = [
        f"As of {config.as_of:%Y-%m-%d}, window {config.window_months} months; weights "
        + ", ".join(f"{k} {v:.0%}" for k, v in config.weights.items())
        + f"; method {config.method}; normalisation {config.normalization}.",
    ]
    if missing_cost:
        lines.append(
            f"{missing_cost} sales rows have no cost: their profit uses the default margin "
            f"{config.default_margin:.0%}."
        )
    lines += notes or []
    sections = [
        *(paragraph(line) for line in lines),
        section("Tiers", table(sizes, floats="{:,.2f}"), tier_bars(sizes)),
        section("Pareto curve", pareto_curve(tiers, "profit")),
    ]
    if migrations is not None:
        sections.append(section("Tier migrations", table(migrations)))
    sections.append(
        section("Customers", table(tiers[[c for c in SHOWN if c in tiers.columns]], max_rows=2000))
    )
    return page("tierplan: customer grading", sections)
