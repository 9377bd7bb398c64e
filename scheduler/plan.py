"""A result as the plan tables of the contract (section 2), plus the KPIs per tier."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from scheduler.explain import explain
from scheduler.plan_schema import in_order
from scheduler.problem import ProblemData
from scheduler.result import Result
from scheduler.schedule import Schedule

KPI_KEYS = (
    "orders",
    "on_time",
    "late",
    "unscheduled",
    "total_tardiness_minutes",
    "weighted_tardiness",
    "done",
)
STATES = ("planned", "running")  # schedule.parquet's state: running on the shop floor, or planned


@dataclass(frozen=True)
class PlanTables:
    schedule: pd.DataFrame
    orders: pd.DataFrame
    materials: pd.DataFrame
    summary: dict[str, Any]


def plan_tables(problem: ProblemData, result: Result, due: pd.Series) -> PlanTables:
    """Build the plan; ``due`` maps order_id to the due timestamp given in the scenario."""
    s = result.schedule
    minute = pd.Timedelta(minutes=1)

    def at(values: list[int]) -> pd.Series:
        return pd.Series(problem.start + np.asarray(values, dtype="int64") * minute).astype("datetime64[us]")

    ops = [k for k in range(len(problem.operations)) if s.machine[k] >= 0]
    changeover = s.changeover_before
    schedule = (
        pd.DataFrame(
            {
                "order_id": pd.Series(
                    [problem.orders[problem.operations[k].order].id for k in ops], dtype="str"
                ),
                "step": pd.Series([problem.operations[k].step for k in ops], dtype="int64"),
                "machine_id": pd.Series([problem.machines[s.machine[k]].id for k in ops], dtype="str"),
                "start": at([s.start[k] for k in ops]),
                "end": at([s.end[k] for k in ops]),
                "changeover_minutes": pd.Series([changeover.get(k, 0) for k in ops], dtype="int64"),
                "working_minutes": pd.Series([s.duration(k, s.machine[k]) for k in ops], dtype="int64"),
                "state": pd.Series([STATES[k in problem.running] for k in ops], dtype="str"),
            }
        )
        .sort_values(["start", "machine_id", "order_id"], kind="stable")
        .reset_index(drop=True)
    )

    reasons = explain(s)
    n = len(problem.orders)
    completion = [s.completion(i) for i in range(n)]
    orders = pd.DataFrame(
        {
            "order_id": pd.Series([o.id for o in problem.orders], dtype="str"),
            "customer_id": pd.Series([o.customer for o in problem.orders], dtype="str"),
            "tier": pd.Series([o.tier for o in problem.orders], dtype="str"),
            "weight": [o.weight for o in problem.orders],
            "due": due.reindex([o.id for o in problem.orders]).to_numpy().astype("datetime64[us]"),
            "completion": pd.Series(
                [problem.start + c * minute if c is not None else pd.NaT for c in completion],
                dtype="datetime64[us]",
            ),
            "tardiness_minutes": pd.Series([s.tardiness(i) for i in range(n)], dtype="int64"),
            "status": pd.Series(
                ["scheduled" if c is not None else "unscheduled" for c in completion], dtype="str"
            ),
            "reason": pd.Series([reasons.get(i) for i in range(n)], dtype="str"),
        }
    )
    if problem.done:
        orders = pd.concat([orders, _done_orders(problem, due)], ignore_index=True)
    consumption = [d for d in problem.demands if s.is_scheduled(d.order)]
    materials = (
        pd.DataFrame(
            {
                "material_id": pd.Series(
                    [problem.materials[d.material].id for d in consumption], dtype="str"
                ),
                "order_id": pd.Series([problem.orders[d.order].id for d in consumption], dtype="str"),
                "quantity": pd.Series(
                    [d.quantity / problem.materials[d.material].scale for d in consumption], dtype="float64"
                ),
                "time": at([s.start[d.operation] for d in consumption]),
            }
        )
        .sort_values(["time", "material_id", "order_id"], kind="stable")
        .reset_index(drop=True)
    )
    summary = _summary(problem, result, orders)
    summary["machines"] = machine_figures(s, changeover)
    return PlanTables(
        in_order(schedule, "schedule"), in_order(orders, "orders"), in_order(materials, "materials"), summary
    )


def _done_orders(problem: ProblemData, due: pd.Series) -> pd.DataFrame:
    """Orders the shop floor has finished: completion and tardiness from their last step."""
    done = problem.done
    completion = pd.Series([d.completion for d in done], dtype="datetime64[us]")
    due_at = pd.Series(due.reindex([d.id for d in done]).to_numpy(), dtype="datetime64[us]")
    late = np.ceil(((completion - due_at) / pd.Timedelta(minutes=1)).clip(lower=0)).astype("int64")
    reason = (
        "done on the shop floor: finished "
        + completion.dt.strftime("%Y-%m-%d %H:%M")
        + ", "
        + late.map("{:,}".format)
        + " min after due"
    ).where(late > 0)
    return pd.DataFrame(
        {
            "order_id": pd.Series([d.id for d in done], dtype="str"),
            "customer_id": pd.Series([d.customer for d in done], dtype="str"),
            "tier": pd.Series([d.tier for d in done], dtype="str"),
            "weight": [d.weight for d in done],
            "due": due_at,
            "completion": completion,
            "tardiness_minutes": late,
            "status": pd.Series(["done"] * len(done), dtype="str"),
            "reason": reason.astype("str"),
        }
    )


def machine_figures(s: Schedule, changeover: dict[int, int]) -> dict[str, dict[str, Any]]:
    """Per machine: changeover minutes, working minutes available in the horizon, utilisation."""
    p = s.problem
    busy = [0] * len(p.machines)
    switching = [0] * len(p.machines)
    for k, m in enumerate(s.machine):
        if m >= 0:
            busy[m] += s.duration(k, m)
            switching[m] += changeover.get(k, 0)
    out = {}
    for m, machine in enumerate(p.machines):
        available = machine.working.total
        out[machine.id] = {
            "capacity": machine.capacity,
            "changeover_minutes": switching[m],
            "working_minutes_available": available,
            "busy_working_minutes": busy[m],
            "utilisation": busy[m] / available if available else 0.0,
        }
    return out


def kpis_per_tier(orders: pd.DataFrame, tier_names: tuple[str, ...]) -> dict[str, dict[str, float]]:
    """Orders, on time, late, unscheduled, total and weighted tardiness, per tier and in all;
    orders the shop floor has done are only counted (``done``), outside the rest."""
    out: dict[str, dict[str, float]] = {}
    for tier in (*tier_names, "all"):
        mine = orders if tier == "all" else orders[orders["tier"] == tier]
        finished = mine["status"] == "done"
        rows = mine[~finished]
        scheduled = rows["status"] == "scheduled"
        late = scheduled & (rows["tardiness_minutes"] > 0)
        out[tier] = {
            "orders": len(rows),
            "on_time": int((scheduled & ~late).sum()),
            "late": int(late.sum()),
            "unscheduled": int((~scheduled).sum()),
            "total_tardiness_minutes": int(rows["tardiness_minutes"].sum()),
            "weighted_tardiness": float((rows["weight"] * rows["tardiness_minutes"]).sum()),
            "done": int(finished.sum()),
        }
    return out


def _summary(problem: ProblemData, result: Result, orders: pd.DataFrame) -> dict[str, Any]:
    s = result.schedule
    unscheduled = [i for i in range(len(problem.orders)) if not s.is_scheduled(i)]
    return {
        "status": result.status,
        "objective": result.objective_name,
        "objective_value": result.objective,
        "objective_terms": {
            "weighted_tardiness": float(sum(o.weight * s.tardiness(i) for i, o in enumerate(problem.orders))),
            "unscheduled_penalty": float(sum(problem.unscheduled_penalty(i) for i in unscheduled)),
            "makespan_minutes": int(s.makespan),
        },
        "best_bound": result.bound,
        "gap": result.gap,
        "runtime_s": round(result.runtime_s, 3),
        "interrupted": result.interrupted,  # stopped early (a signal): the best plan found until then
        "stop_reason": result.stop_reason or None,
        "solver": {
            **result.settings,
            "plan_from": result.source,
            "rounds": [r.__dict__ for r in result.rounds],
            "dispatch_rules": result.dispatch,
        },
        "plan": {
            "start": problem.start.isoformat(),
            "horizon_minutes": problem.horizon,
            "horizon_end": (problem.start + pd.Timedelta(minutes=problem.horizon)).isoformat(),
        },
        "tiers": {"names": list(problem.tier_names), "weights": problem.tier_weights},
        "kpis": kpis_per_tier(orders, problem.tier_names),
        "stability": _stability(problem, s),
    }


def _stability(problem: ProblemData, s: Schedule) -> dict[str, Any] | None:
    """Re-planning: how many operations of the previous plan moved, and by how much."""
    if not problem.previous:
        return None
    moves = s.moves
    machines = sum(1 for k, (m, _) in problem.previous.items() if s.machine[k] >= 0 and s.machine[k] != m)
    prices = problem.stability
    return {
        "prices": {
            "machine": prices.machine,
            "sequence": prices.sequence,
            "moved": prices.moved,
            "minute": prices.minute,
        },
        "operations_compared": len(problem.previous),
        "operations_moved": moves.moved,
        "operations_on_another_machine": machines,  # planned on another machine (not left out)
        "machine_changes": moves.machine,  # on another machine or left out: what is priced
        "sequence_changes": moves.sequence,
        "minutes_moved": moves.minutes,
        "cost": s.stability_cost(),
        "cost_cap": problem.cost_cap,  # the most the plan's objective_value could be (the budget)
    }


def schedule_from_table(problem: ProblemData, schedule: pd.DataFrame) -> Schedule:
    """A schedule.parquet as a schedule of ``problem``: operations it does not list (and
    orders or machines the problem does not have) are left out."""
    index = {(problem.orders[op.order].id, op.step): k for k, op in enumerate(problem.operations)}
    machine_index = {m.id: i for i, m in enumerate(problem.machines)}
    machine = [-1] * len(problem.operations)
    begin = [-1] * len(problem.operations)
    minutes = ((schedule["start"] - problem.start) / pd.Timedelta(minutes=1)).round().astype(int)
    for oid, step, mid, at in zip(
        schedule["order_id"], schedule["step"], schedule["machine_id"], minutes, strict=True
    ):
        k = index.get((oid, int(step)))
        if k is not None and mid in machine_index:
            machine[k], begin[k] = machine_index[mid], int(at)
    return Schedule(problem, tuple(machine), tuple(begin))
