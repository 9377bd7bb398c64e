"""``tierplan promise``: requests and a plan in, quotes and the held plan out (contract section 6).

The requests file is checked like the orders table (each problem named on the requests
table, its request_id and column); the plan must be a plan of the scenario (the same
orders). The answers are written whole or not at all: quotes.parquet, moved.parquet,
the held plan folder and summary.json.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pyarrow as pa

from reports.plan import plan_report
from scenarios.contract.convert import convert_table
from scenarios.contract.errors import InputError, NoFeasiblePlanError, Problem
from scenarios.contract.io import read_plan_table, read_table_file, write_folder, write_output
from scenarios.contract.model import Scenario
from scenarios.contract.schema import REQUESTS
from scenarios.contract.validate import cross_table_problems
from scenarios.pipelines.schedule import check_context, plan_files
from scheduler.build import build_problem
from scheduler.check import check_plan
from scheduler.plan import PlanTables, plan_tables, schedule_from_table
from scheduler.plan_schema import in_order, names
from scheduler.problem import ProblemData
from scheduler.promise import Quote, SearchSettings, answer_requests
from scheduler.result import Result
from scheduler.schedule import Schedule
from scheduler.stop import StopRequest

MINUTE = pd.Timedelta(minutes=1)


@dataclass(frozen=True)
class PromiseOutcome:
    quotes: pd.DataFrame
    moved: pd.DataFrame
    plan: PlanTables
    tiers: pd.DataFrame
    report_html: str
    summary: dict[str, object]


def read_requests(path: Path, scenario: Scenario) -> pd.DataFrame:
    """The requests, typed, with release and weight filled in; InputError lists every problem."""
    path = Path(path)
    if path.suffix not in (".csv", ".parquet") or not path.is_file():
        raise InputError(
            [Problem(str(path), "", "", "not a .csv or .parquet file; expected the requests table")]
        )
    raw, problems = read_table_file(path, "requests")
    if raw is None:
        raise InputError(problems)
    converted = convert_table(raw, REQUESTS)
    problems = converted.problems + _request_rules(converted.frame, scenario)
    if any(p.severity == "error" for p in problems):
        raise InputError(problems)
    requests = converted.frame
    requests["release"] = requests["release"].fillna(scenario.settings.plan.start)
    requests["weight"] = requests["weight"].fillna(1.0)
    return requests


def _request_rules(requests: pd.DataFrame, scenario: Scenario) -> list[Problem]:
    """Every rule of the orders table, found on the requests as orders; and a request_id that
    is an order of the scenario."""
    orders = scenario["orders"]
    as_orders = _as_orders(requests, orders)
    tables = {**scenario.tables, "orders": pd.concat([orders, as_orders], ignore_index=True)}
    ids = set(requests["request_id"].dropna())
    found = [
        _renamed(p)
        for p in cross_table_problems(tables, scenario.settings)
        if p.table == "orders" and p.key.removeprefix("order_id=") in ids
    ]
    taken = requests["request_id"].isin(orders["order_id"])
    for rid in requests.loc[taken, "request_id"]:
        found.append(
            Problem(
                "requests",
                f"request_id={rid}",
                "request_id",
                f"{rid} is an order of the scenario; expected a new id",
            )
        )
    return found


def _renamed(p: Problem) -> Problem:
    column = {"order_id": "request_id", "due": "requested"}.get(p.column, p.column)
    text = p.message.replace("due ", "requested ").replace("due >= release", "requested >= release")
    return Problem("requests", p.key.replace("order_id=", "request_id="), column, text, p.severity)


def _as_orders(requests: pd.DataFrame, orders: pd.DataFrame) -> pd.DataFrame:
    frame = pd.DataFrame(
        {
            "order_id": requests["request_id"],
            "customer_id": requests["customer_id"],
            "product_id": requests["product_id"],
            "quantity": requests["quantity"],
            "due": requests["requested"],
            "release": requests["release"],
            "weight": requests["weight"],
            "after_order": pd.Series([None] * len(requests), dtype="str", index=requests.index),
        }
    )
    return frame.astype({c: orders[c].dtype for c in frame.columns if c in orders.columns}, errors="ignore")


@dataclass(frozen=True)
class HeldPlan:
    """A plan of the scenario, read once: its tables and where each operation is."""

    folder: Path
    schedule: pd.DataFrame
    orders: pd.DataFrame
    tiers: pd.DataFrame
    materials: pd.DataFrame


def read_plan(folder: Path, scenario: Scenario) -> HeldPlan:
    """PLAN's tables; InputError when it is no plan folder or not a plan of the scenario."""
    folder = Path(folder)
    try:
        schedule = read_plan_table(folder, "schedule")
        orders = read_plan_table(folder, "orders")
        tiers = read_plan_table(folder, "tiers")
        materials = read_plan_table(folder, "materials")
    except (OSError, pa.ArrowException) as exc:
        raise InputError(
            [
                Problem(
                    str(folder),
                    "",
                    "",
                    f"cannot read the plan ({exc}); expected a plan folder of the scenario",
                )
            ]
        ) from None
    wanted, given = set(scenario["orders"]["order_id"]), set(orders["order_id"])
    if wanted != given:
        missing, extra = sorted(wanted - given), sorted(given - wanted)
        raise InputError(
            [
                Problem(
                    f"{folder.name}/orders.parquet",
                    "",
                    "order_id",
                    f"its orders differ from the scenario's ({len(missing)} missing, e.g. {missing[:3]}; "
                    f"{len(extra)} not in the scenario, e.g. {extra[:3]}); expected a plan of this scenario",
                )
            ]
        )
    return HeldPlan(folder, schedule, orders, tiers, materials)


