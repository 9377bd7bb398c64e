"""One function per constraint family, added in a fixed order by :mod:`scheduler.cpsat.model`."""

from __future__ import annotations

from ortools.sat.python import cp_model

from scheduler.cpsat.variables import Variables
from scheduler.problem import Demand, ProblemData


def add_one_mode_per_operation(model: cp_model.CpModel, problem: ProblemData, v: Variables) -> None:
    """A scheduled order runs each operation on exactly one of its alternative machines."""
    for k, op in enumerate(problem.operations):
        if len(op.modes) > 1:
            model.add(sum(m.chosen for m in v.operations[k].modes) == v.present[op.order])


def add_step_order(model: cp_model.CpModel, problem: ProblemData, v: Variables) -> None:
    """Steps of an order run one after the other, the first not before the release."""
    for i, order in enumerate(problem.orders):
        first = v.operations[order.first_op]
        model.add(first.start >= order.release).only_enforce_if(v.present[i])
        for a, b in zip(order.operations, order.operations[1:], strict=False):
            model.add(v.operations[b].start >= v.operations[a].end).only_enforce_if(v.present[i])


def add_after_order(model: cp_model.CpModel, problem: ProblemData, v: Variables) -> None:
    """An order with after_order starts once that order has finished, and needs it scheduled."""
    for i, order in enumerate(problem.orders):
        for p in order.predecessors:
            model.add_implication(v.present[i], v.present[p])
            before = v.operations[problem.orders[p].last_op].end
            model.add(v.operations[order.first_op].start >= before).only_enforce_if(v.present[i])


def add_machine_capacity(model: cp_model.CpModel, problem: ProblemData, v: Variables) -> None:
    """A machine runs one operation at a time and nothing while it is down."""
    per_machine: list[list[cp_model.IntervalVar]] = [[] for _ in problem.machines]
    for ops in v.operations:
        for mode in ops.modes:
            per_machine[mode.machine].append(mode.interval)
    for m, machine in enumerate(problem.machines):
        down = [
            model.new_fixed_size_interval_var(s, e - s, f"down[{machine.id},{s}]")
            for s, e in machine.downtime
        ]
        if len(per_machine[m]) + len(down) > 1 and per_machine[m]:
            model.add_no_overlap(per_machine[m] + down)


MAX_STOCK_UNITS = 2**50  # stock sums stay far inside CP-SAT's 64-bit arithmetic


def coarsening(problem: ProblemData, material: int) -> int:
    """1, or the power of ten to divide the material's units by so that its sums fit CP-SAT."""
    m = problem.materials[material]
    total = m.on_hand + sum(abs(q) for _, q in m.receipts)
    total += sum(d.quantity for d in problem.demands if d.material == material)
    divisor = 1
    while total // divisor > MAX_STOCK_UNITS:
        divisor *= 10
    return divisor


def add_materials(model: cp_model.CpModel, problem: ProblemData, v: Variables) -> None:
    """Stock never goes negative: on hand and receipts in, consumption when the step starts.

    Quantities are exact whole units; where they are too large for CP-SAT's arithmetic they
    are coarsened with supplies rounded down and consumptions up, so the model is never
    more generous than the data.
    """
    demands_of: dict[int, list[Demand]] = {}
    for d in problem.demands:
        demands_of.setdefault(d.material, []).append(d)
    for j, material in enumerate(problem.materials):
        demands = demands_of.get(j, [])
        if not demands:
            continue
        divisor = coarsening(problem, j)
        times: list[cp_model.LinearExprT] = [0]
        changes = [material.on_hand // divisor]
        actives: list[cp_model.LiteralT] = [True]
        for t, q in material.receipts:
            times.append(t)
            changes.append(q // divisor)
            actives.append(True)
        total_in = sum(c for c in changes if c > 0)
        already_taken = -sum(c for c in changes if c < 0)  # consumptions fixed by a neighbourhood
        need = 0
        for d in demands:
            amount = -(-d.quantity // divisor)  # rounded up
            need += amount
            times.append(v.operations[d.operation].start)
            changes.append(-amount)
            actives.append(v.present[d.order])
        if need + already_taken <= changes[0]:
            continue  # on hand covers every order: nothing to decide
        model.add_reservoir_constraint_with_active(times, changes, actives, 0, total_in)


def add_tardiness(model: cp_model.CpModel, problem: ProblemData, v: Variables) -> None:
    """Tardiness of a scheduled order is how far its last step ends after the due date."""
    for i, order in enumerate(problem.orders):
        t = v.tardiness[i]
        if t is not None:
            model.add(t >= v.completion(problem, i) - order.due).only_enforce_if(v.present[i])
