"""Textbook shops that several test modules plan: job shops from tests/data/jobshop.json and
a two-machine flow shop whose optimum enumeration gives."""

from __future__ import annotations

import itertools
import json
from pathlib import Path

from scenarios.contract.model import Scenario, scenario_from_tables
from scenarios.generators.jobshop import flexible_tables, jobshop_settings, jobshop_tables, longest_minutes
from scenarios.pipelines.schedule import build_scenario_problem, grade_scenario
from scheduler.problem import ProblemData

DATA = json.loads((Path(__file__).parent.parent / "data" / "jobshop.json").read_text())

# a two-machine flow shop: every job on M0, then on M1 (minutes), due dates, weights 1/2/4
FLOW = [(7, 3), (2, 9), (5, 5), (8, 2), (4, 6), (3, 8)]
DUE = [12, 20, 15, 30, 18, 25]
WEIGHT = [4, 1, 2, 4, 1, 2]


def jobshop_scenario(kind: str, name: str, time_limit: float, workers: int = 1) -> Scenario:
    d = DATA[kind][name]
    tables = jobshop_tables(d["machines"], d["durations"], d.get("due_dates"), d.get("weights"))
    objective = "makespan" if kind == "makespan" else "weighted_tardiness"
    return scenario_from_tables(
        name, jobshop_settings(d["durations"], objective, time_limit, workers), tables
    )


def flow_shop_scenario(time_limit: float = 5, workers: int = 1) -> Scenario:
    jobs = [[[(0, a)], [(1, b)]] for a, b in FLOW]
    settings = jobshop_settings(
        [[t] for t in longest_minutes(jobs)], "weighted_tardiness", time_limit, workers
    )
    return scenario_from_tables("flow", settings, flexible_tables(jobs, DUE, WEIGHT))


def flow_shop() -> ProblemData:
    scenario = flow_shop_scenario()
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
