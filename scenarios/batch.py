"""Unattended runs: one plan folder per scenario, and a summary of them all."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from scenarios.errors import InputError, NoFeasiblePlanError
from scenarios.io import atomic_folder, write_table
from scenarios.model import load_scenario

EXECUTORS = ("local", "dask")


@dataclass(frozen=True)
class BatchItem:
    scenario: str
    folder: str
    outcome: str  # "planned", "invalid input", "no feasible plan"
    exit_code: int
    status: str | None = None
    objective: str | None = None
    objective_value: float | None = None
    gap: float | None = None
    runtime_s: float | None = None
    orders: int | None = None
    late: int | None = None
    unscheduled: int | None = None
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


def plan_one(scenario: str, target: str, overrides: dict[str, Any]) -> BatchItem:
    """Plan one scenario into ``target``; every failure becomes a line of the summary."""
    from scenarios.pipeline import make_plan, solve_options, write_plan

    began = time.perf_counter()
    name = Path(target).name
    try:
        loaded = load_scenario(scenario)
        plan = make_plan(loaded, solve_options(loaded, **overrides))
        write_plan(plan, Path(target))
    except InputError as exc:
        first = "; ".join(str(p) for p in exc.problems[:3])
        more = f" (+{len(exc.problems) - 3} more)" if len(exc.problems) > 3 else ""
        return BatchItem(
            scenario, name, "invalid input", 1, message=first + more, runtime_s=time.perf_counter() - began
        )
    except NoFeasiblePlanError as exc:
        return BatchItem(
            scenario,
            name,
            "no feasible plan",
            3,
            message="; ".join(exc.diagnosis[:3]),
            runtime_s=time.perf_counter() - began,
        )
    s = plan.tables.summary
    every = s["kpis"]["all"]
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
    )


def run_batch(
    scenarios: list[Path],
    out: Path,
    executor: str = "local",
    force: bool = False,
    overrides: dict[str, Any] | None = None,
    on_item: Callable[[BatchItem], None] | None = None,
) -> list[BatchItem]:
    """Plan every scenario; the output folder appears whole when all are done."""
    if executor not in EXECUTORS:
        raise ValueError(f"unknown executor {executor!r}; expected one of {', '.join(EXECUTORS)}")
    overrides = overrides or {}
    names = folder_names(scenarios)
    with atomic_folder(out, force) as staging:
        jobs = [(str(s), str(staging / n)) for s, n in zip(scenarios, names, strict=True)]
        if executor == "dask":
            items = _with_dask(jobs, overrides)
        else:
            items = []
            for s, t in jobs:  # one after the other, each reported as it ends
                items.append(plan_one(s, t, overrides))
                if on_item:
                    on_item(items[-1])
        frame = pd.DataFrame([asdict(i) for i in items])
        write_table(frame, staging / "batch_summary.parquet")
        (staging / "batch_summary.json").write_text(
            json.dumps([asdict(i) for i in items], indent=2), encoding="utf-8"
        )
    return items


def _with_dask(jobs: list[tuple[str, str]], overrides: dict[str, Any]) -> list[BatchItem]:
    try:
        import dask
    except ImportError:
        raise ValueError("--executor dask needs dask: pip install 'tierplan[dask]'") from None
    tasks = [dask.delayed(plan_one)(s, t, overrides) for s, t in jobs]
    return list(dask.compute(*tasks, scheduler="processes"))


def batch_exit_code(items: list[BatchItem]) -> int:
    """0 when every scenario was planned; else 1 if any input was invalid, else 3."""
    codes = {i.exit_code for i in items}
    return 0 if codes <= {0} else (1 if 1 in codes else 3)
