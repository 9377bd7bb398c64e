"""The commands of the contract, run as a user runs them."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from tests.helpers import at, one_machine_shop, write_scenario
from tests.helpers.cli import invoke


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("cli") / "plant"
    code, output = invoke("generate", "--out", folder, "--orders", 25, "--seed", 3, "--horizon-days", 5)
    assert code == 0, output
    return folder


def test_demo_runs_end_to_end(tmp_path: Path) -> None:
    code, output = invoke("demo", "--out", tmp_path / "demo", "--quiet")
    assert code == 0, output
    for path in (
        "plan/schedule.parquet",
        "plan/report.html",
        "grading/tiers.parquet",
        "grading/grading.html",
    ):
        assert (tmp_path / "demo" / path).is_file(), path
    assert "independent check: holds" in output
    assert "KPIs per tier" in output
    # every order fits: the rules leave tier-A O00011 (due after the horizon) out, the search
    # without changeovers and every order required gets it in (scheduler/fit_all.py)
    orders = pd.read_parquet(tmp_path / "demo" / "plan" / "orders.parquet")
    assert "unscheduled" not in set(orders["status"]), orders.loc[
        orders["status"] == "unscheduled", "order_id"
    ]
    # the scenario folder holds the contract's files and nothing else (no package code)
    copied = {p.suffix for p in (tmp_path / "demo" / "scenario").iterdir()}
    assert copied == {".csv", ".toml"}, copied
    # the same product by the same date for a tier-A and a tier-C customer: different answers
    quotes = {
        rid: pd.read_parquet(tmp_path / "demo" / f"promise-{rid}" / "quotes.parquet").iloc[0]
        for rid in ("ASK-A", "ASK-C")
    }
    assert (quotes["ASK-A"]["tier"], quotes["ASK-C"]["tier"]) == ("A", "C")
    assert quotes["ASK-A"]["requested"] == quotes["ASK-C"]["requested"]
    # tier A may push lower tiers, tier C only takes what is left: never a later date for A
    # (the demo's plan uses all cores, so it varies; on some optimal plans both get the same)
    assert quotes["ASK-A"]["promise"] <= quotes["ASK-C"]["promise"]
    assert quotes["ASK-C"]["moved_orders"] == 0  # tier C has no one below it
    assert "promise for ASK-A (customer C009, tier A)" in output and "Promises" in output


def test_schedule_then_check(generated: Path, tmp_path: Path) -> None:
    plan = tmp_path / "plan"
    code, output = invoke("schedule", generated, "--out", plan, "--time-limit", 1, "--workers", 1, "--quiet")
    assert code == 0, output
    assert sorted(p.name for p in plan.iterdir()) == [
        "materials.parquet",
        "orders.parquet",
        "report.html",
        "schedule.parquet",
        "summary.json",
        "tiers.parquet",
    ]
    summary = json.loads((plan / "summary.json").read_text())
    assert summary["solver"]["time_limit_s"] == 1 and summary["solver"]["workers"] == 1
    assert set(summary["kpis"]) == {"A", "B", "C", "all"}
    code, output = invoke("check", generated, plan)
    assert code == 0 and "the plan holds" in output

    code, output = invoke("schedule", generated, "--out", plan, "--quiet", "--solver", "dispatch:edd")
    assert code == 2 and "use --force" in output
    code, output = invoke(
        "schedule", generated, "--out", plan, "--quiet", "--solver", "dispatch:edd", "--force"
    )
    assert code == 0, output
    assert json.loads((plan / "summary.json").read_text())["solver"]["plan_from"] == "dispatch:edd"

    schedule = pd.read_parquet(plan / "schedule.parquet")
    schedule.loc[0, "end"] = schedule.loc[0, "end"] + pd.Timedelta(minutes=3)
    schedule.to_parquet(plan / "schedule.parquet")
    code, output = invoke("check", generated, plan)
    assert code == 1 and "violation: schedule.parquet" in output and "expected setup + ceil" in output


def test_replanning_with_frozen_operations(generated: Path, tmp_path: Path) -> None:
    first, second = tmp_path / "first", tmp_path / "second"
    assert invoke("schedule", generated, "--out", first, "--quiet", "--solver", "dispatch:atc")[0] == 0
    code, output = invoke(
        "schedule",
        generated,
        "--out",
        second,
        "--quiet",
        "--time-limit",
        1,
        "--workers",
        1,
        "--previous",
        first,
        "--freeze-until",
        "2026-12-02T06:00",
    )
    assert code == 0, output
    a, b = pd.read_parquet(first / "schedule.parquet"), pd.read_parquet(second / "schedule.parquet")
    frozen = a[a["start"] < pd.Timestamp("2026-12-02T06:00")]
    assert len(frozen) and len(frozen.merge(b, on=list(b.columns))) == len(frozen)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--solver", "dispatch:random"], "unknown solver"),
        (["--objective", "fastest"], "unknown objective"),
        (["--previous", "somewhere"], "--previous and --freeze-until go together"),
    ],
)
def test_usage_errors_exit_2(generated: Path, tmp_path: Path, args: list[str], message: str) -> None:
    code, output = invoke("schedule", generated, "--out", tmp_path / "p", "--quiet", *args)
    assert code == 2 and message in output
    assert not (tmp_path / "p").exists()


def test_no_feasible_plan_exits_3(tmp_path: Path) -> None:
    tables = one_machine_shop(
        [{"order_id": "HUGE", "customer_id": "c", "product_id": "P", "quantity": 5000, "due": at(100)}]
    )
    folder = write_scenario(tmp_path / "s", tables)
    code, output = invoke("schedule", folder, "--out", tmp_path / "plan", "--quiet")
    assert code == 3
    assert "HUGE: cannot finish inside the horizon" in output
    assert not (tmp_path / "plan").exists()


def test_validate_generated_and_missing_folder(generated: Path, tmp_path: Path) -> None:
    assert invoke("validate", generated)[0] == 0
    code, output = invoke("validate", tmp_path / "nowhere")
    assert code == 1 and "not a folder" in output


def test_an_internal_error_is_one_line_not_a_traceback(generated: Path, tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    import scenarios.pipelines.schedule

    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("solver exploded")

    monkeypatch.setattr(scenarios.pipelines.schedule, "make_plan", broken)
    monkeypatch.delenv("TIERPLAN_DEBUG", raising=False)
    code, output = invoke("schedule", generated, "--out", tmp_path / "plan", "--quiet")
    assert code == 1 and "internal error: RuntimeError: solver exploded" in output
    assert not (tmp_path / "plan").exists()


@pytest.mark.slow
def test_replanning_a_large_plant_with_after_order_chains(tmp_path: Path) -> None:
    """The reported crash: neighbourhoods whose orders wait for frozen orders outside them."""
    plant, first, second = tmp_path / "g", tmp_path / "p", tmp_path / "r"
    assert invoke("generate", "--out", plant, "--orders", 120, "--seed", 4)[0] == 0
    code, output = invoke("schedule", plant, "--out", first, "--time-limit", 3, "--workers", 1, "--quiet")
    assert code == 0, output
    begin = pd.read_parquet(first / "schedule.parquet")["start"].min() + pd.Timedelta(hours=8)
    code, output = invoke(
        "schedule",
        plant,
        "--out",
        second,
        "--previous",
        first,
        "--freeze-until",
        begin.isoformat(),
        "--time-limit",
        4,
        "--workers",
        1,
        "--quiet",
    )
    assert code == 0, output
    assert (
        json.loads((second / "summary.json").read_text())["solver"]["rounds"][-1]["name"] == "neighbourhoods"
    )
    assert invoke("check", plant, second)[0] == 0


def test_an_order_started_before_the_freeze_that_cannot_finish_exits_3(tmp_path: Path) -> None:
    tables = one_machine_shop(
        [{"order_id": "O1", "customer_id": "c", "product_id": "P", "quantity": 600, "due": at(1400)}],
        routings=[
            {"product_id": "P", "step": s, "machine_id": "M1", "minutes_per_unit": 1.0} for s in (10, 20)
        ],
    )
    folder = write_scenario(tmp_path / "s", tables)  # horizon: one day; steps 0-600 and 600-1200
    assert invoke("schedule", folder, "--out", tmp_path / "p", "--quiet", "--solver", "dispatch:edd")[0] == 0
    tables["downtime"] = [{"machine_id": "M1", "start": at(600), "end": at(1440)}]  # then M1 broke down
    folder = write_scenario(tmp_path / "s", tables)
    code, output = invoke(
        "schedule",
        folder,
        "--out",
        tmp_path / "r",
        "--quiet",
        "--previous",
        tmp_path / "p",
        "--freeze-until",
        at(500),
    )  # step 10 stays at 0-600; step 20 has nowhere to go before the horizon ends
    assert code == 3, output
    assert (
        "1 order(s) started on the shop floor or before the freeze cannot finish inside the horizon" in output
    )
    assert "O1" in output and not (tmp_path / "r").exists()


def test_the_inputs_are_never_modified(generated: Path, tmp_path: Path) -> None:
    import hashlib

    def contents(folder: Path) -> dict[str, str]:
        return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir())}

    before = contents(generated)
    study = tmp_path / "study.toml"
    study.write_text(
        f'base = "{generated}"\n[solve]\ntime_limit_s = 0.5\n'
        '[[variant]]\nname = "v"\nobjective = "makespan"\n'
    )
    for args in (
        ["validate", generated],
        ["grade", generated, "--out", tmp_path / "grading"],
        ["schedule", generated, "--out", tmp_path / "plan", "--time-limit", 0.5, "--quiet"],
        ["check", generated, tmp_path / "plan"],
        ["complaints", generated, "--as-of", "2026-12-01T06:00", "--out", tmp_path / "complaints"],
        ["batch", generated, "--out", tmp_path / "batch", "--time-limit", 0.5],
        ["run", study, "--out", tmp_path / "study", "--quiet"],
    ):
        assert invoke(*args)[0] == 0, args
    assert contents(generated) == before


def test_a_step_whose_only_machine_is_down_all_horizon_exits_3_naming_it(tmp_path: Path) -> None:
    tables = one_machine_shop(
        [{"order_id": "O1", "customer_id": "c", "product_id": "P", "quantity": 10, "due": at(600)}],
        downtime=[{"machine_id": "M1", "start": at(-60), "end": at(3000)}],
    )
    folder = write_scenario(tmp_path / "s", tables)
    code, output = invoke("schedule", folder, "--out", tmp_path / "plan", "--quiet")
    assert code == 3 and "O1:" in output and "M1" in output
    assert not (tmp_path / "plan").exists()
