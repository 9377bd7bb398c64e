"""Strict tier order: no tier ends worse than in any plan the same run found."""

from __future__ import annotations

import pytest
import tomli_w

import scheduler.solve as solve_module
from scenarios.contract.model import scenario_from_tables
from scenarios.generators.scenario import PlantSpec, generate
from scenarios.pipelines.schedule import build_scenario_problem, grade_scenario, solve_options
from scheduler.cpsat.model import CpSatModel
from scheduler.schedule import Schedule


@pytest.mark.parametrize(("orders", "seed"), [(20, 1), (24, 2), (30, 3), (30, 5)])
def test_each_tier_is_at_least_as_good_as_in_every_plan_of_the_run(
    orders: int, seed: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    doc, raw = generate(PlantSpec(orders=orders, seed=seed, horizon_days=7))
    doc["solve"] = {"objective": "lexicographic", "time_limit_s": 4, "workers": 2, "seed": 0}
    scenario = scenario_from_tables(f"lex-{seed}", tomli_w.dumps(doc), raw)
    problem = build_scenario_problem(scenario, grade_scenario(scenario))
    seen: list[Schedule] = []
    starts = solve_module.starting_plans

    def record_starts(*args, **kwargs):  # type: ignore[no-untyped-def]
        found = starts(*args, **kwargs)
        seen.extend(found.plans.values())
        return found

    rounds = CpSatModel.solve_round

    def record_round(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        outcome = rounds(self, *args, **kwargs)
        if outcome.schedule is not None:
            seen.append(outcome.schedule)
        return outcome

    monkeypatch.setattr(solve_module, "starting_plans", record_starts)
    monkeypatch.setattr(CpSatModel, "solve_round", record_round)
    result = solve_module.solve(problem, solve_options(scenario))
    names = [r.name for r in result.rounds]
    assert names[0] == "weighted tardiness (a start for the tiers)" and "tier A" in names
    final = result.schedule.objective_vector("lexicographic")
    complete = [s for s in seen if all(s.is_scheduled(i) for i in problem.frozen_orders)]
    assert len(complete) > 5
    for plan in complete:  # lexicographically no worse than any plan of the run
        assert final <= plan.objective_vector("lexicographic")
