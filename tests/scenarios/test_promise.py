"""tierplan promise (contract section 6) on shops whose earliest promise is worked out by hand.

Every shop starts Tuesday 2026-12-01 06:00 (minute 0); product P is one step on M1 at a
minute per unit unless said otherwise. The plan is made by `tierplan schedule` and checked
to be the one assumed (orders at their release, nothing late) before any promise is asked.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from tests.helpers import at, customers, order_row, settings_text, write_scenario
from tests.helpers.cli import invoke
from tests.helpers.promise import GAPS, ask, gaps_shop, minute, planned, request


@pytest.mark.parametrize("mode", ["none", "lower-slack", "lower"])
def test_a_single_machine_with_gaps_in_file_order(tmp_path: Path, mode: str) -> None:
    """20 minutes fit the 30-minute gap: 60-80. The next 40 minutes no longer fit 80-90 and
    go to the 50-minute gap: 150-190. Requests of the lowest tier move nothing."""
    folder = planned(tmp_path, gaps_shop(), GAPS)
    quotes = ask(tmp_path, folder, [request("R1", 20, "CC"), request("R2", 40, "CC")], mode)
    assert [minute(quotes.loc[r, "promise"]) for r in ("R1", "R2")] == [80, 190]
    assert list(quotes["moved_orders"]) == [0, 0]
    assert (tmp_path / "out" / "plan" / "report.html").is_file()
    held = pd.read_parquet(tmp_path / "out" / "plan" / "schedule.parquet").set_index("order_id")
    assert {o: (minute(held.loc[o, "start"]), minute(held.loc[o, "end"])) for o in GAPS} == GAPS


def test_a_tier_a_request_moves_lower_tiers_within_their_slack(tmp_path: Path) -> None:
    """O1 and O3 (tier C, due at minute 2000) may move; O2 (tier A) may not. The tier-A
    request runs 0-40; O1 cannot go 40-100 (O2 runs from 90): it goes after O2, 150-210,
    and O3 follows, 210-270. Both stay on time; nothing is late that was not."""
    folder = planned(tmp_path, gaps_shop(), GAPS)
    none = ask(tmp_path, folder, [request("R", 40, "CA")], "none", "none")
    slack = ask(tmp_path, folder, [request("R", 40, "CA")], "lower-slack", "slack")
    assert minute(none.loc["R", "promise"]) == 190 and none.loc["R", "moved_orders"] == 0
    assert minute(slack.loc["R", "promise"]) == 40
    assert slack.loc["R", "moved_orders"] == 2 and slack.loc["R", "added_weighted_tardiness"] == 0
    moved = pd.read_parquet(tmp_path / "slack" / "moved.parquet").set_index("order_id")
    assert {o: minute(moved.loc[o, "new_completion"]) for o in moved.index} == {"O1": 210, "O3": 270}
    assert set(moved["tier"]) == {"C"}
    tier_b = ask(tmp_path, folder, [request("R", 40, "CC")], "lower-slack", "tier-c")
    assert minute(tier_b.loc["R", "promise"]) == 190  # the lowest tier has no one below it


def test_slack_bounds_lower_slack_and_lower_states_the_price(tmp_path: Path) -> None:
    """O1 due at minute 80: within its slack it must end by 80, which leaves no 40 minutes
    before O2, so lower-slack promises what none does (190). lower makes O1 late: it ends
    at 210, 130 minutes late, tier C weight 1: the price is 130."""
    tables = gaps_shop()
    tables["orders"][0]["due"] = at(80)
    folder = planned(tmp_path, tables, GAPS)
    slack = ask(tmp_path, folder, [request("R", 40, "CA")], "lower-slack", "slack")
    assert minute(slack.loc["R", "promise"]) == 190 and slack.loc["R", "moved_orders"] == 0
    lower = ask(tmp_path, folder, [request("R", 40, "CA")], "lower", "lower")
    assert minute(lower.loc["R", "promise"]) == 40
    assert lower.loc["R", "added_weighted_tardiness"] == 130
    moved = pd.read_parquet(tmp_path / "lower" / "moved.parquet").set_index("order_id")
    assert (
        moved.loc["O1", "added_weighted_tardiness"] == 130
        and moved.loc["O3", "added_weighted_tardiness"] == 0
    )


def test_a_request_waits_for_a_receipt(tmp_path: Path) -> None:
    """K: 10 on hand, O1 takes them at 0; 50 arrive at minute 300. 20 units need 20 K: the
    request starts at 300, ends 320, and its reason names the receipt."""
    tables = {
        **gaps_shop(),
        "orders": [order_row("O1", 10, due=2000, release=0, customer="CC")],
        "materials": [{"material_id": "K", "on_hand": 10}],
        "receipts": [{"material_id": "K", "arrival": at(300), "quantity": 50}],
        "bom": [{"product_id": "P", "material_id": "K", "quantity_per_unit": 1}],
    }
    folder = planned(tmp_path, tables, {"O1": (0, 10)})
    for mode in ("none", "lower-slack"):
        quotes = ask(tmp_path, folder, [request("R", 20, "CA")], mode, mode)
        assert minute(quotes.loc["R", "promise"]) == 320
        assert "waits for material K until 2026-12-01 11:00" in quotes.loc["R", "reason"]
        taken = pd.read_parquet(tmp_path / mode / "plan" / "materials.parquet").set_index("order_id")
        assert minute(taken.loc["R", "time"]) == 300


def test_a_request_between_two_changeover_families(tmp_path: Path) -> None:
    """M1 runs red 0-60 and blue 130-190. A green request of 10 minutes needs 30 after red
    and 30 before blue: it starts at 90 and ends at 100, exactly 30 before blue."""
    tables = {
        "orders": [
            order_row("O1", 60, due=2000, release=0, customer="CC", product="RED"),
            order_row("O2", 60, due=2000, release=130, customer="CC", product="BLUE"),
        ],
        "routings": [
            {"product_id": p, "step": 10, "machine_id": "M1", "minutes_per_unit": 1, "family": f}
            for p, f in (("RED", "red"), ("BLUE", "blue"), ("GREEN", "green"))
        ],
        "machines": [{"machine_id": "M1"}],
        "changeovers": [
            {"machine_id": "", "from_family": a, "to_family": b, "minutes": m}
            for a, b, m in (
                ("red", "blue", 20),
                ("red", "green", 30),
                ("green", "blue", 30),
                ("blue", "green", 10),
            )
        ],
        "customers": customers({"CA": "A", "CC": "C"}),
    }
    folder = planned(tmp_path, tables, {"O1": (0, 60), "O2": (130, 190)})
    quotes = ask(tmp_path, folder, [request("R", 10, "CC", product="GREEN")], "none")
    assert minute(quotes.loc["R", "promise"]) == 100
    held = pd.read_parquet(tmp_path / "out" / "plan" / "schedule.parquet").set_index("order_id")
    assert held.loc["R", "changeover_minutes"] == 30 and held.loc["O2", "changeover_minutes"] == 30


def test_an_off_shift_night(tmp_path: Path) -> None:
    """M1 works 06:00-14:00 on weekdays and O1 holds Tuesday 06:00-12:00. 180 minutes that
    may not pause do not fit the two hours left: Wednesday 06:00-09:00. A step that may
    pause runs Tuesday 12:00-14:00 and Wednesday 06:00-07:00."""
    tables = {
        "orders": [order_row("O1", 360, due=2000, release=0, customer="CC")],
        "routings": [
            {"product_id": p, "step": 10, "machine_id": "M1", "minutes_per_unit": 1, "resumable": r}
            for p, r in (("P", False), ("PAUSE", True))
        ],
        "machines": [{"machine_id": "M1", "calendar": "DAY"}],
        "shifts": [
            {"calendar_id": "DAY", "weekday": d, "start": "06:00", "end": "14:00"} for d in range(1, 6)
        ],
        "customers": customers({"CA": "A", "CC": "C"}),
    }
    folder = planned(tmp_path, tables, {"O1": (0, 360)}, days=3)
    quotes = ask(
        tmp_path, folder, [request("R", 180, "CA"), request("S", 180, "CA", product="PAUSE")], "none"
    )
    assert quotes.loc["R", "promise"] == pd.Timestamp("2026-12-02T09:00")
    # R holds Wednesday 06:00-09:00 now; a paused step still holds its machine from start to
    # end, so S cannot start on Tuesday and run around R: it runs Wednesday 09:00-12:00
    assert quotes.loc["S", "promise"] == pd.Timestamp("2026-12-02T12:00")
    alone = ask(tmp_path, folder, [request("S", 180, "CA", product="PAUSE")], "none", "alone")
    assert alone.loc["S", "promise"] == pd.Timestamp("2026-12-02T07:00")


def test_the_output_folder_holds_every_promise_and_checks(tmp_path: Path) -> None:
    folder = planned(tmp_path, gaps_shop(), GAPS)
    rows = [request("R1", 20, "CC", requested=at(70)), request("R2", 40, "CA", requested=at(100))]
    quotes = ask(tmp_path, folder, rows, "lower-slack")
    assert list(quotes.columns) == [
        "customer_id",
        "tier",
        "promise",
        "requested",
        "on_requested",
        "displace",
        "moved_orders",
        "added_weighted_tardiness",
        "reason",
        "seconds",
    ]
    assert list(quotes["on_requested"]) == [False, True]  # R1 ends 80 > 70; R2 runs 0-40 after moves
    held = tmp_path / "out" / "plan"
    orders = pd.read_parquet(held / "orders.parquet").set_index("order_id")
    assert minute(orders.loc["R1", "due"]) == 70 and orders.loc["R1", "tardiness_minutes"] == 10
    assert orders.loc["R1", "reason"]
    code, output = invoke("check", folder, held, "--requests", tmp_path / "out-requests.csv")
    assert code == 0, output
    summary = json.loads((tmp_path / "out" / "summary.json").read_text())
    assert summary["displace"] == "lower-slack" and summary["requests"] == 2
    assert len(summary["seconds_per_request"]) == 2


BAD = {
    "an existing order_id": (
        [request("O1", 5)],
        "requests [request_id=O1] request_id: O1 is an order of the scenario; expected a new id",
    ),
    "an unknown product": (
        [request("R", 5, product="Q")],
        "requests [request_id=R] product_id: unknown product Q",
    ),
    "a quantity that is not positive": (
        [request("R", 0)],
        "requests [request_id=R] quantity: found 0; expected a whole number > 0",
    ),
    "a request id twice": (
        [request("R", 5), request("R", 6)],
        "requests [request_id=R] request_id: duplicate key",
    ),
    "requested before release": (
        [request("R", 5, requested=at(10), release=at(20))],
        "requests [request_id=R] requested: requested",
    ),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_requests_are_input_errors(tmp_path: Path, case: str) -> None:
    folder = planned(tmp_path, gaps_shop(), GAPS)
    rows, expected = BAD[case]
    pd.DataFrame(rows).to_csv(tmp_path / "requests.csv", index=False)
    code, output = invoke(
        "promise", folder, tmp_path / "plan", tmp_path / "requests.csv", "--out", tmp_path / "q"
    )
    flat = " ".join(output.split())
    assert code == 1 and expected in flat, flat
    assert not (tmp_path / "q").exists()


def test_a_plan_of_another_scenario_is_an_input_error(tmp_path: Path) -> None:
    folder = planned(tmp_path, gaps_shop(), GAPS)
    other = gaps_shop()
    other["orders"] = other["orders"][:2]
    other_folder = write_scenario(tmp_path / "other", other, settings_text(horizon_days=2))
    pd.DataFrame([request("R", 5)]).to_csv(tmp_path / "requests.csv", index=False)
    code, output = invoke(
        "promise", other_folder, tmp_path / "plan", tmp_path / "requests.csv", "--out", tmp_path / "q"
    )
    flat = " ".join(output.split())
    assert code == 1 and "plan/orders.parquet order_id: its orders differ from the scenario's" in flat, flat
    assert not (tmp_path / "q").exists() and folder.is_dir()
