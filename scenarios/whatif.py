"""What-if studies: a base scenario and named variants, one plan each, compared side by side.

A study is a TOML file::

    base = "plant"                  # the scenario folder, relative to this file
    [solve]                         # optional: settings for every plan of the study
    time_limit_s = 20

    [[variant]]
    name = "rush order"
    add_orders = [{ order_id = "RUSH", customer_id = "C001", product_id = "P001", quantity = 40,
                    due = 2026-12-02T12:00:00 }]

    [[variant]]
    name = "M03 down two days"
    machine_down = [{ machine_id = "M03", start = 2026-12-02T06:00:00, end = 2026-12-04T06:00:00 }]

Variant keys: ``settings`` (any scenario.toml keys, merged), ``tier_weights``,
``grading_weights``, ``objective`` (shortcuts into settings), ``add_orders``,
``remove_orders`` (ids), ``change_orders`` (order_id plus the columns to change),
``machine_down`` (downtime rows to add), ``delay_receipts`` (material_id and days:
every receipt of the material arrives that much later), ``add_receipts`` (rows).
"""

from __future__ import annotations

import copy
import re
import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import pandas as pd
import tomli_w

from scenarios.convert import clock_text
from scenarios.errors import InputError, NoFeasiblePlanError, Problem
from scenarios.freeze import Frozen
from scenarios.io import atomic_folder, read_settings_text, write_json
from scenarios.model import Scenario, load_scenario, scenario_from_tables
from scenarios.pipeline import Plan, checked_plan
from scheduler.result import ProgressEvent
from scheduler.schedule import Schedule
from scheduler.stop import StopRequest

SPEC = "study"
VARIANT_KEYS = {
    "name",
    "settings",
    "tier_weights",
    "grading_weights",
    "objective",
    "add_orders",
    "remove_orders",
    "change_orders",
    "machine_down",
    "delay_receipts",
    "add_receipts",
}


@dataclass(frozen=True)
class Variant:
    name: str
    changes: dict[str, Any] = field(default_factory=dict)

    @property
    def folder(self) -> str:
        return re.sub(r"[^A-Za-z0-9._-]+", "-", self.name).strip("-").lower() or "variant"


@dataclass(frozen=True)
class Study:
    base: Path
    solve: dict[str, Any]
    variants: list[Variant]


def read_study(path: Path) -> Study:
    path = Path(path)
    try:
        doc = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise InputError([Problem(path.name, "", "", f"cannot read the study: {exc}")]) from None
    problems = []
    for key in doc:
        if key not in ("base", "solve", "variant"):
            problems.append(Problem(path.name, "", key, "unknown key; expected base, [solve] or [[variant]]"))
    if not isinstance(doc.get("base"), str):
        problems.append(Problem(path.name, "", "base", "missing; expected the base scenario folder"))
    variants = []
    names: set[str] = set()
    for i, v in enumerate(doc.get("variant", [])):
        key = f"variant {i + 1}"
        name = v.get("name")
        if not isinstance(name, str) or not name.strip():
            problems.append(Problem(path.name, key, "name", "missing; expected a name for the variant"))
            continue
        if name in names or name == "base":
            problems.append(Problem(path.name, key, "name", f"{name!r} is used twice (or is 'base')"))
        names.add(name)
        for k in v:
            if k not in VARIANT_KEYS:
                problems.append(
                    Problem(
                        path.name,
                        f"variant {name}",
                        k,
                        "unknown change; expected one of " + ", ".join(sorted(VARIANT_KEYS - {"name"})),
                    )
                )
        variants.append(Variant(name, {k: val for k, val in v.items() if k != "name"}))
    if problems:
        raise InputError(problems)
    slugs = [v.folder for v in variants]
    if len(set(slugs)) < len(slugs) or "base" in slugs:
        raise InputError([Problem(path.name, "", "name", "variant names must give distinct folder names")])
    return Study((path.parent / doc["base"]).resolve(), dict(doc.get("solve", {})), variants)


