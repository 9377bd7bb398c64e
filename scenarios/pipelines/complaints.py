"""The complaint queue of a scenario, written as a folder."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from complaints.queue import complaint_queue, delay_report
from reports.complaints import complaints_report
from scenarios.contract.errors import InputError, Problem
from scenarios.contract.io import write_folder, write_output
from scenarios.contract.model import Scenario
from scenarios.pipelines.schedule import grade_scenario


@dataclass(frozen=True)
class ComplaintsOutcome:
    queue: pd.DataFrame
    delays: pd.DataFrame
    as_of: pd.Timestamp


def scenario_complaints(
    scenario: Scenario, as_of: pd.Timestamp, tiers: pd.DataFrame | None = None
) -> ComplaintsOutcome:
    settings = scenario.settings.tiers
    missing = [t for t in settings.names if t not in settings.complaint_sla_days]
    if missing:
        raise InputError(
            [
                Problem(
                    "scenario.toml",
                    "[tiers]",
                    f"complaint_sla_days.{t}",
                    f"tier {t} has no complaint deadline; expected {t} = <days>",
                )
                for t in missing
            ]
        )
    tiers = grade_scenario(scenario) if tiers is None else tiers
    queue = complaint_queue(scenario["complaints"], tiers, settings.names, settings.complaint_sla_days, as_of)
    return ComplaintsOutcome(queue, delay_report(queue, settings.names), as_of)


def write_complaints(scenario: Scenario, outcome: ComplaintsOutcome, out: Path, force: bool = False) -> Path:
    html = complaints_report(
        outcome.queue, outcome.delays, outcome.as_of, scenario.settings.tiers.complaint_sla_days
    )
    return write_folder(
        out,
        {
            "complaints.parquet": lambda p: write_output(outcome.queue, p),
            "complaint_delays.parquet": lambda p: write_output(outcome.delays, p),
            "complaints.html": lambda p: p.write_text(html, encoding="utf-8"),
        },
        force,
    )
