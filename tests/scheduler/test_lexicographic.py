"""Strict tier order: no tier ends worse than in any plan the same run found."""

from __future__ import annotations

from collections.abc import Callable

import pytest
import tomli_w

import scheduler.solve as solve_module
from scenarios.contract.model import scenario_from_tables
from scenarios.generators.scenario import PlantSpec, generate
from scenarios.pipelines.schedule import build_scenario_problem, grade_scenario, solve_options
from scheduler.compact import left_shift
from scheduler.cpsat.model import CpSatModel, RoundResult
from scheduler.objectives import COST, Round, tier_round
from scheduler.options import SolveOptions
from scheduler.problem import ProblemData
from scheduler.result import Result
from scheduler.schedule import Schedule


def lexicographic_plant(orders: int, seed: int, workers: int) -> tuple[ProblemData, SolveOptions]:
    doc, raw = generate(PlantSpec(orders=orders, seed=seed, horizon_days=7))
    doc["solve"] = {"objective": "lexicographic", "time_limit_s": 4, "workers": workers, "seed": 0}
    scenario = scenario_from_tables(f"lex-{seed}", tomli_w.dumps(doc), raw)
    return build_scenario_problem(scenario, grade_scenario(scenario)), solve_options(scenario)


def solve_recording(
    problem: ProblemData,
    options: SolveOptions,
    monkeypatch: pytest.MonkeyPatch,
    around: Callable[[Round, Callable[[float], RoundResult], float], RoundResult] = (
        lambda _, run, seconds: run(seconds)
    ),
) -> tuple[Result, list[Schedule]]:
    """Solve; also every plan the run's starts and rounds found. ``around(round, run, seconds)``
    runs each round (``run(seconds)``) and may change its time or what it hands back, as a
    busier machine or another search would."""
    seen: list[Schedule] = []
    starts = solve_module.starting_plans

    def record_starts(*args, **kwargs):  # type: ignore[no-untyped-def]
        found = starts(*args, **kwargs)
        seen.extend(found.plans.values())
        return found

    rounds = CpSatModel.solve_round

    def record_round(self, round_, settings, seconds, *args, **kwargs):  # type: ignore[no-untyped-def]
        outcome = around(round_, lambda s: rounds(self, round_, settings, s, *args, **kwargs), seconds)
        if outcome.schedule is not None:
            seen.append(outcome.schedule)
        return outcome

    monkeypatch.setattr(solve_module, "starting_plans", record_starts)
    monkeypatch.setattr(CpSatModel, "solve_round", record_round)
    return solve_module.solve(problem, options), seen


def assert_no_plan_beats(
    problem: ProblemData, result: Result, seen: list[Schedule], shifted: bool = False
) -> None:
    """No plan of the run (``shifted``: nor that plan left-shifted) is lexicographically better."""
    final = result.schedule.objective_vector("lexicographic")
    complete = [s for s in seen if all(s.is_scheduled(i) for i in problem.frozen_orders)]
    assert len(complete) > 5
    for plan in complete + ([left_shift(s) for s in complete] if shifted else []):
        assert final <= plan.objective_vector("lexicographic")


@pytest.mark.parametrize(("orders", "seed"), [(20, 1), (24, 2), (30, 3), (30, 5)])
def test_each_tier_is_at_least_as_good_as_in_every_plan_of_the_run(
    orders: int, seed: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    problem, options = lexicographic_plant(orders, seed, 2)
    result, seen = solve_recording(problem, options, monkeypatch)
    names = [r.name for r in result.rounds]
    assert names[0] == "weighted tardiness (a start for the tiers)" and "tier A" in names
    assert_no_plan_beats(problem, result, seen)


def test_no_plan_of_the_run_started_earlier_beats_the_result(monkeypatch: pytest.MonkeyPatch) -> None:
    """A round's plan leaves the operations its round does not price wherever the search put
    them, often in the way of those it does: here the tier-A round's plan, left-shifted, was
    better for tier A (41,484 against 49,264) than the result (41,628) when only the last plan
    was shifted. One worker: repeatable."""
    problem, options = lexicographic_plant(20, 1, 1)
    result, seen = solve_recording(problem, options, monkeypatch)
    assert_no_plan_beats(problem, result, seen, shifted=True)


def test_a_plan_a_later_round_finds_better_for_tier_a_is_kept(monkeypatch: pytest.MonkeyPatch) -> None:
    """Under load the tier-A round may end early and the tier-B round come back with a plan
    better for tier A (the failing CI run of 6eb7439: A 42,440 found, 43,788 kept). Here the
    rounds are an exact search over a few real plans: the weighted start and the tier-A round
    end early, the tier-B round finds the plan an unhurried tier-A round found, and the tier-C
    round would take the starting plan with a higher tier A and a lower tier C if tier A were
    still only kept at the starting plans' value."""
    problem, options = lexicographic_plant(20, 1, 1)
    tier_a_plans: list[Schedule] = []

    def unhurried(round_: Round, run: Callable[[float], RoundResult], seconds: float) -> RoundResult:
        outcome = run(seconds)
        if round_ == tier_round(0) and outcome.schedule is not None:
            tier_a_plans.append(outcome.schedule)
        return outcome

    _, seen = solve_recording(problem, options, monkeypatch, unhurried)
    better = tier_a_plans[0]
    best_start = min(seen[: seen.index(better)], key=lambda plan: plan.tier_cost(0))
    assert better.tier_cost(0) < best_start.tier_cost(0)  # the set-up this test is about
    assert better.tier_cost(2) > best_start.tier_cost(2) and better.tier_cost(1) <= best_start.tier_cost(1)
    kept: dict[Round, int] = {}
    keep = CpSatModel.keep_at_most

    def keep_recording(self, round_, value):  # type: ignore[no-untyped-def]
        kept[round_] = min(value, kept.get(round_, value))
        keep(self, round_, value)

    def exact_round(self, round_, *_args, **_kwargs):  # type: ignore[no-untyped-def]
        if round_ in (COST, tier_round(0)):
            plans = []  # ended early
        else:  # ties go to the first: the tier-B round finds ``better``
            plans = [better, best_start] if round_ == tier_round(1) else [best_start, better]
        allowed = [p for p in plans if all(self.value_of(r, p) <= v for r, v in kept.items())]
        found = min(allowed, key=lambda plan: self.value_of(round_, plan), default=None)
        return RoundResult(round_.goal.value, "FEASIBLE" if found else "UNKNOWN", None, None, 0.0, found)

    monkeypatch.setattr(CpSatModel, "keep_at_most", keep_recording)
    monkeypatch.setattr(CpSatModel, "solve_round", exact_round)
    result, seen = solve_recording(problem, options, monkeypatch)
    assert better in seen
    assert_no_plan_beats(problem, result, seen)
