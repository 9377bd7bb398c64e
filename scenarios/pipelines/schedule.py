"""The one place where grading and scheduling meet: scenario in, plan folder out."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, replace
from functools import cached_property
from pathlib import Path
from typing import Any

import pandas as pd

from grading import GradingConfig, grade
from reports.plan import plan_report
from scenarios.contract.errors import InputError, NoFeasiblePlanError, Problem
from scenarios.contract.freeze import Frozen, frozen_problems
from scenarios.contract.io import PLAN_FILES, read_plan_table, table_bytes, write_folder
from scenarios.contract.model import Scenario
from scenarios.contract.outputs import in_order
from scheduler.build import build_problem
from scheduler.check import CheckContext, Violation, check_plan
from scheduler.floors import material_needs
from scheduler.options import SolveOptions
from scheduler.plan import PlanTables, plan_tables
from scheduler.problem import INTEGER_COST_LIMIT, ProblemData, StabilityPrices
from scheduler.result import ProgressEvent, Result
from scheduler.schedule import Schedule
from scheduler.solve import solve
from scheduler.stop import Stopped, StopRequest


def grading_config(scenario: Scenario) -> GradingConfig:
    """The scenario's [grading] settings with the grading date and tier names filled in."""
    s = scenario.settings
    return replace(s.grading, as_of=s.as_of, tier_names=s.tiers.names)


def grade_scenario(scenario: Scenario) -> pd.DataFrame:
    """The tiers of every customer the scenario knows (grading plus manual overrides)."""
    also = pd.concat([scenario["orders"]["customer_id"], scenario["complaints"]["customer_id"]])
    return grade(
        scenario["customers"],
        scenario["sales_history"],
        scenario["payments"],
        grading_config(scenario),
        also,
    )


def build_scenario_problem(
    scenario: Scenario,
    tiers: pd.DataFrame,
    frozen: Frozen | None = None,
    stability: StabilityPrices | None = None,
) -> ProblemData:
    """The problem to solve; with ``frozen``, operations after the freeze are kept near their
    previous place by the stability term."""
    settings = scenario.settings
    tier_of = dict(zip(tiers["customer_id"], tiers["tier"], strict=True))
    if frozen is not None:
        frozen = frozen.after_shop_floor(scenario)
        problems = frozen_problems(scenario, frozen)
        if problems:
            raise InputError(problems)
    problem = build_problem(
        scenario.tables,
        tier_of,
        settings.tiers.names,
        settings.tiers.weights,
        settings.plan.start,
        settings.plan.horizon_minutes,
        frozen.operations if frozen else None,
        frozen.until if frozen else None,
        frozen.later if frozen else None,
        stability,
    )
    total, worst = problem.largest_cost()
    if total > INTEGER_COST_LIMIT:
        scale = problem.weight_scale
        raise InputError(
            [
                Problem(
                    "orders",
                    f"order_id={problem.orders[worst].id}",
                    "weight",
                    f"weight x (tardiness + horizon) summed over all {len(problem.orders):,} orders can "
                    f"reach {total / scale:.3g}, more than 64-bit integer arithmetic can plan exactly "
                    f"({INTEGER_COST_LIMIT / scale:.3g}); expected smaller weights ([tiers] weights, orders "
                    "weight), due dates nearer the plan start or a shorter horizon (this order weighs most)",
                )
            ]
        )
    return problem


def solve_options(scenario: Scenario, **overrides: Any) -> SolveOptions:
    """The scenario's [solve] settings, with command-line values (not None) on top."""
    return replace(scenario.settings.solve, **{k: v for k, v in overrides.items() if v is not None})


def check_context(scenario: Scenario, tiers: pd.DataFrame) -> CheckContext:
    s = scenario.settings
    return CheckContext(
        scenario.tables,
        tiers[["customer_id", "tier"]],
        s.plan.start,
        s.plan.horizon_minutes,
        s.tiers.names,
        s.tiers.weights,
    )


@dataclass(frozen=True)
class Plan:
    """A checked plan, ready to be written."""

    scenario: Scenario
    tiers: pd.DataFrame
    result: Result
    tables: PlanTables

    @cached_property
    def report_html(self) -> str:
        """The plan's page, drawn when first asked: only a written plan needs it."""
        return plan_report(f"tierplan: {self.scenario.name}", self.tables, self.result.schedule.problem)


