"""The checker's rules of the plant model (contract section 4), recomputed from the tables.

Like :mod:`scheduler.check`, nothing here uses the solver's model: calendars are laid out
day by day from the shifts table, working time is rebuilt from them and the downtime, and
every rule is checked against the plan's own rows.
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pandas as pd

MINUTE = pd.Timedelta(minutes=1)
Report = Callable[[str, str, str, str], None]  # file, key, message, rule


@dataclass(frozen=True)
class MachineTime:
    """A machine's working stretches in minutes from the plan start inside [0, horizon) (None:
    around the clock with no downtime), and its downtime."""

    stretches: list[tuple[int, int]] | None
    downtime: list[tuple[int, int]]

    def why_not_inside(self, s: int, e: int) -> str:
        hit = [(a, b) for a, b in self.downtime if a < max(e, s + 1) and b > s]
        return f"during downtime (minute {hit[0][0]} to {hit[0][1]})" if hit else "outside its shifts"


def working_time(
    tables: dict[str, pd.DataFrame], start: pd.Timestamp, horizon: int
) -> dict[str, MachineTime]:
    """Per machine: its working time, laid out day by day from the shifts table."""
    shifts = tables["shifts"]
    by_day: dict[tuple[str, int], list[tuple[int, int]]] = {}
    for r in shifts.itertuples(index=False):
        by_day.setdefault((str(r.calendar_id), int(r.weekday)), []).append((int(r.start), int(r.end)))
    down: dict[str, list[tuple[int, int]]] = {}
    for r in tables["downtime"].itertuples(index=False):
        a = math.floor((r.start - start) / MINUTE)
        b = math.ceil((r.end - start) / MINUTE)
        down.setdefault(str(r.machine_id), []).append((a, b))
    out: dict[str, MachineTime] = {}
    days = pd.date_range(start.normalize() - pd.Timedelta(days=1), start + horizon * MINUTE, freq="D")
    for r in tables["machines"].itertuples(index=False):
        calendar = None if pd.isna(r.calendar) else str(r.calendar)
        if calendar is None and r.machine_id not in down:
            out[r.machine_id] = MachineTime(None, [])
            continue
        if calendar is None:
            windows = [(0, horizon)]
        else:
            windows = []
            for day in days:
                offset = round((day - start) / MINUTE)
                windows += [(offset + a, offset + b) for a, b in by_day.get((calendar, day.isoweekday()), [])]
        mine = down.get(r.machine_id, [])
        out[r.machine_id] = MachineTime(_subtract(_join(windows, horizon), mine), mine)
    return out


def _join(windows: list[tuple[int, int]], horizon: int) -> list[tuple[int, int]]:
    joined: list[list[int]] = []
    for a, b in sorted(windows):
        a, b = max(a, 0), min(b, horizon)
        if b <= a:
            continue
        if joined and a <= joined[-1][1]:
            joined[-1][1] = max(joined[-1][1], b)
        else:
            joined.append([a, b])
    return [(a, b) for a, b in joined]


def _subtract(stretches: list[tuple[int, int]], down: list[tuple[int, int]]) -> list[tuple[int, int]]:
    out = []
    for a, b in stretches:
        pieces = [(a, b)]
        for s, e in down:
            pieces = [p for x, y in pieces for p in ((x, min(y, s)), (max(x, e), y)) if p[1] > p[0]]
        out += pieces
    return sorted(out)


def _worked(stretches: list[tuple[int, int]], s: int, e: int) -> int:
    return sum(max(0, min(b, e) - max(a, s)) for a, b in stretches if a < e and b > s)


def _inside_one(stretches: list[tuple[int, int]], s: int, e: int) -> bool:
    i = bisect.bisect_right(stretches, (s, math.inf)) - 1
    return i >= 0 and stretches[i][0] <= s <= e <= stretches[i][1]


def _is_working(stretches: list[tuple[int, int]], t: int) -> bool:
    i = bisect.bisect_right(stretches, (t, math.inf)) - 1
    return i >= 0 and stretches[i][0] <= t < stretches[i][1]


def check_working_time(ops: pd.DataFrame, working: dict[str, MachineTime], report: Report) -> None:
    """Each operation's length in working minutes, and where it may lie (``ops``: one row per
    operation with start_minute, end_minute, duration and resumable)."""
    for r in ops.itertuples():
        key = f"order_id={r.order_id}, step={r.step}"
        s, e, d = int(r.start_minute), int(r.end_minute), int(r.duration)
        time = working.get(r.machine_id, MachineTime(None, []))
        stretches = time.stretches
        if getattr(r, "running", False):
            _check_running(r, key, stretches, report)
            continue
        if stretches is None or not r.resumable:
            if e - s != d:
                report(
                    "schedule.parquet",
                    key,
                    f"lasts {e - s} min on {r.machine_id}; expected setup + ceil(quantity x "
                    f"minutes_per_unit) = {d} min",
                    "wrong duration",
                )
            elif stretches is not None and not _inside_one(stretches, s, e):
                report(
                    "schedule.parquet",
                    key,
                    f"runs {r.start} to {r.end} {time.why_not_inside(s, e)} of {r.machine_id}; expected it "
                    "inside one stretch of working time (shifts minus downtime), or a resumable step",
                    "working time",
                )
            continue
        worked = _worked(stretches, s, e)
        if worked != d or (d > 0 and not (_is_working(stretches, s) and _is_working(stretches, e - 1))):
            report(
                "schedule.parquet",
                key,
                f"resumable step runs {r.start} to {r.end} with {worked} working minutes on {r.machine_id}; "
                f"expected {d}, starting at a working minute and ending with the last of them",
                "working time",
            )
        elif d == 0 and e != s:
            report(
                "schedule.parquet",
                key,
                "a step of 0 working minutes must end where it starts",
                "working time",
            )


def _check_running(r: Any, key: str, stretches: list[tuple[int, int]] | None, report: Report) -> None:
    """A running step (contract section 5) needs its remaining working minutes from the plan
    start, pausing over whatever is not working time, and ends with the last of them."""
    s, e, d = int(r.start_minute), int(r.end_minute), int(r.duration)
    worked = e - s if stretches is None else _worked(stretches, s, e)
    ends_working = d == 0 or stretches is None or _is_working(stretches, e - 1)
    if worked != d or not ends_working or (d == 0 and e != s):
        report(
            "schedule.parquet",
            key,
            f"running step runs {r.start} to {r.end} with {worked} working minutes on {r.machine_id}; "
            f"expected its remaining_minutes {d}, ending with the last of them",
            "running step",
        )


def check_capacity(ops: pd.DataFrame, capacity: dict[str, int], report: Report) -> None:
    """At no moment more operations on a machine than its capacity (capacity 1: the v1 rule,
    under which a zero-length operation may touch another but not sit inside it)."""
    for machine, g in ops.sort_values(["start_minute", "end_minute"]).groupby("machine_id"):
        limit = capacity.get(str(machine), 1)
        if limit == 1:
            running_end = running_start = None
            running_key = ""
            for r in g.itertuples():
                inside = r.end_minute > r.start_minute or (
                    running_start is not None and running_start < r.start_minute
                )
                if running_end is not None and r.start_minute < running_end and inside:
                    report(
                        "schedule.parquet",
                        f"machine_id={machine}",
                        f"order {r.order_id} step {r.step} starts {r.start} while {running_key} runs "
                        f"until {pd.Timestamp(r.start) + (running_end - r.start_minute) * MINUTE}",
                        "machine overlap",
                    )
                if r.end_minute > r.start_minute and (running_end is None or r.end_minute > running_end):
                    running_start, running_end = r.start_minute, r.end_minute
                    running_key = f"order {r.order_id} step {r.step}"
            continue
        events = sorted(
            [(int(e), -1, "") for e, s in zip(g["end_minute"], g["start_minute"], strict=True) if e > s]
            + [
                (int(s), 1, f"order {o} step {st}")
                for s, e, o, st in zip(
                    g["start_minute"], g["end_minute"], g["order_id"], g["step"], strict=True
                )
                if e > s
            ]
        )
        load = 0
        for t, change, what in events:
            load += change
            if load > limit:
                report(
                    "schedule.parquet",
                    f"machine_id={machine}",
                    f"{load} operations at once from minute {t} ({what} starts); expected at most {limit} "
                    "(machines.capacity)",
                    "capacity",
                )


def changeover_rule(tables: dict[str, pd.DataFrame]) -> Callable[[str, Any, Any], int]:
    """minutes(machine, from family, to family): the machine's row, else the every-machine row, else 0."""
    table: dict[tuple[str | None, str, str], int] = {}
    for r in tables["changeovers"].itertuples(index=False):
        machine = None if pd.isna(r.machine_id) else str(r.machine_id)
        table[(machine, str(r.from_family), str(r.to_family))] = int(r.minutes)

    def minutes(machine: str, before: Any, after: Any) -> int:
        if pd.isna(before) or pd.isna(after):
            return 0
        pair = (str(before), str(after))
        return table.get((machine, *pair), table.get((None, *pair), 0))

    return minutes


