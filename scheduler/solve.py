"""Solving a problem: dispatch rules first, then CP-SAT rounds warm-started from the best rule."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import asdict, replace
from typing import TYPE_CHECKING

from scheduler.budget import (
    PHASES,
    capped,
    moves_nearly_free,
    phase_limits,
    phase_progress,
    phase_rounds,
    rebound,
)
from scheduler.compact import left_shift
from scheduler.construct import starting_plans
from scheduler.insertion import keep_previous
from scheduler.log import log
from scheduler.objectives import COMPACT, COST, Goal, Objective, Round, primary_rounds
from scheduler.options import SolveOptions
from scheduler.problem import ProblemData
from scheduler.result import ProgressEvent, Result, RoundSummary
from scheduler.rules import RULE_NAMES
from scheduler.schedule import Schedule
from scheduler.stop import Stopped, StopRequest

if TYPE_CHECKING:
    from scheduler.cpsat.model import CpSatModel, SolverSettings

FINAL_EVENT = "result"  # the progress event that carries the plan and bound the summary gives
COMPACT_SHARE = 0.25  # at most this share of the time limit goes to compacting a proved plan
LNS_ABOVE_OPERATIONS = 500  # larger problems (any objective): full model first, then neighbourhoods
EXACT_ARCS = 60_000  # changeover arcs of the full model beyond which it is relaxed (bound only)
FULL_MODEL_SHARE = 0.15  # ... the full model's share of the time (it also gives the bound)
# One CP-SAT worker runs a single search without CP-SAT's own neighbourhoods: there ours take
# what the full model leaves after ONE_WORKER_FULL_SECONDS (or its share, if larger), at any
# size. On generated plants of 20-40 orders at 60 s this cut the cost by up to 62 %, and at
# 30 s it was never worse; at 10 s the full model keeps all the time, as before. On plans of
# at most LNS_ABOVE_OPERATIONS every other step holds the rest in sequence, not in time
# (scheduler/resequence.py; benchmarks/README.md: 1-2 % less on the geometric mean).
ONE_WORKER_FULL_SECONDS = 10.0
# Beyond this many operations no full model is built (at 91,000 operations the relaxed one
# took 96 s and 12 GB): plans come from neighbourhoods, the bound from scheduler/bounds.py.
FULL_MODEL_MAX_OPERATIONS = 30_000


def solve(
    problem: ProblemData,
    options: SolveOptions,
    on_progress: Callable[[ProgressEvent], None] | None = None,
    stop: StopRequest | None = None,
) -> Result:
    """Plan ``problem``: the best dispatch rule, improved by CP-SAT unless a rule alone is asked.

    When ``stop`` is requested, every phase ends within moments and the best plan found so
    far comes back (``Result.interrupted``); :class:`Stopped` is raised if there is none yet.
    """
    options.check()
    stop = stop or StopRequest()
    began = time.perf_counter()
    starts = starting_plans(problem, options, stop, began)
    plans = starts.plans
    if not plans:
        raise Stopped(f"{stop.reason} before any dispatch rule had a plan")
    if problem.previous and options.solver == "cpsat" and not stop.requested:
        kept = keep_previous(problem, stop)
        if all((kept.machine[k], kept.start[k]) == placed for k, placed in problem.fixed.items()):
            plans["previous"] = kept
    names = list(plans)
    start_values = {name: plans[name].objective_value(options.objective) for name in names}
    for name, cost in start_values.items():
        log.info("start %s: %.0f", name, cost)
    dispatch_values = {r: v for r, v in start_values.items() if r in (*RULE_NAMES, "previous")}

    def tie_break(name: str) -> int:  # the rules in RULE_NAMES order, then the others as made
        return RULE_NAMES.index(name) if name in RULE_NAMES else len(RULE_NAMES) + names.index(name)

    best_rule = min(names, key=lambda r: (plans[r].ranking(options.objective), tie_break(r)))
    best, source = plans[best_rule], f"dispatch:{best_rule}"
    rounds: list[RoundSummary] = []
    status, bound = "heuristic", None
    if options.solver == "cpsat" and not stop.requested:
        floor = starts.floor
        if _within_budget(problem, options):
            best, source, status, bound, rounds = _two_phases(
                problem, options, plans, floor, began, on_progress, stop
            )
        else:
            pool = [(f"dispatch:{name}", plan) for name, plan in plans.items()]
            best, source, status, bound, rounds = _cpsat(
                problem, options, best, source, began, floor, on_progress, stop, pool
            )
    if stop.requested:
        log.info("stopped early (%s): keeping the best plan so far", stop.reason)
    final = _shifted(best, options.objective)
    value = final.objective_value(options.objective)
    if status == "feasible" and bound is not None and value - bound <= 1e-9 * max(1.0, abs(value)):
        status = "optimal"  # the plan meets a proven lower bound: nothing can be better
    if on_progress is not None and options.solver == "cpsat":  # the last line: what the summary says
        elapsed = time.perf_counter() - began
        on_progress(ProgressEvent(FINAL_EVENT, 0, 1, value, bound, elapsed, options.time_limit_s))
    return Result(
        schedule=final,
        status=status,
        objective_name=options.objective,
        objective=value,
        bound=bound,
        runtime_s=time.perf_counter() - began,
        solver=options.solver,
        source=source,
        settings=asdict(options),
        rounds=tuple(rounds),
        dispatch=dispatch_values,
        interrupted=stop.requested,
        stop_reason=stop.reason if stop.requested else "",
    )


def _shifted(plan: Schedule, objective: str) -> Schedule:
    """``plan`` with every operation started as early as its place allows, unless that costs
    (earlier starts never cost tardiness, but a re-plan prices the operations they move).
    A round leaves the operations its goal does not price wherever it found them, in the way
    of those it does: on a 20-order plant the tier-A round's plan went from 49,264 to 41,484."""
    moved = left_shift(plan)
    return moved if moved.objective_vector(objective) <= plan.objective_vector(objective) else plan


