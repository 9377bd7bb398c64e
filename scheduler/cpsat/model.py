"""The CP-SAT model of a problem, solved in rounds (one objective per round)."""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from ortools.sat.python import cp_model

from scheduler.cpsat import constraints, objective
from scheduler.cpsat.hints import hint_schedule
from scheduler.cpsat.variables import Variables, create_variables
from scheduler.objectives import STABILITY, Goal, Round
from scheduler.problem import ProblemData
from scheduler.schedule import Schedule
from scheduler.stop import StopRequest

CONSTRAINT_FAMILIES = (
    constraints.add_one_mode_per_operation,
    constraints.add_step_order,
    constraints.add_after_order,
    constraints.add_machine_capacity,
    constraints.add_changeovers,
    constraints.add_materials,
    constraints.add_tardiness,
    constraints.add_deadlines,
)
Progress = Callable[[float, float, float], None]  # objective, bound, seconds into the round
Values = cp_model.CpSolver | cp_model.CpSolverSolutionCallback  # a solution's values
# With one worker the search stops after a fixed amount of work, measured in CP-SAT's
# deterministic time, so that the same input gives the same plan on a busy or idle
# machine. One worker does 0.05-0.4 units per second (measured: generated plants
# 0.05-0.09, job shops 0.2-0.4); 0.15 units per second of the limit ends searches
# within about 0.4-3x the limit.
DETERMINISTIC_PER_SECOND = 0.15
# ... and wall-clock time stops it at 10x the limit (at least 30 s) whatever happens: a guard
# that only a starved machine reaches (it would make the search depend on the load)
WALL_GUARD, WALL_GUARD_MIN_S = 10.0, 30.0
FLOOR_TOLERANCE = 1e-6  # of a bound in the cost's integer units: floating-point error only
# CP-SAT's local-search subsolvers (feasibility jump, and local search among the interleaved
# ones): in OR-Tools 9.15 they crash the process (SIGSEGV) now and then on models with
# circuits (google/or-tools#5357; docs/scheduling.md has our measurements), so models with
# changeover circuits run without them
LOCAL_SEARCH = ("fj", "ls")
CHECK_SECONDS = 2.0  # for CP-SAT to confirm that a plan made elsewhere is a plan of the model


@dataclass(frozen=True)
class SolverSettings:
    time_limit_s: float = 60.0
    workers: int = 0
    seed: int = 0
    log: bool = False
    parameters: tuple[tuple[str, object], ...] = ()  # extra CP-SAT parameters, set as given

    @property
    def deterministic(self) -> bool:
        """One worker: limits in deterministic time, so the same input gives the same plan."""
        return self.workers == 1


@dataclass(frozen=True)
class RoundResult:
    name: str
    status: str
    objective: float | None
    bound: float | None
    seconds: float
    schedule: Schedule | None


class _Callback(cp_model.CpSolverSolutionCallback):
    def __init__(
        self,
        scale: int,
        on_progress: Progress | None,
        on_solution: Callable[[Values], None] | None = None,
        enough: int | None = None,
    ) -> None:
        super().__init__()
        self.scale = scale
        self.on_progress = on_progress
        self.on_solution = on_solution
        self.enough = enough
        self.reached = False  # a plan at ``enough``: optimal, the search stopped
        self.last_objective = float("nan")

    def on_solution_callback(self) -> None:
        self.last_objective = self.objective_value / self.scale
        if self.on_progress:
            self.on_progress(self.last_objective, self.best_objective_bound / self.scale, self.wall_time)
        if self.on_solution:
            self.on_solution(self)
        if self.enough is not None and self.objective_value <= self.enough:
            self.reached = True
            self.stop_search()


def circuit_arcs(problem: ProblemData) -> int:
    """About how many arc literals the changeover circuits of the full model need."""
    candidates = [0] * len(problem.machines)
    for op in problem.operations:
        for mode in op.modes:
            candidates[mode.machine] += 1
    return sum(
        n * n for n, machine in zip(candidates, problem.machines, strict=True) if machine.has_changeovers
    )


