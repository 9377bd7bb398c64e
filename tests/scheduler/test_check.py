"""The independent checker accepts real plans and rejects corrupted ones."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pandas as pd
import pytest

from scenarios.contract.model import load_scenario
from scenarios.pipelines.schedule import check_context, make_plan, solve_options
from scheduler.check import check_plan
from tests.helpers import at, customers, write_scenario

MIN = pd.Timedelta(minutes=1)


@pytest.fixture(scope="module")
def planned(tmp_path_factory: pytest.TempPathFactory) -> Any:
    routings = [
        {"product_id": "P", "step": 10, "machine_id": "M1", "minutes_per_unit": 1.0},
        {"product_id": "P", "step": 20, "machine_id": "M2", "minutes_per_unit": 0.5, "setup_minutes": 5},
    ]
    tables = {
        "orders": [
            {
                "order_id": f"O{i}",
                "customer_id": "top" if i % 2 else "low",
                "product_id": "P",
                "quantity": 30,
                "due": at(60 + 20 * i),
            }
            for i in range(4)
        ],
        "routings": routings,
        "machines": [{"machine_id": "M1"}, {"machine_id": "M2"}],
        "customers": customers({"top": "A", "low": "C"}),
        "materials": [{"material_id": "X", "on_hand": 60.0}],
        "receipts": [{"material_id": "X", "arrival": at(200), "quantity": 60.0}],
        "bom": [{"product_id": "P", "material_id": "X", "quantity_per_unit": 1.0}],
        "downtime": [{"machine_id": "M2", "start": at(40), "end": at(70)}],
    }
    scenario = load_scenario(write_scenario(tmp_path_factory.mktemp("c") / "s", tables))
    return scenario, make_plan(scenario, solve_options(scenario))


def violations(planned: Any, change: Callable[[dict[str, Any]], None] | None = None) -> list[str]:
    scenario, plan = planned
    parts = {
        "schedule": plan.tables.schedule.copy(),
        "orders": plan.tables.orders.copy(),
        "materials": plan.tables.materials.copy(),
        "summary": {
            **plan.tables.summary,
            "kpis": {k: dict(v) for k, v in plan.tables.summary["kpis"].items()},
        },
    }
    if change:
        change(parts)
    found = check_plan(
        check_context(scenario, plan.tiers),
        parts["schedule"],
        parts["orders"],
        parts["materials"],
        parts["summary"],
    )
    return [str(v) for v in found]


def test_a_real_plan_holds(planned: Any) -> None:
    assert violations(planned) == []


def _op(parts: dict[str, Any], order_id: str, step: int) -> Any:
    s = parts["schedule"]
    return s.index[(s["order_id"] == order_id) & (s["step"] == step)][0]


def overlap(parts: dict[str, Any]) -> None:
    s = parts["schedule"]
    on_m1 = s[s["machine_id"] == "M1"].sort_values("start")
    first, second = on_m1.index[0], on_m1.index[1]
    length = s.at[second, "end"] - s.at[second, "start"]
    s.loc[second, "start"] = s.at[first, "start"]
    s.loc[second, "end"] = s.at[first, "start"] + length


def wrong_duration(parts: dict[str, Any]) -> None:
    i = _op(parts, "O0", 10)
    parts["schedule"].loc[i, "end"] += MIN


def broken_step_order(parts: dict[str, Any]) -> None:
    s = parts["schedule"]
    first, second = _op(parts, "O1", 10), _op(parts, "O1", 20)
    s.loc[second, "start"] = s.at[first, "start"]
    s.loc[second, "end"] = s.at[first, "start"] + 20 * MIN


def negative_stock(parts: dict[str, Any]) -> None:
    """Every order consumes at the plan start: 120 needed, 60 on hand."""
    s = parts["schedule"]
    for oid in ("O0", "O1", "O2", "O3"):
        i = _op(parts, oid, 10)
        shift = s.at[i, "start"] - s.at[s.index[0], "start"].normalize() - 6 * 60 * MIN
        s.loc[s["order_id"] == oid, ["start", "end"]] -= shift
    parts["materials"]["time"] = parts["materials"]["time"].min()


def during_downtime(parts: dict[str, Any]) -> None:
    i = _op(parts, "O0", 20)
    s = parts["schedule"]
    s.loc[i, "start"], s.loc[i, "end"] = pd.Timestamp(at(45)), pd.Timestamp(at(45)) + 20 * MIN


def wrong_machine(parts: dict[str, Any]) -> None:
    parts["schedule"].loc[_op(parts, "O2", 10), "machine_id"] = "M2"


def missing_step(parts: dict[str, Any]) -> None:
    parts["schedule"] = parts["schedule"].drop(index=_op(parts, "O3", 20))


def wrong_tardiness(parts: dict[str, Any]) -> None:
    parts["orders"].loc[0, "tardiness_minutes"] += 7


def wrong_kpi(parts: dict[str, Any]) -> None:
    parts["summary"]["kpis"]["A"]["late"] += 1


def wrong_objective(parts: dict[str, Any]) -> None:
    parts["summary"]["objective_value"] = parts["summary"]["objective_value"] - 1


def wrong_tier(parts: dict[str, Any]) -> None:
    parts["orders"].loc[parts["orders"]["order_id"] == "O1", "tier"] = "C"


def off_minute(parts: dict[str, Any]) -> None:
    i = _op(parts, "O0", 10)
    parts["schedule"].loc[i, ["start", "end"]] += pd.Timedelta(seconds=30)


def before_release(parts: dict[str, Any]) -> None:
    """O0 (released at the plan start, 06:00) starts an hour before it."""
    s = parts["schedule"]
    shift = s.at[_op(parts, "O0", 10), "start"] - pd.Timestamp(at(-60))
    s.loc[s["order_id"] == "O0", ["start", "end"]] -= shift


def consumption_missing(parts: dict[str, Any]) -> None:
    parts["materials"] = parts["materials"].drop(index=parts["materials"].index[0])


CORRUPTIONS = {
    "overlap": (overlap, "runs until"),
    "wrong duration": (wrong_duration, "lasts 31 min on M1; expected"),
    "broken step order": (broken_step_order, "step 20 starts before step 10 ends"),
    "negative stock": (negative_stock, "stock falls below 0 at 2026-12-01 06:00:00, lowest -60"),
    "downtime": (during_downtime, "during downtime"),
    "machine not allowed": (wrong_machine, "machine M2 is not an alternative of step 10"),
    "incomplete order": (missing_step, "has steps [10]; expected all of [10, 20]"),
    "tardiness": (wrong_tardiness, "tardiness_minutes is"),
    "kpi": (wrong_kpi, "kpis.A]: late is"),
    "objective": (wrong_objective, "objective_value]: is"),
    "tier": (wrong_tier, "tier is 'C'; expected 'A'"),
    "whole minutes": (off_minute, "is not a whole minute from the plan start"),
    "consumption": (consumption_missing, "expected consumption of 30 X"),
    "release": (before_release, "before its release 2026-12-01 06:00:00"),
}


@pytest.mark.parametrize("case", sorted(CORRUPTIONS))
def test_corrupted_plan_is_rejected(planned: Any, case: str) -> None:
    change, expected = CORRUPTIONS[case]
    found = violations(planned, change)
    assert any(expected in v for v in found), found
