"""A lower bound of the weighted cost that holds for every plan, computed without search.

Each order costs at least its weight times the tardiness it would have if it ran alone
(earliest start chain through its steps and working time), or its unscheduled penalty if
even alone it cannot end inside the horizon. Scarce material adds the cheapest way to
leave enough orders out: for a material whose demand exceeds everything that arrives in
the horizon, a fractional knapsack over (penalty - that least cost) per unit of it. Only
the largest of those material terms is added, since one order may need several.
"""

from __future__ import annotations

from scheduler.problem import ProblemData


def order_floors(problem: ProblemData) -> tuple[list[float], list[bool]]:
    """Per order, the least it can cost, and whether it can be planned at all."""
    floors, possible = [], []
    for i, order in enumerate(problem.orders):
        end = problem.earliest_completions[i]
        fits = end <= problem.horizon
        possible.append(fits)
        floors.append(order.weight * max(0, end - order.due) if fits else problem.unscheduled_penalty(i))
    return floors, possible


def material_floor(problem: ProblemData, floors: list[float], possible: list[bool]) -> float:
    """The largest, over scarce materials, of the least extra cost of leaving out enough orders."""
    need: dict[int, dict[int, int]] = {}
    for d in problem.demands:
        if possible[d.order]:
            per = need.setdefault(d.material, {})
            per[d.order] = per.get(d.order, 0) + d.quantity
    frozen = problem.frozen_orders
    best = 0.0
    for material, per_order in need.items():
        excess = sum(per_order.values()) - problem.materials[material].supply_until(problem.horizon)
        if excess <= 0:
            continue
        extra = 0.0
        candidates = sorted(
            (
                (problem.unscheduled_penalty(i) - floors[i]) / q,
                q,
                i,
            )
            for i, q in per_order.items()
            if q > 0 and i not in frozen
        )
        for per_unit, q, _ in candidates:
            take = min(q, excess)
            extra += per_unit * take
            excess -= take
            if excess <= 0:
                break
        if excess > 0:  # even leaving out every free order does not cover it: no plan at all
            continue
        best = max(best, extra)
    return best


def cost_lower_bound(problem: ProblemData, tier_rank: int | None = None) -> float:
    """A lower bound of weighted tardiness plus penalties (of one tier: without the material
    term, since other tiers' orders may give way)."""
    floors, possible = order_floors(problem)
    if tier_rank is not None:
        return sum(f for f, o in zip(floors, problem.orders, strict=True) if o.tier_rank == tier_rank)
    return sum(floors) + material_floor(problem, floors, possible)
