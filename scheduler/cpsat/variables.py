"""Decision variables of the CP-SAT model, with tight domains taken from the problem."""

from __future__ import annotations

from dataclasses import dataclass

from ortools.sat.python import cp_model

from scheduler.problem import ProblemData

Literal = cp_model.IntVar | int


@dataclass
class ModeVars:
    machine: int
    duration: int
    chosen: cp_model.IntVar
    interval: cp_model.IntervalVar


@dataclass
class OperationVars:
    start: cp_model.IntVar
    end: cp_model.IntVar
    modes: list[ModeVars]


@dataclass
class Variables:
    present: list[cp_model.IntVar]  # per order: is it scheduled?
    operations: list[OperationVars]
    tardiness: list[cp_model.IntVar | None]  # None where the order can never be late

    def completion(self, problem: ProblemData, order: int) -> cp_model.IntVar:
        return self.operations[problem.orders[order].last_op].end


def create_variables(model: cp_model.CpModel, problem: ProblemData) -> Variables:
    """Presence per order, start/end and one optional interval per machine per operation.

    Domains come from the earliest starts and latest ends that release dates, step
    order, after_order chains and the horizon allow. An order that cannot fit at all is
    fixed absent.
    """
    est, lend, horizon = problem.earliest_starts, problem.latest_ends, problem.horizon
    present = [model.new_bool_var(f"present[{o.id}]") for o in problem.orders]
    fits = [
        all(est[k] + problem.operations[k].min_duration <= lend[k] for k in o.operations)
        for o in problem.orders
    ]
    for i, ok in enumerate(fits):
        if i in problem.frozen_orders:
            model.add(present[i] == 1)  # a frozen order stays, even if that makes the model infeasible
        elif not ok:
            model.add(present[i] == 0)
    operations: list[OperationVars] = []
    for k, op in enumerate(problem.operations):
        order = problem.orders[op.order]
        lo, hi = (est[k], lend[k]) if fits[op.order] else (0, horizon)
        start = model.new_int_var(lo, max(lo, hi - op.min_duration), f"start[{order.id},{op.step}]")
        end = model.new_int_var(
            lo + op.min_duration, max(lo + op.min_duration, hi), f"end[{order.id},{op.step}]"
        )
        modes = []
        for mode in op.modes:
            if len(op.modes) == 1:
                chosen = present[op.order]
            else:
                chosen = model.new_bool_var(f"mode[{order.id},{op.step},{mode.machine}]")
                if lo + mode.duration > hi:
                    model.add(chosen == 0)
            interval = model.new_optional_fixed_size_interval_var(
                start, mode.duration, chosen, f"run[{order.id},{op.step},{mode.machine}]"
            )
            model.add(end == start + mode.duration).only_enforce_if(chosen)
            modes.append(ModeVars(mode.machine, mode.duration, chosen, interval))
        if k in problem.fixed:
            machine, at = problem.fixed[k]
            model.add(start == at)
            for m in modes:
                model.add(m.chosen == int(m.machine == machine))
        operations.append(OperationVars(start, end, modes))
    tardiness: list[cp_model.IntVar | None] = []
    for order in problem.orders:
        worst = max(0, horizon - order.due)
        tardiness.append(model.new_int_var(0, worst, f"tardiness[{order.id}]") if worst > 0 else None)
    return Variables(present, operations, tardiness)
