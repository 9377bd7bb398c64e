"""One function per constraint family, added in a fixed order by :mod:`scheduler.cpsat.model`."""

from __future__ import annotations

import bisect
import itertools
from dataclasses import dataclass

from ortools.sat.python import cp_model

from scheduler.cpsat.variables import Circuit, Variables
from scheduler.problem import NO_FAMILY, Demand, Machine, ProblemData


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
    out of them (see :mod:`scheduler.cpsat.variables`). Held operations that no free one
    can reach stay out.
    """
    per_machine: list[list[cp_model.IntervalVar]] = [[] for _ in problem.machines]
    refs: list[list[tuple[int, int]]] = [[] for _ in problem.machines]
    for k, ops in enumerate(v.operations):
        for j, mode in enumerate(ops.modes):
            per_machine[mode.machine].append(mode.interval)
            refs[mode.machine].append((k, j))
    for m, machine in enumerate(problem.machines):
        if not per_machine[m]:
            continue
        reach = _held_in_reach(machine, [_node(problem, v, m, ref) for ref in refs[m]])
        held = [
            model.new_fixed_size_interval_var(h.start, h.end - h.start, f"held[{machine.id},{h.start}]")
            for h in (machine.held[i] for i in reach)  # empty ones too: nothing may run across them
        ]
        intervals = per_machine[m] + held
        if len(intervals) <= (1 if machine.capacity == 1 else machine.capacity):
            continue
        if machine.capacity == 1:
            model.add_no_overlap(intervals)
        else:
            model.add_cumulative(intervals, [1] * len(intervals), machine.capacity)


def add_changeovers(model: cp_model.CpModel, problem: ProblemData, v: Variables) -> None:
    """On a machine of capacity 1 with changeovers, consecutive operations keep their gap.

    A circuit through the machine's operations (a depot node 0 closes it; an absent one
    loops on itself) says which follows which; an arc a -> b puts b at least
    changeover(family a, family b) after a.

    Held operations (a neighbourhood's fixed surroundings) keep their gaps through the
    start domains instead: a free operation of family f may only start where it leaves
    changeover(held, f) after the held operation before it and changeover(f, held) before
    the one after it; the circuit then runs through the free operations alone. That is
    exact when changeovers obey the triangle inequality (inserting an operation never
    shortens the gap needed), and stricter otherwise. Where a free operation may pause,
    the held ones become fixed nodes of the circuit instead.
    """
    by_machine: dict[int, list[tuple[int, int]]] = {}
    for k, ops in enumerate(v.operations):
        for j, mode in enumerate(ops.modes):
            if problem.machines[mode.machine].has_changeovers:
                by_machine.setdefault(mode.machine, []).append((k, j))
    for m, refs in by_machine.items():
        machine = problem.machines[m]
        families = sum(v.operations[k].modes[j].family != NO_FAMILY for k, j in refs)
        held = any(h.family != NO_FAMILY for h in machine.held)
        if families == 0 or (families == 1 and not held):
            continue  # no two operations of a family meet here: no gap to keep
        pausing = any(v.operations[k].modes[j].pause is not None for k, j in refs)
        if machine.held and not pausing:
            _clear_of_held(model, problem, v, m, refs)  # a single free operation needs it too
            if families > 1:
                v.circuits[m] = _machine_circuit(model, problem, v, m, refs, with_held=False)
        else:
            v.circuits[m] = _machine_circuit(model, problem, v, m, refs)


def _clear_of_held(
    model: cp_model.CpModel, problem: ProblemData, v: Variables, m: int, refs: list[tuple[int, int]]
) -> None:
    """Each free mode starts only where it keeps the changeovers to the held operations around it."""
    machine = problem.machines[m]
    held = sorted(machine.held, key=lambda h: (h.start, h.end))  # empty ones keep changeovers too
    allowed: dict[tuple[int, int], cp_model.Domain] = {}
    for k, j in refs:
        mode = v.operations[k].modes[j]
        key = (mode.family, mode.duration)
        if key not in allowed:
            free, cursor, before = [], -(2**40), None
            for h in [*held, None]:
                lo = cursor if before is None else before.end + machine.changeover(before.family, mode.family)
                if h is None:
                    hi = 2**40
                else:
                    hi = h.start - machine.changeover(mode.family, h.family) - mode.duration
                if lo <= hi:
                    free.append([lo, hi])
                before = h
            allowed[key] = cp_model.Domain.from_intervals(free)
        model.add_linear_expression_in_domain(v.operations[k].start, allowed[key]).only_enforce_if(
            mode.chosen
        )


@dataclass(frozen=True)
class Node:
    """A circuit node: its start, end and family, presence (None: always there) and time bounds."""

    start: cp_model.LinearExprT
    end: cp_model.LinearExprT
    family: int
    on: cp_model.IntVar | None
    earliest_start: int
    latest_start: int
    earliest_end: int
    latest_end: int


def _bounds(var: cp_model.IntVar) -> tuple[int, int]:
    domain = var.proto.domain  # a protobuf field: no negative indexing
    return int(domain[0]), int(domain[len(domain) - 1])


def _node(problem: ProblemData, v: Variables, m: int, ref: tuple[int, int]) -> Node:
    k, j = ref
    if k < 0:
        h = problem.machines[m].held[j]
        return Node(h.start, h.end, h.family, None, h.start, h.start, h.end, h.end)
    ops = v.operations[k]
    mode = ops.modes[j]
    lo, hi = _bounds(ops.start)
    if mode.end is not None:
        first, last = _bounds(mode.end)
        return Node(ops.start, mode.end, mode.family, mode.chosen, lo, hi, first, last)
    return Node(ops.start, ops.end, mode.family, mode.chosen, lo, hi, lo + mode.duration, hi + mode.duration)


def _machine_circuit(
    model: cp_model.CpModel,
    problem: ProblemData,
    v: Variables,
    m: int,
    refs: list[tuple[int, int]],
    with_held: bool = True,
) -> Circuit:
    """The circuit of one machine; arcs that no placement allows are left out.

    a -> b is impossible when b cannot start changeover(a, b) after a can end, or when a
    held operation always lies between them (after a's latest end, before b's earliest
    start); depot arcs likewise, when a held operation always comes before or after.
    """
    machine = problem.machines[m]
    free_nodes = [_node(problem, v, m, ref) for ref in refs]
    held = _held_in_reach(machine, free_nodes) if with_held else []
    circuit = Circuit([*refs, *((-1, h) for h in held)], {})
    nodes = free_nodes + [_node(problem, v, m, ref) for ref in circuit.nodes[len(refs) :]]
    held_starts = [machine.held[h].start for h in held]
    held_ends = [machine.held[h].end for h in held]

    def held_between(after: int, before: int) -> bool:
        """Some held operation starts at or after ``after`` and ends by ``before``."""
        i = bisect.bisect_left(held_starts, after)
        return i < len(held) and held_ends[i] <= before

    arcs: list[tuple[int, int, cp_model.LiteralT]] = []

    def arc(tail: int, head: int) -> cp_model.IntVar:
        circuit.arcs[(tail, head)] = lit = model.new_bool_var("")
        arcs.append((tail, head, lit))
        return lit

    for n, node in enumerate(nodes, start=1):
        if node.on is not None:
            arcs.append((n, n, node.on.negated()))
        if not (held and held_ends[0] <= node.earliest_start):  # else a held one always comes first
            arc(0, n)
        if not (held and held_starts[-1] >= node.latest_end):  # else a held one always comes last
            arc(n, 0)
    if not held:
        arc(0, 0)
    free = range(1, len(refs) + 1)
    held_nodes = range(len(refs) + 1, len(nodes) + 1)
    pairs = [(a, b) for a in free for b in range(1, len(nodes) + 1) if a != b]
    pairs += [(a, b) for a in held_nodes for b in free]
    pairs += itertools.pairwise(held_nodes)  # held ones follow each other in time
    for a, b in pairs:
        first, then = nodes[a - 1], nodes[b - 1]
        gap = machine.changeover(first.family, then.family)
        if then.latest_start < first.earliest_end + gap or held_between(
            first.latest_end, then.earliest_start
        ):
            continue
        model.add(then.start >= first.end + gap).only_enforce_if(arc(a, b))
    model.add_circuit(arcs)
    return circuit


def _held_in_reach(machine: Machine, free_nodes: list[Node]) -> list[int]:
    """The held operations (indices, by start) that the circuit needs: those that may sit
    among the free ones, and the last one wholly before and the first one wholly after them
    (the rest can meet no free one: they keep their own order, gaps and capacity)."""
    held = sorted(range(len(machine.held)), key=lambda h: (machine.held[h].start, machine.held[h].end))
    if not free_nodes:
        return held
    lo = min(n.earliest_start for n in free_nodes)
    hi = max(n.latest_end for n in free_nodes)
    before = [h for h in held if machine.held[h].end < lo]
    after = [h for h in held if machine.held[h].start > hi]
    kept = {*before[-1:], *after[:1]} | {
        h for h in held if machine.held[h].end >= lo and machine.held[h].start <= hi
    }
    return [h for h in held if h in kept]  # on a machine of capacity 1: a stretch of consecutive ones


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


def add_deadlines(model: cp_model.CpModel, problem: ProblemData, v: Variables) -> None:
    """An order with a deadline (a promise keeps a moved order within its slack) ends by it."""
    for i, latest in problem.deadlines.items():
        model.add(v.completion(problem, i) <= latest).only_enforce_if(v.present[i])
