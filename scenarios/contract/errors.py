"""Input problems: every one names the table, the row key, the column and what is wrong."""

from __future__ import annotations

import errno
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


class EnvironmentFault(TierplanError):
    """The machine, not the input, stopped the run (exit 4): no space left, permission denied,
    a read-only or vanished folder, out of memory. Nothing half-written is left behind."""


class NoFeasiblePlanError(TierplanError):
    """No plan was found within the limits; ``diagnosis`` says what was found instead."""

    def __init__(self, diagnosis: list[str]) -> None:
        self.diagnosis = diagnosis
        super().__init__("\n".join(diagnosis))


def errors_only(problems: Iterable[Problem]) -> list[Problem]:
    """The problems that stop a run."""
    return [p for p in problems if p.severity == "error"]


ENVIRONMENT_ERRNOS = {
    errno.ENOSPC: "no space left on the device",
    errno.EDQUOT: "the disk quota is used up",
    errno.EROFS: "the file system is read-only",
    errno.EACCES: "permission denied",
    errno.EPERM: "operation not permitted",
    errno.ENOENT: "the folder does not exist (any more)",
    errno.ENOTDIR: "a part of the path is not a folder",
    errno.EIO: "an input/output error of the device",
    errno.ENOMEM: "out of memory",
}


def environment_fault(
    exc: OSError, what: str, path: object, needed: int | None = None
) -> EnvironmentFault | None:
    """``exc`` as an :class:`EnvironmentFault` (what failed, on which path, how much space was
    needed), or None when it is no fault of the environment."""
    cause = ENVIRONMENT_ERRNOS.get(exc.errno or 0)
    if cause is None:
        return None
    text = f"{what} {path}: {cause}"
    if needed is not None:
        text += f"; it needs about {_size(needed)}"
        free = _free_space(path)
        if free is not None:
            text += f", {_size(free)} are free there"
    return EnvironmentFault(text + "; nothing was written")


def _size(n: int) -> str:
    return f"{n / 1e6:,.1f} MB" if n >= 100_000 else f"{n / 1e3:,.0f} kB"


def _free_space(path: object) -> int | None:
    import shutil
    from pathlib import Path

    for folder in (Path(str(path)), *Path(str(path)).parents):
        try:
            return shutil.disk_usage(folder).free
        except OSError:
            continue
    return None
