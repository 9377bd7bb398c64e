"""The sales side of the grading (contract section 7): rep portfolios and visit cadence.

A sales rep holds customers; tiers say how much each is worth. ``portfolios`` tells each
rep's customers, amount and profit per tier and the share of the company's profit the rep
holds; ``visit_plan`` tells, for each customer, when it is next due a visit by the cadence
of its tier and how many days that is overdue.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

ALL = "all"
# portfolio.parquet: one row per rep and tier, plus tier "all"
PORTFOLIO_COLUMNS: dict[str, str] = {
    "sales_rep": "str",
    "tier": "str",
    "customers": "int",
    "amount": "float",
    "profit": "float",
    "profit_share": "float",
}
# visits.parquet: every graded customer's next visit
VISIT_COLUMNS: dict[str, str] = {
    "customer_id": "str",
    "sales_rep": "str",
    "tier": "str",
    "last_visit": "timestamp",
    "next_visit": "timestamp",
    "overdue_days": "int",
}


def assigned(tiers: pd.DataFrame, customers: pd.DataFrame) -> pd.DataFrame:
    """The graded customers with their rep (null: unassigned): customer_id, sales_rep, tier,
    amount, profit (0 where there is no history)."""
    reps = customers.dropna(subset=["customer_id"]).drop_duplicates("customer_id").set_index("customer_id")
    frame = tiers[["customer_id", "tier", "amount", "profit"]].copy()
    frame["sales_rep"] = frame["customer_id"].map(reps["sales_rep"]) if "sales_rep" in reps else None
    frame["sales_rep"] = frame["sales_rep"].astype("str")
    frame[["amount", "profit"]] = frame[["amount", "profit"]].fillna(0.0)
    return frame


def portfolios(book: pd.DataFrame, tier_names: tuple[str, ...]) -> pd.DataFrame:
    """One row per rep and tier (and tier "all"): customers, amount, profit, and the rep's
    share of the company's profit (of every graded customer, assigned or not)."""
    company = float(book["profit"].sum())
    held = book.dropna(subset=["sales_rep"])
    reps = sorted(held["sales_rep"].unique())
    rows = []
    for rep in reps:
        mine = held[held["sales_rep"] == rep]
        total = float(mine["profit"].sum())
        for tier in (*tier_names, ALL):
            part = mine if tier == ALL else mine[mine["tier"] == tier]
            rows.append(
                {
                    "sales_rep": rep,
                    "tier": tier,
                    "customers": len(part),
                    "amount": float(part["amount"].sum()),
                    "profit": float(part["profit"].sum()),
                    "profit_share": (total if tier == ALL else float(part["profit"].sum())) / company
                    if company
                    else 0.0,
                }
            )
    frame = pd.DataFrame(rows, columns=list(PORTFOLIO_COLUMNS))
    return frame.astype({"sales_rep": "str", "tier": "str", "customers": "int64"})


def visit_plan(
    book: pd.DataFrame,
    customers: pd.DataFrame,
    every_days: dict[str, float],
    as_of: pd.Timestamp,
) -> pd.DataFrame:
    """Per graded customer: its rep, tier, last visit, the next one (last visit plus its tier's
    interval; ``as_of`` when never visited) and the days that is overdue against ``as_of``."""
    visits = customers.dropna(subset=["customer_id"]).drop_duplicates("customer_id").set_index("customer_id")
    last = book["customer_id"].map(visits["last_visit"]) if "last_visit" in visits else pd.NaT
    last = pd.Series(last, index=book.index, dtype="datetime64[us]")
    interval = pd.to_timedelta(book["tier"].map(every_days).astype(float), unit="D")
    upcoming = (last + interval).fillna(as_of)
    overdue = np.maximum(0, np.floor((as_of - upcoming) / pd.Timedelta(days=1))).astype("int64")
    frame = pd.DataFrame(
        {
            "customer_id": book["customer_id"].astype("str"),
            "sales_rep": book["sales_rep"].astype("str"),
            "tier": book["tier"].astype("str"),
            "last_visit": last,
            "next_visit": upcoming.astype("datetime64[us]"),
            "overdue_days": overdue,
        },
        columns=list(VISIT_COLUMNS),
    )
    return frame.sort_values(
        ["overdue_days", "tier", "customer_id"], ascending=[False, True, True]
    ).reset_index(drop=True)
