"""Rules of the plant model (contract section 4): calendars, shifts, changeovers, unbroken steps."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from scenarios.contract.convert import clock_text
from scenarios.contract.errors import Problem
from scenarios.contract.row_problems import problems_at, unknown_values
from scenarios.contract.settings import SETTINGS_FILE, Settings
from scheduler.calendars import DAY, longest_stretch, weekly_windows
from scheduler.exact import operation_duration

Tables = dict[str, pd.DataFrame]


def plant_problems(tables: Tables, settings: Settings | None) -> list[Problem]:
    problems = _calendar_references(tables, settings)
    problems += _shift_windows(tables["shifts"])
    problems += _changeover_rows(tables)
    if not problems:  # the steps' lengths are judged against calendars that make sense
        problems += _unbroken_operations(tables)
    return problems


def _clock(minutes: pd.Series) -> pd.Series:
    return pd.Series([t or "" for t in clock_text(minutes)], index=minutes.index, dtype=object)


def _calendar_references(tables: Tables, settings: Settings | None) -> list[Problem]:
    known = set(tables["shifts"]["calendar_id"].dropna())
    machines = tables["machines"]
    default = settings.plan.calendar if settings is not None else None
    problems = []
    if default is not None and default not in known:
        problems.append(
            Problem(
                SETTINGS_FILE,
                "[plan]",
                "calendar",
                f"unknown calendar {default}; expected a calendar_id from shifts",
            )
        )
        machines = machines[machines["calendar"] != default]  # reported once, above
    return problems + unknown_values("machines", machines, "calendar", known, "shifts")


def _shift_windows(shifts: pd.DataFrame) -> list[Problem]:
    if shifts.empty:
        return []
    problems = problems_at(
        "shifts",
        shifts,
        shifts["start"] >= DAY,
        "start",
        "start 24:00; expected a start before 24:00 (the window belongs to the next day)",
    )
    problems += problems_at(
        "shifts",
        shifts,
        shifts["end"] <= shifts["start"],
        "end",
        "end "
        + _clock(shifts["end"])
        + " is not after start "
        + _clock(shifts["start"])
        + "; expected end > start",
    )
    valid = shifts.dropna(subset=["calendar_id", "weekday", "start", "end"])
    valid = valid[valid["end"] > valid["start"]].sort_values(["calendar_id", "weekday", "start"])
    if valid.empty:
        return problems
    same = (valid["calendar_id"] == valid["calendar_id"].shift()) & (
        valid["weekday"] == valid["weekday"].shift()
    )
    overlap = same & (valid["start"] < valid["end"].shift())
    message = (
        "window "
        + _clock(valid["start"])
        + "-"
        + _clock(valid["end"])
        + " overlaps "
        + _clock(valid["start"].shift())
        + "-"
        + _clock(valid["end"].shift())
        + " of the same calendar and day; expected windows that do not overlap (touching ones join)"
    )
    return problems + problems_at("shifts", valid, overlap, "start", message)


def _changeover_rows(tables: Tables) -> list[Problem]:
    changeovers, machines = tables["changeovers"], tables["machines"]
    if changeovers.empty:
        return []
    problems = unknown_values(
        "changeovers", changeovers, "machine_id", machines["machine_id"].dropna(), "machines"
    )
    capacity = (
        machines.dropna(subset=["machine_id"])
        .drop_duplicates("machine_id")
        .set_index("machine_id")["capacity"]
    )
    parallel = changeovers["machine_id"].map(capacity).fillna(1) > 1
    problems += problems_at(
        "changeovers",
        changeovers,
        parallel,
        "machine_id",
        "machine "
        + changeovers["machine_id"].astype(str)
        + " runs several operations at once (capacity "
        + changeovers["machine_id"].map(capacity).astype(str)
        + "); expected a machine of capacity 1, the only kind with changeovers",
    )
    key = changeovers["machine_id"].fillna("").astype(str) + "\0" + changeovers["from_family"].astype(str)
    key = key + "\0" + changeovers["to_family"].astype(str)
    complete = changeovers[["from_family", "to_family"]].notna().all(axis=1)
    problems += problems_at(
        "changeovers",
        changeovers,
        key.duplicated(keep="first") & complete,
        "to_family",
        "the same machine_id, from_family and to_family as an earlier row; expected each once "
        "(an empty machine_id means every machine of capacity 1)",
    )
    return problems


def _unbroken_operations(tables: Tables) -> list[Problem]:
    """A step that may not pause must fit one working stretch of one of its machines."""
    machines = tables["machines"]
    windows = weekly_windows(tables["shifts"].dropna())
    longest = {c: longest_stretch(w) for c, w in windows.items()}
    stretch = machines["calendar"].map(longest).fillna(math.inf)
    limit = dict(zip(machines["machine_id"], stretch, strict=True))
    if all(math.isinf(v) for v in limit.values()):
        return []
    orders = tables["orders"][["order_id", "product_id", "quantity"]].reset_index(names="row").dropna()
    routings = tables["routings"].dropna(subset=["step", "machine_id", "minutes_per_unit"])
    lines = orders.merge(routings, on="product_id")
    progress = tables["progress"]
    if len(progress):  # a step the shop floor has started pauses over any break (section 5)
        started = set(zip(progress["order_id"], progress["step"], strict=True))
        lines = lines[[key not in started for key in zip(lines["order_id"], lines["step"], strict=True)]]
    if lines.empty:
        return []
    lines["limit"] = lines["machine_id"].map(limit).astype(float).fillna(math.inf)
    rough = lines["quantity"].astype(float) * lines["minutes_per_unit"] + lines["setup_minutes"].fillna(0)
    near = (rough - lines["limit"]).abs() < 2
    lines["minutes"] = rough
    lines.loc[near, "minutes"] = [
        operation_duration(int(q), m, int(s))
        for q, m, s in zip(
            lines.loc[near, "quantity"],
            lines.loc[near, "minutes_per_unit"],
            lines.loc[near, "setup_minutes"].fillna(0),
            strict=True,
        )
    ]
    lines["fits"] = lines["resumable"].astype(bool) | (lines["minutes"] <= lines["limit"])
    fits = lines.groupby(["row", "step"])["fits"].transform("any")
    bad = lines[~fits].sort_values(["row", "step", "machine_id"])
    if bad.empty:
        return []
    texts = pd.Series(None, index=tables["orders"].index, dtype=object)
    for (row, step), group in bad.groupby(["row", "step"], sort=True):
        if pd.notna(texts.get(row)):
            continue
        where = ", ".join(
            f"{m} ({v:,.0f} min)" for m, v in zip(group["machine_id"], group["limit"], strict=True)
        )
        texts[row] = (
            f"step {step} lasts {np.ceil(group['minutes'].min()):,.0f} min without a break "
            "(resumable is false), "
            f"longer than the longest working stretch of {where}; expected resumable = true, "
            "a smaller quantity or longer shifts"
        )
    return problems_at("orders", tables["orders"], texts.notna(), "quantity", texts)
