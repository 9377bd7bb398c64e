"""Insertion repair: fit orders that a dispatch rule left out into the gaps of its plan.

The non-delay simulation of :mod:`scheduler.dispatch` never goes back in time, so an
order it could not finish inside the horizon may still fit into idle gaps left earlier
on its machines. Here each left-out order (the heaviest first) is tried once more: its
operations go, one after the other, into the earliest gap of the alternative machine
that finishes them first, clear of downtime and of every planned operation, and a
consuming step starts only when the stock left over by the planned consumptions
covers it at that moment and at every moment after. An order that still does not fit
stays out; nothing already planned moves.
"""

from __future__ import annotations

import bisect

import numpy as np

from scheduler.problem import ProblemData
from scheduler.schedule import Schedule
from scheduler.stop import StopRequest
from scheduler.timeline import MachineState, machine_states


def placed_states(problem: ProblemData, schedule: Schedule) -> list[MachineState]:
    """Every machine with the planned operations on it."""
    states = machine_states(problem)
    for k, m in enumerate(schedule.machine):
        if m >= 0:
            states[m].place(schedule.start[k], schedule.end[k], problem.mode(k, m).family)
    return states


class Stock:
    """Per material, the level over time: arrivals in, the plan's consumptions out."""

    def __init__(self, problem: ProblemData, schedule: Schedule) -> None:
        self.events: list[list[tuple[int, int]]] = []
        for m in problem.materials:
            self.events.append(sorted([(0, m.on_hand), *m.receipts]))
        for d in problem.demands:
            if schedule.is_scheduled(d.order):
                bisect.insort(self.events[d.material], (schedule.start[d.operation], -d.quantity))
        self._levels: dict[int, tuple[np.ndarray, np.ndarray, np.ndarray]] = {}

    def _profile(self, material: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The material's distinct event times, the level after each and the least level
        from each on (kept until the events change)."""
        if material not in self._levels:
            raw = self.events[material]
            # exact units of fine decimals may pass 64 bits (or their sums may): Python ints then
            wide = any(abs(q) >= 2**62 // max(1, len(raw)) for _, q in raw)
            events = np.array(raw, dtype=object if wide else np.int64).reshape(-1, 2)
            last = np.append(events[1:, 0] != events[:-1, 0], True)  # the last event of each time
            times, levels = events[last, 0], np.cumsum(events[:, 1])[last]
            lowest_after = np.minimum.accumulate(levels[::-1])[::-1]
            self._levels[material] = times, levels, lowest_after
        return self._levels[material]

    def earliest(self, material: int, quantity: int, t: int) -> int | None:
        """The first minute >= t from which ``quantity`` can be taken without the level ever
        going below zero afterwards; None if never."""
        times, levels, lowest_after = self._profile(material)
        j = int(np.searchsorted(times, t, side="right"))  # events up to t are in
        level_at_t = int(levels[j - 1]) if j else 0
        if level_at_t >= quantity and (j == len(times) or lowest_after[j] >= quantity):
            return t
        i = max(j, int(np.searchsorted(lowest_after, quantity, side="left")))  # lowest_after rises
        return int(times[i]) if i < len(times) else None

    def take(self, material: int, quantity: int, t: int) -> None:
        bisect.insort(self.events[material], (t, -quantity))
        self._levels.pop(material, None)

    def give_back(self, material: int, quantity: int, t: int) -> None:
        self.events[material].remove((t, -quantity))
        self._levels.pop(material, None)


def insert_unscheduled(schedule: Schedule, stop: StopRequest | None = None) -> Schedule:
    """The plan with as many left-out orders fitted in as the gaps and the stock allow.

    A requested ``stop`` ends the repair early; the orders fitted in by then stay.
    """
    p = schedule.problem
    left_out = [i for i in range(len(p.orders)) if not schedule.is_scheduled(i)]
    if not left_out:
        return schedule
    machine, start = list(schedule.machine), list(schedule.start)
    gaps, stock = placed_states(p, schedule), Stock(p, schedule)
    scheduled = {i for i in range(len(p.orders)) if schedule.is_scheduled(i)}
    completion = {i: schedule.end[p.orders[i].last_op] for i in scheduled}
    waiting = sorted(left_out, key=lambda i: (-p.unscheduled_penalty(i), p.orders[i].due, i))
    progress = True
    while progress:  # another pass when an inserted order lets its after_order successors in
        progress = False
        for i in waiting:
            if stop is not None and stop.requested:
                return Schedule(p, tuple(machine), tuple(start))
            order = p.orders[i]
            if i in scheduled or any(q not in scheduled for q in order.predecessors):
                continue
            ready = max([order.release, p.freeze, *(completion[q] for q in order.predecessors)])
            placed = place_order(p, i, ready, gaps, stock)
            if placed is None:
                continue
            for k, (m, s, _) in placed.items():
                machine[k], start[k] = m, s
            scheduled.add(i)
            completion[i] = max(e for _, _, e in placed.values())
            progress = progress or bool(p.successors[i])
    return Schedule(p, tuple(machine), tuple(start))


def keep_previous(problem: ProblemData, stop: StopRequest | None = None) -> Schedule:
    """Re-planning seed: each order of the previous plan as it was, where it still fits.

    Orders go in the order of their previous starts; each operation takes its previous
    machine at its previous start, or as soon after it as that machine and the stock allow
    (a right shift), or failing that the machine that finishes it first. Frozen operations
    keep their place. Orders that no longer fit, and new ones, are then fitted in by
    :func:`insert_unscheduled`.
    """
    return right_shift(problem, {**problem.previous, **problem.fixed}, stop)


def right_shift(
    p: ProblemData, where: dict[int, tuple[int, int]], stop: StopRequest | None = None
) -> Schedule:
    """Orders placed in the order of their first start in ``where`` (operation -> machine,
    start), each operation there or as soon after as machine and stock allow, else on the
    machine that ends it first; orders with fixed operations first."""
    machine, start, gaps, stock = fixed_in_place(p)  # first of all: nothing else may take their places
    completion: dict[int, int] = {}
    begins = {
        i: min(where[k][1] for k in o.operations if k in where)
        for i, o in enumerate(p.orders)
        if any(k in where for k in o.operations)
    }
    fixed_first = sorted({p.operations[k].order for k in p.fixed}, key=lambda i: (begins.get(i, 0), i))
    rest = sorted((i for i in begins if i not in fixed_first), key=lambda i: (begins[i], i))
    for i in [*fixed_first, *rest]:
        if stop is not None and stop.requested:
            break
        order = p.orders[i]
        if any(q not in completion for q in order.predecessors):
            continue
        ready = max([order.release, *(completion[q] for q in order.predecessors)])
        placed = place_order(p, i, ready, gaps, stock, where, set(p.fixed))
        if placed is None:
            for k in order.operations:  # not even partly planned (its fixed steps could not be kept)
                machine[k] = start[k] = -1
            continue
        for k, (m, s, _) in placed.items():
            machine[k], start[k] = m, s
        last = order.last_op
        completion[i] = placed[last][2] if last in placed else p.fixed_end(last)
    return insert_unscheduled(Schedule(p, tuple(machine), tuple(start)), stop)


def fixed_in_place(p: ProblemData) -> tuple[list[int], list[int], list[MachineState], Stock]:
    """Machine and start per operation, the machines' states and the stock, with only the
    fixed (frozen or running) operations placed."""
    n = len(p.operations)
    machine, start = [-1] * n, [-1] * n
    empty = Schedule(p, tuple(machine), tuple(start))
    gaps, stock = placed_states(p, empty), Stock(p, empty)
    for k, (m, s) in p.fixed.items():
        machine[k], start[k] = m, s
        put(p, k, (m, s, p.fixed_end(k)), gaps, stock)
    return machine, start, gaps, stock


def put(p: ProblemData, k: int, where: tuple[int, int, int], gaps: list[MachineState], stock: Stock) -> None:
    """Operation k on machine ``where[0]`` from ``where[1]`` to ``where[2]``: its time taken
    there and its material from the stock."""
    m, s, e = where
    gaps[m].place(s, e, p.mode(k, m).family)
    for d in p.demands_of_operation.get(k, ()):
        stock.take(d.material, d.quantity, s)


def take_out(
    p: ProblemData, k: int, where: tuple[int, int, int], gaps: list[MachineState], stock: Stock
) -> None:
    """Undo :func:`put`."""
    m, s, e = where
    gaps[m].remove(s, e, p.mode(k, m).family)
    for d in p.demands_of_operation.get(k, ()):
        stock.give_back(d.material, d.quantity, s)


def place_order(
    p: ProblemData,
    i: int,
    ready: int,
    gaps: list[MachineState],
    stock: Stock,
    prefer: dict[int, tuple[int, int]] | None = None,
    reserved: set[int] | None = None,
) -> dict[int, tuple[int, int, int]] | None:
    """Place every operation of order i (tentatively) as (machine, start, end); None if it does
    not fit. Operations in ``prefer`` try their (machine, start) first, frozen ones only that;
    ``reserved`` fixed operations are in ``gaps`` and ``stock`` already."""
    placed: dict[int, tuple[int, int, int]] = {}
    t = ready
    for k in p.orders[i].operations:
        if reserved is not None and k in reserved:
            t = max(t, p.fixed_end(k))
            continue
        choice = _preferred(p, k, t, gaps, stock, prefer) if prefer and k in prefer else None
        if choice is None and (prefer is None or k not in p.fixed):
            choice = place_operation(p, k, max(t, p.freeze), gaps, stock)
        if choice is None:
            for op, where in placed.items():
                take_out(p, op, where, gaps, stock)
            return None
        placed[k] = choice
        put(p, k, choice, gaps, stock)
        t = choice[2]
    return placed


def _preferred(
    p: ProblemData,
    k: int,
    ready: int,
    gaps: list[MachineState],
    stock: Stock,
    prefer: dict[int, tuple[int, int]],
) -> tuple[int, int, int] | None:
    """Operation k on its preferred machine, at its preferred start or the first fit after it,
    unless that machine would keep it waiting more than REPAIR_WAIT minutes (past its
    preferred start and past the moment it is ready) and another machine ends it more than
    REPAIR_WAIT minutes sooner: a breakdown's work goes to an alternative rather than wait,
    but work that is only late because the work before it is late keeps its machine (moving
    it would push that machine's work on in turn); a frozen operation exactly there or nowhere."""
    m, s = prefer[k]
    if m not in {mode.machine for mode in p.operations[k].modes}:
        return None
    wanted = max(ready, s)
    choice = place_operation(p, k, wanted, gaps, stock, only=m)
    if k in p.fixed:
        return choice if choice is not None and choice[1] == s else None
    if choice is not None and choice[1] <= wanted + REPAIR_WAIT:
        return choice  # no long wait: no other machine needs looking at
    other = place_operation(p, k, max(ready, p.freeze), gaps, stock)
    if choice is None or (other is not None and other[2] < choice[2] - REPAIR_WAIT):
        return other
    return choice


REPAIR_WAIT = 240  # minutes a machine may keep an operation of the previous plan waiting


def place_operation(
    p: ProblemData,
    k: int,
    ready: int,
    gaps: list[MachineState],
    stock: Stock,
    only: int | None = None,
) -> tuple[int, int, int] | None:
    """The machine (``only`` that one if given), start and end that finish operation k first,
    from ``ready`` on."""
    best: tuple[int, int, int] | None = None  # end, machine, start
    demands = p.demands_of_operation.get(k, ())
    for mode in p.operations[k].modes:
        if only is not None and mode.machine != only:
            continue
        t = ready
        slot = None
        for _ in range(1000):  # alternate between the machine and the stock until both agree
            slot = gaps[mode.machine].earliest(t, mode)
            if slot is None:
                break
            t = slot[0]
            moved = False
            for d in demands:
                at = stock.earliest(d.material, d.quantity, t)
                if at is None:
                    return None
                if at > t:
                    t, moved = at, True
            if not moved:
                break
        if slot is not None and (best is None or (slot[1], mode.machine) < best[:2]):
            best = (slot[1], mode.machine, slot[0])
    return None if best is None else (best[1], best[2], best[0])
