"""Time helpers shared by the dispatch rules and left-shifting: machine slots and stock arrival."""

from __future__ import annotations

import bisect

from scheduler.problem import ProblemData, merge_intervals


def first_fit(busy: list[tuple[int, int]], t: int, duration: int) -> int:
    """The first start >= t at which [start, start + duration) overlaps none of ``busy``.

    ``busy`` holds disjoint (start, end) intervals sorted by start. A zero-length
    operation may touch an interval but not sit inside one.
    """
    i = max(0, bisect.bisect_right(busy, (t, t)) - 1)
    while i < len(busy):
        s, e = busy[i]
        if t + duration <= s:
            break
        if t < e:
            t = e
        i += 1
    return t


class MachineTimelines:
    """Per machine, the next free minute and the downtime windows."""

    def __init__(self, problem: ProblemData) -> None:
        self.free = [0] * len(problem.machines)
        self.down = [list(m.downtime) for m in problem.machines]

    def block(self, machine: int, start: int, end: int) -> None:
        """Mark [start, end) as taken, e.g. by a frozen operation."""
        self.down[machine] = list(merge_intervals([*self.down[machine], (start, end)]))

    def slot(self, machine: int, earliest: int, duration: int) -> int:
        """First start >= earliest and >= the machine's free minute with no downtime inside."""
        return first_fit(self.down[machine], max(earliest, self.free[machine]), duration)


def arrival_time(problem: ProblemData, material: int, cumulative: int) -> int | None:
    """The first minute by which ``cumulative`` units of the material have arrived, if ever."""
    m = problem.materials[material]
    level = m.on_hand
    if level >= cumulative:
        return 0
    for t, q in m.receipts:
        level += q
        if level >= cumulative:
            return t
    return None
