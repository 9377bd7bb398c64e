"""A round of the full model that starts again elsewhere when its search stalls.

On small plans with several workers CP-SAT's own neighbourhoods often settle within
seconds in the basin of the plan they start from and spend the rest of the round there: on
the 10x10 job shop orb03 (f = 1.3) the search reached 2,381 in 2.3 s and stayed there for
58 s in run after run (best known 2,113). Fresh searches, each with a seed of its own and
alternately hinted with the best plan so far and with no plan at all, settle in other
basins (benchmarks/README.md, "Searches that start again"). So a search ends after a stall:
no better plan or bound for a thirtieth of the round (at least STALL_MIN_S), or for half the
time it took to its last improvement when that is longer (``PATIENCE`` in
scheduler/cpsat/model.py: a plant's search that still improves late keeps going). The next
search starts while time is left; the round keeps the best plan and the highest bound.
A search from no plan gets at most a quarter of the round, and once one ends far above the
best plan (a plant's searches need the start plan to place materials and changeovers well)
the round's later searches all start from the best plan. One worker never restarts: a
stall is wall-clock time, and one worker must repeat.
"""

from __future__ import annotations

import math
from dataclasses import replace

from scheduler.cpsat.model import CpSatModel, Progress, RoundResult, SolverSettings
from scheduler.objectives import Round
from scheduler.schedule import Schedule
from scheduler.stop import StopRequest

STALL_SHARE, STALL_MIN_S = 1 / 30, 5.0  # of the round's time: a search that long without progress ends
MIN_SEARCH_S = 2.0  # a new search starts only with at least this much of the round left
# a search from no plan gets at most this share of the round, and no more such searches
# follow once one ends more than FRESH_WITHIN above the best plan (they start too far away)
FRESH_SHARE, FRESH_WITHIN = 1 / 4, 0.25


def wanted(settings: SolverSettings, small: bool) -> bool:
    """Restarts serve small plans (one full model) searched by several workers."""
    return small and not settings.deterministic


def solve_round(
    model: CpSatModel,
    round_: Round,
    settings: SolverSettings,
    seconds: float,
    start: Schedule,
    report: Progress | None,
    stop: StopRequest,
    floor: float | None = None,
) -> tuple[RoundResult, int]:
    """The round's best over searches in ``seconds`` (the first from ``start``), and how many
    searches ran. The progress shows the best plan and the highest bound."""
    stall = max(STALL_MIN_S, STALL_SHARE * seconds)
    best: RoundResult | None = None
    value, bound = math.inf, -math.inf  # the best plan's objective, the highest bound
    left, searches = seconds, 0
    outcomes: list[RoundResult] = []

    def shown(objective: float, found: float, at: float) -> None:
        if report is not None:  # NaN: no plan yet in this search
            shown_value = value if math.isnan(objective) else min(objective, value)
            report(shown_value if shown_value < math.inf else math.nan, max(found, bound), at)

    fresh_pays = True  # searches from no plan: still worth their time
    while True:
        fresh = searches % 2 == 1 and fresh_pays
        if fresh:
            model.unhint()
        else:  # from the best plan so far: what a search found is kept
            model.hint(best.schedule if best is not None and best.schedule is not None else start)
        searched = replace(settings, seed=settings.seed + searches)
        given = min(left, max(MIN_SEARCH_S, FRESH_SHARE * seconds)) if fresh else left
        outcome = model.solve_round(round_, searched, given, shown, stop, floor, stall)
        searches += 1
        left -= outcome.seconds
        outcomes.append(outcome)
        if outcome.bound is not None:
            bound = max(bound, outcome.bound)
        if outcome.objective is not None and outcome.objective < value:
            best, value = outcome, outcome.objective
        if fresh:
            far = outcome.objective is None or outcome.objective > value + FRESH_WITHIN * abs(value)
            fresh_pays = not far
        if outcome.status == "OPTIMAL" or stop.requested or left < MIN_SEARCH_S:
            break
    return _merged(outcomes, best, bound), searches


def _merged(outcomes: list[RoundResult], best: RoundResult | None, bound: float) -> RoundResult:
    """One result for the searches: the best plan, the highest bound, the time of all."""
    seconds = sum(o.seconds for o in outcomes)
    proved = any(o.status == "OPTIMAL" for o in outcomes)
    if best is None:
        last = outcomes[-1]
        return replace(last, seconds=seconds)
    return replace(
        best,
        status="OPTIMAL" if proved else best.status,
        bound=None if bound == -math.inf else bound,
        seconds=seconds,
    )
