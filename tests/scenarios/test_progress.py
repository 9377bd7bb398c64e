"""The progress table (contract section 5): read like every table, every input error at once."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from cli import app
from tests.helpers import at, order_row, write_scenario
from tests.helpers.cli import runner


def shop(progress: list[dict[str, Any]]) -> dict[str, Any]:
    """Product P: step 10 on M1 or M3, step 20 on M2; four orders."""
    return {
        "orders": [order_row(f"O{i}", 10, due=2000) for i in range(1, 5)],
        "routings": [
            {"product_id": "P", "step": 10, "machine_id": "M1", "minutes_per_unit": 1},
            {"product_id": "P", "step": 10, "machine_id": "M3", "minutes_per_unit": 1},
            {"product_id": "P", "step": 20, "machine_id": "M2", "minutes_per_unit": 1},
        ],
        "machines": [{"machine_id": m} for m in ("M1", "M2", "M3")],
        "progress": progress,
    }


def done(order: str, step: int, machine: str, started: float = -120, finished: float = -60) -> dict[str, Any]:
    return {
        "order_id": order,
        "step": step,
        "machine_id": machine,
        "state": "done",
        "started_at": at(started),
        "finished_at": at(finished),
    }


def running(order: str, step: int, machine: str, remaining: int = 30, started: float = -30) -> dict[str, Any]:
    return {
        "order_id": order,
        "step": step,
        "machine_id": machine,
        "state": "running",
        "started_at": at(started),
        "remaining_minutes": remaining,
    }


def validate(folder: Path) -> tuple[int, str]:
    result = runner.invoke(app, ["validate", str(folder)])
    assert "Traceback" not in result.output
    return result.exit_code, " ".join(result.output.split())


def test_a_consistent_shop_floor_is_valid(tmp_path: Path) -> None:
    rows = [
        done("O1", 10, "M1"),
        done("O1", 20, "M2", -60, -10),
        done("O2", 10, "M3"),
        running("O3", 10, "M1"),
    ]
    code, output = validate(write_scenario(tmp_path / "s", shop(rows)))
    assert code == 0, output


def test_progress_in_parquet_reads_like_csv(tmp_path: Path) -> None:
    rows = [done("O1", 10, "M1"), running("O2", 10, "M3", remaining=0)]
    code, output = validate(write_scenario(tmp_path / "s", shop(rows), fmt="parquet"))
    assert code == 0, output


CASES: dict[str, tuple[list[dict[str, Any]], list[str]]] = {
    "two rows for one step": (
        [done("O1", 10, "M1"), running("O1", 10, "M1")],
        ["progress [order_id=O1, step=10] step: duplicate key", "expected each order_id+step once"],
    ),
    "unknown order": (
        [running("O9", 10, "M1")],
        ["progress [order_id=O9, step=10] order_id: unknown order O9; expected a order_id from orders"],
    ),
    "unknown step": (
        [running("O1", 15, "M1")],
        ["progress [order_id=O1, step=15] step: step 15 is not a step of product P's routing", "10, 20"],
    ),
    "unknown machine": (
        [running("O1", 10, "M7")],
        ["progress [order_id=O1, step=10] machine_id: unknown machine M7"],
    ),
    "machine not an alternative": (
        [running("O1", 10, "M2")],
        [
            "progress [order_id=O1, step=10] machine_id: machine M2 is not an alternative of step 10 "
            "of product P; expected one of M1, M3"
        ],
    ),
    "earlier step not done": (
        [running("O1", 20, "M2")],
        ["progress [order_id=O1, step=20] state: step 20 is running while the order's earlier step 10 is"],
    ),
    "earlier step only running": (
        [running("O1", 10, "M1"), done("O1", 20, "M2")],
        [
            "progress [order_id=O1, step=20] state: step 20 is done while the order's earlier step 10 "
            "is running"
        ],
    ),
    "more running than capacity": (
        [running("O1", 10, "M1"), running("O2", 10, "M1")],
        [
            "progress [order_id=O2, step=10] machine_id: machine M1 has 2 running operations; expected "
            "at most its capacity 1"
        ],
    ),
    "unknown state": (
        [{**running("O1", 10, "M1"), "state": "paused"}],
        ["progress [order_id=O1, step=10] state: found 'paused'; expected done or running"],
    ),
    "started after the plan start": (
        [running("O1", 10, "M1", started=5)],
        ["progress [order_id=O1, step=10] started_at: found", "expected at or before plan.start"],
    ),
    "finished before it started": (
        [done("O1", 10, "M1", started=-60, finished=-120)],
        ["progress [order_id=O1, step=10] finished_at: found", "expected finished_at >= started_at"],
    ),
    "finished after the plan start": (
        [done("O1", 10, "M1", started=-60, finished=30)],
        ["progress [order_id=O1, step=10] finished_at: found", "expected at or before plan.start"],
    ),
    "done without a finish": (
        [{**done("O1", 10, "M1"), "finished_at": ""}],
        ["progress [order_id=O1, step=10] finished_at: missing for a done step"],
    ),
    "running with a finish": (
        [{**running("O1", 10, "M1"), "finished_at": at(-5)}],
        ["progress [order_id=O1, step=10] finished_at: found", "expected empty for a running step"],
    ),
    "running without remaining minutes": (
        [{**running("O1", 10, "M1"), "remaining_minutes": ""}],
        ["progress [order_id=O1, step=10] remaining_minutes: missing for a running step"],
    ),
    "negative remaining minutes": (
        [running("O1", 10, "M1", remaining=-5)],
        ["progress [order_id=O1, step=10] remaining_minutes: found -5; expected a whole number >= 0"],
    ),
    "done with remaining minutes": (
        [{**done("O1", 10, "M1"), "remaining_minutes": 10}],
        ["progress [order_id=O1, step=10] remaining_minutes: found 10; expected empty for a done step"],
    ),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_broken_progress(tmp_path: Path, case: str) -> None:
    rows, expected = CASES[case]
    code, output = validate(write_scenario(tmp_path / "s", shop(rows)))
    assert code == 1, output
    for fragment in expected:
        assert fragment in output, f"{fragment!r} not in:\n{output}"


def test_every_progress_problem_is_reported_at_once_and_nothing_is_written(tmp_path: Path) -> None:
    rows = [
        running("O9", 10, "M1"),
        running("O1", 20, "M2"),
        running("O2", 10, "M2"),
        done("O3", 10, "M1", 0, 5),
    ]
    folder = write_scenario(tmp_path / "s", shop(rows))
    result = runner.invoke(app, ["schedule", str(folder), "--out", str(tmp_path / "plan"), "--quiet"])
    output = " ".join(result.output.split())
    assert result.exit_code == 1, output
    assert "Traceback" not in output
    for fragment in ("unknown order O9", "earlier step 10 is", "not an alternative", "finished_at: found"):
        assert fragment in output
    assert "5 problem(s) found" in output  # and M2 runs two at once
    assert not (tmp_path / "plan").exists()


def test_a_started_order_waiting_for_an_unfinished_one_is_a_warning(tmp_path: Path) -> None:
    tables = shop([running("O2", 10, "M1")])
    tables["orders"][1]["after_order"] = "O1"
    code, output = validate(write_scenario(tmp_path / "s", tables))
    assert code == 0, output
    assert (
        "warning: orders [order_id=O2] after_order: the order has started (progress) although order O1"
        in output
    )
