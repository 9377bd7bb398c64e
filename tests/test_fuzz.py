"""Fuzzing: valid generated scenarios, corrupted at random, through the real command line.

Every case must end in exit 1 with a readable message naming a table (or scenario.toml),
in exit 3 with a diagnosis, or in a plan that passes the independent checker; never in a
traceback or an internal error. ``make test`` runs a small budget; ``make fuzz`` sets
TIERPLAN_FUZZ_EXAMPLES for a large one.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import tomli_w
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from cli import app
from scenarios.contract.schema import TABLES
from scenarios.generators.scenario import PlantSpec, generate
from tests.helpers.cli import runner

pytestmark = pytest.mark.slow

EXAMPLES = int(os.environ.get("TIERPLAN_FUZZ_EXAMPLES", "40"))
DOC, TABLES_OK = generate(PlantSpec(orders=12, seed=11, horizon_days=3, machines=4))
DOC["solve"] = {"objective": "weighted_tardiness", "time_limit_s": 0.3, "workers": 1, "seed": 0}
NAMES = sorted(TABLES_OK)

ODD_VALUES = [
    "ten",
    "",
    " ",
    "1e999",
    float("nan"),
    float("inf"),
    -float("inf"),
    -5,
    0,
    1e300,
    2**63,
    -(2**63),
    10**13,
    True,
    "2026-12-01T06:00:00+02:00",
    "0001-01-01T00:00:00",
    "9999-12-31T23:59:00",
    "Ö-ℵ-🚀",
    'half "quoted',
    "a,b",
    "\x00",
]
ODD_IDS = ["Ö-ℵ-🚀", "O 1", "", "nan", "None", "1", "ＡＢＣ", "x" * 300]
TIMESTAMPS = [
    "2026-12-01T06:00:00+02:00",
    "0001-01-01T00:00:00",
    "9999-12-31T23:59:00",
    "2026-02-30T00:00:00",
    "12/01/2026",
    "1765000000",
]

Corruption = Callable[[dict[str, pd.DataFrame], st.DataObject], str]


def _table(tables: dict[str, pd.DataFrame], data: st.DataObject) -> str:
    return data.draw(st.sampled_from(sorted(tables)), label="table")


def _column(frame: pd.DataFrame, data: st.DataObject) -> str:
    return data.draw(st.sampled_from(list(frame.columns)), label="column") if len(frame.columns) else ""


def drop_column(tables: dict[str, pd.DataFrame], data: st.DataObject) -> str:
    name = _table(tables, data)
    column = _column(tables[name], data)
    if column:
        tables[name] = tables[name].drop(columns=[column])
    return f"drop {name}.{column}"


def rename_column(tables: dict[str, pd.DataFrame], data: st.DataObject) -> str:
    name = _table(tables, data)
    column = _column(tables[name], data)
    new = data.draw(st.sampled_from([column.upper(), column + " ", "Ö" + column, "", column[:-1]]))
    if column and new not in tables[name].columns:
        tables[name] = tables[name].rename(columns={column: new})
    return f"rename {name}.{column} -> {new!r}"


def odd_cell(tables: dict[str, pd.DataFrame], data: st.DataObject) -> str:
    name = _table(tables, data)
    frame = tables[name]
    column = _column(frame, data)
    if not column or frame.empty:
        return "nothing"
    row = data.draw(st.integers(0, len(frame) - 1), label="row")
    value = data.draw(st.sampled_from(ODD_VALUES), label="value")
    frame[column] = frame[column].astype(object)
    frame.iloc[row, frame.columns.get_loc(column)] = value
    return f"{name}[{row}].{column} = {value!r}"


def odd_timestamp(tables: dict[str, pd.DataFrame], data: st.DataObject) -> str:
    name = data.draw(st.sampled_from(["orders", "downtime", "receipts", "complaints", "payments"]))
    frame = tables[name]
    columns = [
        c
        for c in frame.columns
        if c in ("due", "release", "start", "end", "arrival", "opened_at", "due_date")
    ]
    if frame.empty or not columns:
        return "nothing"
    column = data.draw(st.sampled_from(columns))
    rows = data.draw(st.lists(st.integers(0, len(frame) - 1), min_size=1, max_size=len(frame)))
    value = data.draw(st.sampled_from(TIMESTAMPS))
    frame[column] = frame[column].astype(object)
    for row in rows:
        frame.iloc[row, frame.columns.get_loc(column)] = value
    return f"{name}.{column} rows {rows} = {value!r}"


def empty_table(tables: dict[str, pd.DataFrame], data: st.DataObject) -> str:
    name = _table(tables, data)
    keep_columns = data.draw(st.booleans())
    tables[name] = tables[name].iloc[0:0] if keep_columns else pd.DataFrame()
    return f"empty {name} (columns kept: {keep_columns})"


def extreme_numbers(tables: dict[str, pd.DataFrame], data: st.DataObject) -> str:
    name = _table(tables, data)
    frame = tables[name]
    numeric = [c for c in frame.columns if pd.api.types.is_numeric_dtype(frame[c])]
    if frame.empty or not numeric:
        return "nothing"
    column = data.draw(st.sampled_from(numeric))
    value = data.draw(st.sampled_from([1e17, -1.0, 10**12, 10**12 + 1, 5_259_600, 0.1 + 0.2, 1e-9, 3.3e-5]))
    frame[column] = value
    return f"{name}.{column} = {value!r} everywhere"


def duplicate_or_odd_ids(tables: dict[str, pd.DataFrame], data: st.DataObject) -> str:
    name = data.draw(st.sampled_from(["orders", "machines", "customers", "materials", "complaints"]))
    frame = tables[name]
    key = TABLES[name].key[0]
    if len(frame) < 2 or key not in frame:
        return "nothing"
    frame[key] = frame[key].astype(object)
    if data.draw(st.booleans()):
        frame.iloc[1, frame.columns.get_loc(key)] = frame.iloc[0][key]
        return f"duplicate {name}.{key}"
    odd = data.draw(st.sampled_from(ODD_IDS))
    old = frame.iloc[0][key]
    frame.iloc[0, frame.columns.get_loc(key)] = odd
    if data.draw(st.booleans()):  # rename it everywhere it is referenced, too
        for other in tables.values():
            if key in other.columns:
                other[key] = other[key].astype(object).replace(old, odd)
    return f"{name}.{key} {old!r} -> {odd!r}"


CORRUPTIONS: list[Corruption] = [
    drop_column,
    rename_column,
    odd_cell,
    odd_timestamp,
    empty_table,
    extreme_numbers,
    duplicate_or_odd_ids,
]


def write(folder: Path, tables: dict[str, pd.DataFrame], data: st.DataObject) -> list[str]:
    """Each table as Parquet or CSV; some files damaged on the way (truncated, stray quote, BOM)."""
    notes = []
    for name, frame in tables.items():
        fmt = data.draw(st.sampled_from(["parquet", "csv"]), label=f"{name} format")
        path = folder / f"{name}.{fmt}"
        if fmt == "parquet":
            try:
                frame.to_parquet(path, index=False)
            except Exception:  # a column pyarrow cannot hold as it is: as text, as an export would
                frame.astype(str).to_parquet(path, index=False)
        else:
            frame.to_csv(path, index=False)
        damage = data.draw(st.sampled_from(["none"] * 40 + ["truncate", "quote", "bom", "garbage"]))
        raw = path.read_bytes()
        if damage == "truncate":
            path.write_bytes(raw[: len(raw) // 2])
        elif damage == "quote" and fmt == "csv":
            at = data.draw(st.integers(0, max(0, len(raw) - 1)))
            path.write_bytes(raw[:at] + b'"' + raw[at:])
        elif damage == "bom" and fmt == "csv":
            path.write_bytes(b"\xef\xbb\xbf" + raw)
        elif damage == "garbage":
            path.write_bytes(bytes(data.draw(st.lists(st.integers(0, 255), max_size=64))))
        if damage != "none":
            notes.append(f"{path.name}: {damage}")
    return notes


def settings_text(data: st.DataObject) -> str:
    doc = {k: dict(v) for k, v in DOC.items()}
    change = data.draw(st.sampled_from(["none"] * 12 + ["horizon", "start", "weights", "junk"]))
    if change == "horizon":
        doc["plan"]["horizon_days"] = data.draw(st.sampled_from([0, -1, 0.0001, 3653, 4000, 1e9]))
    elif change == "start":
        doc["plan"]["start"] = data.draw(st.sampled_from(["yesterday", "0001-01-01T00:00:00", "9999-12-31"]))
    elif change == "weights":
        doc["tiers"]["weights"] = {"A": data.draw(st.sampled_from([0, -1, 1e7, 1e6, 0.001])), "B": 2, "C": 1}
    text = tomli_w.dumps(doc)
    return text + "\n[[junk\n" if change == "junk" else text


def run(*args: object) -> tuple[int, str]:
    result = runner.invoke(app, [str(a) for a in args])
    output = result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    assert "Traceback" not in output and "internal error" not in output, output
    return result.exit_code, output


@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(data=st.data(), solver=st.sampled_from(["dispatch:atc", "dispatch:tier_edd", "cpsat"]))
def test_a_corrupted_scenario_is_rejected_clearly_or_planned_correctly(
    data: st.DataObject, solver: str
) -> None:
    tables = {name: frame.copy() for name, frame in TABLES_OK.items()}
    done = [
        data.draw(st.sampled_from(CORRUPTIONS))(tables, data) for _ in range(data.draw(st.integers(1, 3)))
    ]
    folder = Path(tempfile.mkdtemp(prefix="fuzz-"))
    try:
        scenario = folder / "scenario"
        scenario.mkdir()
        (scenario / "scenario.toml").write_text(settings_text(data), encoding="utf-8")
        done += write(scenario, tables, data)
        code, output = run("schedule", scenario, "--out", folder / "plan", "--solver", solver, "--quiet")
        assert code in (0, 1, 3), f"{done}: exit {code}\n{output}"
        event(f"exit {code}")
        if code == 1:
            named = [*TABLES, "scenario.toml", str(scenario)]
            errors = [line for line in output.splitlines() if line.startswith("error: ")]
            assert errors and all(any(n in line for n in named) for line in errors), f"{done}\n{output}"
            assert not (folder / "plan").exists()
        elif code == 3:
            assert "no feasible plan found" in output, f"{done}\n{output}"
        else:
            code, output = run("check", scenario, folder / "plan")
            assert code == 0, f"{done}\n{output}"
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def test_the_corpus_of_odd_values_is_wide() -> None:
    """A guard against the fuzzer quietly shrinking to nothing."""
    assert len(CORRUPTIONS) >= 7 and np.isnan(ODD_VALUES[4]) and len(NAMES) == 14
