"""How to solve: the objective, the limits, the solver, and the prices of re-planning moves.

A module of its own, so that reading settings and building starts need not load the
solver (`scheduler.solve`, and with it CP-SAT).
"""

from __future__ import annotations

from dataclasses import dataclass

from scheduler.objectives import Objective, objective_named
from scheduler.problem import DEFAULT_STABILITY_BUDGET, DEFAULT_STABILITY_WEIGHT, StabilityPrices
from scheduler.rules import RULE_NAMES

SOLVERS = ("cpsat", *(f"dispatch:{r}" for r in RULE_NAMES))


@dataclass(frozen=True)
class SolveOptions:
    objective: str = Objective.WEIGHTED_TARDINESS
    time_limit_s: float = 60.0
    workers: int = 0
    seed: int = 0
    solver: str = "cpsat"
    log: bool = False
    parameters: tuple[tuple[str, object], ...] = ()  # extra CP-SAT parameters (name, value)
    # re-planning: what moving an operation of the previous plan costs (StabilityPrices),
    # all four times stability_weight (0: off)
    stability_weight: float = DEFAULT_STABILITY_WEIGHT
    stability_machine: float = StabilityPrices.machine
    stability_sequence: float = StabilityPrices.sequence
    stability_moved: float = StabilityPrices.moved
    stability_minute: float = StabilityPrices.minute
    # ... within this share above the cheapest re-plan found (weighted tardiness; scheduler/budget.py)
    stability_budget: float = DEFAULT_STABILITY_BUDGET

    @property
    def stability_prices(self) -> StabilityPrices:
        prices = (
            self.stability_machine,
            self.stability_sequence,
            self.stability_moved,
            self.stability_minute,
        )
        return StabilityPrices(*prices).times(self.stability_weight)

    def check(self) -> None:
        objective_named(self.objective)
        if self.solver not in SOLVERS:
            raise ValueError(f"unknown solver {self.solver!r}; expected one of {', '.join(SOLVERS)}")
        prices = (
            self.stability_weight,
            self.stability_machine,
            self.stability_sequence,
            self.stability_moved,
            self.stability_minute,
            self.stability_budget,
        )
        if self.time_limit_s <= 0 or self.workers < 0 or self.seed < 0 or min(prices) < 0:
            raise ValueError("time limit must be > 0, workers, seed and the stability prices and budget >= 0")