def make_plan(
    scenario: Scenario,
    options: SolveOptions,
    on_progress: Callable[[ProgressEvent], None] | None = None,
    frozen: Frozen | None = None,
    stop: StopRequest | None = None,
) -> Plan:
    """Grade, schedule, check. Raise :class:`NoFeasiblePlanError` when no checked plan exists.

    A requested ``stop`` ends the search early with the best plan found so far.
    """
    tiers = grade_scenario(scenario)
    problem = build_scenario_problem(scenario, tiers, frozen, options.stability_prices)
    _frozen_orders_can_finish(problem)
    try:
        result = solve(problem, options, on_progress, stop)
    except Stopped as exc:
        raise NoFeasiblePlanError([f"interrupted: {exc}; nothing was planned"]) from None
    _frozen_operations_kept(problem, result.schedule)
    return checked_plan(scenario, tiers, result)


def checked_plan(scenario: Scenario, tiers: pd.DataFrame, result: Result) -> Plan:
    """The plan tables of ``result``, re-checked independently, and its report."""
    problem = result.schedule.problem
    due = scenario["orders"].set_index("order_id")["due"]
    tables = plan_tables(problem, result, due)
    tables.summary["scenario"] = scenario.name
    violations = check_plan(
        check_context(scenario, tiers),
        tables.schedule,
        tables.orders,
        tables.materials,
        tables.summary,
    )
    if violations:
        raise NoFeasiblePlanError(
            [
                "the plan failed the independent check (a bug; please report it):",
                *map(str, violations),
            ]
        )
    if problem.orders and not any(result.schedule.is_scheduled(i) for i in range(len(problem.orders))):
        reasons = tables.orders.dropna(subset=["reason"]).head(20)
        raise NoFeasiblePlanError(
            [
                "no order can be scheduled within the limits:",
                *(f"{r.order_id}: {r.reason}" for r in reasons.itertuples()),
            ]
        )
    return Plan(scenario, tiers, result, tables)


def _frozen_operations_fit(problem: ProblemData) -> None:
    """Frozen operations must still fit their machine's working time: a breakdown or a shift
    change added since the previous plan may cut into one that already runs."""
    cut = []
    for k, (m, at) in sorted(problem.fixed.items()):
        if k in problem.running:  # running work pauses over whatever comes
            continue
        mode = problem.mode(k, m)
        if not problem.machines[m].working.fits(at, mode.duration, mode.resumable):
            op = problem.operations[k]
            when = problem.start + pd.Timedelta(minutes=at)
            cut.append(
                f"order {problem.orders[op.order].id} step {op.step} on {problem.machines[m].id} "
                f"from {when:%Y-%m-%d %H:%M}"
            )
    if cut:
        raise NoFeasiblePlanError(
            [
                f"{len(cut)} frozen operation(s) run into time their machine no longer works (downtime or "
                "shifts changed since the previous plan): "
                + "; ".join(cut[:5])
                + ("..." if len(cut) > 5 else ""),
                "expected a --freeze-until before those operations start, "
                "or the downtime to begin after they end",
            ]
        )


def _frozen_orders_can_finish(problem: ProblemData) -> None:
    """Orders started on the shop floor or before the freeze must finish inside the horizon:
    say so when they cannot."""
    _frozen_operations_fit(problem)
    _running_work_fits(problem)
    _started_orders_have_material(problem)
    est = problem.earliest_starts
    late = []
    for i in sorted(problem.frozen_orders):
        last = problem.orders[i].last_op
        end = (
            problem.fixed_end(last)
            if last in problem.fixed
            else est[last] + problem.operations[last].min_duration
        )
        if end > problem.horizon:
            late.append(i)
    if late:
        end = problem.start + pd.Timedelta(minutes=problem.horizon)
        raise NoFeasiblePlanError(
            [
                f"{len(late)} order(s) started on the shop floor or before the freeze cannot finish inside "
                f"the horizon (ending {end:%Y-%m-%d %H:%M}) even on idle machines: "
                + ", ".join(problem.orders[i].id for i in late[:10])
                + ("..." if len(late) > 10 else ""),
                "expected an earlier --freeze-until or a longer [plan] horizon_days",
            ]
        )


