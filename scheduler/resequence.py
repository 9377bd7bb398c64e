"""Neighbourhoods that hold the rest of a plan in sequence, not in time (small plans).

scheduler/lns.py holds everything outside a neighbourhood where it is, in time; on a
10x10 job shop that leaves the freed work next to no room. Here each step solves a copy
of the full model in which the work it does not free is held *in sequence*: every held
operation keeps its machine and its place in that machine's order, but may move in time,
so the freed work can go anywhere and the held work makes room for it. A step frees some
orders (chosen as scheduler/lns.py chooses them), the operations of a stretch of the plan,
those of a few machines, or everything; every other step holds the rest in time, as
scheduler/lns.py does (on generated plants each kind found what the other missed). Each
step copies the full model, so this serves plans that one full model holds
(scheduler/solve.py: at most LNS_ABOVE_OPERATIONS operations).
"""

from __future__ import annotations

import copy
import random
from collections.abc import Callable
from dataclasses import replace

from scheduler import lns
from scheduler.cpsat.model import CpSatModel, SolverSettings
from scheduler.neighbourhood import consecutive_pairs
from scheduler.objectives import Objective
from scheduler.schedule import Schedule
from scheduler.stop import StopRequest

KINDS = ("orders", "stretch", "machines", "all")
STEP_SECONDS = 1.0  # the longest a single step may take
START_SHARE, MIN_SHARE, MAX_SHARE = 0.3, 0.1, 0.8  # of the orders or operations a step frees
GROW, SHRINK = 1.2, 0.85  # the share after a step proved optimal / one that ran out of time


def freed_operations(
    s: Schedule, kind: str, share: float, rng: random.Random, by_tier: bool = False
) -> set[int]:
    """The operations a step frees: ``share`` of the orders (``orders``; ``by_tier``: drawn
    for the best tier that has costs, as scheduler/lns.py draws them), of the planned
    operations in a stretch of consecutive starts (``stretch``) or on a few machines
    (``machines``), or all of them (``all``); never a frozen, running or done one."""
    p = s.problem
    movable = set(p.movable_orders)
    if kind == "all":
        ops = set(range(len(p.operations)))
    elif kind == "orders":
        size = max(2, round(share * len(movable)))
        orders = lns.choose_orders(p, s, rng.choice(("costly", "time", "material")), size, rng, by_tier)
        ops = {k for i in orders for k in p.orders[i].operations}
    else:
        planned = [k for k, m in enumerate(s.machine) if m >= 0 and p.operations[k].order in movable]
        size = max(2, round(share * len(planned)))
        if kind == "stretch":
            planned.sort(key=lambda k: (s.start[k], k))
            first = rng.randrange(max(1, len(planned) - size + 1))
            ops = set(planned[first : first + size])
        else:
            machines = [m for m, on in enumerate(s.operations_on) if on]
            rng.shuffle(machines)
            ops = set()
            for m in machines:
                if len(ops) >= size:
                    break
                ops.update(k for k in s.operations_on[m] if p.operations[k].order in movable)
    return {k for k in ops if k not in p.fixed and p.operations[k].order in movable}


def held_in_sequence(model: CpSatModel, s: Schedule, freed: set[int]) -> CpSatModel:
    """A copy of ``model`` in which every operation of ``s`` but ``freed`` keeps its machine
    and its order on a machine of capacity 1, and every order with a held operation (or
    left out of ``s`` and not freed) stays in or out as in ``s``."""
    p, v = s.problem, model.vars
    step = copy.copy(model)
    step.model = model.model.clone()
    freed_orders = {i for i, o in enumerate(p.orders) if all(k in freed for k in o.operations)}
    for i in range(len(p.orders)):
        if i not in freed_orders:
            step.model.add(v.present[i] == int(s.is_scheduled(i)))
    for m, on in enumerate(s.operations_on):
        for k in sorted(on, key=lambda k: (s.start[k], k)):
            if k not in freed:
                step.model.add(next(mode.chosen for mode in v.operations[k].modes if mode.machine == m) == 1)
    held = {k for k, m in enumerate(s.machine) if m >= 0 and k not in freed}
    for a, b in consecutive_pairs(s, held):
        step.model.add(v.operations[b].start >= v.operations[a].end)
    return step


def improve_in_sequence(
    model: CpSatModel,
    s: Schedule,
    settings: SolverSettings,
    seconds: float,
    on_better: Callable[[Schedule, float], None] | None = None,
    stop: StopRequest | None = None,
    objective: str = Objective.WEIGHTED_TARDINESS,
) -> tuple[Schedule, int, int]:
    """Improve ``s`` (a plan of ``model``) for ``objective`` within ``seconds``; every other
    step holds the rest in time, as scheduler/lns.py does. A step's plan replaces ``s`` when
    its objective vector is better.

    Returns the best plan, the number of steps and how many of them improved it. With one
    worker every step is limited in deterministic time, so the search is repeatable."""
    stop = stop or StopRequest()
    rng = random.Random(settings.seed)  # one stream for both families: the runs repeat
    in_time = lns.HeldInTime(s.problem, settings, stop, objective, rng)
    by_tier = objective == Objective.LEXICOGRAPHIC
    share = START_SHARE

    def step(plan: Schedule, left: float, number: int) -> tuple[Schedule, float] | None:
        nonlocal share
        if number % 2 == 1:
            return in_time.step(plan, left)
        freed = freed_operations(plan, KINDS[(number // 2) % len(KINDS)], share, rng, by_tier)
        if not freed:
            return None
        budget = min(STEP_SECONDS, left)
        candidate, solved, work = step_in_sequence(model, plan, freed, settings, budget, stop, objective)
        share = min(MAX_SHARE, share * GROW) if solved else max(MIN_SHARE, share * SHRINK)
        return candidate, work

    return lns.run_steps(s, settings, seconds, step, on_better, stop, objective, margin=0.1)


def step_in_sequence(
    model: CpSatModel,
    s: Schedule,
    freed: set[int],
    settings: SolverSettings,
    budget: float,
    stop: StopRequest,
    objective: str,
) -> tuple[Schedule, bool, float]:
    """One step: ``freed`` re-planned for at most ``budget``, the rest held in sequence.
    Returns the plan (``s`` if nothing better), whether the step was proved optimal, and
    its seconds (one worker: work units)."""
    step = replace(settings, time_limit_s=budget, parameters=(*lns.STEP_PARAMETERS, *settings.parameters))
    return lns.solve_step(held_in_sequence(model, s, freed), s, step, budget, stop, objective)
