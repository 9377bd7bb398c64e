"""Re-planning within a cost budget: the cheapest re-plan first, then the moves.

A breakdown forces some moves; prices on moves alone either keep a re-plan near the old
plan at any cost in lateness or let it wander off. So a weighted-tardiness re-plan runs
in two phases: with moves nearly free (a hundredth of their prices: work moves only where
that saves cost, instead of drifting between equally good places), the cheapest re-plan
the search finds (its cost: weighted tardiness plus penalties); then, with the moves
priced, the best plan whose cost stays within ``[solve] stability_budget`` (a share) of
that cheapest one. The cap is a
constraint of the second phase's models and of each neighbourhood (less what the orders
outside it cost).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from scheduler.problem import ProblemData
from scheduler.result import ProgressEvent, RoundSummary
from scheduler.schedule import Schedule

PHASES = ("(cost first)", "")  # the phases' round-name suffixes
SHARES = (0.5, 0.5)  # of the time left for the search: each phase's share
TIE_BREAK = 0.01  # the first phase's share of the move prices
COST_TOLERANCE = 1e-6  # a plan at the cap, computed in floating point, is within it


def moves_nearly_free(problem: ProblemData) -> ProblemData:
    """The same re-plan with moves at a hundredth of their price: judged by cost, moves
    breaking ties."""
    return replace(problem, stability=problem.stability.times(TIE_BREAK))


def capped(problem: ProblemData, cheapest: float, share: float) -> ProblemData:
    """The re-plan whose cost may exceed ``cheapest`` by at most ``share`` of it."""
    return replace(problem, cost_cap=cheapest * (1.0 + share))


def within_cap(plan: Schedule) -> bool:
    cap = plan.problem.cost_cap
    return cap is None or plan.tier_cost() <= cap + COST_TOLERANCE * max(1.0, cap)


def rebound(plans: dict[str, Schedule], problem: ProblemData) -> dict[str, Schedule]:
    """The plans as plans of ``problem`` (another pricing of the same operations), those
    over its cap left out."""
    out = {name: Schedule(problem, plan.machine, plan.start) for name, plan in plans.items()}
    return {name: plan for name, plan in out.items() if within_cap(plan)}


def phase_rounds(rounds: list[RoundSummary], suffix: str) -> list[RoundSummary]:
    return [replace(r, name=f"{r.name} {suffix}") for r in rounds]


def phase_progress(
    on_progress: Callable[[ProgressEvent], None] | None, suffix: str, total: float
) -> Callable[[ProgressEvent], None] | None:
    """Progress of a phase as part of the whole run: its rounds named with ``suffix``, its
    time against the run's limit ``total``."""
    if on_progress is None:
        return None
    report = on_progress

    def phased(event: ProgressEvent) -> None:
        report(replace(event, round=f"{event.round} {suffix}", time_limit_s=total))

    return phased


def phase_limits(limit: float, elapsed: float, deterministic: bool) -> tuple[float, ...]:
    """The time limits to give the phases' searches: with one worker (work units, the whole
    limit each run) a share each; else the moments, from the run's start, at which each
    phase must end."""
    if deterministic:
        return tuple(share * limit for share in SHARES)
    left = max(0.0, limit - elapsed)
    return (*(elapsed + sum(SHARES[: n + 1]) * left for n in range(len(SHARES) - 1)), limit)
