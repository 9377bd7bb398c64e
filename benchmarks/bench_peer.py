"""Generated plants: tierplan against PyJobShop, the library a Python user would pick instead.

For each plant (`tierplan generate`'s code, fixed seeds, ample stock so that material
plays no part), both plan with the same time limit and number of workers:

- tierplan exactly as `tierplan schedule` plans (rules, CP-SAT, neighbourhoods, check);
- PyJobShop (PyPI ``pyjobshop``) on the same plant: jobs with weights, release and due
  dates, tasks in routing order with one mode per alternative machine, after_order as
  end-before-start, working time and downtime as machine breaks (resumable steps may
  span them), ovens as renewable resources, changeovers as setup times per task pair.

PyJobShop has no horizon and no unscheduled orders: orders it ends after the horizon are
left out of its plan and charged the unscheduled penalty, as tierplan's are. Its plan is
then run through tierplan's independent checker, so both numbers are of checked plans.
Printed: both objectives (weighted tardiness plus penalties), the ratio tierplan /
PyJobShop, wall times. Needs ``pip install pyjobshop`` (``make bench`` installs it).

    python benchmarks/bench_peer.py [--sizes 80 200 2000] [--seeds 1 2 3] [--time-limit S] [--plain]

``--plain`` generates plants without the plant model's calendars, ovens and changeovers
(on plants with changeovers PyJobShop rarely finds any plan within these limits).
"""

from __future__ import annotations

import argparse
import itertools
import statistics
import time

import tomli_w

from scenarios.contract.model import Scenario, scenario_from_tables
from scenarios.generators.scenario import PlantSpec, generate
from scenarios.pipelines.schedule import (
    build_scenario_problem,
    check_context,
    grade_scenario,
    make_plan,
    solve_options,
)
from scheduler.check import check_plan
from scheduler.dispatch import closure
from scheduler.plan import plan_tables
from scheduler.problem import ProblemData
from scheduler.result import Result
from scheduler.schedule import Schedule

LIMITS = {80: 20.0, 200: 60.0, 2000: 300.0}  # seconds per size unless --time-limit
AMPLE = 100.0  # material cover: stock far beyond demand
WEIGHT_SCALE = 10  # PyJobShop takes integer weights; tier weight x order weight in tenths


def peer_schedule(problem: ProblemData, time_limit: float, workers: int) -> tuple[Schedule | None, float]:
    """PyJobShop's plan of ``problem`` (None when it finds none), and its wall time."""
    from pyjobshop import Model  # a benchmark-only dependency

    began = time.perf_counter()
    model = Model()
    resources = []
    for machine in problem.machines:
        working = [(0, 0), *machine.working.stretches, (problem.horizon, problem.horizon)]
        breaks = [(b, c) for (_, b), (c, _) in itertools.pairwise(working) if c > b]
        if machine.capacity > 1:
            resources.append(model.add_renewable(machine.capacity, breaks, name=machine.id))
        else:
            resources.append(model.add_machine(breaks, name=machine.id))
    tasks = []
    for order in problem.orders:
        job = model.add_job(
            weight=max(1, round(order.weight * WEIGHT_SCALE)),
            release_date=order.release,
            due_date=order.due,
            name=order.id,
        )
        for k in order.operations:
            op = problem.operations[k]
            task = model.add_task(job, earliest_start=order.release, allow_breaks=op.modes[0].resumable)
            for mode in op.modes:
                capacity = problem.machines[mode.machine].capacity
                model.add_mode(task, resources[mode.machine], mode.duration, 1 if capacity > 1 else None)
            tasks.append(task)
        for a, b in zip(order.operations, order.operations[1:], strict=False):
            model.add_end_before_start(tasks[a], tasks[b])
    for order in problem.orders:
        for q in order.predecessors:
            model.add_end_before_start(tasks[problem.orders[q].last_op], tasks[order.first_op])
    _add_changeovers(model, problem, resources, tasks)
    model.set_objective(weight_total_tardiness=1)
    result = model.solve(time_limit=time_limit, display=False, num_workers=workers or None)
    seconds = time.perf_counter() - began
    if result.best is None or not result.best.tasks:
        return None, seconds
    machine_of = {id(r): j for j, r in enumerate(resources)}
    index_of = {j: machine_of[id(model.resources[j])] for j in range(len(model.resources))}
    machine = [index_of[t.resources[0]] for t in result.best.tasks]
    start = [t.start for t in result.best.tasks]
    late = {i for i, o in enumerate(problem.orders) if max(t.end for t in _of(result, o)) > problem.horizon}
    for i in closure(problem, late):  # beyond the horizon: left out, as tierplan would
        for k in problem.orders[i].operations:
            machine[k], start[k] = -1, -1
    return Schedule(problem, tuple(machine), tuple(start)), seconds


