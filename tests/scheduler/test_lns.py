"""Large neighbourhood search: sub-problems keep the rest of the plan, improvements are real."""

from __future__ import annotations

import random
from pathlib import Path

import pytest
import tomli_w

from scenarios.contract.model import scenario_from_tables
from scenarios.generators.scenario import PlantSpec, generate
from scenarios.pipelines.schedule import (
    build_scenario_problem,
    check_context,
    grade_scenario,
    make_plan,
    solve_options,
)
from scheduler.check import check_plan
from scheduler.cpsat.model import CpSatModel, SolverSettings
from scheduler.dispatch import dispatch
from scheduler.insertion import insert_unscheduled
from scheduler.lns import MAX_IDLE_STEPS, MIN_STEP_SECONDS, KindChooser, choose_orders, gain, improve
from scheduler.neighbourhood import merge, neighbourhood, restrict
from scheduler.objectives import COMPACT
from scheduler.schedule import Schedule
from tests.helpers.plants import changeover_shop, seeded_plant


def test_a_neighbourhood_round_trips_and_blocks_the_rest() -> None:
    scenario = seeded_plant(60)
    p = build_scenario_problem(scenario, grade_scenario(scenario))
    s = insert_unscheduled(dispatch(p, "atc"))
    chosen = choose_orders(p, s, "time", 10, random.Random(1))
    n = neighbourhood(p, s, chosen)
    assert set(n.orders) >= chosen
    part = restrict(s, n)
    assert merge(s, n, part) == s
    assert part.tier_cost() <= s.tier_cost()
    held = [
        k for k in range(len(p.operations)) if s.machine[k] >= 0 and p.operations[k].order not in n.orders
    ]
    for k in held:  # every held operation stays on its machine in the sub-problem
        kept = n.problem.machines[s.machine[k]].held
        assert any(h.start == s.start[k] and h.end == s.end[k] for h in kept)


def test_search_improves_and_every_plan_holds() -> None:
    scenario = seeded_plant(60)
    p = build_scenario_problem(scenario, grade_scenario(scenario))
    start = insert_unscheduled(dispatch(p, "edd"))
    better, steps, improved = improve(start, SolverSettings(1.5, 1, 0), 1.5)
    assert steps >= 1 and better.tier_cost() <= start.tier_cost()
    assert (improved > 0) == (better.tier_cost() < start.tier_cost())


