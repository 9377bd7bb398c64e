"""Typed conversion of raw table columns, vectorised, reporting every bad cell."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd

from scenarios.contract.errors import Problem
from scenarios.contract.schema import Column, Table

TIME_DTYPE = "datetime64[us]"
_DAY_US = 86_400_000_000
_MAX_LISTED = 20  # bad cells listed one by one per column before they are summarised


@dataclass
class Converted:
    """A table with typed columns, and what was wrong in it."""

    frame: pd.DataFrame
    problems: list[Problem]


def row_labels(raw: pd.DataFrame, table: Table) -> pd.Series:
    """A readable key per row: ``order_id=O-17`` or ``row 12, customer_id=C3``."""
    position = pd.Series([f"row {i + 1}" for i in range(len(raw))], index=raw.index, dtype=object)
    parts: list[pd.Series] = []
    for name in table.label_columns:
        if name in raw.columns:
            parts.append(name + "=" + raw[name].astype(object).where(raw[name].notna(), "").astype(str))
    if not parts:
        return position
    label = parts[0]
    for part in parts[1:]:
        label = label + ", " + part
    if table.unique:
        return label.where(raw[table.key[0]].notna(), position) if table.key[0] in raw else position
    return position + ", " + label


def _is_missing(values: pd.Series) -> pd.Series:
    missing = values.isna()
    if isinstance(values.dtype, pd.CategoricalDtype):
        categories = values.cat.categories
        blank = categories[categories.astype(str).str.strip() == ""]
        if len(blank):
            missing |= values.isin(blank)
    elif values.dtype == object:
        blank = values.map(lambda v: isinstance(v, str) and not v.strip())
        missing |= blank.astype(bool)
    elif pd.api.types.is_string_dtype(values.dtype):
        missing |= values.str.strip().eq("").fillna(False).astype(bool)
    return missing


def _to_str(values: pd.Series, categorical: bool = False) -> tuple[pd.Series, pd.Series]:
    if isinstance(values.dtype, pd.CategoricalDtype) and not categorical:
        values = values.astype(object).where(values.notna(), None)
    if isinstance(values.dtype, pd.CategoricalDtype):
        categories = values.cat.categories
        if not pd.api.types.is_string_dtype(categories.dtype) or categories.dtype == object:
            values = values.cat.rename_categories([str(c) for c in categories])
        return values, pd.Series(False, index=values.index)
    if pd.api.types.is_string_dtype(values.dtype) and values.dtype != object:
        return values.astype("str"), pd.Series(False, index=values.index)
    if pd.api.types.is_float_dtype(values.dtype):
        integral = values.notna() & (values % 1 == 0)
        text = values.astype(object)
        text[integral] = values[integral].astype("int64").astype(str)
        return text.where(values.notna(), None).astype("str"), pd.Series(False, index=values.index)
    text = values.astype(object).map(lambda v: v if v is None or isinstance(v, str) else str(v))
    return text.astype("str"), pd.Series(False, index=values.index)


def _to_number(values: pd.Series, integer: bool) -> tuple[pd.Series, pd.Series]:
    if pd.api.types.is_bool_dtype(values.dtype):
        number = pd.Series(np.nan, index=values.index)
        return number, values.notna()
    if pd.api.types.is_numeric_dtype(values.dtype):
        number = values.to_numpy(dtype="float64", na_value=np.nan)
    else:
        number = pd.to_numeric(values.astype(object), errors="coerce").to_numpy(
            dtype="float64", na_value=np.nan
        )
    given = values.notna().to_numpy()
    bad = given & ~np.isfinite(number)
    if integer:  # whole, and inside the range where doubles still count every integer
        with np.errstate(invalid="ignore"):  # inf % 1 is nan: already marked bad above
            bad |= np.isfinite(number) & ((number % 1 != 0) | (np.abs(number) > 2**53))
    if bad.any():
        number = np.where(bad, np.nan, number)
    typed = pd.Series(number, index=values.index, copy=False)
    return (typed.astype("Int64") if integer else typed), pd.Series(bad, index=values.index, copy=False)


def _to_time(values: pd.Series, date: bool) -> tuple[pd.Series, pd.Series]:
    if isinstance(values.dtype, pd.DatetimeTZDtype):
        return pd.Series(pd.NaT, index=values.index, dtype=TIME_DTYPE), values.notna()
    if pd.api.types.is_datetime64_dtype(values.dtype):
        parsed = values.astype(TIME_DTYPE)
    else:
        parsed = _parse_times(values)
    bad = values.notna() & parsed.isna()
    if date and (parsed.to_numpy().view("int64") % _DAY_US != 0).any():
        parsed = parsed.dt.normalize()
    return parsed, bad


def _parse_times(values: pd.Series) -> pd.Series:
    # numbers are no timestamps: as text they fail ISO 8601 like any other wrong value
    text = values.astype(object).map(lambda v: str(v) if isinstance(v, int | float | np.number) else v)
    text = text.where(values.notna(), None)
    try:
        parsed = pd.to_datetime(text, format="ISO8601", errors="coerce")
        if isinstance(parsed.dtype, pd.DatetimeTZDtype):
            raise ValueError("time zone given")
        return parsed.astype(TIME_DTYPE)
    except (ValueError, TypeError, OverflowError):
        return text.map(parse_timestamp).astype(TIME_DTYPE)


def parse_timestamp(value: object) -> pd.Timestamp:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return pd.NaT
    try:
        ts = pd.Timestamp(value)
    except (ValueError, TypeError, OverflowError):
        return pd.NaT
    return pd.NaT if ts.tzinfo is not None else ts


def _describe(value: object) -> str:
    if isinstance(value, float | np.floating):
        return f"{value:g}"
    text = repr(value) if isinstance(value, str) else str(value)
    return text if len(text) <= 40 else text[:37] + "..."


def convert_table(raw: pd.DataFrame, table: Table) -> Converted:
    """Convert every schema column of ``raw`` to its type, checking nulls and ranges.

    Extra columns are kept as they are. Bad cells become null in the result and are
    reported; a required column that is missing is reported once.
    """
    problems: list[Problem] = []
    labels: pd.Series | None = None
    out = raw.copy(deep=False)
    for column in table.columns:
        if column.name not in raw.columns:
            if column.required:
                problems.append(
                    Problem(
                        table.name,
                        "",
                        column.name,
                        f"required column missing; expected {column.expected()}",
                    )
                )
            out[column.name] = _empty(column, len(raw), raw.index)
            continue
        values = raw[column.name]
        missing = _is_missing(values)
        if missing.any():
            values = values.where(~missing)
        typed, bad = _convert(values, column)
        out[column.name] = typed
        issues = [(_out_of_range(typed, column), typed)]
        if column.required:
            issues.append((missing, None))
        issues.append((bad, values))
        for mask, shown in issues:
            if not mask.any():
                continue
            if labels is None:
                labels = row_labels(raw, table)
            problems.extend(_cell_problems(table, column, mask, shown, labels))
    return Converted(out, problems)


def _convert(values: pd.Series, column: Column) -> tuple[pd.Series, pd.Series]:
    if column.kind == "str":
        return _to_str(values, column.categorical)
    if column.kind in ("int", "float"):
        return _to_number(values, column.kind == "int")
    if column.kind == "bool":
        return _to_bool(values)
    if column.kind == "clock":
        return _to_clock(values)
    return _to_time(values, column.kind == "date")


_TRUE = {"true", "t", "yes", "y", "1", "1.0"}
_FALSE = {"false", "f", "no", "n", "0", "0.0"}


def _to_bool(values: pd.Series) -> tuple[pd.Series, pd.Series]:
    """true/false, yes/no, 1/0 (any case), or real booleans."""

    def read(v: object) -> object:
        if v is None or v is pd.NA or (isinstance(v, float) and np.isnan(v)):
            return None
        text = str(v).strip().lower()
        return True if text in _TRUE else False if text in _FALSE else pd.NA

    parsed = values.astype(object).map(read)
    bad = parsed.isna() & values.notna()
    typed = parsed.where(parsed.notna() & ~bad, None).astype("boolean")
    return typed, bad


def clock_text(minutes: pd.Series) -> list[str | None]:
    """Minutes of the day as HH:MM (24:00 for 1440)."""
    return [None if pd.isna(m) else f"{int(m) // 60:02d}:{int(m) % 60:02d}" for m in minutes]


def _to_clock(values: pd.Series) -> tuple[pd.Series, pd.Series]:
    """A time of day HH:MM (24:00 allowed) as minutes since midnight."""

    def read(v: object) -> float:
        if v is None or v is pd.NA or (isinstance(v, float) and np.isnan(v)):
            return np.nan
        if isinstance(v, dt.time):
            return v.hour * 60 + v.minute if v.second == 0 and v.microsecond == 0 else -1.0
        text = str(v).strip()
        hours, sep, minutes = text.partition(":")
        if not (sep and hours.isdigit() and minutes.isdigit() and len(minutes) == 2 and len(hours) <= 2):
            return -1.0
        h, m = int(hours), int(minutes)
        return h * 60 + m if (h < 24 and m < 60) or (h, m) == (24, 0) else -1.0

    number = values.astype(object).map(read).astype(float)
    bad = (number < 0) & values.notna()
    return number.where(~bad).astype("Int64"), bad


def _out_of_range(typed: pd.Series, column: Column) -> pd.Series:
    if column.minimum is None and column.maximum is None:
        return pd.Series(False, index=typed.index)
    number = typed.to_numpy(dtype="float64", na_value=np.nan)
    out = np.zeros(len(number), dtype=bool)
    if column.minimum is not None:
        out |= (number <= column.minimum) if column.strict else (number < column.minimum)
    if column.maximum is not None:
        out |= number > column.maximum
    return pd.Series(out, index=typed.index, copy=False)


def _cell_problems(
    table: Table, column: Column, mask: pd.Series, shown: pd.Series | None, labels: pd.Series
) -> list[Problem]:
    """``shown`` holds the values to quote; None means the cell is empty."""
    rows = np.flatnonzero(mask.to_numpy())
    expected = column.expected()
    found = [
        Problem(
            table.name,
            labels.iloc[i],
            column.name,
            ("missing value" if shown is None else f"found {_describe(shown.iloc[i])}")
            + f"; expected {expected}",
        )
        for i in rows[:_MAX_LISTED]
    ]
    if len(rows) > _MAX_LISTED:
        found.append(
            Problem(
                table.name,
                f"{len(rows) - _MAX_LISTED} more rows",
                column.name,
                f"the same problem; expected {expected}",
            )
        )
    return found


def _empty(column: Column, length: int, index: pd.Index) -> pd.Series:
    if column.kind == "str":
        return pd.Series([None] * length, index=index, dtype="str")
    if column.kind in ("int", "clock"):
        return pd.Series(pd.NA, index=index, dtype="Int64")
    if column.kind == "bool":
        return pd.Series(pd.NA, index=index, dtype="boolean")
    if column.kind == "float":
        return pd.Series(np.nan, index=index, dtype="float64")
    return pd.Series(pd.NaT, index=index, dtype=TIME_DTYPE)


def empty_table(table: Table) -> pd.DataFrame:
    """An empty frame with the table's typed columns, for an optional table not given."""
    index = pd.RangeIndex(0)
    return pd.DataFrame({c.name: _empty(c, 0, index) for c in table.columns})
