"""Promises on small generated plants against a brute force that tries every minute.

The brute force reads only the tables: working time from the shifts and downtime (as the
checker lays it out), each machine's capacity, the changeover rule, the stock's events. For
each step of the request it tries every start minute on every alternative machine until
one is feasible and keeps the machine that ends first; the next step starts from there.
Step by step is exact because a later ready time never lets a step end earlier.
"""

from __future__ import annotations

import math
from decimal import Decimal
from pathlib import Path

import pandas as pd
import pytest
import tomli_w
from hypothesis import HealthCheck, given, reject, settings
from hypothesis import strategies as st

from scenarios.contract.errors import NoFeasiblePlanError
from scenarios.contract.model import Scenario, scenario_from_tables
from scenarios.generators.scenario import PlantSpec, generate
from scenarios.pipelines.promise import HeldPlan, promise
from scenarios.pipelines.schedule import make_plan, solve_options
from scheduler.check_plant import changeover_rule, working_time
from scheduler.exact import decimal_of, exact_product, operation_duration
from scheduler.promise import SearchSettings

pytestmark = pytest.mark.slow

MINUTE = pd.Timedelta(minutes=1)


def brute_force(scenario: Scenario, plan: HeldPlan, request: dict[str, object]) -> int | None:
    """The request's earliest completion (minutes) with nothing that is planned moved."""
    tables = scenario.tables
    start, horizon = scenario.settings.plan.start, scenario.settings.plan.horizon_minutes
    working = working_time(tables, start, horizon)
    capacity = dict(
        zip(tables["machines"]["machine_id"], tables["machines"]["capacity"].astype(int), strict=True)
    )
    change = changeover_rule(tables)
    routings = tables["routings"]
    family = {(r.product_id, r.step, r.machine_id): r.family for r in routings.itertuples()}
    placed: dict[str, list[tuple[int, int, object]]] = {}
    for r in plan.schedule.itertuples():
        product = tables["orders"].set_index("order_id").at[r.order_id, "product_id"]
        a, b = round((r.start - start) / MINUTE), round((r.end - start) / MINUTE)
        placed.setdefault(r.machine_id, []).append((a, b, family[(product, r.step, r.machine_id)]))
    events: dict[str, list[tuple[int, Decimal]]] = {}
    for r in tables["receipts"].itertuples():
        events.setdefault(r.material_id, []).append(
            (max(0, math.ceil((r.arrival - start) / MINUTE)), decimal_of(r.quantity))
        )
    for r in plan.materials.itertuples():
        events.setdefault(r.material_id, []).append(
            (round((r.time - start) / MINUTE), -decimal_of(r.quantity))
        )
    on_hand = {
        m: decimal_of(q)
        for m, q in zip(tables["materials"]["material_id"], tables["materials"]["on_hand"], strict=True)
    }
    bom = tables["bom"]
    product, quantity = str(request["product_id"]), int(request["quantity"])  # type: ignore[call-overload]
    ready = 0
    for step in sorted(set(routings.loc[routings["product_id"] == product, "step"])):
        needs = [
            (r.material_id, exact_product(quantity, r.quantity_per_unit))
            for r in bom[(bom["product_id"] == product) & (bom["step"] == step)].itertuples()
        ]
        best: tuple[int, int, str] | None = None
        for r in routings[(routings["product_id"] == product) & (routings["step"] == step)].itertuples():
            d = operation_duration(quantity, r.minutes_per_unit, int(r.setup_minutes))
            stretches = working[r.machine_id].stretches
            for t in range(ready, horizon):
                e = _end(stretches, t, d, bool(r.resumable), horizon)
                if e is None:
                    continue
                if best is not None and e >= best[0]:
                    break
                ops = placed.get(r.machine_id, [])
                if not _room(ops, t, e, capacity[r.machine_id], change, r.machine_id, r.family):
                    continue
                if all(_stock_holds(on_hand.get(m, Decimal(0)), events.get(m, []), t, q) for m, q in needs):
                    best = (e, t, r.machine_id)
                    break
        if best is None:
            return None
        e, t, machine = best
        placed.setdefault(machine, []).append((t, e, family[(product, step, machine)]))
        for m, q in needs:
            events.setdefault(m, []).append((t, -q))
        ready = e
    return ready


