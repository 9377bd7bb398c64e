"""The plant model (contract section 4) on scenarios small enough to check by hand."""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from scenarios.contract.model import load_scenario
from scenarios.pipelines.schedule import check_plan_folder, make_plan, solve_options, write_plan
from tests.helpers import T0, at, customers, minutes, order_row, rows_by_order, settings_text, write_scenario
from tests.helpers.plants import changeover_shop

DAY_SHIFT = [{"calendar_id": "DAY", "weekday": d, "start": "06:00", "end": "14:00"} for d in range(1, 6)]


def plan_of(folder: Path, tables: dict[str, Any], settings: str | None = None, **options: Any) -> Any:
    scenario = load_scenario(write_scenario(folder, tables, settings))
    return make_plan(scenario, solve_options(scenario, **options))


def schedule_of(plan: Any) -> dict[str, dict[str, Any]]:
    return {f"{r['order_id']}/{r['step']}": r for r in plan.tables.schedule.to_dict("records")}


def test_a_changeover_makes_the_lower_tier_wait_for_the_batch_of_a_orders(tmp_path: Path) -> None:
    plan = plan_of(tmp_path / "s", changeover_shop())
    ops = schedule_of(plan)
    # A1, A2 back to back (0-60), an hour to switch to light, then C1: 120-150, 90 min late.
    # Any other order costs more: C1 first makes both A orders wait the hour (4 x 150 = 600).
    assert sorted(minutes(ops[o]["start"]) for o in ("A1/10", "A2/10")) == [0, 30]
    assert minutes(ops["C1/10"]["start"]) == 120
    assert ops["C1/10"]["changeover_minutes"] == 60 and ops["A2/10"]["changeover_minutes"] == 0
    assert plan.tables.summary["objective_value"] == 90 and plan.tables.summary["status"] == "optimal"
    assert plan.tables.summary["machines"]["M1"]["changeover_minutes"] == 60
    reason = rows_by_order(plan)["C1"]["reason"]
    assert "waits for a changeover on M1 from family dark to light (60 min)" in reason
    assert "M1 busy with tier-A orders" in reason


@pytest.mark.parametrize("rule", ["edd", "wspt", "atc", "tier_edd"])
def test_every_dispatch_rule_keeps_the_changeover_gaps(tmp_path: Path, rule: str) -> None:
    plan = plan_of(tmp_path / "s", changeover_shop(), solver=f"dispatch:{rule}")  # the checker runs inside
    ops = sorted(schedule_of(plan).values(), key=lambda r: r["start"])
    for a, b in itertools.pairwise(ops):
        gap = minutes(b["start"]) - minutes(a["end"])
        switching = a["order_id"][0] != b["order_id"][0]  # A orders are dark, C1 is light
        assert gap >= (60 if switching else 0) and b["changeover_minutes"] == (60 if switching else 0)


def oven_shop() -> dict[str, Any]:
    return {
        "orders": [order_row(f"O{i}", 60, due=60, customer="low" if i == 4 else "top") for i in (1, 2, 3, 4)],
        "routings": [{"product_id": "P", "step": 10, "machine_id": "OVEN", "minutes_per_unit": 1.0}],
        "machines": [{"machine_id": "OVEN", "capacity": 3}],
        "customers": customers({"top": "A", "low": "C"}),
    }


@pytest.mark.parametrize("solver", ["cpsat", "dispatch:atc"])
def test_an_oven_of_capacity_3_bakes_three_at_once(tmp_path: Path, solver: str) -> None:
    plan = plan_of(tmp_path / "s", oven_shop(), solver=solver)
    ops = schedule_of(plan)
    assert [minutes(ops[f"O{i}/10"]["start"]) for i in (1, 2, 3, 4)] == [0, 0, 0, 60]
    assert rows_by_order(plan)["O4"]["tardiness_minutes"] == 60
    oven = plan.tables.summary["machines"]["OVEN"]
    assert oven["working_minutes_available"] == 1440 and oven["utilisation"] == pytest.approx(240 / 1440)
    assert oven["changeover_minutes"] == 0 and oven["capacity"] == 3


def shift_shop(**extra: Any) -> dict[str, Any]:
    """M1 and M2 work Monday to Friday 06:00-14:00; the plan starts Tuesday 06:00."""
    assert T0.day_name() == "Tuesday"
    return {
        "orders": [
            order_row("LONG", 600, due=5000, product="R"),
            order_row("SHIFT", 480, due=5000, product="N"),
        ],
        "routings": [
            {"product_id": "R", "step": 10, "machine_id": "M1", "minutes_per_unit": 1.0, "resumable": True},
            {"product_id": "N", "step": 10, "machine_id": "M2", "minutes_per_unit": 1.0, "resumable": False},
        ],
        "machines": [{"machine_id": "M1", "calendar": "DAY"}, {"machine_id": "M2", "calendar": "DAY"}],
        "shifts": DAY_SHIFT,
        **extra,
    }


