"""Rep portfolios and the visit plan, on a book worked out by hand."""

from __future__ import annotations

import pandas as pd

from grading.portfolio import assigned, portfolios, visit_plan

AS_OF = pd.Timestamp("2026-11-30")


def tiers() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "customer_id": ["C1", "C2", "C3", "C4", "C5"],
            "tier": ["A", "A", "B", "C", "C"],
            "amount": [1000.0, 600.0, 300.0, 100.0, None],  # C5: new, no history
            "profit": [400.0, 200.0, 100.0, 100.0, None],
        }
    )


def customers() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "customer_id": ["C1", "C2", "C3", "C4", "C5"],
            "sales_rep": ["Ann", "Ann", "Bob", None, "Bob"],
            "last_visit": pd.to_datetime(["2026-10-01", "2026-11-20", None, "2026-01-01", None]),
        }
    )


def test_portfolio_per_rep_and_tier_with_profit_shares() -> None:
    """The company's profit is 800 (C4, unassigned, counts too): Ann holds 600 (75 %), Bob 100."""
    frame = portfolios(assigned(tiers(), customers()), ("A", "B", "C")).set_index(["sales_rep", "tier"])
    assert frame.loc[("Ann", "A"), ["customers", "amount", "profit"]].tolist() == [2, 1600.0, 600.0]
    assert frame.loc[("Ann", "all"), "profit_share"] == 0.75
    assert frame.loc[("Bob", "all"), "customers"] == 2 and frame.loc[("Bob", "C"), "customers"] == 1
    assert frame.loc[("Bob", "all"), "profit_share"] == 0.125
    assert frame.loc[("Bob", "A"), "customers"] == 0
    assert set(frame.index.get_level_values("sales_rep")) == {"Ann", "Bob"}  # C4 has no rep


def test_visits_by_the_cadence_of_each_tier() -> None:
    """A every 30 days, B 90, C 180, against 2026-11-30: C1 was due 10-31 (30 days overdue);
    C2 is due 12-20; C3 and C5 were never visited (due now); C4 was due 2026-06-30 (153)."""
    plan = visit_plan(assigned(tiers(), customers()), customers(), {"A": 30, "B": 90, "C": 180}, AS_OF)
    rows = plan.set_index("customer_id")
    assert rows.loc["C1", "next_visit"] == pd.Timestamp("2026-10-31") and rows.loc["C1", "overdue_days"] == 30
    assert rows.loc["C2", "next_visit"] == pd.Timestamp("2026-12-20") and rows.loc["C2", "overdue_days"] == 0
    assert rows.loc["C3", "next_visit"] == AS_OF and rows.loc["C3", "overdue_days"] == 0
    assert rows.loc["C4", "overdue_days"] == 153 and pd.isna(rows.loc["C4", "sales_rep"])
    assert list(plan["customer_id"])[:2] == ["C4", "C1"]  # the most overdue first
