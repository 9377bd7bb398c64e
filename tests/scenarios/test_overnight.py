"""The overnight chain: plan day 1, let the shop floor carry out 24 hours of it, plan day 2 from
the progress it reports, with day 1 as the previous plan and stability on."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pandas as pd
import pytest

from cli import app
from scenarios.generators.scenario import PlantSpec, write_generated
from tests.helpers.cli import runner
from tests.helpers.shopfloor import carry_out

pytestmark = pytest.mark.slow


def run(*args: object) -> None:
    result = runner.invoke(app, [str(a) for a in args])
    assert result.exit_code == 0, result.output


def test_day_two_plans_from_what_day_one_did(tmp_path: Path) -> None:
    day1 = write_generated(tmp_path / "day1", PlantSpec(orders=60, seed=11, horizon_days=7))
    text = (day1 / "scenario.toml").read_text()
    text = re.sub(r"^time_limit_s = .*$", "time_limit_s = 4", text, flags=re.M)
    (day1 / "scenario.toml").write_text(re.sub(r"^workers = .*$", "workers = 1", text, flags=re.M))
    run("schedule", day1, "--out", tmp_path / "plan1", "--quiet")
    now = carry_out(day1, tmp_path / "plan1", tmp_path / "day2", hours=24)
    progress = pd.read_parquet(tmp_path / "day2" / "progress.parquet")
    assert (progress["state"] == "running").any() and (progress["state"] == "done").sum() > 20

    freeze = now + pd.Timedelta(hours=4)
    run(
        "schedule",
        tmp_path / "day2",
        "--out",
        tmp_path / "plan2",
        "--previous",
        tmp_path / "plan1",
        "--freeze-until",
        freeze.isoformat(),
        "--quiet",
    )
    run("check", tmp_path / "day2", tmp_path / "plan2")  # every rule of section 5 included

    plan1 = pd.read_parquet(tmp_path / "plan1" / "schedule.parquet")
    plan2 = pd.read_parquet(tmp_path / "plan2" / "schedule.parquet")
    done = progress[progress["state"] == "done"]
    keys2 = set(zip(plan2["order_id"], plan2["step"], strict=True))
    assert not keys2 & set(zip(done["order_id"], done["step"], strict=True)), "a done step planned again"
    running = progress[progress["state"] == "running"].merge(plan1, on=["order_id", "step", "machine_id"])
    again = plan2.merge(running[["order_id", "step", "end"]], on=["order_id", "step"], suffixes=("", "_1"))
    assert (again["start"] == now).all() and (again["end"] == again["end_1"]).all()  # as day 1 said

    issued = pd.read_parquet(tmp_path / "plan1" / "materials.parquet")
    issued = issued[issued["time"] < now]
    taken = pd.read_parquet(tmp_path / "plan2" / "materials.parquet")
    twice = taken.merge(issued, on=["order_id", "material_id"])  # a product needs a material once
    assert twice.empty, "material issued twice"
    assert (taken["time"] >= now).all()

    later = plan1[plan1["start"] >= freeze]
    kept = later.merge(plan2, on=["order_id", "step", "machine_id", "start"])
    summary = json.loads((tmp_path / "plan2" / "summary.json").read_text())["stability"]
    assert summary["operations_compared"] == len(later)
    assert summary["operations_moved"] == len(later) - len(kept)
    # day 1 kept as it was (repaired) unless that costs more than the stability budget allows
    result = json.loads((tmp_path / "plan2" / "summary.json").read_text())
    repaired = result["solver"]["dispatch_rules"]["previous"]
    assert result["objective_value"] <= summary["cost_cap"] + 1e-6
    assert len(kept) >= 0.75 * len(later) or repaired > summary["cost_cap"], (
        f"only {len(kept)} of {len(later)} later operations kept their place, though day 1 repaired "
        f"costs {repaired:,.0f}, within the budget's {summary['cost_cap']:,.0f}"
    )
