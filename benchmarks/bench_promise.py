"""How fast `tierplan promise` answers, and how that grows with the plan.

For each plan size, a generated plant (`tierplan generate --orders N`) is planned once
(`--solver dispatch:atc`: the promise's speed does not depend on the plan's quality), then
`tierplan promise` answers, in its own process, one request of a tier-A customer and a
file of five (tier A, B, C, A, B), with `--displace none` and `lower-slack`. Printed per
run: the command's wall seconds (reading the scenario, the plan and the requests,
answering, checking and drawing the held plan, writing it), the seconds from the start
of reading until every quote is known (summary.json `seconds_to_quotes`) and the seconds
the answers themselves took (`seconds_per_request`); three runs each, medians.

    python benchmarks/bench_promise.py [--sizes 200 2000 20000] [--runs 3] [--seed 1]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

TIERPLAN = str(Path(sys.executable).with_name("tierplan"))


def requests_file(plant: Path, plan: Path, path: Path, count: int) -> None:
    """``count`` requests of customers of tiers A, B, C, A, B ... for products of the plant."""
    tiers = pd.read_parquet(plan / "tiers.parquet")
    products = sorted(set(pd.read_parquet(plant / "routings.parquet")["product_id"]))
    start = pd.Timestamp("2026-12-01T06:00")
    rows = []
    for i in range(count):
        tier = "ABC"[i % 3]
        customer = sorted(tiers.loc[tiers["tier"] == tier, "customer_id"])[i]
        rows.append(
            {
                "request_id": f"REQ{i + 1}",
                "customer_id": customer,
                "product_id": products[(7 * i) % len(products)],
                "quantity": 40,
                "requested": start + pd.Timedelta(days=4),
            }
        )
    pd.DataFrame(rows).to_csv(path, index=False)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", type=int, nargs="*", default=[200, 2000, 20000])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    print(
        f"{'orders':>7}{'requests':>9}{'displace':>13}{'wall s':>8}{'to quotes s':>13}{'answers s':>11}"
        "   runs (wall / to quotes / answers)"
    )
    with tempfile.TemporaryDirectory() as tmp:
        for size in args.sizes:
            plant, plan = Path(tmp) / f"plant-{size}", Path(tmp) / f"plan-{size}"
            subprocess.run(
                [TIERPLAN, "generate", "--out", str(plant), "--orders", str(size), "--seed", str(args.seed)],
                check=True,
                stdout=subprocess.DEVNULL,
            )
            subprocess.run(
                [TIERPLAN, "schedule", str(plant), "--out", str(plan), "--solver", "dispatch:atc", "--quiet"],
                check=True,
                stdout=subprocess.DEVNULL,
            )
            for count in (1, 5):
                asked = Path(tmp) / f"requests-{size}-{count}.csv"
                requests_file(plant, plan, asked, count)
                for mode in ("none", "lower-slack"):
                    walls, quotes, answers = [], [], []
                    for run in range(args.runs):
                        out = Path(tmp) / f"quotes-{size}-{count}-{mode}-{run}"
                        began = time.perf_counter()
                        subprocess.run(
                            [
                                TIERPLAN,
                                "promise",
                                str(plant),
                                str(plan),
                                str(asked),
                                "--out",
                                str(out),
                                "--displace",
                                mode,
                            ],
                            check=True,
                            stdout=subprocess.DEVNULL,
                        )
                        walls.append(time.perf_counter() - began)
                        summary = json.loads((out / "summary.json").read_text())
                        answers.append(sum(summary["seconds_per_request"]))
                        quotes.append(summary["seconds_to_quotes"])
                    runs = ", ".join(
                        f"{w:.1f}/{q:.1f}/{a:.2f}" for w, q, a in zip(walls, quotes, answers, strict=True)
                    )
                    print(
                        f"{size:>7}{count:>9}{mode:>13}{statistics.median(walls):>8.1f}"
                        f"{statistics.median(quotes):>13.1f}{statistics.median(answers):>11.2f}   {runs}",
                        flush=True,
                    )


if __name__ == "__main__":
    main()
