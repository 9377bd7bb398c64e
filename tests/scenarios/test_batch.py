"""Unattended batches: a plan folder per scenario as soon as it is done, resumable after a kill."""

from __future__ import annotations

import json
import logging
import signal
import subprocess
import time
from pathlib import Path

import pandas as pd
import pytest

from scenarios.generators.scenario import PlantSpec, write_generated
from tests.helpers.batch import check, summary_of
from tests.helpers.cli import invoke
from tests.helpers.processes import finish, start


@pytest.fixture(scope="module")
def plants(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    folder = tmp_path_factory.mktemp("batch")
    return [
        write_generated(folder / f"plant{i}", PlantSpec(orders=16 + 4 * i, seed=i, horizon_days=4))
        for i in range(3)
    ]


@pytest.mark.parametrize("executor", ["local", pytest.param("dask", marks=pytest.mark.cluster)])
def test_batch_plans_each_and_reports_the_invalid(plants: list[Path], tmp_path: Path, executor: str) -> None:
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "scenario.toml").write_text("[plan]\nstart = 2026-12-01T06:00:00\n")
    out = tmp_path / "batch"
    logging.getLogger("tierplan").info("not shown")  # leaves "INFO is off" in the logger's cache
    args = (
        "batch",
        plants[0],
        broken,
        "--out",
        out,
        "--executor",
        executor,
        "--time-limit",
        1,
        "--workers",
        1,
    )
    code, output = invoke(*args)
    assert code == 1, output  # one scenario is invalid
    summary = summary_of(out)
    assert (
        summary.loc["plant0", "outcome"] == "planned" and summary.loc["broken", "outcome"] == "invalid input"
    )
    assert "orders: required table missing" in summary.loc["broken", "message"]
    assert (out / "plant0" / "schedule.parquet").is_file() and not (out / "broken").exists()
    assert "planned: " in (out / "logs" / "plant0.log").read_text()
    check(plants[0], out / "plant0")
    running = pd.read_parquet(plants[0] / "progress.parquet").query("state == 'running'")
    schedule = pd.read_parquet(out / "plant0" / "schedule.parquet")
    assert len(running) == 1 and set(schedule.loc[schedule["state"] == "running", "order_id"]) == set(
        running["order_id"]
    )  # the shop floor's work in progress, planned from where it stands

    code, output = invoke(*args)  # the same command again: the plan is up to date, kept
    summary = summary_of(out)
    assert code == 1 and bool(summary.loc["plant0", "reused"]) and "unchanged: kept" in output
    code, output = invoke(*args, "--force")
    assert code == 1 and not summary_of(out).loc["plant0", "reused"]


def test_a_changed_scenario_or_setting_is_planned_again(plants: list[Path], tmp_path: Path) -> None:
    scenario = tmp_path / "plant"
    subprocess.run(["cp", "-r", plants[1], scenario], check=True)
    out = tmp_path / "batch"
    assert invoke("batch", scenario, "--out", out, "--time-limit", 1, "--workers", 1)[0] == 0
    assert invoke("batch", scenario, "--out", out, "--time-limit", 1, "--workers", 1)[0] == 0
    assert bool(summary_of(out).loc["plant", "reused"])
    assert invoke("batch", scenario, "--out", out, "--time-limit", 2, "--workers", 1)[0] == 0
    assert not summary_of(out).loc["plant", "reused"]  # another time limit: another plan
    orders = pd.read_parquet(scenario / "orders.parquet")
    orders.loc[0, "quantity"] += 1
    orders.to_parquet(scenario / "orders.parquet")
    assert invoke("batch", scenario, "--out", out, "--time-limit", 2, "--workers", 1)[0] == 0
    assert not summary_of(out).loc["plant", "reused"]  # the export changed


def test_a_folder_that_is_not_a_batch_is_left_alone(plants: list[Path], tmp_path: Path) -> None:
    out = tmp_path / "elsewhere"
    out.mkdir()
    (out / "notes.txt").write_text("mine")
    code, output = invoke("batch", plants[0], "--out", out, "--time-limit", 1)
    assert code == 2 and "is not a batch folder; use --force" in output
    assert [p.name for p in out.iterdir()] == ["notes.txt"]


@pytest.mark.signals
def test_kill_9_in_the_middle_then_rerun(plants: list[Path], tmp_path: Path) -> None:
    out = tmp_path / "night"
    args = ("batch", *plants, "--out", out, "--time-limit", 3, "--workers", 1)
    process = start(*args)
    deadline = time.monotonic() + 60
    while not (out / "plant0" / "summary.json").is_file():  # the first plan is written when it is done
        assert time.monotonic() < deadline and process.poll() is None
        time.sleep(0.05)
    time.sleep(0.5)  # into the second scenario
    process.kill()
    process.wait()
    summary = summary_of(out)
    assert summary.loc["plant0", "outcome"] == "planned"
    assert summary.loc["plant2", "outcome"] == "not run" and summary.loc["plant2", "message"] == "pending"
    assert not (out / "plant2").exists()

    process = start(*args)
    code, output, _ = finish(process)
    assert code == 0, output
    summary = summary_of(out)
    assert list(summary["outcome"]) == ["planned"] * 3
    assert list(summary["reused"]) == [True, False, False]
    for plant in plants:
        check(plant, out / plant.name)
    assert not [p for p in out.iterdir() if p.name.endswith((".partial", ".old"))]
    assert json.loads((out / "batch_summary.json").read_text())[0]["reused"] is True


def test_a_signal_ends_the_scenario_in_progress_and_reports_the_rest(
    plants: list[Path], tmp_path: Path
) -> None:
    out = tmp_path / "night"
    process = start("batch", *plants, "--out", out, "--time-limit", 60, "--workers", 1, "--executor", "local")
    log = out / "logs" / "plant0.log"
    while not log.is_file() or not any(
        p in log.read_text() for p in ("CP-SAT round", "neighbourhood search")
    ):
        assert process.poll() is None
        time.sleep(0.05)
    process.send_signal(signal.SIGTERM)
    code, output, seconds = finish(process)
    assert code == 3, output  # not every scenario has a plan
    assert seconds < 20
    summary = summary_of(out)
    assert summary.loc["plant0", "outcome"] == "planned" and bool(summary.loc["plant0", "interrupted"])
    assert list(summary.loc[["plant1", "plant2"], "outcome"]) == ["not run", "not run"]
    assert "the batch was stopped (SIGTERM)" in summary.loc["plant1", "message"]
    check(plants[0], out / "plant0")
