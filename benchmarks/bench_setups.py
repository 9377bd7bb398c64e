"""Sequence-dependent changeovers: a heavy-changeover plant, and a public yardstick.

--kind plant: a generated plant whose changeovers are made `--heavy` times longer,
planned three ways in the same run: tierplan (CP-SAT), the best dispatch rule, and what a
tool without changeovers gives (the plant planned with every family removed, then
repaired: each machine keeps its sequence and every operation is pushed right until the
changeovers fit; orders pushed past the horizon drop out). Printed: the objective
(weighted tardiness with the unscheduled penalty) and the total changeover minutes.

--kind yardstick: unrelated parallel machines with machine- and sequence-dependent setups,
minimise makespan (Vallada & Ruiz 2011, the small set: 6-12 jobs, 2-5 machines, setups
1-9 to 1-124), each instance as a scenario: one order per job with one step whose
alternatives are the machines, each job its own changeover family, the setup matrices as
per-machine changeover rows. The instances and the SOA group's best-known values are not
shipped with tierplan: fetch them (for instance the public repository cesargusto/upmsp:
instancias/small/*.txt and instancias/referencia/BoundsP_SDST_Small.xls, saved as
"instance;best" lines) and point --instances and --bounds at them.

    python benchmarks/bench_setups.py --kind plant [--orders 200] [--heavy 3] [--time-limit 60]
    python benchmarks/bench_setups.py --kind yardstick --instances DIR --bounds FILE [--time-limit 10]
"""

from __future__ import annotations

import argparse
import statistics
from pathlib import Path

import pandas as pd
import tomli_w

from scenarios.contract.model import Scenario, scenario_from_tables
from scenarios.generators.scenario import PlantSpec, generate
from scenarios.pipelines.schedule import build_scenario_problem, grade_scenario, make_plan, solve_options
from scheduler.problem import ProblemData
from scheduler.rules import RULE_NAMES
from scheduler.schedule import Schedule
from scheduler.timeline import machine_states

START = pd.Timestamp("2026-01-05T00:00:00")


def plant(orders: int, seed: int, heavy: float, time_limit: float, workers: int) -> Scenario:
    doc, tables = generate(PlantSpec(orders=orders, seed=seed))
    tables["changeovers"]["minutes"] = (tables["changeovers"]["minutes"] * heavy).round().astype(int)
    doc["solve"] = {
        "objective": "weighted_tardiness",
        "time_limit_s": time_limit,
        "workers": workers,
        "seed": 0,
    }
    return scenario_from_tables(f"plant-{orders}-{seed}", tomli_w.dumps(doc), tables)


def without_families(scenario: Scenario) -> Scenario:
    tables = {name: frame.copy() for name, frame in scenario.tables.items()}
    tables["routings"]["family"] = pd.Series([None] * len(tables["routings"]), dtype="str")
    tables["changeovers"] = tables["changeovers"].iloc[0:0]
    tables["shifts"] = tables["shifts"].assign(
        start=[f"{int(m) // 60:02d}:{int(m) % 60:02d}" for m in tables["shifts"]["start"]],
        end=[f"{int(m) // 60:02d}:{int(m) % 60:02d}" for m in tables["shifts"]["end"]],
    )
    doc = {
        "plan": {
            "start": scenario.settings.plan.start.to_pydatetime(),
            "horizon_days": scenario.settings.plan.horizon_days,
        }
    }
    if scenario.settings.plan.calendar:
        doc["plan"]["calendar"] = scenario.settings.plan.calendar
    doc["solve"] = {
        "objective": "weighted_tardiness",
        "time_limit_s": scenario.settings.solve.time_limit_s,
        "workers": scenario.settings.solve.workers,
        "seed": 0,
    }
    return scenario_from_tables(scenario.name + "-blind", tomli_w.dumps(doc), tables)


