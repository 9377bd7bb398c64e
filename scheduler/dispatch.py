"""Dispatch rules (EDD, WSPT, ATC, tier-then-EDD) in one list-scheduling engine.

Every rule respects every constraint of the model:

1. Scarce material is promised to orders in the rule's priority order; an order's
   consuming step may start only once the stock promised to it (on hand plus receipts)
   has arrived. An order that the stock cannot cover stays unscheduled.
2. A non-delay simulation then runs the machines: whenever a machine can start work, the
   rule picks among the operations waiting for it, and the chosen operation goes to the
   alternative machine that finishes it first, clear of downtime.
3. An order that cannot finish inside the horizon is taken out, its material is given
   back and the simulation runs again; after FULL_RUNS runs the last plan is kept with
   those orders left out (unless that would bring two families too close), and the
   insertion repair may fill the places they leave.
"""

from __future__ import annotations

import heapq
from collections.abc import Mapping
from dataclasses import dataclass, replace

from scheduler.atcs import AtcsPicker
from scheduler.problem import NO_FAMILY, Mode, ProblemData
from scheduler.rules import DispatchRule, OrderFacts, rule_named
from scheduler.schedule import Schedule
from scheduler.stop import StopRequest
from scheduler.timeline import arrival_time, machine_states

ATC_LOOKAHEAD = 2.0  # the k of ATC: how far ahead slack is still felt, in average operations
ATCS_SETUP_LOOKAHEAD = 0.5  # the k2 of ATCS: how much a changeover weighs, in average changeovers
# Orders that cannot finish inside the horizon are taken out and the simulation runs again
# without them; after this many runs the plan keeps their places free instead (each run of
# a 20,000-order plant takes about a minute, and each adds a few such orders).
FULL_RUNS = 2


@dataclass(frozen=True)
class _Knobs:
    """How a rule dispatches (see :func:`dispatch`)."""

    left_out: frozenset[int] | None
    lookahead: float
    runs: int
    supply_from: Mapping[int, int] | None
    kept: Mapping[int, tuple[int, int]]  # operation -> (previous machine, grace)


def dispatch(
    problem: ProblemData,
    rule: str | DispatchRule,
    stop: StopRequest | None = None,
    left_out: frozenset[int] | None = None,
    lookahead: float = ATC_LOOKAHEAD,
    runs: int = FULL_RUNS,
    supply_from: Mapping[int, int] | None = None,
    keep_machines: bool = False,
) -> Schedule:
    """Schedule every order that fits by dispatch ``rule``; :class:`Stopped` if ``stop`` comes first.

    ``left_out``: the orders that give up their scarce material (by default the rule's own
    greedy choice, :func:`material_selection`); ``lookahead``: ATC's k; ``runs``: simulation
    runs before the orders that did not finish are left out where they were;
    ``supply_from``: per order, the minute from which an allocation gives it scarce
    material (the bound's timed-supply relaxation): material is promised in that order,
    ties (and orders without one first) in the rule's; ``keep_machines``: re-planning with
    priced machine changes, an operation stays on its previous machine while it ends there at
    most its grace later (:func:`previous_machines`)."""
    rule = rule_named(rule) if isinstance(rule, str) else rule
    kept = previous_machines(problem) if keep_machines else {}
    knobs = _Knobs(left_out, lookahead, runs, supply_from, kept)
    schedule = _dispatch_all(problem, rule, stop, knobs)
    if all(schedule.is_scheduled(i) for i in problem.frozen_orders):
        return schedule
    return _started_orders_first(problem, rule, stop, knobs) or schedule


def _started_orders_first(
    problem: ProblemData, rule: DispatchRule, stop: StopRequest | None, knobs: _Knobs
) -> Schedule | None:
    """The started orders placed by the rule on their own, then the rest around them: a
    started order must finish, and the non-delay simulation may fill its machines with other
    work while it waits between steps. None when the started orders do not fit even alone."""
    frozen = problem.frozen_orders
    ranked = _promise_order(problem, rule, knobs)
    others = set(range(len(problem.orders))) - frozen
    ready, _ = allocate_materials(problem, [i for i in ranked if i in frozen], others)
    first, failed = _Simulation(problem, rule, ready, others, stop, knobs).run()
    if failed & frozen:
        return None
    placed = {k: (first.machine[k], first.start[k]) for i in frozen for k in problem.orders[i].operations}
    rest = _dispatch_all(replace(problem, fixed=placed), rule, stop, knobs)
    return Schedule(problem, rest.machine, rest.start)


