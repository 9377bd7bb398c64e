"""The output side of the contract in one place: every folder a command writes, its files
and each table's columns with their kinds.

The input side is :mod:`scenarios.contract.schema`. The tables themselves are declared where
they are built (the plan and the promise in :mod:`scheduler.plan_schema`, the grading in
:mod:`grading`, the complaint queue in :mod:`complaints`); this module gathers them by
folder. The writers order their frames by it (:func:`in_order`), the plan checker requires
its columns, and ``tests/test_docs.py`` holds ``docs/contract.md`` to it both ways.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache

import pandas as pd

from complaints.queue import DELAY_COLUMNS, QUEUE_COLUMNS
from grading.balance import MOVE_COLUMNS
from grading.portfolio import PORTFOLIO_COLUMNS, VISIT_COLUMNS
from grading.tiers import MIGRATION_COLUMNS, TIER_COLUMNS
from scheduler.plan_schema import OUTPUT_TABLES

OUTPUT_KINDS = ("str", "int", "float", "bool", "timestamp")


@dataclass(frozen=True)
class OutputFile:
    """A file of an output folder; ``columns`` (name: kind) when it is a table."""

    name: str
    columns: Mapping[str, str] = field(default_factory=dict)
    when: str = ""  # empty: always written; else the condition


def _plan_table(name: str) -> OutputFile:
    return OutputFile(f"{name}.parquet", {c.name: c.kind for c in OUTPUT_TABLES[name]})


# one row per scenario of a batch (scenarios.batch.scenario_run.BatchItem, field by field)
BATCH_SUMMARY_COLUMNS: dict[str, str] = {
    "scenario": "str",
    "folder": "str",
    "outcome": "str",
    "exit_code": "int",
    "status": "str",
    "objective": "str",
    "objective_value": "float",
    "gap": "float",
    "runtime_s": "float",
    "orders": "int",
    "late": "int",
    "unscheduled": "int",
    "interrupted": "bool",
    "reused": "bool",
    "message": "str",
}

TIERS_FILE = OutputFile("tiers.parquet", TIER_COLUMNS)
SALES_REPS = "customers have a sales_rep"

FOLDERS: dict[str, tuple[OutputFile, ...]] = {
    "plan": (
        _plan_table("schedule"),
        _plan_table("orders"),
        _plan_table("materials"),
        TIERS_FILE,
        OutputFile("summary.json"),
        OutputFile("report.html"),
    ),
    "grade": (
        TIERS_FILE,
        OutputFile("grading.html"),
        OutputFile("migrations.parquet", MIGRATION_COLUMNS, "--previous is given"),
        OutputFile("portfolio.parquet", PORTFOLIO_COLUMNS, SALES_REPS),
        OutputFile("reassign.parquet", MOVE_COLUMNS, SALES_REPS + " and [grading] balance = true"),
        OutputFile("visits.parquet", VISIT_COLUMNS, SALES_REPS + " and [tiers] visit_every_days is set"),
    ),
    "complaints": (
        OutputFile("complaints.parquet", QUEUE_COLUMNS),
        OutputFile("complaint_delays.parquet", DELAY_COLUMNS),
        OutputFile("complaints.html"),
    ),
    "promise": (
        _plan_table("quotes"),
        _plan_table("moved"),
        OutputFile("plan/"),
        OutputFile("summary.json"),
    ),
    "batch": (
        OutputFile("batch_summary.parquet", BATCH_SUMMARY_COLUMNS),
        OutputFile("batch_summary.json"),
        OutputFile("logs/"),
    ),
}


def files_of(folder: str) -> tuple[str, ...]:
    """The names of the files ``folder`` holds when everything is written."""
    return tuple(f.name for f in FOLDERS[folder])


@cache
def output_tables() -> dict[str, Mapping[str, str]]:
    """Every output table by file name (a file in several folders is the same table)."""
    return {f.name: f.columns for files in FOLDERS.values() for f in files if f.columns}


def in_order(frame: pd.DataFrame, file: str) -> pd.DataFrame:
    """``frame`` with exactly the columns declared for ``file``, in their order (KeyError if
    one is missing: a writer that lost a column fails loudly instead of writing less)."""
    return frame[list(output_tables()[file])]
