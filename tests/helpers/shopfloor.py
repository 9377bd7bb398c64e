"""A simulated shop floor: a day of a plan carried out to the letter, as the next night's scenario.

The shop floor does what the plan says for ``hours``: operations that end by then are done,
those that have started are running with the working minutes their machine still needs
(counted from the scenario's shifts and downtime, as the checker counts them), material
is issued when a step starts, and receipts that have arrived are stock.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pandas as pd

from scenarios.contract.model import load_scenario
from scheduler.check_plant import working_time

MINUTE = pd.Timedelta(minutes=1)


def _worked(stretches: list[tuple[int, int]] | None, a: int, b: int) -> int:
    if stretches is None:
        return max(0, b - a)
    return sum(max(0, min(e, b) - max(s, a)) for s, e in stretches)


def carry_out(scenario: Path, plan: Path, out: Path, hours: float) -> pd.Timestamp:
    """Write into ``out`` the scenario of ``hours`` later; return its plan start."""
    loaded = load_scenario(scenario)
    start = loaded.settings.plan.start
    now = start + pd.Timedelta(hours=hours)
    shutil.copytree(scenario, out)
    for old in out.glob("progress.*"):
        old.unlink()
    schedule = pd.read_parquet(plan / "schedule.parquet")
    before = loaded["progress"].set_index(["order_id", "step"])["started_at"].to_dict()
    working = working_time(loaded.tables, start, loaded.settings.plan.horizon_minutes)
    rows = [r for r in loaded["progress"].to_dict("records") if r["state"] == "done"]
    for r in schedule[schedule["start"] < now].itertuples():
        began = before.get((r.order_id, r.step), r.start)  # running already: since then
        if r.end <= now:
            rows.append(_row(r, "done", began, finished=r.end))
        else:
            a, b = round((now - start) / MINUTE), round((r.end - start) / MINUTE)
            left = _worked(working[r.machine_id].stretches, a, b)
            rows.append(_row(r, "running", began, remaining=left))
    progress = pd.DataFrame(rows)
    progress["remaining_minutes"] = progress["remaining_minutes"].astype("Int64")
    progress.to_parquet(out / "progress.parquet", index=False)
    _stock(loaded, plan, out, now)
    text = (out / "scenario.toml").read_text()
    (out / "scenario.toml").write_text(
        re.sub(r"^start = .*$", f"start = {now.isoformat()}", text, flags=re.M)
    )
    return now


def _row(
    r: object, state: str, began: pd.Timestamp, finished: object = None, remaining: int | None = None
) -> dict[str, object]:
    return {
        "order_id": r.order_id,  # type: ignore[attr-defined]
        "step": int(r.step),  # type: ignore[attr-defined]
        "machine_id": r.machine_id,  # type: ignore[attr-defined]
        "state": state,
        "started_at": began,
        "finished_at": finished,
        "remaining_minutes": remaining,
    }


def _stock(loaded: object, plan: Path, out: Path, now: pd.Timestamp) -> None:
    """Stock after what was issued and what arrived by ``now``; later receipts stay receipts."""
    materials = loaded["materials"].copy()  # type: ignore[index]
    receipts = loaded["receipts"]  # type: ignore[index]
    issued = pd.read_parquet(plan / "materials.parquet")
    issued = issued[issued["time"] < now].groupby("material_id")["quantity"].sum()
    arrived = receipts[receipts["arrival"] <= now].groupby("material_id")["quantity"].sum()
    on_hand = materials.set_index("material_id")["on_hand"]
    on_hand = on_hand.add(arrived, fill_value=0).sub(issued, fill_value=0).clip(lower=0)
    for old in [*out.glob("materials.*"), *out.glob("receipts.*")]:
        old.unlink()
    pd.DataFrame({"material_id": on_hand.index, "on_hand": on_hand.round(9).to_numpy()}).to_parquet(
        out / "materials.parquet", index=False
    )
    receipts[receipts["arrival"] > now][["material_id", "arrival", "quantity"]].to_parquet(
        out / "receipts.parquet", index=False
    )