def _dispatch_all(
    problem: ProblemData, rule: DispatchRule, stop: StopRequest | None, knobs: _Knobs
) -> Schedule:
    excluded: set[int] = set()
    ranked = _promise_order(problem, rule, knobs)
    frozen = problem.frozen_orders
    priority = [i for i in ranked if i in frozen] + [i for i in ranked if i not in frozen]
    left_out = knobs.left_out
    for attempt in range(len(problem.orders) + 1):
        giving_way = material_selection(problem, rule, excluded) if left_out is None else left_out - excluded
        ready, blocked = allocate_materials(problem, priority, excluded | giving_way)
        schedule, failed = _Simulation(problem, rule, ready, blocked, stop, knobs).run()
        if failed <= blocked:
            return schedule
        if attempt + 1 >= knobs.runs and _changeovers_hold(schedule):
            return schedule  # the orders that did not finish are left out where they were
        excluded |= failed
    return schedule  # pragma: no cover - the loop ends when no order fails anew


def _promise_order(problem: ProblemData, rule: DispatchRule, knobs: _Knobs) -> list[int]:
    """The order in which scarce material is promised: the rule's, or the allocation's."""
    ranked = order_priority(problem, rule, knobs.lookahead)
    if not knobs.supply_from:
        return ranked
    supply_from = knobs.supply_from
    return sorted(ranked, key=lambda i: supply_from.get(i, -2))  # stable: the rule breaks ties


def _changeovers_hold(schedule: Schedule) -> bool:
    """Whether every machine of capacity 1 keeps the changeover between consecutive
    operations (taking orders out of a plan may bring two families next to each other)."""
    p = schedule.problem
    for k, before in schedule.before_on_machine.items():
        m = schedule.machine[k]
        machine = p.machines[m]
        if machine.capacity == 1 and machine.has_changeovers:
            gap = machine.changeover(p.mode(before, m).family, p.mode(k, m).family)
            if schedule.start[k] < schedule.end[before] + gap:
                return False
    return True


def order_priority(
    problem: ProblemData, rule: str | DispatchRule, lookahead: float = ATC_LOOKAHEAD
) -> list[int]:
    """Orders in the rule's static priority order (best first), for promising material."""
    rule = rule_named(rule) if isinstance(rule, str) else rule
    work = [sum(problem.operations[k].min_duration for k in o.operations) for o in problem.orders]
    facts = OrderFacts(problem, work, max(1.0, sum(work) / max(1, len(work))), lookahead)
    return sorted(range(len(problem.orders)), key=lambda i: rule.order_key(facts, i))


def material_selection(problem: ProblemData, rule: str | DispatchRule, excluded: set[int]) -> set[int]:
    """Orders to leave out because scarce material cannot cover every order.

    A knapsack choice: orders are taken by their unscheduled penalty per share of the
    scarce stock they need (a tier-first rule: by tier first), as long as the stock within
    the horizon lasts. Frozen orders are always taken.
    """
    tier_first = (rule_named(rule) if isinstance(rule, str) else rule).tier_first
    need: dict[int, dict[int, int]] = {}
    for d in problem.demands:
        if d.order not in excluded:
            need.setdefault(d.order, {}).setdefault(d.material, 0)
            need[d.order][d.material] += d.quantity
    supply = [m.supply_until(problem.horizon) for m in problem.materials]
    demand = [0] * len(problem.materials)
    for amounts in need.values():
        for m, q in amounts.items():
            demand[m] += q
    scarce = {m for m in range(len(supply)) if demand[m] > supply[m]}
    if not scarce:
        return set()

    def key(i: int) -> tuple[float, ...]:
        share = sum(q / max(supply[m], 1) for m, q in need[i].items() if m in scarce)
        value = problem.unscheduled_penalty(i) / share if share else float("inf")
        frozen = 0 if i in problem.frozen_orders else 1
        tier = problem.orders[i].tier_rank if tier_first else 0
        return (frozen, tier, -value, problem.orders[i].due, i)

    left = list(supply)
    out: set[int] = set()
    for i in sorted(need, key=key):
        if all(need[i].get(m, 0) <= left[m] for m in scarce):
            for m in scarce:
                left[m] -= need[i].get(m, 0)
        else:
            out.add(i)
    return out


