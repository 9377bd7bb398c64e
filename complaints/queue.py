"""The complaint queue: tier first, then deadline; each complaint's state as of a moment.

A complaint's deadline is ``opened_at + complaint_sla_days[tier]``. As of ``as_of``:

* ``open``: not closed yet (or closed after ``as_of``) and the deadline not passed;
* ``overdue``: not closed and the deadline passed; days overdue = as_of - deadline;
* ``closed_in_time``: closed at or before the deadline;
* ``closed_late``: closed after the deadline; days overdue = closed_at - deadline.

Complaints opened after ``as_of`` are not in the queue yet. Customers without a tier
(no grading data) are treated as the lowest tier, and the queue says so.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

# complaints.parquet, column by column
QUEUE_COLUMNS: dict[str, str] = {
    "queue_position": "int",
    "complaint_id": "str",
    "customer_id": "str",
    "tier": "str",
    "tier_note": "str",
    "opened_at": "timestamp",
    "deadline": "timestamp",
    "closed_at": "timestamp",
    "state": "str",
    "days_overdue": "float",
    "subject": "str",
}
# complaint_delays.parquet: per tier and "all"
DELAY_COLUMNS: dict[str, str] = {
    "tier": "str",
    "complaints": "int",
    "open": "int",
    "overdue": "int",
    "closed_late": "int",
    "mean_days_overdue": "float",
    "max_days_overdue": "float",
    "share_closed_in_time": "float",
}
DAY = pd.Timedelta(days=1)


def complaint_queue(
    complaints: pd.DataFrame,
    tiers: pd.DataFrame,
    tier_names: tuple[str, ...],
    sla_days: dict[str, float],
    as_of: pd.Timestamp,
) -> pd.DataFrame:
    """Every complaint opened by ``as_of`` with tier, deadline, state and days overdue.

    Open complaints (open or overdue) come first in queue order (tier, deadline,
    opened_at, complaint_id) with ``queue_position`` 1, 2, ...; closed ones follow.
    """
    c = complaints[complaints["opened_at"] <= as_of].copy()
    tier_of = dict(zip(tiers["customer_id"], tiers["tier"], strict=True))
    c["tier"] = c["customer_id"].map(tier_of)
    graded = set(tiers.loc[~_ungraded(tiers), "customer_id"]) if len(tiers) else set()
    c["tier_note"] = np.where(c["customer_id"].isin(graded), "", "no tier: lowest tier assumed")
    c["tier"] = c["tier"].fillna(tier_names[-1])
    c["deadline"] = c["opened_at"] + pd.to_timedelta(c["tier"].map(sla_days).astype(float), unit="D")
    closed = c["closed_at"].notna() & (c["closed_at"] <= as_of)
    late_open = ~closed & (as_of > c["deadline"])
    late_closed = closed & (c["closed_at"] > c["deadline"])
    c["state"] = np.select(
        [late_closed, closed, late_open], ["closed_late", "closed_in_time", "overdue"], "open"
    )
    overdue = np.where(
        late_open,
        (as_of - c["deadline"]) / DAY,
        np.where(late_closed, (c["closed_at"] - c["deadline"]) / DAY, 0.0),
    )
    c["days_overdue"] = np.round(overdue.astype(float), 2)
    c["closed_at"] = c["closed_at"].where(closed)
    rank = c["tier"].map({t: i for i, t in enumerate(tier_names)})
    c["_open"] = (~closed).astype(int)
    c = c.assign(_rank=rank).sort_values(
        ["_open", "_rank", "deadline", "opened_at", "complaint_id"],
        ascending=[False, True, True, True, True],
        kind="stable",
    )
    c["queue_position"] = np.where(c["_open"] == 1, np.arange(1, len(c) + 1), 0)
    c["queue_position"] = c["queue_position"].astype("Int64").where(c["_open"] == 1)
    if "subject" not in c:
        c["subject"] = None
    return c.reset_index(drop=True)[list(QUEUE_COLUMNS)]


def _ungraded(tiers: pd.DataFrame) -> pd.Series:
    """Customers whose tier is only the fallback: no history, no prospect score, no manual tier."""
    if "reason" not in tiers:
        return pd.Series(False, index=tiers.index)
    no_manual = ~tiers.get("overridden", pd.Series(False, index=tiers.index)).astype(bool)
    return tiers["reason"].astype(str).str.contains("without history or prospect", regex=False) & no_manual


def delay_report(queue: pd.DataFrame, tier_names: tuple[str, ...]) -> pd.DataFrame:
    """Per tier (and in all): count, open, overdue, mean and maximum days overdue, share closed in time."""
    rows = []
    for tier in (*tier_names, "all"):
        q = queue if tier == "all" else queue[queue["tier"] == tier]
        late = q[q["state"].isin(["overdue", "closed_late"])]
        closed = q["state"].isin(["closed_in_time", "closed_late"])
        rows.append(
            {
                "tier": tier,
                "complaints": len(q),
                "open": int(q["state"].isin(["open", "overdue"]).sum()),
                "overdue": int((q["state"] == "overdue").sum()),
                "closed_late": int((q["state"] == "closed_late").sum()),
                "mean_days_overdue": float(late["days_overdue"].mean()) if len(late) else 0.0,
                "max_days_overdue": float(late["days_overdue"].max()) if len(late) else 0.0,
                "share_closed_in_time": float((q["state"] == "closed_in_time").sum() / closed.sum())
                if closed.any()
                else None,
            }
        )
    return pd.DataFrame(rows, columns=list(DELAY_COLUMNS))


def complaint_figures(queue: pd.DataFrame) -> pd.DataFrame:
    """Per customer: complaints and how many are (or were) overdue, for the grading report."""
    return queue.groupby("customer_id").agg(
        complaints=("complaint_id", "size"),
        complaints_overdue=("state", lambda s: int(s.isin(["overdue", "closed_late"]).sum())),
    )
