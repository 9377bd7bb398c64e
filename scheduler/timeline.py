"""Time helpers shared by the dispatch rules and left-shifting: machine slots and stock arrival."""

from __future__ import annotations

import bisect

from scheduler.problem import ProblemData, merge_intervals


class MachineTimelines:
    """Per machine, the next free minute and the downtime windows."""

    def __init__(self, problem: ProblemData) -> None:
        self.free = [0] * len(problem.machines)
        self.down = [list(m.downtime) for m in problem.machines]
        self.down_starts = [[s for s, _ in m.downtime] for m in problem.machines]

    def block(self, machine: int, start: int, end: int) -> None:
        """Mark [start, end) as taken, e.g. by a frozen operation."""
        self.down[machine] = list(merge_intervals([*self.down[machine], (start, end)]))
        self.down_starts[machine] = [s for s, _ in self.down[machine]]

    def slot(self, machine: int, earliest: int, duration: int) -> int:
        """First start >= earliest and >= the machine's free minute with no downtime inside."""
        t = max(earliest, self.free[machine])
        windows = self.down[machine]
        i = max(0, bisect.bisect_right(self.down_starts[machine], t) - 1)
        while i < len(windows):
            s, e = windows[i]
            if t + duration <= s:
                break
            if t < e:
                t = e
            i += 1
        return t


def arrival_time(problem: ProblemData, material: int, cumulative: float) -> int | None:
    """The first minute by which ``cumulative`` units of the material have arrived, if ever."""
    m = problem.materials[material]
    level = m.on_hand
    if level >= cumulative - 1e-9:
        return 0
    for t, q in m.receipts:
        level += q
        if level >= cumulative - 1e-9:
            return t
    return None
