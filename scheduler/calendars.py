"""Shift calendars: weekly working windows laid out over the plan in model minutes.

A calendar is a set of windows (weekday 1 = Monday .. 7 = Sunday, start and end in
minutes of that day, end up to 1440) that repeats every week in plant-local time.
Windows that touch join into one stretch, across midnight and from Sunday into Monday.
"""

from __future__ import annotations

import math

import pandas as pd

DAY = 1440
WEEK = 7 * DAY
Windows = list[tuple[int, int]]  # minutes from Monday 00:00, within one week


def weekly_windows(shifts: pd.DataFrame) -> dict[str, Windows]:
    """Each calendar's windows as minutes of the week (the shifts table, typed)."""
    out: dict[str, Windows] = {}
    for cal, day, start, end in zip(
        shifts["calendar_id"], shifts["weekday"], shifts["start"], shifts["end"], strict=True
    ):
        offset = (int(day) - 1) * DAY
        out.setdefault(str(cal), []).append((offset + int(start), offset + int(end)))
    return {cal: sorted(w) for cal, w in out.items()}


def _joined(intervals: list[tuple[int, int]]) -> list[tuple[int, int]]:
    out: list[list[int]] = []
    for a, b in sorted(intervals):
        if out and a <= out[-1][1]:
            out[-1][1] = max(out[-1][1], b)
        else:
            out.append([a, b])
    return [(a, b) for a, b in out]


def longest_stretch(windows: Windows) -> float:
    """The longest unbroken working time the calendar gives, in minutes (inf around the clock)."""
    two_weeks = _joined([(a + w * WEEK, b + w * WEEK) for w in (0, 1) for a, b in windows])
    longest = max((b - a for a, b in two_weeks), default=0)
    return math.inf if longest >= WEEK else float(longest)


def calendar_minutes(windows: Windows, start: pd.Timestamp, horizon: int) -> list[tuple[int, int]]:
    """The calendar's windows in model minutes (minute 0 = ``start``), covering [0, horizon), joined."""
    midnight = start.normalize()
    monday = midnight - pd.Timedelta(days=midnight.day_of_week)
    first = int((monday - start) / pd.Timedelta(minutes=1))  # <= 0: Monday 00:00 of the first week
    weeks = (horizon - first) // WEEK + 2
    return _joined([(first + w * WEEK + a, first + w * WEEK + b) for w in range(weeks) for a, b in windows])
