"""The insertion repair: its stock (the first minute from which an amount can be taken for
good) and the right-shift repair of a previous plan (which work keeps its machine)."""

from __future__ import annotations

import random

import pytest

from scheduler.insertion import REPAIR_WAIT, Stock, keep_previous
from tests.helpers.plants import three_machine_shop


def _first_safe_minute(events: list[tuple[int, int]], quantity: int, t: int) -> int | None:
    """By hand: try each candidate minute from t on, checking the level at every later event."""
    minutes = sorted({at for at, _ in events} | {t})

    def level(x: int) -> int:
        return sum(change for at, change in events if at <= x)

    for x in minutes:
        if x >= t and all(level(y) >= quantity for y in minutes if y >= x):
            return x
    return None


def _stock(events: list[tuple[int, int]]) -> Stock:
    stock = Stock.__new__(Stock)
    stock.events, stock._levels = [sorted(events)], {}
    return stock


def test_a_take_waits_until_the_stock_stays_covered_for_good() -> None:
    stock = _stock([(0, 5), (5, -4), (10, 4)])  # 5 on hand, 4 taken at 5, 4 arrive at 10
    assert stock.earliest(0, 3, 0) == 10  # taken earlier, the 4 at minute 5 would lack 2
    assert stock.earliest(0, 3, 25) == 25
    assert stock.earliest(0, 6, 0) is None


def test_the_stock_agrees_with_a_minute_by_minute_check_on_random_levels() -> None:
    rng = random.Random(7)
    for _ in range(2000):
        events = [(0, rng.randint(0, 5))]
        events += [(rng.randint(0, 30), rng.randint(-6, 6)) for _ in range(rng.randint(0, 8))]
        quantity, t = rng.randint(0, 8), rng.randint(0, 35)
        stock = _stock(events)
        assert stock.earliest(0, quantity, t) == _first_safe_minute(sorted(events), quantity, t)
        stock.take(0, 2, t)  # the levels follow a change
        assert stock.earliest(0, quantity, t) == _first_safe_minute(sorted([*events, (t, -2)]), quantity, t)


def test_units_beyond_64_bits_are_counted_exactly() -> None:
    # 0.1 + 0.2 kg per unit is exactly 0.30000000000000004: its units at scale 10^17 pass
    # 64 bits (a fuzzed export found the overflow)
    big = 3 * 10**18
    events = [(0, big), (5, -2 * big), (10, 2 * big)]
    stock = _stock(events)
    assert stock.earliest(0, big, 0) == _first_safe_minute(events, big, 0) == 10


@pytest.mark.parametrize(
    ("downtime", "previous", "expected", "why"),
    [
        # M1 down until 1,000: waiting 900 minutes there, M2 ends it 900 minutes sooner
        ({1: (0, 1000)}, (1, 100), (2, 0), "a broken machine's work moves, as early as it can"),
        # M1 down until 400 (300 minutes' wait), but M2 (down until 300) ends it only 100 sooner
        ({1: (0, 400), 2: (0, 300)}, (1, 100), (1, 400), "a small gain keeps the machine"),
        ({}, (1, 100), (1, 100), "work that fits stays as it was"),
    ],
)
def test_the_repair_moves_work_only_off_a_machine_that_keeps_it_waiting_long(
    downtime: dict[int, tuple[int, int]], previous: tuple[int, int], expected: tuple[int, int], why: str
) -> None:
    assert REPAIR_WAIT == 240  # the cases above straddle it
    problem = three_machine_shop(downtime, [[[(1, 60), (2, 60)]]], {0: previous})
    repaired = keep_previous(problem)
    assert (repaired.machine[0], repaired.start[0]) == expected, why


def test_work_late_only_because_the_work_before_it_is_late_keeps_its_machine() -> None:
    # step 1 only on M0, down until 500; step 2 on M1 (60) or M2 (50). Step 2 is ready at 560,
    # 500 after its previous start, and M2 would end it 10 minutes sooner: it stays on M1
    problem = three_machine_shop({0: (0, 500)}, [[[(0, 60)], [(1, 60), (2, 50)]]], {0: (0, 0), 1: (1, 60)})
    repaired = keep_previous(problem)
    assert (repaired.machine[0], repaired.start[0]) == (0, 500)
    assert (repaired.machine[1], repaired.start[1]) == (1, 560)
