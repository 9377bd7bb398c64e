"""Promise dates by tier (contract section 6): when can a new order be delivered?

A request is an order of the problem that the plan does not hold yet. Requests are
answered one at a time; each answer is placed into the plan, which then holds it for the
next one. Three ways to answer:

- ``none``: nothing that is planned moves. The request goes, step after step, to the
  machine that finishes the step first, at the earliest start its machine's free working
  time (capacity, changeovers to the operations it lands between) and the stock left
  after every planned consumption allow. A later ready time never finishes a step
  earlier, so step by step is exact: no earlier completion exists.
- ``lower-slack``: operations of orders of a strictly lower tier than the request's may
  move, within their slack: an order on time in the plan stays on time, a late one gets
  no later, a scheduled one stays scheduled. CP-SAT re-plans a neighbourhood: the request
  and the lower-tier orders that work on its machines around the time it needs them,
  everything else held; it minimises the request's completion first, then the tardiness
  of the orders it moves, then how much they move.
- ``lower``: as ``lower-slack``, but the moved orders may become late (never left out);
  what that costs is stated per moved order.

The answer is never later than ``none``'s: where the search finds nothing earlier, the
``none`` placement stands and nothing moves.
"""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass, field, replace

from scheduler.explain import delay_causes, unscheduled_reason
from scheduler.insertion import Stock, place_order, placed_states
from scheduler.neighbourhood import Neighbourhood, merge, neighbourhood, restrict
from scheduler.problem import ProblemData, StabilityPrices
from scheduler.schedule import Schedule
from scheduler.stop import StopRequest

MODES = ("none", "lower-slack", "lower")
DEFAULT_MODE = "lower-slack"
MAX_FREED = 40  # lower-tier orders a neighbourhood frees at most (nearest to the request first)
REACH = 1440  # minutes after the promise without moves in which lower-tier work may still be pushed on
SEARCH_SECONDS = 5.0  # CP-SAT's time per request in the displacing modes


@dataclass(frozen=True)
class Quote:
    """The answer to one request (``order``: its index in the problem)."""

    order: int
    completion: int | None  # minutes from the plan start; None: it cannot finish inside the horizon
    mode: str
    reason: str
    moved: dict[int, tuple[int | None, int | None]] = field(default_factory=dict)  # order -> old, new end
    added_cost: dict[int, float] = field(default_factory=dict)  # moved order -> added weighted tardiness
    seconds: float = 0.0

    @property
    def added_weighted_tardiness(self) -> float:
        return float(sum(self.added_cost.values()))


@dataclass(frozen=True)
class SearchSettings:
    """How the displacing modes search: CP-SAT's workers, seed and seconds per request."""

    workers: int = 0
    seed: int = 0
    seconds: float = SEARCH_SECONDS


def answer_requests(
    schedule: Schedule,
    requests: list[int],
    mode: str = DEFAULT_MODE,
    settings: SearchSettings | None = None,
    stop: StopRequest | None = None,
) -> tuple[Schedule, list[Quote]]:
    """Answer ``requests`` (orders of ``schedule.problem`` it leaves out) in their order.

    Returns the plan holding every answer and the quotes. ``schedule`` is the plan as it
    stands: the orders it holds never leave it; with ``mode`` ``none`` none of them moves.
    """
    if mode not in MODES:
        raise ValueError(f"unknown displacement {mode!r}; expected one of {', '.join(MODES)}")
    settings = settings or SearchSettings()
    p = schedule.problem
    reference = {i: schedule.completion(i) for i in range(len(p.orders))}  # "on time in PLAN"
    accepted: set[int] = set()
    quotes = []
    for r in requests:
        began = time.perf_counter()
        best = _without_moves(schedule, r)
        moved: dict[int, tuple[int | None, int | None]] = {}
        if mode != "none" and not (stop is not None and stop.requested):
            found = _with_moves(best, r, mode, reference, accepted, settings, stop)
            if found is not None:
                best = found
                moved = {
                    i: (schedule.completion(i), best.completion(i))
                    for i in _moved_orders(schedule, best)
                    if i != r
                }
        added = {i: _added(p, i, old, new) for i, (old, new) in moved.items()}
        schedule = best
        accepted.add(r)
        quotes.append(
            Quote(
                r,
                schedule.completion(r),
                mode,
                promise_reason(schedule, r, moved),
                moved,
                added,
                time.perf_counter() - began,
            )
        )
    return schedule, quotes


def _without_moves(schedule: Schedule, r: int) -> Schedule:
    """The plan with request ``r`` in the earliest place nothing needs to move for (or still out)."""
    p = schedule.problem
    order = p.orders[r]
    placed = place_order(p, r, max(order.release, p.freeze), placed_states(p, schedule), Stock(p, schedule))
    if placed is None:
        return schedule
    machine, start = list(schedule.machine), list(schedule.start)
    for k, (m, s, _) in placed.items():
        machine[k], start[k] = m, s
    return Schedule(p, tuple(machine), tuple(start))


