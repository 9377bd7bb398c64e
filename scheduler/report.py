"""The plan for people: Gantt chart, KPIs per tier, material allocation, late and unscheduled orders."""

from __future__ import annotations

import matplotlib.dates as mdates
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.collections import PolyCollection
from matplotlib.patches import Patch

from scenarios.html import figure, page, paragraph, section, table
from scheduler.plan import PlanTables

TIER_COLOURS = ("#1f4e9c", "#4f8fd6", "#9cc3ee", "#c8dcf3", "#e3edf8")
LATE_EDGE = "#d62728"
MAX_GANTT_MACHINES = 60
MAX_LABELLED_OPERATIONS = 400


def _boxes(starts: pd.Series, ends: pd.Series, rows: np.ndarray, height: float) -> np.ndarray:
    """Rectangles (n, 4 corners, xy) in matplotlib date units, one per interval."""
    x0 = mdates.date2num(starts.to_numpy())
    x1 = mdates.date2num(ends.to_numpy())
    y0, y1 = rows - height / 2, rows + height / 2
    return np.stack([np.c_[x0, y0], np.c_[x1, y0], np.c_[x1, y1], np.c_[x0, y1]], axis=1).reshape(-1, 4, 2)


def _label_bars(ax: plt.Axes, ops: pd.DataFrame, rows: dict[str, int], dark: set[str]) -> None:
    """Order ids inside the bars wide enough to hold them (small plans only)."""
    x0, x1 = ax.get_xlim()
    per_char = (x1 - x0) / 160  # about 160 characters fit across the chart at this font size
    for r in ops.itertuples():
        left, right = mdates.date2num(r.start), mdates.date2num(r.end)
        if right - left > per_char * (len(r.order_id) + 1):
            colour = "white" if r.tier in dark else "black"
            ax.text(
                (left + right) / 2,
                rows[r.machine_id],
                r.order_id,
                ha="center",
                va="center",
                fontsize=6,
                color=colour,
                clip_on=True,
            )


def gantt(plan: PlanTables, downtime: pd.DataFrame, machines: list[str], tier_names: tuple[str, ...]) -> str:
    """Machines as rows, operations coloured by tier, late orders outlined red, downtime hatched.

    Beyond MAX_GANTT_MACHINES machines only the busiest are drawn (the caption says so).
    """
    ops = plan.schedule.merge(
        plan.orders[["order_id", "tier", "tardiness_minutes"]], on="order_id", how="left"
    )
    caption = "Gantt chart: one row per machine"
    if len(machines) > MAX_GANTT_MACHINES:
        busy = (ops["end"] - ops["start"]).groupby(ops["machine_id"]).sum().sort_values(ascending=False)
        keep = set(busy.index[:MAX_GANTT_MACHINES])
        machines = [m for m in machines if m in keep]
        caption += f" (the {len(machines)} busiest of {len(busy)} machines)"
    rows = {m: i for i, m in enumerate(machines)}
    ops = ops[ops["machine_id"].isin(rows)]
    begin, end = (
        pd.Timestamp(plan.summary["plan"]["start"]),
        pd.Timestamp(plan.summary["plan"]["horizon_end"]),
    )
    down = downtime[downtime["machine_id"].isin(rows) & (downtime["end"] > begin) & (downtime["start"] < end)]
    down = down.assign(start=down["start"].clip(lower=begin), end=down["end"].clip(upper=end))
    fig, ax = plt.subplots(figsize=(14, max(2.5, 0.38 * len(machines) + 1.2)))
    colour = {t: TIER_COLOURS[min(i, len(TIER_COLOURS) - 1)] for i, t in enumerate(tier_names)}
    if len(down):
        ax.add_collection(
            PolyCollection(
                list(_boxes(down["start"], down["end"], down["machine_id"].map(rows).to_numpy(float), 0.8)),
                facecolors="#dddddd",
                hatch="///",
                edgecolors="#999999",
                linewidths=0.3,
            )
        )
    late = (ops["tardiness_minutes"] > 0).to_numpy()
    if len(ops):
        ax.add_collection(
            PolyCollection(
                list(_boxes(ops["start"], ops["end"], ops["machine_id"].map(rows).to_numpy(float), 0.7)),
                facecolors=[colour.get(t, "#888888") for t in ops["tier"]],
                edgecolors=np.where(late, LATE_EDGE, "white"),
                linewidths=0.6,
            )
        )
    ax.autoscale_view()
    if len(ops) <= MAX_LABELLED_OPERATIONS:
        _label_bars(ax, ops, rows, set(tier_names[:2]))
    ax.set_ylim(len(machines) - 0.5, -0.5)
    ax.set_yticks(range(len(machines)), machines)
    ax.xaxis_date()
    ax.xaxis.set_major_formatter(mdates.DateFormatter("%d %b\n%H:%M"))
    ax.grid(axis="x", alpha=0.3)
    handles = [Patch(facecolor=colour[t], label=f"tier {t}") for t in tier_names]
    handles += [
        Patch(facecolor="white", edgecolor=LATE_EDGE, label="late order"),
        Patch(facecolor="#dddddd", hatch="///", edgecolor="#999999", label="downtime"),
    ]
    ax.legend(
        handles=handles, loc="upper center", bbox_to_anchor=(0.5, -0.12), ncol=len(handles), frameon=False
    )
    return figure(fig, caption, items=len(ops))


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
