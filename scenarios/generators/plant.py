"""The shop floor of a synthetic plant: machines, calendars, routings, changeovers, materials.

Every plant uses the plant model of contract section 4: some machine groups have
changeover families with a realistic matrix (paint colours: light to dark is quick, dark
to light slow; dies: a flat switch), one group is an oven that bakes several loads at
once, some groups work two shifts on weekdays (the plan's default calendar) while the
others run around the clock, and long steps on shift machines may pause overnight.
The orders ask ``load`` of the busiest group's working time; scarce materials cover
``material_cover`` of what the orders need.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from scheduler.calendars import DAY, calendar_minutes, weekly_windows

GROUP_NAMES = ("CUT", "MILL", "TURN", "DRILL", "WELD", "HEAT", "GRIND", "PAINT", "ASSY", "TEST", "PACK")
TWO_SHIFTS = "TWO_SHIFT"  # the plan's default calendar: Monday to Friday 06:00-14:00 and 14:00-22:00
ALL_WEEK = "AROUND_THE_CLOCK"
COLOURS = ("white", "yellow", "red", "green", "blue", "black")  # light to dark
DIES = ("die-A", "die-B", "die-C", "die-D")
RESUMABLE_ABOVE = 0.8  # share of the longest working stretch above which a shift step may pause


def ids(prefix: str, n: int, width: int | None = None) -> list[str]:
    width = width or max(3, len(str(n)))
    return [f"{prefix}{i:0{width}d}" for i in range(1, n + 1)]


def group_name(g: int) -> str:
    base = GROUP_NAMES[g % len(GROUP_NAMES)]
    return base if g < len(GROUP_NAMES) else f"{base}{g // len(GROUP_NAMES) + 1}"


def zipf(n: int, s: float) -> np.ndarray:
    w = 1.0 / np.arange(1, n + 1) ** s
    return w / w.sum()


def machines_table(rng: np.random.Generator, n: int, plant_model: bool) -> pd.DataFrame:
    """Groups of one to four interchangeable machines (an oven is one machine of capacity 3-4)."""
    n_groups = max(3, n - 2) if n <= 8 else round(n / 2.2)
    extra = rng.choice(n_groups, size=max(0, n - n_groups), p=zipf(n_groups, 0.3))
    group_of = np.sort(np.concatenate([np.arange(n_groups), extra]))[:n]
    names = [group_name(g) for g in range(n_groups)]
    role = _roles(rng, n_groups, int(group_of.max())) if plant_model else ["plain"] * n_groups
    capacity = [int(rng.choice([3, 4])) if role[g] == "oven" else 1 for g in group_of]
    calendar = [ALL_WEEK if role[g] in ("oven", "plain") else None for g in group_of]  # None: two shifts
    return pd.DataFrame(
        {
            "machine_id": ids("M", n, 2),
            "name": [f"{names[g].title()} {i + 1}" for i, g in enumerate(group_of)],
            "group": [names[g] for g in group_of],
            "capacity": capacity,
            "calendar": pd.Series(calendar if plant_model else [None] * n, dtype="str"),
            "speed": np.round(rng.uniform(0.75, 1.35, n), 2),  # minutes factor: < 1 is faster
            "role": [role[g] for g in group_of],
        }
    )


def _roles(rng: np.random.Generator, n_groups: int, last: int) -> list[str]:
    """Per group: oven (one), colours or dies (changeovers), shifts, or plain (around the clock).

    ``last`` is the last group that has a machine (small plants have fewer machines than groups).
    """
    heat = GROUP_NAMES.index("HEAT")
    oven = heat if last >= heat else last
    roles = []
    for g in range(n_groups):
        if g == oven:
            roles.append("oven")
        elif GROUP_NAMES[g % len(GROUP_NAMES)] == "PAINT" or g == 0:
            roles.append("colours")
        else:
            roles.append(str(rng.choice(["dies", "shifts", "plain", "plain"], p=[0.2, 0.3, 0.25, 0.25])))
    return roles


def shifts_table(plant_model: bool) -> pd.DataFrame:
    if not plant_model:
        return pd.DataFrame(columns=["calendar_id", "weekday", "start", "end"])
    rows = [(TWO_SHIFTS, d, s, e) for d in range(1, 6) for s, e in (("06:00", "14:00"), ("14:00", "22:00"))]
    rows += [(ALL_WEEK, d, "00:00", "24:00") for d in range(1, 8)]
    return pd.DataFrame(rows, columns=["calendar_id", "weekday", "start", "end"])


def changeovers_table(rng: np.random.Generator, machines: pd.DataFrame) -> pd.DataFrame:
    """Colours for every machine (light to dark quick, dark to light slow); dies per machine."""
    rows: list[tuple[str | None, str, str, int]] = []
    if (machines["role"] == "colours").any():
        for i, a in enumerate(COLOURS):
            for j, b in enumerate(COLOURS):
                if i != j:
                    rows.append((None, a, b, 10 + 5 * (j - i) if j > i else 30 + 15 * (i - j)))
    for machine in machines.loc[machines["role"] == "dies", "machine_id"]:
        switch = int(rng.choice([20, 30, 45]))
        rows += [(machine, a, b, switch) for a in DIES for b in DIES if a != b]
    return pd.DataFrame(rows, columns=["machine_id", "from_family", "to_family", "minutes"]).astype(
        {"machine_id": "str"}
    )


def routings_table(
    rng: np.random.Generator, machines: pd.DataFrame, n_products: int
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Products through 3-8 distinct groups; each group's machines are the step's alternatives."""
    groups = list(dict.fromkeys(machines["group"]))
    sizes = machines["group"].value_counts().reindex(groups).to_numpy(dtype=float)
    capacity = sizes / sizes.sum()  # groups with more machines see more steps, so the load is even
    product_ids = ids("P", n_products)
    base_minutes = rng.lognormal(np.log(1.2), 0.5, n_products)
    role = dict(zip(machines["group"], machines["role"], strict=False))
    members: dict[str, list[tuple[str, float]]] = {}  # per group: its machines and their speed
    for machine_id, group, speed in zip(
        machines["machine_id"], machines["group"], machines["speed"], strict=True
    ):
        members.setdefault(group, []).append((machine_id, speed))
    rows = []
    for p, product in enumerate(product_ids):
        for k, g in enumerate(_route(rng, capacity, int(rng.integers(3, 9)))):
            group = groups[g]
            setup = int(rng.choice([0, 15, 20, 30, 45, 60]))
            factor = rng.uniform(0.5, 1.6)
            if role[group] == "oven":  # a bake: long, hardly depending on the load
                setup, factor = int(rng.choice([120, 180, 240])), factor * 0.2
            family = (
                str(rng.choice(COLOURS))
                if role[group] == "colours"
                else str(rng.choice(DIES))
                if role[group] == "dies"
                else None
            )
            for machine_id, speed in members[group]:
                rows.append(
                    (product, 10 * (k + 1), machine_id, base_minutes[p] * factor * speed, setup, family)
                )
    routings = pd.DataFrame(
        rows, columns=["product_id", "step", "machine_id", "minutes_per_unit", "setup_minutes", "family"]
    )
    routings["family"] = routings["family"].astype("str")
    return pd.DataFrame({"product_id": product_ids}), routings