def _end(
    stretches: list[tuple[int, int]] | None, t: int, d: int, resumable: bool, horizon: int
) -> int | None:
    """Where a step of d working minutes starting at t ends, or None if it may not start there."""
    if stretches is None:
        return t + d if t + d <= horizon else None
    inside = [(a, b) for a, b in stretches if a <= t < b]
    if not inside:
        return None
    if not resumable:
        return t + d if t + d <= inside[0][1] else None
    left, cursor = d, t
    for a, b in stretches:
        if b <= t:
            continue
        a = max(a, cursor)
        if b - a >= left:
            return a + left
        left -= b - a
    return None


def _room(
    ops: list[tuple[int, int, object]], t: int, e: int, cap: int, change: object, machine: str, fam: object
) -> bool:
    busy = [(a, b, f) for a, b, f in ops if a < e and t < b and b > a]
    if cap > 1:
        return all(
            sum(1 for a, b, _ in busy if a <= x < b) < cap
            for x in {t, *(a for a, _, _ in busy if t <= a < e)}
        )
    if busy:
        return False
    before = [o for o in ops if (o[0], o[1]) <= (t, e)]
    after = [o for o in ops if (o[0], o[1]) > (t, e)]
    prev = max(before, key=lambda o: (o[0], o[1]), default=None)
    nxt = min(after, key=lambda o: (o[0], o[1]), default=None)
    gap = change  # minutes(machine, from family, to family)
    if prev is not None and t - prev[1] < gap(machine, prev[2], fam):  # type: ignore[operator]
        return False
    return nxt is None or nxt[0] - e >= gap(machine, fam, nxt[2])  # type: ignore[operator]


def _stock_holds(on_hand: Decimal, events: list[tuple[int, Decimal]], t: int, q: Decimal) -> bool:
    """Taking q at t leaves the stock at or above zero at t and at every later event."""
    for x in sorted({t, *(at for at, _ in events if at >= t)}):
        level = on_hand + sum((c for at, c in events if at <= x), Decimal(0))
        if level < q:
            return False
    return True


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    seed=st.integers(0, 10_000),
    orders=st.integers(6, 14),
    machines=st.integers(3, 5),
    quantity=st.integers(1, 40),
    pick=st.integers(0, 1000),
)
def test_promises_against_the_brute_force(
    seed: int, orders: int, machines: int, quantity: int, pick: int
) -> None:
    doc, raw = generate(PlantSpec(orders=orders, seed=seed, machines=machines, horizon_days=3, started=0.2))
    doc["solve"] = {"objective": "weighted_tardiness", "time_limit_s": 1, "workers": 1, "seed": 0}
    scenario = scenario_from_tables(f"p{seed}", tomli_w.dumps(doc), raw)
    try:
        made = make_plan(scenario, solve_options(scenario, solver="dispatch:atc"))
    except NoFeasiblePlanError:  # ATC may leave out a started order it cannot fit: no base plan
        reject()
    plan = HeldPlan(Path("plan"), made.tables.schedule, made.tables.orders, made.tiers, made.tables.materials)
    products = sorted(set(raw["routings"]["product_id"]))
    customers = sorted(made.tiers["customer_id"])
    request = {
        "request_id": "REQ",
        "customer_id": customers[pick % len(customers)],
        "product_id": products[pick % len(products)],
        "quantity": quantity,
    }
    requests = pd.DataFrame([request]).assign(
        requested=pd.Series([pd.NaT], dtype="datetime64[us]"),
        release=scenario.settings.plan.start,
        weight=1.0,
    )
    none = promise(scenario, plan, requests, "none", SearchSettings(1, 0, 1.0))
    expected = brute_force(scenario, plan, request)
    got = none.quotes["promise"].iloc[0]
    got_minute = None if pd.isna(got) else round((got - scenario.settings.plan.start) / MINUTE)
    assert got_minute == expected
    columns = ["order_id", "step", "machine_id", "start", "end"]
    kept = plan.schedule[columns].merge(none.plan.schedule[columns], on=columns)
    assert len(kept) == len(plan.schedule) and none.moved.empty  # nothing moved
    slack = promise(scenario, plan, requests, "lower-slack", SearchSettings(1, 0, 1.0))
    later = slack.quotes["promise"].iloc[0]
    assert pd.isna(got) or (not pd.isna(later) and later <= got)
    tier = none.quotes["tier"].iloc[0]
    names = scenario.settings.tiers.names
    assert all(names.index(t) > names.index(tier) for t in slack.moved["tier"])  # only lower tiers move
