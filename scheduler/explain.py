"""Why an order is late or unscheduled, in words a planner can act on."""

from __future__ import annotations

import bisect
from collections import Counter
from dataclasses import dataclass, field
from functools import lru_cache
from itertools import accumulate

import pandas as pd

from scheduler.insertion import Stock, place_operation, placed_states, put, take_out
from scheduler.problem import ProblemData
from scheduler.schedule import Schedule
from scheduler.timeline import MachineState, arrival_time
from scheduler.worktime import WorkingTime


@dataclass(frozen=True)
class _Plan:
    """What the explanations look up in a plan: stock left, when each consumption's stock
    was there, the operations on each machine by start."""

    material_left: list[int]
    material_ready: dict[int, tuple[int, int]]
    on_machine: list[list[int]]  # per machine, its operations by (start, index)
    starts_on: list[list[int]]  # their starts
    ends_on: list[list[int]]  # their ends
    latest_end_on: list[list[int]]  # the latest end among them up to each position
    bookings: dict[int, _Bookings] = field(default_factory=dict)  # made when first asked
    room: list[tuple[list[MachineState], Stock]] = field(default_factory=list)  # made when first asked

    def gaps_and_stock(self, schedule: Schedule) -> tuple[list[MachineState], Stock]:
        """The machines' free time and the materials' levels around the plan (made once)."""
        if not self.room:
            self.room.append((placed_states(schedule.problem, schedule), Stock(schedule.problem, schedule)))
        return self.room[0]

    def booked_from(self, schedule: Schedule, m: int, lo: int) -> list[int]:
        """Per tier rank, the working minutes machine m has booked from minute ``lo`` to the horizon end."""
        if m not in self.bookings:
            self.bookings[m] = _Bookings.of(schedule, m, self)
        return self.bookings[m].booked_from(lo)

    def running_within(self, schedule: Schedule, m: int, lo: int, hi: int) -> list[int]:
        """The operations on machine m that start before ``hi`` and end after ``lo``, by index:
        a bisection and a walk back over the latest ends, not a pass over the machine."""
        on = self.on_machine[m]
        positions = _running(self.starts_on[m], self.ends_on[m], self.latest_end_on[m], lo, hi)
        return sorted(on[j] for j in positions)


def _running(starts: list[int], ends: list[int], latest_end: list[int], lo: int, hi: int) -> list[int]:
    """Positions (in start order) of the operations that start before ``hi`` and end after
    ``lo``: a bisection, then a walk back while the latest end up to there is after ``lo``."""
    found = []
    j = bisect.bisect_left(starts, hi) - 1
    while j >= 0 and latest_end[j] > lo:
        if ends[j] > lo:
            found.append(j)
        j -= 1
    return found


def _plan(schedule: Schedule) -> _Plan:
    on_machine: list[list[int]] = [[] for _ in schedule.problem.machines]
    for k, m in enumerate(schedule.machine):
        if m >= 0:
            on_machine[m].append(k)
    start, end = schedule.start, schedule.end
    for ops in on_machine:
        ops.sort(key=lambda k: (start[k], k))
    ends_on = [[end[k] for k in ops] for ops in on_machine]
    return _Plan(
        _material_left(schedule),
        _material_ready(schedule),
        on_machine,
        [[start[k] for k in ops] for ops in on_machine],
        ends_on,
        [list(accumulate(ends, max)) for ends in ends_on],
    )


@dataclass(frozen=True)
class _Bookings:
    """One machine's operations by start, with what they book of its working time up to the
    horizon end: the booked minutes from any minute on are a suffix sum plus the few
    operations running at that minute (not a pass over every operation for every order)."""

    working: WorkingTime
    horizon: int
    starts: list[int]
    ends: list[int]
    latest_end: list[int]  # the latest end among the operations up to each position
    tier_ranks: list[int]
    booked_after: list[list[int]]  # per tier rank: minutes booked by operations from each position on

    @classmethod
    def of(cls, schedule: Schedule, m: int, plan: _Plan) -> _Bookings:
        p = schedule.problem
        working, hi = p.machines[m].working, p.horizon
        ordered, starts, ends = plan.on_machine[m], plan.starts_on[m], plan.ends_on[m]
        ranks = [p.orders[p.operations[j].order].tier_rank for j in ordered]
        booked = [max(0, working.worked(s, min(e, hi))) for s, e in zip(starts, ends, strict=True)]
        after = []
        for rank in range(len(p.tier_names)):
            mine = [b if r == rank else 0 for b, r in zip(booked, ranks, strict=True)]
            after.append([*reversed(list(accumulate(reversed(mine)))), 0])
        return cls(working, hi, starts, ends, plan.latest_end_on[m], ranks, after)

    def booked_from(self, lo: int) -> list[int]:
        """Per tier rank, the working minutes booked from minute ``lo`` to the horizon end."""
        first = bisect.bisect_left(self.starts, lo)
        booked = [after[first] for after in self.booked_after]
        for j in _running(self.starts, self.ends, self.latest_end, lo, lo):  # started before lo, runs past it
            booked[self.tier_ranks[j]] += max(0, self.working.worked(lo, min(self.ends[j], self.horizon)))
        return booked


