"""A neighbourhood of a plan: the sub-problem in which only some orders are re-planned.

The freed orders are free; the rest of the plan stays where it is, as blocked time on the
machines the freed orders may use (with its families, for changeovers) and as stock taken
from the materials they need, at its times. Planned operations within a given reach of a
freed one on its machine may instead be held in sequence: each keeps its machine and its
place among them but may move in time (the rest of such an order stays where it is).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from itertools import pairwise

from scheduler.problem import Demand, Held, Operation, Order, ProblemData
from scheduler.schedule import Schedule

WINDOW = 7 * 1440  # minutes a planned operation of a neighbourhood may move either way (see docs)


@dataclass(frozen=True)
class Neighbourhood:
    problem: ProblemData  # freed orders and those held in sequence; the rest as blocked time, taken stock
    orders: list[int]  # full-problem index of each order of ``problem``
    sequences: tuple[tuple[int, int], ...] = ()  # (a, b): operation b starts after a ends


def _components(p: ProblemData, chosen: set[int]) -> set[int]:
    """``chosen`` with every order linked to one of them by after_order, in either direction."""
    out, stack = set(chosen), list(chosen)
    while stack:
        i = stack.pop()
        for j in (*p.orders[i].predecessors, *p.successors[i]):
            if j not in out:
                out.add(j)
                stack.append(j)
    return out


def _free_orders(
    p: ProblemData, s: Schedule, chosen: set[int], linked: bool = True
) -> tuple[list[int], dict[int, int]]:
    """The orders to re-plan, and the release each gets from predecessors that stay put.

    ``chosen`` grows by its after_order links; orders whose every operation is fixed stay
    (a freed order's fixed operations stay fixed in the sub-problem). An order linked to one
    that stays is kept free only where the held order bounds it from one side: after a
    held, scheduled predecessor (it is released at that order's completion). Orders that
    wait for a held, unscheduled order, or that a held, scheduled order waits for, stay too.
    """
    free = {i for i in (_components(p, chosen) if linked else chosen) if i in p.movable_orders}
    changed = True
    while changed:
        changed = False
        for i in sorted(free):
            held_before = [q for q in p.orders[i].predecessors if q not in free]
            held_after = [q for q in p.successors[i] if q not in free and s.is_scheduled(q)]
            if held_after or any(not s.is_scheduled(q) for q in held_before):
                free.discard(i)
                changed = True
    release: dict[int, int] = {}
    for i in free:
        held = [s.completion(q) or 0 for q in p.orders[i].predecessors if q not in free]
        if held:
            release[i] = max(p.orders[i].release, *held)
    return sorted(free), release


def in_sequence_around(p: ProblemData, s: Schedule, free: set[int], reach: int) -> set[int]:
    """The planned operations within ``reach`` places of a freed order's operation on its
    machine (capacity 1) whose orders could be held in sequence: movable, planned, not
    linked by after_order, not freed, and none of their own operations fixed."""
    out: set[int] = set()
    if reach <= 0:
        return out
    machines = {s.machine[k] for i in free for k in p.orders[i].operations if s.machine[k] >= 0}
    for m in machines:
        if p.machines[m].capacity != 1:
            continue
        on = sorted(s.operations_on[m], key=lambda k: (s.start[k], k))
        for place, k in enumerate(on):
            if p.operations[k].order in free:
                out.update(on[max(0, place - reach) : place + reach + 1])
    return {k for k in out if _holdable(p, s, p.operations[k].order, free)}


def consecutive_pairs(s: Schedule, held: set[int]) -> list[tuple[int, int]]:
    """(a, b) for each operation b of ``held`` that follows a of ``held`` on the same machine
    of capacity 1 in ``s`` (by start): held in sequence, b starts after a ends."""
    on: dict[int, list[tuple[int, int]]] = {}
    for k in held:
        on.setdefault(s.machine[k], []).append((s.start[k], k))
    return [
        (a, b)
        for m, ops in sorted(on.items())
        if s.problem.machines[m].capacity == 1
        for (_, a), (_, b) in pairwise(sorted(ops))
    ]


def _holdable(p: ProblemData, s: Schedule, i: int, free: set[int]) -> bool:
    order = p.orders[i]
    return (
        i not in free
        and i in p.movable_orders
        and s.is_scheduled(i)
        and not order.predecessors
        and not p.successors[i]
        and not any(k in p.fixed for k in order.operations)
    )


def neighbourhood(
    p: ProblemData, s: Schedule, chosen: set[int], linked: bool = True, reach: int = 0
) -> Neighbourhood:
    """The sub-problem in which only ``chosen`` orders (``linked``: with their after_order
    links; else an order linked to a held one that would bind it stays held too) are free.

    With ``reach``, the planned operations within ``reach`` places of a freed one on its
    machine join as well, held in sequence: each keeps its machine and its place among the
    others held so, but may move in time (the rest of its order stays where it is)."""
    free, release = _free_orders(p, s, chosen, linked)
    free_set = set(free)
    loose = in_sequence_around(p, s, free_set, reach)
    loose_orders = {p.operations[k].order for k in loose}
    sub_orders = sorted(free_set | loose_orders)
    sub_set = set(sub_orders)
    held_orders = [i for i in range(len(p.orders)) if i not in sub_set]
    # only the machines and materials the sub-problem's orders may use keep what stays around
    # them; an operation pinned where it is (the rest of an order held in sequence) keeps its
    # place in the plan, so its machine needs nothing around it
    usable = {mode.machine for i in free for k in p.orders[i].operations for mode in p.operations[k].modes}
    usable |= {s.machine[k] for k in loose}
    needed = {d.material for i in sub_orders for d in p.demands_of_order.get(i, ())}
    held: list[list[Held]] = [[] for _ in p.machines]
    for m in usable:
        for k in s.operations_on[m]:
            if p.operations[k].order not in sub_set:
                held[m].append(Held(s.start[k], s.end[k], p.mode(k, m).family))
    machines = tuple(
        replace(m, held=tuple(sorted(held[j], key=lambda h: (h.start, h.end)))) if j in usable else m
        for j, m in enumerate(p.machines)
    )
    taken: list[list[tuple[int, int]]] = [[] for _ in p.materials]
    for material in needed:
        for d in p.demands_of_material[material]:
            if d.order not in sub_set and s.is_scheduled(d.order):
                taken[material].append((s.start[d.operation], -d.quantity))
    materials = tuple(
        replace(m, receipts=tuple(sorted([*m.receipts, *taken[j]]))) if j in needed else m
        for j, m in enumerate(p.materials)
    )
    index = {old: new for new, old in enumerate(sub_orders)}
    orders: list[Order] = []
    operations: list[Operation] = []
    op_index: dict[int, int] = {}
    pinned: dict[int, tuple[int, int]] = {}  # held orders' operations outside the sequence
    for i in sub_orders:
        o = p.orders[i]
        ops = []
        for k in o.operations:
            op_index[k] = len(operations)
            ops.append(len(operations))
            op = p.operations[k]
            modes = op.modes
            if i in loose_orders:
                modes = (p.mode(k, s.machine[k]),)
                if k not in loose:
                    pinned[len(operations)] = (s.machine[k], s.start[k])
            operations.append(Operation(index[i], op.step, op.position, modes))
        orders.append(
            replace(
                o,
                release=release.get(i, o.release),
                operations=tuple(ops),
                predecessors=tuple(index[q] for q in o.predecessors if q in free_set),
            )
        )
    demands = tuple(
        Demand(index[d.order], op_index[d.operation], d.material, d.quantity)
        for d in p.demands
        if d.order in sub_set
    )
    windows = {  # a planned operation moves at most WINDOW minutes either way
        op_index[k]: (s.start[k] - WINDOW, s.start[k] + WINDOW)
        for i in sub_orders
        for k in p.orders[i].operations
        if s.machine[k] >= 0
    }
    previous = {op_index[k]: placed for k, placed in p.previous.items() if k in op_index}
    fixed = {op_index[k]: placed for k, placed in p.fixed.items() if k in op_index} | pinned
    sequences = [(op_index[a], op_index[b]) for a, b in consecutive_pairs(s, loose)]
    sub = replace(
        p,
        previous=previous,
        orders=tuple(orders),
        operations=tuple(operations),
        machines=machines,
        materials=materials,
        demands=demands,
        fixed=fixed,
        windows=windows,
        running={op_index[k]: at for k, at in p.running.items() if k in op_index},
        started=frozenset(index[i] for i in sub_orders if i in p.started or i in loose_orders),
        done=(),
        cost_cap=None if p.cost_cap is None else p.cost_cap - sum(order_cost(s, i) for i in held_orders),
    )
    return Neighbourhood(sub, sub_orders, tuple(sequences))


def restrict(s: Schedule, n: Neighbourhood) -> Schedule:
    """The incumbent's plan of the freed orders, as a plan of the sub-problem."""
    machine, start = [], []
    for i in n.orders:
        for k in s.problem.orders[i].operations:
            machine.append(s.machine[k])
            start.append(s.start[k])
    return Schedule(n.problem, tuple(machine), tuple(start))


def merge(s: Schedule, n: Neighbourhood, part: Schedule) -> Schedule:
    machine, start = list(s.machine), list(s.start)
    j = 0
    for i in n.orders:
        for k in s.problem.orders[i].operations:
            machine[k], start[k] = part.machine[j], part.start[j]
            j += 1
    return Schedule(s.problem, tuple(machine), tuple(start))


def order_cost(s: Schedule, i: int) -> float:
    """What order ``i`` costs in ``s``: weighted tardiness, or its penalty if left out."""
    p = s.problem
    return p.orders[i].weight * s.tardiness(i) if s.is_scheduled(i) else p.unscheduled_penalty(i)
