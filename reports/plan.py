"""report.html: the plan for people, interactive and self-contained.

A Gantt chart by machine (WebGL, so that 100,000 operations still zoom and pan), coloured
by tier, with changeovers, non-working time and downtime drawn in; hovering an operation
shows its order, customer, tier, due date, lateness and reason; a tier filter; picking an
order (click, or the search box) highlights all its steps. Then the stock of every scarce
material over time, the KPIs per tier, the machines, and the late and unscheduled orders,
sortable.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from reports.page import Figure, Section, figure, render, table, tier_colours, trace
from scheduler.plan import PlanTables
from scheduler.problem import ProblemData

GANTT_ALL_MACHINES_UP_TO = 30_000  # operations; beyond, the busiest machines only
GANTT_BUSIEST = 60
MAX_STOCK_CHARTS = 12
MINUTE = pd.Timedelta(minutes=1)


def _segments(starts: pd.Series, ends: pd.Series, rows: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """x and y of line segments [start, end] on each row, separated by gaps (None)."""
    n = len(starts)
    x = np.empty(3 * n, dtype=object)
    y = np.empty(3 * n, dtype=object)
    x[0::3], x[1::3], x[2::3] = starts.to_numpy(), ends.to_numpy(), None
    y[0::3], y[1::3], y[2::3] = rows.to_numpy(), rows.to_numpy(), None
    return x, y


def _windows(problem: ProblemData, machines: list[str], kind: str) -> pd.DataFrame:
    index = {m.id: m for m in problem.machines}
    rows = [
        (m, s, e)
        for m in machines
        for s, e in (index[m].off_shift if kind == "off shift" else index[m].downtime)
    ]
    frame = pd.DataFrame(rows, columns=["machine_id", "start", "end"]).astype(
        {"start": "int64", "end": "int64"}
    )
    frame["start"] = problem.start + frame["start"] * MINUTE
    frame["end"] = problem.start + frame["end"] * MINUTE
    return frame


MARKS = {"promised": "#2ca02c", "moved": "#ff7f0e"}  # outlines of marked orders' operations


def gantt(
    plan: PlanTables, problem: ProblemData, marks: dict[str, list[str]] | None = None
) -> tuple[str, str]:
    """The Gantt chart's div and a note on what is drawn; ``marks`` outlines orders by kind."""
    ops = plan.schedule.merge(
        plan.orders[["order_id", "customer_id", "tier", "due", "tardiness_minutes", "reason"]],
        on="order_id",
        how="left",
    )
    machines = [m.id for m in problem.machines]
    note = f"{len(ops):,} operations on {len(machines)} machines."
    if len(ops) > GANTT_ALL_MACHINES_UP_TO:
        busy = (ops["end"] - ops["start"]).groupby(ops["machine_id"]).sum().sort_values(ascending=False)
        keep = set(busy.index[:GANTT_BUSIEST])
        machines = [m for m in machines if m in keep]
        ops = ops[ops["machine_id"].isin(keep)]
        note += (
            f" Drawn: the {len(machines)} busiest machines ({len(ops):,} operations); the tables list all."
        )
    width = max(3, min(16, int(700 / max(1, len(machines)))))
    fig = Figure()
    for kind, colour in (("off shift", "#eeeeee"), ("downtime", "#9a9a9a")):
        frame = _windows(problem, machines, kind)
        if len(frame):
            x, y = _segments(frame["start"], frame["end"], frame["machine_id"])
            fig.add_trace(
                trace(
                    "scattergl",
                    x=x,
                    y=y,
                    mode="lines",
                    line={"color": colour, "width": width + 4},
                    name=kind,
                    hoverinfo="skip",
                    meta={"kind": kind},
                )
            )
    switching = ops[ops["changeover_minutes"] > 0]
    if len(switching):
        x, y = _segments(
            switching["start"] - switching["changeover_minutes"] * MINUTE,
            switching["start"],
            switching["machine_id"],
        )
        fig.add_trace(
            trace(
                "scattergl",
                x=x,
                y=y,
                mode="lines",
                line={"color": "#f28e2b", "width": width},
                name="changeover",
                hoverinfo="skip",
                meta={"kind": "changeover"},
            )
        )
    for kind, orders in (marks or {}).items():
        marked = ops[ops["order_id"].isin(orders)]
        if len(marked):
            x, y = _segments(marked["start"], marked["end"], marked["machine_id"])
            fig.add_trace(
                trace(
                    "scattergl",
                    x=x,
                    y=y,
                    mode="lines",
                    line={"color": MARKS[kind], "width": width + 6},
                    name=f"{kind} order",
                    hoverinfo="skip",
                    meta={"kind": kind},
                )
            )
    running = ops[ops["state"] == "running"] if "state" in ops.columns else ops.iloc[:0]
    if len(running):  # the shop floor's running work: outlined, under its tier's colour
        x, y = _segments(running["start"], running["end"], running["machine_id"])
        fig.add_trace(
            trace(
                "scattergl",
                x=x,
                y=y,
                mode="lines",
                line={"color": "#222222", "width": width + 4},
                name="running on the shop floor",
                hoverinfo="skip",
                meta={"kind": "running"},
            )
        )
    colours = tier_colours(problem.tier_names)
    for tier in problem.tier_names:
        mine = ops[ops["tier"] == tier]
        if mine.empty:
            continue
        x, y = _segments(mine["start"], mine["end"], mine["machine_id"])
        fig.add_trace(
            trace(
                "scattergl",
                x=x,
                y=y,
                mode="lines",
                line={"color": colours[tier], "width": width},
                name=f"tier {tier}",
                legendgroup=tier,
                hoverinfo="skip",
                meta={"tier": tier},
            )
        )
        middle = mine["start"] + (mine["end"] - mine["start"]) / 2
        late = mine["tardiness_minutes"].fillna(0).astype(int)
        text = (
            "<b>"
            + mine["order_id"]
            + "</b> step "
            + mine["step"].astype(str)
            + " on "
            + mine["machine_id"]
            + "<br>customer "
            + mine["customer_id"].astype(str)
            + ", tier "
            + tier
            + "<br>"
            + mine["start"].dt.strftime("%a %d %b %H:%M")
            + " to "
            + mine["end"].dt.strftime("%a %d %b %H:%M")
            + np.where(mine.get("state", "planned") == "running", " (running on the shop floor)", "")
            + "<br>due "
            + mine["due"].dt.strftime("%a %d %b %H:%M")
            + np.where(
                late > 0,
                ", late " + late.astype(str) + " min<br>" + mine["reason"].fillna("").str.slice(0, 160),
                ", on time",
            )
        )
        fig.add_trace(
            trace(
                "scattergl",
                x=middle,
                y=mine["machine_id"],
                mode="markers",
                name=f"tier {tier} details",
                legendgroup=tier,
                showlegend=False,
                marker={"color": np.where(late > 0, "#d62728", colours[tier]), "size": 5, "opacity": 0.6},
                hovertemplate="%{hovertext}<extra></extra>",
                hovertext=text,
                customdata=np.stack(
                    [
                        mine["order_id"],
                        mine["start"].astype(str),
                        mine["end"].astype(str),
                        mine["machine_id"],
                    ],
                    axis=1,
                ),
                meta={"tier": tier, "details": True},
            )
        )
    fig.add_trace(
        trace(
            "scattergl",
            x=[],
            y=[],
            mode="lines",
            line={"color": "#000000", "width": width + 2},
            name="picked order",
            hoverinfo="skip",
            meta={"kind": "picked"},
        )
    )
    start, end = problem.start, problem.start + problem.horizon * MINUTE
    fig.update_layout(
        height=max(300, 26 * len(machines) + 120),
        xaxis={"range": [start, end], "title": None},
        yaxis={"categoryorder": "array", "categoryarray": machines[::-1], "type": "category"},
        legend={"orientation": "h", "y": 1.02, "yanchor": "bottom"},
        dragmode="zoom",
    )
    return figure(fig, "gantt"), note


