"""The scenario contract in one place: every table's columns, types, rules and defaults.

See ``docs/contract.md`` for the same contract written for people.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

Kind = Literal["str", "int", "float", "timestamp", "date", "bool", "clock"]

# What can be planned exactly (docs/contract.md, "Limits"): larger numbers in an export are
# taken as a broken export, not planned.
MAX_MINUTES = 5_259_600  # ten years of minutes: the longest operation, setup or horizon
MAX_HORIZON_DAYS = 3653  # ten years
MAX_QUANTITY = 10**12  # order quantities, stock, receipts, one order's need of a material
MAX_WEIGHT = 10**6  # an order's weight, a tier's weight
MAX_AMOUNT = 10**15  # money in the sales history and payments
MAX_CAPACITY = 10_000  # operations a machine runs at the same time

KIND_TEXT: dict[str, str] = {
    "str": "a text value",
    "int": "a whole number",
    "float": "a number",
    "timestamp": "an ISO 8601 timestamp such as 2026-12-01T06:00:00",
    "date": "a date such as 2026-11-30",
    "bool": "true or false",
    "clock": "a time of day HH:MM from 00:00 to 24:00",
}


@dataclass(frozen=True)
class Column:
    """One column of a table.

    ``minimum`` with ``strict`` expresses "> minimum", without it ">= minimum";
    ``maximum`` is inclusive. ``categorical`` keeps a much-repeated text column
    dictionary-encoded (the customer of millions of history rows).
    """

    name: str
    kind: Kind
    required: bool = True
    minimum: float | None = None
    strict: bool = False
    maximum: float | None = None
    categorical: bool = False

    def expected(self) -> str:
        text = KIND_TEXT[self.kind]
        if self.minimum is not None:
            text += f" {'>' if self.strict else '>='} {number_text(self.minimum)}"
        if self.maximum is not None:
            text += f" and <= {number_text(self.maximum)}"
        return text


def number_text(value: float) -> str:
    """1,000,000,000,000 rather than 1e+12: limits read as people write them."""
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:g}"


@dataclass(frozen=True)
class Table:
    """A table of the scenario folder.

    ``key`` names the columns that identify a row in messages; ``unique`` says whether
    they must be unique.
    """

    name: str
    required: bool
    columns: tuple[Column, ...]
    key: tuple[str, ...] = ()
    unique: bool = False
    row_label: tuple[str, ...] = field(default=())

    @property
    def label_columns(self) -> tuple[str, ...]:
        """Columns shown to identify a row in messages."""
        return self.key or self.row_label


def _c(name: str, kind: Kind, required: bool = True, **rules: float | bool) -> Column:
    """A column; ``rules`` are Column's minimum, strict, maximum and categorical."""
    return Column(name, kind, required, **rules)  # type: ignore[arg-type]


