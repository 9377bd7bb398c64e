"""Scheduling quality on public job-shop instances, through the product's own pipeline.

Every instance becomes a scenario (scenarios/jobshop.py) and is planned exactly as
`tierplan schedule` plans it: dispatch rules, CP-SAT warm-started from the best rule,
independent check. Printed per instance: the best dispatch rule (the baseline of this
run), tierplan's value and bound, and the best-known value from the literature.

    python benchmarks/bench_jobshop.py [--kind makespan|twt|both] [--time-limit 60] [--workers 0]
                                       [--instances ft10 la21 ...] [--quick]
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from pathlib import Path

from scenarios.jobshop import jobshop_settings, jobshop_tables
from scenarios.model import scenario_from_tables
from scenarios.pipeline import make_plan, solve_options

DATA = Path(__file__).resolve().parents[2] / "shared" / "benchdata"
MAKESPAN = [
    "ft06",
    "ft10",
    "ft20",
    "la01",
    "la06",
    "la11",
    "la16",
    "la21",
    "la26",
    "la31",
    "la36",
    "ta01",
    "ta11",
    "ta21",
]
TWT = [f"{b}_f{f}" for b in ("abz5", "la16", "la21", "mt10", "orb01", "orb05") for f in ("1.3", "1.5")]
QUICK = {"makespan": ["ft06", "ft10", "la16", "ta01"], "twt": ["la16_f1.5", "mt10_f1.5", "orb05_f1.5"]}


def run_instance(kind: str, name: str, data: dict, time_limit: float, workers: int) -> dict:
    objective = "makespan" if kind == "makespan" else "weighted_tardiness"
    tables = jobshop_tables(
        data["machines"],
        data["durations"],
        data.get("due_dates"),
        data.get("weights"),
        data.get("release_dates"),
    )
    scenario = scenario_from_tables(
        name, jobshop_settings(data["durations"], objective, time_limit, workers), tables
    )
    began = time.perf_counter()
    summary = make_plan(scenario, solve_options(scenario)).tables.summary
    known = data.get("optimum") or data.get("upper_bound") if kind == "makespan" else data.get("best_known")
    return {
        "instance": name,
        "size": f"{len(data['machines'])}x{len(data['machines'][0])}",
        "dispatch": min(summary["solver"]["dispatch_rules"].values()),
        "tierplan": summary["objective_value"],
        "bound": summary["best_bound"],
        "status": summary["status"],
        "known": known,
        "seconds": round(time.perf_counter() - began, 1),
    }


def gap(value: float, known: float | None) -> float | None:
    if known is None:
        return None
    return (value - known) / known if known > 0 else (0.0 if value == 0 else None)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--kind", choices=["makespan", "twt", "both"], default="both")
    parser.add_argument("--time-limit", type=float, default=60.0)
    parser.add_argument("--workers", type=int, default=0)
    parser.add_argument("--instances", nargs="*")
    parser.add_argument("--quick", action="store_true", help="a few instances, 10 s each")
    args = parser.parse_args()
    time_limit = 10.0 if args.quick else args.time_limit
    kinds = ["makespan", "twt"] if args.kind == "both" else [args.kind]
    for kind in kinds:
        instances = json.loads(
            (DATA / f"jobshop_{'makespan' if kind == 'makespan' else 'twt'}.json").read_text()
        )
        names = args.instances or (QUICK[kind] if args.quick else (MAKESPAN if kind == "makespan" else TWT))
        names = [n for n in names if n in instances]
        print(f"\n{kind}: {len(names)} instances, {time_limit:g} s each, workers={args.workers}")
        print(
            f"{'instance':<12}{'size':>7}{'dispatch':>10}{'tierplan':>10}{'bound':>10}{'known':>8}"
            f"{'gap':>8}{'vs rule':>9}{'s':>7}  status"
        )
        rows = []
        for name in names:
            r = run_instance(kind, name, instances[name], time_limit, args.workers)
            rows.append(r)
            g = gap(r["tierplan"], r["known"])
            vs = r["tierplan"] / r["dispatch"] if r["dispatch"] else 1.0
            bound = "-" if r["bound"] is None else f"{r['bound']:.0f}"
            print(
                f"{r['instance']:<12}{r['size']:>7}{r['dispatch']:>10.0f}{r['tierplan']:>10.0f}{bound:>10}"
                f"{r['known'] if r['known'] is not None else '-':>8}"
                f"{'-' if g is None else f'{g:.1%}':>8}{vs:>9.2f}{r['seconds']:>7.1f}  {r['status']}",
                flush=True,
            )
        gaps = [g for r in rows if (g := gap(r["tierplan"], r["known"])) is not None]
        ratios = [r["tierplan"] / r["dispatch"] for r in rows if r["dispatch"]]
        matched = sum(1 for r in rows if r["known"] is not None and r["tierplan"] <= r["known"])
        print(
            f"median gap to best known: {statistics.median(gaps):.1%}; median tierplan / best dispatch rule: "
            f"{statistics.median(ratios):.2f}; best known reached on {matched} of {len(rows)}"
        )


if __name__ == "__main__":
    main()