def _route(rng: np.random.Generator, capacity: np.ndarray, n_steps: int) -> list[int]:
    """Groups a product visits, by their share of machines: a flow through distinct groups,
    re-entrant in small plants (never the same group twice in a row)."""
    n_groups = len(capacity)
    if n_steps <= n_groups:
        return sorted(int(g) for g in rng.choice(n_groups, size=n_steps, replace=False, p=capacity))
    route = [int(rng.choice(n_groups, p=capacity))]
    while len(route) < n_steps:
        p = capacity.copy()
        p[route[-1]] = 0.0
        route.append(int(rng.choice(n_groups, p=p / p.sum())))
    return route


def working_minutes(
    machines: pd.DataFrame, shifts: pd.DataFrame, start: pd.Timestamp, horizon: int
) -> pd.Series:
    """Per machine, its working minutes inside the horizon (its calendar, else the default two shifts)."""
    typed = shifts.assign(start=shifts["start"].map(day_minutes), end=shifts["end"].map(day_minutes))
    windows = weekly_windows(typed) if len(shifts) else {}
    out = {}
    for m in machines.itertuples():
        calendar = m.calendar if isinstance(m.calendar, str) else TWO_SHIFTS
        if calendar not in windows:
            out[m.machine_id] = horizon
            continue
        laid = calendar_minutes(windows[calendar], start, horizon)
        out[m.machine_id] = sum(max(0, min(b, horizon) - max(a, 0)) for a, b in laid)
    return pd.Series(out)


def scale_to_load(
    routings: pd.DataFrame,
    machines: pd.DataFrame,
    orders: pd.DataFrame,
    available: pd.Series,
    load: float,
) -> float:
    """Scale minutes per unit so that the busiest group is asked ``load`` of its working time.

    A step's work on a group is its mean over the group's machines (they share it); the
    group's time is the working minutes of its machines times their capacity.
    """
    group_of = machines.set_index("machine_id")["group"]
    per_step = routings.assign(group=routings["machine_id"].map(group_of))
    per_step = per_step.groupby(["product_id", "step", "group"], as_index=False)[
        ["minutes_per_unit", "setup_minutes"]
    ].mean()
    lines = orders[["product_id", "quantity"]].merge(per_step, on="product_id")
    work = (lines["quantity"] * lines["minutes_per_unit"]).groupby(lines["group"]).sum()
    setups = lines.groupby("group")["setup_minutes"].sum()
    time = (available * machines.set_index("machine_id")["capacity"]).groupby(group_of).sum()
    factors = ((load * time - setups) / work).reindex(work.index).dropna()
    factor = float(max(factors.min(), 1e-3))
    routings["minutes_per_unit"] = np.round(routings["minutes_per_unit"] * factor, 3)
    return factor


