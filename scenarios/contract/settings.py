"""``scenario.toml``: the plan, tier, grading and solver settings, parsed and checked."""

from __future__ import annotations

import datetime as dt
import math
import tomllib
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from grading.config import GRADING_METHODS, NORMALIZATIONS, PARETO_BASES, GradingConfig
from scenarios.contract.errors import Problem
from scenarios.contract.schema import MAX_HORIZON_DAYS, MAX_WEIGHT, number_text
from scheduler.objectives import OBJECTIVES
from scheduler.options import SolveOptions
from scheduler.problem import DEFAULT_STABILITY_BUDGET, DEFAULT_STABILITY_WEIGHT, StabilityPrices

SETTINGS_FILE = "scenario.toml"
FIRST_PLAN_START = pd.Timestamp("1900-01-01")  # beyond these, the years of history, horizon and
LAST_PLAN_START = pd.Timestamp("2999-12-31")  # grading window no longer fit the calendar


@dataclass(frozen=True)
class PlanSettings:
    start: pd.Timestamp
    horizon_days: float = 28.0
    calendar: str | None = None  # the calendar_id of machines with an empty calendar

    @property
    def horizon_minutes(self) -> int:
        return round(self.horizon_days * 24 * 60)

    @property
    def end(self) -> pd.Timestamp:
        return self.start + pd.Timedelta(minutes=self.horizon_minutes)


@dataclass(frozen=True)
class TierSettings:
    names: tuple[str, ...] = ("A", "B", "C")
    weights: dict[str, float] = field(default_factory=lambda: {"A": 4.0, "B": 2.0, "C": 1.0})
    complaint_sla_days: dict[str, float] = field(default_factory=lambda: {"A": 3.0, "B": 4.0, "C": 5.0})
    visit_every_days: dict[str, float] | None = None  # the visit cadence per tier; None: no visit plan


@dataclass(frozen=True)
class Settings:
    plan: PlanSettings
    tiers: TierSettings = field(default_factory=TierSettings)
    grading: GradingConfig = field(default_factory=GradingConfig)
    solve: SolveOptions = field(default_factory=SolveOptions)

    @property
    def as_of(self) -> pd.Timestamp:
        """The grading date: ``[grading].as_of``, else the day the plan starts."""
        if self.grading.as_of is not None:
            return self.grading.as_of
        return self.plan.start.normalize()


ALLOWED_KEYS: dict[str, set[str]] = {
    "plan": {"start", "horizon_days", "calendar"},
    "tiers": {"names", "weights", "complaint_sla_days", "visit_every_days"},
    "grading": {
        "as_of",
        "window_months",
        "weights",
        "method",
        "ratios",
        "normalization",
        "default_margin",
        "pareto_basis",
        "pareto_shares",
        "thresholds",
        "balance",
    },
    "solve": {
        "objective",
        "time_limit_s",
        "workers",
        "seed",
        "stability_weight",
        "stability_machine",
        "stability_sequence",
        "stability_moved",
        "stability_minute",
        "stability_budget",
    },
}


class _Reader:
    """Reads typed values out of the TOML document, collecting problems."""

    def __init__(self, doc: dict[str, Any]) -> None:
        self.doc = doc
        self.problems: list[Problem] = []

    def problem(self, section: str, key: str, message: str) -> None:
        self.problems.append(Problem(SETTINGS_FILE, f"[{section}]", key, message))

    def section(self, name: str) -> dict[str, Any]:
        value = self.doc.get(name, {})
        if not isinstance(value, dict):
            self.problem(name, "", f"found {value!r}; expected a [{name}] table")
            return {}
        for key in value:
            if key not in ALLOWED_KEYS[name]:
                allowed = ", ".join(sorted(ALLOWED_KEYS[name]))
                self.problem(name, key, f"unknown key; expected one of {allowed}")
        return value

    def number(
        self,
        section: str,
        values: dict[str, Any],
        key: str,
        default: float,
        minimum: float = 0.0,
        strict: bool = True,
        integer: bool = False,
        label: str | None = None,
        maximum: float = math.inf,
    ) -> float:
        value = values.get(key, default)
        key = label or key
        ok_type = isinstance(value, int) if integer else isinstance(value, int | float)
        if isinstance(value, bool) or not ok_type or not math.isfinite(value):
            kind = "a whole number" if integer else "a number"
            self.problem(section, key, f"found {value!r}; expected {kind}")
            return default
        if value < minimum or (strict and value == minimum):
            self.problem(section, key, f"found {value!r}; expected {'>' if strict else '>='} {minimum:g}")
            return default
        if value > maximum:
            self.problem(section, key, f"found {value!r}; expected at most {number_text(maximum)}")
            return default
        return float(value)

    def timestamp(self, section: str, values: dict[str, Any], key: str) -> pd.Timestamp | None:
        value = values.get(key)
        if value is None:
            return None
        if isinstance(value, dt.time) or (isinstance(value, dt.datetime) and value.tzinfo):
            self.problem(
                section,
                key,
                f"found {value!r}; expected a plant-local date or date-time without time zone",
            )
            return None
        if isinstance(value, dt.date | str):
            try:
                ts = pd.Timestamp(value)
            except ValueError:
                ts = None
            if ts is not None and ts.tzinfo is None and not pd.isna(ts):
                return ts
        self.problem(section, key, f"found {value!r}; expected a date-time such as 2026-12-01T06:00:00")
        return None

    def choice(
        self, section: str, values: dict[str, Any], key: str, default: str, options: tuple[str, ...]
    ) -> str:
        value = values.get(key, default)
        if value not in options:
            self.problem(section, key, f"found {value!r}; expected one of {', '.join(options)}")
            return default
        return str(value)

    def mapping(
        self,
        section: str,
        values: dict[str, Any],
        key: str,
        default: dict[str, float],
        minimum: float,
        strict: bool,
        maximum: float = math.inf,
    ) -> dict[str, float]:
        value = values.get(key, default)
        if not isinstance(value, dict):
            self.problem(section, key, f"found {value!r}; expected a table such as {{ A = 1 }}")
            return default
        out: dict[str, float] = {}
        for name in value:
            out[name] = self.number(
                section, value, name, 0.0, minimum, strict, label=f"{key}.{name}", maximum=maximum
            )
        return out


