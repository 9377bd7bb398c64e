"""The bundled demo, end to end: validate, grade, schedule, check."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from importlib.resources import files
from pathlib import Path
from typing import Any

import pandas as pd

from scenarios.contract.model import Scenario, load_scenario
from scenarios.pipelines.complaints import scenario_complaints, write_complaints
from scenarios.pipelines.grade import grade_to_folder
from scenarios.pipelines.promise import promise, read_plan, read_requests, write_promises
from scenarios.pipelines.schedule import check_plan_folder, make_plan, solve_options, write_plan
from scenarios.pipelines.terminal import kpi_table, objective_line, portfolio_table, quote_table
from scheduler.promise import DEFAULT_MODE, SearchSettings
from scheduler.result import ProgressEvent

# The demo's plan gets all cores and 30 s: on an idle 2-core machine that proves the demo
# plant's optimum in most runs, where the scenario's own one worker did not in 60 s
# (benchmarks/bench_demo.py, benchmarks/README.md). The scenario keeps one worker and 10 s,
# so `tierplan schedule` on it stays repeatable, and the demo's promises use that one worker.
DEMO_TIME_LIMIT_S = 30.0
DEMO_WORKERS = 0  # all cores


def bundled_scenario() -> Path:
    """The demo scenario's folder, shipped inside the package."""
    return Path(str(files("scenarios.demo") / "scenario"))


@dataclass
class DemoOutcome:
    lines: list[str] = field(default_factory=list)
    tables: list[Any] = field(default_factory=list)


def run_demo(
    scenario_folder: Path, out: Path, on_progress: Callable[[ProgressEvent], None] | None
) -> DemoOutcome:
    outcome = DemoOutcome()
    scenario = load_scenario(scenario_folder)
    sizes = {name: len(frame) for name, frame in scenario.tables.items() if len(frame)}
    outcome.lines.append(
        f"scenario {scenario_folder}: valid; " + ", ".join(f"{n} {k}" for k, n in sizes.items())
    )
    graded = grade_to_folder(scenario, out / "grading", force=True)
    outcome.tables.append(graded.summary_table)
    if graded.sales is not None:
        outcome.tables.append(portfolio_table(graded.sales.portfolio))
        if graded.sales.balance is not None:
            outcome.lines.append(f"balance of the reps' portfolios: {graded.sales.balance.note}")
        if graded.sales.visits is not None:
            overdue = int((graded.sales.visits["overdue_days"] > 0).sum())
            outcome.lines.append(
                f"visits: {overdue} of {len(graded.sales.visits)} customers overdue by their tier's cadence"
            )
    options = solve_options(scenario, time_limit_s=DEMO_TIME_LIMIT_S, workers=DEMO_WORKERS)
    plan = make_plan(scenario, options, on_progress)
    write_plan(plan, out / "plan", force=True)
    violations = check_plan_folder(scenario, out / "plan")
    s = plan.tables.summary
    outcome.lines.append(
        f"plan: {s['status']}, {objective_line(s)}, "
        f"from {s['solver']['plan_from']} in {s['runtime_s']:.1f} s; independent check: "
        + ("holds" if not violations else f"{len(violations)} violations")
    )
    complaints = scenario_complaints(scenario, scenario.settings.plan.start, plan.tiers)
    write_complaints(scenario, complaints, out / "complaints", force=True)
    overdue = int((complaints.queue["state"] == "overdue").sum())
    open_count = int(complaints.queue["queue_position"].notna().sum())
    outcome.lines.append(f"complaints: {open_count} open, {overdue} overdue as of the plan start")
    outcome.lines.append(
        f"reports: {out / 'plan' / 'report.html'}, {out / 'grading' / 'grading.html'}, "
        f"{out / 'complaints' / 'complaints.html'}"
    )
    outcome.tables.append(kpi_table(s))
    outcome.tables.append(_promises(scenario, out, outcome))
    return outcome


# Two customers ask for the same thing by the same date: the tier-A one may push tier-B/C
# work within its slack, the tier-C one takes what is left over.
DEMO_REQUESTS = (("ASK-A", "C009"), ("ASK-C", "C005"))
DEMO_ASK = {"product_id": "P005", "quantity": 40, "requested": "2026-12-09T12:00:00"}
DEMO_PROMISE_SECONDS = 3.0


def _promises(scenario: Scenario, out: Path, outcome: DemoOutcome) -> Any:
    """One promise per request, each on the plan alone (``tierplan promise`` with the default
    lower-slack); the quotes side by side."""
    plan = read_plan(out / "plan", scenario)
    quotes = []
    for request_id, customer in DEMO_REQUESTS:
        asked = out / f"request-{request_id}.csv"
        pd.DataFrame([{"request_id": request_id, "customer_id": customer, **DEMO_ASK}]).to_csv(
            asked, index=False
        )
        answer = promise(
            scenario,
            plan,
            read_requests(asked, scenario),
            DEFAULT_MODE,
            SearchSettings(scenario.settings.solve.workers, 0, DEMO_PROMISE_SECONDS),
        )
        write_promises(answer, out / f"promise-{request_id}", force=True)
        quotes.append(answer.quotes)
        q = answer.quotes.iloc[0]
        when = "no capacity in the horizon" if pd.isna(q["promise"]) else f"{q['promise']:%Y-%m-%d %H:%M}"
        outcome.lines.append(
            f"promise for {request_id} (customer {customer}, tier {q['tier']}): {when}, "
            f"{'on' if q['on_requested'] else 'after'} the requested {q['requested']:%Y-%m-%d %H:%M}, "
            f"{q['moved_orders']} lower-tier order(s) moved; {out / f'promise-{request_id}'}"
        )
    return quote_table(pd.concat(quotes, ignore_index=True))
