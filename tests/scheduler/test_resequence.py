"""Neighbourhoods held in sequence: held work keeps machine and order, the search finds optima."""

from __future__ import annotations

import itertools
import random

from scenarios.contract.model import scenario_from_tables
from scenarios.generators.jobshop import flexible_tables, jobshop_settings, longest_minutes
from scenarios.pipelines.schedule import build_scenario_problem, grade_scenario, make_plan, solve_options
from scheduler import lns
from scheduler.cpsat.model import CpSatModel, SolverSettings
from scheduler.dispatch import dispatch
from scheduler.insertion import insert_unscheduled
from scheduler.lns import solve_step
from scheduler.objectives import Objective
from scheduler.problem import ProblemData
from scheduler.resequence import KINDS, freed_operations, held_in_sequence, improve_in_sequence
from scheduler.schedule import Schedule
from scheduler.stop import StopRequest
from tests.helpers.plants import seeded_plant

# a two-machine flow shop: every job on M0, then on M1 (minutes), due dates, weights 1/2/4
FLOW = [(7, 3), (2, 9), (5, 5), (8, 2), (4, 6), (3, 8)]
DUE = [12, 20, 15, 30, 18, 25]
WEIGHT = [4, 1, 2, 4, 1, 2]


def flow_shop() -> ProblemData:
    jobs = [[[(0, a)], [(1, b)]] for a, b in FLOW]
    tables = flexible_tables(jobs, DUE, WEIGHT)
    settings = jobshop_settings([[t] for t in longest_minutes(jobs)], "weighted_tardiness", 5, 1)
    scenario = scenario_from_tables("flow", settings, tables)
    return build_scenario_problem(scenario, grade_scenario(scenario))


def best_permutation_cost() -> int:
    """By enumeration: on two machines a job order shared by both is never beaten (any
    regular objective), so the best of the 720 orders is the optimum."""
    best = None
    for order in itertools.permutations(range(len(FLOW))):
        first = second = cost = 0
        for j in order:
            first += FLOW[j][0]
            second = max(second, first) + FLOW[j][1]
            cost += WEIGHT[j] * max(0, second - DUE[j])
        best = cost if best is None else min(best, cost)
    assert best is not None
    return best


def test_held_work_keeps_its_machine_and_its_order() -> None:
    scenario = seeded_plant(60)
    p = build_scenario_problem(scenario, grade_scenario(scenario))
    s = insert_unscheduled(dispatch(p, "edd"))
    model = CpSatModel(p)
    freed = freed_operations(s, "orders", 0.2, random.Random(3))
    assert freed
    step = SolverSettings(3.0, 1, 0)
    held = held_in_sequence(model, s, freed)
    found, _, _ = solve_step(held, s, step, 3.0, StopRequest(), Objective.WEIGHTED_TARDINESS)
    assert found.tier_cost() <= s.tier_cost()
    for i in range(len(p.orders)):
        if not all(k in freed for k in p.orders[i].operations):
            assert found.is_scheduled(i) == s.is_scheduled(i)
    for m, on in enumerate(s.operations_on):
        held = [k for k in sorted(on, key=lambda k: s.start[k]) if k not in freed]
        assert all(found.machine[k] == m for k in held)
        if p.machines[m].capacity == 1:
            assert sorted(held, key=lambda k: found.start[k]) == held


def test_each_kind_frees_movable_work_only() -> None:
    scenario = seeded_plant(60)
    p = build_scenario_problem(scenario, grade_scenario(scenario))
    s = insert_unscheduled(dispatch(p, "atc"))
    for kind in KINDS:
        freed = freed_operations(s, kind, 0.3, random.Random(5))
        assert freed, kind
        assert all(p.operations[k].order in p.movable_orders and k not in p.fixed for k in freed)


def test_the_search_reaches_the_flow_shops_optimum_from_its_worst_rule() -> None:
    p = flow_shop()
    starts = [insert_unscheduled(dispatch(p, rule)) for rule in ("edd", "wspt", "atc")]
    worst = max(starts, key=lambda s: s.tier_cost())
    optimum = best_permutation_cost()
    assert worst.tier_cost() > optimum  # the search has something to do
    found, steps, better = improve_in_sequence(CpSatModel(p), worst, SolverSettings(2.0, 1, 0), 2.0)
    assert better >= 1 and steps >= better
    assert found.tier_cost() == optimum


def test_one_worker_search_is_repeatable() -> None:
    scenario = seeded_plant(60)
    p = build_scenario_problem(scenario, grade_scenario(scenario))
    start = insert_unscheduled(dispatch(p, "wspt"))
    runs = [improve_in_sequence(CpSatModel(p), start, SolverSettings(1.0, 1, 7), 1.0) for _ in range(2)]
    assert runs[0] == runs[1]
    assert isinstance(runs[0][0], Schedule)


def test_small_plans_with_one_worker_search_in_sequence_and_pass_the_checker(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    calls: list[int] = []
    original = improve_in_sequence

    def counted(*args, **kwargs):  # type: ignore[no-untyped-def]
        calls.append(1)
        return original(*args, **kwargs)

    monkeypatch.setattr("scheduler.solve.ONE_WORKER_FULL_SECONDS", 1.0)
    monkeypatch.setattr("scheduler.resequence.improve_in_sequence", counted)
    scenario = seeded_plant(40, time_limit=4.0)
    plan = make_plan(scenario, solve_options(scenario))  # raises if the independent check fails
    s = plan.tables.summary
    assert calls == [1]
    assert [r["name"] for r in s["solver"]["rounds"]][-1] == "neighbourhoods"
    assert s["objective_value"] <= min(s["solver"]["dispatch_rules"].values())


def test_a_lexicographic_search_draws_its_orders_for_the_best_tier_in_both_kinds_of_step(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    draws: list[tuple[str, bool]] = []
    original = lns.choose_orders

    def recorded(p, s, kind, size, rng, by_tier=False):  # type: ignore[no-untyped-def]
        draws.append((kind, by_tier))
        return original(p, s, kind, size, rng, by_tier)

    monkeypatch.setattr(lns, "choose_orders", recorded)
    scenario = seeded_plant(60)
    p = build_scenario_problem(scenario, grade_scenario(scenario))
    start = insert_unscheduled(dispatch(p, "edd"))
    for objective, by_tier in ((Objective.LEXICOGRAPHIC, True), (Objective.WEIGHTED_TARDINESS, False)):
        draws.clear()
        improve_in_sequence(CpSatModel(p), start, SolverSettings(2.0, 1, 0), 2.0, objective=objective)
        # the steps held in time draw by their kinds (scheduler/lns.py KINDS), those held in
        # sequence by "costly", "time" or "material" for a share of the orders
        assert len(draws) >= 2 and {b for _, b in draws} == {by_tier}
