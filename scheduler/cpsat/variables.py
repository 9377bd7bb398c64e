"""Decision variables of the CP-SAT model, with tight domains taken from the problem.

Working time is encoded in the start domains: an operation that may not pause can only
start where it fits one stretch of its machine's working time. A resumable operation
that may meet a break gets its own end, tied to its start through the stretches it
starts and ends in (element constraints over the stretches' offsets).
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass, field

from ortools.sat.python import cp_model

from scheduler.problem import Mode, ProblemData
from scheduler.worktime import WorkingTime


@dataclass
class Pause:
    """A resumable mode's length with its pauses, and the segments its start may lie in."""

    size: cp_model.IntVar  # end - start, pauses included
    segments: list[tuple[cp_model.IntVar, tuple[int, int, int]]]  # literal, (lo, hi, pause)


@dataclass
class ModeVars:
    machine: int
    duration: int
    family: int
    chosen: cp_model.IntVar
    interval: cp_model.IntervalVar
    end: cp_model.IntVar | None = None  # a resumable mode's own end (else the operation's)
    pause: Pause | None = None


@dataclass
class OperationVars:
    start: cp_model.IntVar
    end: cp_model.IntVar
    modes: list[ModeVars]


@dataclass
class Circuit:
    """The sequence of one machine with changeovers: node 0 is the depot, then operation modes
    (operation index, mode), then the held operations; ``arcs`` maps (tail, head) to its literal."""

    nodes: list[tuple[int, int]]  # (operation, position of the mode in its modes), or (-1, held index)
    arcs: dict[tuple[int, int], cp_model.IntVar]


@dataclass
class Variables:
    present: list[cp_model.IntVar]  # per order: is it scheduled?
    operations: list[OperationVars]
    tardiness: list[cp_model.IntVar | None]  # None where the order can never be late
    circuits: dict[int, Circuit] = field(default_factory=dict)  # per machine with changeovers
    fits: list[bool] = field(default_factory=list)  # per order: do its steps fit the horizon at all?

    def completion(self, problem: ProblemData, order: int) -> cp_model.IntVar:
        return self.operations[problem.orders[order].last_op].end


def _starts(working: WorkingTime, mode: Mode, lo: int, hi: int) -> list[tuple[int, int]]:
    """Where ``mode`` may start inside [lo, hi], as inclusive ranges."""
    out = []
    for a, b in working.start_domain(mode.duration, mode.resumable):
        a, b = max(a, lo), min(b, hi)
        if a <= b:
            out.append((a, b))
    return out


def create_variables(model: cp_model.CpModel, problem: ProblemData, pauses: bool = True) -> Variables:
    """Presence per order, start/end and one optional interval per machine per operation.

    Domains come from the earliest starts and latest ends that release dates, step order,
    after_order chains, working time and the horizon allow. An order that cannot fit at
    all is fixed absent. Without ``pauses`` a resumable step is taken as if it never paused
    (a relaxation: it can only end earlier).
    """
    est, lend, horizon = problem.earliest_starts, problem.latest_ends, problem.horizon
    present = [model.new_bool_var(f"present[{o.id}]") for o in problem.orders]
    windows: list[list[list[tuple[int, int]]]] = []  # per operation, per mode: its starts
    for k, op in enumerate(problem.operations):
        if k in problem.fixed:  # where it is: on its machine, from its start
            machine, at = problem.fixed[k]
            windows.append([[(at, at)] if m.machine == machine else [] for m in op.modes])
            continue
        lo, hi = est[k], lend[k] - op.min_duration
        if k in problem.windows:
            lo, hi = max(lo, problem.windows[k][0]), min(hi, problem.windows[k][1])
        windows.append([_starts(problem.machines[m.machine].working, m, lo, hi) for m in op.modes])
    fits = [all(any(windows[k]) for k in o.operations) for o in problem.orders]
    for i, ok in enumerate(fits):
        if i in problem.frozen_orders:
            model.add(present[i] == 1)  # a frozen order stays, even if that makes the model infeasible
        elif not ok:
            model.add(present[i] == 0)
    operations = []
    for k, op in enumerate(problem.operations):
        if fits[op.order]:
            operations.append(_operation(model, problem, k, windows[k], present, pauses))
        else:  # an order that cannot be scheduled: any values, the simplest intervals
            operations.append(_operation(model, problem, k, [[(0, horizon)]] * len(op.modes), present, False))
    tardiness: list[cp_model.IntVar | None] = []
    for order in problem.orders:
        worst = max(0, horizon - order.due)
        tardiness.append(model.new_int_var(0, worst, f"tardiness[{order.id}]") if worst > 0 else None)
    return Variables(present, operations, tardiness, fits=fits)


def _operation(
    model: cp_model.CpModel,
    problem: ProblemData,
    k: int,
    starts: list[list[tuple[int, int]]],
    present: list[cp_model.IntVar],
    pauses: bool,
) -> OperationVars:
    op = problem.operations[k]
    name = f"{problem.orders[op.order].id},{op.step}"
    if k in problem.fixed:
        return _fixed_operation(model, problem, k, present, name)
    union = sorted(r for ranges in starts for r in ranges) or [(0, 0)]
    domain = cp_model.Domain.from_intervals([list(r) for r in union])
    start = model.new_int_var_from_domain(domain, f"start[{name}]")
    lo = union[0][0]
    end = model.new_int_var(lo + op.min_duration, max(lo + op.min_duration, problem.horizon), f"end[{name}]")
    modes = []
    for mode, ranges in zip(op.modes, starts, strict=True):
        if len(op.modes) == 1:
            chosen = present[op.order]
        else:
            chosen = model.new_bool_var(f"mode[{name},{mode.machine}]")
            if not ranges:
                model.add(chosen == 0)
            elif ranges != union:
                own = cp_model.Domain.from_intervals([list(r) for r in ranges])
                model.add_linear_expression_in_domain(start, own).only_enforce_if(chosen)
        modes.append(_mode(model, problem, mode, ranges if pauses else [], start, end, chosen, name))
    return OperationVars(start, end, modes)