def mark_resumable(
    rng: np.random.Generator, routings: pd.DataFrame, machines: pd.DataFrame, orders: pd.DataFrame
) -> None:
    """Steps on shift machines that would not fit a shift pair may pause overnight; a few more do too."""
    two_shifts = set(machines.loc[machines["calendar"].isna(), "machine_id"])
    largest = orders.groupby("product_id")["quantity"].max()
    longest = routings["product_id"].map(largest) * routings["minutes_per_unit"] + routings["setup_minutes"]
    on_shifts = routings["machine_id"].isin(two_shifts)
    too_long = on_shifts & (longest > RESUMABLE_ABOVE * (22 - 6) * 60)
    by_step = too_long.groupby([routings["product_id"], routings["step"]]).transform("any")
    chance = pd.Series(rng.random(len(routings)) < 0.15, index=routings.index)
    resumable = by_step | (on_shifts & chance)
    if on_shifts.any() and not resumable.any():  # every plant has one step that may pause
        resumable[longest[on_shifts].idxmax()] = True
    routings["resumable"] = resumable


def materials_tables(
    rng: np.random.Generator,
    n_materials: int,
    products: pd.DataFrame,
    orders: pd.DataFrame,
    routings: pd.DataFrame,
    start: pd.Timestamp,
    horizon: int,
    cover: float,
    issued: set[tuple[str, int]] | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """BOM lines; scarce materials cover ``cover`` of the demand (stock, then receipts); the rest more.

    ``issued``: (order_id, step) whose material the shop floor has taken already: stock on
    hand is what is left after them, and they ask nothing more. Stock on hand always covers
    what the started orders still need (they may not be left out)."""
    material_ids = ids("MAT", n_materials, 3)
    first_steps = routings.groupby("product_id")["step"].unique()
    rows = []
    for product in products["product_id"]:
        steps = sorted(first_steps[product])
        for material in rng.choice(material_ids, size=int(rng.integers(1, 3)), replace=False):
            step = steps[0] if rng.random() < 0.7 else int(rng.choice(steps))
            rows.append((product, material, round(float(rng.uniform(0.5, 3.0)), 2), int(step)))
    bom = pd.DataFrame(rows, columns=["product_id", "material_id", "quantity_per_unit", "step"])
    lines = orders[["order_id", "product_id", "quantity"]].merge(bom, on="product_id")
    if issued:
        lines = lines[[key not in issued for key in zip(lines["order_id"], lines["step"], strict=True)]]
    lines = lines.assign(need=lines["quantity"] * lines["quantity_per_unit"])
    demand = lines.groupby("material_id")["need"].sum().reindex(material_ids, fill_value=0.0)
    scarce = (rng.random(n_materials) < 0.35) & (cover < 1.0)
    scarce[0] = cover < 1.0  # at least one material is short, unless cover says ample
    stock_share = rng.uniform(0.55, 0.8, n_materials)
    plenty = demand * rng.uniform(1.2, 2.0, n_materials)
    on_hand = np.where(scarce, demand * cover * stock_share, plenty)
    started = lines[lines["order_id"].isin({order for order, _ in issued or ()})]
    started_need = started.groupby("material_id")["need"].sum().reindex(material_ids, fill_value=0.0)
    floor_for_started = np.ceil(started_need * 10) / 10
    on_hand = np.maximum(np.floor(on_hand * 10) / 10, floor_for_started.to_numpy())
    materials = pd.DataFrame({"material_id": material_ids, "on_hand": on_hand})
    receipts = []
    for i in np.flatnonzero(scarce):
        coming = demand.iloc[i] * cover * (1 - stock_share[i])
        parts = int(rng.integers(1, 3))
        for share in rng.dirichlet(np.ones(parts)):
            arrival = start + pd.Timedelta(minutes=int(rng.uniform(0.25, 0.75) * horizon) // 60 * 60)
            receipts.append((material_ids[i], arrival, max(0.1, math.floor(coming * share * 10) / 10)))
    return bom, materials, pd.DataFrame(receipts, columns=["material_id", "arrival", "quantity"])


def downtime_table(
    rng: np.random.Generator, machines: pd.DataFrame, start: pd.Timestamp, days: int
) -> pd.DataFrame:
    rows = []
    for machine in machines["machine_id"]:
        for _ in range(int(rng.integers(1, 3))):
            day = int(rng.integers(0, days))
            begin = start.normalize() + pd.Timedelta(days=day, hours=int(rng.integers(6, 18)))
            rows.append((machine, begin, begin + pd.Timedelta(hours=int(rng.integers(2, 9)))))
    frame = pd.DataFrame(rows, columns=["machine_id", "start", "end"])
    return frame.sort_values(["machine_id", "start"], kind="stable").reset_index(drop=True)


def day_minutes(text: str) -> int:
    hours, minutes = text.split(":")
    return int(hours) * 60 + int(minutes) if text != "24:00" else DAY
