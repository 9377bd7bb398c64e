"""Composite, tier methods, new customers, overrides and migrations."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from cli import app
from grading import GradingConfig, grade, migrations
from tests.helpers import tiny_shop, write_scenario

AS_OF = pd.Timestamp("2026-11-30")


def history(profits: dict[str, float], amounts: dict[str, float] | None = None) -> pd.DataFrame:
    amounts = amounts or {c: 1000.0 for c in profits}
    return pd.DataFrame(
        {
            "customer_id": list(profits),
            "order_date": pd.Timestamp("2026-06-01"),
            "amount": [amounts[c] for c in profits],
            "cost": [amounts[c] - profits[c] for c in profits],
            "quantity": 1.0,
        }
    )


NO_PAYMENTS = pd.DataFrame(
    {
        "customer_id": pd.Series([], dtype="str"),
        "invoice_id": pd.Series([], dtype="str"),
        "amount": [],
        "due_date": pd.Series([], dtype="datetime64[us]"),
        "paid_date": pd.Series([], dtype="datetime64[us]"),
    }
)


def customers(rows: list[dict[str, object]] | None = None) -> pd.DataFrame:
    frame = pd.DataFrame(
        rows or [], columns=["customer_id", "name", "prospect_score", "manual_tier", "manual_reason"]
    )
    frame["prospect_score"] = frame["prospect_score"].astype(float)
    return frame


def test_composite_is_the_weighted_sum_of_scores() -> None:
    sales = history({"C1": 100.0, "C2": 300.0, "C3": 200.0}, {"C1": 3000.0, "C2": 1000.0, "C3": 2000.0})
    config = GradingConfig(as_of=AS_OF)
    tiers = grade(customers(), sales, NO_PAYMENTS, config).set_index("customer_id")
    # amount ranks C1 > C3 > C2, profit ranks C2 > C3 > C1; no payments: credit 50 for all
    assert tiers.loc["C1", "amount_score"] == 100 and tiers.loc["C1", "profit_score"] == 0
    assert tiers.loc["C2", "composite"] == pytest.approx(0.1 * 50 + 0.3 * 0 + 0.6 * 100)
    assert tiers.loc["C3", "composite"] == pytest.approx(0.1 * 50 + 0.3 * 50 + 0.6 * 50)
    assert tiers.loc["C1", "composite"] == pytest.approx(0.1 * 50 + 0.3 * 100)
    assert list(tiers.sort_values("rank").index) == ["C2", "C3", "C1"]


def test_ratio_tiers_with_deterministic_ties() -> None:
    profits = {f"C{i:02d}": float(100 - i) for i in range(10)}
    config = GradingConfig(as_of=AS_OF, weights={"credit": 0.0, "amount": 0.0, "profit": 1.0})
    tiers = grade(customers(), history(profits), NO_PAYMENTS, config)
    assert list(tiers["tier"]) == ["A"] * 2 + ["B"] * 3 + ["C"] * 5
    assert list(tiers["customer_id"]) == sorted(profits)
    # all equal composites: ties go by profit, then amount, then customer_id
    same = grade(
        customers(),
        history(dict.fromkeys(["Z", "Y", "X", "W", "V"], 5.0)),
        NO_PAYMENTS,
        GradingConfig(as_of=AS_OF),
    )
    assert list(same["customer_id"]) == ["V", "W", "X", "Y", "Z"]
    assert list(same["tier"]) == ["A", "B", "B", "C", "C"]  # 20 % of 5 = 1, 50 % rounds half up to 3


def test_pareto_tiers_by_profit_share() -> None:
    profits = {"C1": 50.0, "C2": 30.0, "C3": 10.0, "C4": 5.0, "C5": 5.0, "C6": 0.0}
    config = GradingConfig(as_of=AS_OF, method="pareto")
    tiers = grade(customers(), history(profits), NO_PAYMENTS, config).set_index("customer_id")["tier"]
    # shares before each customer: 0, .5, .8, .9, .95, 1.0
    assert tiers.to_dict() == {"C1": "A", "C2": "A", "C3": "B", "C4": "B", "C5": "C", "C6": "C"}


def test_score_thresholds() -> None:
    profits = {f"C{i}": float(i) for i in range(1, 6)}
    config = GradingConfig(
        as_of=AS_OF,
        method="score",
        weights={"credit": 0.0, "amount": 0.0, "profit": 1.0},
        thresholds={"A": 70.0, "B": 40.0},
    )
    tiers = grade(customers(), history(profits), NO_PAYMENTS, config).set_index("customer_id")
    # percentile scores 0, 25, 50, 75, 100
    assert tiers["tier"].to_dict() == {"C5": "A", "C4": "A", "C3": "B", "C2": "C", "C1": "C"}


def test_new_customers_are_placed_by_prospect_score() -> None:
    profits = {f"C{i:02d}": float(100 - i) for i in range(10)}
    people = customers(
        [
            {"customer_id": "NEW1", "prospect_score": 95.0},
            {"customer_id": "NEW2", "prospect_score": 40.0},
            {"customer_id": "NEW3", "prospect_score": None},
        ]
    )
    config = GradingConfig(as_of=AS_OF, weights={"credit": 0.0, "amount": 0.0, "profit": 1.0})
    tiers = grade(people, history(profits), NO_PAYMENTS, config, also_customers=["ORDERONLY"])
    t = tiers.set_index("customer_id")
    # graded composites: 100, 88.9, ... A starts at 88.9, B at 55.6 (ranks 3-5)
    assert t.loc["NEW1", "tier"] == "A" and t.loc["NEW1", "is_new"]
    assert t.loc["NEW2", "tier"] == "C"
    assert t.loc["NEW3", "tier"] == "C" and "without history or prospect" in t.loc["NEW3", "reason"]
    assert t.loc["ORDERONLY", "tier"] == "C"
    graded = tiers[~tiers["is_new"]]
    assert list(graded["tier"]) == ["A"] * 2 + ["B"] * 3 + ["C"] * 5  # prospects do not push graded customers


def test_manual_override_with_reason() -> None:
    profits = {"BIG": 100.0, "MID": 50.0, "LOW": 1.0}
    people = customers(
        [
            {"customer_id": "BIG", "manual_tier": "C", "manual_reason": "payment dispute"},
            {"customer_id": "LOW", "manual_tier": "C", "manual_reason": None},
        ]
    )
    tiers = grade(people, history(profits), NO_PAYMENTS, GradingConfig(as_of=AS_OF)).set_index("customer_id")
    assert tiers.loc["BIG", "auto_tier"] == "A" and tiers.loc["BIG", "tier"] == "C"
    assert bool(tiers.loc["BIG", "overridden"]) and "payment dispute" in tiers.loc["BIG", "reason"]
    assert not bool(tiers.loc["LOW", "overridden"])  # the same tier as computed
    assert "no reason given" in tiers.loc["LOW", "reason"]


def test_custom_tier_names() -> None:
    profits = {f"C{i}": float(i) for i in range(8)}
    config = GradingConfig(
        as_of=AS_OF,
        tier_names=("Gold", "Silver", "Bronze", "Rest"),
        ratios={"Gold": 0.25, "Silver": 0.25, "Bronze": 0.25, "Rest": 0.25},
    )
    tiers = grade(customers(), history(profits), NO_PAYMENTS, config)
    assert tiers["tier"].value_counts().to_dict() == {"Gold": 2, "Silver": 2, "Bronze": 2, "Rest": 2}


def test_migrations_name_the_metric_that_moved() -> None:
    config = GradingConfig(as_of=AS_OF)
    before = grade(
        customers(), history({"C1": 10.0, "C2": 50.0, "C3": 30.0, "C4": 5.0, "C5": 1.0}), NO_PAYMENTS, config
    )
    after = grade(
        customers(), history({"C1": 90.0, "C2": 50.0, "C3": 30.0, "C4": 5.0, "C5": 1.0}), NO_PAYMENTS, config
    )
    moved = migrations(before, after, config).set_index("customer_id")
    assert moved.loc["C1", "direction"] == "up" and moved.loc["C1", "driver"] == "profit"
    assert moved.loc["C2", "direction"] == "down" and moved.loc["C2", "driver"] == "profit"
    assert "C5" not in moved.index


def test_grade_command_writes_tiers_report_and_migrations(tmp_path: Path) -> None:
    tables = tiny_shop(
        sales_history=[
            {"customer_id": c, "order_date": "2026-06-01", "amount": a, "cost": a / 2}
            for c, a in (("C1", 100), ("C2", 200), ("C3", 50))
        ],
        customers=[{"customer_id": "C4", "prospect_score": 80}],
    )
    folder = write_scenario(tmp_path / "s", tables)
    runner = CliRunner()
    result = runner.invoke(app, ["grade", str(folder), "--out", str(tmp_path / "g1")])
    assert result.exit_code == 0, result.output
    tiers = pd.read_parquet(tmp_path / "g1" / "tiers.parquet")
    for column in (
        "customer_id",
        "credit",
        "credit_score",
        "amount",
        "amount_score",
        "profit",
        "profit_score",
        "prospect_score",
        "composite",
        "rank",
        "auto_tier",
        "tier",
        "overridden",
        "reason",
        "is_new",
    ):
        assert column in tiers.columns
    assert set(tiers["customer_id"]) == {"C1", "C2", "C3", "C4"}
    html = (tmp_path / "g1" / "grading.html").read_text()
    assert "Pareto curve" in html and "<svg" in html
    result = runner.invoke(
        app,
        [
            "grade",
            str(folder),
            "--out",
            str(tmp_path / "g2"),
            "--previous",
            str(tmp_path / "g1" / "tiers.parquet"),
        ],
    )
    assert result.exit_code == 0, result.output
    assert (tmp_path / "g2" / "migrations.parquet").is_file()
    assert "Tier migrations" in result.output
