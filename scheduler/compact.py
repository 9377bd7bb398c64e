"""Left-shifting: start every operation as early as its plan position allows.

The machine assignment, the order of operations on each machine and the order in which
each material is consumed stay as they are; each operation moves to the earliest minute
that its predecessors, release, material and downtime allow. Nothing starts later than
before, so no objective gets worse, and the plan keeps no idle time that serves nothing.
"""

from __future__ import annotations

import heapq

from scheduler.problem import ProblemData
from scheduler.schedule import Schedule
from scheduler.timeline import arrival_time, machine_states

# An edge (b, after_end, gap): b starts at least gap minutes after a ends (after_end) or starts.
Edges = dict[int, list[tuple[int, bool, int]]]


def left_shift(schedule: Schedule) -> Schedule:
    start, _ = _in_plan_order(schedule, only_earlier=True)
    return Schedule(schedule.problem, schedule.machine, tuple(start))


def in_sequence(schedule: Schedule) -> tuple[Schedule, set[int]]:
    """The plan's machines and sequences, each operation started as early as they, the
    changeovers, working time and material allow (later than in ``schedule`` too: a plan
    made without changeovers gets them), and the orders that then no longer end inside the
    horizon (their operations are placed all the same: the plan is only a plan without them)."""
    start, failed = _in_plan_order(schedule, only_earlier=False)
    return Schedule(schedule.problem, schedule.machine, tuple(start)), failed


def _in_plan_order(schedule: Schedule, only_earlier: bool) -> tuple[list[int], set[int]]:
    """Starts of the operations placed in plan order; the orders that did not fit."""
    p = schedule.problem
    ops = sorted(  # a zero-length operation before the one starting with it: the machine's real order
        (k for k in range(len(p.operations)) if schedule.machine[k] >= 0),
        key=lambda k: (schedule.start[k], schedule.end[k], k),
    )
    start, end = list(schedule.start), list(schedule.end)
    failed: set[int] = set()
    if not ops:
        return start, failed
    edges = _edges(p, schedule, ops)
    material_ready = _material_ready(p, ops)
    indegree = dict.fromkeys(ops, 0)
    for k in ops:
        for b, _, _ in edges[k]:
            indegree[b] += 1
    earliest = dict.fromkeys(ops, p.freeze)
    for order in p.orders:
        if order.first_op in earliest:
            earliest[order.first_op] = max(order.release, p.freeze)
    heap = [(schedule.start[k], k) for k in ops if indegree[k] == 0]
    heapq.heapify(heap)
    states = machine_states(p)  # machines of capacity > 1: the load of the operations shifted so far
    while heap:
        _, k = heapq.heappop(heap)
        m = schedule.machine[k]
        mode = p.mode(k, m)
        t = max(earliest[k], material_ready.get(k, 0))
        if k not in p.fixed:  # frozen operations stay where they are
            if p.machines[m].capacity > 1:
                slot = states[m].earliest(t, mode)
            else:
                at = p.machines[m].working.earliest(t, mode.duration, mode.resumable)
                slot = None if at is None else (at, 0)
            if slot is None and not only_earlier:
                failed.add(p.operations[k].order)
                start[k], end[k] = t, t + mode.duration
            elif slot is not None and (slot[0] < schedule.start[k] or not only_earlier):
                start[k] = slot[0]
                end[k] = p.end_of(k, m, start[k])
            if end[k] > p.horizon:
                failed.add(p.operations[k].order)
        states[m].place(start[k], end[k], mode.family)
        for b, after_end, gap in edges[k]:
            earliest[b] = max(earliest[b], (end[k] if after_end else start[k]) + gap)
            indegree[b] -= 1
            if indegree[b] == 0:
                heapq.heappush(heap, (schedule.start[b], b))
    return start, failed


def _edges(p: ProblemData, schedule: Schedule, ops: list[int]) -> Edges:
    """What keeps the plan's order: each machine's sequence (with its changeovers), each
    material's order of consumption, the steps of each order, after_order links."""
    edges: Edges = {k: [] for k in ops}
    last_on_machine: dict[int, int] = {}
    last_of_material: dict[int, int] = {}
    for k in ops:  # in plan order
        m = schedule.machine[k]
        if m in last_on_machine:
            a = last_on_machine[m]
            machine = p.machines[m]
            if machine.capacity == 1:
                gap = machine.changeover(p.mode(a, m).family, p.mode(k, m).family)
                edges[a].append((k, True, gap))
            else:  # in the same order, on a load that never grows: each still fits
                edges[a].append((k, False, 0))
        last_on_machine[m] = k
        for d in p.demands_of_operation.get(k, ()):
            before = last_of_material.get(d.material)
            if before is not None and before != k:
                edges[before].append((k, False, 0))
            last_of_material[d.material] = k
    for order in p.orders:
        if order.first_op not in edges:
            continue
        for a, b in zip(order.operations, order.operations[1:], strict=False):
            edges[a].append((b, True, 0))
        for pred in order.predecessors:
            edges[p.orders[pred].last_op].append((order.first_op, True, 0))
    return edges


def _material_ready(p: ProblemData, ops: list[int]) -> dict[int, int]:
    """Per consuming operation, the minute by which all stock consumed up to it has arrived."""
    out: dict[int, int] = {}
    consumed = [0] * len(p.materials)
    for k in ops:  # in plan order, which the material chains keep
        for d in p.demands_of_operation.get(k, ()):
            consumed[d.material] += d.quantity
            arrival = arrival_time(p, d.material, consumed[d.material])
            out[k] = max(out.get(k, 0), arrival if arrival is not None else 0)
    return out