def parse_settings(text: str) -> tuple[Settings | None, list[Problem]]:
    """Parse ``scenario.toml`` text into settings, collecting every problem."""
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        return None, [Problem(SETTINGS_FILE, "", "", f"not valid TOML: {exc}")]
    r = _Reader(doc)
    for name in doc:
        if name not in ALLOWED_KEYS:
            r.problem(name, "", f"unknown section; expected {', '.join(ALLOWED_KEYS)}")

    plan_values = r.section("plan")
    start = r.timestamp("plan", plan_values, "start")
    if "start" not in plan_values:
        r.problem("plan", "start", "missing; expected the plan start, e.g. start = 2026-12-01T06:00:00")
    horizon = r.number("plan", plan_values, "horizon_days", 28.0, maximum=MAX_HORIZON_DAYS)
    if start is not None and not FIRST_PLAN_START <= start <= LAST_PLAN_START:
        r.problem(
            "plan",
            "start",
            f"found {start}; expected a plan start between {FIRST_PLAN_START:%Y} and {LAST_PLAN_START:%Y}",
        )
        start = None

    calendar = plan_values.get("calendar")
    if calendar is not None and (not isinstance(calendar, str) or not calendar.strip()):
        r.problem("plan", "calendar", f"found {calendar!r}; expected a calendar_id from the shifts table")
        calendar = None
    tiers = _parse_tiers(r)
    grading = _parse_grading(r, tiers)
    solve_values = r.section("solve")
    prices = _stability_prices(r, solve_values)
    solve = SolveOptions(
        objective=r.choice("solve", solve_values, "objective", "weighted_tardiness", OBJECTIVES),
        time_limit_s=r.number("solve", solve_values, "time_limit_s", 60.0),
        workers=int(r.number("solve", solve_values, "workers", 0, strict=False, integer=True)),
        seed=int(r.number("solve", solve_values, "seed", 0, strict=False, integer=True)),
        stability_weight=prices["stability_weight"],
        stability_machine=prices["stability_machine"],
        stability_sequence=prices["stability_sequence"],
        stability_moved=prices["stability_moved"],
        stability_minute=prices["stability_minute"],
        stability_budget=prices["stability_budget"],
    )
    if start is None or any(p.severity == "error" for p in r.problems):
        return None, r.problems
    return Settings(PlanSettings(start, horizon, calendar), tiers, grading, solve), r.problems


def _stability_prices(r: _Reader, values: dict[str, Any]) -> dict[str, float]:
    """[solve] stability_weight, the four prices of moves it multiplies and the cost budget."""
    defaults = {
        "stability_weight": DEFAULT_STABILITY_WEIGHT,
        "stability_machine": StabilityPrices.machine,
        "stability_sequence": StabilityPrices.sequence,
        "stability_moved": StabilityPrices.moved,
        "stability_minute": StabilityPrices.minute,
        "stability_budget": DEFAULT_STABILITY_BUDGET,
    }
    return {k: r.number("solve", values, k, d, strict=False, maximum=MAX_WEIGHT) for k, d in defaults.items()}


