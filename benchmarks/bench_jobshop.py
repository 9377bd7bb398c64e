"""Scheduling quality on public job-shop instances, through the product's own pipeline.

Job shops (makespan, total weighted tardiness; ``../shared/benchdata``) and flexible job
shops (makespan, alternative machines with their own durations: Brandimarte mk01-mk10 and
Hurink la21-la25 in three sets, ``benchmarks/data/flexible``). Every instance becomes a
scenario (scenarios/generators/jobshop.py) and is planned exactly as
`tierplan schedule` plans it: dispatch rules, CP-SAT warm-started from the best rule,
independent check. Printed per instance: the best dispatch rule (the baseline of this
run), tierplan's value and bound, and the best-known value from the literature.

    python benchmarks/bench_jobshop.py [--kind makespan|twt|both|flexible] [--time-limit 60] [--workers 0]
                                       [--instances ft10 la21 ...] [--quick] [--peer] [--data FOLDER]

``--peer`` also solves each instance with PyJobShop (``pip install pyjobshop``, which
``make bench`` installs) at the same limit and workers, and prints its value and gap.
``--data`` names the folder of ``jobshop_makespan.json`` and ``jobshop_twt.json`` when it is
not ``../shared/benchdata`` next to the repository (a clone elsewhere, a copy of the data).
"""

from __future__ import annotations

import argparse
import itertools
import json
import statistics
import time
from pathlib import Path

from scenarios.contract.model import scenario_from_tables
from scenarios.generators.jobshop import flexible_tables, jobshop_settings, longest_minutes, read_flexible
from scenarios.pipelines.schedule import make_plan, solve_options

DATA = Path(__file__).resolve().parents[2] / "shared" / "benchdata"
FLEXIBLE = Path(__file__).resolve().parent / "data" / "flexible"
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
QUICK = {
    "makespan": ["ft06", "ft10", "la16", "ta01"],
    "twt": ["la16_f1.5", "mt10_f1.5", "orb05_f1.5"],
    "flexible": ["brandimarte-mk01", "brandimarte-mk04", "hurink-vdata-la21"],
}


def load_instances(kind: str, data: Path = DATA) -> dict[str, dict]:
    """Per instance: ``jobs`` (per job, per operation, the (machine, minutes) alternatives),
    the optional due dates, weights and release dates, and ``known``, the best-known value."""
    if kind == "flexible":
        known = json.loads((FLEXIBLE / "known.json").read_text())
        return {
            name: {"jobs": read_flexible((FLEXIBLE / f"{name}.txt").read_text()), "known": k["best_known"]}
            for name, k in known.items()
        }
    path = data / f"jobshop_{kind}.json"
    if not path.is_file():
        raise SystemExit(f"no job-shop instances at {path}: pass --data with the folder that holds it")
    raw = json.loads(path.read_text())
    return {
        name: {
            **d,
            "jobs": [
                [[(m, t)] for m, t in zip(*job, strict=True)]
                for job in zip(d["machines"], d["durations"], strict=True)
            ],
            "known": d.get("optimum") or d.get("upper_bound") if kind == "makespan" else d.get("best_known"),
        }
        for name, d in raw.items()
    }


def run_instance(kind: str, name: str, data: dict, time_limit: float, workers: int) -> dict:
    objective = "weighted_tardiness" if kind == "twt" else "makespan"
    jobs = data["jobs"]
    tables = flexible_tables(jobs, data.get("due_dates"), data.get("weights"), data.get("release_dates"))
    settings = jobshop_settings([[t] for t in longest_minutes(jobs)], objective, time_limit, workers)
    scenario = scenario_from_tables(name, settings, tables)
    began = time.perf_counter()
    summary = make_plan(scenario, solve_options(scenario)).tables.summary
    return {
        "instance": name,
        "size": f"{len(jobs)}x{len(tables['machines'])}",
        "dispatch": min(summary["solver"]["dispatch_rules"].values()),
        "tierplan": summary["objective_value"],
        "bound": summary["best_bound"],
        "status": summary["status"],
        "known": data["known"],
        "seconds": round(time.perf_counter() - began, 1),
    }


