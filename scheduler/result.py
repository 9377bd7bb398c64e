"""What a solve returns: the schedule, how good it is, and how it was found."""

from __future__ import annotations

from dataclasses import dataclass, field

from scheduler.schedule import Schedule


@dataclass(frozen=True)
class RoundSummary:
    """One CP-SAT round (one objective) or a dispatch rule."""

    name: str
    status: str
    objective: float | None
    bound: float | None
    seconds: float


@dataclass(frozen=True)
class ProgressEvent:
    """Sent while searching: the best plan and bound so far of the current round."""

    round: str
    round_index: int
    rounds: int
    objective: float | None
    bound: float | None
    elapsed_s: float
    time_limit_s: float

    @property
    def gap(self) -> float | None:
        return relative_gap(self.objective, self.bound)


@dataclass(frozen=True)
class Result:
    """The outcome of :func:`scheduler.solve.solve`.

    ``status`` is ``optimal`` (proved), ``feasible`` (a plan, not proved best) or
    ``heuristic`` (a dispatch rule alone). ``objective`` and ``bound`` are in the
    objective's own units (weighted minutes, or minutes for makespan).
    """

    schedule: Schedule
    status: str
    objective_name: str
    objective: float
    bound: float | None
    runtime_s: float
    solver: str
    source: str
    settings: dict[str, object]
    rounds: tuple[RoundSummary, ...] = ()
    dispatch: dict[str, float] = field(default_factory=dict)
    interrupted: bool = False  # a stop was requested: the best plan found until then
    stop_reason: str = ""

    @property
    def gap(self) -> float | None:
        return relative_gap(self.objective, self.bound)


def relative_gap(objective: float | None, bound: float | None) -> float | None:
    if objective is None or bound is None or objective != objective:
        return None
    if abs(objective) < 1e-9:
        return 0.0 if abs(bound) < 1e-9 else None
    return max(0.0, (objective - bound) / abs(objective))
