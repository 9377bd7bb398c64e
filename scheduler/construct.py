"""The plans the search starts from: the dispatch rules, and for weighted tardiness ATC again
with the bound's material choices and other look-aheads.

The rules share at most RULES_SHARE of the time limit (with one worker all of them run,
so that runs repeat), the most useful first. Right after ATC, for weighted tardiness: the
search-free bound, whose material relaxations also say which orders should give up scarce
material and in which order the others should get it (the rules choose greedily, in their
own priority), then ATC with that choice and a line search over its look-ahead k (the
textbook k = 2 suits some plants; overloaded ones want far larger ones).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from scheduler.bounds import MATERIAL_SECONDS, MaterialChoice, material_choices
from scheduler.dispatch import ATC_LOOKAHEAD, dispatch
from scheduler.insertion import insert_unscheduled
from scheduler.log import log
from scheduler.objectives import Objective
from scheduler.problem import ProblemData
from scheduler.rules import RULE_NAMES, by_preference
from scheduler.schedule import Schedule
from scheduler.stop import Stopped, StopRequest

if TYPE_CHECKING:
    from scheduler.options import SolveOptions

RULES_SHARE = 0.4
LOOKAHEAD_RANGE = (0.25, 256.0)  # the k of ATC the line search may try
LOOKAHEAD_PATIENCE = 2  # doublings in a row without a better plan before the search turns
BEST_SHARE = 0.6  # the full dispatch at the best look-ahead still runs within this share
BOUND_SHARE = 0.05  # of the time limit, at most MATERIAL_SECONDS: the material part of the bound


@dataclass
class Starts:
    plans: dict[str, Schedule]  # by name (a rule, or "atc(k=8)+materials"), in the order made
    floor: float | None = None  # the search-free bound of the cost, when it applies


def starting_plans(problem: ProblemData, options: SolveOptions, stop: StopRequest, began: float) -> Starts:
    """Every start that fits its share of the time; ends early (with what it has) on ``stop``."""
    rules = RULE_NAMES if options.solver == "cpsat" else (options.solver.split(":", 1)[1],)
    starts = Starts({})
    one_worker = options.workers == 1  # repeatable: everything runs, whatever the clock says

    def time_is_up(what: str, share: float = RULES_SHARE) -> bool:
        if starts.plans and not one_worker and time.perf_counter() - began > share * options.time_limit_s:
            log.info("starting plans stop at %s: %.0f%% of the limit is spent", what, 100 * share)
            return True
        return False

    # the covering's material choice and the look-ahead search serve the tiers' costs too
    weighted = options.solver == "cpsat" and options.objective in (
        Objective.WEIGHTED_TARDINESS,
        Objective.LEXICOGRAPHIC,
    )
    try:
        for rule in by_preference(rules):
            if time_is_up(rule):
                break
            log.info("dispatch rule %s", rule)
            starts.plans[rule] = insert_unscheduled(dispatch(problem, rule, stop), stop)
            if rule == "atc" and weighted:
                seconds = min(MATERIAL_SECONDS, BOUND_SHARE * options.time_limit_s)
                floor, covering, supply = material_choices(problem, seconds, options.workers)
                starts.floor = floor  # of the cost alone: with priced moves, a first phase's bound
                _atc_variants(problem, covering, supply, starts.plans, stop, time_is_up)
    except Stopped:
        pass
    return starts


def _atc_variants(
    problem: ProblemData,
    covering: MaterialChoice,
    supply: MaterialChoice,
    plans: dict[str, Schedule],
    stop: StopRequest,
    time_is_up: Callable[..., bool],
) -> None:
    """ATC with the bound's material choice and the look-ahead k that :func:`look_aheads`
    finds best. The choice is the timed-supply allocation when one was found (who leaves,
    and who gets material first: on the 2,000-order plants a third cheaper than ATC's own
    priority), else the covering's. Each k is judged by one simulation run (a 20,000-order
    plant takes 13-18 s a run); the best run, repaired by insertion, becomes a start, and
    so does the full dispatch at that k (runs again without the orders that did not finish:
    better on some plants, worse on others) while the time is within BEST_SHARE; with the
    allocation, so does the covering's choice at that k."""
    choice = supply if supply.supply_from else covering
    left_out = choice.left_out or None
    suffix = "+supply" if choice.supply_from else "+materials" if left_out else ""
    runs: dict[float, Schedule] = {}

    def cost(k: float) -> float | None:
        if k not in runs:
            if time_is_up(f"atc(k={k:g}){suffix}"):
                return None
            log.info("dispatch rule atc(k=%g)%s, one run", k, suffix)
            runs[k] = dispatch(problem, "atc", stop, left_out, k, 1, choice.supply_from)
        return runs[k].objective_value(Objective.WEIGHTED_TARDINESS)

    look_aheads(cost)
    if not runs:
        return
    best = min(runs, key=lambda k: (runs[k].objective_value(Objective.WEIGHTED_TARDINESS), k))
    plans[f"atc(k={best:g}, one run){suffix}"] = insert_unscheduled(runs[best], stop)
    name = f"atc(k={best:g}){suffix}"
    if (best != ATC_LOOKAHEAD or left_out or suffix) and not time_is_up(name, BEST_SHARE):  # else: plain ATC
        log.info("dispatch rule %s", name)
        plans[name] = insert_unscheduled(
            dispatch(problem, "atc", stop, left_out, best, supply_from=choice.supply_from), stop
        )
    if choice is supply and covering.left_out and not time_is_up(f"atc(k={best:g})+materials", BEST_SHARE):
        log.info("dispatch rule atc(k=%g)+materials", best)
        plans[f"atc(k={best:g})+materials"] = insert_unscheduled(
            dispatch(problem, "atc", stop, covering.left_out, best), stop
        )


def look_aheads(cost: Callable[[float], float | None]) -> None:
    """A line search over ATC's k in doublings from the textbook 2, for the k that ``cost``
    likes best: up until LOOKAHEAD_PATIENCE doublings in a row bring nothing better (down
    the same way if going up never helped; plans are not smooth in k), then one step of
    sqrt(2) either side of the best. ``cost`` returns None when time is up."""
    best = ATC_LOOKAHEAD
    best_cost = cost(best)
    if best_cost is None:
        return
    for factor in (2.0, 0.5):
        k, misses = best * factor, 0
        while LOOKAHEAD_RANGE[0] <= k <= LOOKAHEAD_RANGE[1] and misses < LOOKAHEAD_PATIENCE:
            value = cost(k)
            if value is None:
                return
            if value < best_cost:
                best, best_cost, misses = k, value, 0
            else:
                misses += 1
            k *= factor
        if best != ATC_LOOKAHEAD:
            break
    for k in (best * math.sqrt(2), best / math.sqrt(2)):
        if LOOKAHEAD_RANGE[0] <= k <= LOOKAHEAD_RANGE[1] and cost(k) is None:
            return
