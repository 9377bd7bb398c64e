"""Tier sizes and value shares: the figures the grading report and the terminal show."""

from __future__ import annotations

import pandas as pd


def tier_sizes(tiers: pd.DataFrame, names: tuple[str, ...]) -> pd.DataFrame:
    """Per tier: customers, their share, and their share of amount and profit."""
    amount = tiers["amount"].fillna(0.0)
    profit = tiers["profit"].fillna(0.0)
    rows = []
    for tier in names:
        mine = tiers["tier"] == tier
        rows.append(
            {
                "tier": tier,
                "customers": int(mine.sum()),
                "share_of_customers": mine.mean() if len(tiers) else 0.0,
                "amount": amount[mine].sum(),
                "share_of_amount": amount[mine].sum() / amount.sum() if amount.sum() else 0.0,
                "profit": profit[mine].sum(),
                "share_of_profit": profit[mine].sum() / profit.sum() if profit.sum() else 0.0,
                "overridden": int((mine & tiers["overridden"]).sum()),
                "new": int((mine & tiers["is_new"]).sum()),
            }
        )
    return pd.DataFrame(rows)