def _started_orders_have_material(problem: ProblemData) -> None:
    """The steps still ahead of the started (and frozen) orders need their material: all of
    them together need no more of a material than its stock and receipts inside the horizon."""
    started = [i in problem.frozen_orders for i in range(len(problem.orders))]
    short = []
    for m, per_order in sorted(material_needs(problem, started).items()):
        material, needed = problem.materials[m], sum(per_order.values())
        available = material.supply_until(problem.horizon)
        if needed > available:
            names = sorted(problem.orders[i].id for i in per_order)
            short.append(
                f"material {material.id}: the started order(s) {', '.join(names[:5])}"
                f"{'...' if len(names) > 5 else ''} still need {needed / material.scale:,.6g}; "
                f"{available / material.scale:,.6g} is on hand or arrives inside the horizon"
            )
    if short:
        raise NoFeasiblePlanError(
            [
                f"{len(short)} material(s) cannot cover the orders started on the shop floor (they may "
                "not be left out): " + "; ".join(short[:5]),
                "expected more stock or receipts, or a longer [plan] horizon_days",
            ]
        )


def _running_work_fits(problem: ProblemData) -> None:
    """Each running operation needs its remaining minutes of its machine's working time."""
    short = []
    for k, (m, _) in sorted(problem.fixed.items()):
        if k not in problem.running:
            continue
        needed, machine = problem.mode(k, m).duration, problem.machines[m]
        available = machine.working.worked(0, problem.horizon)
        if needed > available:
            op = problem.operations[k]
            short.append(
                f"order {problem.orders[op.order].id} step {op.step} running on {machine.id} needs "
                f"{needed:,} more working minutes; {machine.id} has {available:,} inside the horizon"
            )
    if short:
        raise NoFeasiblePlanError(
            [
                f"{len(short)} running operation(s) cannot finish inside the horizon: "
                + "; ".join(short[:5]),
                "expected a longer [plan] horizon_days, more working time or a smaller remaining_minutes",
            ]
        )


def _frozen_operations_kept(problem: ProblemData, schedule: Schedule) -> None:
    """Every frozen operation in place, and every started order finished inside the horizon."""
    moved = [k for k, (m, at) in problem.fixed.items() if (schedule.machine[k], schedule.start[k]) != (m, at)]
    overrun = [
        i
        for i in sorted(problem.frozen_orders)
        if not schedule.is_scheduled(i) or (schedule.completion(i) or 0) > problem.horizon
    ]
    if moved or overrun:
        raise NoFeasiblePlanError(
            [
                f"{len(moved)} frozen operation(s) cannot be kept and {len(overrun)} order(s) started on the "
                "shop floor or before the freeze cannot finish inside the horizon within the limits"
                + (f", e.g. order {problem.orders[overrun[0]].id}" if overrun else "")
                + (
                    f", e.g. order {problem.orders[problem.operations[moved[0]].order].id} step "
                    f"{problem.operations[moved[0]].step}"
                    if moved
                    else ""
                ),
                "expected an earlier --freeze-until or a longer [plan] horizon_days",
            ]
        )


def plan_files(t: PlanTables, tiers: pd.DataFrame, report_html: str) -> dict[str, bytes]:
    """The files of a plan folder (contract section 2), as bytes (so that the space they need
    is known before anything is written)."""
    tables = {
        "schedule.parquet": t.schedule,
        "orders.parquet": t.orders,
        "materials.parquet": t.materials,
        "tiers.parquet": tiers,
    }
    files = {name: table_bytes(in_order(frame, name)) for name, frame in tables.items()}
    files["summary.json"] = json.dumps(t.summary, indent=2, default=str).encode("utf-8")
    files["report.html"] = report_html.encode("utf-8")
    return {name: files[name] for name in PLAN_FILES}  # the contract's files, each declared one


def write_plan(plan: Plan, out: Path, force: bool = False) -> Path:
    """Write the plan folder whole, or not at all."""
    return write_folder(Path(out), plan_files(plan.tables, plan.tiers, plan.report_html), force)


def check_plan_folder(scenario: Scenario, folder: Path) -> list[Violation]:
    """Re-check a written plan against its scenario, with the tiers it was made with."""
    folder = Path(folder)
    missing = [
        n
        for n in ("schedule.parquet", "orders.parquet", "materials.parquet", "summary.json")
        if not (folder / n).is_file()
    ]
    if missing:
        return [Violation(str(folder), "", f"not a plan folder: missing {', '.join(missing)}")]
    tiers_path = folder / "tiers.parquet"
    tiers = read_plan_table(folder, "tiers") if tiers_path.is_file() else grade_scenario(scenario)
    summary = json.loads((folder / "summary.json").read_text(encoding="utf-8"))
    return check_plan(
        check_context(scenario, tiers),
        read_plan_table(folder, "schedule"),
        read_plan_table(folder, "orders"),
        read_plan_table(folder, "materials"),
        summary,
    )
