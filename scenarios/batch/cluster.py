"""Batches on a Dask distributed cluster: each worker plans one scenario at a time.

Without an address a ``LocalCluster`` of worker processes is started for the batch. Each
task is :func:`scenarios.batch.scenario_run.plan_here`, which writes its plan folder atomically: a worker
that dies mid-scenario leaves at most a staging folder, and the scheduler runs the task
again on another worker (Dask reschedules the tasks of a lost worker). Scenario and output
paths must be the same on every worker (a shared filesystem).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from contextlib import ExitStack
from pathlib import Path
from typing import Any

from scenarios.batch.scenario_run import BatchItem, not_run, plan_here
from scenarios.contract.errors import UsageError
from scheduler.stop import StopRequest

CONNECT_TIMEOUT_S = 30
RETRIES = 2  # a task that raises (not one whose worker died: Dask reschedules those) runs again


def run_on_dask(
    jobs: list[tuple[str, str]],
    overrides: dict[str, Any],
    force: bool,
    stop: StopRequest,
    address: str | None,
    record: Callable[[BatchItem], None],
) -> None:
    """Plan every (scenario, target) job on the cluster at ``address`` (or a local one),
    recording each result as it arrives. A requested ``stop`` cancels what has not ended."""
    try:
        from distributed import Client, LocalCluster, as_completed
    except ImportError:
        raise UsageError("--executor dask needs dask.distributed: pip install distributed") from None
    with ExitStack() as stack:
        if address is None:
            workers = max(1, min(len(jobs), os.cpu_count() or 1))
            target: Any = stack.enter_context(
                LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None)
            )
        else:
            target = address
        try:
            client = stack.enter_context(Client(target, timeout=CONNECT_TIMEOUT_S))
        except OSError as exc:
            raise UsageError(f"cannot reach the Dask scheduler at {address}: {exc}") from None
        futures = {
            client.submit(  # a worker is a process of its own already: it plans in place
                plan_here, s, t, overrides, force, key=f"tierplan-{Path(t).name}", retries=RETRIES
            ): (s, t)
            for s, t in jobs
        }
        done = as_completed(list(futures))
        for future in done:
            scenario, target_path = futures[future]
            try:
                record(future.result())
            except Exception as exc:  # a worker lost too often, or a bug: the summary says so
                record(
                    BatchItem(
                        scenario, Path(target_path).name, "failed", 3, message=f"{type(exc).__name__}: {exc}"
                    )
                )
            if stop.requested:
                client.cancel([f for f in futures if not f.done()])
                for f, (s, t) in futures.items():
                    if f.cancelled():
                        record(
                            not_run(s, Path(t).name, f"not finished: the batch was stopped ({stop.reason})")
                        )
                break
