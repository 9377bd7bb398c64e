"""Large neighbourhood search for plans too large for one CP-SAT model to improve.

Each step frees a neighbourhood of orders (users of a material whose users cost, those
running at about the same time, or the costliest ones) and re-plans only them with
CP-SAT in a sub-problem (scheduler/neighbourhood.py): everything else held where it is,
but for the operations within REACH places of a freed one on its machine, held in
sequence (free in time) so that held work can make room for freed work. A step's plan
replaces the incumbent when it costs less; the neighbourhood grows after steps solved to
optimality and shrinks after steps that ran out of time.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import replace

from scheduler.cpsat.model import CpSatModel, SolverSettings
from scheduler.neighbourhood import merge, neighbourhood, order_cost, restrict
from scheduler.objectives import Objective, primary_rounds
from scheduler.problem import ProblemData
from scheduler.schedule import Schedule
from scheduler.stop import StopRequest

MIN_ORDERS, MAX_ORDERS, START_ORDERS = 8, 250, 40
STEP_SECONDS = 2.0  # the longest a single neighbourhood may take
MIN_STEP_SECONDS = 0.05  # with one worker, the least a step counts against the limit
# probing alone can eat a short step's time; presolve off: better steps (see docs), and no
# postsolve, whose sporadic check failure (OR-Tools 9.15) once aborted a 300 s run
STEP_PARAMETERS = (("cp_model_probing_level", 0), ("cp_model_presolve", False))
KINDS = ("material", "time", "costly")
MOVED = "moved"  # the kind of every other step when moves are priced
# held operations either side of a freed one on its machine that a step holds in sequence,
# not in time (see docs): a loaded plant leaves freed work no room between work held in time
REACH = 4
MAX_IDLE_STEPS = 8  # steps in a row that free nothing end a search
REACTION = 0.2  # how fast a kind's chances follow its latest steps' gains (see KindChooser)
EXPLORE = 0.1  # the least chance weight of a kind, as a share of the kinds' mean


def choose_orders(
    p: ProblemData, s: Schedule, kind: str, size: int, rng: random.Random, by_tier: bool = False
) -> set[int]:
    """About ``size`` movable orders for a step of ``kind`` (see KINDS; ``moved``: where moves
    are priced)."""
    movable = sorted(p.movable_orders)
    if kind == MOVED:
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
    cost = {i: order_cost(s, i) for i in focus}
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
    ranks = [p.orders[i].tier_rank for i in movable if order_cost(s, i) > 0]
    return [i for i in movable if p.orders[i].tier_rank == min(ranks)] if ranks else []


def _related(
    p: ProblemData, s: Schedule, movable: list[int], size: int, rng: random.Random, by_tier: bool = False
) -> set[int]:
    """One of the costliest orders (of the best tier that has costs, ``by_tier``) and the
    orders closest to it on its machines and materials."""
    costly = sorted(_focus(p, s, movable, by_tier), key=lambda i: -order_cost(s, i))[: max(4, size // 4)]
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
    held = HeldInTime(s.problem, settings, stop, objective, random.Random(settings.seed), REACH)
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
    """Steps that free orders of one kind each (:data:`KINDS`, drawn by :class:`KindChooser`;
    with priced moves every other step is a "moved" one), the rest held where it is (but
    for the operations within ``reach`` places of freed ones on their machines, held in
    sequence); the neighbourhood grows after a step proved optimal and shrinks otherwise."""

    def __init__(
        self,
        p: ProblemData,
        settings: SolverSettings,
        stop: StopRequest,
        objective: str,
        rng: random.Random,
        reach: int = 0,
    ) -> None:
        self.p, self.settings, self.stop, self.objective, self.rng = p, settings, stop, objective, rng
        self.kinds = KindChooser(KINDS, rng)
        self.size, self.turn, self.reach = START_ORDERS, 0, reach

    def next_kind(self) -> str:
        """The next step's kind: with priced moves every other one brings moved work back."""
        self.turn += 1
        return MOVED if self.p.stability_in_objective and self.turn % 2 == 1 else self.kinds.next()

    def step(self, s: Schedule, left: float) -> tuple[Schedule, float] | None:
        """The next step from ``s`` with at most ``left`` seconds (see :data:`Step`)."""
        kind = self.next_kind()
        lexicographic = self.objective == Objective.LEXICOGRAPHIC
        chosen = choose_orders(self.p, s, kind, self.size, self.rng, by_tier=lexicographic)
        if not chosen:
            return None
        budget = min(STEP_SECONDS, left)
        candidate, solved, work = step_in_time(
            s, chosen, self.settings, budget, self.stop, self.objective, self.reach
        )
        self.size = resized(self.size, solved)
        if kind != MOVED:
            self.kinds.reward(kind, gain(s, candidate, self.objective), work)
        return candidate, work


class KindChooser:
    """Adaptive choice of a step's kind: each kind in turn once, then drawn with chances in
    proportion to its recent gain per second (an exponential average), every kind keeping
    at least EXPLORE of the mean so that a kind that has stopped paying is still tried."""

    def __init__(self, kinds: tuple[str, ...], rng: random.Random) -> None:
        self.kinds, self.rng, self.turn = kinds, rng, 0
        self.rate = dict.fromkeys(kinds, 0.0)

    def next(self) -> str:
        self.turn += 1
        if self.turn <= len(self.kinds):
            return self.kinds[self.turn - 1]
        rates = [self.rate[k] for k in self.kinds]
        mean = sum(rates) / len(rates)
        if mean <= 0:
            return self.kinds[(self.turn - 1) % len(self.kinds)]
        return self.rng.choices(self.kinds, weights=[r + EXPLORE * mean for r in rates])[0]

    def reward(self, kind: str, gained: float, seconds: float) -> None:
        """A step of ``kind`` gained ``gained`` (a share of the objective) in ``seconds``."""
        per_second = gained / max(seconds, MIN_STEP_SECONDS)
        self.rate[kind] = (1 - REACTION) * self.rate[kind] + REACTION * per_second


def gain(before: Schedule, after: Schedule, objective: str) -> float:
    """What a step gained: the share by which the first element of the objective vector
    that differs fell (0 when the plan is no better)."""
    if after is before:  # what a step gives back when it found nothing better
        return 0.0
    for a, b in zip(before.ranking(objective), after.ranking(objective), strict=True):
        if a != b:
            return max(0.0, (a - b) / max(abs(a), 1.0))
    return 0.0


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
    reach: int = 0,
) -> tuple[Schedule, bool, float]:
    """One step: the ``chosen`` orders re-planned for at most ``budget``, the rest held
    where it is. Returns the whole plan (``s`` if nothing better), whether the step was
    proved optimal, and its seconds (one worker: work units)."""
    n = neighbourhood(s.problem, s, chosen, reach=reach)
    incumbent = restrict(s, n)
    step = replace(settings, time_limit_s=budget, parameters=(*STEP_PARAMETERS, *settings.parameters))
    model = CpSatModel(n.problem)
    for a, b in n.sequences:
        model.model.add(model.vars.operations[b].start >= model.vars.operations[a].end)
    candidate, solved, work = solve_step(model, incumbent, step, budget, stop, objective)
    return (s if candidate is incumbent else merge(s, n, candidate)), solved, work
