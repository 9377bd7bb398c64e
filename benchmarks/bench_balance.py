"""Balancing rep portfolios at scale (contract section 7): time, moves, how close profit gets.

A book of N customers over R reps as `tierplan generate` deals them: profits 80/20-skewed
(Pareto), tiers by profit (20 % A, 30 % B, 50 % C), reps unbalanced on purpose (the first
reps hold the big customers). Printed per book: seconds, the moves proposed against the
fewest any balance of the counts needs (a lower bound), the largest profit-share
deviation from the mean (points) against the floor no assignment can beat and against
what the count-only greedy leaves (the baseline, same run).

    python benchmarks/bench_balance.py [--books 2000x20 50000x200] [--seeds 1 2 3]
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import pandas as pd

from grading.balance import balance, greedy
from grading.book import book_of

TIERS = ("A", "B", "C")


def synthetic_book(n: int, reps: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    profit = np.round((rng.pareto(1.16, n) + 1) * rng.uniform(50, 500, n), 2)
    order = np.argsort(-profit)
    tier = np.empty(n, dtype=object)
    tier[order[: n // 5]], tier[order[n // 5 : n // 2]], tier[order[n // 2 :]] = "A", "B", "C"
    size_rank = pd.Series(profit).rank(ascending=False).to_numpy() / n
    favoured = np.minimum(reps - 1, (rng.random(n) * reps * (0.15 + size_rank)).astype(int))
    rep = np.where(rng.random(n) < 0.6, favoured, rng.integers(0, reps, n))
    return pd.DataFrame(
        {
            "customer_id": [f"C{i:06d}" for i in range(n)],
            "sales_rep": [f"R{r:03d}" for r in rep],
            "tier": tier,
            "amount": profit * 4,
            "profit": profit,
        }
    )


def points(book: object, excess: int) -> float:
    """An excess (cents x reps beyond the band) as the largest deviation in share points."""
    r, company = len(book.reps), abs(book.company)  # type: ignore[attr-defined]
    return (excess / r + book.band) / company * 100 if company else 0.0  # type: ignore[attr-defined]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--books", nargs="*", default=["2000x20", "50000x200"])
    parser.add_argument("--seeds", type=int, nargs="*", default=[1, 2, 3])
    args = parser.parse_args()
    print(
        f"{'customers':>10}{'reps':>6}{'seed':>5}{'s':>7}{'moves':>8}{'fewest':>8}{'dev pts':>9}"
        f"{'floor':>7}{'greedy dev':>11}{'proved':>8}"
    )
    for spec in args.books:
        n, reps = (int(x) for x in spec.split("x"))
        for seed in args.seeds:
            frame = synthetic_book(n, reps, seed)
            book = book_of(frame, TIERS)
            baseline = points(book, book.excess(greedy(book)))
            began = time.perf_counter()
            result = balance(frame, TIERS)
            seconds = time.perf_counter() - began
            print(
                f"{n:>10}{reps:>6}{seed:>5}{seconds:>7.1f}{len(result.moves):>8}{book.fewest_moves():>8}"
                f"{result.largest_deviation * 100:>9.1f}{points(book, book.excess_floor()):>7.1f}"
                f"{baseline:>11.1f}{result.proved!s:>8}",
                flush=True,
            )


if __name__ == "__main__":
    main()