def _with_moves(
    schedule: Schedule,
    r: int,
    mode: str,
    reference: dict[int, int | None],
    accepted: set[int],
    settings: SearchSettings,
    stop: StopRequest | None,
) -> Schedule | None:
    """A plan that serves ``r`` earlier by moving lower-tier orders, if the search finds one."""
    from scheduler.cpsat.promise import earliest_with_moves  # CP-SAT loads only when used

    p = schedule.problem
    placed = schedule.completion(r)
    until = p.horizon if placed is None else placed
    freed = movable_neighbours(schedule, r, until, accepted)
    if not freed:
        return None
    n = neighbourhood(p, schedule, {r, *freed}, linked=False)
    if r not in n.orders:
        return None
    sub = _bounded(n, schedule, r, mode, reference)
    part = earliest_with_moves(sub, restrict(schedule, n), n.orders.index(r), settings, stop)
    if part is None:
        return None
    merged = merge(schedule, n, part)
    end = merged.completion(r)
    better = end is not None and (placed is None or end < placed)
    return merged if better else None


def movable_neighbours(schedule: Schedule, r: int, until: int, accepted: set[int]) -> set[int]:
    """Lower-tier orders (planned, not requests answered before) with an operation on one of
    ``r``'s machines between its release and ``until`` (and what they may push on: the
    request's work or REACH minutes more), nearest first, at most MAX_FREED."""
    p = schedule.problem
    order = p.orders[r]
    machines = {mode.machine for k in order.operations for mode in p.operations[k].modes}
    lo = max(order.release, p.freeze)
    until += max(REACH, sum(p.operations[k].min_duration for k in order.operations))
    distance: dict[int, int] = {}
    for m in machines:
        for k in schedule.operations_on[m]:
            i = p.operations[k].order
            if p.orders[i].tier_rank <= order.tier_rank or i in accepted or i not in p.movable_orders:
                continue
            if k in p.fixed or schedule.end[k] <= lo or schedule.start[k] >= until:
                continue
            distance[i] = min(distance.get(i, 1 << 60), abs(schedule.start[k] - lo))
    return set(sorted(distance, key=lambda i: (distance[i], i))[:MAX_FREED])


def _bounded(
    n: Neighbourhood, schedule: Schedule, r: int, mode: str, reference: dict[int, int | None]
) -> ProblemData:
    """The neighbourhood with its rules: the moved orders stay planned (within their slack for
    ``lower-slack``: never later than their due or their completion in the plan), and each
    operation moved away from where it is costs (the last round keeps moves few)."""
    sub = n.problem
    p = schedule.problem
    keep = [j for j, i in enumerate(n.orders) if i != r]
    deadlines = {}
    for j in keep:
        i = n.orders[j]
        old = reference.get(i) or schedule.completion(i) or p.horizon
        deadlines[j] = max(p.orders[i].due, old) if mode == "lower-slack" else p.horizon
    previous = {}
    k = 0
    for i in n.orders:
        for op in p.orders[i].operations:
            if i != r and schedule.machine[op] >= 0 and op not in p.fixed:
                previous[k] = (schedule.machine[op], schedule.start[op])
            k += 1
    return replace(
        sub,
        started=frozenset(sub.started | set(keep)),
        deadlines=deadlines,
        previous=previous,
        stability=StabilityPrices(60.0, 60.0, 60.0, 1.0),  # a move as an hour, and each minute it shifts
    )


def _moved_orders(before: Schedule, after: Schedule) -> list[int]:
    p = before.problem
    moved = {
        p.operations[k].order
        for k in range(len(p.operations))
        if before.machine[k] >= 0
        and (before.machine[k], before.start[k]) != (after.machine[k], after.start[k])
    }
    return sorted(moved)


def _added(p: ProblemData, i: int, old: int | None, new: int | None) -> float:
    due = p.orders[i].due
    late = [max(0, (c if c is not None else p.horizon) - due) for c in (old, new)]
    return max(0.0, p.orders[i].weight * (late[1] - late[0]))


def promise_reason(schedule: Schedule, r: int, moved: dict[int, tuple[int | None, int | None]]) -> str:
    """What sets the promise: the waits before the request's steps, largest first; or why it
    has no place inside the horizon."""
    p = schedule.problem
    if not schedule.is_scheduled(r):
        return unscheduled_reason(schedule, r)
    causes: Counter[str] = delay_causes(schedule, r)
    top = [f"{text} ({minutes:,} min)" for text, minutes in causes.most_common(2) if minutes > 0]
    order = p.orders[r]
    work = sum(schedule.duration(k, schedule.machine[k]) for k in order.operations)
    text = "; ".join(top) if top else f"no wait: its own {work:,} working minutes from its release"
    if moved:
        tiers = sorted({p.orders[i].tier for i in moved}, key=p.tier_names.index)
        text += f"; moved {len(moved)} tier-{'/'.join(tiers)} order(s) to make room"
    return text
