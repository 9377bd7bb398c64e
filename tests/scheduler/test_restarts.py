"""Searches that start again: a stall ends a search, the round keeps the best of them all."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from scenarios.pipelines.schedule import build_scenario_problem, grade_scenario, make_plan, solve_options
from scheduler import restarts
from scheduler.cpsat.model import PATIENCE, CpSatModel, RoundResult, SolverSettings, stall_over
from scheduler.dispatch import dispatch
from scheduler.insertion import insert_unscheduled
from scheduler.objectives import COST
from scheduler.stop import StopRequest
from tests.helpers.shops import best_permutation_cost, flow_shop_scenario, jobshop_scenario


@dataclass
class ScriptedModel:
    """Stands in for CpSatModel: each search returns the next scripted (status, objective,
    bound, seconds) and reports its plans' values, as CP-SAT's callbacks would."""

    script: list[tuple[str, float | None, float | None, float]]
    hinted: list[object] = field(default_factory=list)  # each search's start (None: no plan)
    seeds: list[int] = field(default_factory=list)
    given: list[float] = field(default_factory=list)  # each search's seconds

    def hint(self, schedule: object) -> None:
        self.hinted.append(schedule)

    def unhint(self) -> None:
        self.hinted.append(None)

    def solve_round(self, round_, settings, seconds, report, stop, floor, stall_s) -> RoundResult:
        status, objective, bound, used = self.script[len(self.seeds)]
        self.seeds.append(settings.seed)
        self.given.append(seconds)
        report(math.nan, bound if bound is not None else -math.inf, 0.0)  # before any plan
        if objective is not None:
            report(objective + 50, bound, 0.0)  # a first, worse plan of this search
            report(objective, bound, 0.0)
        plan = None if objective is None else f"plan of search {len(self.seeds)}"
        return RoundResult("cost", status, objective, bound, min(used, seconds), plan)


def scripted(script: list[tuple[str, float | None, float | None, float]], seconds: float):
    model = ScriptedModel(script)
    shown: list[tuple[float, float]] = []
    settings = SolverSettings(seconds, 2, 7)
    result, searches = restarts.solve_round(
        model, None, settings, seconds, "start", lambda v, b, t: shown.append((v, b)), StopRequest()
    )
    return model, result, searches, shown


def test_the_round_keeps_the_best_plan_and_the_highest_bound() -> None:
    script = [
        ("FEASIBLE", 100, 50, 10),  # from the round's start
        ("FEASIBLE", 90, 40, 10),  # from no plan: at most a quarter of the round
        ("FEASIBLE", 95, 60, 12),  # from the best plan so far
        ("FEASIBLE", 200, 0, 5),  # from no plan, far above the best: no more of those
        ("FEASIBLE", 92, 55, 3),  # from the best plan so far again
    ]
    model, result, searches, shown = scripted(script, 40.0)
    assert searches == 5
    assert model.hinted == ["start", None, "plan of search 2", None, "plan of search 2"]
    assert model.given == [40, 10, 20, 8, 3]
    assert model.seeds == [7, 8, 9, 10, 11]
    assert (result.objective, result.bound, result.status) == (90, 60, "FEASIBLE")
    assert result.schedule == "plan of search 2" and result.seconds == 40
    values = [v for v, _ in shown if not math.isnan(v)]
    assert values == sorted(values, reverse=True)  # never a worse value than one shown before
    assert [b for _, b in shown] == [50] * 6 + [60] * 9  # the highest bound so far


def test_a_proof_in_any_search_ends_the_round_as_optimal() -> None:
    script = [("FEASIBLE", 100, 50, 8), ("OPTIMAL", 80, 80, 3), ("FEASIBLE", 70, 10, 8)]
    _, result, searches, _ = scripted(script, 60.0)
    assert searches == 2
    assert (result.objective, result.bound, result.status, result.seconds) == (80, 80, "OPTIMAL", 11)


def test_a_round_without_a_plan_says_so() -> None:
    model, result, searches, shown = scripted([("UNKNOWN", None, None, 4)] * 3, 9.0)
    assert searches == 3 and result.schedule is None and result.objective is None
    assert result.status == "UNKNOWN" and result.seconds == 9
    assert model.hinted == ["start", None, "start"]  # no plan: no more searches from none
    assert all(math.isnan(v) for v, _ in shown)


def orb03_model():
    """orb03 (f = 1.3): a 10x10 weighted-tardiness job shop no short search proves."""
    scenario = jobshop_scenario("twt", "orb03_f1.3", 5, 2)
    problem = build_scenario_problem(scenario, grade_scenario(scenario))
    start = insert_unscheduled(dispatch(problem, "edd"))
    return CpSatModel(problem), COST, start


def test_one_worker_never_ends_a_search_for_a_stall() -> None:
    """A stall is wall-clock time: with one worker the plan must not depend on it."""
    model, round_, start = orb03_model()
    settings = SolverSettings(1.0, 1, 0)
    model.hint(start)
    plain = model.solve_round(round_, settings, 1.0, None, StopRequest())
    model.hint(start)
    stalled = model.solve_round(round_, settings, 1.0, None, StopRequest(), None, 0.0)
    assert plain.status == "FEASIBLE"  # not proved: the search ran its whole time
    assert (stalled.status, stalled.objective) == (plain.status, plain.objective)
    assert stalled.schedule is not None and plain.schedule is not None
    assert stalled.schedule.start == plain.schedule.start
    assert stalled.schedule.machine == plain.schedule.machine


def test_a_search_stalls_after_stall_s_or_the_patience_it_has_needed() -> None:
    assert not stall_over(now=2.9, moved_at=1.0, stall_s=2.0)
    assert stall_over(now=3.1, moved_at=1.0, stall_s=2.0)
    late = 40.0  # a search still improving after 40 s gets PATIENCE * 40 s, not 2 s
    assert not stall_over(now=late + 0.99 * PATIENCE * late, moved_at=late, stall_s=2.0)
    assert stall_over(now=late + 1.01 * PATIENCE * late, moved_at=late, stall_s=2.0)


def test_several_workers_end_a_search_that_stalls() -> None:
    """A search with nothing new for ``stall_s`` (and PATIENCE times the time it took to its
    last plan) ends long before its time runs out, with the best plan it found."""
    model, round_, start = orb03_model()
    model.hint(start)
    outcome = model.solve_round(round_, SolverSettings(600, 2, 0), 600, None, StopRequest(), None, 0.5)
    assert outcome.status == "FEASIBLE" and outcome.schedule is not None
    assert outcome.objective is not None and outcome.objective < start.objective_value("weighted_tardiness")
    assert outcome.seconds < 300


def test_a_small_plant_with_several_workers_is_still_proven() -> None:
    """The restarting path (two workers, a small plan) finds and proves the optimum."""
    scenario = flow_shop_scenario(10, workers=2)
    plan = make_plan(scenario, solve_options(scenario))
    assert plan.tables.summary["objective_value"] == best_permutation_cost()
    assert plan.tables.summary["status"] == "optimal"