def _within_budget(problem: ProblemData, options: SolveOptions) -> bool:
    """A weighted-tardiness re-plan with priced moves runs in two phases (scheduler/budget.py)."""
    return problem.stability_in_objective and options.objective == Objective.WEIGHTED_TARDINESS


def _two_phases(
    problem: ProblemData,
    options: SolveOptions,
    plans: dict[str, Schedule],
    floor: float | None,
    began: float,
    on_progress: Callable[[ProgressEvent], None] | None,
    stop: StopRequest,
) -> tuple[Schedule, str, str, float | None, list[RoundSummary]]:
    """The cheapest re-plan with moves nearly free, then the best with moves priced whose cost stays
    within ``options.stability_budget`` of it. No bound: the last phase's covers moves too."""
    limits = phase_limits(options.time_limit_s, time.perf_counter() - began, options.workers == 1)
    found: dict[str, Schedule] = {}
    sources = {name: f"dispatch:{name}" for name in plans}
    statuses: list[str] = []
    rounds: list[RoundSummary] = []
    best, source = next(iter(plans.values())), ""  # replaced by each phase
    for suffix, limit in zip(PHASES, limits, strict=True):
        if found:  # the priced phase: its cap from the cheapest plan of the free one
            phase = capped(problem, found[PHASES[0]].tier_cost(), options.stability_budget)
        else:
            phase = moves_nearly_free(problem)
        pool = rebound({**plans, **found}, phase)
        pool = {name: plan for name, plan in pool.items() if not plan.frozen_left_out()} or pool
        name = min(pool, key=lambda n: pool[n].ranking(options.objective))
        source = sources[name]
        report = phase_progress(on_progress, suffix, options.time_limit_s) if suffix else on_progress
        best, source, status, _, phase_rounds_ = _cpsat(
            phase,
            replace(options, time_limit_s=limit),
            pool[name],
            source,
            began,
            floor if suffix == PHASES[0] else None,
            report,
            stop,
            [(sources[n], plan) for n, plan in pool.items()],
        )
        found[suffix] = best
        sources[suffix] = source
        statuses.append(status)
        rounds += phase_rounds(phase_rounds_, suffix) if suffix else phase_rounds_
    status = "optimal" if all(s == "optimal" for s in statuses) else "feasible"
    return best, source, status, None, rounds


