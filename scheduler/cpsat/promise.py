"""CP-SAT for a promise that may move lower tiers (see :mod:`scheduler.promise`).

The neighbourhood holds the request and the lower-tier orders it may displace; the rest
of the plan is held around them. Three rounds, each keeping what the ones before reached:
the request as early as possible (in the plan at all, first), then the least weighted
tardiness of the orders it moves, then the fewest and shortest moves.
"""

from __future__ import annotations

from ortools.sat.python import cp_model

from scheduler.cpsat import objective
from scheduler.cpsat.model import CpSatModel, SolverSettings
from scheduler.problem import ProblemData
from scheduler.schedule import Schedule
from scheduler.stop import StopRequest

ROUND_SHARES = (0.6, 0.2, 0.2)  # of the request's seconds: its completion, the moved orders' cost, moves


def earliest_with_moves(
    sub: ProblemData, incumbent: Schedule, request: int, settings: object, stop: StopRequest | None = None
) -> Schedule | None:
    """The neighbourhood's best plan for ``request`` (an order of ``sub``), or None if the
    search found no plan at all. ``settings`` has workers, seed and seconds."""
    model = CpSatModel(sub, stop)
    v = model.vars
    horizon = sub.horizon
    completion = v.completion(sub, request)
    first = (horizon + 1) * (1 - v.present[request]) + completion  # out of the plan costs more than any end
    rounds: list[tuple[cp_model.LinearExprT, int]] = [
        (first, 1),
        (objective.tier_cost(sub, v, model.scale), model.scale),
        (objective.stability(sub, model.stability, model.scale), model.scale),
    ]
    workers, seed, seconds = settings.workers, settings.seed, settings.seconds  # type: ignore[attr-defined]
    solver_settings = SolverSettings(seconds, workers, seed)
    best = incumbent
    model.hint(incumbent)
    for (expression, scale), share in zip(rounds, ROUND_SHARES, strict=True):
        if stop is not None and stop.requested:
            break
        outcome = model.minimise(expression, scale, solver_settings, share * seconds, stop=stop)
        if outcome.schedule is None or outcome.objective is None:
            return None if best is incumbent else best
        best = outcome.schedule
        model.keep_expression_at_most(expression, round(outcome.objective * scale))
        model.hint(best)
    return best
