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
from scheduler.timeline import MachineTimelines, arrival_time

# An edge (b, after_end): b starts after a ends (True) or not before a starts (False).
Edges = dict[int, list[tuple[int, bool]]]


def left_shift(schedule: Schedule) -> Schedule:
    p = schedule.problem
    ops = sorted(
        (k for k in range(len(p.operations)) if schedule.machine[k] >= 0),
        key=lambda k: (schedule.start[k], k),
    )
    if not ops:
        return schedule
    edges = _edges(p, schedule, ops)
    material_ready = _material_ready(p, ops)
    indegree = dict.fromkeys(ops, 0)
    for k in ops:
        for b, _ in edges[k]:
            indegree[b] += 1
    earliest = dict.fromkeys(ops, p.freeze)
    for order in p.orders:
        if order.first_op in earliest:
            earliest[order.first_op] = max(order.release, p.freeze)
    heap = [(schedule.start[k], k) for k in ops if indegree[k] == 0]
    heapq.heapify(heap)
    machines = MachineTimelines(p)  # only its downtime is used: the chains order the operations
    start = list(schedule.start)
    while heap:
        _, k = heapq.heappop(heap)
        m = schedule.machine[k]
        duration = schedule.duration(k, m)
        t = max(earliest[k], material_ready.get(k, 0))
        if k not in p.fixed:  # frozen operations stay where they are
            start[k] = min(machines.slot(m, t, duration), schedule.start[k])
        for b, after_end in edges[k]:
            earliest[b] = max(earliest[b], start[k] + duration if after_end else start[k])
            indegree[b] -= 1
            if indegree[b] == 0:
                heapq.heappush(heap, (schedule.start[b], b))
    return Schedule(p, schedule.machine, tuple(start))


def _edges(p: ProblemData, schedule: Schedule, ops: list[int]) -> Edges:
    edges: Edges = {k: [] for k in ops}
    last_on_machine: dict[int, int] = {}
    last_of_material: dict[int, int] = {}
    for k in ops:  # in plan order
        m = schedule.machine[k]
        if m in last_on_machine:
            edges[last_on_machine[m]].append((k, True))
        last_on_machine[m] = k
        for d in p.demands_of_operation.get(k, ()):
            before = last_of_material.get(d.material)
            if before is not None and before != k:
                edges[before].append((k, False))
            last_of_material[d.material] = k
    for order in p.orders:
        if order.first_op not in edges:
            continue
        for a, b in zip(order.operations, order.operations[1:], strict=False):
            edges[a].append((b, True))
        for pred in order.predecessors:
            edges[p.orders[pred].last_op].append((order.first_op, True))
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