def explain(schedule: Schedule) -> dict[int, str]:
    """A reason for every late or unscheduled order (by order index)."""
    reasons: dict[int, str] = {}
    plan = _plan(schedule)
    for i in range(len(schedule.problem.orders)):
        if not schedule.is_scheduled(i):
            reasons[i] = unscheduled_reason(schedule, i, plan)
        elif schedule.tardiness(i) > 0:
            reasons[i] = _late(schedule, i, plan)
    return reasons


def _time(p: ProblemData, minute: int) -> str:
    return _clock(p.start, minute, "%Y-%m-%d %H:%M")


def _window(p: ProblemData, start: int, end: int) -> str:
    """'22:00-06:00', or with weekdays when longer than a day: 'Fri 22:00-Mon 06:00'."""
    form = "%H:%M" if end - start < 1440 else "%a %H:%M"
    return f"{_clock(p.start, start, form)}-{_clock(p.start, end, form)}"


@lru_cache(maxsize=65536)
def _clock(origin: pd.Timestamp, minute: int, form: str) -> str:
    """Minute ``minute`` of a plan that starts at ``origin``, formatted: the same shift
    windows and arrivals recur across thousands of late orders."""
    return (origin + pd.Timedelta(minutes=minute)).strftime(form)


def _material_left(schedule: Schedule) -> list[int]:
    """Per material, what stays unused within the horizon by the scheduled orders."""
    p = schedule.problem
    left = [m.on_hand + sum(q for _, q in m.receipts) for m in p.materials]
    for d in p.demands:
        if schedule.is_scheduled(d.order):
            left[d.material] -= d.quantity
    return left


def _material_ready(schedule: Schedule) -> dict[int, tuple[int, int]]:
    """Per consuming operation: (minute its material had arrived, material), in plan order."""
    p = schedule.problem
    consumed = [0] * len(p.materials)
    out: dict[int, tuple[int, int]] = {}
    ops = sorted(
        (d.operation for d in p.demands if schedule.machine[d.operation] >= 0),
        key=lambda k: (schedule.start[k], k),
    )
    for k in dict.fromkeys(ops):
        for d in p.demands_of_operation.get(k, ()):
            consumed[d.material] += d.quantity
            t = arrival_time(p, d.material, consumed[d.material]) or 0
            if t >= out.get(k, (0, -1))[0]:
                out[k] = (t, d.material)
    return out


def unscheduled_reason(schedule: Schedule, i: int, plan: _Plan | None = None) -> str:
    """Why order i has no place in the plan."""
    plan = plan or _plan(schedule)
    material_left = plan.material_left
    p = schedule.problem
    order = p.orders[i]
    for pred in order.predecessors:
        if not schedule.is_scheduled(pred):
            return f"waits for order {p.orders[pred].id} (after_order), which is unscheduled"
    for k in order.operations:
        if (room := _no_room(p, k)) is not None:
            return room
    work = sum(p.operations[k].min_duration for k in order.operations)
    earliest_end = p.earliest_starts[order.first_op] + work
    if earliest_end > p.horizon:
        return (
            f"cannot finish inside the horizon: needs at least {work} min from "
            f"{_time(p, p.earliest_starts[order.first_op])}, the horizon ends {_time(p, p.horizon)}"
        )
    shortages = []
    need: dict[int, int] = {}
    for d in p.demands_of_order.get(i, ()):
        need[d.material] = need.get(d.material, 0) + d.quantity
    for material, quantity in need.items():
        if quantity > material_left[material]:
            m = p.materials[material]
            supply = m.on_hand + sum(q for _, q in m.receipts)
            left = max(0, material_left[material])
            shortages.append(
                f"material {m.id} short by {m.show(quantity - left)}: needs {m.show(quantity)}, "
                f"{m.show(left)} of {m.show(supply)} (stock and receipts in the horizon) left after the "
                "scheduled orders"
            )
    if shortages:
        return "; ".join(shortages)
    return _no_capacity(schedule, i, plan)


