"""Generated plants and small shops that several test modules plan."""

from __future__ import annotations

from typing import Any

import pandas as pd
import tomli_w

from scenarios.contract.model import Scenario, scenario_from_tables
from scenarios.generators.scenario import PlantSpec, generate
from scheduler.problem import Machine, Mode, Operation, Order, ProblemData
from scheduler.worktime import working_stretches
from tests.helpers import customers, order_row

SHOP_HORIZON = 10_000  # minutes, of three_machine_shop


def small_plant(orders: int, seed: int, machines: int, objective: str, time_limit: float) -> Scenario:
    doc, raw = generate(PlantSpec(orders=orders, seed=seed, machines=machines, horizon_days=3))
    doc["solve"] = {"objective": objective, "time_limit_s": time_limit, "workers": 1, "seed": 0}
    return scenario_from_tables(f"plant-{seed}", tomli_w.dumps(doc), raw)


def seeded_plant(orders: int, time_limit: float = 4.0):  # type: ignore[no-untyped-def]
    doc, raw = generate(PlantSpec(orders=orders, seed=3, horizon_days=7))
    doc["solve"] = {"objective": "weighted_tardiness", "time_limit_s": time_limit, "workers": 1, "seed": 0}
    return scenario_from_tables("plant", tomli_w.dumps(doc), raw)


def changeover_shop() -> dict[str, Any]:
    """Two dark A orders and a light C order on one press; switching colour takes an hour."""
    return {
        "orders": [
            order_row("A1", 30, due=60, customer="top", product="D"),
            order_row("C1", 30, due=60, customer="low", product="L"),
            order_row("A2", 30, due=60, customer="top", product="D"),
        ],
        "routings": [
            {"product_id": "D", "step": 10, "machine_id": "M1", "minutes_per_unit": 1.0, "family": "dark"},
            {"product_id": "L", "step": 10, "machine_id": "M1", "minutes_per_unit": 1.0, "family": "light"},
        ],
        "machines": [{"machine_id": "M1"}],
        "changeovers": [
            {"machine_id": "", "from_family": "dark", "to_family": "light", "minutes": 60},
            {"machine_id": "", "from_family": "light", "to_family": "dark", "minutes": 60},
        ],
        "customers": customers({"top": "A", "low": "C"}),
    }


def three_machine_shop(
    downtime: dict[int, tuple[int, int]],
    routing: list[list[list[tuple[int, int]]]],
    previous: dict[int, tuple[int, int]],
) -> ProblemData:
    """Machines M0-M2 around the clock but for ``downtime`` (machine -> one stretch); one
    order per routing, each step a list of (machine, minutes) alternatives; ``previous``:
    operation -> (machine, start) of the plan to repair."""
    machines = tuple(
        Machine(f"M{m}", f"M{m}", "G", down, working=working_stretches(None, down, SHOP_HORIZON))
        for m in range(3)
        for down in [(downtime[m],) if m in downtime else ()]
    )
    orders, operations = [], []
    for i, steps in enumerate(routing):
        first = len(operations)
        for position, alternatives in enumerate(steps):
            modes = tuple(Mode(m, minutes) for m, minutes in alternatives)
            operations.append(Operation(i, position + 1, position, modes))
        orders.append(Order(f"O{i}", "c", "A", 0, 1.0, 0, SHOP_HORIZON, tuple(range(first, len(operations)))))
    start = pd.Timestamp("2026-12-01")
    return ProblemData(start, SHOP_HORIZON, tuple(orders), tuple(operations), machines, previous=previous)