@pytest.mark.slow
def test_large_plants_go_through_neighbourhoods_and_pass_the_checker(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr("scheduler.solve.EXACT_ARCS", 10**9)  # the full model is exact: it runs first
    scenario = seeded_plant(120, time_limit=2.0)
    plan = make_plan(scenario, solve_options(scenario))  # raises if the independent check fails
    s = plan.tables.summary
    assert [r["name"] for r in s["solver"]["rounds"]] == ["weighted tardiness", "neighbourhoods"]
    t = plan.tables
    assert check_plan(check_context(scenario, plan.tiers), t.schedule, t.orders, t.materials, t.summary) == []
    assert s["objective_value"] <= min(s["solver"]["dispatch_rules"].values())


def test_one_worker_search_is_repeatable() -> None:
    scenario = seeded_plant(60)
    p = build_scenario_problem(scenario, grade_scenario(scenario))
    start = insert_unscheduled(dispatch(p, "wspt"))
    first = improve(start, SolverSettings(1.0, 1, 7), 1.0)
    second = improve(start, SolverSettings(1.0, 1, 7), 1.0)
    assert first == second


def test_a_lone_freed_operation_keeps_its_changeover_after_a_held_one(tmp_path: Path) -> None:
    # A1 (dark) runs 0-30 and stays; C1 (light) is freed alone and pulled as early as it
    # may go: an hour after A1 ends for the switch to light, at 90, not at 30.
    from scenarios.contract.model import load_scenario
    from tests.helpers import write_scenario

    tables = changeover_shop()
    tables["orders"] = tables["orders"][:2]
    scenario = load_scenario(write_scenario(tmp_path / "s", tables))
    p = build_scenario_problem(scenario, grade_scenario(scenario))
    assert _start_when_freed_alone(p, {"A1": 0, "C1": 300}, "C1") == 90


def _start_when_freed_alone(p, starts: dict[str, int], freed: str) -> int:  # type: ignore[no-untyped-def]
    """Two one-step orders on machine 0 at ``starts``; ``freed`` alone is re-planned as early
    as it may go (the other held), and its new start comes back."""
    first = {o.id: o.first_op for o in p.orders}
    start = [0] * len(p.operations)
    for order_id, minute in starts.items():
        start[first[order_id]] = minute
    s = Schedule(p, (0,) * len(p.operations), tuple(start))
    n = neighbourhood(p, s, {next(i for i, o in enumerate(p.orders) if o.id == freed)})
    model = CpSatModel(n.problem)
    model.hint(restrict(s, n))
    model.require_scheduled([0])
    outcome = model.solve_round(COMPACT, SolverSettings(5.0, 1, 0), 5.0)
    assert outcome.schedule is not None
    return merge(s, n, outcome.schedule).start[first[freed]]


@pytest.mark.slow
def test_lexicographic_plans_of_large_plants_go_through_neighbourhoods_too() -> None:
    doc, raw = generate(PlantSpec(orders=120, seed=3, horizon_days=7))
    doc["solve"] = {"objective": "lexicographic", "time_limit_s": 3.0, "workers": 1, "seed": 0}
    scenario = scenario_from_tables("plant", tomli_w.dumps(doc), raw)
    plan = make_plan(scenario, solve_options(scenario))  # raises if the independent check fails
    rounds = [r["name"] for r in plan.tables.summary["solver"]["rounds"]]
    # changeovers make the full model too large to be exact: with the search-free floor as
    # the bound (the lexicographic starts compute it too), the neighbourhoods get the time
    assert rounds == ["neighbourhoods"]
    problem = plan.result.schedule.problem
    rule = min(
        insert_unscheduled(dispatch(problem, r)).objective_vector("lexicographic") for r in ("tier_edd",)
    )
    assert plan.result.schedule.objective_vector("lexicographic") <= rule


@pytest.mark.parametrize("limit", ["FULL_MODEL_MAX_OPERATIONS", "EXACT_ARCS"])
def test_beyond_the_full_model_size_plans_come_from_neighbourhoods_alone(monkeypatch, limit: str) -> None:  # type: ignore[no-untyped-def]
    """Too many operations, or a full model that could only be relaxed (no plan, a bound
    weaker than the search-free one): the neighbourhoods get all the time."""
    from scheduler.bounds import cost_lower_bound

    monkeypatch.setattr(f"scheduler.solve.{limit}", 100)
    scenario = seeded_plant(60, time_limit=2.0)
    plan = make_plan(scenario, solve_options(scenario))  # raises if the independent check fails
    s = plan.tables.summary
    assert [r["name"] for r in s["solver"]["rounds"]] == ["neighbourhoods"]
    assert s["best_bound"] == cost_lower_bound(plan.result.schedule.problem) <= s["objective_value"]
    assert s["objective_value"] <= min(s["solver"]["dispatch_rules"].values())


def _empty_operation_shop(tmp_path: Path):  # type: ignore[no-untyped-def]
    """Z takes no time (0 min/unit, family light); A (dark) takes 60 min; an hour to switch."""
    from scenarios.contract.model import load_scenario
    from tests.helpers import write_scenario

    tables = changeover_shop()
    tables["orders"] = [tables["orders"][0], {**tables["orders"][1], "order_id": "Z"}]
    tables["orders"][0]["quantity"] = 60
    tables["routings"][1]["minutes_per_unit"] = 0.0
    scenario = load_scenario(write_scenario(tmp_path / "s", tables))
    return build_scenario_problem(scenario, grade_scenario(scenario))


def test_an_empty_held_operation_is_neither_run_across_nor_denied_its_changeover(tmp_path: Path) -> None:
    # Z (empty, light) is held at minute 30; A1 (dark, 60 min) is freed and pulled early.
    # A1 may not run across minute 30, and before Z it must end an hour earlier: it has to
    # start at 30 + 60 = 90, after Z and the switch back to dark.
    p = _empty_operation_shop(tmp_path)
    assert _start_when_freed_alone(p, {"A1": 300, "Z": 30}, "A1") == 90


def test_the_timeline_keeps_the_changeover_to_an_empty_operation_where_an_operation_ends(
    tmp_path: Path,
) -> None:
    from scheduler.timeline import MachineState

    p = _empty_operation_shop(tmp_path)
    a1, z = (next(o.first_op for o in p.orders if o.id == name) for name in ("A1", "Z"))
    state = MachineState(p.machines[0])
    state.place(60, 60, p.mode(z, 0).family)  # Z, empty, at minute 60
    # A1 [0, 60) would end where Z sits with no time to switch to light: it goes after Z
    assert state.earliest(0, p.mode(a1, 0)) == (120, 180)


def test_a_step_can_hand_stock_on_hand_to_an_urgent_order_days_earlier(tmp_path: Path) -> None:
    """10 kg on hand, 10 kg more on day 4. The incumbent gives the stock to C-order X (due
    day 6) and lets A-order Y (due day 1) wait for the receipt: 4,330 min late. Swapping
    them moves each by four days, and then nobody is late."""
    from scenarios.contract.model import load_scenario
    from tests.helpers import at, customers, one_machine_shop, order_row, settings_text, write_scenario

    day = 1440
    tables = one_machine_shop(
        [order_row("X", 10, due=6 * day, customer="c"), order_row("Y", 10, due=day, customer="a")],
        customers=customers({"a": "A", "c": "C"}),
        materials=[{"material_id": "K", "on_hand": 10}],
        receipts=[{"material_id": "K", "arrival": at(4 * day), "quantity": 10.0}],
        bom=[{"product_id": "P", "material_id": "K", "quantity_per_unit": 1, "step": 10}],
    )
    scenario = load_scenario(write_scenario(tmp_path, tables, settings_text(horizon_days=7)))
    p = build_scenario_problem(scenario, grade_scenario(scenario))
    x, y = (next(i for i, o in enumerate(p.orders) if o.id == name) for name in ("X", "Y"))
    start = [0] * len(p.operations)
    start[p.orders[y].first_op] = 4 * day
    incumbent = Schedule(p, (0,) * len(p.operations), tuple(start))
    assert incumbent.objective_value("weighted_tardiness") == p.orders[y].weight * (4 * day + 10 - day)
    better, steps, improved = improve(incumbent, SolverSettings(2.0, 1, 0), 2.0)
    assert improved >= 1 and better.objective_value("weighted_tardiness") == 0
    assert steps <= 2.0 / MIN_STEP_SECONDS  # each tiny step still counts (it once ran 200 s)
    assert better.start[p.orders[y].first_op] < better.start[p.orders[x].first_op]


def test_material_neighbourhoods_free_the_users_of_materials_whose_orders_cost(tmp_path: Path) -> None:
    """EDD runs A1 (tier A, K1), B1 (tier C, K2), then the rest: A1 ends 5 min late, B1 11.
    A weighted step frees a costly material's users, its costliest among them; a
    lexicographic step (by tier) always frees K1's, for tier A."""
    from scenarios.contract.model import load_scenario
    from scheduler.lns import _material_users
    from tests.helpers import customers, order_row, settings_text, two_material_shop, write_scenario

    rows = [
        order_row("A1", 10, due=5, product="P1", customer="a"),
        order_row("A2", 10, due=1000, product="P1"),
        order_row("B1", 10, due=9, product="P2"),
        order_row("B2", 10, due=1000, product="P2"),
    ]
    tables = two_material_shop(rows, on_hand=100, customers=customers({"a": "A", "c": "C"}))
    scenario = load_scenario(write_scenario(tmp_path, tables, settings_text()))
    p = build_scenario_problem(scenario, grade_scenario(scenario))
    s = insert_unscheduled(dispatch(p, "edd"))
    ids = {o.id: i for i, o in enumerate(p.orders)}
    assert [s.tardiness(ids[o]) for o in ("A1", "A2", "B1", "B2")] == [5, 0, 11, 0]
    rng, everyone = random.Random(0), list(range(len(p.orders)))
    users = {"K1": {ids["A1"], ids["A2"]}, "K2": {ids["B1"], ids["B2"]}}
    for size in (1, 2, 4):
        chosen = _material_users(p, s, everyone, size, rng)
        costliest = ids["A1"] if chosen <= users["K1"] else ids["B1"]
        assert costliest in chosen and (chosen <= users["K1"] or chosen <= users["K2"])
        assert _material_users(p, s, everyone, size, rng, by_tier=True) >= {ids["A1"]}
        assert _material_users(p, s, everyone, size, rng, by_tier=True) <= users["K1"]


def test_a_search_whose_steps_free_nothing_ends(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    # with one worker the time only advances with a step that frees something: without the
    # idle limit this search would never end
    monkeypatch.setattr("scheduler.lns.choose_orders", lambda *args, **kwargs: set())
    scenario = seeded_plant(60)
    p = build_scenario_problem(scenario, grade_scenario(scenario))
    start = insert_unscheduled(dispatch(p, "edd"))
    found, steps, better = improve(start, SolverSettings(1.0, 1, 0), 1.0)
    assert (found, steps, better) == (start, MAX_IDLE_STEPS, 0)


def test_each_kind_is_tried_once_then_the_paying_kind_is_drawn_most() -> None:
    chooser = KindChooser(("material", "time", "costly"), random.Random(3))
    first = [chooser.next() for _ in range(3)]
    assert first == ["material", "time", "costly"]
    for kind in first:  # time gains 2 % in a second, the others nothing
        chooser.reward(kind, 0.02 if kind == "time" else 0.0, 1.0)
    drawn = [chooser.next() for _ in range(600)]
    # rates: time 0.2 * 0.02 = 0.004, the others 0; weights add 0.1 of their mean (0.004 / 3):
    # time 0.004133, the others 0.000133 each, so time is drawn 93.9 % of the time
    assert 0.9 < drawn.count("time") / 600 < 0.97
    assert drawn.count("material") > 0 and drawn.count("costly") > 0  # still explored


def test_kinds_take_turns_while_none_has_gained() -> None:
    chooser = KindChooser(("material", "time", "costly"), random.Random(3))
    for _ in range(3):
        chooser.reward(chooser.next(), 0.0, 2.0)
    assert [chooser.next() for _ in range(4)] == ["material", "time", "costly", "material"]


def test_a_kind_that_stops_paying_loses_its_lead() -> None:
    chooser = KindChooser(("material", "time"), random.Random(5))
    chooser.reward("time", 0.05, 1.0)
    chooser.reward("material", 0.01, 1.0)
    for _ in range(20):  # time's steps find nothing more
        chooser.reward("time", 0.0, 1.0)
    assert chooser.rate["time"] < chooser.rate["material"]


def test_a_step_gains_the_share_its_objective_fell_by() -> None:
    scenario = seeded_plant(60)
    p = build_scenario_problem(scenario, grade_scenario(scenario))
    worse, better = insert_unscheduled(dispatch(p, "edd")), insert_unscheduled(dispatch(p, "atc"))
    if worse.tier_cost() < better.tier_cost():
        worse, better = better, worse
    assert worse.tier_cost() > better.tier_cost()
    expected = (worse.tier_cost() - better.tier_cost()) / worse.tier_cost()
    assert gain(worse, better, "weighted_tardiness") == pytest.approx(expected)
    assert gain(better, worse, "weighted_tardiness") == 0.0
