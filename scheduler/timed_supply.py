"""The timed-supply relaxation of scarce material, for the lower bound.

Stock on hand and receipts split the horizon into supply periods per material. Each use
of a scarce material (one whose plannable orders ask more than the stock on hand) is given
the period in which its operation starts, or its order is left out; what is used up to
the end of a period must have arrived by then. Starting in a later period costs the
tardiness of the order's earliest end from that period's receipt on (machines and other
orders ignored), above the order's own floor. Every plan gives such an allocation at no
more than its cost, so the model's proven least cost is a lower bound of the extra cost
of material. It generalises the covering problem (the last period's constraint).
"""

from __future__ import annotations

from ortools.sat.python import cp_model

from scheduler.bounds import leave_out_extra, material_needs
from scheduler.problem import Demand, ProblemData


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


def timed_supply_model(
    problem: ProblemData, floors: list[float], possible: list[bool], scale: float
) -> cp_model.CpModel | None:
    """The relaxation as a CP-SAT model whose objective is the extra cost times ``scale``
    (rounded down), or None when no material is scarce."""
    p = problem
    scarce = scarce_materials(p, possible)
    if not scarce:
        return None
    periods = {m: supply_periods(p, m) for m in scarce}
    uses = [d for m in scarce for d in p.demands_of_material[m] if possible[d.order]]
    users = sorted({d.order for d in uses})
    extra = {i: int(leave_out_extra(p, floors, i) * scale) for i in users}
    model = cp_model.CpModel()
    left_out = {i: model.new_bool_var(f"left_out_{i}") for i in users if i not in p.frozen_orders}
    costs_of: dict[int, list[cp_model.LinearExprT]] = {i: [] for i in users}
    taken: dict[tuple[int, int], list[cp_model.LinearExprT]] = {}
    for d in uses:
        options = use_options(p, d, periods[d.material], floors[d.order])
        chosen = [(r, int(c * scale), model.new_bool_var("")) for r, c in options]
        model.add(sum(y for *_, y in chosen) + left_out.get(d.order, 0) == 1)
        costs_of[d.order].append(sum(c * y for _, c, y in chosen))
        for r, _, y in chosen:
            taken.setdefault((d.material, r), []).append(d.quantity * y)
    for m in scarce:  # what is used by the end of each period has arrived by then
        used: list[cp_model.LinearExprT] = []
        for r, (_, supply) in enumerate(periods[m]):
            if (m, r) in taken:
                used.extend(taken[m, r])
                model.add(sum(used) <= supply)
    terms: list[cp_model.LinearExprT] = [extra[i] * x for i, x in left_out.items()]
    for i, costs in costs_of.items():
        if len(costs) == 1:
            terms.append(costs[0])
        else:  # the latest of its uses decides when the order can end
            latest = model.new_int_var(0, extra[i], "")
            for c in costs:
                model.add(latest >= c)
            terms.append(latest)
    model.minimize(sum(terms))
    return model
