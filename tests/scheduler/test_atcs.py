"""The ATCS pick on hand-made queues: weight per minute, slack, and the changeover factor."""

from __future__ import annotations

import pandas as pd
import pytest

from scheduler.atcs import AtcsPicker
from scheduler.problem import NO_FAMILY, Machine, Mode, Operation, Order, ProblemData

CHANGEOVER = 30  # minutes between the two families, either way


def _queue(jobs: list[tuple[float, int, int]]) -> AtcsPicker:
    """One machine, one operation per (weight, due, family) job of 10 minutes, all ready at 0."""
    orders = tuple(
        Order(f"O{i}", "c", "A", 0, weight, 0, due, (i,)) for i, (weight, due, _) in enumerate(jobs)
    )
    operations = tuple(Operation(i, 10, 0, (Mode(0, 10, family),)) for i, (_, _, family) in enumerate(jobs))
    machine = Machine("M", "M", "G", changeovers=(((0, 1), CHANGEOVER), ((1, 0), CHANGEOVER)))
    problem = ProblemData(
        pd.Timestamp("2026-12-01"), 10_000, orders, operations, (machine,), families=("F0", "F1")
    )
    return AtcsPicker(problem, tail=[10] * len(jobs), lookahead=2.0, setup_lookahead=0.5)


@pytest.mark.parametrize(("heavy", "picked"), [(50.0, 0), (60.0, 1)])
def test_a_changeover_is_worth_skipping_unless_the_other_order_weighs_e_to_the_4_times_more(
    heavy: float, picked: int
) -> None:
    # both due now (no slack): index w / 10; the switch costs exp(-30 / (0.5 x mean setup 15)) = e^-4
    picker = _queue([(1.0, 10, 0), (heavy, 10, 1)])
    assert picker.pick(0, 0, [0, 1], last=0) == picked


def test_slack_makes_an_order_wait_and_no_changeover_counts_without_a_last_family() -> None:
    # same weight and length; due at 10 (no slack) against due at 200 (slack 180 over k x 10 = 20)
    picker = _queue([(1.0, 200, 0), (1.0, 10, 1)])
    assert picker.pick(0, 0, [0, 1], last=NO_FAMILY) == 1
    assert picker.pick(0, 0, [0, 1], last=1) == 1


def test_ties_go_to_the_earlier_due_then_the_lower_index_and_only_ready_ones_count() -> None:
    picker = _queue([(1.0, 5, 0), (1.0, 0, 0), (1.0, 0, 0)])  # all due before they can end: no slack
    assert picker.pick(0, 0, [0, 1, 2], last=0) == 1
    picker.ready[1] = 50
    assert picker.pick(0, 0, [0, 1, 2], last=0) == 2
