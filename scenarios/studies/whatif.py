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

import contextlib
import copy
import json
import logging
import re
import sys
import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
import tomli_w

from scenarios.batch.supervise import ChildFailure, run_supervised, watchdog_seconds
from scenarios.contract.convert import clock_text
from scenarios.contract.errors import EnvironmentFault, InputError, NoFeasiblePlanError, Problem
from scenarios.contract.freeze import Frozen
from scenarios.contract.io import atomic_folder, read_plan_table, read_settings_text, write_json
from scenarios.contract.model import Scenario, load_scenario, scenario_from_tables
from scheduler.log import lines_to
from scheduler.plan import schedule_from_table
from scheduler.result import Result
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


def plan_variant(
    spec: str,
    name: str,
    staging: str,
    base: str | None,
    verbose: bool = False,
    stop: StopRequest | None = None,
) -> str:
    """In a child process: plan the base (``name`` "base") or a variant of the study ``spec``
    into ``staging/name``; a variant re-plans from the base plan folder ``base`` as a re-plan
    would (nothing frozen, the stability prices against the base's places). ``verbose``: the
    search's log lines go to stderr. The outcome."""
    lines = logging.StreamHandler(sys.stderr)
    form = f"%(asctime)s {name}: %(message)s"
    with lines_to(lines, form, "%H:%M:%S") if verbose else contextlib.nullcontext():
        return _plan_in_child(spec, name, staging, base, stop)


def _plan_in_child(spec: str, name: str, staging: str, base: str | None, stop: StopRequest | None) -> str:
    from scenarios.pipelines.schedule import make_plan, solve_options, write_plan

    study = read_study(Path(spec))
    scenario = _study_scenarios(study, only=name)[name]
    start_from = _from_base(Path(base), scenario) if base is not None else None
    try:
        plan = make_plan(scenario, solve_options(scenario), None, start_from, stop)
    except NoFeasiblePlanError as exc:
        return "no feasible plan: " + "; ".join(exc.diagnosis[:3])
    except EnvironmentFault as exc:
        return f"environment: {exc}"
    write_plan(plan, Path(staging) / name)
    interrupted = plan.tables.summary["interrupted"]
    return f"planned (interrupted by {plan.tables.summary['stop_reason']})" if interrupted else "planned"


def _study_scenarios(study: Study, only: str | None = None) -> dict[str, Scenario]:
    """The base and every variant (or only the one whose folder is ``only``: a child plans
    one), checked like any scenario, by folder name."""
    base = load_scenario(study.base)
    text, _ = read_settings_text(study.base)
    settings_doc = tomllib.loads(text or "")
    _merge(settings_doc, {"solve": study.solve})
    scenarios = {"base": variant_scenario(base, settings_doc, Variant("base"))}
    variants = [v for v in study.variants if only in (None, v.folder)]
    scenarios.update({v.folder: variant_scenario(base, settings_doc, v) for v in variants})
    return scenarios


def _from_base(base: Path, scenario: Scenario) -> Frozen:
    """Nothing frozen; every operation of the base plan priced for moving away."""
    schedule = read_plan_table(base, "schedule")
    later = {
        (str(r.order_id), int(r.step)): (str(r.machine_id), pd.Timestamp(r.start))
        for r in schedule.itertuples(index=False)
    }
    return Frozen(scenario.settings.plan.start, {}, base, later)


def _base_no_worse(base: Scenario, staging: Path, variants: list[Variant]) -> str | None:
    """Offer the base each planned variant that only adds work, without what it adds: where
    one is better for the base, the base plan becomes it (checked, rewritten), so that such a
    variant never shows a better result than the base. Says which, if any."""
    from scenarios.pipelines.schedule import build_scenario_problem, checked_plan, write_plan

    tiers = read_plan_table(staging / "base", "tiers")
    summary = json.loads((staging / "base" / "summary.json").read_text(encoding="utf-8"))
    problem = build_scenario_problem(base, tiers)
    objective = summary["objective"]
    best = schedule_from_table(problem, read_plan_table(staging / "base", "schedule"))
    source = None
    for variant in variants:
        folder = staging / variant.folder
        if not set(variant.changes) <= HARDER_ONLY or not (folder / "schedule.parquet").is_file():
            continue
        candidate = schedule_from_table(problem, read_plan_table(folder, "schedule"))
        if candidate.ranking(objective) < best.ranking(objective):
            best, source = candidate, f"variant {variant.name} without its additions"
    if source is None:
        return None
    settings = {
        k: v for k, v in summary["solver"].items() if k not in ("plan_from", "rounds", "dispatch_rules")
    }
    result = Result(
        best,
        "feasible",
        objective,
        best.objective_value(objective),
        None,
        summary["runtime_s"],
        settings.get("solver", "cpsat"),
        source,
        settings,
    )
    try:
        write_plan(checked_plan(base, tiers, result), staging / "base", force=True)
    except NoFeasiblePlanError:
        return None  # not a plan of the base after all (the checker says why): keep the base's own
    return source


@dataclass(frozen=True)
class StudyOutcome:
    folders: dict[str, Path]
    failures: dict[str, str]


def run_study(
    spec: Path,
    out: Path,
    force: bool = False,
    on_plan: Callable[[str, str], None] | None = None,
    stop: StopRequest | None = None,
    watchdog_s: float | None = None,
    verbose: bool = False,
) -> StudyOutcome:
    """Plan the base and every variant into ``out``, then compare them (written whole or not at all).

    Each plan is made in a child process (:mod:`scenarios.batch.supervise`): one that hangs past
    the watchdog, crashes or is killed is reported for its variant, and the study goes on.
    When ``stop`` is requested the plan in progress ends with its best plan so far, the
    variants not started are reported as not run, and the comparison of the rest is written.
    """
    stop = stop or StopRequest()
    from scenarios.contract.io import write_table
    from scenarios.studies.compare import compare_plans, comparison_html

    study = read_study(spec)
    scenarios = _study_scenarios(study)  # every variant checked before any is planned
    limit = scenarios["base"].settings.solve.time_limit_s
    seconds = watchdog_s if watchdog_s is not None else watchdog_seconds(limit)
    folders: dict[str, Path] = {}
    failures: dict[str, str] = {}
    with atomic_folder(out, force) as staging:
        outcomes: dict[str, str] = {}
        for name in scenarios:
            if stop.requested:
                failures[name] = outcomes[name] = f"not run: the study was stopped ({stop.reason})"
                continue
            base = str(staging / "base") if name != "base" and "base" in folders else None
            job = (str(spec), name, str(staging), base, verbose)
            outcome = run_supervised(plan_variant, job, seconds, stop)
            if isinstance(outcome, ChildFailure):
                outcome = f"failed ({outcome.cause}): {outcome.message}"
            outcomes[name] = outcome
            if on_plan is not None:
                on_plan(name, outcome)
            if outcome.startswith("planned"):
                folders[name] = staging / name
            else:
                failures[name] = outcome
        if "base" in folders and not stop.requested:
            improved = _base_no_worse(scenarios["base"], staging, study.variants)
            if improved:
                outcomes["base"] += f"; then {improved}, which is better for the base"
        write_json(staging / "study_summary.json", outcomes)
        if folders:
            comparison = compare_plans(list(folders.values()), list(folders))
            write_table(comparison.kpis, staging / "comparison_kpis.parquet")
            write_table(comparison.changes, staging / "changed_orders.parquet")
            (staging / "comparison.html").write_text(comparison_html(comparison), encoding="utf-8")
    return StudyOutcome({n: Path(out) / n for n in folders}, failures)
