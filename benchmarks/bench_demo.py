"""The bundled demo's plan, proven or not (issue 20, item 1: the demo is proven within its run).

Plans the demo scenario as `tierplan demo` does (its time limit and workers, the scenario's
seed), ``--runs`` times one after the other, and prints each run's status, objective,
bound, gap and the seconds of each CP-SAT round. Runs with more than one worker vary:
report them all.

    python benchmarks/bench_demo.py [--runs 3] [--time-limit 30] [--workers 0]
"""

from __future__ import annotations

import argparse

from scenarios.contract.model import load_scenario
from scenarios.demo.run import DEMO_TIME_LIMIT_S, DEMO_WORKERS, bundled_scenario
from scenarios.pipelines.schedule import make_plan, solve_options


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--time-limit", type=float, default=DEMO_TIME_LIMIT_S)
    parser.add_argument("--workers", type=int, default=DEMO_WORKERS, help="0: all cores")
    args = parser.parse_args()
    scenario = load_scenario(bundled_scenario())
    options = solve_options(scenario, time_limit_s=args.time_limit, workers=args.workers)
    workers = options.workers
    print(f"{'run':>4}{'status':>10}{'objective':>12}{'bound':>10}{'gap':>8}{'s':>7}  rounds (s)")
    proven = 0
    for run in range(1, args.runs + 1):
        summary = make_plan(scenario, options).tables.summary
        proven += summary["status"] == "optimal"
        gap = "-" if summary["gap"] is None else f"{summary['gap']:.1%}"
        bound = "-" if summary["best_bound"] is None else f"{summary['best_bound']:,.0f}"
        rounds = ", ".join(
            f"{r['name']} {r['status']} {r['seconds']:.1f}" for r in summary["solver"]["rounds"]
        )
        print(
            f"{run:>4}{summary['status']:>10}{summary['objective_value']:>12,.0f}{bound:>10}"
            f"{gap:>8}{summary['runtime_s']:>7.1f}  {rounds}",
            flush=True,
        )
    print(f"proven optimal in {proven} of {args.runs} runs ({args.time_limit:g} s, workers {workers})")


if __name__ == "__main__":
    main()
