"""Broken plant-model tables (contract section 4): exit 1, naming table, row key and column."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.helpers import settings_text, write_scenario
from tests.helpers.tables import append_row, assert_rejected, base_tables, set_value, validate


def plant_tables() -> dict[str, list[dict[str, Any]]]:
    tables = base_tables()
    tables["machines"] = [
        {"machine_id": "M1", "group": "CUT", "capacity": 1, "calendar": "TWO"},
        {"machine_id": "M2", "group": "OVEN", "capacity": 3, "calendar": ""},
    ]
    tables["routings"][0]["family"] = "dark"
    tables["routings"][1]["resumable"] = True
    tables["shifts"] = [
        {"calendar_id": "TWO", "weekday": d, "start": s, "end": e}
        for d in range(1, 6)
        for s, e in (("06:00", "14:00"), ("14:00", "22:00"))
    ]
    tables["changeovers"] = [
        {"machine_id": "", "from_family": "dark", "to_family": "light", "minutes": 45},
        {"machine_id": "M1", "from_family": "light", "to_family": "dark", "minutes": 30},
    ]
    return tables


def test_the_plant_tables_are_valid(tmp_path: Path) -> None:
    code, output = validate(write_scenario(tmp_path / "s", plant_tables()))
    assert code == 0, output


CASES: dict[str, tuple[Callable[[dict[str, Any]], None], list[str]]] = {
    "unknown calendar": (
        set_value("machines", 0, "calendar", "NIGHT"),
        ["machines [machine_id=M1] calendar: unknown calendar NIGHT; expected a calendar from shifts"],
    ),
    "malformed shift time": (
        set_value("shifts", 0, "start", "25:00"),
        ["shifts [row 1, calendar_id=TWO, weekday=1] start: found '25:00'", "HH:MM from 00:00 to 24:00"],
    ),
    "shift ending before it starts": (
        set_value("shifts", 1, "end", "13:00"),
        ["shifts [row 2, calendar_id=TWO, weekday=1] end: end 13:00 is not after start 14:00"],
    ),
    "shift starting at 24:00": (
        set_value("shifts", 1, "start", "24:00"),
        ["shifts [row 2, calendar_id=TWO, weekday=1] start: start 24:00; expected a start before 24:00"],
    ),
    "overlapping shifts": (
        append_row("shifts", {"calendar_id": "TWO", "weekday": 3, "start": "12:00", "end": "16:00"}),
        ["calendar_id=TWO, weekday=3] start: window 14:00-22:00 overlaps 12:00-16:00 of the same calendar"],
    ),
    "weekday 8": (
        set_value("shifts", 0, "weekday", 8),
        ["weekday: found 8; expected a whole number >= 1 and <= 7"],
    ),
    "changeovers on an oven": (
        append_row("changeovers", {"machine_id": "M2", "from_family": "a", "to_family": "b", "minutes": 5}),
        [
            "changeovers [row 3, machine_id=M2, from_family=a, to_family=b] machine_id: machine M2 runs",
        ],
    ),
    "the same changeover twice": (
        append_row(
            "changeovers", {"machine_id": "", "from_family": "dark", "to_family": "light", "minutes": 9}
        ),
        [
            "changeovers [row 3, machine_id=, from_family=dark, to_family=light] to_family: the same",
        ],
    ),
    "changeover of an unknown machine": (
        append_row("changeovers", {"machine_id": "M9", "from_family": "a", "to_family": "b", "minutes": 5}),
        ["machine_id: unknown machine M9"],
    ),
    "capacity 0": (set_value("machines", 1, "capacity", 0), ["machines [machine_id=M2] capacity: found 0"]),
    "resumable maybe": (
        set_value("routings", 1, "resumable", "maybe"),
        ["routings [product_id=P, step=20, machine_id=M2] resumable: found 'maybe'; expected true or false"],
    ),
    "a step longer than every working stretch": (
        set_value(
            "orders", 0, "quantity", 700
        ),  # step 10 on M1: 10 + 700 x 1.5 = 1,060 min, two shifts are 960
        [
            "orders [order_id=O1] quantity: step 10 lasts 1,060 min without a break (resumable is false), "
            "longer than the longest working stretch of M1 (960 min)",
        ],
    ),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_broken_plant_table(tmp_path: Path, case: str) -> None:
    change, expected = CASES[case]
    tables = plant_tables()
    change(tables)
    assert_rejected(write_scenario(tmp_path / "s", tables), expected)


def test_an_unknown_default_calendar_is_reported_once(tmp_path: Path) -> None:
    tables = plant_tables()
    settings = settings_text().replace("horizon_days = 1", 'horizon_days = 1\ncalendar = "NONE"')
    code, output = validate(write_scenario(tmp_path / "s", tables, settings))
    assert code == 1 and output.count("unknown calendar NONE") == 1, output
    assert "scenario.toml [plan] calendar: unknown calendar NONE" in " ".join(output.split())


def test_a_calendar_running_around_the_clock_allows_any_length(tmp_path: Path) -> None:
    tables = plant_tables()
    tables["shifts"] = [
        {"calendar_id": "TWO", "weekday": d, "start": "00:00", "end": "24:00"} for d in range(1, 8)
    ]
    tables["orders"][0]["quantity"] = 700
    code, output = validate(write_scenario(tmp_path / "s", tables))
    assert code == 0, output
