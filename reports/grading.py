"""grading.html: the graded customers, the Pareto curve, tier sizes and value shares."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from grading.config import GradingConfig
from grading.report import tier_sizes
from reports.page import Section, figure, sections_page, table, tier_colours

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


def pareto_curve(tiers: pd.DataFrame, names: tuple[str, ...], basis: str = "profit") -> str:
    """Cumulative share of profit over customers, best first, each point coloured by its tier."""
    ranked = tiers.assign(value=tiers[basis].fillna(0.0).clip(lower=0)).sort_values("value", ascending=False)
    fig = go.Figure()
    total = ranked["value"].sum()
    if total > 0:
        share = np.cumsum(ranked["value"].to_numpy()) / total * 100
        customers = np.arange(1, len(ranked) + 1) / len(ranked) * 100
        fig.add_trace(
            go.Scatter(
                x=[0, *customers],
                y=[0, *share],
                mode="lines",
                line={"color": "#888"},
                name="cumulative",
                hoverinfo="skip",
            )
        )
        colours = tier_colours(names)
        for tier in names:
            mine = (ranked["tier"] == tier).to_numpy()
            fig.add_trace(
                go.Scatter(
                    x=customers[mine],
                    y=share[mine],
                    mode="markers",
                    name=f"tier {tier}",
                    marker={"color": colours[tier], "size": 6},
                    text=ranked["customer_id"][mine],
                    hovertemplate="%{text}: %{x:.0f}% of customers, %{y:.0f}% of "
                    + basis
                    + "<extra></extra>",
                )
            )
        fig.add_hline(y=80, line_dash="dash", line_color="#999")
    fig.update_layout(
        xaxis_title="share of customers, best first (%)",
        yaxis_title=f"cumulative share of {basis} (%)",
        yaxis_range=[0, 100],
        height=380,
    )
    return figure(fig, "pareto")


def tier_bars(sizes: pd.DataFrame) -> str:
    fig = go.Figure()
    for column, colour in (
        ("share_of_customers", "#9cc3ee"),
        ("share_of_amount", "#4f8fd6"),
        ("share_of_profit", "#1f4e9c"),
    ):
        fig.add_trace(
            go.Bar(
                x=sizes["tier"],
                y=sizes[column] * 100,
                name=column.replace("_", " "),
                marker_color=colour,
                hovertemplate="tier %{x}: %{y:.1f}%<extra></extra>",
            )
        )
    fig.update_layout(barmode="group", yaxis_title="%", height=320)
    return figure(fig, "tier-shares")


def rep_bars(portfolio: pd.DataFrame, names: tuple[str, ...], moves: pd.DataFrame | None) -> str:
    """Each rep's customers stacked by tier; with proposed moves, the portfolios after them beside."""
    fig = go.Figure()
    colours = tier_colours(names)
    frames = [("now", portfolio)]
    if moves is not None and len(moves):
        frames.append(("after the moves", _after(portfolio, moves, names)))
    for label, frame in frames:
        for tier in names:
            rows = frame[frame["tier"] == tier]
            fig.add_trace(
                go.Bar(
                    x=[rows["sales_rep"], [label] * len(rows)] if len(frames) > 1 else rows["sales_rep"],
                    y=rows["customers"].tolist(),
                    name=f"tier {tier}",
                    legendgroup=tier,
                    showlegend=label == "now",
                    marker_color=colours[tier],
                    hovertemplate="%{x}: %{y} customers of tier " + tier + "<extra></extra>",
                )
            )
    fig.update_layout(barmode="stack", yaxis_title="customers", height=360)
    return figure(fig, "portfolios")


def _after(portfolio: pd.DataFrame, moves: pd.DataFrame, names: tuple[str, ...]) -> pd.DataFrame:
    counts = portfolio[portfolio["tier"] != "all"].set_index(["sales_rep", "tier"])["customers"].copy()
    for m in moves.itertuples():
        counts[(m.from_rep, m.tier)] -= 1
        counts[(m.to_rep, m.tier)] = counts.get((m.to_rep, m.tier), 0) + 1
    return counts.rename("customers").reset_index()


def share_bars(portfolio: pd.DataFrame) -> str:
    """Each rep's share of the company's profit against the mean and its 5-point band."""
    totals = portfolio[portfolio["tier"] == "all"]
    mean = float(totals["profit_share"].mean()) * 100 if len(totals) else 0.0
    fig = go.Figure(
        go.Bar(
            x=totals["sales_rep"],
            y=totals["profit_share"] * 100,
            marker_color="#4f8fd6",
            name="profit share",
            hovertemplate="%{x}: %{y:.1f}% of the company's profit<extra></extra>",
        )
    )
    for y, dash in ((mean, "solid"), (mean - 5, "dash"), (mean + 5, "dash")):
        fig.add_hline(y=y, line_dash=dash, line_color="#999")
    fig.update_layout(yaxis_title="% of profit", height=300)
    return figure(fig, "profit-shares")


def sales_sections(sales: Any, names: tuple[str, ...]) -> list[Section]:
    """The reps' portfolios, the proposed moves, the overdue visits (contract section 7)."""
    notes = []
    if sales.unassigned:
        notes.append(f"{sales.unassigned:,} graded customer(s) have no rep: they are in no portfolio.")
    moves = sales.balance.moves if sales.balance is not None else None
    if sales.balance is not None:
        notes.append(sales.balance.note + ".")
    totals = sales.portfolio[sales.portfolio["tier"] == "all"]
    sections = [
        Section(
            "Sales reps",
            [
                rep_bars(sales.portfolio, names, moves),
                share_bars(sales.portfolio),
                table(totals, floats="{:,.3f}", table_id="portfolio-table"),
            ],
            notes,
            id="reps-section",
        )
    ]
    if moves is not None:
        sections.append(Section("Proposed moves", [table(moves, table_id="moves")], id="moves-section"))
    if sales.visits is not None:
        overdue = sales.visits[sales.visits["overdue_days"] > 0]
        sections.append(
            Section(
                "Overdue visits",
                [table(overdue, table_id="visits")],
                [
                    f"{len(overdue):,} of {len(sales.visits):,} customers are overdue for a visit by the "
                    "cadence of their tier."
                ],
                id="visits-section",
            )
        )
    return sections


def grading_report(
    tiers: pd.DataFrame,
    config: GradingConfig,
    migrations: pd.DataFrame | None = None,
    notes: list[str] | None = None,
    sales: Any = None,
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
    sections = [
        Section(
            "Tiers", [table(sizes, floats="{:,.2f}", table_id="tiers"), tier_bars(sizes)], id="tiers-section"
        ),
        Section("Pareto curve", [pareto_curve(tiers, config.tier_names)], id="pareto-section"),
    ]
    if migrations is not None:
        sections.append(
            Section("Tier migrations", [table(migrations, table_id="migrations")], id="migrations")
        )
    if sales is not None:
        sections += sales_sections(sales, config.tier_names)
    shown = tiers[[c for c in SHOWN if c in tiers.columns]]
    sections.append(Section("Customers", [table(shown, table_id="customers")], id="customers-section"))
    return sections_page("tierplan: customer grading", sections, [*lines, *(notes or [])])
