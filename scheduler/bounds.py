"""A lower bound of the weighted cost that holds for every plan.

Each order costs at least its weight times the tardiness it would have if it ran alone
(earliest start chain through its steps and working time), or its unscheduled penalty if
even alone it cannot end inside the horizon. Scarce material adds the larger of two
proven extra costs, both solved by CP-SAT within a few seconds (a search cut short still
gives a valid, if weaker, bound):

- the covering problem: for every material whose demand exceeds what arrives in the
  horizon, enough of its users must go, each costing its penalty less its least cost (all
  materials at once: an order may need several). The cheapest covering it finds is also a
  start for the search: a dispatch rule that leaves exactly those orders out;
- the timed-supply relaxation (scheduler/timed_supply.py): also orders that must wait
  for a receipt pay for the wait.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

from scheduler.problem import ProblemData

if TYPE_CHECKING:
    from ortools.sat.python import cp_model

MATERIAL_SECONDS = 5.0  # the most the material part of the bound may take
TIMED_SUPPLY_MIN_SECONDS = 0.05  # with less left the timed-supply model is not built
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


def leave_out_extra(problem: ProblemData, floors: list[float], order: int) -> float:
    """What leaving ``order`` out costs above its floor."""
    return max(0.0, problem.unscheduled_penalty(order) - floors[order])


def material_needs(problem: ProblemData, possible: list[bool]) -> dict[int, dict[int, int]]:
    """Per material, what each plannable order that uses it needs."""
    need: dict[int, dict[int, int]] = {}
    for d in problem.demands:
        if possible[d.order]:
            per = need.setdefault(d.material, {})
            per[d.order] = per.get(d.order, 0) + d.quantity
    return need


def material_shortfalls(problem: ProblemData, possible: list[bool]) -> dict[int, tuple[int, dict[int, int]]]:
    """Per material short in the horizon: how much more its plannable, free orders ask than
    arrives in the horizon (after the frozen orders' share), and what each of them needs."""
    frozen = problem.frozen_orders
    out = {}
    for material, per_order in material_needs(problem, possible).items():
        excess = sum(per_order.values()) - problem.materials[material].supply_until(problem.horizon)
        free = {i: q for i, q in per_order.items() if q > 0 and i not in frozen}
        if 0 < excess <= sum(free.values()):  # beyond that there is no plan at all
            out[material] = (excess, free)
    return out


@dataclass(frozen=True)
class MaterialChoice:
    """The covering problem's proven least extra cost, and the cheapest set of orders found
    that leaves every material short in the horizon enough (empty when none is)."""

    extra_cost: float = 0.0
    left_out: frozenset[int] = frozenset()
    seconds: float = 0.0  # spent on it (with one worker: work units)


def _scale(problem: ProblemData, floors: list[float], orders: set[int]) -> float:
    """Costs are whole multiples of 1 / scale in the models (rounded down: bounds stay valid)."""
    extra = sum(leave_out_extra(problem, floors, i) for i in orders)
    return min(COST_SCALE, (1 << 52) / max(1.0, extra))


def _solve(
    model: cp_model.CpModel, seconds: float, workers: int, scale: float
) -> tuple[cp_model.CpSolver, bool, float]:
    """Solve for a bound: the solver, whether a solution was found, and the proven bound
    (in cost units; 0 when the model has no solution at all)."""
    from ortools.sat.python import cp_model  # CP-SAT loads only when there is scarce material

    solver = cp_model.CpSolver()
    solver.parameters.num_workers = workers
    solver.parameters.catch_sigint_signal = False  # else CP-SAT leaves SIGINT at its default: death
    # presolve alone took over a second on 770 orders' covering; it also hides the timed
    # model's LP (bound below 0 after 5 s on 2,000 orders, 1.5 M without it)
    solver.parameters.cp_model_presolve = False
    if workers == 1:  # repeatable: a limit in work, not in seconds
        solver.parameters.max_deterministic_time = seconds
    else:
        solver.parameters.max_time_in_seconds = seconds
    status = solver.solve(model)
    found = solver.best_objective_bound
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE, cp_model.UNKNOWN) or not math.isfinite(found):
        return solver, False, 0.0  # no allocation at all: the plant has no plan, nothing to add
    return solver, status != cp_model.UNKNOWN, max(0.0, found) / scale


def material_choice(
    problem: ProblemData,
    floors: list[float],
    possible: list[bool],
    seconds: float = MATERIAL_SECONDS,
    workers: int = 0,
) -> MaterialChoice:
    """The covering problem: the least extra cost of leaving enough orders out for every
    material short in the horizon, and the cheapest such set found."""
    from ortools.sat.python import cp_model  # CP-SAT loads only when there is scarce material

    began = time.perf_counter()
    shortfalls = material_shortfalls(problem, possible)
    if not shortfalls:
        return MaterialChoice()
    users = sorted({i for _, free in shortfalls.values() for i in free})
    scale = _scale(problem, floors, set(users))
    model = cp_model.CpModel()
    out = {i: model.new_bool_var(f"left_out_{i}") for i in users}
    for excess, free in shortfalls.values():
        model.add(sum(q * out[i] for i, q in free.items()) >= excess)
    model.minimize(sum(int(leave_out_extra(problem, floors, i) * scale) * out[i] for i in users))
    solver, found_one, bound = _solve(model, seconds, workers, scale)  # 0.14 s at 2,000 orders
    left_out = frozenset(i for i in users if found_one and solver.value(out[i]))
    spent = solver.deterministic_time if workers == 1 else time.perf_counter() - began
    return MaterialChoice(bound, left_out, spent)


def timed_supply_extra(
    problem: ProblemData, floors: list[float], possible: list[bool], seconds: float, workers: int = 0
) -> float:
    """The timed-supply relaxation's proven least extra cost (0 when there is no time)."""
    from scheduler.timed_supply import timed_supply_model

    if seconds < TIMED_SUPPLY_MIN_SECONDS:
        return 0.0
    scale = _scale(problem, floors, {d.order for d in problem.demands if possible[d.order]})
    model = timed_supply_model(problem, floors, possible, scale)
    if model is None:
        return 0.0
    return _solve(model, seconds, workers, scale)[2]


def search_free_bound(
    problem: ProblemData, seconds: float = MATERIAL_SECONDS, workers: int = 0, timed: bool = True
) -> tuple[float, MaterialChoice]:
    """A lower bound of weighted tardiness plus penalties, and the covering behind it; the
    timed-supply relaxation (``timed``) gets the seconds the covering leaves."""
    floors, possible = order_floors(problem)
    choice = material_choice(problem, floors, possible, seconds, workers)
    extra = choice.extra_cost
    if timed:
        extra = max(extra, timed_supply_extra(problem, floors, possible, seconds - choice.seconds, workers))
    return sum(floors) + extra, choice


def timed_supply_bound(problem: ProblemData, seconds: float, workers: int = 0) -> float:
    """The orders' floors plus the timed-supply relaxation's extra cost."""
    floors, possible = order_floors(problem)
    return sum(floors) + timed_supply_extra(problem, floors, possible, seconds, workers)


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