@pytest.mark.parametrize("solver", ["cpsat", "dispatch:edd"])
def test_a_resumable_operation_resumes_after_the_night(tmp_path: Path, solver: str) -> None:
    plan = plan_of(tmp_path / "s", shift_shop(), settings_text(horizon_days=3), solver=solver)
    ops = schedule_of(plan)
    # the contract's example: 600 min from Tuesday 06:00 end Wednesday 08:00; 480 min end at 14:00
    assert ops["LONG/10"]["start"] == pd.Timestamp("2026-12-01T06:00")
    assert ops["LONG/10"]["end"] == pd.Timestamp("2026-12-02T08:00")
    assert ops["LONG/10"]["working_minutes"] == 600
    assert ops["SHIFT/10"]["end"] == pd.Timestamp("2026-12-01T14:00")
    m1 = plan.tables.summary["machines"]["M1"]
    assert m1["working_minutes_available"] == 3 * 480 and m1["utilisation"] == pytest.approx(600 / 1440)


def test_a_step_that_does_not_fit_before_the_shift_ends_waits_for_the_morning(tmp_path: Path) -> None:
    tables = shift_shop()
    tables["orders"] = [order_row("LATE", 300, due=840, release=360, product="N")]  # released Tue 12:00
    plan = plan_of(tmp_path / "s", tables, settings_text(horizon_days=3))
    ops = schedule_of(plan)
    assert ops["LATE/10"]["start"] == pd.Timestamp("2026-12-02T06:00")  # 300 min do not fit 12:00-14:00
    reason = rows_by_order(plan)["LATE"]["reason"]
    assert "M2 off shift 14:00-06:00 (960 min)" in reason


def test_a_frozen_plan_with_calendars_and_changeovers(tmp_path: Path) -> None:
    from scenarios.contract.freeze import Frozen

    tables = changeover_shop()
    tables["machines"] = [{"machine_id": "M1", "calendar": "DAY"}]
    tables["shifts"] = DAY_SHIFT
    for row in tables["orders"]:
        row["quantity"], row["due"] = 200, at(600)
    scenario = load_scenario(write_scenario(tmp_path / "s", tables, settings_text(horizon_days=3)))
    before = make_plan(scenario, solve_options(scenario)).tables.schedule
    until = pd.Timestamp("2026-12-01T09:00")
    kept = before[before["start"] < until]
    assert len(kept) == 1
    frozen = Frozen(
        until, {(r.order_id, r.step): (r.machine_id, r.start) for r in kept.itertuples()}, tmp_path
    )
    after = make_plan(scenario, solve_options(scenario), frozen=frozen).tables.schedule
    first = kept.iloc[0]
    again = after[(after["order_id"] == first["order_id"]) & (after["step"] == first["step"])].iloc[0]
    assert (again["start"], again["machine_id"]) == (first["start"], first["machine_id"])
    assert (after.loc[after["start"] != first["start"], "start"] >= until).all()


def corrupt(tmp_path: Path, tables: dict[str, Any], change: Any, settings: str | None = None) -> list[str]:
    """Plan, write, change the written schedule, and re-check it."""
    folder = write_scenario(tmp_path / "s", tables, settings)
    scenario = load_scenario(folder)
    plan = write_plan(make_plan(scenario, solve_options(scenario)), tmp_path / "plan")
    schedule = pd.read_parquet(plan / "schedule.parquet")
    change(schedule)
    schedule.to_parquet(plan / "schedule.parquet")
    return [str(v) for v in check_plan_folder(scenario, plan)]


def move(schedule: pd.DataFrame, order: str, start: float, end: float) -> None:
    row = schedule.index[schedule["order_id"] == order][0]
    schedule.loc[row, "start"] = T0 + pd.Timedelta(minutes=start)
    schedule.loc[row, "end"] = T0 + pd.Timedelta(minutes=end)


def test_the_checker_rejects_a_changeover_gap_too_short(tmp_path: Path) -> None:
    found = corrupt(tmp_path, changeover_shop(), lambda s: move(s, "C1", 60, 90))
    assert any(
        "order C1 step 10 (light) starts 0 min after" in v and "changeover of 60 min" in v for v in found
    )


def test_the_checker_rejects_an_oven_over_capacity(tmp_path: Path) -> None:
    found = corrupt(tmp_path, oven_shop(), lambda s: move(s, "O4", 0, 60))
    assert any("4 operations at once" in v and "expected at most 3" in v for v in found), found


def test_the_checker_rejects_work_outside_the_shifts(tmp_path: Path) -> None:
    found = corrupt(
        tmp_path, shift_shop(), lambda s: move(s, "SHIFT", 480, 960), settings_text(horizon_days=3)
    )
    assert any("SHIFT" in v and "outside its shifts of M2" in v for v in found), found


def test_the_checker_rejects_a_step_that_may_not_pause_spanning_the_night(tmp_path: Path) -> None:
    found = corrupt(
        tmp_path, shift_shop(), lambda s: move(s, "SHIFT", 240, 720), settings_text(horizon_days=3)
    )
    assert any("order_id=SHIFT, step=10" in v and "inside one stretch of working time" in v for v in found)


def test_the_checker_rejects_a_resumable_step_ending_too_early(tmp_path: Path) -> None:
    found = corrupt(tmp_path, shift_shop(), lambda s: move(s, "LONG", 0, 1500), settings_text(horizon_days=3))
    assert any(
        "resumable step runs" in v and "with 540 working minutes on M1; expected 600" in v for v in found
    )
