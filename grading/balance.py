"""Balanced rep portfolios (contract section 7): the fewest moves that even them out.

The limits: for each tier, every rep's count of customers of that tier within one of the
others' (so each count is the tier's share q = N // R or q + 1), and every rep's profit
share within 5 points of the mean. Counts can always be evened out; profit sometimes
cannot (one customer may hold a fifth of the company's profit): then the largest
deviation beyond the 5 points is made as small as it can be first, and the report says so.

How: the fewest moves that even out the counts are known exactly (each rep above its
target count gives its excess, the targets q + 1 going to the reps that hold most), so
a plan that even out the counts with that many moves and keeps every profit share in
its band is proved best without search. A greedy plan tries that: rich reps give their
most profitable surplus customers to the poorest reps that lack some. Where profit is
still off, CP-SAT searches (scheduler-free: grading/balance_model.py): over every
customer and rep on small books, which proves the answer; on large ones over the
customers most worth moving (each rep's surplus and its most and least profitable
customers of each tier) and the reps most in need.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from grading.book import PROFIT_BAND, Book, book_of

# reassign.parquet: the proposed moves
MOVE_COLUMNS: dict[str, str] = {
    "customer_id": "str",
    "from_rep": "str",
    "to_rep": "str",
    "tier": "str",
    "profit": "float",
}


@dataclass(frozen=True)
class Balance:
    """The proposed moves and how good they are."""

    moves: pd.DataFrame  # customer_id, from_rep, to_rep, tier, profit
    proved: bool  # no fewer moves can meet the limits (or come as close to them)
    within_limits: bool  # every profit share within PROFIT_BAND of the mean
    largest_deviation: float  # the largest |profit share - mean| after the moves
    note: str


def greedy(book: Book) -> np.ndarray:
    """Each rep's surplus in each tier goes to the reps short of it: rich reps give their
    most profitable surplus customers, poor ones their least; the most profitable go to the
    poorest receivers."""
    rep = book.rep.copy()
    r = len(book.reps)
    profit = np.bincount(rep, weights=book.profit, minlength=r)
    mean = book.profit.sum() / max(1, r)
    targets = book.targets()
    for t in range(len(book.tiers)):
        counts = np.bincount(rep[book.tier == t], minlength=r)
        given: list[int] = []
        for a in np.flatnonzero(counts > targets[t]):
            mine = np.flatnonzero((rep == a) & (book.tier == t))
            order = np.argsort(-book.profit[mine] if profit[a] > mean else book.profit[mine], kind="stable")
            given += list(mine[order[: counts[a] - targets[t, a]]])
        slots = [
            b for b in np.argsort(profit, kind="stable") for _ in range(max(0, targets[t, b] - counts[b]))
        ]
        for c, b in zip(sorted(given, key=lambda c: -book.profit[c]), slots, strict=True):
            profit[rep[c]] -= book.profit[c]
            profit[b] += book.profit[c]
            rep[c] = b
    return rep


SWAP_CANDIDATES = 20  # customers of the rep furthest off, and partner reps, a swap tries


def even_out_profit(book: Book, rep: np.ndarray) -> np.ndarray:
    """Swaps of customers of one tier between the rep furthest from the mean and the reps
    furthest on the other side, while that brings the largest deviation down (counts stay)."""
    rep = rep.copy()
    r, total = len(book.reps), int(book.profit.sum())
    profit = np.bincount(rep, weights=book.profit, minlength=r).astype(np.int64)
    for _ in range(10 * len(book.customers)):
        deviation = r * profit - total
        worst = int(np.argmax(np.abs(deviation)))
        if abs(int(deviation[worst])) <= r * book.band:
            break
        rich = deviation[worst] > 0
        sign = 1 if rich else -1
        mine = np.flatnonzero(rep == worst)
        mine = mine[np.argsort(-sign * book.profit[mine], kind="stable")[:SWAP_CANDIDATES]]
        partners = np.argsort(sign * deviation, kind="stable")[:SWAP_CANDIDATES]
        others = np.sort(np.abs(deviation))[::-1]
        best, best_value = None, int(others[0])
        for b in partners:
            if b == worst:
                continue
            rest = int(others[2]) if len(others) > 2 else 0  # the largest left besides the two
            for c in mine:
                theirs = np.flatnonzero((rep == b) & (book.tier == book.tier[c]))
                if not len(theirs):
                    continue
                d = theirs[np.argmin(sign * book.profit[theirs])]
                shift = int(book.profit[c] - book.profit[d])
                if sign * shift <= 0:
                    continue
                value = max(rest, abs(int(deviation[worst]) - r * shift), abs(int(deviation[b]) + r * shift))
                if value < best_value:
                    best, best_value = (c, d, b), value
        if best is None:
            break
        c, d, b = best
        shift = int(book.profit[c] - book.profit[d])
        rep[c], rep[d] = b, worst
        profit[worst] -= shift
        profit[b] += shift
    return rep


def balance(
    assigned: pd.DataFrame,
    tier_names: tuple[str, ...],
    seconds: float = 30.0,
    workers: int = 0,
    seed: int = 0,
) -> Balance:
    """The fewest moves that bring every rep within the limits (or as close as can be)."""
    book = book_of(assigned, tier_names)
    if len(book.reps) < 2:
        return Balance(_moves(book, book.rep), True, True, 0.0, "one rep or none: nothing to balance")
    rep = greedy(book)
    proved = book.excess(rep) == 0  # counts even with the fewest moves, profit in its band
    if not proved:
        rep = even_out_profit(book, rep)
    if not proved:
        from grading.balance_model import search

        rep, proved = search(book, rep, seconds, workers, seed)
        floor_met = book.excess(rep) == book.excess_floor()  # as close as any assignment gets
        proved = proved or (floor_met and book.moves(rep) == book.fewest_moves())
    deviation = _deviation(book, rep)
    within = book.excess(rep) == 0
    moved = book.moves(rep)
    band, largest = f"{PROFIT_BAND * 100:g}", f"{deviation * 100:.1f}"
    note = (
        f"{moved:,} move(s) bring every rep's count of each tier within one of the others' and every "
        f"rep's share of the profit within {band} points of the mean (at most {largest} points off)"
        if within
        else f"{moved:,} move(s) bring every rep's count of each tier within one of the others'; the "
        f"reps' shares of the profit cannot all come within {band} points of the mean: the largest "
        f"deviation is {largest} points, as small as it can be{'' if proved else ' among the moves searched'}"
    )
    if not proved:
        note += "; the fewest moves found, not proved fewest"
    return Balance(_moves(book, rep), proved, within, deviation, note)


def _deviation(book: Book, rep: np.ndarray) -> float:
    if not book.company:
        return 0.0
    r = len(book.reps)
    profit = np.bincount(rep, weights=book.profit, minlength=r)
    return float(np.abs(profit - book.profit.sum() / r).max() / abs(book.company))


def _moves(book: Book, rep: np.ndarray) -> pd.DataFrame:
    moved = np.flatnonzero(rep != book.rep)
    return pd.DataFrame(
        {
            "customer_id": pd.Series(book.customers[moved], dtype="str"),
            "from_rep": pd.Series([book.reps[i] for i in book.rep[moved]], dtype="str"),
            "to_rep": pd.Series([book.reps[i] for i in rep[moved]], dtype="str"),
            "tier": pd.Series([book.tiers[i] for i in book.tier[moved]], dtype="str"),
            "profit": book.profit[moved] / 100.0,
        },
        columns=list(MOVE_COLUMNS),
    )
