"""Reading a batch folder back."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pandas as pd

from tests.helpers.processes import TIERPLAN


def summary_of(out: Path) -> pd.DataFrame:
    return pd.read_parquet(out / "batch_summary.parquet").set_index("folder")


def check(scenario: Path, plan: Path) -> None:
    result = subprocess.run([TIERPLAN, "check", scenario, plan], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
