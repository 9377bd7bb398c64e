"""Neighbourhoods that hold work in sequence around the freed orders, on hand-made plans
(machine M0, and M1; 10-minute steps)."""

from __future__ import annotations

import pandas as pd

from scheduler.cpsat.model import SolverSettings
from scheduler.lns import step_in_time
from scheduler.neighbourhood import in_sequence_around
from scheduler.objectives import Objective
from scheduler.problem import Machine, Mode, Operation, Order, ProblemData
from scheduler.schedule import Schedule
from scheduler.stop import StopRequest


def _shop(jobs: list[tuple[int, list[tuple[int, int]]]], links: dict[int, int] | None = None) -> ProblemData:
    """One order per (due, [(machine, start), ...]) job, weight 1, released at 0; ``links``:
    order -> the order it waits for (after_order)."""
    orders, operations = [], []
    for i, (due, steps) in enumerate(jobs):
        ops = []
        for position, (machine, _) in enumerate(steps):
            ops.append(len(operations))
            operations.append(Operation(i, 10 * (position + 1), position, (Mode(machine, 10),)))
        before = () if links is None or i not in links else (links[i],)
        orders.append(Order(f"O{i}", "c", "A", 0, 1.0, 0, due, tuple(ops), before))
    machines = tuple(Machine(f"M{m}", f"M{m}", "G") for m in range(2))
    return ProblemData(pd.Timestamp("2026-12-01"), 10_000, tuple(orders), tuple(operations), machines)


def _plan(p: ProblemData, jobs: list[tuple[int, list[tuple[int, int]]]]) -> Schedule:
    placed = [place for _, steps in jobs for place in steps]
    return Schedule(p, tuple(m for m, _ in placed), tuple(t for _, t in placed))


def _step(s: Schedule, freed: int, reach: int) -> Schedule:
    settings = SolverSettings(5.0, 1, 0)
    return step_in_time(s, {freed}, settings, 5.0, StopRequest(), Objective.WEIGHTED_TARDINESS, reach)[0]


def test_work_held_in_sequence_makes_room_that_work_held_in_time_does_not() -> None:
    # O0 (due late) runs 0-10 on M0 and its second step 50-60 on M1; O1, due at 10, runs
    # 10-20, ten minutes late. Held in time O0 blocks M0 until 10; held in
    # sequence it moves behind O1, and its step on M1 stays where it is.
    jobs = [(500, [(0, 0), (1, 50)]), (10, [(0, 10)])]
    p = _shop(jobs)
    s = _plan(p, jobs)
    assert s.tier_cost() == 10
    assert _step(s, 1, reach=0).tier_cost() == 10
    better = _step(s, 1, reach=1)
    assert better.tier_cost() == 0
    assert (better.start[2], better.start[0], better.start[1]) == (0, 10, 50)


def test_work_held_in_sequence_keeps_its_order_on_the_machine() -> None:
    # O0 (due 100) then O1 (due 20) then O2 (due 10) on M0. Freeing O2 with O0 and O1 held
    # in sequence: O2 goes first and O0 stays before O1, so O1 ends at 30, ten minutes late
    # (swapping O0 and O1 would make it 0).
    jobs = [(100, [(0, 0)]), (20, [(0, 10)]), (10, [(0, 20)])]
    p = _shop(jobs)
    better = _step(_plan(p, jobs), 2, reach=2)
    assert better.start == (10, 20, 0)
    assert better.tier_cost() == 10


def test_only_unlinked_planned_orders_around_freed_work_are_held_in_sequence() -> None:
    # M0 runs O0 ... O6 one after the other; O3 is freed. Within two places: O1, O2, O4, O5;
    # O5 waits for O2 (after_order), so neither of them is held in sequence; O0, O6 are too far.
    jobs = [(100, [(0, 10 * i)]) for i in range(7)]
    p = _shop(jobs, links={5: 2})
    s = _plan(p, jobs)
    assert in_sequence_around(p, s, {3}, 2) == {1, 4}
    assert in_sequence_around(p, s, {3}, 0) == set()
