"""Each metric against numbers computed by hand."""

from __future__ import annotations

import pandas as pd
import pytest

from grading.config import GradingConfig
from grading.metrics import credit_metrics, normalise, sales_metrics

CONFIG = GradingConfig(as_of=pd.Timestamp("2026-11-30"), window_months=12, default_margin=0.25)


def payments(rows: list[tuple[str, str, float, str, str | None]]) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=["customer_id", "invoice_id", "amount", "due_date", "paid_date"])
    frame["due_date"] = pd.to_datetime(frame["due_date"])
    frame["paid_date"] = pd.to_datetime(frame["paid_date"])
    return frame


def test_credit_from_punctuality_lateness_and_overdue() -> None:
    p = payments(
        [
            ("C1", "I1", 100.0, "2026-06-01", "2026-05-30"),  # early: on time
            ("C1", "I2", 300.0, "2026-07-01", "2026-07-11"),  # 10 days late
            ("C1", "I3", 100.0, "2026-11-01", None),  # unpaid, 29 days past due at as_of: overdue
            ("C1", "I4", 50.0, "2025-11-15", "2026-02-01"),  # due before the window: ignored
            ("C1", "I5", 80.0, "2026-11-30", None),  # due today, not yet late
            ("C2", "J1", 200.0, "2026-11-20", "2026-12-05"),  # paid after as_of: unpaid at as_of, 10 days
        ]
    )
    m = credit_metrics(p, CONFIG)
    c1 = m.loc["C1"]
    assert c1["invoices"] == 4
    assert c1["invoiced"] == 580.0
    assert c1["on_time_share"] == pytest.approx(180 / 580)
    assert c1["avg_days_late"] == pytest.approx((0 + 10 + 29 + 0) / 4)
    assert c1["max_days_late"] == 29
    assert c1["overdue_amount"] == 100.0
    expected = 40 * (180 / 580) + 20 * (1 - 9.75 / 30) + 15 * (1 - 29 / 90) + 25 * (1 - 100 / 580)
    assert c1["credit"] == pytest.approx(expected)
    assert c1["credit"] == pytest.approx(56.770, abs=1e-3)
    c2 = m.loc["C2"]
    assert c2["on_time_share"] == 0.0 and c2["overdue_amount"] == 200.0 and c2["max_days_late"] == 10
    assert c2["credit"] == pytest.approx(0 + 20 * (1 - 10 / 30) + 15 * (1 - 10 / 90) + 0)


def test_a_perfect_payer_scores_100() -> None:
    m = credit_metrics(payments([("C1", "I1", 10.0, "2026-03-01", "2026-03-01")]), CONFIG)
    assert m.loc["C1", "credit"] == 100.0


def test_amount_quantity_and_profit_with_default_margin() -> None:
    sales = pd.DataFrame(
        {
            "customer_id": ["C1", "C1", "C1", "C2"],
            "order_date": pd.to_datetime(["2026-01-10", "2026-05-05", "2025-10-01", "2026-11-30"]),
            "amount": [1000.0, 500.0, 999.0, 40.0],
            "cost": [600.0, float("nan"), 1.0, 50.0],
            "quantity": [10.0, 5.0, 99.0, float("nan")],
        }
    )
    m = sales_metrics(sales, CONFIG)
    assert m.loc["C1", "amount"] == 1500.0
    assert m.loc["C1", "quantity"] == 15.0
    assert m.loc["C1", "profit"] == 400.0 + 0.25 * 500.0
    assert m.loc["C1", "cost_missing_rows"] == 1
    assert m.loc["C2", "profit"] == -10.0  # a loss-making customer stays negative
    assert m.loc["C1", "sales_rows"] == 2


def test_percentile_and_minmax_normalisation() -> None:
    values = pd.Series([10.0, 20.0, 20.0, 40.0], index=list("abcd"))
    assert list(normalise(values, "percentile")) == [0.0, 50.0, 50.0, 100.0]
    assert list(normalise(values, "minmax").round(3)) == [0.0, 33.333, 33.333, 100.0]
    assert list(normalise(pd.Series([7.0]), "percentile")) == [50.0]
    assert list(normalise(pd.Series([3.0, 3.0]), "minmax")) == [50.0, 50.0]
    with_missing = normalise(pd.Series([1.0, None, 3.0]), "percentile")
    assert with_missing.isna().tolist() == [False, True, False]