def _no_room(p: ProblemData, k: int) -> str | None:
    """Why step k fits none of its machines' working time at all, if it does not."""
    op = p.operations[k]
    why = []
    for mode in op.modes:
        machine = p.machines[mode.machine]
        if machine.working.earliest(0, mode.duration, mode.resumable) is not None:
            return None
        if machine.calendar is None and not machine.downtime:
            return None  # only the horizon is too short: said below
        down = [(s, e) for s, e in machine.downtime if e - s > 0]
        if not machine.working.stretches and down:
            why.append(f"{machine.id} is down from {_time(p, down[0][0])} to the horizon end")
        elif not mode.resumable:
            why.append(
                f"{machine.id}'s longest working stretch in the horizon is {machine.working.longest:,} min, "
                f"the step needs {mode.duration:,} min without a break"
            )
        else:
            left = machine.working.total
            why.append(f"{machine.id} has {left:,} working minutes left, the step needs {mode.duration:,}")
    return f"step {op.step} has no room inside the horizon: " + "; ".join(why)


def _no_capacity(schedule: Schedule, i: int, plan: _Plan) -> str:
    """The order's most loaded machine between its release and the horizon end."""
    p = schedule.problem
    order = p.orders[i]
    lo, hi = p.earliest_starts[order.first_op], p.horizon
    worst = None
    for k in order.operations:
        machines = [m.machine for m in p.operations[k].modes]
        available, by_rank = 0, [0] * len(p.tier_names)
        for m in machines:
            available += p.machines[m].working.worked(lo, hi) * p.machines[m].capacity
            for rank, minutes in enumerate(plan.booked_from(schedule, m, lo)):
                by_rank[rank] += minutes
        share = sum(by_rank) / max(1, available)
        if worst is None or share > worst[0]:
            tiers = Counter({p.tier_names[r]: b for r, b in enumerate(by_rank) if b > 0})  # ties: tier order
            worst = (share, machines, tiers, k, available - sum(by_rank))
    assert worst is not None
    share, machines, tiers, k, free = worst
    names = ", ".join(p.machines[m].id for m in machines)
    by = ", ".join(f"tier {t}" for t, _ in tiers.most_common(2))
    need = p.operations[k].min_duration
    return (
        f"no capacity inside the horizon: step {p.operations[k].step} needs "
        f"{need} min on {names}, whose working time from {_time(p, lo)} to the "
        f"horizon end is {share:.0%} booked, the rest in gaps too short for it"
        + (f" (mostly {by} orders)" if by else "")
        + (f"; {free:,} min of it are free in all: another sequence might fit it" if free >= need else "")
        + _stuck_step(schedule, i, plan)
    )


def _stuck_step(schedule: Schedule, i: int, plan: _Plan) -> str:
    """The order's steps placed one after the other in the plan's gaps, each where it ends
    first (as the insertion repair places them): the step that finds no place, and when the
    steps before it let it start. Empty when every step finds one (another plan left it out)."""
    p = schedule.problem
    gaps, stock = plan.gaps_and_stock(schedule)
    placed: list[tuple[int, tuple[int, int, int]]] = []
    after = [schedule.completion(q) or 0 for q in p.orders[i].predecessors]  # all scheduled here
    ready = max(p.earliest_starts[p.orders[i].first_op], p.freeze, *after)
    stuck = None
    for k in p.orders[i].operations:
        slot = place_operation(p, k, ready, gaps, stock)
        if slot is None:
            stuck = k
            break
        put(p, k, slot, gaps, stock)
        placed.append((k, slot))
        ready = slot[2]
    for k, slot in placed:  # the plan's gaps and stock as they were
        take_out(p, k, slot, gaps, stock)
    if stuck is None:
        return ""
    op = p.operations[stuck]
    names = ", ".join(p.machines[mode.machine].id for mode in op.modes)
    several = len(op.modes) > 1
    when = "after that" if placed else f"after {_time(p, ready)}"
    if any(gaps[mode.machine].earliest(ready, mode) is not None for mode in op.modes):
        where = f"{names} {'have' if several else 'has'} room {when}, but its material is not there in time"
    else:
        gap = f"a gap of {op.min_duration} min {when} before the horizon end"
        where = f"none of {names} has {gap}" if several else f"{names} has no {gap[2:]}"
    before = f"the steps before it end {_time(p, ready)} at the earliest, and " if placed else ""
    return f"; placed step by step in the plan's gaps, step {op.step} finds no place: {before}{where}"