def check_changeovers(
    ops: pd.DataFrame, capacity: dict[str, int], minutes: Callable[[str, Any, Any], int], report: Report
) -> dict[int, int]:
    """Consecutive operations on a machine of capacity 1 keep their changeover gap.

    Returns the gap the rule requires before each operation (by row label of ``ops``).
    """
    required: dict[int, int] = {}
    for machine, g in ops.sort_values(["start_minute", "end_minute"]).groupby("machine_id"):
        if capacity.get(str(machine), 1) != 1:
            continue
        previous = None
        for r in g.itertuples():
            if previous is not None:
                gap = minutes(str(machine), previous.family, r.family)
                required[r.Index] = gap
                if r.start_minute - previous.end_minute < gap:
                    report(
                        "schedule.parquet",
                        f"machine_id={machine}",
                        f"order {r.order_id} step {r.step} ({r.family}) starts "
                        f"{r.start_minute - previous.end_minute} min after order {previous.order_id} step "
                        f"{previous.step} ({previous.family}) ends; expected a changeover of {gap} min",
                        "changeover",
                    )
            previous = r
    return required


def check_plant_columns(ops: pd.DataFrame, required: dict[int, int], report: Report) -> None:
    """The plan's changeover_minutes and working_minutes, where given, as the rules say."""
    for column, expected in (
        ("changeover_minutes", pd.Series(required, dtype="int64").reindex(ops.index, fill_value=0)),
        ("working_minutes", ops["duration"]),
    ):
        if column not in ops.columns:
            report("schedule.parquet", "", f"missing column {column} (contract section 4)", "columns")
            continue
        given = pd.to_numeric(ops[column], errors="coerce")
        for r, want, got in zip(ops.itertuples(), expected, given, strict=True):
            if got != want:
                report(
                    "schedule.parquet",
                    f"order_id={r.order_id}, step={r.step}",
                    f"{column} is {got}; expected {want}",
                    column,
                )


def check_machine_summary(
    ops: pd.DataFrame,
    working: dict[str, MachineTime],
    horizon: int,
    required: dict[int, int],
    summary: dict[str, Any],
    report: Report,
) -> None:
    """summary.json machines: changeover minutes, working minutes available, utilisation."""
    given = summary.get("machines")
    if not isinstance(given, dict):
        report("summary.json", "machines", "missing; expected an object keyed by machine_id", "machines")
        return
    switching = pd.Series(required, dtype="int64").groupby(ops["machine_id"]).sum()
    busy = ops.groupby("machine_id")["duration"].sum()
    for machine, time in working.items():
        stretches = time.stretches
        available = horizon if stretches is None else sum(b - a for a, b in stretches)
        expected = {
            "changeover_minutes": int(switching.get(machine, 0)),
            "working_minutes_available": available,
            "utilisation": (int(busy.get(machine, 0)) / available) if available else 0.0,
        }
        figures = given.get(machine, {})
        for key, want in expected.items():
            got = figures.get(key)
            if got is None or not math.isclose(float(got), want, rel_tol=1e-9, abs_tol=1e-9):
                report("summary.json", f"machines.{machine}", f"{key} is {got}; expected {want}", "machines")
