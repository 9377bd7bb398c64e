"""tierplan grade and the sales side (contract section 7): files, terminal, bad inputs."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from cli import app
from tests.helpers import settings_text, tiny_shop, write_scenario
from tests.helpers.cli import runner

SALES = "[grading]\nas_of = 2026-11-30\nbalance = true\n\n[tiers.visit_every_days]\nA = 30\nB = 90\nC = 180\n"


def customers(**extra: Any) -> list[dict[str, Any]]:
    """Ann holds both A customers (manual tiers keep the tiers fixed), Bob the B and C ones."""
    rows = [
        {"customer_id": "C1", "manual_tier": "A", "sales_rep": "Ann", "last_visit": "2026-10-01"},
        {"customer_id": "C2", "manual_tier": "A", "sales_rep": "Ann", "last_visit": "2026-11-20"},
        {"customer_id": "C3", "manual_tier": "B", "sales_rep": "Bob", "last_visit": ""},
        {"customer_id": "C4", "manual_tier": "C", "sales_rep": "Bob", "last_visit": "2026-01-01"},
    ]
    for row in rows:
        row["manual_reason"] = "test"
        row.update(extra.get(row["customer_id"], {}))
    return rows


def grade(tmp_path: Path, rows: list[dict[str, Any]], extra: str = SALES) -> tuple[int, str, Path]:
    folder = write_scenario(tmp_path / "s", tiny_shop(customers=rows), settings_text(extra=extra))
    result = runner.invoke(app, ["grade", str(folder), "--out", str(tmp_path / "g")])
    assert "Traceback" not in result.output, result.output
    return result.exit_code, " ".join(result.output.split()), tmp_path / "g"


def test_grade_writes_portfolios_the_balance_and_the_visits(tmp_path: Path) -> None:
    code, output, out = grade(tmp_path, customers())
    assert code == 0, output
    portfolio = pd.read_parquet(out / "portfolio.parquet").set_index(["sales_rep", "tier"])
    assert portfolio.loc[("Ann", "A"), "customers"] == 2 and portfolio.loc[("Bob", "A"), "customers"] == 0
    moves = pd.read_parquet(out / "reassign.parquet")
    assert list(moves.columns) == ["customer_id", "from_rep", "to_rep", "tier", "profit"]
    assert list(moves["tier"]) == ["A"] and list(moves["from_rep"]) == ["Ann"]  # one A customer to Bob
    visits = pd.read_parquet(out / "visits.parquet").set_index("customer_id")
    assert visits.loc["C1", "overdue_days"] == 30 and visits.loc["C4", "overdue_days"] == 153
    assert "Portfolios per sales rep" in output and "balance: 1 move(s)" in output
    assert "visits: 2 of 4 customers overdue" in output
    page = (out / "grading.html").read_text()
    assert 'id="portfolio-table"' in page and 'id="moves"' in page and 'id="visits"' in page


def test_without_reps_no_sales_files(tmp_path: Path) -> None:
    rows = [{k: v for k, v in row.items() if k not in ("sales_rep", "last_visit")} for row in customers()]
    code, output, out = grade(tmp_path, rows, extra="")
    assert code == 0, output
    assert not (out / "portfolio.parquet").exists() and not (out / "visits.parquet").exists()


def test_without_balance_or_cadence_only_the_portfolio(tmp_path: Path) -> None:
    code, output, out = grade(tmp_path, customers(), extra="[grading]\nas_of = 2026-11-30\n")
    assert code == 0, output
    assert (out / "portfolio.parquet").is_file()
    assert not (out / "reassign.parquet").exists() and not (out / "visits.parquet").exists()


BAD = {
    "a visit after the grading date": (
        customers(C2={"last_visit": "2026-12-05"}),
        SALES,
        "customers [customer_id=C2] last_visit: found 2026-12-05, after the grading date 2026-11-30",
    ),
    "a visit that is no date": (
        customers(C2={"last_visit": "last week"}),
        SALES,
        "customers [customer_id=C2] last_visit: found 'last week'; expected a date",
    ),
    "a tier without a cadence": (
        customers(),
        SALES.replace("C = 180\n", ""),
        "scenario.toml [tiers] visit_every_days.C: tier C has no visit interval",
    ),
    "a cadence that is not positive": (
        customers(),
        SALES.replace("A = 30", "A = 0"),
        "scenario.toml [tiers] visit_every_days.A: found 0; expected > 0",
    ),
    "balance that is not true or false": (
        customers(),
        SALES.replace("balance = true", 'balance = "yes"'),
        "scenario.toml [grading] balance: found 'yes'; expected true or false",
    ),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_sales_inputs(tmp_path: Path, case: str) -> None:
    rows, extra, expected = BAD[case]
    code, output, out = grade(tmp_path, rows, extra)
    assert code == 1 and expected in output, output
    assert not out.exists()
