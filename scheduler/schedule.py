"""A schedule (who runs where and when) and what it costs under each objective."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

from scheduler.objectives import Objective, objective_named
from scheduler.problem import ProblemData


@dataclass(frozen=True)
class Moves:
    """Against the previous plan: operations moved at all (machine or start, or left out),
    handed to another machine (or left out), pairs that ran one after the other on a
    machine and now run the other way round, and the minutes the planned ones shifted."""

    moved: int
    machine: int
    sequence: int
    minutes: int


@dataclass(frozen=True)
class Schedule:
    """Per operation its machine index and start minute; both -1 when its order is unscheduled."""

    problem: ProblemData
    machine: tuple[int, ...]
    start: tuple[int, ...]

    @cached_property
    def end(self) -> tuple[int, ...]:
        p = self.problem
        return tuple(
            -1 if m < 0 else p.end_of(k, m, s)
            for k, (m, s) in enumerate(zip(self.machine, self.start, strict=True))
        )

    @cached_property
    def changeover_before(self) -> dict[int, int]:
        """Per operation, the changeover the contract requires before it: from the operation
        before it on its machine (capacity 1, both with a family); absent where none."""
        p = self.problem
        out: dict[int, int] = {}
        for k, before in self.before_on_machine.items():
            m = self.machine[k]
            gap = p.machines[m].changeover(p.mode(before, m).family, p.mode(k, m).family)
            if gap:
                out[k] = gap
        return out

    @cached_property
    def before_on_machine(self) -> dict[int, int]:
        """Per operation, the operation before it on its machine (in start order), if any."""
        out: dict[int, int] = {}
        previous: dict[int, int] = {}
        placed = [k for k, m in enumerate(self.machine) if m >= 0]
        for k in sorted(placed, key=lambda k: (self.start[k], self.end[k], k)):
            if self.machine[k] in previous:
                out[k] = previous[self.machine[k]]
            previous[self.machine[k]] = k
        return out

    @cached_property
    def operations_on(self) -> tuple[tuple[int, ...], ...]:
        """Per machine, the operations planned on it (by index)."""
        out: list[list[int]] = [[] for _ in self.problem.machines]
        for k, m in enumerate(self.machine):
            if m >= 0:
                out[m].append(k)
        return tuple(tuple(ops) for ops in out)

    def duration(self, op: int, machine: int) -> int:
        """Working minutes of ``op`` on ``machine`` (its wall-clock length may be longer)."""
        return self.problem.mode(op, machine).duration

    def is_scheduled(self, order: int) -> bool:
        return self.machine[self.problem.orders[order].first_op] >= 0

    def frozen_left_out(self) -> int:
        """Frozen or started orders this plan leaves out: then it is no plan of the problem,
        whatever it costs."""
        return sum(not self.is_scheduled(i) for i in self.problem.frozen_orders)

    def ranking(self, objective: str) -> tuple[float, ...]:
        """How plans compare (smaller is better): any plan that keeps every started order
        before one that does not, then :meth:`objective_vector`."""
        return (self.frozen_left_out(), *self.objective_vector(objective))

    def completion(self, order: int) -> int | None:
        return self.end[self.problem.orders[order].last_op] if self.is_scheduled(order) else None

    def tardiness(self, order: int) -> int:
        c = self.completion(order)
        return 0 if c is None else max(0, c - self.problem.orders[order].due)

    @cached_property
    def makespan(self) -> int:
        return max((e for e in self.end if e >= 0), default=0)

    def tier_cost(self, tier_rank: int | None = None) -> float:
        """Weighted tardiness plus unscheduled penalties, of one tier or of all orders."""
        total = 0.0
        for i, order in enumerate(self.problem.orders):
            if tier_rank is not None and order.tier_rank != tier_rank:
                continue
            if self.is_scheduled(i):
                total += order.weight * self.tardiness(i)
            else:
                total += self.problem.unscheduled_penalty(i)
        return total

    @cached_property
    def moves(self) -> Moves:
        """Against the previous plan: what moved (see :class:`Moves`)."""
        moved = machine = minutes = 0
        for k, (m, start) in self.problem.previous.items():
            if (self.machine[k], self.start[k]) != (m, start):
                moved += 1
                if self.machine[k] != m:
                    machine += 1
                if self.machine[k] >= 0:
                    minutes += abs(self.start[k] - start)
        turned = sum(
            1
            for m, a, b in self.problem.previous_pairs
            if self.machine[a] == m and self.machine[b] == m and self.start[b] < self.start[a]
        )
        return Moves(moved, machine, turned, minutes)

    def stability_cost(self) -> float:
        """What moving operations away from the previous plan costs (0 without one)."""
        p, m = self.problem.stability, self.moves
        return p.machine * m.machine + p.sequence * m.sequence + p.moved * m.moved + p.minute * m.minutes

    def unscheduled_weight(self) -> float:
        return sum(o.weight for i, o in enumerate(self.problem.orders) if not self.is_scheduled(i))

    def objective_vector(self, objective: str) -> tuple[float, ...]:
        """The objective as a tuple compared lexicographically (smaller is better)."""
        match objective_named(objective):
            case Objective.WEIGHTED_TARDINESS:
                return (self.tier_cost() + self.stability_cost(),)
            case Objective.LEXICOGRAPHIC:
                tiers = range(len(self.problem.tier_names))
                return (*(self.tier_cost(r) for r in tiers), self.stability_cost())
            case Objective.MAKESPAN:
                return (self.unscheduled_weight(), float(self.makespan), self.stability_cost())

    def objective_value(self, objective: str) -> float:
        """One number for reports: the cost, the sum of tier costs, or the makespan (the
        stability term of re-planning is reported apart, see :attr:`moves`)."""
        if objective_named(objective) is Objective.MAKESPAN:
            return float(self.makespan)
        return self.tier_cost()

    def sum_completion(self) -> int:
        return sum(c for i in range(len(self.problem.orders)) if (c := self.completion(i)) is not None)
