"""Grading a scenario into a folder: tiers.parquet, grading.html, migrations."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
from rich.table import Table

from complaints.queue import complaint_figures, complaint_queue
from grading import migrations
from grading.report import tier_sizes
from reports.grading import grading_report
from scenarios.errors import InputError, Problem
from scenarios.io import write_folder, write_table
from scenarios.model import Scenario
from scenarios.pipeline import grade_scenario, grading_config
from scenarios.terminal import frame_table


@dataclass(frozen=True)
class GradingOutcome:
    tiers: pd.DataFrame
    migrations: pd.DataFrame | None
    summary_table: Table


def read_previous_tiers(path: Path) -> pd.DataFrame:
    """An earlier tiers.parquet (or the plan folder holding one)."""
    path = Path(path)
    if path.is_dir():
        path = path / "tiers.parquet"
    try:
        previous = pq.read_table(path).to_pandas()
    except (OSError, pa.ArrowException) as exc:
        raise InputError([Problem(str(path), "", "", f"cannot read the previous tiers: {exc}")]) from None
    missing = [c for c in ("customer_id", "tier") if c not in previous.columns]
    if missing:
        raise InputError(
            [
                Problem(
                    str(path),
                    "",
                    ", ".join(missing),
                    "missing; expected a tiers.parquet from grade",
                )
            ]
        )
    return previous


def _with_complaints(scenario: Scenario, tiers: pd.DataFrame) -> pd.DataFrame:
    """Each customer's complaints and overdue complaints as of the end of the grading day."""
    if scenario["complaints"].empty or any(
        t not in scenario.settings.tiers.complaint_sla_days for t in scenario.settings.tiers.names
    ):
        return tiers
    end_of_day = scenario.settings.as_of + pd.Timedelta(days=1)
    names, sla = scenario.settings.tiers.names, scenario.settings.tiers.complaint_sla_days
    figures = complaint_figures(complaint_queue(scenario["complaints"], tiers, names, sla, end_of_day))
    shown = tiers.merge(figures, left_on="customer_id", right_index=True, how="left")
    shown[["complaints", "complaints_overdue"]] = (
        shown[["complaints", "complaints_overdue"]].fillna(0).astype(int)
    )
    return shown


def grade_to_folder(
    scenario: Scenario, out: Path, previous: Path | None = None, force: bool = False
) -> GradingOutcome:
    config = grading_config(scenario)
    tiers = grade_scenario(scenario)
    moved = migrations(read_previous_tiers(previous), tiers, config) if previous is not None else None
    html = grading_report(_with_complaints(scenario, tiers), config, moved)
    writers = {
        "tiers.parquet": lambda p: write_table(tiers, p),
        "grading.html": lambda p: p.write_text(html, encoding="utf-8"),
    }
    if moved is not None:
        writers["migrations.parquet"] = lambda p: write_table(moved, p)
    write_folder(out, writers, force)
    sizes = tier_sizes(tiers, config.tier_names)
    shown = pd.DataFrame(
        {
            "tier": sizes["tier"],
            "customers": sizes["customers"],
            "% customers": (sizes["share_of_customers"] * 100).round().astype(int).astype(str) + "%",
            "% amount": (sizes["share_of_amount"] * 100).round().astype(int).astype(str) + "%",
            "% profit": (sizes["share_of_profit"] * 100).round().astype(int).astype(str) + "%",
            "overridden": sizes["overridden"],
            "new": sizes["new"],
        }
    )
    return GradingOutcome(tiers, moved, frame_table(shown, f"Tiers of {len(tiers)} customers"))
