"""Per-customer metrics over the grading window, vectorised.

Credit score (0-100) from the payments due in the window::

    credit = 40 * on_time_share                      # amount-weighted share paid by the due date
           + 20 * max(0, 1 - avg_days_late / 30)      # mean days late over all invoices
           + 15 * max(0, 1 - max_days_late / 90)      # the worst invoice
           + 25 * (1 - overdue_amount / invoiced)     # still unpaid and past due at as_of

An invoice is late when it was paid after its due date, or is unpaid at ``as_of`` and
past due; unpaid invoices count their days late up to ``as_of``. Payments after
``as_of`` are treated as not yet paid.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from grading.config import GradingConfig

CREDIT_PARTS = {"on_time": 40.0, "avg_late": 20.0, "max_late": 15.0, "overdue": 25.0}
AVG_LATE_DAYS_ZERO = 30.0  # mean days late at which that part of the credit score reaches 0
MAX_LATE_DAYS_ZERO = 90.0
DAY = pd.Timedelta(days=1)


def _in_window(dates: pd.Series, config: GradingConfig) -> pd.Series:
    return (dates > config.window_start) & (dates <= config.as_of)


def credit_metrics(payments: pd.DataFrame, config: GradingConfig) -> pd.DataFrame:
    """on_time_share, avg/max days late, overdue and invoiced amount, credit (0-100), per customer."""
    p = payments.loc[
        _in_window(payments["due_date"], config), ["customer_id", "amount", "due_date", "paid_date"]
    ]
    paid = p["paid_date"].notna() & (p["paid_date"] <= config.as_of)
    settled = p["paid_date"].where(paid, config.as_of)
    days_late = ((settled - p["due_date"]) / DAY).clip(lower=0).to_numpy()
    amount = p["amount"].to_numpy(dtype=float)
    late = days_late > 0
    frame = pd.DataFrame(
        {
            "customer_id": p["customer_id"].to_numpy(),
            "invoiced": amount,
            "on_time_amount": np.where(late, 0.0, amount),
            "on_time_count": (~late).astype(float),
            "days_late": days_late,
            "overdue_amount": np.where(
                ~paid.to_numpy() & (p["due_date"] < config.as_of).to_numpy(), amount, 0.0
            ),
        }
    )
    g = frame.groupby("customer_id", sort=False)
    out = g.agg(
        invoices=("invoiced", "size"),
        invoiced=("invoiced", "sum"),
        on_time_amount=("on_time_amount", "sum"),
        on_time_count=("on_time_count", "sum"),
        avg_days_late=("days_late", "mean"),
        max_days_late=("days_late", "max"),
        overdue_amount=("overdue_amount", "sum"),
    )
    by_amount = out["on_time_amount"] / out["invoiced"].where(out["invoiced"] > 0)
    out["on_time_share"] = by_amount.fillna(out["on_time_count"] / out["invoices"])
    overdue_share = (out["overdue_amount"] / out["invoiced"].where(out["invoiced"] > 0)).fillna(0.0)
    out["credit"] = (
        CREDIT_PARTS["on_time"] * out["on_time_share"]
        + CREDIT_PARTS["avg_late"] * (1 - out["avg_days_late"] / AVG_LATE_DAYS_ZERO).clip(lower=0)
        + CREDIT_PARTS["max_late"] * (1 - out["max_days_late"] / MAX_LATE_DAYS_ZERO).clip(lower=0)
        + CREDIT_PARTS["overdue"] * (1 - overdue_share.clip(upper=1))
    )
    return out.drop(columns=["on_time_amount", "on_time_count"])


def sales_metrics(sales: pd.DataFrame, config: GradingConfig) -> pd.DataFrame:
    """amount, quantity, profit and the rows without cost (profit from the default margin), per customer."""
    s = sales.loc[_in_window(sales["order_date"], config)]
    amount = s["amount"].to_numpy(dtype=float)
    cost = s["cost"].to_numpy(dtype=float)
    missing = np.isnan(cost)
    frame = pd.DataFrame(
        {
            "customer_id": s["customer_id"].to_numpy(),
            "amount": amount,
            "quantity": s["quantity"].to_numpy(dtype=float),
            "profit": np.where(
                missing, amount * config.default_margin, amount - np.where(missing, 0.0, cost)
            ),
            "cost_missing_rows": missing.astype(np.int64),
        }
    )
    out = frame.groupby("customer_id", sort=False).agg(
        sales_rows=("amount", "size"),
        amount=("amount", "sum"),
        quantity=("quantity", "sum"),
        profit=("profit", "sum"),
        cost_missing_rows=("cost_missing_rows", "sum"),
    )
    return out


def normalise(values: pd.Series, method: str) -> pd.Series:
    """0-100 scores: percentile rank (ties share their mean rank) or min-max.

    A single value, or all values equal, scores 50 (neither better nor worse than the
    others). Missing values stay missing.
    """
    present = values.dropna()
    if present.empty:
        return values.astype(float)
    if method == "minmax":
        lo, hi = present.min(), present.max()
        scores = (present - lo) / (hi - lo) * 100 if hi > lo else pd.Series(50.0, index=present.index)
    else:
        n = len(present)
        ranks = present.rank(method="average")
        scores = (ranks - 1) / (n - 1) * 100 if n > 1 else pd.Series(50.0, index=present.index)
    return scores.reindex(values.index).astype(float)
