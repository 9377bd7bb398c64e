"""A start that fits every order in: the plant without changeovers, every order required,
then the changeovers put back.

CP-SAT's search on a full model with optional orders and changeover circuits may never
find a plan that fits an order the starts left out (the demo plant: a tier-A order due
after the horizon, left out by every rule; with it required, the full model found no plan
at all in 40 s). Without changeovers and with every order that fits the horizon required,
it finds such plans within seconds. Each plan it finds is then given its changeovers in
its own machine sequences (:func:`with_changeovers`) and step by step in the order of its
starts, each step on the machine that ends it first (:func:`in_start_order`); orders that
then end past the horizon are left out, and the full model checks the cheapest result
before it joins the starts.

The same search gives a bound: a plan either has every order that fits in (and costs at
least the model without changeovers can) or leaves one out (and pays its penalty).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from scheduler.compact import in_sequence
from scheduler.cpsat import objective
from scheduler.cpsat.model import CpSatModel, Progress, SolverSettings
from scheduler.insertion import Stock, fixed_in_place, insert_unscheduled, place_operation, put, take_out
from scheduler.problem import ProblemData
from scheduler.result import RoundSummary
from scheduler.schedule import Schedule
from scheduler.stop import StopRequest
from scheduler.timeline import MachineState

LABEL = "every order in, without changeovers (a start)"
SHARE = 0.75  # of the full model's time
REPAIRED = 50  # the cheapest plans found without changeovers that get them put back
LEFT_OUT = 1  # orders the best start leaves out for the step to run
CHECKED = 3  # the cheapest of those the full model is asked to confirm (each up to 2 s)


def wanted(problem: ProblemData, best: Schedule) -> bool:
    """Worth a try: the best start misses one order (more: an overloaded plant, where plans
    with every order in cost more than the step's time is worth; see docs/scheduling.md),
    and changeovers make the full model hard."""
    left_out = sum(not best.is_scheduled(i) for i in range(len(problem.orders)))
    return left_out == LEFT_OUT and any(m.has_changeovers for m in problem.machines)


@dataclass(frozen=True)
class FitAll:
    plans: list[Schedule]  # with changeovers, cheapest first
    bound: float | None  # of the cost of every plan of the full model
    summary: RoundSummary


def fit_all_start(
    problem: ProblemData,
    settings: SolverSettings,
    seconds: float,
    stop: StopRequest,
    on_progress: Progress | None = None,
) -> FitAll:
    """Plans with changeovers made from the plans of the model without them, and a bound;
    ``on_progress`` hears of each plan without changeovers (not a plan of the plant)."""
    model = CpSatModel(problem, stop, changeovers=False)
    fits = model.vars.fits
    model.require_scheduled([i for i, ok in enumerate(fits) if ok])
    found: list[Schedule] = []
    scale = problem.weight_scale
    outcome = model.minimise(
        objective.tier_cost(problem, model.vars, scale),
        scale,
        settings,
        seconds,
        on_progress,
        stop=stop,
        name=LABEL,
        on_solution=found.append,
    )
    plans = {}
    for plan in sorted(found, key=lambda s: s.tier_cost())[:REPAIRED]:
        for repaired in (with_changeovers(plan), in_start_order(plan)):  # neither always wins
            if repaired is not None and not repaired.frozen_left_out():
                plans[(repaired.machine, repaired.start)] = repaired
    ranked = sorted(plans.values(), key=lambda s: s.tier_cost())
    bound = _bound(problem, fits, outcome.status, outcome.bound)
    summary = RoundSummary(
        LABEL, outcome.status, ranked[0].tier_cost() if ranked else None, bound, outcome.seconds
    )
    return FitAll(ranked, bound, summary)


def _bound(problem: ProblemData, fits: list[bool], status: str, all_in: float | None) -> float | None:
    """Every plan either schedules every order that fits the horizon at all (then it is a plan
    of the model without changeovers: it costs at least that model's bound ``all_in``) or
    leaves one of them out (at least its penalty, plus those of the orders that never fit).
    None without a proof either way."""
    penalty = [
        round(problem.unscheduled_penalty(i) * problem.weight_scale) / problem.weight_scale
        for i in range(len(fits))
    ]
    never = sum(penalty[i] for i, ok in enumerate(fits) if not ok)
    one_out = min(
        (penalty[i] for i, ok in enumerate(fits) if ok and i not in problem.frozen_orders), default=math.inf
    )
    if status == "INFEASIBLE":
        all_in = math.inf
    elif status not in ("OPTIMAL", "FEASIBLE") or all_in is None:
        return None
    bound = min(all_in, never + one_out)
    return None if math.isinf(bound) else bound


def with_changeovers(plan: Schedule) -> Schedule | None:
    """``plan`` in its own machine sequences with the changeovers kept; orders that no longer
    end inside the horizon leave (with their after_order successors) until the rest fit,
    then as many as fit are inserted again. None if a started or frozen order would leave."""
    p = plan.problem
    machine, start = list(plan.machine), list(plan.start)
    while True:
        placed, failed = in_sequence(Schedule(p, tuple(machine), tuple(start)))
        if not failed:
            return insert_unscheduled(placed)
        leaving = p.with_followers(failed)
        if leaving & p.frozen_orders:
            return None
        for i in leaving:
            for k in p.orders[i].operations:
                machine[k] = start[k] = -1


def in_start_order(plan: Schedule) -> Schedule:
    """The operations of ``plan`` placed one by one in the order of their starts there, each
    on whichever of its machines ends it first (``plan``'s on ties), in the first gap that
    keeps the changeovers, working time and stock; an order that would end past the horizon
    is taken out again, then as many left-out orders as fit are inserted."""
    p = plan.problem
    machine, start, gaps, stock = fixed_in_place(p)
    placed: dict[int, tuple[int, int, int]] = {}  # operation -> machine, start, end
    out: set[int] = set()
    for k in sorted(
        (k for k in range(len(p.operations)) if plan.machine[k] >= 0 and k not in p.fixed),
        key=lambda k: (plan.start[k], k),
    ):
        i = p.operations[k].order
        order = p.orders[i]
        before = [p.orders[q].last_op for q in order.predecessors]
        if i in out or any(j not in placed and j not in p.fixed for j in before):
            out.add(i)  # after an order that is out, or not placed yet
            continue
        at = order.operations.index(k)
        ready = max([order.release, p.freeze, *(_end(p, j, placed) for j in before)])
        if at:
            ready = max(ready, _end(p, order.operations[at - 1], placed))
        choice = _first_to_end(p, k, ready, plan.machine[k], gaps, stock)
        if choice is None or choice[2] > p.horizon:
            out.add(i)
            for j in order.operations[:at]:
                if j in placed:
                    take_out(p, j, placed.pop(j), gaps, stock)
            continue
        placed[k] = choice
        put(p, k, choice, gaps, stock)
    for k, (m, s, _) in placed.items():
        machine[k], start[k] = m, s
    return insert_unscheduled(Schedule(p, tuple(machine), tuple(start)))


def _end(p: ProblemData, k: int, placed: dict[int, tuple[int, int, int]]) -> int:
    return placed[k][2] if k in placed else p.fixed_end(k)


def _first_to_end(
    p: ProblemData, k: int, ready: int, preferred: int, gaps: list[MachineState], stock: Stock
) -> tuple[int, int, int] | None:
    """(machine, start, end) that ends operation k first from ``ready`` on, ``preferred``'s
    machine on ties."""
    best = place_operation(p, k, ready, gaps, stock)
    if best is None or best[0] == preferred:
        return best
    there = place_operation(p, k, ready, gaps, stock, only=preferred)
    return there if there is not None and there[2] <= best[2] else best
