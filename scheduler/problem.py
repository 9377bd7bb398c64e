"""The pure scheduling problem, in whole minutes from the plan start.

Built once from the scenario's tables (:func:`scheduler.build.build_problem`), immutable
afterwards. No solver is imported here: the CP-SAT adapter, the dispatch rules and the
explanations all read this model.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cached_property

import pandas as pd

from scheduler.worktime import WorkingTime

NO_FAMILY = -1


@dataclass(frozen=True)
class Mode:
    """One way to run an operation: on ``machine`` for ``duration`` working minutes.

    ``family`` indexes :attr:`ProblemData.families` (``NO_FAMILY``: none); a ``resumable``
    operation pauses outside the machine's working time instead of fitting one stretch.
    """

    machine: int
    duration: int
    family: int = NO_FAMILY
    resumable: bool = False


@dataclass(frozen=True)
class Operation:
    """One routing step of one order still to run; ``position`` is its place among its
    order's operations (steps done on the shop floor are none); ``modes`` are its
    alternative machines."""

    order: int
    step: int
    position: int
    modes: tuple[Mode, ...]

    @property
    def min_duration(self) -> int:
        return min(m.duration for m in self.modes)


@dataclass(frozen=True)
class Order:
    id: str
    customer: str
    tier: str
    tier_rank: int
    weight: float
    release: int
    due: int
    operations: tuple[int, ...]
    predecessors: tuple[int, ...] = ()

    @property
    def first_op(self) -> int:
        return self.operations[0]

    @property
    def last_op(self) -> int:
        return self.operations[-1]


@dataclass(frozen=True)
class StabilityPrices:
    """What moving an operation of the previous plan costs, in weighted minutes of lateness
    (a minute of lateness of a weight-1 order costs 1): handed to another machine (or left
    out), turned over with the operation it followed on its machine, moved at all (another
    start or machine: the shop floor has to be told), and per minute its start shifts. A
    planner minds a changed machine (another crew, other tooling) most, a sequence turned
    over next, a shift in time least."""

    machine: float = 480.0
    sequence: float = 60.0
    moved: float = 30.0
    minute: float = 0.1

    def times(self, factor: float) -> StabilityPrices:
        return StabilityPrices(*(v * factor for v in self.values))

    @property
    def values(self) -> tuple[float, float, float, float]:
        return (self.machine, self.sequence, self.moved, self.minute)


@dataclass(frozen=True)
class DoneOrder:
    """An order whose every step the shop floor has finished: reported, not planned."""

    id: str
    customer: str
    tier: str
    weight: float
    completion: pd.Timestamp  # the finished_at of its last step


@dataclass(frozen=True)
class Held:
    """An operation that keeps its place (a neighbourhood's fixed surroundings)."""

    start: int
    end: int
    family: int = NO_FAMILY


@dataclass(frozen=True)
class Machine:
    """A machine: ``capacity`` operations at once, working in ``working``'s stretches.

    ``changeovers`` maps (from family, to family) to the minutes needed between two
    consecutive operations (capacity 1 only); ``off_shift`` is the calendar's non-working
    time inside the horizon; ``held`` are operations that are not re-planned.
    """

    id: str
    name: str
    group: str
    downtime: tuple[tuple[int, int], ...] = ()
    capacity: int = 1
    working: WorkingTime = field(default_factory=lambda: WorkingTime(((0, 2**40),)))
    off_shift: tuple[tuple[int, int], ...] = ()
    calendar: str | None = None
    changeovers: tuple[tuple[tuple[int, int], int], ...] = ()
    held: tuple[Held, ...] = ()

    @cached_property
    def changeover_table(self) -> dict[tuple[int, int], int]:
        return dict(self.changeovers)

    def changeover(self, before: int, after: int) -> int:
        """Minutes needed between an operation of family ``before`` and one of ``after``."""
        if before == NO_FAMILY or after == NO_FAMILY or self.capacity > 1:
            return 0
        return self.changeover_table.get((before, after), 0)

    @property
    def has_changeovers(self) -> bool:
        return self.capacity == 1 and any(m > 0 for _, m in self.changeovers)


@dataclass(frozen=True)
class Material:
    """Stock in exact whole units of ``1 / scale`` (see :mod:`scheduler.exact`)."""

    id: str
    on_hand: int
    receipts: tuple[tuple[int, int], ...] = ()  # (minute, units), sorted by minute
    scale: int = 1

    def supply_until(self, time: int) -> int:
        """Stock on hand plus everything that has arrived by ``time`` (inclusive)."""
        return self.on_hand + sum(q for t, q in self.receipts if t <= time)

    def amount(self, units: int) -> Decimal:
        """``units`` in the material's own unit of measure."""
        return (Decimal(units) / self.scale).normalize()

    def show(self, units: int) -> str:
        return f"{self.amount(units):f}"


@dataclass(frozen=True)
class Demand:
    """``order`` consumes ``quantity`` units (of ``1 / scale``) of ``material`` when ``operation`` starts."""

    order: int
    operation: int
    material: int
    quantity: int


@dataclass(frozen=True)
class ProblemData:
    start: pd.Timestamp
    horizon: int
    orders: tuple[Order, ...]
    operations: tuple[Operation, ...]
    machines: tuple[Machine, ...]
    materials: tuple[Material, ...] = ()
    demands: tuple[Demand, ...] = ()
    tier_names: tuple[str, ...] = ("A", "B", "C")
    tier_weights: dict[str, float] = field(default_factory=dict)
    fixed: dict[int, tuple[int, int]] = field(default_factory=dict)  # operation -> (machine, start), frozen
    freeze: int = 0  # operations that are not fixed start at or after this minute
    families: tuple[str, ...] = ()
    windows: dict[int, tuple[int, int]] = field(
        default_factory=dict
    )  # operation -> start range, if kept near
    previous: dict[int, tuple[int, int]] = field(default_factory=dict)  # operation -> (machine, start) before
    stability: StabilityPrices = field(
        default_factory=lambda: StabilityPrices(0.0, 0.0, 0.0, 0.0)
    )  # of moves
    # The shop floor (contract section 5): running operations (fixed at minute 0 on their
    # machine, with the working minutes they still need as their one mode) and when each
    # started; orders with a done or running step, which must be planned; orders all done.
    running: dict[int, pd.Timestamp] = field(default_factory=dict)
    started: frozenset[int] = frozenset()
    done: tuple[DoneOrder, ...] = ()
    deadlines: dict[int, int] = field(default_factory=dict)  # order -> latest completion (promises)
    # re-planning within a budget: the most the orders' weighted tardiness plus penalties may
    # total (moves are priced on top; see scheduler/solve.py)
    cost_cap: float | None = None

    @property
    def stability_in_objective(self) -> bool:
        """Re-planning with a price on moves: the weighted cost includes the moves."""
        return bool(self.previous) and any(v > 0 for v in self.stability.values)

    @cached_property
    def previous_pairs(self) -> tuple[tuple[int, int, int], ...]:
        """(machine, a, b): operations of the previous plan that ran one right after the
        other on a machine, a first."""
        by_machine: dict[int, list[tuple[int, int]]] = {}
        for k, (m, start) in self.previous.items():
            by_machine.setdefault(m, []).append((start, k))
        pairs = []
        for m, placed in sorted(by_machine.items()):
            ordered = [k for _, k in sorted(placed)]
            pairs += [(m, a, b) for a, b in itertools.pairwise(ordered)]
        return tuple(pairs)

    @cached_property
    def all_modes(self) -> tuple[Mode, ...]:
        """Every mode of every operation, operation by operation (see :attr:`first_mode`)."""
        return tuple(mode for op in self.operations for mode in op.modes)

    @cached_property
    def first_mode(self) -> tuple[int, ...]:
        """Per operation, the position of its first mode in :attr:`all_modes`."""
        out, at = [], 0
        for op in self.operations:
            out.append(at)
            at += len(op.modes)
        return tuple(out)

    @cached_property
    def _modes(self) -> dict[tuple[int, int], Mode]:
        return {(k, m.machine): m for k, op in enumerate(self.operations) for m in op.modes}

    def mode(self, op: int, machine: int) -> Mode:
        return self._modes[op, machine]

    def end_of(self, op: int, machine: int, start: int) -> int:
        """Where operation ``op`` ends when it starts at ``start`` on ``machine``."""
        mode = self.mode(op, machine)
        return self.machines[machine].working.finish(start, mode.duration, mode.resumable)

    def fixed_end(self, op: int) -> int:
        machine, start = self.fixed[op]
        return self.end_of(op, machine, start)

    @cached_property
    def frozen_orders(self) -> frozenset[int]:
        """Orders that must be scheduled: those with a frozen (or running) operation, and
        those the shop floor has started."""
        return frozenset(self.operations[k].order for k in self.fixed) | self.started

    @cached_property
    def movable_orders(self) -> frozenset[int]:
        """Orders with at least one operation that is not fixed: a search may move them."""
        return frozenset(op.order for k, op in enumerate(self.operations) if k not in self.fixed)

    @cached_property
    def demands_of_order(self) -> dict[int, tuple[Demand, ...]]:
        out: dict[int, list[Demand]] = {}
        for d in self.demands:
            out.setdefault(d.order, []).append(d)
        return {k: tuple(v) for k, v in out.items()}

    @cached_property
    def demands_of_operation(self) -> dict[int, tuple[Demand, ...]]:
        out: dict[int, list[Demand]] = {}
        for d in self.demands:
            out.setdefault(d.operation, []).append(d)
        return {k: tuple(v) for k, v in out.items()}

    @cached_property
    def demands_of_material(self) -> tuple[tuple[Demand, ...], ...]:
        out: list[list[Demand]] = [[] for _ in self.materials]
        for d in self.demands:
            out[d.material].append(d)
        return tuple(tuple(v) for v in out)

    @cached_property
    def movable_users(self) -> dict[int, tuple[int, ...]]:
        """Per material that some order uses, the movable orders that use it, sorted."""
        return {
            m: tuple(sorted({d.order for d in ds if d.order in self.movable_orders}))
            for m, ds in enumerate(self.demands_of_material)
            if ds
        }

    @cached_property
    def successors(self) -> tuple[tuple[int, ...], ...]:
        """Orders that may start only after each order finishes (after_order)."""
        out: list[list[int]] = [[] for _ in self.orders]
        for i, order in enumerate(self.orders):
            for p in order.predecessors:
                out[p].append(i)
        return tuple(tuple(s) for s in out)

    def with_followers(self, orders: Iterable[int]) -> set[int]:
        """``orders`` and every order that waits for one of them (after_order), however
        indirectly: an order left out leaves all of those out too."""
        out = set(orders)
        stack = list(out)
        while stack:
            for j in self.successors[stack.pop()]:
                if j not in out:
                    out.add(j)
                    stack.append(j)
        return out

    @cached_property
    def topological_orders(self) -> tuple[int, ...]:
        """Orders sorted so that every after_order predecessor comes first."""
        indegree = [len(o.predecessors) for o in self.orders]
        ready = [i for i, d in enumerate(indegree) if d == 0]
        out: list[int] = []
        while ready:
            i = ready.pop()
            out.append(i)
            for s in self.successors[i]:
                indegree[s] -= 1
                if indegree[s] == 0:
                    ready.append(s)
        return tuple(out)

    @cached_property
    def earliest_starts(self) -> tuple[int, ...]:
        """Per operation, the earliest start ignoring capacity and material."""
        return self._earliest[0]

    @cached_property
    def earliest_completions(self) -> tuple[int, ...]:
        """Per order, the earliest it can end ignoring capacity and material (a lower bound)."""
        return self._earliest[1]

    @cached_property
    def _earliest(self) -> tuple[tuple[int, ...], tuple[int, ...]]:
        est = [0] * len(self.operations)
        completion = [0] * len(self.orders)
        for i in self.topological_orders:
            order = self.orders[i]
            t = max([order.release, self.freeze, *(completion[p] for p in order.predecessors)])
            completion[i] = self._chain(order.operations, t, est)
        return tuple(est), tuple(completion)

    def completion_from(self, op: int, t: int) -> int:
        """The earliest end of ``op``'s order when ``op`` starts at or after ``t`` (capacity
        and material ignored; fixed operations stay where they are)."""
        operations = self.orders[self.operations[op].order].operations
        return self._chain(operations[operations.index(op) :], t)

    def _chain(self, operations: tuple[int, ...], t: int, est: list[int] | None = None) -> int:
        """The earliest end of ``operations`` run one after the other from ``t`` on (each
        one's earliest start into ``est``)."""
        for k in operations:
            if k in self.fixed:
                start, t = self.fixed[k][1], self.fixed_end(k)
            else:
                start, t = self._earliest_on_any_machine(k, max(t, self.freeze))
            if est is not None:
                est[k] = start
        return t

    def _earliest_on_any_machine(self, op: int, t: int) -> tuple[int, int]:
        """The earliest start >= t and earliest end of ``op`` over its machines' working time."""
        starts, ends = [], []
        for mode in self.operations[op].modes:
            working = self.machines[mode.machine].working
            s = working.earliest(t, mode.duration, mode.resumable)
            if s is not None:
                starts.append(s)
                ends.append(working.finish(s, mode.duration, mode.resumable))
        if not starts:  # no machine can take it: nothing earlier than the horizon's end
            return max(t, self.horizon), max(t, self.horizon) + self.operations[op].min_duration
        return min(starts), min(ends)

    @cached_property
    def latest_ends(self) -> tuple[int, ...]:
        """Per operation, the latest end that still lets its order end inside the horizon.

        after_order successors do not tighten this: a successor may stay unscheduled,
        and then its predecessor may end as late as the horizon allows.
        """
        lend = [self.horizon] * len(self.operations)
        for order in self.orders:
            t = self.horizon
            for k in reversed(order.operations):
                lend[k] = t
                t -= self.operations[k].min_duration
        return tuple(lend)

    @cached_property
    def weight_scale(self) -> int:
        """Smallest of 1, 10, ..., 1000 that makes every order weight whole (then rounded)."""
        weights = [o.weight for o in self.orders] + (list(self.stability.values) if self.previous else [])
        for scale in (1, 10, 100, 1000):
            if all(abs(w * scale - round(w * scale)) < 1e-9 for w in weights):
                return scale
        return 1000

    def largest_cost(self) -> tuple[int, int]:
        """The objective's largest value in the solver's integer units (every order left out,
        weights scaled by ``weight_scale``), and the order contributing most to it."""
        costs = [round(self.unscheduled_penalty(i) * self.weight_scale) for i in range(len(self.orders))]
        worst = max(range(len(costs)), key=costs.__getitem__, default=-1)
        machine, sequence, moved, minute = (round(v * self.weight_scale) for v in self.stability.values)
        moves = (machine + sequence + moved + minute * self.horizon) * len(self.previous)
        return sum(costs) + moves, worst

    def weight(self, order: int) -> float:
        return self.orders[order].weight

    def max_tardiness(self, order: int) -> int:
        return max(0, self.horizon - self.orders[order].due)

    def unscheduled_penalty(self, order: int) -> float:
        """What leaving an order out costs: its weight times (its largest tardiness + horizon).

        Larger than any tardiness cost the order could have inside the horizon, so the
        solvers leave an order out only when it cannot be made in time or material.
        """
        return self.weight(order) * (self.max_tardiness(order) + self.horizon)


# Re-planning with a previous plan: moves cost StabilityPrices times ``[solve]
# stability_weight`` (0: off).
DEFAULT_STABILITY_WEIGHT = 1.0
# ... and a weighted-tardiness re-plan costs at most this share more than the cheapest one
# found with moves nearly free (``[solve] stability_budget``)
DEFAULT_STABILITY_BUDGET = 0.05

# The objective's largest value, in the solver's integer units: CP-SAT sums the penalty
# and tardiness terms in 64-bit integers, and each of the two may reach this much.
INTEGER_COST_LIMIT = 2**61


def merge_intervals(
    intervals: list[tuple[int, int]], lo: int | None = None, hi: int | None = None
) -> tuple[tuple[int, int], ...]:
    """Clip intervals to [lo, hi) (when given) and merge overlapping or touching ones."""
    out: list[list[int]] = []
    clipped = ((s if lo is None else max(s, lo), e if hi is None else min(e, hi)) for s, e in intervals)
    for s, e in sorted(clipped):
        if e <= s:
            continue
        if out and s <= out[-1][1]:
            out[-1][1] = max(out[-1][1], e)
        else:
            out.append([s, e])
    return tuple((s, e) for s, e in out)