def peer_value(kind: str, data: dict, time_limit: float, workers: int) -> float | None:
    """PyJobShop's best value on the instance within the limit (None: no solution)."""
    from pyjobshop import Model  # a benchmark-only dependency

    jobs = data["jobs"]
    model = Model()
    used = 1 + max(m for operations in jobs for alternatives in operations for m, _ in alternatives)
    machines = [model.add_machine() for _ in range(used)]
    due = data.get("due_dates")
    for j, operations in enumerate(jobs):
        job = model.add_job(
            weight=(data.get("weights") or [1] * len(jobs))[j],
            release_date=(data.get("release_dates") or [0] * len(jobs))[j],
            due_date=due[j] if due else None,
        )
        tasks = [model.add_task(job) for _ in operations]
        for task, alternatives in zip(tasks, operations, strict=True):
            for machine, minutes in alternatives:
                model.add_mode(task, machines[machine], minutes)
        for a, b in itertools.pairwise(tasks):
            model.add_end_before_start(a, b)
    if kind == "twt":
        model.set_objective(weight_total_tardiness=1)
    else:
        model.set_objective(weight_makespan=1)
    result = model.solve(time_limit=time_limit, display=False, num_workers=workers or None)
    return None if result.best is None or result.objective == float("inf") else float(result.objective)


def gap(value: float, known: float | None) -> float | None:
    if known is None:
        return None
    return (value - known) / known if known > 0 else (0.0 if value == 0 else None)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--kind", choices=["makespan", "twt", "both", "flexible"], default="both")
    parser.add_argument("--time-limit", type=float, default=60.0)
    parser.add_argument("--workers", type=int, default=0)
    parser.add_argument("--instances", nargs="*")
    parser.add_argument("--quick", action="store_true", help="a few instances, 10 s each")
    parser.add_argument("--peer", action="store_true", help="PyJobShop side by side")
    parser.add_argument("--data", type=Path, default=DATA, help="folder of jobshop_{makespan,twt}.json")
    args = parser.parse_args()
    time_limit = 10.0 if args.quick else args.time_limit
    kinds = ["makespan", "twt"] if args.kind == "both" else [args.kind]
    for kind in kinds:
        instances = load_instances(kind, args.data)
        listed = {"makespan": MAKESPAN, "twt": TWT, "flexible": sorted(instances)}[kind]
        names = args.instances or (QUICK[kind] if args.quick else listed)
        names = [n for n in names if n in instances]
        print(f"\n{kind}: {len(names)} instances, {time_limit:g} s each, workers={args.workers}")
        print(
            f"{'instance':<20}{'size':>7}{'dispatch':>10}{'tierplan':>10}{'bound':>10}{'known':>8}"
            f"{'gap':>8}{'vs rule':>9}{'s':>7}{'peer':>8}{'peer gap':>9}  status"
        )
        rows = []
        for name in names:
            r = run_instance(kind, name, instances[name], time_limit, args.workers)
            r["peer"] = peer_value(kind, instances[name], time_limit, args.workers) if args.peer else None
            rows.append(r)
            peer_gap = None if r["peer"] is None else gap(r["peer"], r["known"])
            peer_text = "-" if r["peer"] is None else f"{r['peer']:.0f}"
            g = gap(r["tierplan"], r["known"])
            vs = r["tierplan"] / r["dispatch"] if r["dispatch"] else 1.0
            bound = "-" if r["bound"] is None else f"{r['bound']:.0f}"
            print(
                f"{r['instance']:<20}{r['size']:>7}{r['dispatch']:>10.0f}{r['tierplan']:>10.0f}{bound:>10}"
                f"{r['known'] if r['known'] is not None else '-':>8}"
                f"{'-' if g is None else f'{g:.1%}':>8}{vs:>9.2f}{r['seconds']:>7.1f}"
                f"{peer_text:>8}"
                f"{'-' if peer_gap is None else f'{peer_gap:.1%}':>9}  {r['status']}",
                flush=True,
            )
        gaps = [g for r in rows if (g := gap(r["tierplan"], r["known"])) is not None]
        ratios = [r["tierplan"] / r["dispatch"] for r in rows if r["dispatch"]]
        matched = sum(1 for r in rows if r["known"] is not None and r["tierplan"] <= r["known"])
        print(
            f"median gap to best known: {statistics.median(gaps):.1%} (mean {statistics.mean(gaps):.1%}, "
            f"worst {max(gaps):.1%}); median tierplan / best dispatch rule: "
            f"{statistics.median(ratios):.2f}; best known reached on {matched} of {len(rows)}"
        )
        if args.peer:
            both = [(gap(r["tierplan"], r["known"]), gap(r["peer"], r["known"])) for r in rows]
            paired = [(a, b) for a, b in both if a is not None and b is not None]
            missing = sum(1 for r in rows if r["peer"] is None)
            if paired:
                ours, theirs = statistics.mean(a for a, _ in paired), statistics.mean(b for _, b in paired)
                print(
                    f"mean gap tierplan {ours:.2%}, PyJobShop {theirs:.2%}; "
                    f"PyJobShop without a solution: {missing}"
                )


if __name__ == "__main__":
    main()
