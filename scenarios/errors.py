"""Input problems: every one names the table, the row key, the column and what is wrong."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an input.

    Parameters
    ----------
    table
        The table (``orders``), file (``scenario.toml``) or folder the problem is in.
    key
        The row it concerns, e.g. ``order_id=O-17`` or ``row 12``; empty for table-level problems.
    column
        The column (or settings key) concerned; empty when the problem is about the whole row.
    message
        What was found and what is expected.
    severity
        ``"error"`` stops the run, ``"warning"`` is reported and the run goes on.
    """

    table: str
    key: str
    column: str
    message: str
    severity: str = "error"

    def __str__(self) -> str:
        where = self.table
        if self.key:
            where += f" {self.key}" if self.key.startswith("[") else f" [{self.key}]"
        if self.column:
            where += f" {self.column}"
        return f"{where}: {self.message}"


class TierplanError(Exception):
    """Base class of the errors the command line turns into exit codes."""


class InputError(TierplanError):
    """The input is invalid; carries every problem found."""

    def __init__(self, problems: Iterable[Problem]) -> None:
        self.problems = [p for p in problems if p.severity == "error"]
        self.warnings = [p for p in problems if p.severity != "error"]
        lines = [str(p) for p in self.problems]
        super().__init__("\n".join(lines) if lines else "invalid input")


class UsageError(TierplanError, ValueError):
    """A command was asked for something it cannot do (exit 2), e.g. a malformed option value."""


class OutputExistsError(TierplanError):
    """The output folder exists and replacing it was not asked for."""


class NoFeasiblePlanError(TierplanError):
    """No plan was found within the limits; ``diagnosis`` says what was found instead."""

    def __init__(self, diagnosis: list[str]) -> None:
        self.diagnosis = diagnosis
        super().__init__("\n".join(diagnosis))


def errors_only(problems: Iterable[Problem]) -> list[Problem]:
    """The problems that stop a run."""
    return [p for p in problems if p.severity == "error"]
