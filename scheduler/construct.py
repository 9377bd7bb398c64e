"""The plans the search starts from: the dispatch rules, and for weighted tardiness ATC again
with the bound's material choice and other look-aheads.

The rules share at most RULES_SHARE of the time limit (with one worker all of them run,
so that runs repeat), the most useful first. Right after ATC, for weighted tardiness: the
search-free bound, whose covering problem also says which orders should give up scarce
material (the rules choose greedily), then ATC with that choice and each look-ahead k of
ATC_SWEEP (the textbook k = 2 suits some plants, larger ones others; each run is cheap).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from scheduler.bounds import MATERIAL_SECONDS, MaterialChoice, search_free_bound
from scheduler.dispatch import ATC_LOOKAHEAD, RULES, dispatch
from scheduler.insertion import insert_unscheduled
from scheduler.problem import ProblemData
from scheduler.schedule import Schedule
from scheduler.stop import Stopped, StopRequest

if TYPE_CHECKING:
    from scheduler.solve import SolveOptions

log = logging.getLogger("tierplan")
RULES_SHARE = 0.4
RULE_PREFERENCE = ("atc", "tier_edd", "wspt", "edd")  # on generated plants ATC is usually best
ATC_SWEEP = (4.0, 8.0, 16.0, 1.0)  # ATC's k doubled from the textbook 2, then halved
BOUND_SHARE = 0.05  # of the time limit, at most MATERIAL_SECONDS: the material part of the bound


@dataclass
class Starts:
    plans: dict[str, Schedule]  # by name (a rule, or "atc(k=8)+materials"), in the order made
    floor: float | None = None  # the search-free bound, when it applies


def starting_plans(problem: ProblemData, options: SolveOptions, stop: StopRequest, began: float) -> Starts:
    """Every start that fits its share of the time; ends early (with what it has) on ``stop``."""
    rules = RULES if options.solver == "cpsat" else (options.solver.split(":", 1)[1],)
    starts = Starts({})
    one_worker = options.workers == 1  # repeatable: everything runs, whatever the clock says

    def time_is_up(what: str) -> bool:
        if (
            starts.plans
            and not one_worker
            and time.perf_counter() - began > RULES_SHARE * options.time_limit_s
        ):
            log.info("starting plans stop at %s: %.0f%% of the limit is spent", what, 100 * RULES_SHARE)
            return True
        return False

    weighted = options.solver == "cpsat" and options.objective == "weighted_tardiness"
    try:
        for rule in sorted(rules, key=RULE_PREFERENCE.index) if len(rules) > 1 else rules:
            if time_is_up(rule):
                break
            log.info("dispatch rule %s", rule)
            starts.plans[rule] = insert_unscheduled(dispatch(problem, rule, stop), stop)
            if rule == "atc" and weighted:
                seconds = min(MATERIAL_SECONDS, BOUND_SHARE * options.time_limit_s)
                floor, choice = search_free_bound(problem, seconds, options.workers)
                starts.floor = None if problem.stability_in_objective else floor
                _atc_variants(problem, choice, starts.plans, stop, time_is_up)
    except Stopped:
        pass
    return starts


def _atc_variants(
    problem: ProblemData,
    choice: MaterialChoice,
    plans: dict[str, Schedule],
    stop: StopRequest,
    time_is_up: Callable[[str], bool],
) -> None:
    left_out = choice.left_out or None
    suffix = "+materials" if left_out else ""
    for k in ((ATC_LOOKAHEAD,) if left_out else ()) + ATC_SWEEP:
        name = f"atc(k={k:g}){suffix}"
        if time_is_up(name):
            return
        log.info("dispatch rule %s", name)
        plans[name] = insert_unscheduled(dispatch(problem, "atc", stop, left_out, k), stop)
