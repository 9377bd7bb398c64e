"""The sales book as arrays: who holds which customer, of which tier, for how much profit."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

PROFIT_BAND = 0.05  # a rep's profit share within this of the mean


@dataclass(frozen=True)
class Book:
    """The assigned customers as arrays: rep index, tier index, profit (in cents)."""

    customers: np.ndarray  # customer_id
    rep: np.ndarray  # index into reps
    tier: np.ndarray  # index into tiers
    profit: np.ndarray  # int64 cents
    reps: tuple[str, ...]
    tiers: tuple[str, ...]
    company: int  # the company's profit in cents, every graded customer counted

    @property
    def band(self) -> int:
        """The allowed distance from the mean, in cents (5 points of the company's profit)."""
        return int(abs(self.company) * PROFIT_BAND)

    def targets(self) -> np.ndarray:
        """Per tier and rep, the count the fewest moves reach: q, or q + 1 for the N mod R
        reps that hold most of that tier (ties: the rep listed first)."""
        r = len(self.reps)
        out = np.zeros((len(self.tiers), r), dtype=np.int64)
        for t in range(len(self.tiers)):
            counts = np.bincount(self.rep[self.tier == t], minlength=r)
            q, high = divmod(int(counts.sum()), r)
            out[t] = q
            out[t, np.argsort(-counts, kind="stable")[:high]] = q + 1
        return out

    def fewest_moves(self) -> int:
        """A lower bound on moves: the excess above the targets (counts alone)."""
        counts = self.counts(self.rep)
        return int(np.maximum(0, counts - self.targets()).sum())

    def moves(self, rep: np.ndarray) -> int:
        """How many customers ``rep`` gives another rep."""
        return int((rep != self.rep).sum())

    def counts(self, rep: np.ndarray) -> np.ndarray:
        r = len(self.reps)
        return np.stack([np.bincount(rep[self.tier == t], minlength=r) for t in range(len(self.tiers))])

    def excess_floor(self) -> int:
        """A lower bound of :meth:`excess` over every assignment with even counts: whoever
        holds a customer also holds q - 1 or q others of its tier and q or q + 1 of every
        other tier (q + 1 only where the tier does not divide evenly), so at least the least
        (and at most the largest) profits such a count allows, with its own."""
        r, total = len(self.reps), int(self.profit.sum())
        if not len(self.profit) or not r:
            return 0
        low = self.profit.astype(np.int64).copy()
        high = self.profit.astype(np.int64).copy()
        for t in range(len(self.tiers)):
            mine = np.flatnonzero(self.tier == t)
            q, uneven = divmod(len(mine), r)
            counts = [q, q + 1] if uneven else [q]
            up = np.concatenate([[0], np.cumsum(np.sort(self.profit[mine]))])  # sums of the k least
            down = np.concatenate([[0], np.cumsum(np.sort(self.profit[mine])[::-1])])  # the k largest
            low[self.tier != t] += min(int(up[k]) for k in counts)
            high[self.tier != t] += max(int(down[k]) for k in counts)
            rank = np.argsort(np.argsort(self.profit[mine], kind="stable"), kind="stable")
            own = self.profit[mine]
            least = [np.where(rank < k - 1, up[k] - own, up[k - 1]) for k in counts if k >= 1]
            largest = [
                np.where(len(mine) - 1 - rank < k - 1, down[k] - own, down[k - 1]) for k in counts if k >= 1
            ]
            low[mine] += np.min(least, axis=0) if least else 0
            high[mine] += np.max(largest, axis=0) if largest else 0
        worst = max(int((r * low - total).max()), int((total - r * high).max()), 0)
        return max(0, worst - r * self.band)

    def excess(self, rep: np.ndarray) -> int:
        """How far profit is outside the band: the largest |R * P_r - S| - R * band, in cents x R."""
        r = len(self.reps)
        profit = np.bincount(rep, weights=self.profit, minlength=r).astype(np.int64)
        spread = np.abs(r * profit - int(self.profit.sum()))
        return max(0, int(spread.max()) - r * self.band) if r else 0


def book_of(assigned: pd.DataFrame, tier_names: tuple[str, ...]) -> Book:
    """The customers that have a rep (``assigned`` from grading.portfolio.assigned)."""
    held = assigned.dropna(subset=["sales_rep"]).sort_values("customer_id", kind="stable")
    reps = tuple(sorted(held["sales_rep"].unique()))
    rep_index = {r: i for i, r in enumerate(reps)}
    tier_index = {t: i for i, t in enumerate(tier_names)}
    return Book(
        held["customer_id"].to_numpy(dtype=object),
        held["sales_rep"].map(rep_index).to_numpy(dtype=np.int64),
        held["tier"].map(tier_index).to_numpy(dtype=np.int64),
        np.round(held["profit"].to_numpy(dtype=float) * 100).astype(np.int64),
        reps,
        tuple(tier_names),
        round(float(assigned["profit"].sum()) * 100),
    )
