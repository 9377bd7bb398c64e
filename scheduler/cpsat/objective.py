"""Objective expressions, in integers: weights are scaled by :attr:`ProblemData.weight_scale`."""

from __future__ import annotations

from dataclasses import dataclass

from ortools.sat.python import cp_model

from scheduler.cpsat.variables import Variables
from scheduler.problem import MOVE_MINUTES, ProblemData


def tier_cost(
    problem: ProblemData, v: Variables, scale: int, tier_rank: int | None = None
) -> cp_model.LinearExpr:
    """Weighted tardiness plus the unscheduled penalty, of one tier or of every order."""
    terms: list[cp_model.LinearExprT] = []
    for i, order in enumerate(problem.orders):
        if tier_rank is not None and order.tier_rank != tier_rank:
            continue
        w = round(order.weight * scale)
        penalty = round(problem.unscheduled_penalty(i) * scale)
        terms.append(penalty - penalty * v.present[i])
        tardiness = v.tardiness[i]
        if tardiness is not None:
            terms.append(w * tardiness)
    return cp_model.LinearExpr.sum(terms)


def unscheduled_weight(problem: ProblemData, v: Variables, scale: int) -> cp_model.LinearExpr:
    return cp_model.LinearExpr.sum(
        [round(o.weight * scale) * (1 - v.present[i]) for i, o in enumerate(problem.orders)]
    )


def makespan(model: cp_model.CpModel, problem: ProblemData, v: Variables) -> cp_model.IntVar:
    span = model.new_int_var(0, problem.horizon, "makespan")
    for i in range(len(problem.orders)):
        model.add(span >= v.completion(problem, i)).only_enforce_if(v.present[i])
    return span


def sum_completion(problem: ProblemData, v: Variables) -> cp_model.LinearExpr:
    """Sum of the orders' completion minutes: smaller keeps the plan compact."""
    return cp_model.LinearExpr.sum([v.completion(problem, i) for i in range(len(problem.orders))])


@dataclass(frozen=True)
class Move:
    """Whether an operation of the previous plan moves, and how many minutes its start moves."""

    operation: int
    moved: cp_model.IntVar
    minutes: cp_model.IntVar


def moves(model: cp_model.CpModel, problem: ProblemData, v: Variables) -> list[Move]:
    """Per operation of the previous plan: moved unless it keeps its machine and start."""
    out = []
    for k, (machine, start) in sorted(problem.previous.items()):
        ops = v.operations[k]
        present = v.present[problem.operations[k].order]
        moved = model.new_bool_var(f"moved[{k}]")
        minutes = model.new_int_var(0, problem.horizon, f"minutes_moved[{k}]")
        model.add(minutes >= ops.start - start).only_enforce_if(present)
        model.add(minutes >= start - ops.start).only_enforce_if(present)
        model.add(minutes == 0).only_enforce_if(moved.Not())
        same = [m.chosen for m in ops.modes if m.machine == machine]
        if same:
            model.add_bool_or([moved, same[0]])
        else:
            model.add(moved == 1)
        out.append(Move(k, moved, minutes))
    return out


def stability(problem: ProblemData, moved: list[Move], scale: int) -> cp_model.LinearExpr:
    """stability_weight x (minutes moved + MOVE_MINUTES per moved operation), scaled."""
    w = round(problem.stability_weight * scale)
    return cp_model.LinearExpr.sum([w * m.minutes + w * MOVE_MINUTES * m.moved for m in moved])
