"""comparison.html: plans side by side per tier, then the orders whose outcome changed."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from reports.page import Section, figure, sections_page, table

STATES = (
    ("on_time", "on time", "#4f8fd6"),
    ("late", "late", "#f28e2b"),
    ("unscheduled", "unscheduled", "#d62728"),
)


def _value(kpis: pd.DataFrame, tier: str, kpi: str, plan: str) -> float:
    row = kpis[(kpis["tier"] == tier) & (kpis["kpi"] == kpi)]
    return float(row[plan].iloc[0]) if len(row) and pd.notna(row[plan].iloc[0]) else 0.0


def outcome_chart(names: list[str], kpis: pd.DataFrame) -> str:
    """Per tier and plan, orders on time, late and unscheduled, stacked."""
    tiers = [t for t in dict.fromkeys(kpis["tier"]) if t != "all"]
    x = [[t for t in tiers for _ in names], [n for _ in tiers for n in names]]
    fig = go.Figure()
    for kpi, label, colour in STATES:
        y = [_value(kpis, t, kpi, n) for t in tiers for n in names]
        fig.add_trace(
            go.Bar(
                x=x,
                y=y,
                name=label,
                marker_color=colour,
                hovertemplate="tier %{x[0]}, %{x[1]}: %{y} " + label + "<extra></extra>",
            )
        )
    fig.update_layout(barmode="stack", yaxis_title="orders", height=380)
    return figure(fig, "outcomes")


def tardiness_chart(names: list[str], kpis: pd.DataFrame) -> str:
    tiers = [t for t in dict.fromkeys(kpis["tier"]) if t != "all"]
    fig = go.Figure()
    for name in names:
        fig.add_trace(
            go.Bar(
                x=tiers,
                y=[_value(kpis, t, "weighted_tardiness", name) for t in tiers],
                name=name,
                hovertemplate=name + ", tier %{x}: %{y:,.0f}<extra></extra>",
            )
        )
    fig.update_layout(barmode="group", yaxis_title="weighted tardiness", height=340)
    return figure(fig, "tardiness")


def comparison_report(
    names: list[str],
    kpis: pd.DataFrame,
    changes: pd.DataFrame,
    objectives: pd.DataFrame,
    extra: pd.DataFrame | None = None,
) -> str:
    sections = [
        Section("Objectives", [table(objectives, floats="{:,.2f}", table_id="objectives")]),
        Section("Orders per tier", [outcome_chart(names, kpis)]),
        Section("Weighted tardiness per tier", [tardiness_chart(names, kpis)]),
        Section("KPIs per tier", [table(kpis, table_id="kpis")]),
    ]
    if extra is not None and not extra.empty:
        sections.append(Section("Operations moved against the first plan", [table(extra, table_id="moved")]))
    sections.append(Section("Orders whose outcome changed", [table(changes, table_id="changes")]))
    note = f"Plans: {', '.join(names)}. Changes are against {names[0]}."
    return sections_page("tierplan: plans compared", sections, [note])
