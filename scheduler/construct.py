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
    finds best. Two choices compete when the timed-supply relaxation found an allocation
    (who leaves, and who gets material first) besides the covering's (who leaves): the one
    whose run at the textbook k costs less leads the search (on the 2,000-order plants the
    allocation, by a third; on 20,000 orders by 1 %), and the other becomes a start at the
    k found. Each k is judged by one simulation
    run (a 20,000-order plant takes 13-18 s a run); the best run, repaired by insertion,
    becomes a start, and so does the full dispatch at that k (runs again without the orders
    that did not finish: better on some plants, worse on others) while the time is within
    BEST_SHARE; in a re-plan with priced machine changes, first the lead's dispatch at that
    k keeping machines (:func:`_machines_kept`)."""
    choices = [supply, covering] if supply.supply_from else [covering]
    first: list[Schedule] = []  # each choice's run at the textbook k
    if len(choices) > 1:
        for choice in choices:
            if time_is_up(f"atc(k={ATC_LOOKAHEAD:g}){_suffix(choice)}"):
                break
            log.info("dispatch rule atc(k=%g)%s, one run", ATC_LOOKAHEAD, _suffix(choice))
            first.append(_one_run(problem, choice, ATC_LOOKAHEAD, stop))
        if not first:
            return
        if len(first) == 2 and _cost(first[1]) < _cost(first[0]):
            choices.reverse()
            first.reverse()
    choice, suffix = choices[0], _suffix(choices[0])
    runs: dict[float, Schedule] = {ATC_LOOKAHEAD: first[0]} if first else {}  # the lead's

    def cost(k: float) -> float | None:
        if k not in runs:
            if time_is_up(f"atc(k={k:g}){suffix}"):
                return None
            log.info("dispatch rule atc(k=%g)%s, one run", k, suffix)
            runs[k] = _one_run(problem, choice, k, stop)
        return _cost(runs[k])

    look_aheads(cost)
    if not runs:
        return
    best = min(runs, key=lambda k: (_cost(runs[k]), k))
    plans[f"atc(k={best:g}, one run){suffix}"] = insert_unscheduled(runs[best], stop)
    _machines_kept(problem, choice, best, plans, stop, time_is_up)
    for other in choices:
        name = f"atc(k={best:g}){_suffix(other)}"
        if best == ATC_LOOKAHEAD and not _suffix(other):
            continue  # plain ATC, already a start
        if time_is_up(name, BEST_SHARE):
            return
        log.info("dispatch rule %s", name)
        full = dispatch(problem, "atc", stop, other.left_out or None, best, supply_from=other.supply_from)
        plans[name] = insert_unscheduled(full, stop)


def _machines_kept(
    problem: ProblemData,
    choice: MaterialChoice,
    k: float,
    plans: dict[str, Schedule],
    stop: StopRequest,
    time_is_up: Callable[..., bool],
) -> None:
    """A re-plan with priced machine changes: the lead's dispatch at ``k`` with operations kept
    on their previous machines within a grace (:func:`scheduler.dispatch.previous_machines`).
    A fresh dispatch hands thousands of operations to other machines on a 2,000-order plant,
    and the re-plan's neighbourhoods cannot take that back in time."""
    name = f"atc(k={k:g}){_suffix(choice)}, machines kept"
    if not problem.stability_in_objective or time_is_up(name, BEST_SHARE):
        return
    log.info("dispatch rule %s", name)
    kept = dispatch(
        problem, "atc", stop, choice.left_out or None, k, supply_from=choice.supply_from, keep_machines=True
    )
    plans[name] = insert_unscheduled(kept, stop)


def _one_run(problem: ProblemData, choice: MaterialChoice, k: float, stop: StopRequest) -> Schedule:
    """ATC at look-ahead ``k`` with a material choice, one simulation run."""
    return dispatch(problem, "atc", stop, choice.left_out or None, k, 1, choice.supply_from)


def _cost(plan: Schedule) -> float:
    return plan.objective_value(Objective.WEIGHTED_TARDINESS)


def _suffix(choice: MaterialChoice) -> str:
    return "+supply" if choice.supply_from else "+materials" if choice.left_out else ""


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
