"""Customer grading: credit, amount, profit and prospects, composite score, tiers, report."""

from grading.config import GradingConfig
from grading.tiers import grade, migrations

__all__ = ["GradingConfig", "grade", "migrations"]