def _cpsat(
    problem: ProblemData,
    options: SolveOptions,
    best: Schedule,
    source: str,
    began: float,
    floor: float | None,
    on_progress: Callable[[ProgressEvent], None] | None,
    stop: StopRequest,
    pool: list[tuple[str, Schedule]] | None = None,
) -> tuple[Schedule, str, str, float | None, list[RoundSummary]]:
    """CP-SAT's rounds; each starts from the plan of ``pool`` ((source, plan) pairs: the starts,
    then every plan a round finds) that is best on the rounds up to it, and after each round
    the best plan's values of all rounds so far are kept, so that no plan found in the run
    beats the result on the rounds' order (a later round may find a plan better for an earlier
    one). Lexicographic rounds are preceded by a weighted round: its plan joins the pool."""
    from scheduler.cpsat.model import CpSatModel, SolverSettings, circuit_arcs  # CP-SAT loads only when used

    # plans that leave out a started or frozen order are no plans: they may cost less than
    # any real one, and as incumbents they would make CP-SAT's real plans look worse
    pool = [(name, plan) for name, plan in (*(pool or []), (source, best)) if not plan.frozen_left_out()]

    settings = SolverSettings(
        options.time_limit_s, options.workers, options.seed, options.log, options.parameters
    )
    total = options.time_limit_s

    def search(
        best: Schedule, source: str, seconds: float, bound: float | None, full: CpSatModel | None = None
    ) -> tuple[Schedule, str, RoundSummary]:
        log.info("neighbourhood search, %.1f s", seconds)
        return _neighbourhoods(
            problem,
            options.objective,
            settings,
            best,
            source,
            seconds,
            began,
            total,
            bound,
            on_progress,
            stop,
            full,
        )

    # Changeovers need a literal per ordered pair of operations a machine may run one after
    # the other: beyond EXACT_ARCS the whole plant is modelled without them (a relaxation
    # that gives a bound, no plan) and plans come from neighbourhoods, which model them
    # exactly. For weighted tardiness the search-free bound replaces that relaxation (on the
    # 2,000-order plant it spent 44 s of 300 and proved 0); others still use it for their bound.
    large = len(problem.operations) > FULL_MODEL_MAX_OPERATIONS
    exact = not large and circuit_arcs(problem) <= EXACT_ARCS
    # re-planning with prices on moves reports no bound: a relaxed model would serve nothing
    if large or (not exact and (floor is not None or problem.stability_in_objective)):
        log.info("no full model for %d operations: neighbourhoods only", len(problem.operations))
        remaining = _time_left(settings, total, began)  # no rounds ran: the bound is the floor
        if remaining <= 1.0 or stop.requested:
            return best, source, "feasible", floor, []
        best, source, summary = search(best, source, remaining, floor)
        return best, source, "feasible", floor, [summary]
    log.info("building the CP-SAT model%s", "" if exact else " (relaxed: bound only)")
    try:
        model = CpSatModel(problem, stop, relaxed=not exact)
    except Stopped:
        return best, source, "feasible", None, []
    rounds_ = primary_rounds(problem, options.objective)
    remaining = _time_left(settings, total, began)
    search_left = _kept_for_neighbourhoods(problem, settings, exact, remaining)
    lns = search_left > 0
    rounds: list[RoundSummary] = []
    if options.objective == Objective.LEXICOGRAPHIC and exact and not stop.requested:
        seconds = (remaining - search_left) / (len(rounds_) + 1)
        weighted, summary = _weighted_start(problem, model, settings, best, seconds, stop)
        pool += [("cpsat", _shifted(weighted, options.objective))] if weighted is not None else []
        rounds.append(summary)
        remaining -= summary.seconds
    if exact and _fit_all_wanted(problem, options, best) and not stop.requested:
        shown = (model.value_of(COST, best) / model.scale, floor, began, total)
        plan, summary = _fit_all(problem, model, settings, remaining - search_left, stop, on_progress, shown)
        pool += [("cpsat:every order in", plan)] if plan is not None else []
        rounds.append(summary)
        remaining -= summary.seconds
        if options.objective == Objective.WEIGHTED_TARDINESS and summary.bound is not None:
            floor = max(floor or 0.0, summary.bound)  # a bound of the cost, as the floor is
    proved, bounds = True, []
    kept: dict[Round, int] = {}  # the values later rounds may not exceed

    def values(plan: Schedule, rounds: int) -> tuple[int, ...]:
        return tuple(model.value_of(r, plan) for r in rounds_[:rounds])

    def best_on(rounds: int) -> tuple[str, Schedule]:  # on ties the plan found last
        return min(reversed(pool), key=lambda entry: values(entry[1], rounds))

    def keep_values_of(plan: Schedule, rounds: int) -> None:  # a later round may better an earlier
        for earlier, value in zip(rounds_[:rounds], values(plan, rounds), strict=True):
            if value < kept.get(earlier, value + 1):
                model.keep_at_most(earlier, value)
                kept[earlier] = value

    for index, round_ in enumerate(rounds_):
        if stop.requested:
            proved = False
            break
        if pool:
            source, best = best_on(index + 1)
        incumbent = model.value_of(round_, best) if pool else None  # None: no real plan yet
        scale = model.expression(round_)[1]
        label = round_.label(problem.tier_names)
        if incumbent == 0:  # nothing can be better than zero
            rounds.append(RoundSummary(label, "OPTIMAL (incumbent)", 0.0, 0.0, 0.0))
            bounds.append(0.0)
            keep_values_of(best, index + 1)
            continue
        if incumbent is not None:
            _require_costly_orders(model, problem, round_, incumbent)
        model.hint(best)
        seconds = max(0.05, (remaining - search_left) / (len(rounds_) - index))
        report = _reporter(problem, round_, index, len(rounds_), total, began, on_progress, floor)
        log.info("CP-SAT round %s, %.1f s", label, seconds)
        known = floor if round_.goal is Goal.COST and not problem.stability_in_objective else None
        outcome = model.solve_round(round_, settings, seconds, report, stop, known)
        remaining -= outcome.seconds
        if outcome.schedule is not None and not outcome.schedule.frozen_left_out():
            pool.append(("cpsat", _shifted(outcome.schedule, options.objective)))
        if pool:
            source, best = best_on(index + 1)
        found = outcome.bound if outcome.bound is not None else 0.0
        reached = incumbent is not None and found * scale >= incumbent
        proved &= bool(pool) and (outcome.status == "OPTIMAL" or (not exact and reached))
        bounds.append(found)
        rounds.append(
            RoundSummary(
                label,
                outcome.status,
                model.value_of(round_, best) / scale if pool else None,
                outcome.bound,
                outcome.seconds,
            )
        )
        if not pool:  # CP-SAT found no plan that keeps the started orders either
            proved = False
            break
        keep_values_of(best, index + 1)
    if lns and not proved and remaining > 1.0 and not stop.requested:
        small = exact and len(problem.operations) <= LNS_ABOVE_OPERATIONS
        best, source, summary = search(
            best, source, remaining, bounds[-1] if bounds else None, model if small else None
        )
        rounds.append(summary)
        remaining -= summary.seconds
    if proved and exact and remaining > 0.5 and not stop.requested:
        seconds = min(remaining, COMPACT_SHARE * total)
        model.hint(best)
        outcome = model.solve_round(
            COMPACT,
            settings,
            seconds,
            _reporter(problem, COMPACT, len(rounds_), len(rounds_) + 1, total, began, on_progress),
            stop,
        )
        if outcome.schedule is not None and outcome.schedule.sum_completion() <= best.sum_completion():
            best = outcome.schedule
        rounds.append(
            RoundSummary("compact", outcome.status, outcome.objective, outcome.bound, outcome.seconds)
        )
    bound = _overall_bound(options.objective, bounds)
    return (
        best,
        source,
        "optimal" if proved else "feasible",
        _with_floor(problem, floor, bound),
        rounds,
    )