def stock_charts(plan: PlanTables, problem: ProblemData) -> list[str]:
    """Per scarce material: stock over time, receipts, each consumption by tier, where it runs out."""
    if not problem.materials:
        return []
    need = {j: 0 for j in range(len(problem.materials))}
    for d in problem.demands:
        need[d.material] += d.quantity
    used = plan.materials.merge(plan.orders[["order_id", "tier"]], on="order_id", how="left")
    colours = tier_colours(problem.tier_names)
    charts = []
    scarce = [j for j, m in enumerate(problem.materials) if need[j] > m.supply_until(problem.horizon)]
    for j in scarce[:MAX_STOCK_CHARTS]:
        m = problem.materials[j]
        events = [(problem.start, float(m.amount(m.on_hand)))]
        events += [(problem.start + t * MINUTE, float(m.amount(q))) for t, q in m.receipts]
        mine = used[used["material_id"] == m.id].sort_values("time")
        events += [(t, -q) for t, q in zip(mine["time"], mine["quantity"], strict=True)]
        timeline = pd.DataFrame(events, columns=["time", "change"]).sort_values("time", kind="stable")
        timeline["level"] = timeline["change"].cumsum()
        level = timeline.groupby("time")["level"].last()
        fig = Figure()
        fig.add_trace(
            trace(
                "scatter",
                x=level.index,
                y=level.to_numpy(),
                mode="lines",
                line={"shape": "hv", "color": "#444"},
                name="stock",
                hovertemplate="%{x|%a %d %b %H:%M}: %{y:,.3f}<extra>stock</extra>",
            )
        )
        if m.receipts:
            fig.add_trace(
                trace(
                    "scatter",
                    x=[problem.start + t * MINUTE for t, _ in m.receipts],
                    y=[float(level.asof(problem.start + t * MINUTE)) for t, _ in m.receipts],
                    mode="markers",
                    marker={"symbol": "triangle-up", "size": 11, "color": "#2ca02c"},
                    name="receipt",
                    text=[f"+{m.show(q)}" for _, q in m.receipts],
                    hovertemplate="%{x|%a %d %b %H:%M}: receipt %{text}<extra></extra>",
                )
            )
        for tier in problem.tier_names:
            rows = mine[mine["tier"] == tier]
            if len(rows):
                fig.add_trace(
                    trace(
                        "scatter",
                        x=rows["time"],
                        y=[float(level.asof(t)) for t in rows["time"]],
                        mode="markers",
                        marker={"color": colours[tier], "size": 7},
                        name=f"used by tier {tier}",
                        text=rows["order_id"] + ": " + rows["quantity"].map("{:,.3f}".format),
                        hovertemplate="%{x|%a %d %b %H:%M}: %{text}<extra></extra>",
                    )
                )
        empty = level[level <= 1e-9]
        if len(empty):
            fig.add_trace(
                trace(
                    "scatter",
                    x=empty.index,
                    y=empty.to_numpy(),
                    mode="markers",
                    name="runs out",
                    marker={"symbol": "x", "size": 12, "color": "#d62728"},
                    hovertemplate="%{x|%a %d %b %H:%M}: stock runs out<extra></extra>",
                )
            )
        short = float(m.amount(need[j] - m.supply_until(problem.horizon)))
        fig.update_layout(
            title=f"{m.id}: the orders need {short:,.3f} more than stock and receipts give", height=300
        )
        charts.append(figure(fig, f"stock-{m.id}"))
    if len(scarce) > MAX_STOCK_CHARTS:
        charts.append(
            f'<p class="note">{len(scarce) - MAX_STOCK_CHARTS} more scarce materials: '
            "see materials.parquet.</p>"
        )
    return charts


