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

from scheduler.problem import ProblemData
from scheduler.schedule import Schedule
from scheduler.stop import StopRequest
from scheduler.timeline import first_fit


class _Gaps:
    """Busy intervals per machine (downtime and planned operations), sorted by start."""

    def __init__(self, problem: ProblemData, schedule: Schedule) -> None:
        self.busy: list[list[tuple[int, int]]] = [sorted(m.downtime) for m in problem.machines]
        for k, m in enumerate(schedule.machine):
            if m >= 0 and schedule.end[k] > schedule.start[k]:
                bisect.insort(self.busy[m], (schedule.start[k], schedule.end[k]))

    def earliest(self, machine: int, t: int, duration: int) -> int:
        """The first start >= t where [start, start + duration) overlaps nothing busy."""
        return first_fit(self.busy[machine], t, duration)

    def add(self, machine: int, start: int, end: int) -> None:
        if end > start:
            bisect.insort(self.busy[machine], (start, end))

    def remove(self, machine: int, start: int, end: int) -> None:
        if end > start:
            self.busy[machine].remove((start, end))


class _Stock:
    """Per material, the level over time: arrivals in, planned consumptions out."""

    def __init__(self, problem: ProblemData, schedule: Schedule) -> None:
        self.events: list[list[tuple[int, int]]] = []
        for m in problem.materials:
            self.events.append(sorted([(0, m.on_hand), *m.receipts]))
        for d in problem.demands:
            if schedule.is_scheduled(d.order):
                bisect.insort(self.events[d.material], (schedule.start[d.operation], -d.quantity))

    def earliest(self, material: int, quantity: int, t: int) -> int | None:
        """The first minute >= t from which ``quantity`` can be taken without the level ever
        going below zero afterwards; None if never."""
        events = self.events[material]
        times = sorted({e[0] for e in events} | {t})
        level_at: list[int] = []
        level, j = 0, 0
        for time in times:
            while j < len(events) and events[j][0] <= time:
                level += events[j][1]
                j += 1
            level_at.append(level)
        suffix: int | None = None
        best = None
        for idx in range(len(times) - 1, -1, -1):
            suffix = level_at[idx] if suffix is None else min(suffix, level_at[idx])
            if times[idx] < t:
                break
            if suffix >= quantity:
                best = times[idx]
        return best

    def take(self, material: int, quantity: int, t: int) -> None:
        bisect.insort(self.events[material], (t, -quantity))

    def give_back(self, material: int, quantity: int, t: int) -> None:
        self.events[material].remove((t, -quantity))


def insert_unscheduled(schedule: Schedule, stop: StopRequest | None = None) -> Schedule:
    """The plan with as many left-out orders fitted in as the gaps and the stock allow.

    A requested ``stop`` ends the repair early; the orders fitted in by then stay.
    """
    p = schedule.problem
    left_out = [i for i in range(len(p.orders)) if not schedule.is_scheduled(i)]
    if not left_out:
        return schedule
    machine, start = list(schedule.machine), list(schedule.start)
    gaps, stock = _Gaps(p, schedule), _Stock(p, schedule)
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
            placed = _place_order(p, i, ready, gaps, stock)
            if placed is None:
                continue
            for k, (m, s) in placed.items():
                machine[k], start[k] = m, s
            scheduled.add(i)
            completion[i] = max(s + _duration(p, k, m) for k, (m, s) in placed.items())
            progress = progress or bool(p.successors[i])
    return Schedule(p, tuple(machine), tuple(start))


def _duration(p: ProblemData, op: int, machine: int) -> int:
    return next(mode.duration for mode in p.operations[op].modes if mode.machine == machine)


def _place_order(
    p: ProblemData, i: int, ready: int, gaps: _Gaps, stock: _Stock
) -> dict[int, tuple[int, int]] | None:
    """Place every operation of order i (tentatively); undo and return None if it does not fit."""
    placed: dict[int, tuple[int, int]] = {}
    taken: list[tuple[int, int, int]] = []
    t = ready
    for k in p.orders[i].operations:
        choice = _place_operation(p, k, t, gaps, stock)
        if choice is None or choice[1] + _duration(p, k, choice[0]) > p.horizon:
            for m_, (s_, e_) in ((m, (s, s + _duration(p, op, m))) for op, (m, s) in placed.items()):
                gaps.remove(m_, s_, e_)
            for material, quantity, at in taken:
                stock.give_back(material, quantity, at)
            return None
        m, s = choice
        placed[k] = (m, s)
        gaps.add(m, s, s + _duration(p, k, m))
        for d in p.demands_of_operation.get(k, ()):
            stock.take(d.material, d.quantity, s)
            taken.append((d.material, d.quantity, s))
        t = s + _duration(p, k, m)
    return placed


def _place_operation(
    p: ProblemData, k: int, ready: int, gaps: _Gaps, stock: _Stock
) -> tuple[int, int] | None:
    """The machine and start that finish operation k first, from ``ready`` on."""
    best: tuple[int, int, int] | None = None
    demands = p.demands_of_operation.get(k, ())
    for mode in p.operations[k].modes:
        t = ready
        for _ in range(1000):  # alternate between machine gaps and stock until both agree
            t = gaps.earliest(mode.machine, t, mode.duration)
            moved = False
            for d in demands:
                at = stock.earliest(d.material, d.quantity, t)
                if at is None:
                    return None
                if at > t:
                    t, moved = at, True
            if not moved:
                break
        if best is None or (t + mode.duration, mode.machine) < (best[0], best[1]):
            best = (t + mode.duration, mode.machine, t)
    return None if best is None else (best[1], best[2])
