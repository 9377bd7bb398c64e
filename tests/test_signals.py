"""Real signals sent to a real ``tierplan`` process, in every phase of the search."""

from __future__ import annotations

import json
import signal
import subprocess
import time
from pathlib import Path

import pytest

from scenarios.generators.scenario import PlantSpec, write_generated
from scheduler.rules import RULE_NAMES, by_preference
from tests.helpers.processes import TIERPLAN, finish, start, wait_for

pytestmark = pytest.mark.signals

PROMPT_EXIT_S = 20.0  # a stopped search must end well before its time limit (120 s here)


@pytest.fixture(scope="module")
def plant(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """660 operations: weighted tardiness goes straight to the neighbourhood search (the full
    model could only be relaxed), lexicographic runs CP-SAT rounds on the whole plant first."""
    return write_generated(tmp_path_factory.mktemp("signals") / "plant", PlantSpec(orders=120, seed=5))


def schedule(plant: Path, out: Path, *extra: object, limit: int = 120) -> subprocess.Popen[str]:
    return start("schedule", plant, "--out", out, "--time-limit", limit, "--verbose", *extra)


# The small plant's lexicographic run: the weighted start round and the three tier rounds
# share the limit, 11 s each; a signal 1 s into tier A's round still leaves about 30 s.
SMALL_PLANT_LIMIT = 45


@pytest.fixture(scope="module")
def small_plant(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """40 orders: its full model is exact, so CP-SAT rounds run on the whole plant."""
    return write_generated(tmp_path_factory.mktemp("signals-small") / "plant", PlantSpec(orders=40, seed=5))


@pytest.mark.parametrize(
    ("signum", "phase", "objective", "which"),
    [
        (signal.SIGINT, "CP-SAT round tier A", "lexicographic", "small_plant"),
        (
            signal.SIGINT,
            "CP-SAT round weighted tardiness (a start for the tiers)",
            "lexicographic",
            "small_plant",
        ),
        (signal.SIGTERM, "neighbourhood search", "weighted_tardiness", "plant"),
        (signal.SIGTERM, "neighbourhood search", "lexicographic", "plant"),
    ],
)
def test_the_first_signal_ends_the_search_and_writes_the_best_plan(
    request: pytest.FixtureRequest, tmp_path: Path, signum: int, phase: str, objective: str, which: str
) -> None:
    plant = request.getfixturevalue(which)
    out = tmp_path / "plan"
    limit = SMALL_PLANT_LIMIT if which == "small_plant" else 120
    process = schedule(plant, out, "--objective", objective, limit=limit)
    wait_for(process, phase)
    time.sleep(1.0)
    process.send_signal(signum)
    code, output, seconds = finish(process)
    name = signal.Signals(signum).name
    assert code == 0, output
    assert seconds < PROMPT_EXIT_S, f"took {seconds:.1f} s after {name}"
    assert f"interrupted by {name}" in output and f"wrote {out}" in output
    summary = json.loads((out / "summary.json").read_text())
    assert summary["interrupted"] is True and summary["stop_reason"] == name
    assert summary["runtime_s"] < limit / 2
    check = subprocess.run([TIERPLAN, "check", plant, out], capture_output=True, text=True)
    assert check.returncode == 0, check.stdout


def test_a_signal_before_any_plan_exits_3_and_writes_nothing(tmp_path: Path) -> None:
    big = write_generated(tmp_path / "big", PlantSpec(orders=3000, seed=1))
    process = schedule(big, tmp_path / "plan")
    wait_for(process, f"dispatch rule {by_preference(RULE_NAMES)[0]}")  # the first rule: no plan yet
    process.send_signal(signal.SIGINT)
    code, output, seconds = finish(process)
    assert code == 3, output
    assert "interrupted: SIGINT before any dispatch rule had a plan" in output
    assert seconds < PROMPT_EXIT_S
    assert sorted(p.name for p in tmp_path.iterdir()) == ["big"]


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_a_second_signal_aborts_at_once_and_writes_nothing(plant: Path, tmp_path: Path, signum: int) -> None:
    out = tmp_path / "plan"
    out.mkdir()
    (out / "keep.txt").write_text("an earlier plan")  # --force would replace it, an abort must not
    process = start("schedule", plant, "--out", out, "--time-limit", 120, "--verbose", "--force")
    wait_for(process, "neighbourhood search")
    process.send_signal(signum)
    time.sleep(0.05)  # apart, or the two would reach Python as one; well before the plan is written
    process.send_signal(signum)
    code, output, seconds = finish(process)
    assert code == 128 + signum, output
    assert seconds < 5.0 and f"aborted by a second {signal.Signals(signum).name}" in output
    assert [p.name for p in out.iterdir()] == ["keep.txt"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["plan"]  # no staging folder left


def test_a_study_stopped_by_a_signal_keeps_what_it_has(plant: Path, tmp_path: Path) -> None:
    spec = tmp_path / "study.toml"
    spec.write_text(
        f'base = "{plant}"\n[solve]\ntime_limit_s = 120\n'
        '[[variant]]\nname = "heavier A"\ntier_weights = { A = 10, B = 2, C = 1 }\n'
        '[[variant]]\nname = "makespan"\nobjective = "makespan"\n'
    )
    out = tmp_path / "study"
    process = start("run", spec, "--out", out, "--verbose")
    wait_for(process, "neighbourhood search")  # of the base plan
    process.send_signal(signal.SIGTERM)
    code, output, seconds = finish(process)
    assert code == 0, output
    assert seconds < PROMPT_EXIT_S
    outcomes = json.loads((out / "study_summary.json").read_text())
    assert outcomes["base"] == "planned (interrupted by SIGTERM)"
    assert outcomes["heavier-a"] == outcomes["makespan"] == "not run: the study was stopped (SIGTERM)"
    assert (out / "base" / "summary.json").is_file() and (out / "comparison.html").is_file()
    assert not (out / "makespan").exists()
