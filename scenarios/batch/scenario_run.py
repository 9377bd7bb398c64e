"""One scenario of a batch: planned in a child process, kept when unchanged, its outcome as a row."""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import time
import tomllib
from contextlib import AbstractContextManager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from scenarios.batch.supervise import ChildFailure, run_supervised, watchdog_seconds
from scenarios.contract.errors import (
    EnvironmentFault,
    InputError,
    NoFeasiblePlanError,
)
from scenarios.contract.io import FORMATS, PLAN_FILES
from scenarios.contract.model import load_scenario
from scenarios.contract.settings import SETTINGS_FILE
from scheduler.log import lines_to, log
from scheduler.options import SolveOptions
from scheduler.stop import StopRequest

LOGS = "logs"  # a log per scenario, in the batch folder


@dataclass(frozen=True)
class BatchItem:
    scenario: str
    folder: str
    outcome: str  # planned, invalid input, no feasible plan, environment, failed (hung, killed...), not run
    exit_code: int
    status: str | None = None
    objective: str | None = None
    objective_value: float | None = None
    gap: float | None = None
    runtime_s: float | None = None
    orders: int | None = None
    late: int | None = None
    unscheduled: int | None = None
    interrupted: bool = False
    reused: bool = False  # complete and unchanged since an earlier run: kept, not planned again
    message: str = ""


def folder_names(scenarios: list[Path]) -> list[str]:
    """Plan folders are named after the scenario folders; clashes get -2, -3, ..."""
    names: list[str] = []
    for s in scenarios:
        base = Path(s).resolve().name or "scenario"
        name, k = base, 2
        while name in names:
            name, k = f"{base}-{k}", k + 1
        names.append(name)
    return names


def fingerprint(scenario: Path, overrides: dict[str, Any]) -> str:
    """A hash of what a plan depends on: the scenario's files and the settings given on top."""
    digest = hashlib.sha256()
    folder = Path(scenario)
    files = [folder / SETTINGS_FILE, *sorted(p for p in folder.iterdir() if p.suffix[1:] in FORMATS)]
    for path in files:
        if path.is_file():
            digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    digest.update(json.dumps(overrides, sort_keys=True, default=str).encode())
    return digest.hexdigest()


def finished_item(scenario: str, target: Path, wanted: str) -> BatchItem | None:
    """The summary line of a complete plan in ``target`` made from the same inputs, if there is one."""
    try:
        summary = json.loads((target / "summary.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if summary.get("inputs", {}).get("fingerprint") != wanted:
        return None
    if not all((target / name).is_file() for name in PLAN_FILES):
        return None
    return replace(_planned(scenario, target.name, summary), reused=True, message="unchanged: kept")


def _planned(scenario: str, name: str, s: dict[str, Any]) -> BatchItem:
    every = s["kpis"]["all"]
    stopped = f"interrupted by {s['stop_reason']}: the best plan found until then"
    return BatchItem(
        scenario,
        name,
        "planned",
        0,
        s["status"],
        s["objective"],
        s["objective_value"],
        s["gap"],
        s["runtime_s"],
        every["orders"],
        every["late"],
        every["unscheduled"],
        bool(s.get("interrupted")),
        message=stopped if s.get("interrupted") else "",
    )


def scenario_log(path: Path) -> AbstractContextManager[None]:
    """The library's log lines of one scenario go to its own file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    return lines_to(logging.FileHandler(path, mode="w", encoding="utf-8"), "%(asctime)s %(message)s")


def plan_one(
    scenario: str,
    target: str,
    overrides: dict[str, Any],
    force: bool = False,
    stop: StopRequest | None = None,
    watchdog_s: float | None = None,
) -> BatchItem:
    """Plan one scenario into ``target`` in a child process (:func:`plan_here`), unless an
    up-to-date plan is there already. A child that hangs past ``watchdog_s`` (default: from
    the time limit, :func:`scenarios.batch.supervise.watchdog_seconds`), crashes, aborts or is
    killed gives a "failed" line with the cause; the batch goes on."""
    target_path = Path(target)
    name = target_path.name
    if not force and (done := finished_item(scenario, target_path, fingerprint(Path(scenario), overrides))):
        return done
    seconds = (
        watchdog_s if watchdog_s is not None else watchdog_seconds(_time_limit(Path(scenario), overrides))
    )
    log_path = target_path.parent / LOGS / f"{name}.log"
    outcome = run_supervised(
        plan_here, (scenario, target, overrides, force), seconds, stop or StopRequest(), log_path
    )
    if isinstance(outcome, ChildFailure):
        return BatchItem(scenario, name, "failed", 3, message=f"{outcome.cause}: {outcome.message}")
    return outcome


def _time_limit(scenario: Path, overrides: dict[str, Any]) -> float:
    """The search's time limit: given on the command line, else in scenario.toml (read only
    when it is a plain file: a FIFO would hang the parent too)."""
    if "time_limit_s" in overrides:
        return float(overrides["time_limit_s"])
    path = scenario / SETTINGS_FILE
    with contextlib.suppress(OSError, ValueError, TypeError):
        if path.is_file():
            return float(tomllib.loads(path.read_text(encoding="utf-8"))["solve"]["time_limit_s"])
    return SolveOptions().time_limit_s


def plan_here(
    scenario: str,
    target: str,
    overrides: dict[str, Any],
    force: bool = False,
    stop: StopRequest | None = None,
) -> BatchItem:
    """Plan one scenario into ``target`` (atomically) in this process, unless an up-to-date
    plan is there already. Every failure becomes a line of the summary; the scenario's log
    goes next to the plans."""
    from scenarios.pipelines.schedule import make_plan, solve_options, write_plan

    began = time.perf_counter()
    target_path = Path(target)
    name = target_path.name
    wanted = fingerprint(Path(scenario), overrides)
    if not force and (done := finished_item(scenario, target_path, wanted)) is not None:
        return done
    with scenario_log(target_path.parent / LOGS / f"{name}.log"):
        log.info("planning %s into %s", scenario, target)
        try:
            loaded = load_scenario(scenario)
            plan = make_plan(loaded, solve_options(loaded, **overrides), stop=stop)
            plan.tables.summary["inputs"] = {"scenario_folder": str(scenario), "fingerprint": wanted}
            write_plan(plan, target_path, force=True)
        except InputError as exc:
            first = "; ".join(str(p) for p in exc.problems[:3])
            more = f" (+{len(exc.problems) - 3} more)" if len(exc.problems) > 3 else ""
            log.info("invalid input: %s", first + more)
            runtime = time.perf_counter() - began
            return BatchItem(scenario, name, "invalid input", 1, message=first + more, runtime_s=runtime)
        except EnvironmentFault as exc:
            log.info("the machine stopped it: %s", exc)
            return BatchItem(
                scenario, name, "environment", 4, message=str(exc), runtime_s=time.perf_counter() - began
            )
        except NoFeasiblePlanError as exc:
            log.info("no feasible plan: %s", "; ".join(exc.diagnosis))
            return BatchItem(
                scenario,
                name,
                "no feasible plan",
                3,
                message="; ".join(exc.diagnosis[:3]),
                runtime_s=time.perf_counter() - began,
            )
        log.info("planned: %s", plan.tables.summary["status"])
    return _planned(scenario, name, plan.tables.summary)


def not_run(scenario: str, name: str, why: str) -> BatchItem:
    return BatchItem(scenario, name, "not run", 3, message=why)
