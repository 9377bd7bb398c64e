"""Balanced rep portfolios: hand cases and every assignment of small books tried."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from grading.balance import balance
from grading.book import book_of

TIERS = ("A", "B", "C")


def book(rows: list[tuple[str, str, str, float]]) -> pd.DataFrame:
    """(customer, rep, tier, profit) rows as grading.portfolio.assigned gives them."""
    return pd.DataFrame(
        [{"customer_id": c, "sales_rep": r, "tier": t, "amount": 0.0, "profit": p} for c, r, t, p in rows]
    )


def test_counts_are_evened_out_with_the_fewest_moves() -> None:
    """R1 holds all four A customers, R2 all four C: two of each change hands, and both end
    with 220 of profit, the mean."""
    rows = [(f"a{i}", "R1", "A", 100.0) for i in range(4)] + [(f"c{i}", "R2", "C", 10.0) for i in range(4)]
    result = balance(book(rows), TIERS)
    assert len(result.moves) == 4 and result.proved and result.within_limits
    assert sorted(result.moves["tier"]) == ["A", "A", "C", "C"]
    assert set(zip(result.moves["from_rep"], result.moves["to_rep"], strict=True)) == {
        ("R1", "R2"),
        ("R2", "R1"),
    }
    assert result.largest_deviation == 0


def test_a_profit_swap_when_counts_are_even_already() -> None:
    """Two A customers each; R1's are worth 500, R2's 10. Moving one alone breaks the counts:
    the fewest moves are a swap, leaving 510 each."""
    rows = [
        ("a1", "R1", "A", 500.0),
        ("a2", "R1", "A", 500.0),
        ("a3", "R2", "A", 10.0),
        ("a4", "R2", "A", 10.0),
    ]
    result = balance(book(rows), TIERS)
    assert len(result.moves) == 2 and result.within_limits and result.proved
    assert sorted(result.moves["profit"]) == [10.0, 500.0]


def test_a_customer_worth_most_of_the_profit_cannot_be_balanced_and_it_is_said() -> None:
    """C1 alone is 90 % of the profit: wherever it goes, its rep is 40 points above the mean.
    No move makes that smaller, so none is proposed."""
    rows = [("c1", "R1", "A", 900.0), ("c2", "R2", "A", 50.0), ("c3", "R2", "B", 50.0)]
    result = balance(book(rows), TIERS)
    assert result.moves.empty and result.proved and not result.within_limits
    assert abs(result.largest_deviation - 0.40) < 1e-9
    assert "cannot all come within 5 points of the mean: the largest deviation is 40.0 points" in result.note


def test_one_rep_has_nothing_to_balance() -> None:
    result = balance(book([("c1", "R1", "A", 5.0), ("c2", "R1", "B", 7.0)]), TIERS)
    assert result.moves.empty and "one rep" in result.note


def best_by_hand(rows: list[tuple[str, str, str, float]]) -> tuple[int, int]:
    """(profit excess, moves) of the best assignment, every assignment tried."""
    b = book_of(book(rows), TIERS)
    best = None
    for combo in itertools.product(range(len(b.reps)), repeat=len(b.customers)):
        rep = np.array(combo)
        counts = b.counts(rep)
        if (counts.max(axis=1) - counts.min(axis=1) > 1).any():
            continue
        key = (b.excess(rep), int((rep != b.rep).sum()))
        best = key if best is None or key < best else best
    assert best is not None
    return best


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(st.sampled_from(["R1", "R2", "R3"]), st.sampled_from(TIERS), st.integers(-50, 3000)),
        min_size=2,
        max_size=8,
    )
)
def test_the_fewest_moves_equal_the_best_of_every_assignment(customers: list[tuple[str, str, int]]) -> None:
    rows = [(f"c{i}", rep, tier, float(profit)) for i, (rep, tier, profit) in enumerate(customers)]
    if len({r for _, r, _, _ in rows}) < 2:
        return
    result = balance(book(rows), TIERS, seconds=5, workers=1)
    b = book_of(book(rows), TIERS)
    rep = b.rep.copy()
    index = {c: i for i, c in enumerate(b.customers)}
    for m in result.moves.itertuples():
        rep[index[m.customer_id]] = b.reps.index(m.to_rep)
    counts = b.counts(rep)
    assert (counts.max(axis=1) - counts.min(axis=1) <= 1).all()
    best = best_by_hand(rows)
    assert (b.excess(rep), len(result.moves)) == best
    assert result.proved
    assert b.excess_floor() <= best[0]  # the floor holds for every assignment


@pytest.mark.parametrize(("big", "excess"), [(3, 50), (4, 120)])
def test_the_second_round_finds_the_fewest_moves_presolve_once_hid(big: int, excess: int) -> None:
    """Found by the property test above: with the second round's hint, OR-Tools 9.15's
    presolve proved 4 moves optimal on these books; moving c0 to R3, c3 to R2 and c5 to R3
    evens the counts out with the same profit excess in 3."""
    customers = [
        ("R1", "A", 1),
        ("R3", "C", 1),
        ("R1", "C", big),
        ("R1", "C", big),
        ("R2", "B", 1),
        ("R2", "B", 1),
    ]
    rows = [(f"c{i}", rep, tier, float(profit)) for i, (rep, tier, profit) in enumerate(customers)]
    assert best_by_hand(rows) == (excess, 3)
    result = balance(book(rows), TIERS, seconds=5, workers=1)
    assert len(result.moves) == 3 and result.proved