def _weighted_start(
    problem: ProblemData,
    model: CpSatModel,
    settings: SolverSettings,
    best: Schedule,
    seconds: float,
    stop: StopRequest,
) -> tuple[Schedule | None, RoundSummary]:
    """A weighted-tardiness round on the lexicographic model (nothing kept from it): the
    weights often find plans a tier's own round does not, in the same time."""
    model.hint(best)
    log.info("CP-SAT round weighted tardiness (a start for the tiers), %.1f s", seconds)
    outcome = model.solve_round(COST, settings, max(0.05, seconds), None, stop)
    label = "weighted tardiness (a start for the tiers)"
    return outcome.schedule, RoundSummary(
        label, outcome.status, outcome.objective, outcome.bound, outcome.seconds
    )


def _fit_all_wanted(problem: ProblemData, options: SolveOptions, best: Schedule) -> bool:
    """Tier costs, a small plant, no re-plan (its moves are priced), and the step's own
    condition (:func:`scheduler.fit_all.wanted`: the best start misses exactly one order)."""
    from scheduler import fit_all  # CP-SAT loads only when used

    costs = options.objective in (Objective.WEIGHTED_TARDINESS, Objective.LEXICOGRAPHIC)
    small = len(problem.operations) <= LNS_ABOVE_OPERATIONS  # larger ones: neighbourhoods
    return costs and small and not problem.previous and fit_all.wanted(problem, best)