class CpSatModel:
    """Builds the model once; each round minimises one expression, later rounds keep earlier values."""

    def __init__(
        self,
        problem: ProblemData,
        stop: StopRequest | None = None,
        relaxed: bool = False,
        changeovers: bool = True,
    ) -> None:
        """Raises :class:`~scheduler.stop.Stopped` if ``stop`` is requested while building.

        A ``relaxed`` model leaves out changeovers and pauses: its optimum is a lower bound
        of the problem's, found on a much smaller model; its plans are not plans. Without
        ``changeovers`` only those are left out: its plans are plans but for the changeovers.
        """
        self.problem = problem
        self.relaxed = relaxed
        self.model = cp_model.CpModel()
        self.vars: Variables = create_variables(self.model, problem, pauses=not relaxed)
        for add in CONSTRAINT_FAMILIES:
            if stop is not None:
                stop.check()
            if not ((relaxed or not changeovers) and add is constraints.add_changeovers):
                add(self.model, problem, self.vars)
        self.scale = problem.weight_scale
        if problem.cost_cap is not None:  # integer units, rounded down: the cap holds exactly
            cap = math.floor(problem.cost_cap * self.scale + 1e-6)
            self.model.add(objective.tier_cost(problem, self.vars, self.scale) <= cap)
        self._makespan: cp_model.IntVar | None = None
        self.stability = (
            objective.stability_variables(self.model, problem, self.vars)
            if problem.stability_in_objective
            else objective.Stability()
        )

    def expression(self, round_: Round) -> tuple[cp_model.LinearExprT, int]:
        """The expression to minimise in a round and the factor it is scaled by."""
        p, v, goal = self.problem, self.vars, round_.goal
        if goal is Goal.COST:
            cost = objective.tier_cost(p, v, self.scale)
            return cost + objective.stability(p, self.stability, self.scale), self.scale
        if goal is Goal.STABILITY:
            return objective.stability(p, self.stability, self.scale), self.scale
        if goal is Goal.TIER:
            return objective.tier_cost(p, v, self.scale, round_.tier), self.scale
        if goal is Goal.UNSCHEDULED:
            return objective.unscheduled_weight(p, v, self.scale), self.scale
        if goal is Goal.MAKESPAN:
            if self._makespan is None:
                self._makespan = objective.makespan(self.model, p, v)
            return self._makespan, 1
        return objective.sum_completion(p, v), 1  # Goal.COMPACT

    def value_of(self, round_: Round, schedule: Schedule) -> int:
        """The integer value the round's expression has for ``schedule``."""
        p, s, goal = self.problem, self.scale, round_.goal
        if round_.prices_orders:
            rank = round_.tier
            total = 0
            for i, o in enumerate(p.orders):
                if rank is not None and o.tier_rank != rank:
                    continue
                if schedule.is_scheduled(i):
                    total += round(o.weight * s) * schedule.tardiness(i)
                else:
                    total += round(p.unscheduled_penalty(i) * s)
            return total + (self.value_of(STABILITY, schedule) if goal is Goal.COST else 0)
        if goal is Goal.STABILITY:
            if not self.stability.moves:
                return 0
            moves = schedule.moves
            machine, sequence, moved, minute = (round(price * s) for price in p.stability.values)
            return (
                machine * moves.machine
                + sequence * moves.sequence
                + moved * moves.moved
                + minute * moves.minutes
            )
        if goal is Goal.UNSCHEDULED:
            return sum(round(o.weight * s) for i, o in enumerate(p.orders) if not schedule.is_scheduled(i))
        if goal is Goal.MAKESPAN:
            return schedule.makespan
        raise ValueError(f"no value for round {round_}")  # the compact round is never kept

    def keep_at_most(self, round_: Round, value: int) -> None:
        """Later rounds may not make this round's expression worse than ``value``."""
        self.keep_expression_at_most(self.expression(round_)[0], value)

    def keep_expression_at_most(self, expression: cp_model.LinearExprT, value: int) -> None:
        self.model.add(expression <= value)

    def require_scheduled(self, orders: list[int]) -> None:
        for i in orders:
            self.model.add(self.vars.present[i] == 1)

    def hint(self, schedule: Schedule) -> None:
        """Start the search from ``schedule`` (replacing any earlier hint)."""
        self.model.clear_hints()
        hint_schedule(self.model, self.problem, self.vars, schedule)
        if self._makespan is not None:
            self.model.add_hint(self._makespan, schedule.makespan)
        for move in self.stability.moves:
            k = move.operation
            machine, start = self.problem.previous[k]
            self.model.add_hint(move.moved, (schedule.machine[k], schedule.start[k]) != (machine, start))
            self.model.add_hint(
                move.minutes, abs(schedule.start[k] - start) if schedule.machine[k] >= 0 else 0
            )
        for (m, a, b), turned in self.stability.turned:
            on = schedule.machine[a] == m and schedule.machine[b] == m
            self.model.add_hint(turned, on and schedule.start[b] < schedule.start[a])

    def accepts(self, schedule: Schedule, settings: SolverSettings, stop: StopRequest | None = None) -> bool:
        """Whether ``schedule`` is a plan of this model (all its values fixed to the plan's)."""
        self.hint(schedule)
        fixing = ("fix_variables_to_their_hinted_value", True)
        fixed = replace(settings, parameters=(*settings.parameters, fixing))
        return self.minimise(0, 1, fixed, CHECK_SECONDS, stop=stop).schedule is not None

    def solve_round(
        self,
        round_: Round,
        settings: SolverSettings,
        seconds: float,
        on_progress: Progress | None = None,
        stop: StopRequest | None = None,
        floor: float | None = None,
    ) -> RoundResult:
        """Minimise the round's expression; a plan worth ``floor`` (a proven bound) ends it."""
        expr, scale = self.expression(round_)
        enough = None if floor is None else math.ceil(floor * scale - FLOOR_TOLERANCE)
        return self.minimise(
            expr, scale, settings, seconds, on_progress, stop, round_.goal.value, enough=enough
        )

    def minimise(
        self,
        expr: cp_model.LinearExprT,
        scale: int,
        settings: SolverSettings,
        seconds: float,
        on_progress: Progress | None = None,
        stop: StopRequest | None = None,
        name: str = "",
        on_solution: Callable[[Schedule], None] | None = None,
        enough: int | None = None,
    ) -> RoundResult:
        """Minimise ``expr`` (in units of 1 / ``scale``) for at most ``seconds``; each plan
        found goes to ``on_solution`` as it is found; one at most ``enough`` (a bound known
        elsewhere) ends the search, status OPTIMAL."""
        self.model.minimize(expr)
        solver = cp_model.CpSolver()
        self.configure(solver.parameters, settings, seconds)
        found = (lambda values: on_solution(self._extract(values))) if on_solution else None
        callback = _Callback(scale, on_progress, found, enough)
        began = time.perf_counter()
        if on_progress:
            solver.best_bound_callback = lambda bound: on_progress(
                callback.last_objective, bound / scale, time.perf_counter() - began
            )
        status = _solve_off_the_main_thread(solver, self.model, callback, stop or StopRequest())
        used = (
            solver.deterministic_time / DETERMINISTIC_PER_SECOND
            if settings.deterministic
            else time.perf_counter() - began
        )
        if self.relaxed:  # a bound, not a plan
            bound = (
                solver.best_objective_bound / scale
                if status in (cp_model.OPTIMAL, cp_model.FEASIBLE)
                else None
            )
            return RoundResult(name, "RELAXED " + solver.status_name(status), None, bound, used, None)
        if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            return RoundResult(name, solver.status_name(status), None, None, used, None)
        reached = callback.reached  # the search stopped at a plan worth ``enough``: nothing is better
        return RoundResult(
            name,
            "OPTIMAL" if reached else solver.status_name(status),
            solver.objective_value / scale,
            solver.objective_value / scale if reached else solver.best_objective_bound / scale,
            used,
            self._extract(solver),
        )

    def configure(self, params: Any, settings: SolverSettings, seconds: float) -> None:
        """CP-SAT's parameters for a round of at most ``seconds``."""
        params.num_workers = settings.workers
        params.random_seed = settings.seed
        params.log_search_progress = settings.log
        params.catch_sigint_signal = False  # signals are ours: they end the search through ``stop``
        # probing in presolve may take seconds on models with many optional intervals: keep
        # it to about a tenth of the round, none at all for the relaxed model (a bound only)
        params.presolve_probing_deterministic_time_limit = max(0.01, 0.02 * seconds)
        if self.relaxed:
            params.cp_model_probing_level = 0
        if self.vars.circuits:  # OR-Tools 9.15's local search crashes on changeover circuits
            params.ignore_subsolvers.extend(LOCAL_SEARCH)
        for key, value in settings.parameters:
            if isinstance(value, list | tuple):  # a repeated field, e.g. subsolvers
                getattr(params, key).extend(value)
            else:
                setattr(params, key, value)
        if settings.deterministic:
            params.max_deterministic_time = max(0.01, seconds * DETERMINISTIC_PER_SECOND)
            params.max_time_in_seconds = max(WALL_GUARD_MIN_S, WALL_GUARD * seconds)  # a guard only
        else:
            params.max_time_in_seconds = max(0.01, seconds)

    def _extract(self, solver: Values) -> Schedule:
        p, v = self.problem, self.vars
        machine = [-1] * len(p.operations)
        start = [-1] * len(p.operations)
        for k, op in enumerate(p.operations):
            if not solver.boolean_value(v.present[op.order]):
                continue
            ops = v.operations[k]
            machine[k] = next(m.machine for m in ops.modes if solver.boolean_value(m.chosen))
            start[k] = solver.value(ops.start)
        return Schedule(p, tuple(machine), tuple(start))


def _solve_off_the_main_thread(
    solver: cp_model.CpSolver,
    model: cp_model.CpModel,
    callback: cp_model.CpSolverSolutionCallback,
    stop: StopRequest,
) -> cp_model.CpSolverStatus:
    """``solver.solve`` in a helper thread while this one waits in short, interruptible steps.

    A thread blocked inside CP-SAT never runs Python's signal handlers; waiting here keeps
    them running, so a signal reaches ``stop`` at once. The search is then told to stop
    again at every step, since CP-SAT forgets a stop that comes before it has started.
    """
    outcome: list[cp_model.CpSolverStatus] = []
    failure: list[BaseException] = []

    def run() -> None:
        try:
            outcome.append(solver.solve(model, callback))
        except BaseException as exc:  # handed to the waiting thread
            failure.append(exc)

    worker = threading.Thread(target=run, name="cp-sat", daemon=True)
    worker.start()
    try:
        while worker.is_alive():
            if stop.requested:
                solver.stop_search()
            worker.join(0.1)
    except BaseException:
        solver.stop_search()  # an abort: end the search before leaving
        raise
    if failure:
        raise failure[0]
    return outcome[0]
