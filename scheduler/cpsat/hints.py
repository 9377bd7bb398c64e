"""A complete hint from a schedule: every variable of the model gets the schedule's value.

CP-SAT takes a complete, feasible hint as its first solution without any search, which
matters on large models; variables of absent orders and unchosen modes get their lowest
values.
"""

from __future__ import annotations

from ortools.sat.python import cp_model

from scheduler.cpsat.variables import Circuit, ModeVars, Variables
from scheduler.problem import ProblemData
from scheduler.schedule import Schedule


def _lowest(var: cp_model.IntVar) -> int:
    return int(var.proto.domain[0])


def hint_schedule(model: cp_model.CpModel, problem: ProblemData, v: Variables, schedule: Schedule) -> None:
    for i, order in enumerate(problem.orders):
        on = schedule.is_scheduled(i)
        model.add_hint(v.present[i], on)
        tardiness = v.tardiness[i]
        if tardiness is not None:
            model.add_hint(tardiness, schedule.tardiness(i) if on else 0)
        for k in order.operations:
            if k in problem.fixed:  # constants (shared by equal values): nothing to hint
                continue
            ops = v.operations[k]
            start = schedule.start[k] if on else _lowest(ops.start)
            model.add_hint(ops.start, start)
            model.add_hint(ops.end, schedule.end[k] if on else _lowest(ops.end))
            for mode in ops.modes:
                chosen = on and mode.machine == schedule.machine[k]
                if len(ops.modes) > 1:
                    model.add_hint(mode.chosen, chosen)
                _hint_pause(model, mode, (start, schedule.end[k]) if chosen else None)
    for m, circuit in v.circuits.items():
        _hint_circuit(model, problem, schedule, m, circuit)


def _hint_pause(model: cp_model.CpModel, mode: ModeVars, placed: tuple[int, int] | None) -> None:
    """The segment a resumable mode starts in, and its length with pauses."""
    if mode.pause is None or mode.end is None:
        return
    pause = mode.pause
    model.add_hint(mode.end, _lowest(mode.end) if placed is None else placed[1])
    model.add_hint(pause.size, _lowest(pause.size) if placed is None else placed[1] - placed[0])
    for literal, (lo, hi, _) in pause.segments:
        model.add_hint(literal, placed is not None and lo <= placed[0] <= hi)


def _hint_circuit(
    model: cp_model.CpModel, problem: ProblemData, schedule: Schedule, m: int, c: Circuit
) -> None:
    """The machine's operations in start order, closed through the depot."""
    order = []
    for node, (k, j) in enumerate(c.nodes, start=1):
        if k < 0:
            held = problem.machines[m].held[j]
            order.append((held.start, held.end, node))
        elif schedule.machine[k] == problem.operations[k].modes[j].machine:
            order.append((schedule.start[k], schedule.end[k], node))
    sequence = [node for _, _, node in sorted(order)]
    used = set(zip([0, *sequence], [*sequence, 0], strict=True)) if sequence else {(0, 0)}
    for arc, literal in c.arcs.items():
        model.add_hint(literal, arc in used)