def _merge(target: dict[str, Any], changes: dict[str, Any]) -> None:
    for key, value in changes.items():
        if isinstance(value, dict) and isinstance(target.get(key), dict):
            _merge(target[key], value)
        else:
            target[key] = copy.deepcopy(value)


def variant_scenario(base: Scenario, settings_doc: dict[str, Any], variant: Variant) -> Scenario:
    """The base scenario with the variant's changes, checked like any scenario."""
    c = variant.changes
    doc = copy.deepcopy(settings_doc)
    _merge(doc, c.get("settings", {}))
    for key, path in (
        ("tier_weights", ("tiers", "weights")),
        ("grading_weights", ("grading", "weights")),
        ("objective", ("solve", "objective")),
    ):
        if key in c:
            doc.setdefault(path[0], {})[path[1]] = c[key]
    tables = {name: frame.copy() for name, frame in base.tables.items()}
    shifts = tables["shifts"]  # typed as minutes of the day: back to the HH:MM of the contract
    for column in ("start", "end"):
        shifts[column] = pd.Series(clock_text(shifts[column]), index=shifts.index, dtype="str")
    orders = tables["orders"]
    if "remove_orders" in c:
        orders = orders[~orders["order_id"].isin(c["remove_orders"])]
    for change in c.get("change_orders", []):
        mask = orders["order_id"] == change.get("order_id")
        if not mask.any():
            raise InputError(
                [
                    Problem(
                        SPEC,
                        f"variant {variant.name}",
                        "change_orders",
                        f"unknown order {change.get('order_id')!r}",
                    )
                ]
            )
        for column, value in change.items():
            if column != "order_id":
                orders.loc[mask, column] = value
    if "add_orders" in c:
        orders = pd.concat([orders, pd.DataFrame(c["add_orders"])], ignore_index=True)
    tables["orders"] = orders
    if "machine_down" in c:
        tables["downtime"] = pd.concat(
            [tables["downtime"], pd.DataFrame(c["machine_down"])], ignore_index=True
        )
    receipts = tables["receipts"]
    for delay in c.get("delay_receipts", []):
        mask = receipts["material_id"] == delay.get("material_id")
        receipts.loc[mask, "arrival"] = receipts.loc[mask, "arrival"] + pd.Timedelta(
            days=float(delay.get("days", 0))
        )
    if "add_receipts" in c:
        receipts = pd.concat([receipts, pd.DataFrame(c["add_receipts"])], ignore_index=True)
    tables["receipts"] = receipts
    try:
        return scenario_from_tables(variant.folder, tomli_w.dumps(doc), tables)
    except InputError as exc:
        raise InputError(
            [
                Problem(f"variant {variant.name}: {p.table}", p.key, p.column, p.message, p.severity)
                for p in exc.problems + exc.warnings
            ]
        ) from None


# Changes that only add work or take capacity or material away: a plan of such a variant,
# without what it adds, is a plan of the base too.
HARDER_ONLY = {"add_orders", "machine_down", "delay_receipts"}


def _from_base(base: Plan, scenario: Scenario) -> Frozen:
    """A variant re-plans from the base plan as a re-plan would: nothing frozen, every
    operation priced for moving away from where the base has it."""
    schedule = base.tables.schedule
    later = {
        (str(r.order_id), int(r.step)): (str(r.machine_id), pd.Timestamp(r.start))
        for r in schedule.itertuples(index=False)
    }
    return Frozen(scenario.settings.plan.start, {}, Path("base"), later)


