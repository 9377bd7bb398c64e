"""Per-customer metrics over the grading window, vectorised.

Credit score (0-100) from the payments due in the window::

    credit = 40 * on_time_share                      # amount-weighted share paid by the due date
           + 20 * max(0, 1 - avg_days_late / 30)      # mean days late over all invoices
           + 15 * max(0, 1 - max_days_late / 90)      # the worst invoice
           + 25 * (1 - overdue_amount / invoiced)     # still unpaid and past due at as_of

An invoice is late when it was paid after its due date, or is unpaid at ``as_of`` and
past due; unpaid invoices count their days late up to ``as_of``. Payments after
``as_of`` are treated as not yet paid.

Sums and counts run on integer customer codes with ``numpy.bincount``: millions of
history rows are grouped without building per-group objects.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from grading.config import GradingConfig

CREDIT_PARTS = {"on_time": 40.0, "avg_late": 20.0, "max_late": 15.0, "overdue": 25.0}
AVG_LATE_DAYS_ZERO = 30.0  # mean days late at which that part of the credit score reaches 0
MAX_LATE_DAYS_ZERO = 90.0
DAY = np.timedelta64(1, "D")


def _window(dates: pd.Series, config: GradingConfig) -> np.ndarray:
    values = dates.to_numpy(dtype="datetime64[us]")
    return (values > np.datetime64(config.window_start)) & (values <= np.datetime64(config.as_of))


def _codes(customers: pd.Series, mask: np.ndarray) -> tuple[np.ndarray, pd.Index]:
    """An integer code per row, the customer of each code; rows outside ``mask`` get code len(keys).

    Sums over codes then run over all rows at once, without copying the masked rows.
    """
    if isinstance(customers.dtype, pd.CategoricalDtype):
        codes, keys = customers.cat.codes.to_numpy(), pd.Index(customers.cat.categories)
    else:
        codes, uniques = pd.factorize(customers.to_numpy())
        keys = pd.Index(uniques)
    return np.where(mask, codes, len(keys)), keys.rename("customer_id")


def _sum(codes: np.ndarray, values: np.ndarray | None, n: int) -> np.ndarray:
    """Per code, the sum of ``values`` (the count without them); the overflow bucket is dropped."""
    return np.bincount(codes, weights=values, minlength=n + 1)[:n]


def _max(codes: np.ndarray, values: np.ndarray, n: int) -> np.ndarray:
    grouped = pd.Series(values, copy=False).groupby(codes, sort=False).max()
    out = np.full(n + 1, -np.inf)
    out[grouped.index.to_numpy()] = grouped.to_numpy()
    return out[:n]


def credit_metrics(payments: pd.DataFrame, config: GradingConfig) -> pd.DataFrame:
    """on_time_share, avg/max days late, overdue and invoiced amount, credit (0-100), per customer."""
    mask = _window(payments["due_date"], config)
    codes, keys = _codes(payments["customer_id"], mask)
    n = len(keys)
    as_of = np.datetime64(config.as_of, "us")
    due = payments["due_date"].to_numpy(dtype="datetime64[us]")
    paid_date = payments["paid_date"].to_numpy(dtype="datetime64[us]")
    paid = ~np.isnat(paid_date) & (paid_date <= as_of)
    settled = np.where(paid, paid_date, as_of)
    days_late = np.maximum((settled - due) / DAY, 0.0)
    amount = payments["amount"].to_numpy(dtype=float)
    late = days_late > 0
    invoices = _sum(codes, None, n)
    invoiced = _sum(codes, amount, n)
    on_time_amount = _sum(codes, np.where(late, 0.0, amount), n)
    on_time_count = _sum(codes, (~late).astype(float), n)
    overdue = _sum(codes, np.where(~paid & (due < as_of), amount, 0.0), n)
    with np.errstate(invalid="ignore", divide="ignore"):
        on_time_share = np.where(invoiced > 0, on_time_amount / invoiced, on_time_count / invoices)
        overdue_share = np.where(invoiced > 0, overdue / invoiced, 0.0)
    avg_days_late = _sum(codes, days_late, n) / np.maximum(invoices, 1)
    max_days_late = _max(codes, days_late, n)
    credit = (
        CREDIT_PARTS["on_time"] * on_time_share
        + CREDIT_PARTS["avg_late"] * np.clip(1 - avg_days_late / AVG_LATE_DAYS_ZERO, 0, None)
        + CREDIT_PARTS["max_late"] * np.clip(1 - max_days_late / MAX_LATE_DAYS_ZERO, 0, None)
        + CREDIT_PARTS["overdue"] * (1 - np.clip(overdue_share, None, 1))
    )
    seen = invoices > 0
    return pd.DataFrame(
        {
            "invoices": invoices.astype(np.int64),
            "invoiced": invoiced,
            "avg_days_late": avg_days_late,
            "max_days_late": max_days_late,
            "overdue_amount": overdue,
            "on_time_share": on_time_share,
            "credit": credit,
        },
        index=keys,
    )[seen]


def sales_metrics(sales: pd.DataFrame, config: GradingConfig) -> pd.DataFrame:
    """amount, quantity, profit and the rows without cost (profit from the default margin), per customer."""
    mask = _window(sales["order_date"], config)
    codes, keys = _codes(sales["customer_id"], mask)
    n = len(keys)
    amount = sales["amount"].to_numpy(dtype=float)
    cost = sales["cost"].to_numpy(dtype=float)
    quantity = sales["quantity"].to_numpy(dtype=float)
    missing = np.isnan(cost)
    profit = np.where(missing, amount * config.default_margin, amount - np.where(missing, 0.0, cost))
    rows = _sum(codes, None, n)
    return pd.DataFrame(
        {
            "sales_rows": rows.astype(np.int64),
            "amount": _sum(codes, amount, n),
            "quantity": _sum(codes, np.nan_to_num(quantity), n),
            "profit": _sum(codes, profit, n),
            "cost_missing_rows": _sum(codes, missing.astype(float), n).astype(np.int64),
        },
        index=keys,
    )[rows > 0]


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
