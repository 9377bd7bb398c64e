"""Generated plants and small shops that several test modules plan."""

from __future__ import annotations

from typing import Any

import tomli_w

from scenarios.contract.model import Scenario, scenario_from_tables
from scenarios.generators.scenario import PlantSpec, generate
from tests.helpers import customers, order_row


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
