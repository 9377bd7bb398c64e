"""Planning from the shop floor's state costs no more time or memory than planning from scratch.

For each seed, the same generated plant is written twice, once with no work in progress
(`--started 0`) and once with a share of its orders started (`--started S`: done steps,
running work, orders between steps), and `tierplan schedule` plans each in its own
process. Printed per run: wall seconds, peak memory (the process's maximum resident set),
the objective, the best dispatch rule's objective in the same run, and the ratio of the
two; then the medians of started / none for wall time and memory.

    python benchmarks/bench_progress.py [--orders 2000] [--started 0.2] [--seeds 1 2 3]
                                        [--time-limit 60] [--workers 0]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TIERPLAN = str(Path(sys.executable).with_name("tierplan"))


def timed_run(args: list[str]) -> tuple[float, float]:
    """Run a command; its wall seconds and peak resident memory in MB."""
    began = time.perf_counter()
    process = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - began
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(
            f"{' '.join(args)} failed: {process.stderr.read().decode() if process.stderr else ''}"
        )
    return wall, usage.ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--orders", type=int, default=2000)
    parser.add_argument("--started", type=float, default=0.2)
    parser.add_argument("--seeds", type=int, nargs="*", default=[1, 2, 3])
    parser.add_argument("--time-limit", type=float, default=60.0)
    parser.add_argument("--workers", type=int, default=0)
    args = parser.parse_args()
    print(
        f"{'seed':>5}{'started':>9}{'wall s':>9}{'peak MB':>9}{'objective':>14}{'best rule':>14}{'ratio':>7}"
    )
    walls: dict[float, list[float]] = {0.0: [], args.started: []}
    memory: dict[float, list[float]] = {0.0: [], args.started: []}
    with tempfile.TemporaryDirectory() as tmp:
        for seed in args.seeds:
            for share in (0.0, args.started):
                plant, plan = Path(tmp) / f"plant-{seed}-{share}", Path(tmp) / f"plan-{seed}-{share}"
                generate = [TIERPLAN, "generate", "--out", str(plant), "--orders", str(args.orders)]
                subprocess.run([*generate, "--seed", str(seed), "--started", str(share)], check=True)
                schedule = [TIERPLAN, "schedule", str(plant), "--out", str(plan), "--quiet"]
                wall, peak = timed_run(
                    [*schedule, "--time-limit", str(args.time_limit), "--workers", str(args.workers)]
                )
                summary = json.loads((plan / "summary.json").read_text())
                rule = min(summary["solver"]["dispatch_rules"].values())
                walls[share].append(wall)
                memory[share].append(peak)
                print(
                    f"{seed:>5}{share:>9.2f}{wall:>9.1f}{peak:>9.0f}{summary['objective_value']:>14,.0f}"
                    f"{rule:>14,.0f}{summary['objective_value'] / rule:>7.2f}",
                    flush=True,
                )
    for name, values in (("wall time", walls), ("peak memory", memory)):
        ratios = [a / b for a, b in zip(values[args.started], values[0.0], strict=True)]
        print(
            f"{name}: started {args.started} / none, median {statistics.median(ratios):.2f} (runs: "
            + ", ".join(f"{r:.2f}" for r in ratios)
            + ")"
        )


if __name__ == "__main__":
    main()
