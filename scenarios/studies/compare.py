"""Plans side by side: KPIs per tier, and the orders whose outcome changed."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from reports.comparison import comparison_report
from scenarios.contract.errors import InputError, Problem
from scenarios.contract.io import read_plan_table
from scheduler.plan import KPI_KEYS


@dataclass(frozen=True)
class Comparison:
    names: list[str]
    kpis: pd.DataFrame  # tier, kpi, one column per plan
    changes: pd.DataFrame  # order_id, the first plan's outcome, then each other plan's, and what changed
    objectives: pd.DataFrame  # plan, status, objective, value, bound, gap, runtime
    moves: pd.DataFrame  # per plan after the first: operations compared, moved, minutes moved


def load_plan_parts(folder: Path) -> tuple[dict, pd.DataFrame]:
    folder = Path(folder)
    if not (folder / "summary.json").is_file() or not (folder / "orders.parquet").is_file():
        raise InputError(
            [Problem(str(folder), "", "", "not a plan folder; expected summary.json and orders.parquet")]
        )
    return json.loads((folder / "summary.json").read_text(encoding="utf-8")), read_plan_table(
        folder, "orders"
    )


def plan_names(folders: list[Path]) -> list[str]:
    """Short, distinct names: the folder names, with parents added where they clash."""
    names = [Path(f).name for f in folders]
    if len(set(names)) < len(names):
        names = [f"{Path(f).parent.name}/{Path(f).name}" for f in folders]
    return [f"{n} ({i + 1})" if names.count(n) > 1 else n for i, n in enumerate(names)]


def compare_plans(folders: list[Path], names: list[str] | None = None) -> Comparison:
    """Compare plans against the first one."""
    parts = [load_plan_parts(f) for f in folders]
    names = names or plan_names(folders)
    tiers = list(dict.fromkeys(t for summary, _ in parts for t in summary["kpis"]))
    rows = []
    for tier in tiers:
        for key in KPI_KEYS:
            row = {"tier": tier, "kpi": key}
            for name, (summary, _) in zip(names, parts, strict=True):
                row[name] = summary["kpis"].get(tier, {}).get(key)
            rows.append(row)
    kpis = pd.DataFrame(rows)
    objectives = pd.DataFrame(
        [
            {
                "plan": n,
                "status": s["status"],
                "objective": s["objective"],
                "value": s["objective_value"],
                "bound": s["best_bound"],
                "gap": s["gap"],
                "runtime_s": s["runtime_s"],
            }
            for n, (s, _) in zip(names, parts, strict=True)
        ]
    )
    schedules = [read_plan_table(Path(f), "schedule") for f in folders]
    return Comparison(
        names, kpis, _changes(names, [o for _, o in parts]), objectives, _moves(names, schedules)
    )


def _turned_over(both: pd.DataFrame) -> int:
    """Pairs of operations that ran one right after the other on a machine in the first plan
    and run the other way round, on that machine, in the second."""
    turned = 0
    for _, group in both.sort_values(["machine_id_a", "start_a"]).groupby("machine_id_a", sort=False):
        same = (group["machine_id_b"] == group["machine_id_a"]).to_numpy()
        later = group["start_b"].to_numpy()
        turned += int((same[:-1] & same[1:] & (later[1:] < later[:-1])).sum())
    return turned


def _moves(names: list[str], schedules: list[pd.DataFrame]) -> pd.DataFrame:
    """Per plan, how its operations moved against the first plan's (same order and step)."""
    key = ["order_id", "step"]
    first = schedules[0][[*key, "machine_id", "start"]]
    rows = []
    for name, schedule in zip(names[1:], schedules[1:], strict=True):
        both = first.merge(schedule[[*key, "machine_id", "start"]], on=key, suffixes=("_a", "_b"))
        other = both["machine_id_a"] != both["machine_id_b"]
        shift = ((both["start_b"] - both["start_a"]).abs() / pd.Timedelta(minutes=1)).astype("int64")
        moved = other | (shift > 0)
        rows.append(
            {
                "plan": name,
                "operations_in_both": len(both),
                "operations_moved": int(moved.sum()),
                "on_another_machine": int(other.sum()),
                "turned_over": _turned_over(both),
                "minutes_moved": int(shift.sum()),
                "only_in_first": len(first) - len(both),
                "only_in_this": len(schedule) - len(both),
            }
        )
    return pd.DataFrame(rows)


def _outcome(row: pd.Series) -> str:
    if row["status"] != "scheduled":
        return "unscheduled"
    return "on time" if row["tardiness_minutes"] == 0 else f"late {int(row['tardiness_minutes'])} min"


def _changes(names: list[str], orders: list[pd.DataFrame]) -> pd.DataFrame:
    every = pd.concat(orders).drop_duplicates("order_id").set_index("order_id")
    frame = pd.DataFrame({"tier": every["tier"]}).sort_index()
    for name, o in zip(names, orders, strict=True):
        outcome = o.set_index("order_id").apply(_outcome, axis=1)
        frame[name] = outcome.reindex(frame.index).fillna("not in plan")
    changed = (frame[names].ne(frame[names[0]], axis=0)).any(axis=1)
    return frame[changed].reset_index().rename(columns={"index": "order_id"})


def comparison_html(c: Comparison) -> str:
    return comparison_report(c.names, c.kpis, c.changes, c.objectives, c.moves)
