"""What every plan must at least pay, and the material facts the bound's models use.

Pure data: the CP-SAT models of the bound are in scheduler/cpsat/bounds.py, the bound
itself in scheduler/bounds.py.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from scheduler.problem import Demand, ProblemData

COST_SCALE = 1000  # costs are rounded down to thousandths: the bound stays below the true one


def order_floors(problem: ProblemData) -> tuple[list[float], list[bool]]:
    """Per order, the least it can cost, and whether it can be planned at all."""
    floors, possible = [], []
    for i, order in enumerate(problem.orders):
        end = problem.earliest_completions[i]
        fits = end <= problem.horizon
        possible.append(fits)
        floors.append(order.weight * max(0, end - order.due) if fits else problem.unscheduled_penalty(i))
    return floors, possible


def leave_out_extra(problem: ProblemData, floors: list[float], order: int) -> float:
    """What leaving ``order`` out costs above its floor."""
    return max(0.0, problem.unscheduled_penalty(order) - floors[order])


def material_needs(problem: ProblemData, possible: list[bool]) -> dict[int, dict[int, int]]:
    """Per material, what each plannable order that uses it needs."""
    need: dict[int, dict[int, int]] = {}
    for d in problem.demands:
        if possible[d.order]:
            per = need.setdefault(d.material, {})
            per[d.order] = per.get(d.order, 0) + d.quantity
    return need


def material_shortfalls(problem: ProblemData, possible: list[bool]) -> dict[int, tuple[int, dict[int, int]]]:
    """Per material short in the horizon: how much more its plannable, free orders ask than
    arrives in the horizon (after the frozen orders' share), and what each of them needs."""
    frozen = problem.frozen_orders
    out = {}
    for material, per_order in material_needs(problem, possible).items():
        excess = sum(per_order.values()) - problem.materials[material].supply_until(problem.horizon)
        free = {i: q for i, q in per_order.items() if q > 0 and i not in frozen}
        if 0 < excess <= sum(free.values()):  # beyond that there is no plan at all
            out[material] = (excess, free)
    return out


@dataclass(frozen=True)
class MaterialChoice:
    """A material relaxation's proven least extra cost, and the cheapest choice found: the
    orders to leave out (covering: enough for every material short in the horizon) and, for
    the timed-supply relaxation, from which minute each order's scarce material is given."""

    extra_cost: float = 0.0
    left_out: frozenset[int] = frozenset()
    seconds: float = 0.0  # spent on it (with one worker: work units)
    supply_from: Mapping[int, int] = field(default_factory=dict)  # order -> minute (-1: on hand)


def cost_scale(problem: ProblemData, floors: list[float], orders: set[int]) -> float:
    """Costs are whole multiples of 1 / scale in the models (rounded down: bounds stay valid)."""
    extra = sum(leave_out_extra(problem, floors, i) for i in orders)
    return min(COST_SCALE, (1 << 52) / max(1.0, extra))


def scarce_materials(problem: ProblemData, possible: list[bool]) -> list[int]:
    """Materials whose plannable orders ask more than the stock on hand."""
    needs = material_needs(problem, possible)
    return sorted(m for m, per in needs.items() if sum(per.values()) > problem.materials[m].on_hand)


def supply_periods(problem: ProblemData, material: int) -> list[tuple[int, int]]:
    """(first minute, stock arrived by then) of each stretch between the receipts in the
    horizon; the first stretch, with the stock on hand, starts before the plan."""
    m = problem.materials[material]
    arrivals = sorted({t for t, _ in m.receipts if 0 < t <= problem.horizon})
    return [(-1, m.supply_until(0)), *((t, m.supply_until(t)) for t in arrivals)]


def use_options(
    problem: ProblemData, demand: Demand, periods: list[tuple[int, int]], floor: float
) -> list[tuple[int, float]]:
    """(period, cost above the order's floor) for each supply period in which ``demand``'s
    operation may start and still let its order end inside the horizon."""
    p, order, k = problem, problem.orders[demand.order], demand.operation
    if k in p.fixed:  # consumed where it is, at no cost beyond the floor
        start = p.fixed[k][1]
        return [(max(r for r, (first, _) in enumerate(periods) if first <= start), 0.0)]
    earliest = p.earliest_starts[k]
    options = []
    for r, (first, _) in enumerate(periods):
        if r + 1 < len(periods) and periods[r + 1][0] <= earliest:
            continue  # the period is over before the operation can start
        end = p.completion_from(k, max(earliest, first))
        if end > p.horizon:
            break  # later periods end later still
        options.append((r, max(0.0, order.weight * max(0, end - order.due) - floor)))
    return options


@dataclass(frozen=True)
class SupplyUses:
    """The timed-supply relaxation's data: per scarce material its supply periods, every use
    of one by a plannable order, and each use's options (period, cost above the floor)."""

    periods: dict[int, list[tuple[int, int]]]
    uses: list[Demand]
    options: list[list[tuple[int, float]]]

    def supply_from(self, chosen: Mapping[int, int]) -> dict[int, int]:
        """Per order, the first minute of the latest period its uses take, from the period
        ``chosen`` per use (by index; uses of orders left out are absent)."""
        out: dict[int, int] = {}
        for u, r in chosen.items():
            d = self.uses[u]
            first = self.periods[d.material][r][0]
            out[d.order] = max(out.get(d.order, first), first)
        return out


def supply_uses(problem: ProblemData, floors: list[float], possible: list[bool]) -> SupplyUses | None:
    """The relaxation's data, or None when no material is scarce."""
    scarce = scarce_materials(problem, possible)
    if not scarce:
        return None
    periods = {m: supply_periods(problem, m) for m in scarce}
    uses = [d for m in scarce for d in problem.demands_of_material[m] if possible[d.order]]
    options = [use_options(problem, d, periods[d.material], floors[d.order]) for d in uses]
    return SupplyUses(periods, uses, options)
