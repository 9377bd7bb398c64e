"""tierplan's command line: each command parses, calls the library, prints, exits.

Exit codes: 0 done, 1 invalid input, 2 usage error, 3 no feasible plan within the limits,
4 the machine stopped the run (no space, permission denied, a read-only or vanished
folder, out of memory).
"""

from __future__ import annotations

import logging
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

from scenarios.contract.errors import (
    EnvironmentFault,
    InputError,
    NoFeasiblePlanError,
    OutputExistsError,
    Problem,
    UsageError,
    environment_fault,
)
from scenarios.contract.interrupt import Aborted, stop_on_signals
from scenarios.contract.io import ensure_writable
from scenarios.contract.model import Scenario, check_scenario, load_scenario
from scenarios.pipelines.terminal import frame_table, kpi_table, objective_line, portfolio_table
from scheduler.log import lines_to
from scheduler.objectives import OBJECTIVES
from scheduler.result import ProgressEvent
from scheduler.rules import RULE_NAMES
from scheduler.stop import StopRequest

app = typer.Typer(
    help="Production scheduling that puts your best customers first.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
out_console = Console(highlight=False, soft_wrap=True)
err_console = Console(stderr=True, highlight=False, soft_wrap=True)

ScenarioArg = Annotated[Path, typer.Argument(help="Scenario folder (scenario.toml plus one file per table).")]
ForceOpt = Annotated[bool, typer.Option("--force", help="Replace the output folder if it exists.")]


def _say(text: str, console: Console = out_console) -> None:
    console.print(escape(text))


def _problems(problems: list[Problem], console: Console) -> None:
    errors = [p for p in problems if p.severity == "error"]
    warnings = [p for p in problems if p.severity != "error"]
    for p in errors:
        _say(f"error: {p}", console)
    for p in warnings:
        _say(f"warning: {p}", console)
    if errors:
        _say(f"{len(errors)} problem(s) found; nothing was written.", console)


@contextmanager
def _exit_codes() -> Iterator[None]:
    """Turn our errors into the contract's exit codes, never a traceback."""
    try:
        yield
    except InputError as exc:
        _problems(exc.problems + exc.warnings, err_console)
        raise typer.Exit(1) from None
    except OutputExistsError as exc:
        _say(f"error: {exc}", err_console)
        raise typer.Exit(2) from None
    except NoFeasiblePlanError as exc:
        _say("no feasible plan found; nothing was written.", err_console)
        for line in exc.diagnosis:
            _say(f"  {line}", err_console)
        raise typer.Exit(3) from None
    except Aborted as exc:
        _say(f"aborted by a second {exc}: nothing more was written.", err_console)
        # At once, without waiting for the solver's threads to wind down (their C++
        # destructors would end the process with "terminate called" instead).
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(exc.exit_code)
    except UsageError as exc:
        _say(f"error: {exc}", err_console)
        raise typer.Exit(2) from None
    except EnvironmentFault as exc:
        _say(f"error: {exc}", err_console)
        raise typer.Exit(4) from None
    except MemoryError:
        _say(
            "error: out of memory; nothing was written (a smaller plant, or a machine with more memory)",
            err_console,
        )
        raise typer.Exit(4) from None
    except OSError as exc:  # reading or writing where no writer above knew what it was doing
        fault = environment_fault(exc, "cannot use", exc.filename or "a file")
        if fault is None:
            raise
        _say(f"error: {fault}", err_console)
        raise typer.Exit(4) from None
    except (typer.Exit, KeyboardInterrupt):
        raise
    except Exception as exc:  # a bug: say so in one line; TIERPLAN_DEBUG=1 shows the traceback
        if os.environ.get("TIERPLAN_DEBUG"):
            raise
        _say(
            f"internal error: {type(exc).__name__}: {exc} (please report it with the scenario; "
            "TIERPLAN_DEBUG=1 shows the details); nothing was written.",
            err_console,
        )
        raise typer.Exit(1) from None


@contextmanager
def _logging(verbose: bool) -> Iterator[None]:
    """With ``verbose``, the library's log lines (each phase of the search) go to stderr."""
    if not verbose:
        yield
        return
    with lines_to(logging.StreamHandler(sys.stderr), "%(asctime)s %(message)s", "%H:%M:%S"):
        yield


def _load(folder: Path) -> Scenario:
    scenario = load_scenario(folder)
    for warning in scenario.warnings:
        _say(f"warning: {warning}", err_console)
    return scenario


@contextmanager
def _progress(quiet: bool) -> Iterator[Callable[[ProgressEvent], None] | None]:
    """Rich progress while CP-SAT searches: round, objective, bound, gap, elapsed."""
    if quiet:
        yield None
        return
    columns = (
        SpinnerColumn(),
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.fields[status]}"),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=err_console, transient=False) as progress:
        task = progress.add_task("dispatch rules", total=1.0, status="")

        def update(event: ProgressEvent) -> None:
            gap = "n/a" if event.gap is None else f"{event.gap:.1%}"
            objective = "-" if event.objective is None else f"{event.objective:,.1f}"
            bound = "-" if event.bound is None else f"{event.bound:,.1f}"
            progress.update(
                task,
                description=f"CP-SAT {event.round} ({event.round_index + 1}/{event.rounds})",
                completed=min(1.0, event.elapsed_s / event.time_limit_s),
                status=f"objective {objective}  bound {bound}  gap {gap}",
            )

        yield update
        progress.update(task, completed=1.0)


@app.command()
def validate(scenario: ScenarioArg) -> None:
    """Check a scenario and print every problem found."""
    _, problems = check_scenario(scenario)
    _problems(problems, out_console)
    if any(p.severity == "error" for p in problems):
        raise typer.Exit(1)
    _say(f"{scenario}: valid" + (f" ({len(problems)} warning(s))" if problems else ""))


@app.command()
def generate(
    out: Annotated[Path, typer.Option(help="Folder to write the scenario into.")],
    orders: Annotated[int, typer.Option(min=1, max=1_000_000, help="Number of orders.")] = 200,
    seed: Annotated[int, typer.Option(min=0, help="Random seed: same seed, same scenario.")] = 0,
    customers: Annotated[int | None, typer.Option(min=1, help="Customers (default from orders).")] = None,
    machines: Annotated[int | None, typer.Option(min=1, help="Machines (default from orders).")] = None,
    materials: Annotated[int | None, typer.Option(min=1, help="Materials (default from machines).")] = None,
    horizon_days: Annotated[int, typer.Option(min=1, max=3653, help="Planning horizon in days.")] = 14,
    load: Annotated[
        float,
        typer.Option(min=0.01, max=2.0, help="Share of the busiest machine group's working time asked."),
    ] = 0.85,
    material_cover: Annotated[
        float,
        typer.Option(
            min=0.01, max=100.0, help="Share of a scarce material's demand that supply covers (1: ample)."
        ),
    ] = 0.9,
    plant_model: Annotated[
        bool, typer.Option("--plant-model/--no-plant-model", help="Shifts, an oven and changeovers.")
    ] = True,
    started: Annotated[
        float,
        typer.Option(
            min=0.0, max=1.0, help="Share of orders already started at the plan start (a progress table)."
        ),
    ] = 0.1,
    file_format: Annotated[str, typer.Option("--format", help="parquet or csv.")] = "parquet",
    force: ForceOpt = False,
) -> None:
    """Write a realistic synthetic scenario."""
    from scenarios.generators.scenario import PlantSpec, write_generated

    if file_format not in ("parquet", "csv"):
        raise typer.BadParameter("expected parquet or csv", param_hint="--format")
    with _exit_codes():
        spec = PlantSpec(
            orders,
            seed,
            customers,
            machines,
            materials,
            horizon_days,
            load=load,
            material_cover=material_cover,
            plant_model=plant_model,
            started=started,
        )
        write_generated(out, spec, file_format, force)
    _say(f"wrote {out}")


@app.command("grade")
def grade_command(
    scenario: ScenarioArg,
    out: Annotated[Path, typer.Option(help="Folder for tiers.parquet and grading.html.")],
    previous: Annotated[
        Path | None, typer.Option(help="An earlier tiers.parquet: report tier migrations.")
    ] = None,
    force: ForceOpt = False,
) -> None:
    """Grade customers: tiers.parquet, grading.html and a summary."""
    from scenarios.pipelines.grade import grade_to_folder

    with _exit_codes():
        outcome = grade_to_folder(_load(scenario), out, previous, force)
    out_console.print(outcome.summary_table)
    if outcome.migrations is not None:
        out_console.print(frame_table(outcome.migrations, "Tier migrations"))
    if outcome.sales is not None:
        out_console.print(portfolio_table(outcome.sales.portfolio))
        if outcome.sales.balance is not None:
            _say(f"balance: {outcome.sales.balance.note}")
        if outcome.sales.visits is not None:
            overdue = int((outcome.sales.visits["overdue_days"] > 0).sum())
            _say(f"visits: {overdue} of {len(outcome.sales.visits)} customers overdue (visits.parquet)")
    _say(f"wrote {out}")


@app.command()
def schedule(
    scenario: ScenarioArg,
    out: Annotated[Path, typer.Option(help="Plan folder to write.")],
    objective: Annotated[str | None, typer.Option(help=f"{', '.join(OBJECTIVES)}.")] = None,
    time_limit: Annotated[float | None, typer.Option(min=0.01, help="Seconds for the search.")] = None,
    workers: Annotated[int | None, typer.Option(min=0, help="Search workers; 0 = all cores.")] = None,
    seed: Annotated[int | None, typer.Option(min=0, help="Random seed of the search.")] = None,
    solver: Annotated[
        str, typer.Option(help=f"cpsat, or dispatch:RULE with RULE {', '.join(RULE_NAMES)}.")
    ] = "cpsat",
    previous: Annotated[
        Path | None, typer.Option(help="A previous plan whose early operations stay.")
    ] = None,
    freeze_until: Annotated[
        str | None, typer.Option(help="With --previous: keep operations starting before this.")
    ] = None,
    quiet: Annotated[bool, typer.Option("--quiet", help="No progress display.")] = False,
    verbose: Annotated[bool, typer.Option("--verbose", help="Log each phase of the search.")] = False,
    force: ForceOpt = False,
) -> None:
    """Grade, schedule and write a checked plan folder.

    The first SIGINT or SIGTERM ends the search and writes the best plan found so far; a
    second one aborts at once without writing.
    """
    from scenarios.pipelines.schedule import make_plan, solve_options, write_plan

    if (previous is None) != (freeze_until is None):
        raise typer.BadParameter("--previous and --freeze-until go together", param_hint="--freeze-until")
    stop = StopRequest()
    with _exit_codes(), stop_on_signals(stop), _logging(verbose):
        ensure_writable(out, force)
        loaded = _load(scenario)
        options = solve_options(
            loaded,
            objective=objective,
            time_limit_s=time_limit,
            workers=workers,
            seed=seed,
            solver=solver,
        )
        try:
            options.check()
        except ValueError as exc:
            raise UsageError(str(exc)) from None
        frozen = _frozen(previous, freeze_until)
        with _progress(quiet) as on_progress:
            plan = make_plan(loaded, options, on_progress, frozen, stop)
        write_plan(plan, out, force)
    if not quiet:
        out_console.print(kpi_table(plan.tables.summary))
    s = plan.tables.summary
    if s["interrupted"]:
        _say(
            f"interrupted by {s['stop_reason']} after {s['runtime_s']:.1f} s: wrote the best plan found "
            "so far (checked)",
            err_console,
        )
    _say(f"{s['status']}: {objective_line(s)}; wrote {out}")


def _frozen(previous: Path | None, freeze_until: str | None) -> Any:
    if previous is None or freeze_until is None:
        return None
    from scenarios.contract.freeze import read_frozen

    return read_frozen(previous, freeze_until)


@app.command()
def check(
    scenario: ScenarioArg,
    plan: Annotated[Path, typer.Argument(help="Plan folder to re-check.")],
    requests: Annotated[
        Path | None,
        typer.Option(help="A promise's requests: checked as orders appended to the scenario's (contract 6)."),
    ] = None,
) -> None:
    """Re-check a plan against its scenario, independently of the solver."""
    from scenarios.pipelines.schedule import check_plan_folder

    with _exit_codes():
        loaded = _load(scenario)
        if requests is not None:
            from scenarios.pipelines.promise import with_requests

            loaded = with_requests(loaded, requests, plan)
        violations = check_plan_folder(loaded, plan)
    for v in violations:
        _say(f"violation: {v}")
    if violations:
        _say(f"{len(violations)} violation(s)")
        raise typer.Exit(1)
    _say(f"{plan}: the plan holds")


@app.command("promise")
def promise_command(
    scenario: ScenarioArg,
    plan: Annotated[Path, typer.Argument(help="A plan folder of SCENARIO, the promises go on top of.")],
    requests: Annotated[Path, typer.Argument(help="The requests: a .csv or .parquet table.")],
    out: Annotated[Path, typer.Option(help="Folder for quotes, moved orders, the held plan and a summary.")],
    displace: Annotated[
        str,
        typer.Option(
            help="none, lower-slack (lower tiers move within their slack) or lower (they may be late)."
        ),
    ] = "lower-slack",
    time_limit: Annotated[
        float | None, typer.Option(min=0.01, help="Seconds of search per request (lower-slack, lower).")
    ] = None,
    workers: Annotated[int | None, typer.Option(min=0, help="Search workers; 0 = all cores.")] = None,
    seed: Annotated[int | None, typer.Option(min=0, help="Random seed of the search.")] = None,
    force: ForceOpt = False,
) -> None:
    """When can we deliver this? Promise dates by tier for new orders, on top of a plan."""
    from scenarios.pipelines.promise import promise, read_plan, read_requests, write_promises
    from scenarios.pipelines.terminal import quote_table
    from scheduler.promise import MODES, SEARCH_SECONDS, SearchSettings

    if displace not in MODES:
        raise typer.BadParameter(f"expected one of {', '.join(MODES)}", param_hint="--displace")
    stop = StopRequest()
    began = time.perf_counter()
    with _exit_codes(), stop_on_signals(stop):
        ensure_writable(out, force)
        loaded = _load(scenario)
        held = read_plan(plan, loaded)
        asked = read_requests(requests, loaded)
        solve = loaded.settings.solve
        settings = SearchSettings(
            solve.workers if workers is None else workers,
            solve.seed if seed is None else seed,
            SEARCH_SECONDS if time_limit is None else time_limit,
        )
        outcome = promise(loaded, held, asked, displace, settings, stop, began)
        write_promises(outcome, out, force)
    out_console.print(quote_table(outcome.quotes))
    _say(f"wrote {out}")


@app.command("complaints")
def complaints_command(
    scenario: ScenarioArg,
    as_of: Annotated[
        str | None, typer.Option(help="The moment to judge deadlines at (default: now).")
    ] = None,
    out: Annotated[
        Path | None, typer.Option(help="Folder for complaints.parquet, delays and complaints.html.")
    ] = None,
    force: ForceOpt = False,
) -> None:
    """The complaint queue ordered by tier and deadline, and the overdue report."""
    import pandas as pd

    from scenarios.contract.convert import parse_timestamp
    from scenarios.pipelines.complaints import scenario_complaints, write_complaints

    moment = pd.Timestamp.now().floor("min") if as_of is None else parse_timestamp(as_of)
    if pd.isna(moment):
        raise typer.BadParameter("expected a plant-local ISO 8601 timestamp", param_hint="--as-of")
    with _exit_codes():
        if out is not None:
            ensure_writable(out, force)
        loaded = _load(scenario)
        outcome = scenario_complaints(loaded, moment)
        if out is not None:
            write_complaints(loaded, outcome, out, force)
    queue = outcome.queue[outcome.queue["queue_position"].notna()]
    shown = [
        "queue_position",
        "complaint_id",
        "customer_id",
        "tier",
        "deadline",
        "state",
        "days_overdue",
        "subject",
    ]
    out_console.print(frame_table(queue[shown], f"Open complaints as of {moment:%Y-%m-%d %H:%M}"))
    out_console.print(frame_table(outcome.delays, "Delays per tier"))
    if out is not None:
        _say(f"wrote {out}")


@app.command()
def run(
    spec: Annotated[Path, typer.Argument(help="Study file: a base scenario and named variants (TOML).")],
    out: Annotated[Path, typer.Option(help="Folder for one plan per variant and the comparison.")],
    quiet: Annotated[bool, typer.Option("--quiet", help="No line per plan as it ends.")] = False,
    verbose: Annotated[bool, typer.Option("--verbose", help="Log each phase of each plan's search.")] = False,
    force: ForceOpt = False,
    watchdog: Annotated[
        float | None,
        typer.Option(
            min=1.0, help="Seconds a plan may take before its process is ended (default: 2 x limit + 120)."
        ),
    ] = None,
) -> None:
    """What-if study: one plan per variant (each in its own process), plus the comparison."""
    from scenarios.studies.compare import compare_plans
    from scenarios.studies.whatif import run_study

    stop = StopRequest()
    with _exit_codes(), stop_on_signals(stop):
        ensure_writable(out, force)
        report = None if quiet else (lambda name, outcome: _say(f"{name}: {outcome}", err_console))
        outcome = run_study(spec, out, force, report, stop, watchdog, verbose)
    for name, reason in outcome.failures.items():
        _say(f"{name}: {reason}", err_console)
    if outcome.folders:
        comparison = compare_plans(list(outcome.folders.values()), list(outcome.folders))
        out_console.print(frame_table(comparison.kpis, "KPIs per tier", max_rows=100))
        out_console.print(frame_table(comparison.moves, f"Operations moved against {comparison.names[0]}"))
        out_console.print(frame_table(comparison.changes, "Orders whose outcome changed"))
    _say(f"wrote {out}")


@app.command()
def compare(
    plans: Annotated[list[Path], typer.Argument(help="Plan folders; the first is the reference.")],
    output_format: Annotated[str, typer.Option("--format", help="table, json, csv or html.")] = "table",
) -> None:
    """KPIs per tier side by side, and the orders whose outcome changed."""
    import json

    from scenarios.studies.compare import compare_plans, comparison_html

    if output_format not in ("table", "json", "csv", "html"):
        raise typer.BadParameter("expected table, json, csv or html", param_hint="--format")
    if len(plans) < 2:
        raise typer.BadParameter("give at least two plan folders", param_hint="PLANS")
    with _exit_codes():
        comparison = compare_plans(plans)
    if output_format == "json":
        doc = {
            "plans": comparison.names,
            "objectives": comparison.objectives.to_dict("records"),
            "kpis": comparison.kpis.to_dict("records"),
            "changed_orders": comparison.changes.to_dict("records"),
            "moved_operations": comparison.moves.to_dict("records"),
        }
        typer.echo(json.dumps(doc, indent=2, default=str))
    elif output_format == "csv":
        typer.echo(comparison.kpis.to_csv(index=False), nl=False)
        typer.echo("")
        typer.echo(comparison.changes.to_csv(index=False), nl=False)
    elif output_format == "html":
        typer.echo(comparison_html(comparison), nl=False)
    else:
        out_console.print(frame_table(comparison.objectives, "Objectives"))
        out_console.print(frame_table(comparison.kpis, "KPIs per tier", max_rows=100))
        out_console.print(
            frame_table(comparison.changes, f"Orders whose outcome changed (against {comparison.names[0]})")
        )


def _report_batch_item(item: Any) -> None:
    details = [x for x in (item.status, item.message) if x]
    _say(f"{item.folder}: {item.outcome}" + "".join(f", {x}" for x in details), err_console)


@app.command()
def batch(
    scenarios: Annotated[list[Path], typer.Argument(help="Scenario folders.")],
    out: Annotated[Path, typer.Option(help="Folder for one plan folder per scenario and the summary.")],
    executor: Annotated[
        str, typer.Option(help="local (one after the other) or dask (a Dask distributed cluster).")
    ] = "local",
    address: Annotated[
        str | None,
        typer.Option(
            help="With --executor dask: the scheduler, e.g. tcp://host:8786 (default: a local cluster)."
        ),
    ] = None,
    time_limit: Annotated[float | None, typer.Option(min=0.01, help="Seconds per scenario.")] = None,
    workers: Annotated[int | None, typer.Option(min=0, help="Search workers per scenario.")] = None,
    force: Annotated[
        bool, typer.Option("--force", help="Plan every scenario again, even unchanged ones.")
    ] = False,
    watchdog: Annotated[
        float | None,
        typer.Option(
            min=1.0,
            help="Seconds a scenario may take before its process is ended (default: 2 x limit + 120).",
        ),
    ] = None,
) -> None:
    """Unattended runs: one plan folder per scenario, each written as soon as it is done.

    Running the same command again keeps the plans that are complete and whose inputs are
    unchanged and plans the rest. The first SIGINT or SIGTERM ends the scenario in
    progress with its best plan so far; the ones not started are reported as not run.
    """
    import pandas as pd

    from scenarios.batch.runs import EXECUTORS, batch_exit_code, run_batch

    if executor not in EXECUTORS:
        raise typer.BadParameter("expected local or dask", param_hint="--executor")
    if address is not None and executor != "dask":
        raise typer.BadParameter("--address goes with --executor dask", param_hint="--address")
    stop = StopRequest()
    with _exit_codes(), stop_on_signals(stop):
        overrides = {
            k: v for k, v in {"time_limit_s": time_limit, "workers": workers}.items() if v is not None
        }
        items = run_batch(
            scenarios,
            out,
            executor,
            force,
            overrides,
            on_item=_report_batch_item,
            stop=stop,
            address=address,
            watchdog_s=watchdog,
        )
    summary = pd.DataFrame([i.__dict__ for i in items])
    columns = [
        "folder",
        "outcome",
        "status",
        "objective_value",
        "gap",
        "runtime_s",
        "late",
        "unscheduled",
        "message",
    ]
    out_console.print(frame_table(summary[columns], f"Batch of {len(items)} scenarios", max_rows=1000))
    _say(f"wrote {out}")
    code = batch_exit_code(items)
    if code:
        raise typer.Exit(code)


@app.command()
def demo(
    out: Annotated[
        Path | None, typer.Option(help="Folder for the demo run (default: a new temporary folder).")
    ] = None,
    quiet: Annotated[bool, typer.Option("--quiet", help="No progress display.")] = False,
) -> None:
    """Run the bundled demo scenario end to end: validate, grade, schedule, check, complaints."""
    from scenarios.demo.run import bundled_scenario, run_demo

    folder = Path(out) if out else Path(tempfile.mkdtemp(prefix="tierplan-demo-"))
    scenario = folder / "scenario"
    if scenario.exists():
        shutil.rmtree(scenario)
    shutil.copytree(bundled_scenario(), scenario)
    with _exit_codes(), _progress(quiet) as on_progress:
        outcome = run_demo(scenario, folder, on_progress)
    for line in outcome.lines:
        _say(line)
    for renderable in outcome.tables:
        out_console.print(renderable)
    _say(f"demo written to {folder}")


if __name__ == "__main__":  # pragma: no cover
    app()