TABLES: dict[str, Table] = {
    t.name: t
    for t in (
        Table(
            "orders",
            True,
            (
                _c("order_id", "str"),
                _c("customer_id", "str"),
                _c("product_id", "str"),
                _c("quantity", "int", minimum=0, strict=True, maximum=MAX_QUANTITY),
                _c("due", "timestamp"),
                _c("release", "timestamp", False),
                _c("weight", "float", False, minimum=0, strict=True, maximum=MAX_WEIGHT),
                _c("after_order", "str", False),
            ),
            key=("order_id",),
            unique=True,
        ),
        Table(
            "routings",
            True,
            (
                _c("product_id", "str"),
                _c("step", "int"),
                _c("machine_id", "str"),
                _c("minutes_per_unit", "float", minimum=0, maximum=MAX_MINUTES),
                _c("setup_minutes", "int", False, minimum=0, maximum=MAX_MINUTES),
                _c("family", "str", False),
                _c("resumable", "bool", False),
            ),
            key=("product_id", "step", "machine_id"),
            unique=True,
        ),
        Table(
            "machines",
            True,
            (
                _c("machine_id", "str"),
                _c("name", "str", False),
                _c("group", "str", False),
                _c("capacity", "int", False, minimum=1, maximum=MAX_CAPACITY),
                _c("calendar", "str", False),
            ),
            key=("machine_id",),
            unique=True,
        ),
        Table(
            "customers",
            False,
            (
                _c("customer_id", "str"),
                _c("name", "str", False),
                _c("since", "date", False),
                _c("prospect_score", "float", False, minimum=0, maximum=100),
                _c("manual_tier", "str", False),
                _c("manual_reason", "str", False),
                _c("sales_rep", "str", False),
                _c("last_visit", "date", False),
            ),
            key=("customer_id",),
            unique=True,
        ),
        Table(
            "sales_history",
            False,
            (
                _c("customer_id", "str", categorical=True),
                _c("order_date", "date"),
                _c("amount", "float", minimum=0, maximum=MAX_AMOUNT),
                _c("cost", "float", False, minimum=0, maximum=MAX_AMOUNT),
                _c("quantity", "float", False, minimum=0, maximum=MAX_QUANTITY),
            ),
            row_label=("customer_id",),
        ),
        Table(
            "payments",
            False,
            (
                _c("customer_id", "str", categorical=True),
                _c("invoice_id", "str"),
                _c("amount", "float", minimum=0, maximum=MAX_AMOUNT),
                _c("due_date", "date"),
                _c("paid_date", "date", False),
            ),
            row_label=("customer_id", "invoice_id"),
        ),
        Table(
            "downtime",
            False,
            (_c("machine_id", "str"), _c("start", "timestamp"), _c("end", "timestamp")),
            row_label=("machine_id",),
        ),
        Table(
            "bom",
            False,
            (
                _c("product_id", "str"),
                _c("material_id", "str"),
                _c("quantity_per_unit", "float", minimum=0, strict=True, maximum=MAX_QUANTITY),
                _c("step", "int", False),
            ),
            key=("product_id", "material_id", "step"),
            unique=True,
        ),
        Table(
            "materials",
            False,
            (_c("material_id", "str"), _c("on_hand", "float", minimum=0, maximum=MAX_QUANTITY)),
            key=("material_id",),
            unique=True,
        ),
        Table(
            "receipts",
            False,
            (
                _c("material_id", "str"),
                _c("arrival", "timestamp"),
                _c("quantity", "float", minimum=0, strict=True, maximum=MAX_QUANTITY),
            ),
            row_label=("material_id",),
        ),
        Table(
            "changeovers",
            False,
            (
                _c("machine_id", "str", False),
                _c("from_family", "str"),
                _c("to_family", "str"),
                _c("minutes", "int", minimum=0, maximum=MAX_MINUTES),
            ),
            row_label=("machine_id", "from_family", "to_family"),
        ),
        Table(
            "shifts",
            False,
            (
                _c("calendar_id", "str"),
                _c("weekday", "int", minimum=1, maximum=7),
                _c("start", "clock"),
                _c("end", "clock"),
            ),
            row_label=("calendar_id", "weekday"),
        ),
        Table(
            "progress",
            False,
            (
                _c("order_id", "str"),
                _c("step", "int"),
                _c("machine_id", "str"),
                _c("state", "str"),
                _c("started_at", "timestamp"),
                _c("finished_at", "timestamp", False),
                _c("remaining_minutes", "int", False, minimum=0, maximum=MAX_MINUTES),
            ),
            key=("order_id", "step"),
            unique=True,
        ),
        Table(
            "complaints",
            False,
            (
                _c("complaint_id", "str"),
                _c("customer_id", "str"),
                _c("opened_at", "timestamp"),
                _c("closed_at", "timestamp", False),
                _c("subject", "str", False),
            ),
            key=("complaint_id",),
            unique=True,
        ),
    )
}


# The requests file of ``tierplan promise`` (contract section 6): new orders to quote for.
REQUESTS = Table(
    "requests",
    True,
    (
        _c("request_id", "str"),
        _c("customer_id", "str"),
        _c("product_id", "str"),
        _c("quantity", "int", minimum=0, strict=True, maximum=MAX_QUANTITY),
        _c("requested", "timestamp", False),
        _c("release", "timestamp", False),
        _c("weight", "float", False, minimum=0, strict=True, maximum=MAX_WEIGHT),
    ),
    key=("request_id",),
    unique=True,
)