def allocate_materials(
    problem: ProblemData, priority: list[int], excluded: set[int]
) -> tuple[dict[int, int], set[int]]:
    """Promise material in priority order.

    Returns the minute from which each consuming operation may start, and the orders
    that cannot run (short of material, excluded, or waiting for such an order).
    Promising in a fixed order is safe: whatever order the operations later start in,
    the stock consumed by time t never exceeds what has arrived by t. Frozen consumptions
    (before the freeze) are promised first: every other operation starts after them.
    """
    # started orders run on, with their material
    blocked = problem.with_followers(excluded - problem.frozen_orders)
    frozen = [0] * len(problem.materials)
    for d in problem.demands:
        if d.operation in problem.fixed:
            frozen[d.material] += d.quantity
    while True:
        ready: dict[int, int] = {}
        short: set[int] = set()
        promised = list(frozen)
        demands_of = problem.demands_of_order
        for i in priority:
            if i in blocked or i not in demands_of:
                continue
            needed: dict[int, int] = {}
            times: dict[int, int] = {}
            for d in demands_of[i]:
                if d.operation in problem.fixed:
                    continue
                needed[d.material] = needed.get(d.material, promised[d.material]) + d.quantity
                t = arrival_time(problem, d.material, needed[d.material])
                if t is None:
                    break
                times[d.operation] = max(times.get(d.operation, 0), t)
            else:
                for m, total in needed.items():
                    promised[m] = total
                for op, t in times.items():
                    ready[op] = t
                continue
            short.add(i)
        extra = problem.with_followers(short) - short - blocked
        if not extra:
            return ready, blocked | problem.with_followers(short)
        blocked |= extra