def _fit_all(
    problem: ProblemData,
    model: CpSatModel,
    settings: SolverSettings,
    seconds: float,
    stop: StopRequest,
    on_progress: Callable[[ProgressEvent], None] | None,
    shown: tuple[float, float | None, float, float],
) -> tuple[Schedule | None, RoundSummary]:
    """The cheapest plan of scheduler/fit_all.py that the full model confirms, if any, found
    in its share of ``seconds``; the summary carries its bound. Meanwhile the progress shows
    ``shown``: the best plan's cost and the bound so far, with the run's start and limit."""
    from scheduler import fit_all

    seconds *= fit_all.SHARE
    log.info("CP-SAT round %s, %.1f s", fit_all.LABEL, seconds)
    cost, bound, began, total = shown

    def report(*_: float) -> None:  # its plans are not plans of the plant: the best stays
        if on_progress is not None:
            elapsed = time.perf_counter() - began
            on_progress(ProgressEvent(fit_all.LABEL, 0, 1, cost, bound, elapsed, total))

    try:
        found = fit_all.fit_all_start(problem, settings, max(0.05, seconds), stop, report)
    except Stopped:  # while its model was built: the starts stand
        return None, RoundSummary(fit_all.LABEL, "STOPPED", None, None, 0.0)
    for plan in found.plans[: fit_all.CHECKED]:
        if stop.requested:
            break
        if model.accepts(plan, settings, stop):
            return plan, found.summary
        log.info("a plan without changeovers, given them, is no plan of the full model")
    return None, found.summary


def _kept_for_neighbourhoods(
    problem: ProblemData, settings: SolverSettings, exact: bool, remaining: float
) -> float:
    """The seconds of ``remaining`` that the neighbourhood search gets after the full model."""
    if len(problem.operations) > LNS_ABOVE_OPERATIONS or not exact:
        return remaining * (1 - FULL_MODEL_SHARE)
    if settings.deterministic:
        return max(0.0, remaining - max(ONE_WORKER_FULL_SECONDS, FULL_MODEL_SHARE * remaining))
    return 0.0


