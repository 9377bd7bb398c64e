"""The CP-SAT models of the lower bound (scheduler/bounds.py): the covering problem and
the timed-supply relaxation of scarce material.

The covering problem: for every material whose demand exceeds what arrives in the
horizon, enough of its users must go, each costing its penalty less its least cost.

The timed-supply relaxation: stock on hand and receipts split the horizon into supply
periods per material. Each use of a scarce material (one whose plannable orders ask more
than the stock on hand) is given the period in which its operation starts, or its order is
left out; what is used up to the end of a period must have arrived by then. Starting in a
later period costs the tardiness of the order's earliest end from that period's receipt on
(machines and other orders ignored), above the order's own floor. Every plan gives such an
allocation at no more than its cost, so the model's proven least cost is a lower bound of
the extra cost of material. It generalises the covering problem (the last period's
constraint).
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

from ortools.sat.python import cp_model

from scheduler.allocation import Allocation, allocation
from scheduler.floors import (
    MaterialChoice,
    SupplyUses,
    cost_scale,
    leave_out_extra,
    material_shortfalls,
)
from scheduler.problem import ProblemData


def solve_for_bound(
    model: cp_model.CpModel, seconds: float, workers: int, scale: float
) -> tuple[cp_model.CpSolver, bool, float]:
    """Solve for a bound: the solver, whether a solution was found, and the proven bound
    (in cost units; 0 when the model has no solution at all)."""
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


def covering_choice(
    problem: ProblemData,
    floors: list[float],
    possible: list[bool],
    seconds: float,
    workers: int = 0,
) -> MaterialChoice:
    """The covering problem: the least extra cost of leaving enough orders out for every
    material short in the horizon, and the cheapest such set found."""
    began = time.perf_counter()
    shortfalls = material_shortfalls(problem, possible)
    if not shortfalls:
        return MaterialChoice()
    users = sorted({i for _, free in shortfalls.values() for i in free})
    scale = cost_scale(problem, floors, problem.with_followers(users))
    model = cp_model.CpModel()
    out = {i: model.new_bool_var(f"left_out_{i}") for i in users}
    for excess, free in shortfalls.values():
        model.add(sum(q * out[i] for i, q in free.items()) >= excess)
    costs: list[cp_model.LinearExprT] = [
        int(leave_out_extra(problem, floors, i) * scale) * out[i] for i in users
    ]
    costs += leave_waiting_out(model, problem, floors, out, scale)
    model.minimize(sum(costs))
    solver, found_one, bound = solve_for_bound(model, seconds, workers, scale)  # 0.14 s at 2,000 orders
    left_out = frozenset(i for i, x in out.items() if found_one and solver.value(x))
    spent = solver.deterministic_time if workers == 1 else time.perf_counter() - began
    return MaterialChoice(bound, left_out, spent)


def leave_waiting_out(
    model: cp_model.CpModel,
    problem: ProblemData,
    floors: list[float],
    out: dict[int, cp_model.IntVar],
    scale: float,
) -> list[cp_model.LinearExprT]:
    """An order left out leaves out every order that waits for it (after_order): each of
    those gets a literal in ``out`` (added), implied, at its extra cost (the terms returned);
    an order that a frozen one waits for cannot leave."""
    frozen = problem.frozen_orders
    terms: list[cp_model.LinearExprT] = []
    stack = list(out)
    while stack:
        i = stack.pop()
        for j in problem.successors[i]:
            if j in frozen:
                model.add(out[i] == 0)
                continue
            if j not in out:
                out[j] = model.new_bool_var(f"left_out_{j}")
                terms.append(int(leave_out_extra(problem, floors, j) * scale) * out[j])
                stack.append(j)
            model.add_implication(out[i], out[j])
    return terms


@dataclass(frozen=True)
class TimedSupply:
    """The timed-supply model and the literals of its decisions: which orders leave, and for
    each use of a scarce material (as in ``SupplyUses.uses``), the literal of each period."""

    model: cp_model.CpModel
    left_out: dict[int, cp_model.IntVar]
    taken: list[list[tuple[int, cp_model.IntVar]]]  # per use: (period index, literal)
    latest: dict[int, cp_model.IntVar]  # per order with several uses: the cost of its latest


def timed_supply_model(
    problem: ProblemData, floors: list[float], possible: list[bool], data: SupplyUses, scale: float
) -> TimedSupply:
    """The relaxation as a CP-SAT model whose objective is the extra cost times ``scale``
    (rounded down)."""
    p = problem
    users = sorted({d.order for d in data.uses})
    extra = {i: int(leave_out_extra(p, floors, i) * scale) for i in users}
    model = cp_model.CpModel()
    left_out = {i: model.new_bool_var(f"left_out_{i}") for i in users if i not in p.frozen_orders}
    costs_of: dict[int, list[cp_model.LinearExprT]] = {i: [] for i in users}
    in_period: dict[tuple[int, int], list[cp_model.LinearExprT]] = {}
    taken = []
    for d, options in zip(data.uses, data.options, strict=True):
        chosen = [(r, int(c * scale), model.new_bool_var("")) for r, c in options]
        taken.append([(r, y) for r, _, y in chosen])
        model.add(sum(y for *_, y in chosen) + left_out.get(d.order, 0) == 1)
        costs_of[d.order].append(sum(c * y for _, c, y in chosen))
        for r, _, y in chosen:
            in_period.setdefault((d.material, r), []).append(d.quantity * y)
    for m, periods in data.periods.items():  # what is used by the end of each period has arrived by then
        used: list[cp_model.LinearExprT] = []
        for r, (_, supply) in enumerate(periods):
            if (m, r) in in_period:
                used.extend(in_period[m, r])
                model.add(sum(used) <= supply)
    terms: list[cp_model.LinearExprT] = [extra[i] * x for i, x in left_out.items()]
    terms += leave_waiting_out(model, p, floors, left_out, scale)
    latest = {}
    for i, costs in costs_of.items():
        if len(costs) == 1:
            terms.append(costs[0])
        else:  # the latest of its uses decides when the order can end
            latest[i] = model.new_int_var(0, extra[i], "")
            for c in costs:
                model.add(latest[i] >= c)
            terms.append(latest[i])
    model.minimize(sum(terms))
    return TimedSupply(model, left_out, taken, latest)


def hint_allocation(timed: TimedSupply, data: SupplyUses, allocation: Allocation, scale: float) -> None:
    """Start the search from ``allocation`` (every variable hinted)."""
    model = timed.model
    for i, x in timed.left_out.items():
        model.add_hint(x, i in allocation.left_out)
    latest: dict[int, int] = {}
    for u, options in enumerate(timed.taken):
        r_chosen = allocation.chosen.get(u)
        for r, y in options:
            model.add_hint(y, r == r_chosen)
        if r_chosen is not None:
            i = data.uses[u].order
            latest[i] = max(latest.get(i, 0), int(dict(data.options[u])[r_chosen] * scale))
    for i, v in timed.latest.items():
        model.add_hint(v, latest.get(i, 0))


def timed_supply_choice(
    problem: ProblemData,
    floors: list[float],
    possible: list[bool],
    data: SupplyUses,
    start: Allocation,
    seconds: float,
    workers: int = 0,
) -> MaterialChoice:
    """The relaxation's proven least extra cost, and the cheaper of ``start`` and the best
    allocation the model finds from it: the orders it leaves out and, per order using
    scarce material, the first minute of the latest supply period its uses take (-1: the
    stock on hand)."""
    began = time.perf_counter()
    scale = cost_scale(problem, floors, problem.with_followers(d.order for d in data.uses))
    timed = timed_supply_model(problem, floors, possible, data, scale)
    hint_allocation(timed, data, start, scale)
    solver, found_one, bound = solve_for_bound(timed.model, seconds, workers, scale)
    spent = solver.deterministic_time if workers == 1 else time.perf_counter() - began
    best = start
    if found_one:
        chosen = {u: r for u, options in enumerate(timed.taken) for r, y in options if solver.value(y)}
        left_out = frozenset(i for i, x in timed.left_out.items() if solver.value(x))
        best = min(start, allocation(problem, floors, data, left_out, chosen), key=lambda a: a.cost)
    return MaterialChoice(bound, best.left_out, spent, data.supply_from(best.chosen))