class _Simulation:
    """The non-delay simulation of one rule: machines pick waiting operations as they free up.

    Each machine has one live entry in the event heap (older ones are recognised by
    their version and skipped): the minute it can next start something.
    """

    def __init__(
        self,
        problem: ProblemData,
        rule: DispatchRule,
        material_ready: dict[int, int],
        blocked: set[int],
        stop: StopRequest | None,
        knobs: _Knobs,
    ) -> None:
        self.p, self.rule, self.material_ready, self.stop = problem, rule, material_ready, stop
        lookahead = knobs.lookahead
        n_ops = len(problem.operations)
        self.machine = [-1] * n_ops
        self.start = [-1] * n_ops
        self.end = [0] * n_ops
        self.ready = [0] * n_ops
        self.tail = _tails(problem)
        atcs = rule.pick_key is None  # ATC picks by ATCS, which also weighs changeovers
        self.atcs = AtcsPicker(problem, self.tail, lookahead, ATCS_SETUP_LOOKAHEAD) if atcs else None
        # operation -> its mode there, as a position in problem.all_modes
        self.waiting: list[dict[int, int]] = [{} for _ in problem.machines]
        self.states = machine_states(problem)
        self.free = [0] * len(problem.machines)  # capacity 1: where the machine's last operation ends
        self.heap: list[tuple[int, int, int]] = []  # (minute, version, machine)
        self.pending: list[list[tuple[int, int]]] = [[] for _ in problem.machines]  # (ready, op), lazily
        self.version = [0] * len(problem.machines)
        self.failed: set[int] = set(blocked)
        self.open_preds = [len(o.predecessors) for o in problem.orders]
        self.completion = [0] * len(problem.orders)
        self.keep = knobs.kept

    def wake(self, m: int) -> None:
        """(Re)schedule machine m's next decision."""
        if not self.waiting[m]:
            return
        self.version[m] += 1
        pending, waiting = self.pending[m], self.waiting[m]
        while pending[0][1] not in waiting:  # entries of operations gone elsewhere
            heapq.heappop(pending)
        t = max(self.free[m], pending[0][0])
        heapq.heappush(self.heap, (t, self.version[m], m))

    def release(self, k: int, t: int) -> None:
        """Operation k may start from minute t (and once its material has arrived)."""
        p = self.p
        i = p.operations[k].order
        self.ready[k] = max(t, self.material_ready.get(k, 0))
        if self.atcs is not None:
            self.atcs.ready[k] = self.ready[k]
        if self.ready[k] + self.tail[k] > p.horizon:
            self.fail(i)
            return
        for g, mode in enumerate(p.operations[k].modes, start=p.first_mode[k]):
            self.waiting[mode.machine][k] = g
            heapq.heappush(self.pending[mode.machine], (self.ready[k], k))
            self.wake(mode.machine)

    def fail(self, i: int) -> None:
        """Order i cannot finish inside the horizon: it and its after_order successors go."""
        for j in self.p.with_followers([i]):
            self.failed.add(j)
            for k in self.p.orders[j].operations:
                self.machine[k] = self.start[k] = -1
                for mode in self.p.operations[k].modes:
                    self.waiting[mode.machine].pop(k, None)

    def finish_order(self, i: int, at: int) -> None:
        p = self.p
        self.completion[i] = at
        for s in p.successors[i]:
            self.open_preds[s] -= 1
            if self.open_preds[s] == 0 and s not in self.failed and s not in p.frozen_orders:
                preds = (self.completion[q] for q in p.orders[s].predecessors)
                self.release(p.orders[s].first_op, max([p.orders[s].release, p.freeze, *preds]))

    def start_up(self) -> None:
        """Frozen operations in place, then every order without predecessors released."""
        p = self.p
        for k, (m, s) in p.fixed.items():
            self.machine[k], self.start[k], self.end[k] = m, s, p.fixed_end(k)
            self.states[m].place(s, self.end[k], p.mode(k, m).family)
        done = []
        for i, order in enumerate(p.orders):
            fixed = [k for k in order.operations if k in p.fixed]
            if fixed:
                rest = order.operations[len(fixed) :]
                if rest:
                    self.release(rest[0], max(self.end[fixed[-1]], p.freeze))
                else:
                    done.append((i, self.end[fixed[-1]]))
            elif i not in self.failed and not order.predecessors:
                self.release(order.first_op, max(order.release, p.freeze))
        for i, at in done:
            self.finish_order(i, at)

    def step(self, m: int, now: int) -> None:
        """Machine m is free at ``now``: the rule picks, the fastest alternative runs it."""
        p = self.p
        items = self.states[m].items
        last = items[-1][2] if items and p.machines[m].capacity == 1 else NO_FAMILY
        if self.atcs is not None:
            k = self.atcs.pick(m, now, list(self.waiting[m].values()), last)
        else:
            k = self.rule.pick(p, self._candidates(m, now))
        options = []
        kept, grace = self.keep.get(k, (-1, 0))
        for mode in p.operations[k].modes:
            slot = self.states[mode.machine].earliest(max(self.ready[k], self.free[mode.machine]), mode)
            if slot is not None:
                judged = slot[1] - grace if mode.machine == kept else slot[1]
                options.append((judged, mode.machine != m, mode.machine, slot[0], slot[1], mode.family))
        for mode in p.operations[k].modes:
            self.waiting[mode.machine].pop(k, None)
            self.wake(mode.machine)
        i = p.operations[k].order
        if (
            not options
            or min(o[4] for o in options) + self.tail[k] - p.operations[k].min_duration > p.horizon
        ):
            self.fail(i)
            self.wake(m)
            return
        _, _, chosen, begin, finish, family = min(options)
        if finish + self.tail[k] - p.operations[k].min_duration > p.horizon:  # the kept machine ends too late
            _, _, chosen, begin, finish, family = min(o for o in options if o[2] != kept)
        self.machine[k], self.start[k], self.end[k] = chosen, begin, finish
        self.states[chosen].place(begin, finish, family)
        if p.machines[chosen].capacity == 1:
            self.free[chosen] = finish
        self.wake(chosen)
        if k != p.orders[i].last_op:
            self.release(p.orders[i].operations[p.operations[k].position + 1], finish)
        else:
            self.finish_order(i, finish)

    def _candidates(self, m: int, now: int) -> list[tuple[int, Mode]]:
        """The operations machine m can start at ``now``: only the frozen orders' ones if
        there are any (they must finish)."""
        p, ready, modes = self.p, self.ready, self.p.all_modes
        candidates = [(k, modes[g]) for k, g in self.waiting[m].items() if ready[k] <= now]
        if p.frozen_orders:
            started = [c for c in candidates if p.operations[c[0]].order in p.frozen_orders]
            candidates = started or candidates
        return candidates

    def run(self) -> tuple[Schedule, set[int]]:
        self.start_up()
        steps = 0
        while self.heap:
            steps += 1
            if self.stop is not None and steps % 256 == 0:
                self.stop.check()
            t, version, m = heapq.heappop(self.heap)
            if version == self.version[m] and self.waiting[m]:
                self.step(m, t)
        return Schedule(self.p, tuple(self.machine), tuple(self.start)), self.failed


def previous_machines(problem: ProblemData) -> dict[int, tuple[int, int]]:
    """Re-planning with a price on machine changes: per operation of the previous plan, its
    machine there and its grace, how many minutes later it may end on it than on another
    machine: the price over its order's weight (the delay whose cost to the order, if late,
    equals the price of the change; the delay may cost other orders more)."""
    price = problem.stability.machine
    if not problem.stability_in_objective or price <= 0:
        return {}
    return {
        k: (m, round(price / max(problem.weight(problem.operations[k].order), 1e-9)))
        for k, (m, _) in problem.previous.items()
        if m >= 0 and len(problem.operations[k].modes) > 1
    }


def _tails(problem: ProblemData) -> list[int]:
    """Per operation, the least work left in its order from it on (itself included)."""
    tail = [0] * len(problem.operations)
    for order in problem.orders:
        left = 0
        for k in reversed(order.operations):
            left += problem.operations[k].min_duration
            tail[k] = left
    return tail
