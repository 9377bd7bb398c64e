"""Grading a scenario into a folder: tiers.parquet, grading.html, migrations."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
from rich.table import Table

from complaints.queue import complaint_figures, complaint_queue
from grading import migrations
from grading.balance import Balance, balance
from grading.portfolio import assigned, portfolios, visit_plan
from grading.report import tier_sizes
from reports.grading import grading_report
from scenarios.contract.errors import InputError, Problem
from scenarios.contract.io import write_folder, write_output
from scenarios.contract.model import Scenario
from scenarios.pipelines.schedule import grade_scenario, grading_config
from scenarios.pipelines.terminal import frame_table


@dataclass(frozen=True)
class GradingOutcome:
    tiers: pd.DataFrame
    migrations: pd.DataFrame | None
    summary_table: Table
    sales: SalesSide | None = None


@dataclass(frozen=True)
class SalesSide:
    """Contract section 7: the reps' portfolios, the proposed balance, the visit plan."""

    portfolio: pd.DataFrame
    balance: Balance | None
    visits: pd.DataFrame | None
    unassigned: int  # graded customers without a rep


def sales_side(scenario: Scenario, tiers: pd.DataFrame) -> SalesSide | None:
    """When customers have reps: portfolios; with ``[grading] balance``, the fewest moves that
    balance them; with ``[tiers] visit_every_days``, when each customer is next due a visit."""
    customers = scenario["customers"]
    if customers["sales_rep"].isna().all():
        return None
    s = scenario.settings
    book = assigned(tiers, customers)
    balanced = (
        balance(book, s.tiers.names, workers=s.solve.workers, seed=s.solve.seed)
        if s.grading.balance
        else None
    )
    visits = (
        visit_plan(book, customers, s.tiers.visit_every_days, s.as_of) if s.tiers.visit_every_days else None
    )
    return SalesSide(portfolios(book, s.tiers.names), balanced, visits, int(book["sales_rep"].isna().sum()))


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
    sales = sales_side(scenario, tiers)
    html = grading_report(_with_complaints(scenario, tiers), config, moved, sales=sales)
    writers: dict[str, Callable[[Path], object]] = {
        "tiers.parquet": lambda p: write_output(tiers, p),
        "grading.html": lambda p: p.write_text(html, encoding="utf-8"),
    }
    if moved is not None:
        writers["migrations.parquet"] = lambda p: write_output(moved, p)
    if sales is not None:
        writers["portfolio.parquet"] = partial(write_output, sales.portfolio)
        if sales.balance is not None:
            writers["reassign.parquet"] = partial(write_output, sales.balance.moves)
        if sales.visits is not None:
            writers["visits.parquet"] = partial(write_output, sales.visits)
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
    return GradingOutcome(tiers, moved, frame_table(shown, f"Tiers of {len(tiers)} customers"), sales)