def _base_no_worse(base: Plan, plans: dict[str, Plan], variants: list[Variant]) -> Plan:
    """The base plan, or a variant's plan without what the variant adds where that is better
    for the base: a variant that only adds work never shows a better result than the base."""
    problem = base.result.schedule.problem
    index = {(problem.orders[op.order].id, op.step): k for k, op in enumerate(problem.operations)}
    machines = {m.id: i for i, m in enumerate(problem.machines)}
    best = base
    for variant in variants:
        plan = plans.get(variant.folder)
        if plan is None or not set(variant.changes) <= HARDER_ONLY:
            continue
        machine, start = [-1] * len(problem.operations), [-1] * len(problem.operations)
        at = (plan.tables.schedule["start"] - problem.start) / pd.Timedelta(minutes=1)
        for r, minute in zip(plan.tables.schedule.itertuples(index=False), at, strict=True):
            k = index.get((r.order_id, int(r.step)))
            if k is not None:
                machine[k], start[k] = machines[r.machine_id], round(minute)
        candidate = Schedule(problem, tuple(machine), tuple(start))
        vector = best.result.schedule.objective_vector(best.result.objective_name)
        if candidate.objective_vector(best.result.objective_name) >= vector:
            continue
        result = replace(
            best.result,
            schedule=candidate,
            objective=candidate.objective_value(best.result.objective_name),
            status="feasible",
            source=f"variant {variant.name} without its additions",
        )
        try:
            best = checked_plan(base.scenario, base.tiers, result)
        except NoFeasiblePlanError:
            continue  # not a plan of the base after all (the checker says why): keep the base's own
    return best


@dataclass(frozen=True)
class StudyOutcome:
    folders: dict[str, Path]
    failures: dict[str, str]


def run_study(
    spec: Path,
    out: Path,
    force: bool = False,
    on_progress: Callable[[str, ProgressEvent], None] | None = None,
    stop: StopRequest | None = None,
) -> StudyOutcome:
    """Plan the base and every variant into ``out``, then compare them (written whole or not at all).

    When ``stop`` is requested the plan in progress ends with its best plan so far, the
    variants not started are reported as not run, and the comparison of the rest is written.
    """
    stop = stop or StopRequest()
    from scenarios.compare import compare_plans, comparison_html
    from scenarios.io import write_table
    from scenarios.pipeline import make_plan, solve_options, write_plan

    study = read_study(spec)
    base = load_scenario(study.base)
    text, _ = read_settings_text(study.base)
    settings_doc = tomllib.loads(text or "")
    _merge(settings_doc, {"solve": study.solve})
    scenarios = {"base": variant_scenario(base, settings_doc, Variant("base"))}
    scenarios.update({v.folder: variant_scenario(base, settings_doc, v) for v in study.variants})
    folders: dict[str, Path] = {}
    failures: dict[str, str] = {}
    with atomic_folder(out, force) as staging:
        outcomes: dict[str, str] = {}
        plans: dict[str, Plan] = {}
        for name, scenario in scenarios.items():
            if stop.requested:
                failures[name] = outcomes[name] = f"not run: the study was stopped ({stop.reason})"
                continue
            report = (lambda e, n=name: on_progress(n, e)) if on_progress else None
            start_from = _from_base(plans["base"], scenario) if name != "base" and "base" in plans else None
            try:
                plans[name] = make_plan(scenario, solve_options(scenario), report, start_from, stop)
            except NoFeasiblePlanError as exc:
                failures[name] = outcomes[name] = "no feasible plan: " + "; ".join(exc.diagnosis[:3])
                continue
            interrupted = plans[name].tables.summary["interrupted"]
            outcomes[name] = f"planned (interrupted by {stop.reason})" if interrupted else "planned"
        if "base" in plans and not stop.requested:
            plans["base"] = _base_no_worse(plans["base"], plans, study.variants)
        for name, plan in plans.items():
            folders[name] = write_plan(plan, staging / name)
        write_json(staging / "study_summary.json", outcomes)
        if folders:
            comparison = compare_plans(list(folders.values()), list(folders))
            write_table(comparison.kpis, staging / "comparison_kpis.parquet")
            write_table(comparison.changes, staging / "changed_orders.parquet")
            (staging / "comparison.html").write_text(comparison_html(comparison), encoding="utf-8")
    return StudyOutcome({n: Path(out) / n for n in folders}, failures)
