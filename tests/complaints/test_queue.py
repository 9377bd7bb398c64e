"""The complaint queue: tier first, deadlines per tier, states, ties, the delay report, bad input."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from cli import app
from complaints.queue import complaint_queue, delay_report
from tests.helpers import tiny_shop, write_scenario

SLA = {"A": 3.0, "B": 4.0, "C": 5.0}
AS_OF = pd.Timestamp("2026-12-10T12:00")


def tiers(mapping: dict[str, str]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "customer_id": list(mapping),
            "tier": list(mapping.values()),
            "reason": "graded",
            "overridden": False,
        }
    )


def complaints(rows: list[tuple[str, str, str, str | None]]) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=["complaint_id", "customer_id", "opened_at", "closed_at"])
    frame["opened_at"] = pd.to_datetime(frame["opened_at"])
    frame["closed_at"] = pd.to_datetime(frame["closed_at"])
    frame["subject"] = "x"
    return frame


def test_higher_tier_first_then_deadline_then_opened() -> None:
    c = complaints(
        [
            ("Q1", "low", "2026-12-09T08:00", None),  # C: deadline 12-14 08:00
            ("Q2", "top", "2026-12-09T09:00", None),  # A: deadline 12-12 09:00
            ("Q3", "mid", "2026-12-08T08:00", None),  # B: deadline 12-12 08:00
            ("Q4", "top", "2026-12-08T10:00", None),  # A: deadline 12-11 10:00
            ("Q5", "top2", "2026-12-08T10:00", None),  # A: the same deadline and opening as Q4: by id
        ]
    )
    q = complaint_queue(
        c, tiers({"top": "A", "top2": "A", "mid": "B", "low": "C"}), ("A", "B", "C"), SLA, AS_OF
    )
    assert list(q["complaint_id"]) == ["Q4", "Q5", "Q2", "Q3", "Q1"]
    assert list(q["queue_position"]) == [1, 2, 3, 4, 5]
    assert q.set_index("complaint_id").loc["Q2", "deadline"] == pd.Timestamp("2026-12-12T09:00")
    assert q.set_index("complaint_id").loc["Q1", "deadline"] == pd.Timestamp("2026-12-14T08:00")


def test_states_and_days_overdue() -> None:
    c = complaints(
        [
            ("OPEN", "top", "2026-12-09T12:00", None),  # deadline 12-12 12:00: open
            ("OVERDUE", "top", "2026-12-05T12:00", None),  # deadline 12-08 12:00: 2 days over
            (
                "IN_TIME",
                "low",
                "2026-12-01T00:00",
                "2026-12-06T00:00",
            ),  # C: deadline 12-06 00:00, closed then
            ("LATE", "low", "2026-12-01T00:00", "2026-12-07T12:00"),  # 1.5 days late
            (
                "LATER",
                "top",
                "2026-12-01T00:00",
                "2026-12-11T00:00",
            ),  # closed after as_of: still open, overdue
            ("FUTURE", "top", "2026-12-11T00:00", None),  # opened after as_of: not yet in the queue
        ]
    )
    q = complaint_queue(c, tiers({"top": "A", "low": "C"}), ("A", "B", "C"), SLA, AS_OF).set_index(
        "complaint_id"
    )
    assert q["state"].to_dict() == {
        "OVERDUE": "overdue",
        "LATER": "overdue",
        "OPEN": "open",
        "IN_TIME": "closed_in_time",
        "LATE": "closed_late",
    }
    assert q.loc["OVERDUE", "days_overdue"] == 2.0
    assert q.loc["LATE", "days_overdue"] == 1.5
    assert q.loc["LATER", "days_overdue"] == 6.5 and pd.isna(q.loc["LATER", "closed_at"])
    assert q.loc["OPEN", "days_overdue"] == 0 and pd.isna(q.loc["IN_TIME", "queue_position"])
    delays = delay_report(q.reset_index(), ("A", "B", "C")).set_index("tier")
    assert (
        delays.loc["A", "complaints"] == 3
        and delays.loc["A", "open"] == 3
        and delays.loc["A", "overdue"] == 2
    )
    assert delays.loc["A", "mean_days_overdue"] == pytest.approx((2.0 + 6.5) / 2)
    assert delays.loc["A", "max_days_overdue"] == 6.5
    assert delays.loc["C", "share_closed_in_time"] == 0.5
    assert pd.isna(delays.loc["A", "share_closed_in_time"])
    assert delays.loc["all", "complaints"] == 5


def test_customer_without_tier_gets_the_lowest_and_is_flagged() -> None:
    c = complaints([("Q1", "unknown", "2026-12-09T12:00", None)])
    q = complaint_queue(c, tiers({"top": "A"}), ("A", "B", "C"), SLA, AS_OF)
    assert q.loc[0, "tier"] == "C" and "lowest tier assumed" in q.loc[0, "tier_note"]
    assert q.loc[0, "deadline"] == pd.Timestamp("2026-12-14T12:00")


def base_tables() -> dict[str, list[dict[str, object]]]:
    return tiny_shop(
        customers=[
            {"customer_id": "C1", "manual_tier": "A", "manual_reason": "key"},
            {"customer_id": "C2", "manual_tier": "C", "manual_reason": "small"},
        ],
        complaints=[
            {"complaint_id": "Q1", "customer_id": "C2", "opened_at": "2026-11-20T08:00:00", "closed_at": ""},
            {"complaint_id": "Q2", "customer_id": "C1", "opened_at": "2026-11-29T08:00:00", "closed_at": ""},
        ],
    )


def test_complaints_command_prints_and_writes(tmp_path: Path) -> None:
    folder = write_scenario(tmp_path / "s", base_tables())
    result = CliRunner().invoke(
        app, ["complaints", str(folder), "--as-of", "2026-12-01T08:00", "--out", str(tmp_path / "c")]
    )
    assert result.exit_code == 0, result.output
    written = pd.read_parquet(tmp_path / "c" / "complaints.parquet")
    assert list(written["complaint_id"]) == ["Q2", "Q1"]  # A before C although opened later
    assert list(written["state"]) == ["open", "overdue"]
    assert (tmp_path / "c" / "complaint_delays.parquet").is_file()
    assert "Delays per tier" in (tmp_path / "c" / "complaints.html").read_text()


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda t: t["complaints"][0].update(closed_at="2026-11-19T08:00:00"), "closed_at"),
        (lambda t: t["complaints"][0].update(customer_id="NOBODY"), "unknown customer NOBODY"),
    ],
)
def test_bad_complaints_are_input_errors(tmp_path: Path, change, message: str) -> None:  # type: ignore[no-untyped-def]
    tables = base_tables()
    change(tables)
    folder = write_scenario(tmp_path / "s", tables)
    result = CliRunner().invoke(app, ["complaints", str(folder), "--as-of", "2026-12-01T08:00"])
    assert result.exit_code == 1 and message in result.output


def test_tier_without_deadline_is_an_input_error(tmp_path: Path) -> None:
    settings = (
        '[plan]\nstart = 2026-12-01T06:00:00\n[tiers]\nnames = ["A", "C"]\nweights = { A = 3, C = 1 }\n'
        "complaint_sla_days = { A = 2 }\n[grading]\nratios = { A = 0.5, C = 0.5 }\n"
    )
    folder = write_scenario(tmp_path / "s", base_tables(), settings)
    result = CliRunner().invoke(app, ["complaints", str(folder), "--as-of", "2026-12-01T08:00"])
    assert result.exit_code == 1
    assert "complaint_sla_days.C: tier C has no complaint deadline" in result.output


def test_grading_report_shows_complaint_figures(tmp_path: Path) -> None:
    folder = write_scenario(tmp_path / "s", base_tables())
    result = CliRunner().invoke(app, ["grade", str(folder), "--out", str(tmp_path / "g")])
    assert result.exit_code == 0, result.output
    html = (tmp_path / "g" / "grading.html").read_text()
    assert "complaints_overdue" in html
