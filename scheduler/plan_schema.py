"""The plan side of the contract in one place: the tables a plan and a promise write.

The plan folder (section 2, with sections 4 and 5's additions) and a promise's quotes and
moved orders (section 6). The plan writer orders its tables by these declarations, the
checker requires their columns, and a test holds docs/contract.md to them;
``scenarios.contract.schema`` gathers them with the input tables and the grading's outputs.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import pandas as pd

Kind = Literal["str", "int", "float", "timestamp", "bool"]


@dataclass(frozen=True)
class Output:
    """A column of an output table."""

    name: str
    kind: Kind


def _columns(*spec: tuple[str, Kind]) -> tuple[Output, ...]:
    return tuple(Output(name, kind) for name, kind in spec)


OUTPUT_TABLES: dict[str, tuple[Output, ...]] = {
    "schedule": _columns(
        ("order_id", "str"),
        ("step", "int"),
        ("machine_id", "str"),
        ("start", "timestamp"),
        ("end", "timestamp"),
        ("changeover_minutes", "int"),
        ("working_minutes", "int"),
        ("state", "str"),
    ),
    "orders": _columns(
        ("order_id", "str"),
        ("customer_id", "str"),
        ("tier", "str"),
        ("weight", "float"),
        ("due", "timestamp"),
        ("completion", "timestamp"),
        ("tardiness_minutes", "int"),
        ("status", "str"),
        ("reason", "str"),
    ),
    "materials": _columns(
        ("material_id", "str"), ("order_id", "str"), ("quantity", "float"), ("time", "timestamp")
    ),
    "quotes": _columns(
        ("request_id", "str"),
        ("customer_id", "str"),
        ("tier", "str"),
        ("promise", "timestamp"),
        ("requested", "timestamp"),
        ("on_requested", "bool"),
        ("displace", "str"),
        ("moved_orders", "int"),
        ("added_weighted_tardiness", "float"),
        ("reason", "str"),
        ("seconds", "float"),
    ),
    "moved": _columns(
        ("request_id", "str"),
        ("order_id", "str"),
        ("tier", "str"),
        ("old_completion", "timestamp"),
        ("new_completion", "timestamp"),
        ("added_weighted_tardiness", "float"),
    ),
}

PLAN_TABLES = ("schedule", "orders", "materials")  # the tables of a plan folder
# the columns a plan of contract version 1 already had: the checker needs at least these
V1_COLUMNS = {"schedule": 5, "orders": 9, "materials": 4}


def names(table: str) -> list[str]:
    return [c.name for c in OUTPUT_TABLES[table]]


def in_order(frame: pd.DataFrame, table: str) -> pd.DataFrame:
    """``frame`` with exactly the declared columns, in their order (KeyError if one is missing)."""
    return frame[names(table)]
