"""Solver behaviour: dispatch rules, warm start, determinism, frozen operations, benchmark instances."""

from __future__ import annotations

import json
import math
from dataclasses import replace
from importlib.resources import files
from pathlib import Path

import pandas as pd
import pytest
import tomli_w

from scenarios.contract.freeze import Frozen
from scenarios.contract.model import Scenario, load_scenario, scenario_from_tables
from scenarios.generators.jobshop import (
    START,
    flexible_tables,
    jobshop_settings,
    jobshop_tables,
    longest_minutes,
    read_flexible,
)
from scenarios.generators.scenario import PlantSpec, generate
from scenarios.pipelines.schedule import build_scenario_problem, grade_scenario, make_plan, solve_options
from scheduler import fit_all
from scheduler.cpsat.model import SolverSettings
from scheduler.rules import RULE_NAMES
from scheduler.solve import _kept_for_neighbourhoods

DATA = json.loads((Path(__file__).parent.parent / "data" / "jobshop.json").read_text())


def plant(
    orders: int = 30, seed: int = 4, time_limit: float = 1.0, workers: int = 1, horizon_days: int = 5
) -> Scenario:
    doc, raw = generate(PlantSpec(orders=orders, seed=seed, horizon_days=horizon_days))
    doc["solve"] = {
        "objective": "weighted_tardiness",
        "time_limit_s": time_limit,
        "workers": workers,
        "seed": 0,
    }
    return scenario_from_tables("plant", tomli_w.dumps(doc), raw)


@pytest.mark.parametrize("rule", RULE_NAMES)
def test_a_dispatch_rule_alone(rule: str) -> None:
    scenario = plant()
    plan = make_plan(scenario, solve_options(scenario, solver=f"dispatch:{rule}"))
    s = plan.tables.summary
    assert s["status"] == "heuristic" and s["solver"]["plan_from"] == f"dispatch:{rule}"
    assert s["best_bound"] is None
    assert list(s["solver"]["dispatch_rules"]) == [rule]


def test_cpsat_is_never_worse_than_the_best_rule() -> None:
    scenario = plant()
    plan = make_plan(scenario, solve_options(scenario))
    s = plan.tables.summary
    assert s["objective_value"] <= min(s["solver"]["dispatch_rules"].values())
    assert s["best_bound"] is not None and s["best_bound"] <= s["objective_value"] + 1e-6


def test_same_seed_and_one_worker_give_the_same_plan() -> None:
    first = make_plan(plant(40, 9, 1.0), solve_options(plant(40, 9, 1.0)))
    second = make_plan(plant(40, 9, 1.0), solve_options(plant(40, 9, 1.0)))
    pd.testing.assert_frame_equal(first.tables.schedule, second.tables.schedule)
    pd.testing.assert_frame_equal(first.tables.orders, second.tables.orders)


def test_the_full_model_keeps_short_one_worker_runs_and_small_many_worker_ones() -> None:
    scenario = plant()
    problem = build_scenario_problem(scenario, grade_scenario(scenario))
    one, two = SolverSettings(workers=1), SolverSettings(workers=2)
    assert _kept_for_neighbourhoods(problem, one, True, 10.0) == 0
    assert _kept_for_neighbourhoods(problem, one, True, 60.0) == 50
    assert _kept_for_neighbourhoods(problem, two, True, 60.0) == 0
    assert _kept_for_neighbourhoods(problem, two, False, 60.0) == pytest.approx(51)  # a relaxed model