def _fixed_operation(
    model: cp_model.CpModel, problem: ProblemData, k: int, present: list[cp_model.IntVar], name: str
) -> OperationVars:
    """An operation that keeps its machine and start (frozen, or running on the shop floor):
    constants, and one interval from its start to its end, pauses included."""
    op = problem.operations[k]
    machine, at = problem.fixed[k]
    finish = problem.fixed_end(k)
    start, end = model.new_constant(at), model.new_constant(finish)
    modes = []
    for mode in op.modes:
        if len(op.modes) == 1:
            chosen = present[op.order]
        else:
            chosen = model.new_bool_var(f"mode[{name},{mode.machine}]")
            model.add(chosen == int(mode.machine == machine))
        size = finish - at if mode.machine == machine else mode.duration
        interval = model.new_optional_fixed_size_interval_var(at, size, chosen, f"run[{name},{mode.machine}]")
        own_end = end if mode.machine == machine and size != mode.duration else None
        modes.append(ModeVars(mode.machine, mode.duration, mode.family, chosen, interval, own_end))
    return OperationVars(start, end, modes)


def _mode(
    model: cp_model.CpModel,
    problem: ProblemData,
    mode: Mode,
    ranges: list[tuple[int, int]],
    start: cp_model.IntVar,
    end: cp_model.IntVar,
    chosen: cp_model.IntVar,
    name: str,
) -> ModeVars:
    """The interval of one alternative; a resumable one that may meet a break gets its own end."""
    working = problem.machines[mode.machine].working
    label = f"run[{name},{mode.machine}]"
    valid = bool(ranges) and working.stretch_at(ranges[0][0]) >= 0
    if valid and mode.resumable and mode.duration > 0:
        first, last = ranges[0][0], ranges[-1][1]
        if working.breaks_within(first, working.finish(last, mode.duration, True)):
            own_end, size, pause = _paused_end(model, working, mode, start, chosen, first, last, name)
            interval = model.new_optional_interval_var(start, size, own_end, chosen, label)
            model.add(end == own_end).only_enforce_if(chosen)
            return ModeVars(mode.machine, mode.duration, mode.family, chosen, interval, own_end, pause)
    interval = model.new_optional_fixed_size_interval_var(start, mode.duration, chosen, label)
    model.add(end == start + mode.duration).only_enforce_if(chosen)
    return ModeVars(mode.machine, mode.duration, mode.family, chosen, interval)


def pause_segments(working: WorkingTime, duration: int, first: int, last: int) -> list[tuple[int, int, int]]:
    """Where a resumable operation may start in [first, last], split by how long it pauses.

    Each (lo, hi, pause) says: starting anywhere in [lo, hi], the operation ends at
    start + duration + pause, pause being the non-working time between the stretch it
    starts in and the stretch its last working minute falls in.
    """
    a = [x for x, _ in working.stretches]
    worked = working.worked_before
    off = [x - w for x, w in zip(a, worked, strict=True)]
    ends = [w + y - x for (x, y), w in zip(working.stretches, worked, strict=True)]  # worked by each end
    out = []
    for i in range(max(0, working.stretch_at(first)), len(a)):
        if a[i] > last:
            break
        lo, hi = max(a[i], first), min(working.stretches[i][1] - 1, last)
        if lo > hi:
            continue
        # the working minute reached at the end, for a start at lo and at hi
        j_lo = bisect.bisect_left(ends, lo - off[i] + duration)
        j_hi = bisect.bisect_left(ends, hi - off[i] + duration)
        for j in range(j_lo, min(j_hi, len(a) - 1) + 1):
            s_lo = max(lo, worked[j] - duration + off[i] + 1)
            s_hi = min(hi, ends[j] - duration + off[i])
            if s_lo <= s_hi:
                out.append((s_lo, s_hi, off[j] - off[i]))
    return out


def _paused_end(
    model: cp_model.CpModel,
    working: WorkingTime,
    mode: Mode,
    start: cp_model.IntVar,
    chosen: cp_model.IntVar,
    first: int,
    last: int,
    name: str,
) -> tuple[cp_model.IntVar, cp_model.IntVar, Pause]:
    """The end of a resumable mode: start + duration + the non-working time it pauses over.

    One literal per stretch of starts that pauses the same time (:func:`pause_segments`):
    exactly one holds when the mode is chosen, fixing the start's range and the pause.
    """
    d = mode.duration
    segments = pause_segments(working, d, first, last)
    pauses = [g for _, _, g in segments]
    end = model.new_int_var(first + d, last + d + max(pauses), f"end[{name},{mode.machine}]")
    size = model.new_int_var(d, d + max(pauses), f"size[{name},{mode.machine}]")
    literals = []
    for lo, hi, _ in segments:
        x = model.new_bool_var("")
        model.add_linear_expression_in_domain(start, cp_model.Domain(lo, hi)).only_enforce_if(x)
        literals.append(x)
    model.add(sum(literals) == chosen)
    model.add(size == d + sum(g * x for g, x in zip(pauses, literals, strict=True)))
    return end, size, Pause(size, list(zip(literals, segments, strict=True)))