def stability_line(stability: dict[str, Any]) -> str:
    """Re-planning in words: what moved against the previous plan."""
    st, prices = stability, stability["prices"]
    return (
        f"Against the previous plan: {st['operations_moved']:,} of {st['operations_compared']:,} operations "
        f"after the freeze moved: {st['machine_changes']:,} to another machine or out, "
        f"{st['sequence_changes']:,} turned over on their machine, {st['minutes_moved']:,} minutes shifted "
        f"(priced {prices['machine']:g} / {prices['sequence']:g} / {prices['moved']:g} / "
        f"{prices['minute']:g} per machine change / sequence change / operation moved / minute)"
    )


def kpi_frame(summary: dict) -> pd.DataFrame:
    return pd.DataFrame([{"tier": tier, **values} for tier, values in summary["kpis"].items()])


def machine_frame(summary: dict) -> pd.DataFrame:
    return pd.DataFrame([{"machine_id": m, **values} for m, values in summary.get("machines", {}).items()])


def plan_report(
    title: str,
    plan: PlanTables,
    problem: ProblemData,
    promised: list[str] | None = None,
    moved: list[str] | None = None,
    quotes: pd.DataFrame | None = None,
) -> str:
    """The page; ``promised`` and ``moved`` orders (a promise's held plan) are marked on the
    Gantt chart, and ``quotes`` gets a section of its own."""
    s = plan.summary
    gap = "n/a" if s["gap"] is None else f"{s['gap']:.2%}"
    bound = "n/a" if s["best_bound"] is None else f"{s['best_bound']:,.1f}"
    notes = [
        f"Status {s['status']}; objective {s['objective']} = {s['objective_value']:,.1f} "
        f"(best bound {bound}, gap {gap}); plan from {s['solver']['plan_from']}; {s['runtime_s']:.1f} s"
        + (f"; interrupted by {s['stop_reason']}" if s.get("interrupted") else "")
        + "."
    ]
    if s.get("stability"):
        notes.append(stability_line(s["stability"]) + ".")
    chart, drawn = gantt(plan, problem, {"promised": promised or [], "moved": moved or []})
    orders = plan.orders
    done, running = int((orders["status"] == "done").sum()), int((plan.schedule["state"] == "running").sum())
    if done or running:
        notes.append(
            f"From the shop floor: {done:,} order(s) done (counted as done in the KPIs, outside the "
            f"objective), {running:,} operation(s) running (outlined on the Gantt chart)."
        )
    late = orders[orders["tardiness_minutes"] > 0].sort_values(
        ["tier", "tardiness_minutes"], ascending=[True, False]
    )
    unscheduled = orders[orders["status"] == "unscheduled"].sort_values(["tier", "due"])
    sections = [
        Section("KPIs per tier", [table(kpi_frame(s), table_id="kpis")], id="kpis-section"),
        Section("Gantt chart", [chart], [drawn], id="gantt-section"),
        Section(
            "Scarce materials", stock_charts(plan, problem) or ['<p class="note">(none)</p>'], id="stock"
        ),
        Section(
            "Machines",
            [table(machine_frame(s), floats="{:,.3f}", table_id="machines")],
            id="machines-section",
        ),
        Section(
            "Late orders",
            [
                table(
                    late[
                        [
                            "order_id",
                            "customer_id",
                            "tier",
                            "due",
                            "completion",
                            "tardiness_minutes",
                            "status",
                            "reason",
                        ]
                    ],
                    table_id="late",
                )
            ],
            id="late-orders",
        ),
        Section(
            "Unscheduled orders",
            [
                table(
                    unscheduled[["order_id", "customer_id", "tier", "due", "reason"]], table_id="unscheduled"
                )
            ],
            id="unscheduled-orders",
        ),
        Section(
            "Material allocation",
            [table(plan.materials, floats="{:,.3f}", table_id="materials")],
            id="materials-section",
        ),
    ]
    if quotes is not None:
        shown = quotes.drop(columns=[c for c in ("seconds",) if c in quotes.columns])
        sections.insert(
            0,
            Section(
                "Promises",
                [table(shown, table_id="quotes")],
                [
                    f"{len(promised or [])} request(s) promised (outlined in green on the Gantt chart); "
                    f"{len(moved or [])} order(s) moved to make room (outlined in orange)."
                ],
                id="promises",
            ),
        )
    partial = len(plan.schedule) > GANTT_ALL_MACHINES_UP_TO
    return render(
        "plan.html.j2", title, notes, sections=sections, tiers=list(problem.tier_names), gantt_partial=partial
    )