@pytest.mark.slow
def test_one_worker_gives_the_time_after_the_full_model_to_neighbourhoods(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # one CP-SAT worker searches without neighbourhoods of its own; on this 30-order plant
    # at 30 s ours took the cost from 166,948 (the full model alone) to 137,030 (2026-12-06)
    def summary() -> dict:
        scenario = plant(30, 2, 30.0, horizon_days=14)
        return make_plan(scenario, solve_options(scenario)).tables.summary

    def rounds(s: dict) -> list[str]:  # the start that fits every order in may come first
        return [r["name"] for r in s["solver"]["rounds"] if r["name"] != fit_all.LABEL]

    searched = summary()
    assert rounds(searched) == ["weighted tardiness", "neighbourhoods"]
    monkeypatch.setattr("scheduler.solve.ONE_WORKER_FULL_SECONDS", math.inf)
    alone = summary()
    assert rounds(alone) == ["weighted tardiness"]
    assert searched["objective_value"] < alone["objective_value"]


def test_frozen_operations_stay_and_the_rest_starts_after_the_freeze() -> None:
    scenario = plant(25, 2)
    before = make_plan(scenario, solve_options(scenario, solver="dispatch:edd")).tables.schedule
    until = pd.Timestamp("2026-12-01T18:00:00")
    kept = before[before["start"] < until]
    assert len(kept) and len(kept) < len(before)
    frozen = Frozen(
        until, {(r.order_id, int(r.step)): (r.machine_id, r.start) for r in kept.itertuples()}, Path("p")
    )
    after = make_plan(scenario, solve_options(scenario), frozen=frozen).tables.schedule
    merged = kept.merge(after, on=["order_id", "step"], suffixes=("", "_new"))
    assert len(merged) == len(kept)
    assert (merged["machine_id"] == merged["machine_id_new"]).all()
    assert (merged["start"] == merged["start_new"]).all() and (merged["end"] == merged["end_new"]).all()
    moved = after.merge(kept[["order_id", "step"]], how="left", indicator=True)
    assert (moved.loc[moved["_merge"] == "left_only", "start"] >= until).all()


def jobshop_scenario(kind: str, name: str, time_limit: float, workers: int = 1) -> Scenario:
    d = DATA[kind][name]
    tables = jobshop_tables(d["machines"], d["durations"], d.get("due_dates"), d.get("weights"))
    objective = "makespan" if kind == "makespan" else "weighted_tardiness"
    return scenario_from_tables(
        name, jobshop_settings(d["durations"], objective, time_limit, workers), tables
    )


@pytest.mark.parametrize(("name", "optimum"), [("ft06", 55), ("la01", 666)])
def test_job_shop_makespan_optimum(name: str, optimum: int) -> None:
    scenario = jobshop_scenario("makespan", name, 20)
    s = make_plan(scenario, solve_options(scenario)).tables.summary
    assert s["objective_value"] == optimum
    assert s["status"] == "optimal"


def test_extra_cp_sat_parameters_may_be_lists() -> None:
    """Repeated CP-SAT fields (the portfolio's ``subsolvers``) are extended, not assigned."""
    scenario = jobshop_scenario("makespan", "ft06", 20)
    options = replace(solve_options(scenario), parameters=(("subsolvers", ["default_lp", "max_lp"]),))
    s = make_plan(scenario, options).tables.summary
    assert (s["objective_value"], s["status"]) == (55, "optimal")


def test_job_shop_weighted_tardiness_is_zero_where_it_can_be() -> None:
    scenario = jobshop_scenario("twt", "la16_f1.6", 20)
    s = make_plan(scenario, solve_options(scenario)).tables.summary
    assert s["objective_value"] == DATA["twt"]["la16_f1.6"]["best_known"] == 0


@pytest.mark.parametrize(("name", "optimum"), [("kacem-k1", 11), ("kacem-k2", 11), ("kacem-k3", 7)])
def test_flexible_job_shop_makespan_optimum(name: str, optimum: int) -> None:
    """Kacem's flexible job shops: the proven optimum, each operation on one of its machines
    for that machine's minutes, the operations of a job in order."""
    jobs = read_flexible((Path(__file__).parent.parent / "data" / "flexible" / f"{name}.txt").read_text())
    settings = jobshop_settings([[t] for t in longest_minutes(jobs)], "makespan", 20, 1)
    scenario = scenario_from_tables(name, settings, flexible_tables(jobs))
    plan = make_plan(scenario, solve_options(scenario)).tables
    assert plan.summary["status"] == "optimal"
    schedule = plan.schedule.sort_values(["order_id", "step"])
    assert len(schedule) == sum(len(operations) for operations in jobs)
    for row in schedule.itertuples():
        alternatives = dict(jobs[int(row.order_id[1:])][row.step - 1])
        machine = int(row.machine_id[1:])
        assert machine in alternatives
        assert (row.end - row.start) == pd.Timedelta(minutes=alternatives[machine])
    for _, job in schedule.groupby("order_id"):
        assert (job["start"].iloc[1:].to_numpy() >= job["end"].iloc[:-1].to_numpy()).all()
    for _, machine in schedule.sort_values("start").groupby("machine_id"):
        assert (machine["start"].iloc[1:].to_numpy() >= machine["end"].iloc[:-1].to_numpy()).all()
    assert (schedule["end"].max() - START) == pd.Timedelta(minutes=optimum)
    assert plan.summary["objective_value"] == optimum


@pytest.mark.slow
def test_a_plan_that_meets_the_floor_ends_the_round_as_optimal() -> None:
    # the demo plant, whose full model alone bounds its cost by about 0: from the ATC plan
    # the round searches on; told that nothing costs less than that plan (as if that were the
    # proven floor), it ends at once, optimal
    from scheduler.cpsat.model import CpSatModel
    from scheduler.dispatch import dispatch
    from scheduler.insertion import insert_unscheduled
    from scheduler.objectives import COST

    scenario = load_scenario(Path(str(files("scenarios.demo") / "scenario")))
    problem = build_scenario_problem(scenario, grade_scenario(scenario))
    start = insert_unscheduled(dispatch(problem, "atc"))
    outcomes = []
    for floor in (None, start.tier_cost()):
        model = CpSatModel(problem)
        model.hint(start)
        outcomes.append(model.solve_round(COST, SolverSettings(10.0, 1), 10.0, floor=floor))
    assert outcomes[0].status == "FEASIBLE"
    assert (outcomes[1].status, outcomes[1].objective) == ("OPTIMAL", start.tier_cost())


def test_the_last_progress_line_gives_the_summarys_plan_and_bound() -> None:
    from scheduler.result import ProgressEvent
    from scheduler.solve import FINAL_EVENT, solve

    scenario = plant(30, 4, 2.0)
    problem = build_scenario_problem(scenario, grade_scenario(scenario))
    seen: list[ProgressEvent] = []
    result = solve(problem, solve_options(scenario), seen.append)
    last = seen[-1]
    assert (last.round, last.objective, last.bound) == (FINAL_EVENT, result.objective, result.bound)
    assert last.gap == result.gap