def _parse_tiers(r: _Reader) -> TierSettings:
    values = r.section("tiers")
    default = TierSettings()
    names = values.get("names", list(default.names))
    if (
        not isinstance(names, list)
        or not names
        or not all(isinstance(n, str) and n.strip() for n in names)
        or len(set(names)) != len(names)
    ):
        r.problem("tiers", "names", f"found {names!r}; expected a list of distinct tier names, best first")
        names = list(default.names)
    custom = tuple(names) != default.names
    weights = r.mapping(
        "tiers", values, "weights", {} if custom else default.weights, 0.0, True, maximum=MAX_WEIGHT
    )
    sla = r.mapping(
        "tiers",
        values,
        "complaint_sla_days",
        {} if custom else default.complaint_sla_days,
        0.0,
        False,
    )
    for tier in names:
        if tier not in weights:
            r.problem(
                "tiers",
                f"weights.{tier}",
                f"tier {tier} has no weight; expected {tier} = <number > 0>",
            )
    visits = (
        r.mapping("tiers", values, "visit_every_days", {}, 0.0, True)
        if "visit_every_days" in values
        else None
    )
    for tier in names:
        if visits is not None and tier not in visits:
            r.problem(
                "tiers",
                f"visit_every_days.{tier}",
                f"tier {tier} has no visit interval; expected {tier} = <days>",
            )
    for mapping, key in (
        (weights, "weights"),
        (sla, "complaint_sla_days"),
        (visits or {}, "visit_every_days"),
    ):
        for tier in mapping:
            if tier not in names:
                r.problem("tiers", f"{key}.{tier}", f"unknown tier; expected one of {', '.join(names)}")
    return TierSettings(tuple(names), weights, sla, visits)


def _parse_grading(r: _Reader, tiers: TierSettings) -> GradingConfig:
    values = r.section("grading")
    d = GradingConfig()
    custom = tiers.names != TierSettings().names
    weights = r.mapping("grading", values, "weights", d.weights, 0.0, False)
    for metric in weights:
        if metric not in d.weights:
            r.problem("grading", f"weights.{metric}", "unknown metric; expected credit, amount or profit")
    if weights and abs(sum(weights.values()) - 1.0) > 1e-6:
        r.problem("grading", "weights", f"the weights sum to {sum(weights.values()):g}; expected 1")
    method = r.choice("grading", values, "method", d.method, GRADING_METHODS)
    ratios = r.mapping("grading", values, "ratios", {} if custom else d.ratios, 0.0, False)
    shares = r.mapping("grading", values, "pareto_shares", {} if custom else d.pareto_shares, 0.0, True)
    thresholds = r.mapping("grading", values, "thresholds", {} if custom else d.thresholds, 0.0, False)
    _check_tier_keys(r, tiers, "ratios", ratios, tiers.names, method == "ratio")
    if ratios and abs(sum(ratios.values()) - 1.0) > 1e-6:
        r.problem("grading", "ratios", f"the ratios sum to {sum(ratios.values()):g}; expected 1")
    _check_tier_keys(r, tiers, "pareto_shares", shares, tiers.names[:-1], method == "pareto")
    _check_increasing(r, "pareto_shares", [shares.get(t) for t in tiers.names[:-1]], up=True, cap=1.0)
    _check_tier_keys(r, tiers, "thresholds", thresholds, tiers.names[:-1], method == "score")
    _check_increasing(r, "thresholds", [thresholds.get(t) for t in tiers.names[:-1]], up=False, cap=100.0)
    balance = values.get("balance", False)
    if not isinstance(balance, bool):
        r.problem("grading", "balance", f"found {balance!r}; expected true or false")
        balance = False
    margin = r.number("grading", values, "default_margin", d.default_margin, -math.inf, False)
    if not -1.0 <= margin <= 1.0:
        r.problem("grading", "default_margin", f"found {margin:g}; expected a share between -1 and 1")
    return GradingConfig(
        as_of=_as_date(r.timestamp("grading", values, "as_of")),
        tier_names=tiers.names,
        window_months=int(r.number("grading", values, "window_months", 12, integer=True)),
        weights=weights,
        method=method,
        ratios=ratios,
        normalization=r.choice("grading", values, "normalization", d.normalization, NORMALIZATIONS),
        default_margin=margin,
        pareto_basis=r.choice("grading", values, "pareto_basis", d.pareto_basis, PARETO_BASES),
        pareto_shares=shares,
        thresholds=thresholds,
        balance=balance,
    )


def _as_date(ts: pd.Timestamp | None) -> pd.Timestamp | None:
    return None if ts is None else ts.normalize()


def _check_tier_keys(
    r: _Reader,
    tiers: TierSettings,
    key: str,
    mapping: dict[str, float],
    needed: tuple[str, ...],
    used: bool,
) -> None:
    for tier in mapping:
        if tier not in needed:
            r.problem("grading", f"{key}.{tier}", f"unexpected tier; expected one of {', '.join(needed)}")
    if used:
        for tier in needed:
            if tier not in mapping:
                r.problem("grading", f"{key}.{tier}", f"tier {tier} has no value; expected one per tier")


def _check_increasing(r: _Reader, key: str, values: list[float | None], up: bool, cap: float) -> None:
    present = [v for v in values if v is not None]
    ordered = sorted(present) if up else sorted(present, reverse=True)
    if present != ordered or len(set(present)) != len(present):
        direction = "increasing" if up else "decreasing"
        r.problem(
            "grading",
            key,
            f"found {present}; expected strictly {direction} values, best tier first",
        )
    if any(v > cap for v in present):
        r.problem("grading", key, f"found {present}; expected values <= {cap:g}")
