"""Large neighbourhood search for plans too large for one CP-SAT model to improve.

Each step frees a neighbourhood of orders (users of a material whose users cost, those
running at about the same time, or the costliest ones) and re-plans only them with
CP-SAT, everything else held where it is: the held operations occupy the machines the
freed ones may use (with their families, for changeovers), their consumptions are taken
out of the stock of the materials the freed ones need, at their times (other machines and
materials do not matter to the step and stay out of its model). A step's
plan replaces the incumbent when it costs less; the neighbourhood grows after steps
solved to optimality and shrinks after steps that ran out of time.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass, replace

from scheduler.cpsat.model import CpSatModel, SolverSettings
from scheduler.objectives import Objective, primary_rounds
from scheduler.problem import Demand, Held, Operation, Order, ProblemData
from scheduler.schedule import Schedule
from scheduler.stop import StopRequest

MIN_ORDERS, MAX_ORDERS, START_ORDERS = 8, 250, 40
STEP_SECONDS = 2.0  # the longest a single neighbourhood may take
MIN_STEP_SECONDS = 0.05  # with one worker, the least a step counts against the limit
# probing alone can eat a short step's time; presolve off: better steps (see docs), and no
# postsolve, whose sporadic check failure (OR-Tools 9.15) once aborted a 300 s run
STEP_PARAMETERS = (("cp_model_probing_level", 0), ("cp_model_presolve", False))
WINDOW = 7 * 1440  # minutes a planned operation of a neighbourhood may move either way (see docs)
KINDS = ("material", "time", "costly")  # and "moved" when moves are priced
MAX_IDLE_STEPS = 8  # steps in a row that free nothing end a search


@dataclass(frozen=True)
class Neighbourhood:
    problem: ProblemData  # the freed orders only, the rest as blocked time and taken stock
    orders: list[int]  # full-problem index of each order of ``problem``


def _components(p: ProblemData, chosen: set[int]) -> set[int]:
    """``chosen`` with every order linked to one of them by after_order, in either direction."""
    out, stack = set(chosen), list(chosen)
    while stack:
        i = stack.pop()
        for j in (*p.orders[i].predecessors, *p.successors[i]):
            if j not in out:
                out.add(j)
                stack.append(j)
    return out


def _free_orders(
    p: ProblemData, s: Schedule, chosen: set[int], linked: bool = True
) -> tuple[list[int], dict[int, int]]:
    """The orders to re-plan, and the release each gets from predecessors that stay put.

    ``chosen`` grows by its after_order links; orders whose every operation is fixed stay
    (a freed order's fixed operations stay fixed in the sub-problem). An order linked to one
    that stays is kept free only where the held order bounds it from one side: after a
    held, scheduled predecessor (it is released at that order's completion). Orders that
    wait for a held, unscheduled order, or that a held, scheduled order waits for, stay too.
    """
    free = {i for i in (_components(p, chosen) if linked else chosen) if i in p.movable_orders}
    changed = True
    while changed:
        changed = False
        for i in sorted(free):
            held_before = [q for q in p.orders[i].predecessors if q not in free]
            held_after = [q for q in p.successors[i] if q not in free and s.is_scheduled(q)]
            if held_after or any(not s.is_scheduled(q) for q in held_before):
                free.discard(i)
                changed = True
    release: dict[int, int] = {}
    for i in free:
        held = [s.completion(q) or 0 for q in p.orders[i].predecessors if q not in free]
        if held:
            release[i] = max(p.orders[i].release, *held)
    return sorted(free), release


def neighbourhood(p: ProblemData, s: Schedule, chosen: set[int], linked: bool = True) -> Neighbourhood:
    """The sub-problem in which only ``chosen`` orders (``linked``: with their after_order
    links; else an order linked to a held one that would bind it stays held too) are free."""
    free, release = _free_orders(p, s, chosen, linked)
    free_set = set(free)
    held_orders = [i for i in range(len(p.orders)) if i not in free_set]
    # only the machines and materials the freed orders may use keep what stays around them
    usable = {mode.machine for i in free for k in p.orders[i].operations for mode in p.operations[k].modes}
    needed = {d.material for i in free for d in p.demands_of_order.get(i, ())}
    held: list[list[Held]] = [[] for _ in p.machines]
    for m in usable:
        for k in s.operations_on[m]:
            if p.operations[k].order not in free_set:
                held[m].append(Held(s.start[k], s.end[k], p.mode(k, m).family))
    machines = tuple(
        replace(m, held=tuple(sorted(held[j], key=lambda h: (h.start, h.end)))) if j in usable else m
        for j, m in enumerate(p.machines)
    )
    taken: list[list[tuple[int, int]]] = [[] for _ in p.materials]
    for material in needed:
        for d in p.demands_of_material[material]:
            if d.order not in free_set and s.is_scheduled(d.order):
                taken[material].append((s.start[d.operation], -d.quantity))
    materials = tuple(
        replace(m, receipts=tuple(sorted([*m.receipts, *taken[j]]))) if j in needed else m
        for j, m in enumerate(p.materials)
    )
    index = {old: new for new, old in enumerate(free)}
    orders: list[Order] = []
    operations: list[Operation] = []
    op_index: dict[int, int] = {}
    for i in free:
        o = p.orders[i]
        ops = []
        for k in o.operations:
            op_index[k] = len(operations)
            ops.append(len(operations))
            op = p.operations[k]
            operations.append(Operation(index[i], op.step, op.position, op.modes))
        orders.append(
            replace(
                o,
                release=release.get(i, o.release),
                operations=tuple(ops),
                predecessors=tuple(index[q] for q in o.predecessors if q in free_set),
            )
        )
    demands = tuple(
        Demand(index[d.order], op_index[d.operation], d.material, d.quantity)
        for d in p.demands
        if d.order in free_set
    )
    windows = {  # a planned operation moves at most WINDOW minutes either way
        op_index[k]: (s.start[k] - WINDOW, s.start[k] + WINDOW)
        for i in free
        for k in p.orders[i].operations
        if s.machine[k] >= 0
    }
    previous = {op_index[k]: placed for k, placed in p.previous.items() if k in op_index}
    fixed = {op_index[k]: placed for k, placed in p.fixed.items() if k in op_index}
    sub = replace(
        p,
        previous=previous,
        orders=tuple(orders),
        operations=tuple(operations),
        machines=machines,
        materials=materials,
        demands=demands,
        fixed=fixed,
        windows=windows,
        running={op_index[k]: at for k, at in p.running.items() if k in op_index},
        started=frozenset(index[i] for i in free if i in p.started),
        done=(),
        cost_cap=None if p.cost_cap is None else p.cost_cap - sum(_cost(s, i) for i in held_orders),
    )
    return Neighbourhood(sub, free)


def restrict(s: Schedule, n: Neighbourhood) -> Schedule:
    """The incumbent's plan of the freed orders, as a plan of the sub-problem."""
    machine, start = [], []
    for i in n.orders:
        for k in s.problem.orders[i].operations:
            machine.append(s.machine[k])
            start.append(s.start[k])
    return Schedule(n.problem, tuple(machine), tuple(start))


def merge(s: Schedule, n: Neighbourhood, part: Schedule) -> Schedule:
    machine, start = list(s.machine), list(s.start)
    j = 0
    for i in n.orders:
        for k in s.problem.orders[i].operations:
            machine[k], start[k] = part.machine[j], part.start[j]
            j += 1
    return Schedule(s.problem, tuple(machine), tuple(start))


def choose_orders(
    p: ProblemData, s: Schedule, kind: str, size: int, rng: random.Random, by_tier: bool = False
) -> set[int]:
    """About ``size`` movable orders for a step of ``kind`` (see KINDS; ``moved``: where moves
    are priced)."""
    movable = sorted(p.movable_orders)
    if kind == "moved":
        return _moved_back(p, s, movable, size, rng)
    if kind == "material" and p.demands:
        return _material_users(p, s, movable, size, rng, by_tier)
    if kind == "time":
        planned = sorted((s.start[p.orders[i].first_op], i) for i in movable if s.is_scheduled(i))
        if planned:
            first = rng.randrange(max(1, len(planned) - size + 1))
            window = {i for _, i in planned[first : first + size]}
            left_out = [i for i in movable if not s.is_scheduled(i)]
            return window | set(rng.sample(left_out, min(len(left_out), max(1, size // 5))))
    return _related(p, s, movable, size, rng, by_tier)


def _material_users(
    p: ProblemData, s: Schedule, movable: list[int], size: int, rng: random.Random, by_tier: bool = False
) -> set[int]:
    """Users of one material, drawn by what its users cost (``by_tier``: those of the best
    tier that has costs): its costliest users and others at random, which may give their
    stock up to them."""
    focus = set(_focus(p, s, movable, by_tier))
    cost = {i: _cost(s, i) for i in focus}
    materials = sorted(p.movable_users)
    users_of = [p.movable_users[m] for m in materials]
    costs = [sum(cost.get(i, 0.0) for i in users) for users in users_of]
    pick = (
        rng.choices(range(len(materials)), weights=costs)[0] if any(costs) else rng.randrange(len(materials))
    )
    users = users_of[pick]
    ranked = sorted(users, key=lambda i: -cost.get(i, 0.0))
    costly = {i for i in ranked[: max(1, size // 2)] if cost.get(i, 0.0) > 0}
    rest = [i for i in users if i not in costly]
    return costly | set(rng.sample(rest, min(size - len(costly), len(rest))))


def _focus(p: ProblemData, s: Schedule, movable: list[int], by_tier: bool) -> list[int]:
    """The orders a step works for: all movable ones, or (``by_tier``) those of the best
    tier that has costs (none when no order costs anything)."""
    if not by_tier:
        return movable
    ranks = [p.orders[i].tier_rank for i in movable if _cost(s, i) > 0]
    return [i for i in movable if p.orders[i].tier_rank == min(ranks)] if ranks else []


def _related(
    p: ProblemData, s: Schedule, movable: list[int], size: int, rng: random.Random, by_tier: bool = False
) -> set[int]:
    """One of the costliest orders (of the best tier that has costs, ``by_tier``) and the
    orders closest to it on its machines and materials."""
    costly = sorted(_focus(p, s, movable, by_tier), key=lambda i: -_cost(s, i))[: max(4, size // 4)]
    if not costly:
        return set()
    seed = rng.choice(costly)
    order = p.orders[seed]
    machines = {mode.machine for k in order.operations for mode in p.operations[k].modes}
    materials = {d.material for d in p.demands_of_order.get(seed, ())}
    centre = s.start[order.first_op] if s.is_scheduled(seed) else order.due
    distance: dict[int, int] = {}
    for k, m in enumerate(s.machine):
        i = p.operations[k].order
        if m in machines and i != seed and i in p.movable_orders:
            distance[i] = min(distance.get(i, 1 << 60), abs(s.start[k] - centre))
    for d in p.demands:
        if d.material in materials and d.order != seed and d.order in p.movable_orders:
            at = s.start[d.operation] if s.is_scheduled(d.order) else p.orders[d.order].due
            distance[d.order] = min(distance.get(d.order, 1 << 60), abs(at - centre))
    nearest = sorted(distance, key=lambda i: (distance[i], i))[: size - 1]
    return {seed, *nearest}


def _moved_back(p: ProblemData, s: Schedule, movable: list[int], size: int, rng: random.Random) -> set[int]:
    """Re-planning with priced moves: one of the orders whose moves cost most, and the orders
    nearest to where its operations were and are on their machines (room to move it back)."""
    prices = p.stability
    cost: dict[int, float] = {}
    for k, (m, start) in p.previous.items():
        if (s.machine[k], s.start[k]) != (m, start):
            i = p.operations[k].order
            shift = abs(s.start[k] - start) if s.machine[k] >= 0 else 0
            cost[i] = (
                cost.get(i, 0.0) + prices.moved + prices.minute * shift + prices.machine * (s.machine[k] != m)
            )
    moved = [i for i in movable if cost.get(i, 0.0) > 0]
    if not moved:
        return set()
    seed = rng.choices(moved, weights=[cost[i] for i in moved])[0]
    places = set()  # (machine, minute) where the seed's operations were and are
    for k in p.orders[seed].operations:
        if k in p.previous:
            places.add(p.previous[k])
        if s.machine[k] >= 0:
            places.add((s.machine[k], s.start[k]))
    distance: dict[int, int] = {}
    for m, at in places:
        for k in s.operations_on[m]:
            i = p.operations[k].order
            if i != seed and i in p.movable_orders:
                distance[i] = min(distance.get(i, 1 << 60), abs(s.start[k] - at))
    nearest = sorted(distance, key=lambda i: (distance[i], i))[: size - 1]
    return {seed, *nearest}


def _cost(s: Schedule, i: int) -> float:
    p = s.problem
    return p.orders[i].weight * s.tardiness(i) if s.is_scheduled(i) else p.unscheduled_penalty(i)


def solve_step(
    model: CpSatModel,
    incumbent: Schedule,
    step: SolverSettings,
    budget: float,
    stop: StopRequest,
    objective: str,
) -> tuple[Schedule, bool, float]:
    """A neighbourhood's model solved from ``incumbent`` for the objective's rounds (each
    kept before the next; a round that finds nothing better ends the step).

    Returns the best plan (``incumbent`` if none is better), whether every round was
    proved optimal, and the seconds (one worker: work units, at least MIN_STEP_SECONDS)."""
    rounds = primary_rounds(model.problem, objective)
    candidate, solved, used = incumbent, True, 0.0
    began = time.perf_counter()
    model.hint(incumbent)
    for round_ in rounds:
        outcome = model.solve_round(round_, step, budget / len(rounds), stop=stop)
        used += outcome.seconds
        solved &= outcome.status == "OPTIMAL"
        if outcome.schedule is None or model.value_of(round_, outcome.schedule) > model.value_of(
            round_, candidate
        ):
            break
        candidate = outcome.schedule
        model.keep_at_most(round_, model.value_of(round_, candidate))
        model.hint(candidate)
    if step.deterministic:  # tiny models take next to no work, but each costs a model
        return candidate, solved, max(used, MIN_STEP_SECONDS)
    return candidate, solved, time.perf_counter() - began


def improve(
    s: Schedule,
    settings: SolverSettings,
    seconds: float,
    on_better: Callable[[Schedule, float], None] | None = None,
    stop: StopRequest | None = None,
    objective: str = Objective.WEIGHTED_TARDINESS,
) -> tuple[Schedule, int, int]:
    """Improve ``s`` for ``objective`` within ``seconds``: each step solves the objective's
    rounds on the sub-problem (lexicographic: tier by tier) and keeps the result when the
    whole plan's objective vector gets better.

    Returns the best plan, the number of steps and how many of them improved it. With
    one worker every step is limited in deterministic time, so the search is repeatable.
    """
    stop = stop or StopRequest()
    held = HeldInTime(s.problem, settings, stop, objective, random.Random(settings.seed))
    return run_steps(
        s, settings, seconds, lambda plan, left, _: held.step(plan, left), on_better, stop, objective
    )


# a step: given the incumbent, the seconds left and its number, the plan it found (the
# incumbent if nothing better) and its seconds, or None when it frees nothing
Step = Callable[[Schedule, float, int], tuple[Schedule, float] | None]


def run_steps(
    s: Schedule,
    settings: SolverSettings,
    seconds: float,
    step: Step,
    on_better: Callable[[Schedule, float], None] | None,
    stop: StopRequest,
    objective: str,
    margin: float = 0.2,
) -> tuple[Schedule, int, int]:
    """Steps one after the other until ``seconds`` less ``margin`` are used (one worker:
    work units), MAX_IDLE_STEPS in a row free nothing, or ``stop``; a step's plan replaces
    the incumbent when its objective vector is better. Returns the best plan, the number
    of steps and how many improved it."""
    steps = better = idle = 0
    used = 0.0
    began = time.perf_counter()
    while used < seconds - margin and not stop.requested and idle < MAX_IDLE_STEPS:
        outcome = step(s, seconds - used, steps)
        steps += 1
        if outcome is None:
            idle += 1
            continue
        idle = 0
        candidate, work = outcome
        used = used + work if settings.deterministic else time.perf_counter() - began
        if candidate.ranking(objective) < s.ranking(objective):
            s = candidate
            better += 1
            if on_better:
                on_better(s, used)
    return s, steps, better


class HeldInTime:
    """Steps that free orders of each kind in turn (:func:`step_kinds`), the rest held where
    it is; the neighbourhood grows after a step proved optimal and shrinks otherwise."""

    def __init__(
        self, p: ProblemData, settings: SolverSettings, stop: StopRequest, objective: str, rng: random.Random
    ) -> None:
        self.p, self.settings, self.stop, self.objective, self.rng = p, settings, stop, objective, rng
        self.kinds = step_kinds(p)
        self.size, self.turn = START_ORDERS, 0

    def step(self, s: Schedule, left: float) -> tuple[Schedule, float] | None:
        """The next step from ``s`` with at most ``left`` seconds (see :data:`Step`)."""
        kind = self.kinds[self.turn % len(self.kinds)]
        self.turn += 1
        lexicographic = self.objective == Objective.LEXICOGRAPHIC
        chosen = choose_orders(self.p, s, kind, self.size, self.rng, by_tier=lexicographic)
        if not chosen:
            return None
        budget = min(STEP_SECONDS, left)
        candidate, solved, work = step_in_time(s, chosen, self.settings, budget, self.stop, self.objective)
        self.size = resized(self.size, solved)
        return candidate, work


def step_kinds(p: ProblemData) -> tuple[str, ...]:
    """The kinds of neighbourhood steps take in turn (with priced moves, every other one
    brings moved work back)."""
    return tuple(x for kind in KINDS for x in ("moved", kind)) if p.stability_in_objective else KINDS


def resized(size: int, solved: bool) -> int:
    """A neighbourhood's next size in orders: larger after a step proved optimal."""
    return min(MAX_ORDERS, int(size * 1.25)) if solved else max(MIN_ORDERS, int(size * 0.8))


def step_in_time(
    s: Schedule,
    chosen: set[int],
    settings: SolverSettings,
    budget: float,
    stop: StopRequest,
    objective: str,
) -> tuple[Schedule, bool, float]:
    """One step: the ``chosen`` orders re-planned for at most ``budget``, the rest held
    where it is. Returns the whole plan (``s`` if nothing better), whether the step was
    proved optimal, and its seconds (one worker: work units)."""
    n = neighbourhood(s.problem, s, chosen)
    incumbent = restrict(s, n)
    step = replace(settings, time_limit_s=budget, parameters=(*STEP_PARAMETERS, *settings.parameters))
    candidate, solved, work = solve_step(CpSatModel(n.problem), incumbent, step, budget, stop, objective)
    return (s if candidate is incumbent else merge(s, n, candidate)), solved, work
