"""Re-planning from a previous plan at any freeze time, on plants with after_order chains."""

from __future__ import annotations

from pathlib import Path
from unittest import mock

import numpy as np
import pandas as pd
import pytest
import tomli_w
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from scenarios.contract.errors import NoFeasiblePlanError
from scenarios.contract.freeze import Frozen
from scenarios.contract.model import Scenario, scenario_from_tables
from scenarios.generators.scenario import PlantSpec, generate
from scenarios.pipelines.schedule import make_plan, solve_options
from scheduler.rules import RULE_NAMES

pytestmark = pytest.mark.slow

SOLVERS = ["cpsat", "cpsat+neighbourhoods", *(f"dispatch:{r}" for r in RULE_NAMES)]


def chained_plant(orders: int, seed: int, machines: int, chain_share: float) -> Scenario:
    """A generated plant in which about ``chain_share`` of the orders wait for an earlier one."""
    doc, raw = generate(PlantSpec(orders=orders, seed=seed, machines=machines, horizon_days=3))
    rng = np.random.default_rng(seed)
    table = raw["orders"]
    after = list(table["after_order"])
    for i in range(1, len(table)):
        if rng.random() < chain_share:
            after[i] = table["order_id"].iloc[int(rng.integers(0, i))]
    table["after_order"] = pd.Series(after, dtype="str")
    doc["solve"] = {"objective": "weighted_tardiness", "time_limit_s": 0.5, "workers": 1, "seed": 0}
    return scenario_from_tables(f"plant-{seed}", tomli_w.dumps(doc), raw)


def plan_with(scenario: Scenario, solver: str, frozen: Frozen | None = None):  # type: ignore[no-untyped-def]
    """make_plan, which raises unless the independent checker passes the plan."""
    if solver == "cpsat+neighbourhoods":  # the large-plant search, on a small plant
        with mock.patch("scheduler.solve.LNS_ABOVE_OPERATIONS", 0):
            return make_plan(scenario, solve_options(scenario, time_limit_s=1.5), frozen=frozen)
    return make_plan(scenario, solve_options(scenario, solver=solver), frozen=frozen)


@settings(max_examples=14, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@example(  # a started order failed the first dispatch run; the second ran its rest without its material
    orders=18,
    seed=2636,
    machines=4,
    chain_share=0.25,
    freeze_share=0.4375,
    first="dispatch:wspt",
    second="cpsat+neighbourhoods",
)
@given(
    orders=st.integers(4, 30),
    seed=st.integers(0, 100_000),
    machines=st.integers(2, 7),
    chain_share=st.floats(0.1, 0.7),
    freeze_share=st.floats(0.0, 1.0),
    first=st.sampled_from([f"dispatch:{r}" for r in RULE_NAMES]),
    second=st.sampled_from(SOLVERS),
)
def test_freezing_at_any_time_keeps_every_frozen_operation(
    orders: int,
    seed: int,
    machines: int,
    chain_share: float,
    freeze_share: float,
    first: str,
    second: str,
) -> None:
    scenario = chained_plant(orders, seed, machines, chain_share)
    try:
        previous = plan_with(scenario, first).tables.schedule
    except NoFeasiblePlanError:
        return  # nothing fits the horizon: nothing to freeze
    begin = scenario.settings.plan.start
    until = (begin + pd.Timedelta(minutes=freeze_share * scenario.settings.plan.horizon_minutes)).floor("min")
    kept = previous[previous["start"] < until]
    frozen = Frozen(
        until,
        {(r.order_id, int(r.step)): (r.machine_id, pd.Timestamp(r.start)) for r in kept.itertuples()},
        Path("previous"),
    )
    try:
        after = plan_with(scenario, second, frozen).tables.schedule
    except NoFeasiblePlanError as exc:
        if "before the freeze cannot finish inside the horizon" in exc.diagnosis[0]:
            return  # a started order's remaining steps no longer fit: said so, nothing written
        assert exc.diagnosis[0] == "no order can be scheduled within the limits:", exc.diagnosis
        assert kept.empty
        return
    columns = ["order_id", "step", "machine_id", "start", "end"]
    still = kept[columns].merge(after[columns], on=columns)
    assert len(still) == len(kept), "a frozen operation moved"
    rest = after.merge(kept[["order_id", "step"]], how="left", indicator=True)
    assert (rest.loc[rest["_merge"] == "left_only", "start"] >= until).all()