def repaired(problem: ProblemData, blind: Schedule) -> Schedule:
    """The blind plan's machines and sequences in the real plant: every operation pushed right
    until working time, capacity and changeovers fit; an order past the horizon drops out."""
    states = machine_states(problem)
    machine, start = [-1] * len(problem.operations), [-1] * len(problem.operations)
    done: dict[int, int] = {}
    dropped: set[int] = set()
    order = sorted((k for k, m in enumerate(blind.machine) if m >= 0), key=lambda k: (blind.start[k], k))
    for k in order:
        op = problem.operations[k]
        i = op.order
        if i in dropped or any(q in dropped or q not in done for q in problem.orders[i].predecessors):
            dropped.add(i)
            continue
        previous = problem.orders[i].operations[op.position - 1] if op.position else None
        t = max(blind.start[k], done.get(i, 0) if previous is not None else 0)
        t = max([t, *(done[q] for q in problem.orders[i].predecessors)])
        mode = problem.mode(k, blind.machine[k])
        slot = states[blind.machine[k]].earliest(t, mode)
        if slot is None:
            dropped.add(i)
            continue
        states[blind.machine[k]].place(slot[0], slot[1], mode.family)
        machine[k], start[k] = blind.machine[k], slot[0]
        done[i] = slot[1]
    for i in dropped:
        for k in problem.orders[i].operations:
            machine[k] = start[k] = -1
    return Schedule(problem, tuple(machine), tuple(start))


def run_plant(args: argparse.Namespace) -> None:
    print(
        f"{'orders':>7}{'seed':>5}{'rule':>10}{'rule value':>14}{'blind+repair':>14}{'tierplan':>14}"
        f"{'co min rule':>12}{'co min blind':>13}{'co min tp':>11}{'tp/rule':>8}"
    )
    ratios = []
    for seed in args.seeds:
        scenario = plant(args.orders, seed, args.heavy, args.time_limit, args.workers)
        rules = {r: make_plan(scenario, solve_options(scenario, solver=f"dispatch:{r}")) for r in RULE_NAMES}
        best = min(rules, key=lambda r: rules[r].tables.summary["objective_value"])
        ours = make_plan(scenario, solve_options(scenario))
        blind_plan = make_plan(without_families(scenario), solve_options(scenario))
        problem = build_scenario_problem(scenario, grade_scenario(scenario))
        fixed = repaired(
            problem, Schedule(problem, blind_plan.result.schedule.machine, blind_plan.result.schedule.start)
        )

        def switching(s: Schedule) -> int:
            return sum(s.changeover_before.values())

        rule_value = rules[best].tables.summary["objective_value"]
        value = ours.tables.summary["objective_value"]
        ratios.append(value / rule_value)
        print(
            f"{args.orders:>7}{seed:>5}{best:>10}{rule_value:>14,.0f}{fixed.tier_cost():>14,.0f}{value:>14,.0f}"
            f"{switching(rules[best].result.schedule):>12,}{switching(fixed):>13,}"
            f"{switching(ours.result.schedule):>11,}{value / rule_value:>8.2f}",
            flush=True,
        )
    print(f"median tierplan / best rule: {statistics.median(ratios):.2f}")


def read_instance(path: Path) -> tuple[list[list[int]], list[list[list[int]]]]:
    """Vallada-Ruiz format: "n m 1", "m", per job its (machine, time) pairs, "SSD", per machine
    "Mi" and an n x n setup matrix."""
    words = path.read_text().split()
    n, m = int(words[0]), int(words[1])
    at = 4
    times = []
    for _ in range(n):
        pairs = words[at : at + 2 * m]
        times.append([int(pairs[2 * j + 1]) for j in range(m)])
        at += 2 * m
    at = words.index("SSD") + 1
    setups = []
    for _ in range(m):
        at += 1  # M0, M1, ...
        setups.append([[int(words[at + i * n + j]) for j in range(n)] for i in range(n)])
        at += n * n
    return times, setups


