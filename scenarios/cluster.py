"""Batches on Dask: each scenario is planned by a worker process."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from scenarios.batch import BatchItem, plan_one
from scenarios.errors import UsageError
from scheduler.stop import StopRequest


def run_on_dask(
    jobs: list[tuple[str, str]],
    overrides: dict[str, Any],
    force: bool,
    stop: StopRequest,
    address: str | None,
    record: Callable[[BatchItem], None],
) -> None:
    """Plan every (scenario, target) job on Dask's process scheduler, recording each result."""
    try:
        import dask
    except ImportError:
        raise UsageError("--executor dask needs dask: pip install 'tierplan[dask]'") from None
    tasks = [dask.delayed(plan_one)(s, t, overrides, force) for s, t in jobs]
    for item in dask.compute(*tasks, scheduler="processes"):
        record(item)
