"""What-if studies (run), plan comparison (compare) and unattended batches (batch)."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from scenarios.generators.scenario import PlantSpec, write_generated
from tests.helpers.cli import invoke

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def plant(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_generated(
        tmp_path_factory.mktemp("study") / "plant", PlantSpec(orders=16, seed=8, horizon_days=4, started=0.3)
    )  # with work in progress: O00010 runs on M01, O00002 on M04; O00008, O00012 are done


STUDY = """
base = "plant"
[solve]
time_limit_s = 1
workers = 1

[[variant]]
name = "rush order"
add_orders = [
  { order_id = "RUSH", customer_id = "C001", product_id = "P001", quantity = 30, due = 2026-12-01T18:00:00 },
]

[[variant]]
name = "M01 down"
machine_down = [{ machine_id = "M01", start = 2026-12-01T06:00:00, end = 2026-12-03T06:00:00 }]

[[variant]]
name = "late receipts"
delay_receipts = [{ material_id = "MAT001", days = 2 }]

[[variant]]
name = "A counts more"
tier_weights = { A = 20, B = 2, C = 1 }
"""


def test_what_if_study(plant: Path, tmp_path: Path) -> None:
    """One run of the study above, two sets of checks: what each variant wrote, and that
    variants re-plan from the base (one test, so the study runs once, not once per worker)."""
    spec = plant.parent / "study.toml"
    spec.write_text(STUDY)
    out = tmp_path / "study"
    code, output = invoke("run", spec, "--out", out, "--quiet")
    assert code == 0, output
    _each_variant_wrote_its_change(out)
    _variants_re_plan_from_the_base_and_adding_work_never_looks_better(out)


def _each_variant_wrote_its_change(out: Path) -> None:
    for name in ("base", "rush-order", "m01-down", "late-receipts", "a-counts-more"):
        assert (out / name / "summary.json").is_file(), name
    rush = pd.read_parquet(out / "rush-order" / "orders.parquet")
    assert "RUSH" in set(rush["order_id"])
    down = pd.read_parquet(out / "m01-down" / "schedule.parquet")
    on_m01 = down[down["machine_id"] == "M01"]
    planned, running = on_m01[on_m01["state"] == "planned"], on_m01[on_m01["state"] == "running"]
    assert (planned["start"] >= pd.Timestamp("2026-12-03T06:00")).all()
    assert list(running["order_id"]) == ["O00010"]  # it runs on, paused over the breakdown
    assert running["start"].iloc[0] == pd.Timestamp("2026-12-01T06:00")
    assert running["end"].iloc[0] > pd.Timestamp("2026-12-03T06:00")
    for name in ("base", "rush-order", "m01-down", "late-receipts", "a-counts-more"):
        orders = pd.read_parquet(out / name / "orders.parquet").set_index("order_id")
        assert set(orders.loc[["O00008", "O00012"], "status"]) == {"done"}, name
        assert orders.loc["O00010", "status"] == "scheduled", name
    weights = json.loads((out / "a-counts-more" / "summary.json").read_text())["tiers"]["weights"]
    assert weights["A"] == 20
    changed = pd.read_parquet(out / "changed_orders.parquet")
    assert "RUSH" in set(changed["order_id"])
    assert "Orders whose outcome changed" in (out / "comparison.html").read_text()


def test_invalid_variant_writes_nothing(plant: Path, tmp_path: Path) -> None:
    spec = plant.parent / "bad.toml"
    spec.write_text(
        'base = "plant"\n[[variant]]\nname = "bad"\nmachine_down = [{ machine_id = "NOPE", '
        "start = 2026-12-01T06:00:00, end = 2026-12-01T08:00:00 }]\n"
    )
    code, output = invoke("run", spec, "--out", tmp_path / "study", "--quiet")
    assert code == 1 and "variant bad: downtime" in output and "unknown machine NOPE" in output
    assert not (tmp_path / "study").exists()


def test_compare_formats(plant: Path, tmp_path: Path) -> None:
    a, b = tmp_path / "a", tmp_path / "b"
    assert invoke("schedule", plant, "--out", a, "--quiet", "--solver", "dispatch:edd")[0] == 0
    assert invoke("schedule", plant, "--out", b, "--quiet", "--solver", "dispatch:wspt")[0] == 0
    code, output = invoke("compare", a, b, "--format", "json")
    assert code == 0
    doc = json.loads(output)
    assert doc["plans"] == ["a", "b"]
    late = {r["tier"]: (r["a"], r["b"]) for r in doc["kpis"] if r["kpi"] == "late"}
    assert set(late) == {"A", "B", "C", "all"}
    for r in doc["changed_orders"]:
        assert r["a"] != r["b"]
    code, output = invoke("compare", a, b, "--format", "csv")
    assert code == 0 and output.startswith("tier,kpi,a,b")
    code, output = invoke("compare", a, b, "--format", "html")
    assert code == 0 and output.startswith("<!DOCTYPE html>")
    code, output = invoke("compare", a, b)
    assert code == 0 and "KPIs per tier" in output
    code, output = invoke("compare", a, tmp_path / "nothing")
    assert code == 1 and "not a plan folder" in output


def _shared_cost(plan: Path, shared: set[str], horizon_minutes: int, start: pd.Timestamp) -> float:
    """Weighted tardiness plus penalties (contract section 2) of the ``shared`` orders."""
    orders = pd.read_parquet(plan / "orders.parquet")
    orders = orders[orders["order_id"].isin(shared) & (orders["status"] != "done")]
    due = ((orders["due"] - start) / pd.Timedelta(minutes=1)).apply(lambda v: v // 1)
    penalty = orders["weight"] * ((horizon_minutes - due).clip(lower=0) + horizon_minutes)
    late = orders["weight"] * orders["tardiness_minutes"]
    return float(late.where(orders["status"] == "scheduled", penalty).sum())


def _variants_re_plan_from_the_base_and_adding_work_never_looks_better(out: Path) -> None:
    base_orders = set(pd.read_parquet(out / "base" / "orders.parquet")["order_id"])
    start, horizon = pd.Timestamp("2026-12-01T06:00"), 4 * 24 * 60
    base = _shared_cost(out / "base", base_orders, horizon, start)
    for name in ("rush-order", "m01-down", "late-receipts"):  # each only adds work or takes capacity
        assert _shared_cost(out / name, base_orders, horizon, start) >= base - 1e-6, name
        stability = json.loads((out / name / "summary.json").read_text())["stability"]
        assert stability is not None and stability["operations_compared"] > 0, (
            name
        )  # re-planned from the base
    moves = pd.read_parquet(out / "base" / "schedule.parquet").merge(
        pd.read_parquet(out / "rush-order" / "schedule.parquet"),
        on=["order_id", "step"],
        suffixes=("_a", "_b"),
    )
    moved = (moves["machine_id_a"] != moves["machine_id_b"]) | (moves["start_a"] != moves["start_b"])
    assert moved.sum() <= len(moves) // 2  # the rush order's own room, not a new search of everything