def _late(schedule: Schedule, i: int, plan: _Plan) -> str:
    """The biggest delays along the order's steps, largest first."""
    p = schedule.problem
    order = p.orders[i]
    causes = delay_causes(schedule, i, plan)
    work = sum(schedule.duration(k, schedule.machine[k]) for k in order.operations)
    if order.release + work > order.due:
        causes[
            f"cannot be on time: {work} min of work from release {_time(p, order.release)} ends after due"
        ] += order.release + work - order.due
    top = [f"{text} ({minutes:,} min)" for text, minutes in causes.most_common(2) if minutes > 0]
    return "; ".join(top) if top else "late: the processing time itself ends after due"


def delay_causes(schedule: Schedule, i: int, plan: _Plan | None = None) -> Counter[str]:
    """What order i waits for along its steps, in minutes: its after_order, material, running
    work, downtime, off-shift time, changeovers, the orders that hold its machines."""
    plan = plan or _plan(schedule)
    material_ready = plan.material_ready
    p = schedule.problem
    order = p.orders[i]
    causes: Counter[str] = Counter()
    blockers: dict[int, Counter[int]] = {}  # machine -> order -> minutes it held the machine
    ready = max([order.release, *(schedule.completion(q) or 0 for q in order.predecessors)])
    if order.predecessors and ready > order.release:
        pred = max(order.predecessors, key=lambda q: schedule.completion(q) or 0)
        causes[f"waits for order {p.orders[pred].id} (after_order) until {_time(p, ready)}"] += (
            ready - order.release
        )
    for k in order.operations:
        start, m = schedule.start[k], schedule.machine[k]
        if k in p.running:
            causes[running_text(p, k, m)] += schedule.end[k] - max(ready, start)
            ready = schedule.end[k]
            continue
        material_time, material = material_ready.get(k, (0, -1))
        if material_time > ready:
            causes[f"waits for material {p.materials[material].id} until {_time(p, material_time)}"] += (
                min(material_time, start) - ready
            )
            ready = max(ready, min(material_time, start))
        if start > ready:
            machine = p.machines[m]
            down = sum(max(0, min(e, start) - max(s, ready)) for s, e in machine.downtime)
            if down:
                causes[f"{machine.id} down for maintenance"] += down
            for s, e in machine.off_shift:
                if s < start and e > ready:
                    causes[f"{machine.id} off shift {_window(p, s, e)}"] += min(e, start) - max(s, ready)
            gap = schedule.changeover_before.get(k, 0)
            if gap:
                before = p.mode(schedule.before_on_machine[k], m).family
                change = f"from family {p.families[before]} to {p.families[p.mode(k, m).family]}"
                causes[f"waits for a changeover on {machine.id} {change}"] += min(gap, start - ready)
            held = blockers.setdefault(m, Counter())
            for j in plan.running_within(schedule, m, ready, start):
                overlap = min(schedule.end[j], start) - max(schedule.start[j], ready)
                if j != k and overlap > 0:
                    held[p.operations[j].order] += overlap
        ready = schedule.end[k]
    for m, held in blockers.items():
        if held:
            causes[_busy_text(p, m, held)] += sum(held.values())
    return causes


def running_text(p: ProblemData, k: int, m: int) -> str:
    """'step 20 running since 2026-11-30 22:15 on M04, 2 h 10 left' (working time left)."""
    left = p.mode(k, m).duration
    since = p.running[k].strftime("%Y-%m-%d %H:%M")
    step, machine = p.operations[k].step, p.machines[m].id
    return f"step {step} running since {since} on {machine}, {left // 60} h {left % 60:02d} left"


def _busy_text(p: ProblemData, m: int, held: Counter[int]) -> str:
    """'M03 busy with tier-A/B orders O7, O2, O9 ...': the orders that held the machine, most first."""
    tiers = sorted({p.orders[o].tier for o in held}, key=p.tier_names.index)
    names = ", ".join(p.orders[o].id for o, _ in held.most_common(3)) + (" ..." if len(held) > 3 else "")
    return f"{p.machines[m].id} busy with tier-{'/'.join(tiers)} orders {names}"
