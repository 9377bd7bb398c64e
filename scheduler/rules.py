"""The dispatch rules in one registry: every caller looks a rule up here.

A rule gives the orders a static priority (which orders get scarce material first) and
picks, when a machine frees up, which waiting operation runs next. ATC's pick is the
ATCS picker of scheduler/atcs.py, which also weighs changeovers. An unknown name is an
error in one place, :func:`rule_named`.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import NamedTuple

from scheduler.problem import Mode, ProblemData

Key = tuple[float, ...]


class OrderFacts(NamedTuple):
    """What the static priorities need about the orders."""

    problem: ProblemData
    work: list[int]  # per order, its least total processing time
    mean_work: float
    lookahead: float  # ATC's k


@dataclass(frozen=True)
class DispatchRule:
    name: str
    text: str  # one line for help texts and the docs
    preference: int  # the order in which the starts try the rules (ATC is usually best)
    tier_first: bool  # better tiers first, also for scarce material
    order_key: Callable[[OrderFacts, int], Key]  # static priority of order i, smallest first
    pick_key: Callable[[ProblemData, int, Mode], Key] | None  # waiting operation k; None: ATCS

    def pick(self, problem: ProblemData, candidates: list[tuple[int, Mode]]) -> int:
        """The waiting operation to run next (rules with a pick key)."""
        assert self.pick_key is not None
        return min(candidates, key=lambda c: self.pick_key(problem, *c))[0]  # type: ignore[misc]


def _atc(weight: float, processing: float, slack: float, mean_processing: float, lookahead: float) -> float:
    """The apparent-tardiness cost of an order: WSPT damped by its slack."""
    return weight / max(1.0, processing) * math.exp(-max(0.0, slack) / (lookahead * mean_processing))


def _atc_order(f: OrderFacts, i: int) -> Key:
    o = f.problem.orders[i]
    return (-_atc(o.weight, f.work[i], o.due - f.work[i] - o.release, f.mean_work, f.lookahead), o.due, i)


def _due_pick(tiered: bool) -> Callable[[ProblemData, int, Mode], Key]:
    def key(p: ProblemData, k: int, _: Mode) -> Key:
        i = p.operations[k].order
        return (p.orders[i].tier_rank if tiered else 0, p.orders[i].due, i, k)

    return key


def _wspt_pick(p: ProblemData, k: int, mode: Mode) -> Key:
    order = p.orders[p.operations[k].order]
    return (-order.weight / max(1, mode.duration), order.due, k)


RULES: dict[str, DispatchRule] = {
    r.name: r
    for r in (
        DispatchRule(
            "edd",
            "earliest due date first",
            3,
            False,
            lambda f, i: (f.problem.orders[i].due, i),
            _due_pick(tiered=False),
        ),
        DispatchRule(
            "wspt",
            "weighted shortest processing time first",
            2,
            False,
            lambda f, i: (-f.problem.orders[i].weight / max(1, f.work[i]), f.problem.orders[i].due, i),
            _wspt_pick,
        ),
        DispatchRule(
            "atc",
            "apparent tardiness cost, with changeovers (ATCS)",
            0,
            False,
            _atc_order,
            None,
        ),
        DispatchRule(
            "tier_edd",
            "the best tier first, then earliest due date",
            1,
            True,
            lambda f, i: (f.problem.orders[i].tier_rank, f.problem.orders[i].due, i),
            _due_pick(tiered=True),
        ),
    )
}
RULE_NAMES = tuple(RULES)  # edd, wspt, atc, tier_edd: also the order in which ties are broken


def rule_named(name: str) -> DispatchRule:
    """The rule called ``name``; ValueError naming the known ones otherwise."""
    try:
        return RULES[name]
    except KeyError:
        raise ValueError(f"unknown dispatch rule {name!r}; expected one of {', '.join(RULE_NAMES)}") from None


def by_preference(names: tuple[str, ...]) -> list[str]:
    """``names`` in the order the starts try them."""
    return sorted(names, key=lambda name: rule_named(name).preference)
