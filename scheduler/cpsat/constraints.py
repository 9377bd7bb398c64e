"""One function per constraint family, added in a fixed order by :mod:`scheduler.cpsat.model`."""

from __future__ import annotations

from ortools.sat.python import cp_model

from scheduler.cpsat.variables import Circuit, Variables
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
    """A machine runs at most ``capacity`` operations at a time (with those held in place).

    Downtime and non-working time need nothing here: the start domains keep operations
    out of them (see :mod:`scheduler.cpsat.variables`).
    """
    per_machine: list[list[cp_model.IntervalVar]] = [[] for _ in problem.machines]
    for ops in v.operations:
        for mode in ops.modes:
            per_machine[mode.machine].append(mode.interval)
    for m, machine in enumerate(problem.machines):
        held = [
            model.new_fixed_size_interval_var(h.start, h.end - h.start, f"held[{machine.id},{h.start}]")
            for h in machine.held
            if h.end > h.start
        ]
        intervals = per_machine[m] + held
        if not per_machine[m] or len(intervals) <= (1 if machine.capacity == 1 else machine.capacity):
            continue
        if machine.capacity == 1:
            model.add_no_overlap(intervals)
        else:
            model.add_cumulative(intervals, [1] * len(intervals), machine.capacity)


def add_changeovers(model: cp_model.CpModel, problem: ProblemData, v: Variables) -> None:
    """On a machine of capacity 1 with changeovers, consecutive operations keep their gap.

    A circuit through the machine's operations (a depot node 0 closes it; an absent one
    loops on itself) says which follows which; an arc a -> b puts b at least
    changeover(family a, family b) after a. Held operations are fixed nodes: of two held
    ones, only a pair next to each other in time can be consecutive.
    """
    by_machine: dict[int, list[tuple[int, int]]] = {}
    for k, ops in enumerate(v.operations):
        for j, mode in enumerate(ops.modes):
            if problem.machines[mode.machine].has_changeovers:
                by_machine.setdefault(mode.machine, []).append((k, j))
    for m, nodes in by_machine.items():
        v.circuits[m] = _machine_circuit(model, problem, v, m, nodes)


Timing = tuple[cp_model.LinearExprT, cp_model.LinearExprT, int, cp_model.IntVar | None]


def _timing(problem: ProblemData, v: Variables, m: int, node: tuple[int, int]) -> Timing:
    """Start, end, family and presence literal (None: always there) of a circuit node."""
    k, j = node
    if k < 0:
        h = problem.machines[m].held[j]
        return h.start, h.end, h.family, None
    ops = v.operations[k]
    mode = ops.modes[j]
    return ops.start, mode.end if mode.end is not None else ops.end, mode.family, mode.chosen


def _machine_circuit(
    model: cp_model.CpModel, problem: ProblemData, v: Variables, m: int, nodes: list[tuple[int, int]]
) -> Circuit:
    machine = problem.machines[m]
    held = sorted(range(len(machine.held)), key=lambda h: machine.held[h].start)
    circuit = Circuit([*nodes, *((-1, h) for h in held)], {})
    timing = [_timing(problem, v, m, node) for node in circuit.nodes]
    arcs: list[tuple[int, int, cp_model.LiteralT]] = []
    for node, (_, _, _, on) in enumerate(timing, start=1):
        for tail, head in ((0, node), (node, 0)):
            circuit.arcs[(tail, head)] = lit = model.new_bool_var("")
            arcs.append((tail, head, lit))
        if on is not None:
            arcs.append((node, node, on.negated()))
    if not held:
        circuit.arcs[(0, 0)] = lit = model.new_bool_var("")
        arcs.append((0, 0, lit))
    for a, (_, end_a, family_a, _) in enumerate(timing, start=1):
        for b, (start_b, _, family_b, _) in enumerate(timing, start=1):
            if a == b or _both_held_apart(circuit.nodes, a, b):
                continue
            circuit.arcs[(a, b)] = lit = model.new_bool_var("")
            arcs.append((a, b, lit))
            model.add(start_b >= end_a + machine.changeover(family_a, family_b)).only_enforce_if(lit)
    model.add_circuit(arcs)
    return circuit


def _both_held_apart(nodes: list[tuple[int, int]], a: int, b: int) -> bool:
    """Two held operations that are not next to each other in time (held come sorted by start)."""
    (ka, ja), (kb, jb) = nodes[a - 1], nodes[b - 1]
    return ka < 0 and kb < 0 and jb != ja + 1


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
