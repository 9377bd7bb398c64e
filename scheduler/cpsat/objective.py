"""Objective expressions, in integers: weights are scaled by :attr:`ProblemData.weight_scale`."""

from __future__ import annotations

from dataclasses import dataclass, field

from ortools.sat.python import cp_model

from scheduler.cpsat.variables import Variables
from scheduler.problem import ProblemData


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
    """An operation of the previous plan: whether it leaves its machine (or is left out), and
    how many minutes its start shifts."""

    operation: int
    changed: cp_model.LinearExprT
    moved: cp_model.IntVar
    minutes: cp_model.IntVar


@dataclass
class Stability:
    """The variables of the stability term: one Move per operation of the previous plan and a
    literal per pair of the previous plan that may turn over."""

    moves: list[Move] = field(default_factory=list)
    turned: list[tuple[tuple[int, int, int], cp_model.IntVar]] = field(default_factory=list)


def stability_variables(model: cp_model.CpModel, problem: ProblemData, v: Variables) -> Stability:
    """Per operation of the previous plan: on another machine (or out) unless its previous
    machine's mode is chosen; its start's shift. Per pair (a then b on machine m): turned
    over when both stay on m and b starts before a."""
    out = Stability()
    for k, (machine, start) in sorted(problem.previous.items()):
        ops = v.operations[k]
        present = v.present[problem.operations[k].order]
        minutes = model.new_int_var(0, problem.horizon, f"minutes_moved[{k}]")
        model.add(minutes >= ops.start - start).only_enforce_if(present)
        model.add(minutes >= start - ops.start).only_enforce_if(present)
        same = [m.chosen for m in ops.modes if m.machine == machine]
        changed = 1 - same[0] if same else 1
        moved = model.new_bool_var(f"moved[{k}]")
        model.add(minutes == 0).only_enforce_if(moved.negated())
        model.add(moved >= changed)
        out.moves.append(Move(k, changed, moved, minutes))
    for m, a, b in problem.previous_pairs:
        on_a = [x.chosen for x in v.operations[a].modes if x.machine == m]
        on_b = [x.chosen for x in v.operations[b].modes if x.machine == m]
        if not on_a or not on_b:
            continue
        turned = model.new_bool_var(f"turned[{a},{b}]")
        model.add(v.operations[b].start >= v.operations[a].start).only_enforce_if(
            [on_a[0], on_b[0], turned.negated()]
        )
        out.turned.append(((m, a, b), turned))
    return out


def stability(problem: ProblemData, s: Stability, scale: int) -> cp_model.LinearExpr:
    """The prices of the moves (``problem.stability``), scaled like the other costs."""
    machine, sequence, moved, minute = (round(p * scale) for p in problem.stability.values)
    terms: list[cp_model.LinearExprT] = []
    for m in s.moves:
        terms += [machine * m.changed, moved * m.moved, minute * m.minutes]
    terms += [sequence * t for _, t in s.turned]
    return cp_model.LinearExpr.sum(terms)
