"""Where an operation fits on a machine, given what is placed there already; stock arrival.

Shared by the dispatch rules, the insertion repair and left-shifting, so that all of them
respect the same rules: the machine's working time (calendar minus downtime, with
resumable operations pausing), its capacity, and changeovers between consecutive
operations on a machine of capacity 1.
"""

from __future__ import annotations

import bisect

from scheduler.problem import NO_FAMILY, Machine, Mode, ProblemData

Placed = tuple[int, int, int]  # start, end, family


def _overlap(a: int, b: int, s: int, e: int) -> bool:
    """Whether [a, b) and [s, e) collide; a zero-length one may touch the other, not sit inside."""
    if a == b or s == e:
        return a < s < b or s < a < e
    return a < e and s < b


class MachineState:
    """The operations placed on one machine (and those held there), sorted by start."""

    def __init__(self, machine: Machine) -> None:
        self.machine = machine
        self.items: list[Placed] = sorted((h.start, h.end, h.family) for h in machine.held)
        self.longest = max((e - s for s, e, _ in self.items), default=0)

    def place(self, start: int, end: int, family: int = NO_FAMILY) -> None:
        bisect.insort(self.items, (start, end, family))
        self.longest = max(self.longest, end - start)

    def remove(self, start: int, end: int, family: int = NO_FAMILY) -> None:
        self.items.remove((start, end, family))

    def earliest(self, t: int, mode: Mode) -> tuple[int, int] | None:
        """The first (start, end) with start >= t at which ``mode`` fits, or None if nowhere."""
        working = self.machine.working
        for _ in range(100_000):
            s = working.earliest(t, mode.duration, mode.resumable)
            if s is None:
                return None
            e = working.finish(s, mode.duration, mode.resumable)
            later = self._conflict(s, e, mode.family)
            if later is None:
                return s, e
            t = max(later, s + 1)
        return None  # pragma: no cover - a machine with more than 100,000 operations in the way

    def _conflict(self, s: int, e: int, family: int) -> int | None:
        """None when [s, e) fits; else a later minute worth trying."""
        if self.machine.capacity > 1:
            return self._capacity_conflict(s, e)
        items, change = self.items, self.machine.changeover
        # items[:j] start before e; one starting at e comes after [s, e), an empty one too (its
        # changeover from this family counts), and after an empty [s, s) as well
        j = bisect.bisect_left(items, (e, -1, NO_FAMILY))
        i = j - 1
        while i >= 0 and items[i][1] > s:  # those still running at s collide, or come after
            a, b, f = items[i]
            if _overlap(a, b, s, e):
                return b + change(f, family)
            i -= 1
        if i >= 0 and s < items[i][1] + change(items[i][2], family):
            return items[i][1] + change(items[i][2], family)
        nxt = items[j] if j < len(items) else None
        if nxt is not None and nxt[0] < e + change(family, nxt[2]):
            return nxt[1] + change(nxt[2], family)
        return None

    def _capacity_conflict(self, s: int, e: int) -> int | None:
        if s == e:
            return None
        lo = bisect.bisect_left(self.items, (s - self.longest, -1, NO_FAMILY))
        hi = bisect.bisect_left(self.items, (e, -1, NO_FAMILY))
        running = [(a, b) for a, b, _ in self.items[lo:hi] if a < e and b > s and b > a]
        if len(running) < self.machine.capacity:
            return None
        events = sorted([(max(a, s), 1) for a, _ in running] + [(b, -1) for _, b in running])
        load = 0
        for time, change in events:
            load += change
            if load >= self.machine.capacity and time < e:
                return min(b for a, b in running if a <= time < b)
        return None


def machine_states(problem: ProblemData) -> list[MachineState]:
    return [MachineState(m) for m in problem.machines]


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
