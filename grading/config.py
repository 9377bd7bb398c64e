"""How to grade: the window, the weights, the tier method and its parameters."""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

GRADING_METHODS = ("ratio", "pareto", "score")
NORMALIZATIONS = ("percentile", "minmax")
PARETO_BASES = ("profit", "amount")


@dataclass(frozen=True)
class GradingConfig:
    """The ``[grading]`` settings; ``as_of`` must be set before grading."""

    as_of: pd.Timestamp | None = None
    tier_names: tuple[str, ...] = ("A", "B", "C")
    window_months: int = 12
    weights: dict[str, float] = field(
        default_factory=lambda: {"credit": 0.10, "amount": 0.30, "profit": 0.60}
    )
    method: str = "ratio"
    ratios: dict[str, float] = field(default_factory=lambda: {"A": 0.20, "B": 0.30, "C": 0.50})
    normalization: str = "percentile"
    default_margin: float = 0.25
    pareto_basis: str = "profit"
    pareto_shares: dict[str, float] = field(default_factory=lambda: {"A": 0.80, "B": 0.95})
    thresholds: dict[str, float] = field(default_factory=lambda: {"A": 70.0, "B": 40.0})
    balance: bool = False  # also propose the fewest moves that balance the reps' portfolios

    @property
    def window_start(self) -> pd.Timestamp:
        """Rows dated after this day and up to ``as_of`` (inclusive) count."""
        if self.as_of is None:
            raise ValueError("grading needs an as_of date")
        return self.as_of - pd.DateOffset(months=self.window_months)
