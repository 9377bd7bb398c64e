"""Unattended runs: one plan folder per scenario, each written as soon as it is done.

A batch folder holds a plan folder per scenario (named after the scenario folder), a log
per scenario in ``logs/``, and ``batch_summary.parquet`` / ``.json``, rewritten after every
scenario. A kill or a power cut loses at most the scenario in progress: running the same
command again keeps every plan that is complete and whose inputs (the scenario's files
and the settings) are unchanged, plans the rest, and removes staging folders left behind.
``--force`` plans everything again.
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict
from pathlib import Path
from typing import Any

import pandas as pd

from scenarios.batch.scenario_run import BatchItem, folder_names, not_run, plan_one
from scenarios.contract.errors import (
    OutputExistsError,
    UsageError,
)
from scenarios.contract.io import remove_stale_staging, write_json, write_table
from scenarios.contract.outputs import BATCH_SUMMARY_COLUMNS
from scheduler.stop import StopRequest

EXECUTORS = ("local", "dask")
SUMMARY = "batch_summary"


def write_summary(out: Path, items: list[BatchItem]) -> None:
    """batch_summary.parquet and .json, each replaced whole."""
    rows = [asdict(i) for i in items]
    partial = out / f".{SUMMARY}.parquet.tmp"
    write_table(pd.DataFrame(rows, columns=list(BATCH_SUMMARY_COLUMNS)), partial)
    os.replace(partial, out / f"{SUMMARY}.parquet")
    write_json(out / f"{SUMMARY}.json", rows)


@contextmanager
def batch_folder(out: Path, force: bool) -> Iterator[Path]:
    """The batch folder, created or resumed, locked against a second batch writing into it."""
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise OutputExistsError(f"{out} exists and is not a folder")
    if out.is_dir() and not force and any(out.iterdir()) and not (out / f"{SUMMARY}.json").is_file():
        raise OutputExistsError(f"{out} exists and is not a batch folder; use --force to plan into it")
    out.mkdir(parents=True, exist_ok=True)
    with open(out / ".batch.lock", "w") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            raise OutputExistsError(f"another batch is writing into {out}") from None
        remove_stale_staging(out, everyone=True)
        yield out


def run_batch(
    scenarios: list[Path],
    out: Path,
    executor: str = "local",
    force: bool = False,
    overrides: dict[str, Any] | None = None,
    on_item: Callable[[BatchItem], None] | None = None,
    stop: StopRequest | None = None,
    address: str | None = None,
    watchdog_s: float | None = None,
) -> list[BatchItem]:
    """Plan every scenario into its own folder under ``out``; the summary follows each one.

    When ``stop`` is requested the scenario in progress ends with its best plan so far and
    the ones not started are reported as not run.
    """
    if executor not in EXECUTORS:
        raise UsageError(f"unknown executor {executor!r}; expected one of {', '.join(EXECUTORS)}")
    overrides = overrides or {}
    stop = stop or StopRequest()
    names = folder_names(scenarios)
    with batch_folder(out, force) as folder:
        jobs = [(str(s), str(folder / n)) for s, n in zip(scenarios, names, strict=True)]
        pending = {n: not_run(s, n, "pending") for (s, _), n in zip(jobs, names, strict=True)}
        items: dict[str, BatchItem] = {}

        def record(item: BatchItem) -> None:
            items[item.folder] = item
            write_summary(folder, [items.get(n, pending[n]) for n in names])
            if on_item:
                on_item(item)

        write_summary(folder, list(pending.values()))
        if executor == "dask":
            from scenarios.batch.cluster import run_on_dask

            run_on_dask(jobs, overrides, force, stop, address, record)
        else:
            for s, t in jobs:  # one after the other, each in its own process, reported as it ends
                if stop.requested:
                    break
                record(plan_one(s, t, overrides, force, stop, watchdog_s))
        for (s, _), n in zip(jobs, names, strict=True):
            if n not in items:
                record(not_run(s, n, f"not started: the batch was stopped ({stop.reason or 'stopped'})"))
        if not stop.requested:  # every task has ended: staging left by workers killed mid-write
            remove_stale_staging(folder, everyone=True)
        return [items[n] for n in names]


def batch_exit_code(items: list[BatchItem]) -> int:
    """0 when every scenario has a plan; else 1 if any input was invalid, else 4 if the
    machine stopped one (no space, permission denied...), else 3."""
    codes = {i.exit_code for i in items}
    if codes <= {0}:
        return 0
    return 1 if 1 in codes else 4 if 4 in codes else 3
