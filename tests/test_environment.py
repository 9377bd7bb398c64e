"""What the machine does to a run: a full disk, a read-only folder, a killed or hung child.

Real faults: tiny tmpfs mounts (skipped where the test may not mount), a real SIGKILL to a
batch's planning process, a scenario whose table is a FIFO nobody writes to.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from unittest import mock

import pandas as pd
import psutil
import pytest

from cli import app
from scenarios.generators.scenario import PlantSpec, write_generated
from tests.helpers.cli import runner
from tests.helpers.processes import TIERPLAN, finish, start

pytestmark = pytest.mark.signals

REPO = Path(__file__).resolve().parents[1]
DEMO = REPO / "scenarios" / "demo" / "scenario"


@pytest.fixture
def mount(tmp_path: Path) -> Iterator[object]:
    """mount(options) -> a fresh tmpfs folder; skipped where mounting is not allowed."""
    mounted: list[Path] = []

    def make(options: str) -> Path:
        folder = tmp_path / f"mnt{len(mounted)}"
        folder.mkdir()
        done = subprocess.run(
            ["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(folder)], capture_output=True
        )
        if done.returncode:
            pytest.skip(f"cannot mount a tmpfs here: {done.stderr.decode().strip()}")
        mounted.append(folder)
        return folder

    yield make
    for folder in mounted:
        subprocess.run(["umount", "-l", str(folder)], capture_output=True)


def invoke(*args: object) -> tuple[int, str]:
    result = runner.invoke(app, [str(a) for a in args])
    assert "Traceback" not in result.output and "internal error" not in result.output, result.output
    return result.exit_code, " ".join(result.output.split())


def test_a_full_disk_is_the_machine_not_the_input(mount) -> None:  # type: ignore[no-untyped-def]
    small = mount("size=3m")
    code, output = invoke("schedule", DEMO, "--out", small / "plan", "--time-limit", 1, "--quiet")
    assert code == 4, output
    assert f"cannot write {small / 'plan'}: no space left on the device; it needs about" in output
    assert "MB are free there; nothing was written" in output
    assert list(small.iterdir()) == []


def test_a_disk_that_fills_while_writing_leaves_nothing(mount) -> None:  # type: ignore[no-untyped-def]
    small = mount("size=1m")  # grading.html alone is several MB: the write itself fails
    code, output = invoke("grade", DEMO, "--out", small / "grading")
    assert code == 4, output
    assert "no space left on the device; nothing was written" in output
    assert list(small.iterdir()) == []  # the staging folder is gone too


def test_a_read_only_folder(mount, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    read_only = mount("size=50m,ro")
    code, output = invoke("schedule", DEMO, "--out", read_only / "plan", "--time-limit", 1, "--quiet")
    assert code == 4, output
    assert f"cannot create a folder in {read_only}: the file system is read-only" in output


def test_out_of_memory_is_said_so(tmp_path: Path) -> None:
    with mock.patch("scenarios.pipelines.schedule.solve", side_effect=MemoryError()):
        code, output = invoke("schedule", DEMO, "--out", tmp_path / "plan", "--quiet")
    assert code == 4 and "out of memory; nothing was written" in output
    assert not (tmp_path / "plan").exists()


@pytest.fixture(scope="module")
def three(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    folder = tmp_path_factory.mktemp("three")
    return [write_generated(folder / f"p{i}", PlantSpec(orders=20, seed=i, horizon_days=4)) for i in range(3)]


def _planning_child(batch: subprocess.Popen[str]) -> psutil.Process:
    """The batch's planning process (a spawned interpreter; not its resource tracker)."""
    for _ in range(600):
        for child in psutil.Process(batch.pid).children():
            if "resource_tracker" not in " ".join(child.cmdline()):
                return child
        time.sleep(0.05)
    raise AssertionError("no planning process came")


def test_a_child_killed_mid_batch_is_reported_and_the_rerun_plans_it(
    three: list[Path], tmp_path: Path
) -> None:
    out = tmp_path / "batch"
    args = ("batch", *three, "--out", out, "--time-limit", 4, "--workers", 1)
    batch = start(*args)
    while not (out / "logs" / "p1.log").is_file():  # the first is done, the second under way
        assert batch.poll() is None, batch.communicate()
        time.sleep(0.1)
    _planning_child(batch).send_signal(signal.SIGKILL)
    code, output, _ = finish(batch)
    assert code == 3, output
    summary = pd.read_parquet(out / "batch_summary.parquet").set_index("folder")
    assert list(summary["outcome"]) == ["planned", "failed", "planned"], summary
    assert "killed by SIGKILL" in summary.loc["p1", "message"]
    assert "last log lines:" in summary.loc["p1", "message"]
    for name, plant in (("p0", three[0]), ("p2", three[2])):
        check = subprocess.run([TIERPLAN, "check", plant, out / name], capture_output=True, text=True)
        assert check.returncode == 0, check.stdout
    code, output, _ = finish(start(*args))  # the rerun: p1 planned, the others kept
    assert code == 0, output
    summary = pd.read_parquet(out / "batch_summary.parquet").set_index("folder")
    assert list(summary["outcome"]) == ["planned"] * 3 and list(summary["reused"]) == [True, False, True]


def test_a_hung_child_is_ended_by_the_watchdog(three: list[Path], tmp_path: Path) -> None:
    stuck = tmp_path / "stuck"
    stuck.mkdir()
    for path in three[0].iterdir():
        if path.name != "orders.parquet":
            (stuck / path.name).write_bytes(path.read_bytes())
    os.mkfifo(stuck / "orders.csv")  # reading it waits for a writer that never comes
    out = tmp_path / "batch"
    began = time.monotonic()
    code, output = invoke(
        "batch", stuck, three[1], "--out", out, "--time-limit", 1, "--workers", 1, "--watchdog", 8
    )
    assert code == 3, output
    assert time.monotonic() - began < 60
    summary = pd.read_parquet(out / "batch_summary.parquet").set_index("folder")
    assert summary.loc["stuck", "outcome"] == "failed"
    assert summary.loc["stuck", "message"].startswith("hung: no answer within the watchdog's 8 s")
    assert summary.loc["p1", "outcome"] == "planned"