def _time_left(settings: SolverSettings, total: float, began: float) -> float:
    """Seconds of the limit still to spend (with one worker: the whole limit, in work units)."""
    return total if settings.deterministic else total - (time.perf_counter() - began)


def _with_floor(problem: ProblemData, floor: float | None, bound: float | None) -> float | None:
    """The reported bound: CP-SAT's raised to the search-free one; none with the stability
    term, whose rounds bound tardiness plus moves, not tardiness alone."""
    if problem.stability_in_objective:
        return None
    if bound is not None and floor is not None:
        return max(bound, floor)
    return bound


def _neighbourhoods(
    problem: ProblemData,
    objective: str,
    settings: SolverSettings,
    best: Schedule,
    source: str,
    seconds: float,
    began: float,
    total: float,
    bound: float | None,
    on_progress: Callable[[ProgressEvent], None] | None,
    stop: StopRequest,
    model: CpSatModel | None = None,
) -> tuple[Schedule, str, RoundSummary]:
    """Large neighbourhood search after the full model's round: the rest held in time
    (scheduler/lns.py), or in sequence when ``model``, the full one, is given
    (scheduler/resequence.py)."""
    from scheduler.lns import improve
    from scheduler.resequence import improve_in_sequence

    start_value = best.ranking(objective)

    def report(schedule: Schedule, _: float) -> None:
        if on_progress:
            on_progress(
                ProgressEvent(
                    "neighbourhoods",
                    1,
                    2,
                    schedule.objective_value(objective),
                    bound,
                    time.perf_counter() - began,
                    total,
                )
            )

    lns_began = time.perf_counter()
    if model is None:
        improved, steps, better = improve(best, settings, seconds, report, stop, objective)
    else:
        improved, steps, better = improve_in_sequence(model, best, settings, seconds, report, stop, objective)
    used = seconds if settings.deterministic else time.perf_counter() - lns_began
    if improved.ranking(objective) < start_value:
        best, source = improved, "cpsat+lns"
    status = f"FEASIBLE ({better} of {steps} neighbourhoods improved)"
    return best, source, RoundSummary("neighbourhoods", status, best.objective_value(objective), bound, used)


def _require_costly_orders(model: CpSatModel, problem: ProblemData, round_: Round, incumbent: int) -> None:
    """Orders whose leaving-out alone costs more than the incumbent must be scheduled."""
    if not round_.prices_orders:
        return
    rank = round_.tier
    costly = [
        i
        for i, o in enumerate(problem.orders)
        if (rank is None or o.tier_rank == rank)
        and round(problem.unscheduled_penalty(i) * model.scale) > incumbent
    ]
    model.require_scheduled(costly)


def _overall_bound(objective: str, bounds: list[float]) -> float | None:
    if not bounds:
        return None
    if objective == Objective.MAKESPAN:
        return bounds[-1]
    return sum(bounds)


def _reporter(
    problem: ProblemData,
    round_: Round,
    index: int,
    count: int,
    total: float,
    began: float,
    on_progress: Callable[[ProgressEvent], None] | None,
    floor: float | None = None,
) -> Callable[[float, float, float], None] | None:
    """Progress of a round; the weighted round's bound is shown as the summary will give it:
    CP-SAT's raised to the search-free floor."""
    if on_progress is None:
        return None
    label = round_.label(problem.tier_names)
    lifted = floor if round_.goal is Goal.COST and not problem.stability_in_objective else None

    def report(objective: float, bound: float, _: float) -> None:
        value = None if objective != objective else objective
        shown = bound if lifted is None else max(bound, lifted)
        on_progress(ProgressEvent(label, index, count, value, shown, time.perf_counter() - began, total))

    return report
