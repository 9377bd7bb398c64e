"""The scenario: settings plus typed tables with defaults filled in."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path

import pandas as pd

from scenarios.contract.convert import convert_table, empty_table
from scenarios.contract.errors import InputError, Problem, errors_only
from scenarios.contract.io import read_settings_text, read_table_file, table_files, write_table
from scenarios.contract.schema import TABLES
from scenarios.contract.settings import Settings, parse_settings
from scenarios.contract.validate import cross_table_problems


@dataclass(frozen=True)
class Scenario:
    """A validated scenario: ``tables`` holds every contract table, typed, defaults filled."""

    name: str
    settings: Settings
    tables: dict[str, pd.DataFrame]
    warnings: tuple[Problem, ...] = field(default=())

    def __getitem__(self, table: str) -> pd.DataFrame:
        return self.tables[table]

    def replace(self, **changes: object) -> Scenario:
        """A variant of this scenario (``settings=...``, ``tables=...``)."""
        return replace(self, **changes)  # type: ignore[arg-type]


def check_scenario(folder: Path | str) -> tuple[Scenario | None, list[Problem]]:
    """Read and check a scenario folder; return it (when valid) and every problem found."""
    folder = Path(folder)
    if not folder.is_dir():
        return None, [
            Problem(str(folder), "", "", "not a folder; expected a scenario folder with scenario.toml")
        ]
    text, problems = read_settings_text(folder)
    settings = None
    if text is not None:
        settings, found = parse_settings(text)
        problems += found
    files, found = table_files(folder)
    problems += found
    raw: dict[str, pd.DataFrame] = {}
    for name, path in files.items():
        frame, found = read_table_file(path, name)
        problems += found
        if frame is not None:
            raw[name] = frame
    tables, found = build_tables(raw, settings)
    problems += found
    if errors_only(problems) or settings is None:
        return None, problems
    return Scenario(folder.name, settings, tables, tuple(problems)), problems


def scenario_from_tables(name: str, settings_text: str, raw: dict[str, pd.DataFrame]) -> Scenario:
    """A scenario from tables in memory, checked exactly like one read from a folder."""
    settings, problems = parse_settings(settings_text)
    tables, found = build_tables(raw, settings)
    problems += found
    if errors_only(problems) or settings is None:
        raise InputError(problems)
    return Scenario(name, settings, tables, tuple(problems))


def build_tables(
    raw: dict[str, pd.DataFrame], settings: Settings | None
) -> tuple[dict[str, pd.DataFrame], list[Problem]]:
    """Convert raw tables to typed ones, fill defaults and run the cross-table rules."""
    problems: list[Problem] = []
    tables: dict[str, pd.DataFrame] = {}
    for name, table in TABLES.items():
        if name in raw:
            converted = convert_table(raw[name], table)
            problems += converted.problems
            tables[name] = converted.frame
        else:
            tables[name] = empty_table(table)
    fill_defaults(tables, settings)
    problems += cross_table_problems(tables, settings)  # an empty release: no due to be after
    if settings is not None:
        tables["orders"]["release"] = tables["orders"]["release"].fillna(settings.plan.start)
    return tables, problems


def fill_defaults(tables: dict[str, pd.DataFrame], settings: Settings | None) -> None:
    """Defaults of the contract: weight 1, setup 0, BOM step = first step (release = plan
    start comes after the checks: an order due before the plan starts is overdue, not wrong)."""
    orders = tables["orders"]
    orders["weight"] = orders["weight"].fillna(1.0)
    routings = tables["routings"]
    routings["setup_minutes"] = routings["setup_minutes"].fillna(0).astype("Int64")
    routings["resumable"] = routings["resumable"].fillna(False).astype(bool)
    machines = tables["machines"]
    machines["capacity"] = machines["capacity"].fillna(1).astype("Int64")
    if settings is not None and settings.plan.calendar is not None:
        machines["calendar"] = machines["calendar"].fillna(settings.plan.calendar)
    bom = tables["bom"]
    if not bom.empty:
        first = routings.groupby("product_id")["step"].min()
        bom["step"] = bom["step"].fillna(bom["product_id"].map(first)).astype("Int64")


def load_scenario(folder: Path | str) -> Scenario:
    """Read a scenario folder; raise :class:`InputError` listing every problem when invalid."""
    scenario, problems = check_scenario(folder)
    if scenario is None:
        raise InputError(problems)
    return scenario


def write_scenario(
    folder: Path, settings_text: str, tables: dict[str, pd.DataFrame], fmt: str = "parquet"
) -> None:
    """Write a scenario folder's files into ``folder`` (which must exist)."""
    (folder / "scenario.toml").write_text(settings_text, encoding="utf-8")
    for name, frame in tables.items():
        write_table(frame, folder / f"{name}.{fmt}")
