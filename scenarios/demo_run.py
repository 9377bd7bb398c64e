"""The bundled demo, end to end: validate, grade, schedule, check."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from scenarios.complaints_io import scenario_complaints, write_complaints
from scenarios.grading_io import grade_to_folder
from scenarios.model import load_scenario
from scenarios.pipeline import check_plan_folder, make_plan, solve_options, write_plan
from scenarios.terminal import kpi_table, objective_line
from scheduler.result import ProgressEvent

DEMO_TIME_LIMIT_S = 10.0


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
    options = solve_options(
        scenario, time_limit_s=min(DEMO_TIME_LIMIT_S, scenario.settings.solve.time_limit_s)
    )
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
    return outcome
