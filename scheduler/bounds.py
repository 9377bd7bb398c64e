"""A lower bound of the weighted cost that holds for every plan.

Each order costs at least its weight times the tardiness it would have if it ran alone
(earliest start chain through its steps and working time), or its unscheduled penalty if
even alone it cannot end inside the horizon. Scarce material adds the cheapest way to
leave enough orders out: for every material whose demand exceeds what arrives in the
horizon, enough of its users must go, each costing its penalty less its least cost. That
covering problem over all scarce materials at once (an order may need several) is solved
by CP-SAT within a few seconds; its proven bound is what is added, so a search cut short
still gives a valid, if weaker, bound. The cheapest covering it finds is also a start for
the search: a dispatch rule that leaves exactly those orders out (see scheduler/solve.py).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from scheduler.problem import ProblemData

MATERIAL_SECONDS = 5.0  # the most the covering problem may take
COST_SCALE = 1000  # costs are rounded down to thousandths: the bound stays below the true one


def order_floors(problem: ProblemData) -> tuple[list[float], list[bool]]:
    """Per order, the least it can cost, and whether it can be planned at all."""
    floors, possible = [], []
    for i, order in enumerate(problem.orders):
        end = problem.earliest_completions[i]
        fits = end <= problem.horizon
        possible.append(fits)
        floors.append(order.weight * max(0, end - order.due) if fits else problem.unscheduled_penalty(i))
    return floors, possible


def material_shortfalls(problem: ProblemData, possible: list[bool]) -> dict[int, tuple[int, dict[int, int]]]:
    """Per scarce material: how much more its plannable, free orders ask than arrives in
    the horizon (after the frozen orders' share), and what each of those orders needs."""
    need: dict[int, dict[int, int]] = {}
    for d in problem.demands:
        if possible[d.order]:
            per = need.setdefault(d.material, {})
            per[d.order] = per.get(d.order, 0) + d.quantity
    frozen = problem.frozen_orders
    out = {}
    for material, per_order in need.items():
        excess = sum(per_order.values()) - problem.materials[material].supply_until(problem.horizon)
        free = {i: q for i, q in per_order.items() if q > 0 and i not in frozen}
        if 0 < excess <= sum(free.values()):  # beyond that there is no plan at all
            out[material] = (excess, free)
    return out


@dataclass(frozen=True)
class MaterialChoice:
    """The covering problem's outcome: its proven least extra cost, and the cheapest set of
    orders found that leaves every scarce material enough (empty when none is short)."""

    extra_cost: float = 0.0
    left_out: frozenset[int] = frozenset()


def material_choice(
    problem: ProblemData,
    floors: list[float],
    possible: list[bool],
    seconds: float = MATERIAL_SECONDS,
    workers: int = 0,
) -> MaterialChoice:
    """The least extra cost of leaving out enough orders for every scarce material at once."""
    shortfalls = material_shortfalls(problem, possible)
    if not shortfalls:
        return MaterialChoice()
    from ortools.sat.python import cp_model  # CP-SAT loads only when there is scarce material

    users = sorted({i for _, free in shortfalls.values() for i in free})
    extra = {i: max(0.0, problem.unscheduled_penalty(i) - floors[i]) for i in users}
    scale = min(COST_SCALE, (1 << 52) / max(1.0, sum(extra.values())))
    model = cp_model.CpModel()
    left_out = {i: model.new_bool_var(f"left_out_{i}") for i in users}
    for excess, free in shortfalls.values():
        model.add(sum(q * left_out[i] for i, q in free.items()) >= excess)
    model.minimize(sum(int(extra[i] * scale) * left_out[i] for i in users))
    solver = cp_model.CpSolver()
    solver.parameters.num_workers = workers
    solver.parameters.catch_sigint_signal = False  # else CP-SAT leaves SIGINT at its default: death
    solver.parameters.cp_model_presolve = False  # presolve alone took over a second on 770 orders;
    # without it the 2,000-order plant's covering is optimal in 0.14 s
    if workers == 1:  # repeatable: a limit in work, not in seconds
        solver.parameters.max_deterministic_time = seconds
    else:
        solver.parameters.max_time_in_seconds = seconds
    status = solver.solve(model)
    found = solver.best_objective_bound
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE, cp_model.UNKNOWN) or not math.isfinite(found):
        return MaterialChoice()  # pragma: no cover - each material alone is coverable, so is the whole
    found_one = status != cp_model.UNKNOWN
    chosen = frozenset(i for i in users if found_one and solver.value(left_out[i]))
    return MaterialChoice(max(0.0, found) / scale, chosen)


def search_free_bound(
    problem: ProblemData, seconds: float = MATERIAL_SECONDS, workers: int = 0
) -> tuple[float, MaterialChoice]:
    """A lower bound of weighted tardiness plus penalties, and the material choice behind it."""
    floors, possible = order_floors(problem)
    choice = material_choice(problem, floors, possible, seconds, workers)
    return sum(floors) + choice.extra_cost, choice


def cost_lower_bound(
    problem: ProblemData,
    tier_rank: int | None = None,
    seconds: float = MATERIAL_SECONDS,
    workers: int = 0,
) -> float:
    """A lower bound of weighted tardiness plus penalties (of one tier: without the material
    term, since other tiers' orders may give way)."""
    if tier_rank is not None:
        floors, _ = order_floors(problem)
        return sum(f for f, o in zip(floors, problem.orders, strict=True) if o.tier_rank == tier_rank)
    return search_free_bound(problem, seconds, workers)[0]
