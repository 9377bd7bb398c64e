"""complaints.html: the open queue and the delay report per tier."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from reports.page import Section, figure, sections_page, table


def delay_chart(delays: pd.DataFrame) -> str:
    per_tier = delays[delays["tier"] != "all"]
    fig = go.Figure()
    for column, colour in (("open", "#9cc3ee"), ("overdue", "#d62728"), ("closed_late", "#f28e2b")):
        fig.add_trace(
            go.Bar(
                x=per_tier["tier"],
                y=per_tier[column],
                name=column.replace("_", " "),
                marker_color=colour,
                hovertemplate="tier %{x}: %{y}<extra></extra>",
            )
        )
    fig.update_layout(barmode="group", yaxis_title="complaints", height=320)
    return figure(fig, "delay-chart")


def complaints_report(
    queue: pd.DataFrame, delays: pd.DataFrame, as_of: pd.Timestamp, sla_days: dict[str, float]
) -> str:
    open_queue = queue[queue["queue_position"].notna()]
    overdue = queue[queue["state"].isin(["overdue", "closed_late"])].sort_values(
        "days_overdue", ascending=False
    )
    assumed = int((queue["tier_note"] != "").sum())
    notes = [
        f"As of {as_of:%Y-%m-%d %H:%M}; deadlines per tier: "
        + ", ".join(f"{t} {d:g} days" for t, d in sla_days.items())
        + "."
    ]
    if assumed:
        notes.append(f"{assumed} complaints are from customers without a tier: the lowest tier is assumed.")
    return sections_page(
        "tierplan: complaints",
        [
            Section(
                "Delays per tier", [table(delays, floats="{:,.2f}", table_id="delays"), delay_chart(delays)]
            ),
            Section("Open queue (tier, then deadline)", [table(open_queue, table_id="queue")]),
            Section("Overdue and closed late", [table(overdue, table_id="overdue")]),
        ],
        notes,
    )
