"""A lower bound of the weighted cost that holds for every plan.

Each order costs at least its weight times the tardiness it would have if it ran alone
(earliest start chain through its steps and working time), or its unscheduled penalty if
even alone it cannot end inside the horizon. Scarce material adds the larger of two
proven extra costs, both solved by CP-SAT within a few seconds (a search cut short still
gives a valid, if weaker, bound):

- the covering problem: for every material whose demand exceeds what arrives in the
  horizon, enough of its users must go, each costing its penalty less its least cost (all
  materials at once: an order may need several). The cheapest covering it finds is also a
  start for the search: a dispatch rule that leaves exactly those orders out;
- the timed-supply relaxation: also orders that must wait for a receipt pay for the wait.
  The best allocation found (who leaves, who gets the stock from which receipt), greedily
  (scheduler/allocation.py) and by the model from there, is a start too: ATC promising
  material in that order.

The models are in scheduler/cpsat/bounds.py (CP-SAT loads only when material is scarce),
their data in scheduler/floors.py.
"""

from __future__ import annotations

from scheduler.allocation import greedy_allocation
from scheduler.floors import MaterialChoice, material_shortfalls, order_floors, supply_uses
from scheduler.problem import ProblemData

MATERIAL_SECONDS = 5.0  # the most the material part of the bound may take
TIMED_SUPPLY_MIN_SECONDS = 0.05  # with less left the timed-supply model is not built


def material_choice(
    problem: ProblemData,
    floors: list[float],
    possible: list[bool],
    seconds: float = MATERIAL_SECONDS,
    workers: int = 0,
) -> MaterialChoice:
    """The covering problem: the least extra cost of leaving enough orders out for every
    material short in the horizon, and the cheapest such set found."""
    if not material_shortfalls(problem, possible):
        return MaterialChoice()
    from scheduler.cpsat.bounds import covering_choice  # CP-SAT loads only when there is scarce material

    return covering_choice(problem, floors, possible, seconds, workers)


def timed_supply_choice(
    problem: ProblemData,
    floors: list[float],
    possible: list[bool],
    seconds: float,
    workers: int = 0,
    left_out: frozenset[int] = frozenset(),
) -> MaterialChoice:
    """The timed-supply relaxation: its proven least extra cost (0 without time) and the best
    allocation found, greedily (keeping ``left_out`` out) and by the model from there."""
    data = supply_uses(problem, floors, possible)
    if data is None:
        return MaterialChoice()
    start = greedy_allocation(problem, floors, data, left_out)
    if seconds < TIMED_SUPPLY_MIN_SECONDS:
        return MaterialChoice(0.0, start.left_out, 0.0, data.supply_from(start.chosen))
    from scheduler.cpsat.bounds import timed_supply_choice as solved  # CP-SAT loads only when used

    return solved(problem, floors, possible, data, start, seconds, workers)


def timed_supply_extra(
    problem: ProblemData, floors: list[float], possible: list[bool], seconds: float, workers: int = 0
) -> float:
    """The timed-supply relaxation's proven least extra cost (0 when there is no time)."""
    return timed_supply_choice(problem, floors, possible, seconds, workers).extra_cost


def search_free_bound(
    problem: ProblemData, seconds: float = MATERIAL_SECONDS, workers: int = 0
) -> tuple[float, MaterialChoice]:
    """A lower bound of weighted tardiness plus penalties, and the covering behind it; the
    timed-supply relaxation gets the seconds the covering leaves."""
    bound, covering, _ = material_choices(problem, seconds, workers)
    return bound, covering


def material_choices(
    problem: ProblemData, seconds: float = MATERIAL_SECONDS, workers: int = 0
) -> tuple[float, MaterialChoice, MaterialChoice]:
    """The search-free bound, the covering's choice and the timed-supply allocation (which
    gets the seconds the covering leaves)."""
    floors, possible = order_floors(problem)
    covering = material_choice(problem, floors, possible, seconds, workers)
    supply = timed_supply_choice(
        problem, floors, possible, seconds - covering.seconds, workers, covering.left_out
    )
    return sum(floors) + max(covering.extra_cost, supply.extra_cost), covering, supply


def cost_lower_bound(
    problem: ProblemData,
    tier_rank: int | None = None,
    seconds: float = MATERIAL_SECONDS,
    workers: int = 0,
) -> float:
    """A lower bound of weighted tardiness plus penalties (of one tier: without the material
    term, since other tiers' orders may give way)."""
    if tier_rank is not None:
        floors, _ = order_floors(problem)
        return sum(f for f, o in zip(floors, problem.orders, strict=True) if o.tier_rank == tier_rank)
    return search_free_bound(problem, seconds, workers)[0]
