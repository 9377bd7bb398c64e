"""Objectives and the rounds that pursue them, as values rather than strings to parse.

An objective (contract: ``[solve] objective``) is solved as one or more CP-SAT rounds, each
minimising one :class:`Goal` with the rounds before it kept at their values.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from scheduler.problem import ProblemData


class Objective(StrEnum):
    """What a plan is judged by (the values are the contract's names)."""

    WEIGHTED_TARDINESS = "weighted_tardiness"
    LEXICOGRAPHIC = "lexicographic"
    MAKESPAN = "makespan"


OBJECTIVES = tuple(o.value for o in Objective)


def objective_named(name: str) -> Objective:
    """The objective called ``name``; ValueError naming the known ones otherwise."""
    try:
        return Objective(name)
    except ValueError:
        raise ValueError(f"unknown objective {name!r}; expected one of {', '.join(OBJECTIVES)}") from None


class Goal(StrEnum):
    """What one round minimises."""

    COST = "cost"  # weighted tardiness and unscheduled penalties (plus the stability prices)
    TIER = "tier"  # the same for one tier's orders
    STABILITY = "stability"  # the prices of moving the previous plan's operations
    UNSCHEDULED = "unscheduled"  # the weight of the orders left out
    MAKESPAN = "makespan"
    COMPACT = "compact"  # the sum of completions, once the objective is proved


@dataclass(frozen=True)
class Round:
    goal: Goal
    tier: int | None = None  # the tier's rank (0 = best), for Goal.TIER only

    def __post_init__(self) -> None:
        if (self.goal is Goal.TIER) != (self.tier is not None):
            raise ValueError("a tier round names its tier rank, no other round does")

    @property
    def prices_orders(self) -> bool:
        """Whether the round's value is the orders' cost (all, or one tier's)."""
        return self.goal in (Goal.COST, Goal.TIER)

    def label(self, tier_names: tuple[str, ...]) -> str:
        """How the round is shown in progress and in summary.json's rounds."""
        if self.goal is Goal.TIER:
            assert self.tier is not None
            return f"tier {tier_names[self.tier]}"
        return "weighted tardiness" if self.goal is Goal.COST else self.goal.value


COST, STABILITY, UNSCHEDULED, MAKESPAN, COMPACT = (
    Round(g) for g in (Goal.COST, Goal.STABILITY, Goal.UNSCHEDULED, Goal.MAKESPAN, Goal.COMPACT)
)


def tier_round(rank: int) -> Round:
    return Round(Goal.TIER, rank)


def primary_rounds(problem: ProblemData, objective: str) -> list[Round]:
    """The rounds of an objective; when re-planning, stability is part of the weighted cost
    and the last round of the others."""
    goal = objective_named(objective)
    if goal is Objective.WEIGHTED_TARDINESS:
        return [COST]
    stable = [STABILITY] if problem.stability_in_objective else []
    if goal is Objective.LEXICOGRAPHIC:
        return [tier_round(r) for r in range(len(problem.tier_names))] + stable
    return [UNSCHEDULED, MAKESPAN, *stable]
