"""A machine's working time in model minutes: where an operation may start and where it ends.

Working time is the machine's calendar stretches minus its downtime, inside the horizon
(a machine without a calendar works around the clock). An operation that is not
resumable lies inside one stretch: its end is start + duration. A resumable one starts at
a working minute and pauses outside working time: it ends at the end of its
``duration``-th working minute.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass, field
from functools import cached_property


@dataclass(frozen=True)
class WorkingTime:
    """Disjoint stretches ``[a, b)`` of working time, sorted, each with b > a."""

    stretches: tuple[tuple[int, int], ...]
    _starts: list[int] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_starts", [a for a, _ in self.stretches])

    @cached_property
    def worked_before(self) -> tuple[int, ...]:
        """Per stretch, the working minutes in all stretches before it."""
        out, total = [], 0
        for a, b in self.stretches:
            out.append(total)
            total += b - a
        return tuple(out)

    @cached_property
    def longest(self) -> int:
        return max((b - a for a, b in self.stretches), default=0)

    @property
    def total(self) -> int:
        return sum(b - a for a, b in self.stretches)

    @cached_property
    def always(self) -> bool:
        """One stretch from the first minute to the last: no break to care about."""
        return len(self.stretches) <= 1

    def stretch_at(self, t: int) -> int:
        """Index of the stretch holding minute t, or -1 when t is not working time."""
        i = bisect.bisect_right(self._starts, t) - 1
        return i if i >= 0 and t < self.stretches[i][1] else -1

    def worked(self, start: int, end: int) -> int:
        """Working minutes inside [start, end)."""
        return self._cumulative(end) - self._cumulative(start)

    def _cumulative(self, t: int) -> int:
        i = bisect.bisect_right(self._starts, t) - 1
        if i < 0:
            return 0
        a, b = self.stretches[i]
        return self.worked_before[i] + min(t, b) - a

    def finish(self, start: int, duration: int, resumable: bool) -> int:
        """The end of an operation that starts at ``start`` (a start at which it :meth:`fits`)."""
        if not resumable or duration == 0:
            return start + duration
        target = self._cumulative(start) + duration
        i = bisect.bisect_left(self.worked_before, target) - 1  # the stretch in which work reaches target
        return self.stretches[i][0] + target - self.worked_before[i]

    def fits(self, start: int, duration: int, resumable: bool) -> bool:
        """Whether an operation may start at ``start``."""
        i = self.stretch_at(start)
        if i < 0:
            return False
        if resumable:
            return self.worked(start, self.stretches[-1][1]) >= duration
        return start + duration <= self.stretches[i][1]

    def earliest(self, t: int, duration: int, resumable: bool) -> int | None:
        """The first start >= t at which the operation fits, or None."""
        i = max(0, bisect.bisect_right(self._starts, t) - 1)
        if resumable and self.worked(max(t, 0), self.stretches[-1][1] if self.stretches else 0) < duration:
            return None
        for a, b in self.stretches[i:]:
            s = max(a, t)
            if s < b and (resumable or s + duration <= b):
                return s
        return None

    def start_domain(self, duration: int, resumable: bool) -> list[tuple[int, int]]:
        """Every start as inclusive ranges [lo, hi]."""
        out = []
        total = self.total
        for i, (a, b) in enumerate(self.stretches):
            if resumable:
                left = total - self.worked_before[i]  # working minutes from a to the last stretch's end
                hi = min(b - 1, a + left - duration) if duration else b - 1
                if hi >= a:
                    out.append((a, hi))
            elif b - a >= max(duration, 1):
                out.append((a, b - max(duration, 1)) if duration else (a, b - 1))
        return out

    def breaks_within(self, lo: int, hi: int) -> bool:
        """Whether working time has a break somewhere in [lo, hi)."""
        i = self.stretch_at(lo)
        return i < 0 or self.stretches[i][1] < hi


def working_stretches(
    calendar: list[tuple[int, int]] | None, downtime: tuple[tuple[int, int], ...], horizon: int
) -> WorkingTime:
    """Calendar windows (None: around the clock) minus downtime, in [0, horizon); touching ones join."""
    windows = [(0, horizon)] if calendar is None else sorted(calendar)
    merged: list[list[int]] = []
    for a, b in windows:
        a, b = max(a, 0), min(b, horizon)
        if b <= a:
            continue
        if merged and a <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], b)
        else:
            merged.append([a, b])
    out: list[tuple[int, int]] = []
    down = sorted(downtime)
    for a, b in merged:
        cursor = a
        for s, e in down:
            if e <= cursor or s >= b:
                continue
            if s > cursor:
                out.append((cursor, s))
            cursor = max(cursor, e)
        if cursor < b:
            out.append((cursor, b))
    return WorkingTime(tuple(out))