def yardstick_scenario(
    name: str, times: list[list[int]], setups: list[list[list[int]]], limit: float, workers: int
) -> Scenario:
    n, m = len(times), len(setups)
    horizon = sum(max(t) for t in times) + sum(max(max(row) for row in s) for s in setups) * n // m + 10
    orders = pd.DataFrame(
        {
            "order_id": [f"J{j}" for j in range(n)],
            "customer_id": "c",
            "product_id": [f"P{j}" for j in range(n)],
            "quantity": 1,
            "due": START + pd.Timedelta(minutes=horizon),
        }
    )
    routings = pd.DataFrame(
        [
            {
                "product_id": f"P{j}",
                "step": 1,
                "machine_id": f"M{i}",
                "minutes_per_unit": float(times[j][i]),
                "family": f"J{j}",
            }
            for j in range(n)
            for i in range(m)
        ]
    )
    changeovers = pd.DataFrame(
        [
            {"machine_id": f"M{i}", "from_family": f"J{a}", "to_family": f"J{b}", "minutes": setups[i][a][b]}
            for i in range(m)
            for a in range(n)
            for b in range(n)
            if a != b
        ]
    )
    doc = {
        "plan": {"start": START.to_pydatetime(), "horizon_days": horizon / 1440 + 1},
        "solve": {"objective": "makespan", "time_limit_s": limit, "workers": workers, "seed": 0},
    }
    tables = {
        "orders": orders,
        "routings": routings,
        "machines": pd.DataFrame({"machine_id": [f"M{i}" for i in range(m)]}),
        "changeovers": changeovers,
    }
    return scenario_from_tables(name, tomli_w.dumps(doc), tables)


def run_yardstick(args: argparse.Namespace) -> None:
    bounds = dict(line.split(";") for line in Path(args.bounds).read_text().split() if ";" in line)
    files = sorted(Path(args.instances).glob("I_*.txt"))
    chosen = [f for f in files if any(f.stem.startswith(p) for p in args.sets)][: args.limit]
    header = (
        ("instance", 22),
        ("best rule", 10),
        ("tierplan", 9),
        ("bound", 7),
        ("best known", 11),
        ("gap", 8),
    )
    print("".join(f"{text:>{width}}" for text, width in header) + f"{'status':>10}")
    gaps = []
    for path in chosen:
        times, setups = read_instance(path)
        scenario = yardstick_scenario(path.stem, times, setups, args.time_limit, args.workers)
        summary = make_plan(scenario, solve_options(scenario)).tables.summary
        known = int(bounds[path.stem])
        value = summary["objective_terms"]["makespan_minutes"]
        gap = (value - known) / known
        gaps.append(gap)
        rule = min(summary["solver"]["dispatch_rules"].values())
        bound = summary["best_bound"] or 0
        row = f"{path.stem:>22}{rule:>10,.0f}{value:>9}{bound:>7,.0f}{known:>11}{gap:>8.1%}"
        print(row + f"{summary['status']:>10}", flush=True)
    print(
        f"{len(gaps)} instances: mean gap {statistics.mean(gaps):.2%}, median {statistics.median(gaps):.2%}, "
        f"best known or better on {sum(g <= 0 for g in gaps)}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--kind", choices=["plant", "yardstick"], default="plant")
    parser.add_argument("--orders", type=int, default=200)
    parser.add_argument("--seeds", type=int, nargs="*", default=[1, 2])
    parser.add_argument("--heavy", type=float, default=3.0)
    parser.add_argument("--time-limit", type=float, default=60.0)
    parser.add_argument("--workers", type=int, default=0)
    parser.add_argument("--instances", type=Path)
    parser.add_argument("--bounds", type=Path)
    parser.add_argument("--sets", nargs="*", default=["I_10_", "I_12_"])
    parser.add_argument("--limit", type=int, default=40)
    args = parser.parse_args()
    if args.kind == "plant":
        run_plant(args)
    elif args.instances is None or args.bounds is None:
        parser.error("--kind yardstick needs --instances and --bounds (see the docstring)")
    else:
        run_yardstick(args)


if __name__ == "__main__":
    main()
