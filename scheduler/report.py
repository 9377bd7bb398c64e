"""The plan for people: Gantt chart, KPIs per tier, material allocation, late and unscheduled orders."""

from __future__ import annotations

import matplotlib.dates as mdates
import matplotlib.pyplot as plt
import pandas as pd
from matplotlib.patches import Patch

from scenarios.html import figure, page, paragraph, section, table
from scheduler.plan import PlanTables

TIER_COLOURS = ("#1f4e9c", "#4f8fd6", "#9cc3ee", "#c8dcf3", "#e3edf8")
LATE_EDGE = "#d62728"


def gantt(plan: PlanTables, downtime: pd.DataFrame, machines: list[str], tier_names: tuple[str, ...]) -> str:
    """Machines as rows, operations coloured by tier, late orders outlined red, downtime hatched."""
    ops = plan.schedule.merge(
        plan.orders[["order_id", "tier", "tardiness_minutes"]], on="order_id", how="left"
    )
    rows = {m: i for i, m in enumerate(machines)}
    fig, ax = plt.subplots(figsize=(14, max(2.5, 0.38 * len(machines) + 1.2)))
    colour = {t: TIER_COLOURS[min(i, len(TIER_COLOURS) - 1)] for i, t in enumerate(tier_names)}
    day = pd.Timedelta(days=1)
    for r in downtime.itertuples():
        if r.machine_id in rows:
            ax.broken_barh(
                [(mdates.date2num(r.start), (r.end - r.start) / day)],
                (rows[r.machine_id] - 0.4, 0.8),
                facecolors="#dddddd",
                hatch="///",
                edgecolor="#999999",
                linewidth=0.3,
            )
    for r in ops.itertuples():
        ax.broken_barh(
            [(mdates.date2num(r.start), (r.end - r.start) / day)],
            (rows[r.machine_id] - 0.35, 0.7),
            facecolors=colour.get(r.tier, "#888888"),
            edgecolor=LATE_EDGE if r.tardiness_minutes > 0 else "white",
            linewidth=0.6,
        )
    ax.set_yticks(range(len(machines)), machines)
    ax.invert_yaxis()
    ax.xaxis_date()
    ax.xaxis.set_major_formatter(mdates.DateFormatter("%d %b\n%H:%M"))
    ax.grid(axis="x", alpha=0.3)
    handles = [Patch(facecolor=colour[t], label=f"tier {t}") for t in tier_names]
    handles += [
        Patch(facecolor="white", edgecolor=LATE_EDGE, label="late order"),
        Patch(facecolor="#dddddd", hatch="///", edgecolor="#999999", label="downtime"),
    ]
    ax.legend(
        handles=handles,
        loc="upper center",
        bbox_to_anchor=(0.5, -0.12),
        ncol=len(handles),
        frameon=False,
    )
    return figure(fig, "Gantt chart: one row per machine", items=len(ops))


def kpi_frame(summary: dict) -> pd.DataFrame:
    rows = [{"tier": tier, **values} for tier, values in summary["kpis"].items()]
    return pd.DataFrame(rows)


def plan_report(
    title: str,
    plan: PlanTables,
    downtime: pd.DataFrame,
    machines: list[str],
    tier_names: tuple[str, ...],
) -> str:
    s = plan.summary
    gap = "n/a" if s["gap"] is None else f"{s['gap']:.2%}"
    bound = "n/a" if s["best_bound"] is None else f"{s['best_bound']:,.1f}"
    head = paragraph(
        f"Status {s['status']}; objective {s['objective']} = {s['objective_value']:,.1f} "
        f"(best bound {bound}, "
        f"gap {gap}); plan from {s['solver']['plan_from']}; {s['runtime_s']:.1f} s."
    )
    late = plan.orders[plan.orders["tardiness_minutes"] > 0].sort_values(
        ["tier", "tardiness_minutes"], ascending=[True, False]
    )
    unscheduled = plan.orders[plan.orders["status"] == "unscheduled"].sort_values(["tier", "due"])
    return page(
        title,
        [
            head,
            section("KPIs per tier", table(kpi_frame(s))),
            section("Gantt chart", gantt(plan, downtime, machines, tier_names)),
            section(
                "Late orders",
                table(
                    late[
                        [
                            "order_id",
                            "customer_id",
                            "tier",
                            "due",
                            "completion",
                            "tardiness_minutes",
                            "reason",
                        ]
                    ]
                ),
            ),
            section(
                "Unscheduled orders",
                table(unscheduled[["order_id", "customer_id", "tier", "due", "reason"]]),
            ),
            section("Material allocation", table(plan.materials, floats="{:,.3f}")),
        ],
    )