def promise(
    scenario: Scenario,
    plan: HeldPlan,
    requests: pd.DataFrame,
    mode: str,
    settings: SearchSettings,
    stop: StopRequest | None = None,
    began: float | None = None,
) -> PromiseOutcome:
    """Answer every request on top of ``plan``; the held plan is checked before it is returned.

    ``began`` (a perf_counter reading) is when the caller started reading the scenario: the
    summary says how long it took from then until every quote was known."""
    began = time.perf_counter() if began is None else began
    s = scenario.settings
    tier_of = dict(zip(plan.tiers["customer_id"], plan.tiers["tier"], strict=True))
    end = s.plan.start + s.plan.horizon_minutes * MINUTE
    tables = {
        **scenario.tables,
        "orders": _orders_with(scenario, requests, requests["requested"].fillna(end)),
    }
    problem = build_problem(
        tables, tier_of, s.tiers.names, s.tiers.weights, s.plan.start, s.plan.horizon_minutes
    )
    first_request = len(problem.orders) - len(requests)
    schedule = schedule_from_table(problem, plan.schedule)
    held, quotes = answer_requests(
        schedule, list(range(first_request, len(problem.orders))), mode, settings, stop
    )
    to_quotes = time.perf_counter() - began
    promised = pd.Series(
        [problem.start + q.completion * MINUTE if q.completion is not None else pd.NaT for q in quotes],
        index=requests.index,
        dtype="datetime64[us]",
    )
    due = requests["requested"].fillna(promised).fillna(end)  # the held plan's due dates
    final_orders = _orders_with(scenario, requests, due)
    final = _with_dues(held, final_orders, s.plan.start)
    result = Result(
        final,
        "feasible",
        "weighted_tardiness",
        final.tier_cost(),
        None,
        time.perf_counter() - began,
        f"promise:{mode}",
        "promise",
        {"displace": mode},
    )
    tables_out = plan_tables(final.problem, result, final_orders.set_index("order_id")["due"])
    tables_out.summary["scenario"] = scenario.name
    checked = {**scenario.tables, "orders": final_orders}
    violations = check_plan(
        check_context(scenario.replace(tables=checked), plan.tiers),
        tables_out.schedule,
        tables_out.orders,
        tables_out.materials,
        tables_out.summary,
    )
    if violations:
        raise NoFeasiblePlanError(
            ["the held plan failed the independent check (a bug; please report it):", *map(str, violations)]
        )
    quotes_frame, moved = _quote_tables(final.problem, quotes, requests, promised)
    report = plan_report(
        f"tierplan: {scenario.name} with {len(quotes)} promise(s)",
        tables_out,
        final.problem,
        promised=list(requests["request_id"]),
        moved=sorted(set(moved["order_id"])),
        quotes=quotes_frame,
    )
    seconds = [round(q.seconds, 3) for q in quotes]
    summary = {
        "displace": mode,
        "requests": len(quotes),
        "answered": int(quotes_frame["promise"].notna().sum()),
        "seconds_per_request": seconds,
        "seconds_to_quotes": round(to_quotes, 3),  # reading scenario, plan and requests, answering
        "seconds_total": round(time.perf_counter() - began, 3),
        "plan": str(plan.folder),
        "scenario": scenario.name,
    }
    return PromiseOutcome(quotes_frame, moved, tables_out, plan.tiers, report, summary)


