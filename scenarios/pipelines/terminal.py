"""Rich renderables for the terminal (built here, printed by the command line only)."""

from __future__ import annotations

from typing import Any

import pandas as pd
from rich.table import Table

from reports.plan import stability_line

KPI_LABELS = {
    "orders": "orders",
    "on_time": "on time",
    "late": "late",
    "unscheduled": "unscheduled",
    "total_tardiness_minutes": "tardiness (min)",
    "weighted_tardiness": "weighted tardiness",
    "done": "done (shop floor)",
}


def kpi_table(summary: dict[str, Any], title: str = "KPIs per tier") -> Table:
    table = Table(title=title)
    table.add_column("tier")
    for label in KPI_LABELS.values():
        table.add_column(label, justify="right")
    for tier, values in summary["kpis"].items():
        table.add_row(
            tier,
            *(
                f"{values.get(k, 0):,.0f}" if isinstance(values.get(k), float) else f"{values.get(k, 0):,}"
                for k in KPI_LABELS
            ),
        )
    return table


def objective_line(summary: dict[str, Any]) -> str:
    """The objective in words: its value, and its parts when it has any."""
    terms = summary["objective_terms"]
    text = f"{summary['objective']} = {summary['objective_value']:,.1f}"
    if summary["objective"] != "makespan" and terms["unscheduled_penalty"]:
        text += (
            f" (weighted tardiness {terms['weighted_tardiness']:,.1f} + unscheduled penalty "
            f"{terms['unscheduled_penalty']:,.1f})"
        )
    if summary["gap"] is not None and summary["status"] != "optimal":
        text += f", gap {summary['gap']:.1%}"
    if summary.get("stability"):
        text += "; " + stability_line(summary["stability"])
    return text


def frame_table(frame: pd.DataFrame, title: str, max_rows: int = 30) -> Table:
    """Any small DataFrame as a rich table (first rows only)."""
    table = Table(title=title)
    for column in frame.columns:
        numeric = pd.api.types.is_numeric_dtype(frame[column]) and not pd.api.types.is_bool_dtype(
            frame[column]
        )
        label = str(column).replace("_", " ")
        table.add_column(label, justify="right" if numeric else "left", overflow="fold")
    for values in frame.head(max_rows).itertuples(index=False):
        table.add_row(*(_cell(v) for v in values))
    if len(frame) > max_rows:
        table.caption = f"{len(frame) - max_rows} more rows not shown"
    return table


def _cell(value: object) -> str:
    if value is None or value is pd.NaT or (isinstance(value, float) and value != value):
        return ""
    if isinstance(value, float):
        return f"{value:,.1f}"
    if isinstance(value, pd.Timestamp):
        return (
            value.strftime("%m-%d %H:%M")
            if value.year == pd.Timestamp.now().year
            else value.strftime("%Y-%m-%d")
        )
    return str(value)


def quote_table(quotes: pd.DataFrame) -> Table:
    """Promises in short: request, tier, promise, on the requested date or not, moved orders, reason."""
    table = Table(title="Promises")
    for label, justify in (
        ("request", "left"),
        ("tier", "left"),
        ("promise", "left"),
        ("requested", "left"),
        ("on requested", "left"),
        ("moved", "right"),
        ("reason", "left"),
    ):
        table.add_column(label, justify=justify, overflow="fold")  # type: ignore[arg-type]
    for q in quotes.itertuples(index=False):
        when = "no capacity in the horizon" if pd.isna(q.promise) else f"{q.promise:%Y-%m-%d %H:%M}"
        asked = "" if pd.isna(q.requested) else f"{q.requested:%Y-%m-%d %H:%M}"
        on = "" if pd.isna(q.on_requested) else ("yes" if q.on_requested else "no")
        table.add_row(q.request_id, q.tier, when, asked, on, str(q.moved_orders), str(q.reason))
    return table


def portfolio_table(portfolio: pd.DataFrame) -> Table:
    """Each rep's customers per tier, profit and share of the company's profit."""
    tiers = [t for t in dict.fromkeys(portfolio["tier"]) if t != "all"]
    table = Table(title="Portfolios per sales rep")
    table.add_column("rep")
    for label in (*tiers, "customers", "profit", "% profit"):
        table.add_column(label, justify="right")
    for rep, rows in portfolio.groupby("sales_rep", sort=True):
        count = dict(zip(rows["tier"], rows["customers"], strict=True))
        everything = rows[rows["tier"] == "all"].iloc[0]
        table.add_row(
            str(rep),
            *(f"{count.get(t, 0):,}" for t in tiers),
            f"{everything['customers']:,}",
            f"{everything['profit']:,.0f}",
            f"{everything['profit_share']:.1%}",
        )
    return table