def _of(result: object, order: object) -> list:
    return [result.best.tasks[k] for k in order.operations]  # type: ignore[attr-defined]


def _add_changeovers(model: object, problem: ProblemData, resources: list, tasks: list) -> None:
    """A setup time for every ordered pair of tasks of different families on a changeover machine."""
    for m, machine in enumerate(problem.machines):
        if machine.capacity > 1 or not machine.has_changeovers:
            continue
        here = [
            (k, mode.family)
            for k, op in enumerate(problem.operations)
            for mode in op.modes
            if mode.machine == m
        ]
        for a, fa in here:
            for b, fb in here:
                gap = machine.changeover(fa, fb) if a != b else 0
                if gap:
                    model.add_setup_time(resources[m], tasks[a], tasks[b], gap)  # type: ignore[attr-defined]


def checked_value(scenario: Scenario, problem: ProblemData, schedule: Schedule) -> float:
    """The weighted cost of a plan made elsewhere, after tierplan's independent checker passed it."""
    value = schedule.objective_value("weighted_tardiness")
    result = Result(
        schedule, "feasible", "weighted_tardiness", value, None, 0.0, "pyjobshop", "pyjobshop", {}
    )
    tables = plan_tables(problem, result, scenario["orders"].set_index("order_id")["due"])
    tables.summary["scenario"] = scenario.name
    tiers = grade_scenario(scenario)
    violations = check_plan(
        check_context(scenario, tiers), tables.schedule, tables.orders, tables.materials, tables.summary
    )
    if violations:
        raise RuntimeError(f"PyJobShop's plan fails the check: {violations[:3]}")
    return value


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", type=int, nargs="*", default=[80, 200, 2000])
    parser.add_argument("--seeds", type=int, nargs="*", default=[1, 2, 3])
    parser.add_argument("--time-limit", type=float, default=None, help="default: 20 s / 60 s / 300 s by size")
    parser.add_argument("--workers", type=int, default=0)
    parser.add_argument(
        "--plain", action="store_true", help="plants without calendars, ovens and changeovers"
    )
    args = parser.parse_args()
    print(f"{'orders':>7}{'seed':>5}{'limit':>7}{'tierplan':>14}{'pyjobshop':>14}{'ratio':>7}", end="")
    print(f"{'tp s':>7}{'pjs s':>7}")
    for size in args.sizes:
        limit = args.time_limit or LIMITS.get(size, 60.0)
        ratios = []
        for seed in args.seeds:
            doc, raw = generate(
                PlantSpec(orders=size, seed=seed, material_cover=AMPLE, plant_model=not args.plain)
            )
            doc["solve"] = {"objective": "weighted_tardiness", "time_limit_s": limit, "workers": args.workers}
            scenario = scenario_from_tables(f"plant-{size}-{seed}", tomli_w.dumps(doc), raw)
            began = time.perf_counter()
            ours = make_plan(scenario, solve_options(scenario)).tables.summary["objective_value"]
            our_seconds = time.perf_counter() - began
            problem = build_scenario_problem(scenario, grade_scenario(scenario))
            schedule, peer_seconds = peer_schedule(problem, limit, args.workers)
            if schedule is None:
                print(
                    f"{size:>7}{seed:>5}{limit:>7.0f}{ours:>14,.0f}{'no plan':>14}{'-':>7}"
                    f"{our_seconds:>7.1f}{peer_seconds:>7.1f}",
                    flush=True,
                )
                continue
            theirs = checked_value(scenario, problem, schedule)
            ratio = ours / theirs if theirs else float("inf") if ours else 1.0
            ratios.append(ratio)
            print(
                f"{size:>7}{seed:>5}{limit:>7.0f}{ours:>14,.0f}{theirs:>14,.0f}{ratio:>7.2f}"
                f"{our_seconds:>7.1f}{peer_seconds:>7.1f}",
                flush=True,
            )
        if ratios:
            print(
                f"{size:>7} orders: median tierplan / PyJobShop = {statistics.median(ratios):.2f} "
                f"({len(ratios)} of {len(args.seeds)} plants where PyJobShop has a plan)"
            )


if __name__ == "__main__":
    main()