def with_requests(scenario: Scenario, requests_file: Path, plan: Path) -> Scenario:
    """The scenario with a promise's requests appended to its orders, due when requested or
    else when ``plan`` (the held plan) completes them: what that plan is checked against."""
    requests = read_requests(requests_file, scenario)
    completion = read_plan_table(Path(plan), "orders").set_index("order_id")["completion"]
    end = scenario.settings.plan.start + scenario.settings.plan.horizon_minutes * MINUTE
    promised = requests["request_id"].map(completion)
    due = requests["requested"].fillna(promised).fillna(end)
    return scenario.replace(tables={**scenario.tables, "orders": _orders_with(scenario, requests, due)})


def _orders_with(scenario: Scenario, requests: pd.DataFrame, due: pd.Series) -> pd.DataFrame:
    """The scenario's orders with the requests appended (due: ``due``)."""
    added = _as_orders(requests.assign(requested=due), scenario["orders"])
    return pd.concat([scenario["orders"], added], ignore_index=True)


def _with_dues(schedule: Schedule, orders: pd.DataFrame, start: pd.Timestamp) -> Schedule:
    """The same plan on a problem whose requests are due when requested (else when promised)."""
    from dataclasses import replace

    p = schedule.problem
    due = orders.set_index("order_id")["due"]
    minutes = ((due - start) / MINUTE).apply(lambda v: int(v // 1))
    fresh = tuple(replace(o, due=int(minutes[o.id])) for o in p.orders)
    return Schedule(replace(p, orders=fresh), schedule.machine, schedule.start)


def _quote_tables(
    p: ProblemData, quotes: list[Quote], requests: pd.DataFrame, promised: pd.Series
) -> tuple[pd.DataFrame, pd.DataFrame]:
    at = lambda c: p.start + c * MINUTE if c is not None else pd.NaT  # noqa: E731
    requested = requests["requested"]
    on = (promised <= requested).where(requested.notna() & promised.notna())
    on = on.where(~(requested.notna() & promised.isna()), False)
    quotes_frame = pd.DataFrame(
        {
            "request_id": requests["request_id"].to_numpy(),
            "customer_id": requests["customer_id"].to_numpy(),
            "tier": [p.orders[q.order].tier for q in quotes],
            "promise": promised.to_numpy(),
            "requested": requested.to_numpy(),
            "on_requested": pd.Series(on.to_numpy(), dtype="boolean"),
            "displace": [q.mode for q in quotes],
            "moved_orders": pd.Series([len(q.moved) for q in quotes], dtype="int64"),
            "added_weighted_tardiness": pd.Series(
                [q.added_weighted_tardiness for q in quotes], dtype="float64"
            ),
            "reason": pd.Series([q.reason for q in quotes], dtype="str"),
            "seconds": pd.Series([q.seconds for q in quotes], dtype="float64"),
        }
    )
    rows = [
        (p.orders[q.order].id, p.orders[i].id, p.orders[i].tier, at(old), at(new), q.added_cost.get(i, 0.0))
        for q in quotes
        for i, (old, new) in sorted(q.moved.items())
    ]
    moved = pd.DataFrame(
        rows,
        columns=names("moved"),
    ).astype({"request_id": "str", "order_id": "str", "tier": "str", "added_weighted_tardiness": "float64"})
    for column in ("old_completion", "new_completion"):
        moved[column] = pd.to_datetime(moved[column]).astype("datetime64[us]")
    return in_order(quotes_frame, "quotes"), in_order(moved, "moved")


def write_promises(outcome: PromiseOutcome, out: Path, force: bool = False) -> Path:
    """DIR: quotes.parquet, moved.parquet, plan/ (a plan folder), summary.json; whole or not at all."""
    t = outcome.plan

    def plan_folder(path: Path) -> None:
        path.mkdir()
        for name, content in plan_files(t, outcome.tiers, outcome.report_html).items():
            (path / name).write_bytes(content)

    return write_folder(
        Path(out),
        {
            "quotes.parquet": lambda p: write_output(outcome.quotes, p),
            "moved.parquet": lambda p: write_output(outcome.moved, p),
            "plan": plan_folder,
            "summary.json": lambda p: p.write_text(
                json.dumps(outcome.summary, indent=2, default=str), encoding="utf-8"
            ),
        },
        force,
    )
