"""The contract's arithmetic in exact decimals, never in binary floating point.

An export says 4.94 minutes per unit; Parquet and CSV readers hand us the double nearest
to it, 4.939999999999999502... Multiplying doubles gives 150 x 4.94 = 741.0000000000001 and
a ceiling of 742. Here every number is read as the shortest decimal that gives back the
same double (``repr``), which is what the exporting system wrote, and products are taken
in exact decimals: 150 x 4.94 = 741.00, ceiling 741.
"""

from __future__ import annotations

from decimal import Decimal, localcontext
from functools import lru_cache


def decimal_of(value: float | int | Decimal) -> Decimal:
    """The decimal an exporting system meant by ``value`` (the shortest round-tripping one)."""
    if isinstance(value, Decimal):
        return value
    if isinstance(value, int):
        return Decimal(value)
    return Decimal(repr(float(value)))


def exact_product(a: float | int | Decimal, b: float | int | Decimal) -> Decimal:
    """``a x b`` without rounding (enough digits for any product of two doubles)."""
    with localcontext() as context:
        context.prec = 60
        return decimal_of(a) * decimal_of(b)


def exact_sum(a: Decimal, b: Decimal) -> Decimal:
    """``a + b`` without rounding."""
    with localcontext() as context:
        context.prec = 60
        return a + b


def operation_duration(quantity: int, minutes_per_unit: float, setup_minutes: int) -> int:
    """The contract's duration: setup_minutes + ceil(quantity x minutes_per_unit), exactly."""
    numerator, denominator = decimal_fraction(minutes_per_unit)
    return int(setup_minutes) - (-int(quantity) * numerator // denominator)  # the ceiling, in integers


@lru_cache(maxsize=1 << 16)
def decimal_fraction(value: float | int | Decimal) -> tuple[int, int]:
    """``decimal_of(value)`` as numerator and denominator (a plant has few distinct rates, and
    its durations are computed for every order and alternative)."""
    return decimal_of(value).as_integer_ratio()


def decimal_places(value: Decimal) -> int:
    """How many digits ``value`` has after the decimal point (0 for whole numbers)."""
    exponent = value.normalize().as_tuple().exponent
    return max(0, -exponent) if isinstance(exponent, int) else 0


def scaled_units(values: list[Decimal]) -> tuple[int, list[int]]:
    """The smallest power of ten that makes every value whole, and the values in those units."""
    scale = 10 ** max((decimal_places(v) for v in values), default=0)
    with localcontext() as context:
        context.prec = 60
        return scale, [int(v * scale) for v in values]
