"""Stable re-planning after a breakdown: what moves, and what the stability costs in tardiness.

Per plant (`tierplan generate --orders N --seed S`, calendars and changeovers): plan it,
then break its busiest machine for 36 hours from four hours after the first start (or when
what runs there then ends) and re-plan with `--previous` and `--freeze-until` that moment,
once without the stability term (`stability_weight = 0`, the baseline) and once with the
default prices. Printed: the operations the breakdown hits (those of the first plan on the
broken machine inside the breakdown), the operations after the freeze that change machine
(or leave the plan), that move at all, the sequence changes, and the objectives (weighted
tardiness plus penalties, the stability cost left out) with their ratio, and "kept": what the
first plan costs as it stands, repaired by a right shift (the re-plan's start that moves nothing
it need not), against the unstable re-plan: how much a re-plan gains beyond the breakdown.

    python benchmarks/bench_replan.py [--sizes 150 2000] [--seeds 12 13 14] [--first 20] [--replan 30]
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import tempfile
from pathlib import Path

import pandas as pd

TIERPLAN = str(Path(sys.executable).with_name("tierplan"))


def run(*args: str) -> None:
    done = subprocess.run([TIERPLAN, *args], capture_output=True, text=True)
    if done.returncode:
        raise SystemExit(done.stdout + done.stderr)


def break_busiest(plant: Path, plan: Path) -> tuple[pd.Timestamp, pd.DataFrame, pd.DataFrame]:
    """Add the breakdown; return the freeze, the first plan's operations after it, those hit."""
    first = pd.read_parquet(plan / "schedule.parquet")
    freeze = first["start"].min() + pd.Timedelta(hours=4)
    later = first[first["start"] >= freeze]
    busy = later.groupby("machine_id").apply(lambda g: (g["end"] - g["start"]).sum()).idxmax()
    begin = max([freeze, *first.loc[(first["machine_id"] == busy) & (first["start"] < freeze), "end"]])
    end = begin + pd.Timedelta(hours=36)
    downtime = pd.read_parquet(plant / "downtime.parquet")
    row = pd.DataFrame([{"machine_id": busy, "start": begin, "end": end}]).astype(downtime.dtypes.to_dict())
    pd.concat([downtime, row]).to_parquet(plant / "downtime.parquet")
    hit = later[(later["machine_id"] == busy) & (later["start"] < end) & (later["end"] > begin)]
    return freeze, later, hit


def replan(plant: Path, plan: Path, out: Path, freeze: pd.Timestamp, seconds: float, weight: float) -> dict:
    text = re.sub(r"^stability_weight = .*\n", "", (plant / "scenario.toml").read_text(), flags=re.M)
    (plant / "scenario.toml").write_text(text.replace("[solve]\n", f"[solve]\nstability_weight = {weight}\n"))
    run(
        "schedule",
        str(plant),
        "--out",
        str(out),
        "--previous",
        str(plan),
        "--freeze-until",
        freeze.isoformat(),
        "--time-limit",
        str(seconds),
        "--quiet",
    )
    return json.loads((out / "summary.json").read_text())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", type=int, nargs="*", default=[150, 2000])
    parser.add_argument("--seeds", type=int, nargs="*", default=[12, 13, 14])
    parser.add_argument("--first", type=float, default=20.0, help="seconds for the first plan")
    parser.add_argument("--replan", type=float, default=30.0, help="seconds for each re-plan")
    args = parser.parse_args()
    print(
        f"{'orders':>7}{'seed':>5}{'hit':>5}{'after':>7}{'machine s/u':>13}{'moved s/u':>11}"
        f"{'seq s/u':>9}{'objective stable':>18}{'unstable':>11}{'ratio':>7}{'changes/hit':>13}{'kept':>7}"
    )
    with tempfile.TemporaryDirectory() as tmp:
        for size in args.sizes:
            for seed in args.seeds:
                plant, first = Path(tmp) / f"plant-{size}-{seed}", Path(tmp) / f"first-{size}-{seed}"
                run("generate", "--out", str(plant), "--orders", str(size), "--seed", str(seed))
                run("schedule", str(plant), "--out", str(first), "--time-limit", str(args.first), "--quiet")
                freeze, later, hit = break_busiest(plant, first)
                unstable = replan(plant, first, Path(tmp) / f"u-{size}-{seed}", freeze, args.replan, 0.0)
                stable = replan(plant, first, Path(tmp) / f"s-{size}-{seed}", freeze, args.replan, 1.0)
                u, s = unstable["stability"], stable["stability"]
                ratio = stable["objective_value"] / unstable["objective_value"]
                kept = unstable["solver"]["dispatch_rules"].get("previous", float("nan"))
                kept /= unstable["objective_value"]
                print(
                    f"{size:>7}{seed:>5}{len(hit):>5}{len(later):>7}"
                    f"{s['machine_changes']:>6}/{u['machine_changes']:<6}{s['operations_moved']:>5}/"
                    f"{u['operations_moved']:<5}{s['sequence_changes']:>4}/{u['sequence_changes']:<4}"
                    f"{stable['objective_value']:>18,.0f}{unstable['objective_value']:>11,.0f}{ratio:>7.3f}"
                    f"{s['machine_changes'] / max(1, len(hit)):>13.2f}{kept:>7.3f}",
                    flush=True,
                )


if __name__ == "__main__":
    main()
