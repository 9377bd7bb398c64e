"""A start that fits every order in: the plant without changeovers, every order required,
then the changeovers put back.

CP-SAT's search on a full model with optional orders and changeover circuits may never
find a plan that fits an order the starts left out (the demo plant: a tier-A order due
after the horizon, left out by every rule; with it required, the full model found no plan
at all in 40 s). Without changeovers and with every order that fits the horizon required,
it finds such plans within seconds. Each plan it finds is then given its changeovers in
its own machine sequences (:func:`scheduler.compact.in_sequence`); orders that then end
past the horizon are left out and the rest placed again, and the full model checks the
cheapest result before it joins the starts.
"""

from __future__ import annotations

from scheduler.compact import in_sequence
from scheduler.cpsat import objective
from scheduler.cpsat.model import CpSatModel, SolverSettings
from scheduler.insertion import insert_unscheduled
from scheduler.problem import ProblemData
from scheduler.result import RoundSummary
from scheduler.schedule import Schedule
from scheduler.stop import StopRequest

LABEL = "every order in, without changeovers (a start)"
SHARE = 0.5  # of the full model's time
REPAIRED = 50  # the cheapest plans found without changeovers that get them put back


def wanted(problem: ProblemData, best: Schedule) -> bool:
    """Worth a try: the best start leaves out an order, and changeovers make the model hard."""
    left_out = any(not best.is_scheduled(i) for i in range(len(problem.orders)))
    return left_out and any(m.has_changeovers for m in problem.machines)


def fit_all_start(
    problem: ProblemData, settings: SolverSettings, seconds: float, stop: StopRequest
) -> tuple[list[Schedule], RoundSummary]:
    """Plans with changeovers made from the plans of the model without them, cheapest first."""
    model = CpSatModel(problem, stop, changeovers=False)
    model.require_scheduled([i for i, fits in enumerate(model.vars.fits) if fits])
    found: list[Schedule] = []
    scale = problem.weight_scale
    outcome = model.minimise(
        objective.tier_cost(problem, model.vars, scale),
        scale,
        settings,
        seconds,
        stop=stop,
        name=LABEL,
        on_solution=found.append,
    )
    plans = {}
    for plan in sorted(found, key=lambda s: s.tier_cost())[:REPAIRED]:
        repaired = with_changeovers(plan)
        if repaired is not None:
            plans[(repaired.machine, repaired.start)] = repaired
    ranked = sorted(plans.values(), key=lambda s: s.tier_cost())
    summary = RoundSummary(
        LABEL, outcome.status, ranked[0].tier_cost() if ranked else None, None, outcome.seconds
    )
    return ranked, summary


def with_changeovers(plan: Schedule) -> Schedule | None:
    """``plan`` in its own machine sequences with the changeovers kept; orders that no longer
    end inside the horizon leave (with their after_order successors) until the rest fit,
    then as many as fit are inserted again. None if a started or frozen order would leave."""
    p = plan.problem
    machine, start = list(plan.machine), list(plan.start)
    while True:
        placed, failed = in_sequence(Schedule(p, tuple(machine), tuple(start)))
        if not failed:
            return insert_unscheduled(placed)
        leaving, stack = set(failed), list(failed)
        while stack:
            for j in p.successors[stack.pop()]:
                if j not in leaving:
                    leaving.add(j)
                    stack.append(j)
        if leaving & p.frozen_orders:
            return None
        for i in leaving:
            for k in p.orders[i].operations:
                machine[k] = start[k] = -1
