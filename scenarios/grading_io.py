"""Grading a scenario into a folder: tiers.parquet, grading.html, migrations."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
from rich.table import Table

from grading import migrations
from grading.report import grading_report, tier_sizes
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


def grade_to_folder(
    scenario: Scenario, out: Path, previous: Path | None = None, force: bool = False
) -> GradingOutcome:
    config = grading_config(scenario)
    tiers = grade_scenario(scenario)
    moved = migrations(read_previous_tiers(previous), tiers, config) if previous is not None else None
    html = grading_report(tiers, config, moved)
    writers = {
        "tiers.parquet": lambda p: write_table(tiers, p),
        "grading.html": lambda p: p.write_text(html, encoding="utf-8"),
    }
    if moved is not None:
        writers["migrations.parquet"] = lambda p: write_table(moved, p)
    write_folder(out, writers, force)
    sizes = tier_sizes(tiers, config.tier_names)
    return GradingOutcome(tiers, moved, frame_table(sizes, f"Tiers of {len(tiers)} customers"))
