"""Batches on a real Dask distributed cluster: a worker killed mid-batch loses nothing."""

from __future__ import annotations

import os
import signal
import threading
import time
from pathlib import Path

import pytest

from scenarios.batch.runs import run_batch
from scenarios.generators.scenario import PlantSpec, write_generated
from tests.helpers.batch import check, summary_of

pytestmark = pytest.mark.cluster

distributed = pytest.importorskip("distributed")


@pytest.fixture(scope="module")
def plants(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    folder = tmp_path_factory.mktemp("cluster")
    return [
        write_generated(folder / f"plant{i}", PlantSpec(orders=14 + 2 * i, seed=10 + i, horizon_days=4))
        for i in range(4)
    ]


def _busy_worker(client: distributed.Client, timeout_s: float = 60) -> tuple[str, str]:
    """A worker running a scenario right now, and that scenario's task key."""
    ends = time.monotonic() + timeout_s
    while time.monotonic() < ends:
        for worker, keys in client.processing().items():
            if keys:
                return worker, str(keys[0])
        time.sleep(0.05)
    raise AssertionError("no worker ever started a scenario")


def test_a_worker_killed_mid_batch_has_its_scenario_retried(plants: list[Path], tmp_path: Path) -> None:
    out = tmp_path / "night"
    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        result: dict[str, object] = {}

        def batch() -> None:
            result["items"] = run_batch(
                plants,
                out,
                "dask",
                overrides={"time_limit_s": 4, "workers": 1},
                address=cluster.scheduler_address,
            )

        runner = threading.Thread(target=batch)
        runner.start()
        worker, key = _busy_worker(client)
        time.sleep(1.0)  # well into the scenario's search
        pid = client.run(os.getpid, workers=[worker])[worker]
        os.kill(pid, signal.SIGKILL)
        runner.join(timeout=300)
        assert not runner.is_alive()
        runs = client.run_on_scheduler(
            lambda dask_scheduler, k=key: sum(1 for s in dask_scheduler.story(k) if s[2] == "processing")
        )
    items = result["items"]
    assert [i.outcome for i in items] == ["planned"] * len(plants), items  # type: ignore[attr-defined]
    assert runs >= 2, f"the killed worker's scenario {key} ran {runs} time(s); expected a retry"
    summary = summary_of(out)
    assert (summary["outcome"] == "planned").all()
    for plant in plants:
        check(plant, out / plant.name)
    assert not [p for p in out.iterdir() if p.name.endswith(".partial")], "staging folders left behind"


def test_cli_batch_on_a_local_cluster(plants: list[Path], tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from cli import app

    out = tmp_path / "night"
    args = ["batch", *map(str, plants[:2]), "--out", str(out), "--executor", "dask", "--time-limit", "1"]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    for plant in plants[:2]:
        check(plant, out / plant.name)


def test_an_unreachable_scheduler_is_a_usage_error(
    plants: list[Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from typer.testing import CliRunner

    from cli import app

    monkeypatch.setattr("scenarios.batch.cluster.CONNECT_TIMEOUT_S", 2)
    args = [
        "batch",
        str(plants[0]),
        "--out",
        str(tmp_path / "n"),
        "--executor",
        "dask",
        "--address",
        "tcp://127.0.0.1:9",
        "--time-limit",
        "1",
    ]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 2, result.output
    assert "cannot reach the Dask scheduler" in result.output
