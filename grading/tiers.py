"""Composite score, tiers by ratio / Pareto share / score thresholds, manual overrides, migrations.

Ties: customers with the same composite are ordered by profit, then amount (both
higher first), then customer_id; the same order decides ranks and ratio boundaries.

New customers (no sales in the window) are not ranked against each other by history:
their composite is their prospect_score (0-100, 0 when missing), and they take the best
tier whose graded customers they match, that is the best tier whose lowest graded
composite is at or below that score. Graded customers alone decide where the tiers
start, so a wave of prospects cannot push graded customers down.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

import numpy as np
import pandas as pd

from grading.config import GradingConfig
from grading.metrics import credit_metrics, normalise, sales_metrics

NEUTRAL_SCORE = 50.0  # the credit score of a graded customer without invoices in the window
METRICS = ("credit", "amount", "profit")


def grade(
    customers: pd.DataFrame,
    sales: pd.DataFrame,
    payments: pd.DataFrame,
    config: GradingConfig,
    also_customers: Iterable[str] = (),
) -> pd.DataFrame:
    """Grade every customer known from any table; one row per customer, best first."""
    sources = [customers["customer_id"], sales["customer_id"], payments["customer_id"]]
    distinct = [_distinct(s) for s in sources] + [np.asarray(list(also_customers), dtype=object)]
    ids = pd.Index(pd.unique(np.concatenate(distinct)), name="customer_id").dropna()
    frame = pd.DataFrame(index=ids)
    info = customers.drop_duplicates("customer_id").set_index("customer_id")
    frame["name"] = info["name"].reindex(ids) if "name" in info else None
    frame = frame.join(credit_metrics(payments, config)).join(sales_metrics(sales, config))
    frame["is_new"] = frame["sales_rows"].fillna(0) == 0
    frame["prospect_score"] = info["prospect_score"].reindex(ids).astype(float)
    graded = ~frame["is_new"]
    frame["credit_score"] = normalise(frame.loc[graded, "credit"], config.normalization).reindex(ids)
    frame.loc[graded & frame["credit_score"].isna(), "credit_score"] = NEUTRAL_SCORE
    frame["amount_score"] = normalise(frame.loc[graded, "amount"], config.normalization).reindex(ids)
    frame["profit_score"] = normalise(frame.loc[graded, "profit"], config.normalization).reindex(ids)
    composite = sum(config.weights.get(m, 0.0) * frame[f"{m}_score"] for m in METRICS)
    frame["composite"] = np.where(graded, composite, frame["prospect_score"].fillna(0.0))
    frame = _ordered(frame)
    frame["rank"] = np.arange(1, len(frame) + 1)
    frame["auto_tier"], frame["auto_reason"] = _auto_tiers(frame, config)
    frame = _overrides(frame, info, config)
    for column in ("invoices", "sales_rows", "cost_missing_rows"):
        frame[column] = frame[column].fillna(0).astype("int64")
    return frame.reset_index()[list(TIER_COLUMNS)]


def _distinct(values: pd.Series) -> np.ndarray:
    """The distinct non-null values; cheap for dictionary-encoded (categorical) columns."""
    if isinstance(values.dtype, pd.CategoricalDtype):
        return np.asarray(values.cat.categories, dtype=object)
    return np.asarray(values.dropna().unique(), dtype=object)


# tiers.parquet, column by column (the kind as written: str, int, float, bool, timestamp)
TIER_COLUMNS: dict[str, str] = {
    "customer_id": "str",
    "name": "str",
    "is_new": "bool",
    "invoices": "int",
    "invoiced": "float",
    "on_time_share": "float",
    "avg_days_late": "float",
    "max_days_late": "float",
    "overdue_amount": "float",
    "credit": "float",
    "credit_score": "float",
    "sales_rows": "int",
    "amount": "float",
    "quantity": "float",
    "amount_score": "float",
    "profit": "float",
    "cost_missing_rows": "int",
    "profit_score": "float",
    "prospect_score": "float",
    "composite": "float",
    "rank": "int",
    "auto_tier": "str",
    "tier": "str",
    "overridden": "bool",
    "reason": "str",
}


def _ordered(frame: pd.DataFrame) -> pd.DataFrame:
    key = frame.assign(
        _p=frame["profit"].fillna(-np.inf),
        _a=frame["amount"].fillna(-np.inf),
        _id=frame.index.astype(str),
    )
    key = key.sort_values(
        ["composite", "_p", "_a", "_id"], ascending=[False, False, False, True], kind="stable"
    )
    return frame.loc[key.index]


def _first_match(conditions: list[np.ndarray], size: int, names: tuple[str, ...]) -> np.ndarray:
    """Per row, the first tier whose condition holds, else the lowest tier (index into names)."""
    which = np.full(size, len(names) - 1)
    open_rows = np.ones(size, dtype=bool)
    for i, condition in enumerate(conditions):
        hit = open_rows & condition
        which[hit] = i
        open_rows &= ~hit
    return which


def _auto_tiers(frame: pd.DataFrame, config: GradingConfig) -> tuple[pd.Series, pd.Series]:
    names = config.tier_names
    tier = pd.Series(names[-1], index=frame.index, dtype=object)
    reason = pd.Series("", index=frame.index, dtype=object)
    graded = frame.index[~frame["is_new"]]
    n = len(graded)
    if config.method == "ratio" and n:
        cumulative = np.cumsum([config.ratios.get(t, 0.0) for t in names])
        bounds = np.array([math.floor(c * n + 0.5) for c in cumulative])
        bounds[-1] = n
        position = np.arange(n)
        which = np.minimum(np.searchsorted(bounds, position, side="right"), len(names) - 1)
        tier[graded] = np.asarray(names, dtype=object)[which]
        top = np.asarray([f"{c:.0%}" for c in cumulative], dtype=object)[which]
        reason[graded] = (
            "rank "
            + pd.Series(position + 1).astype(str)
            + f" of {n} graded by composite; "
            + tier[graded].to_numpy()
            + " is the top "
            + top
        ).to_numpy()
    elif config.method == "pareto" and n:
        basis = frame.loc[graded, config.pareto_basis].fillna(0.0).clip(lower=0)
        order = basis.sort_values(ascending=False, kind="stable")
        total = order.sum()
        before = ((order.cumsum() - order) / total).to_numpy() if total > 0 else np.ones(len(order))
        shares = [config.pareto_shares.get(t, 1.0) for t in names[:-1]]
        which = _first_match([(before < s) & (order.to_numpy() > 0) for s in shares], len(order), names)
        tier[order.index] = np.asarray(names, dtype=object)[which]
        reason[order.index] = [f"{config.pareto_basis} share before this customer {b:.1%}" for b in before]
    elif n:
        tier[graded], reason[graded] = _by_thresholds(frame.loc[graded, "composite"], config)
    _place_new(frame, tier, reason, config)
    return tier, reason


def _by_thresholds(composite: pd.Series, config: GradingConfig) -> tuple[np.ndarray, np.ndarray]:
    names = config.tier_names
    cuts = [config.thresholds.get(t) for t in names[:-1]]
    values = composite.to_numpy(dtype=float)
    which = _first_match(
        [values >= c if c is not None else np.zeros(len(values), bool) for c in cuts], len(values), names
    )
    reasons = [
        f"composite {v:.1f} >= {cuts[k]:g}" if k < len(cuts) else f"composite {v:.1f} below every threshold"
        for v, k in zip(values, which, strict=True)
    ]
    return np.asarray(names, dtype=object)[which], np.asarray(reasons, dtype=object)


def _place_new(frame: pd.DataFrame, tier: pd.Series, reason: pd.Series, config: GradingConfig) -> None:
    new = frame.index[frame["is_new"]]
    if not len(new):
        return
    names = config.tier_names
    graded = ~frame["is_new"]
    if config.method == "score" or not graded.any():
        tier[new], reasons = _by_thresholds(frame.loc[new, "composite"], config)
        reason[new] = ["new customer, prospect score: " + r for r in reasons]
        return
    lowest_of = frame.loc[graded].groupby(tier[graded])["composite"].min()
    score = frame.loc[new, "composite"].to_numpy(dtype=float)
    conditions = [score >= lowest_of[t] if t in lowest_of else np.zeros(len(new), bool) for t in names[:-1]]
    tier[new] = np.asarray(names, dtype=object)[_first_match(conditions, len(new), names)]
    placed = (
        "new customer: prospect score "
        + pd.Series(score).map("{:g}".format)
        + " placed among graded composites"
    )
    has_prospect = frame.loc[new, "prospect_score"].notna().to_numpy()
    reason[new] = np.where(has_prospect, placed.to_numpy(), "new customer without history or prospect score")


def _overrides(frame: pd.DataFrame, info: pd.DataFrame, config: GradingConfig) -> pd.DataFrame:
    manual = (
        info["manual_tier"].reindex(frame.index)
        if "manual_tier" in info
        else pd.Series(None, index=frame.index)
    )
    why = (
        info["manual_reason"].reindex(frame.index)
        if "manual_reason" in info
        else pd.Series(None, index=frame.index)
    )
    has_manual = manual.notna()
    frame["tier"] = manual.where(has_manual, frame["auto_tier"]).astype(object)
    frame["overridden"] = has_manual & (manual != frame["auto_tier"])
    manual_text = (
        "manual tier " + manual.astype(str) + ": " + why.astype(object).fillna("no reason given").astype(str)
    )
    frame["reason"] = np.where(has_manual, manual_text, frame["auto_reason"])
    return frame


# migrations.parquet: customers whose tier changed since an earlier grading
MIGRATION_COLUMNS: dict[str, str] = {
    "customer_id": "str",
    "previous_tier": "str",
    "tier": "str",
    "direction": "str",
    "driver": "str",
    "change": "float",
}


def migrations(previous: pd.DataFrame, current: pd.DataFrame, config: GradingConfig) -> pd.DataFrame:
    """Customers whose tier changed since ``previous``, the direction and the metric that moved them."""
    names = config.tier_names
    merged = current.merge(
        previous, on="customer_id", how="outer", suffixes=("", "_previous"), indicator=True
    )
    rows = []
    for r in merged.to_dict("records"):
        if r["_merge"] != "both":
            rows.append(
                {
                    "customer_id": r["customer_id"],
                    "previous_tier": r.get("tier_previous"),
                    "tier": r.get("tier"),
                    "direction": "added" if r["_merge"] == "left_only" else "removed",
                    "driver": "",
                    "change": float("nan"),
                }
            )
            continue
        if r["tier"] == r["tier_previous"]:
            continue
        up = _rank(names, r["tier"]) < _rank(names, r["tier_previous"])
        driver, change = _driver(r, config, up)
        rows.append(
            {
                "customer_id": r["customer_id"],
                "previous_tier": r["tier_previous"],
                "tier": r["tier"],
                "direction": "up" if up else "down",
                "driver": driver,
                "change": change,
            }
        )
    return pd.DataFrame(rows, columns=list(MIGRATION_COLUMNS))


def _rank(names: tuple[str, ...], tier: object) -> int:
    return names.index(str(tier)) if tier in names else len(names)


def _driver(r: dict[str, object], config: GradingConfig, up: bool) -> tuple[str, float]:
    if bool(r.get("overridden")) or bool(r.get("overridden_previous")):
        return "manual override", float("nan")
    if r.get("is_new") != r.get("is_new_previous"):
        return (
            "first sales in the window" if not r.get("is_new") else "no sales in the window any more"
        ), float("nan")
    best, best_change = "composite", 0.0
    for m in METRICS:
        now, before = r.get(f"{m}_score"), r.get(f"{m}_score_previous")
        if now is None or before is None or pd.isna(now) or pd.isna(before):
            continue
        change = float(now) - float(before)  # type: ignore[arg-type]
        weighted = change * config.weights.get(m, 0.0)
        if (weighted > best_change) if up else (weighted < best_change):
            best, best_change = m, weighted
    return best, best_change
