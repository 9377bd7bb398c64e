"""Rules of the shop-floor state (contract section 5): the ``progress`` table.

Each row says that an operation has started: it is ``done`` (with its finish) or
``running`` (with the working minutes it still needs from the plan start). Rows must name
a known order, one of its routing's steps and one of that step's machines; a step may be
done or running only when every earlier step of its order is done; a machine cannot run
more operations at once than its capacity; and the times must be in order.
"""

from __future__ import annotations

import pandas as pd

from scenarios.contract.errors import Problem
from scenarios.contract.row_problems import is_in, problems_at, unknown_values
from scenarios.contract.settings import Settings

Tables = dict[str, pd.DataFrame]
STATES = ("done", "running")


def progress_problems(tables: Tables, settings: Settings | None) -> list[Problem]:
    """Every problem of the progress table, and warnings where the shop floor bends a rule."""
    progress = tables["progress"]
    if progress.empty:
        return []
    problems = _states(progress)
    problems += unknown_values(
        "progress", progress, "order_id", tables["orders"]["order_id"].dropna(), "orders"
    )
    problems += unknown_values(
        "progress", progress, "machine_id", tables["machines"]["machine_id"].dropna(), "machines"
    )
    problems += _routing(progress, tables)
    problems += _earlier_steps_done(progress, tables)
    problems += _capacity(progress, tables["machines"])
    if settings is not None:
        problems += _times(progress, settings.plan.start)
    problems += _started_orders(progress, tables)
    return problems


def steps_by_product(routings: pd.DataFrame) -> dict[str, list[int]]:
    """Per product, the steps of its routing in order."""
    return routings.groupby("product_id")["step"].apply(lambda s: sorted({int(x) for x in s})).to_dict()


def _states(progress: pd.DataFrame) -> list[Problem]:
    state = progress["state"]
    bad = state.notna() & ~state.isin(STATES)
    message = "found " + state.astype(str).map(repr) + "; expected done or running"
    return problems_at("progress", progress, bad, "state", message)


def _order_steps(progress: pd.DataFrame, tables: Tables) -> pd.DataFrame:
    """Each progress row with its order's product (rows of unknown orders left out)."""
    products = tables["orders"].dropna(subset=["order_id"]).drop_duplicates("order_id")
    rows = progress.reset_index(names="row").merge(
        products[["order_id", "product_id"]], on="order_id", how="inner"
    )
    return rows.dropna(subset=["step"])


def _routing(progress: pd.DataFrame, tables: Tables) -> list[Problem]:
    """The step belongs to the order's routing, and the machine is one of its alternatives."""
    routings = tables["routings"].dropna(subset=["product_id", "step", "machine_id"])
    rows = _order_steps(progress, tables)
    steps = steps_by_product(routings)
    machines = {
        (product, int(step)): sorted(set(group))
        for (product, step), group in routings.groupby(["product_id", "step"])["machine_id"]
    }
    unknown_step = pd.Series(None, index=progress.index, dtype=object)
    wrong_machine = pd.Series(None, index=progress.index, dtype=object)
    for r in rows.itertuples(index=False):
        product, step = r.product_id, int(r.step)
        known = steps.get(product, [])
        if step not in known:
            unknown_step[r.row] = (
                f"step {step} is not a step of product {product}'s routing; expected one of "
                + ", ".join(map(str, known))
            )
        elif pd.notna(r.machine_id) and r.machine_id not in machines[(product, step)]:
            wrong_machine[r.row] = (
                f"machine {r.machine_id} is not an alternative of step {step} of product {product}; "
                "expected one of " + ", ".join(machines[(product, step)])
            )
    problems = problems_at("progress", progress, unknown_step.notna(), "step", unknown_step)
    return problems + problems_at("progress", progress, wrong_machine.notna(), "machine_id", wrong_machine)


def _earlier_steps_done(progress: pd.DataFrame, tables: Tables) -> list[Problem]:
    """A step is done or running only when every earlier step of its order is done."""
    routings = tables["routings"].dropna(subset=["product_id", "step"])
    steps = steps_by_product(routings)
    rows = _order_steps(progress, tables)
    state = {(r.order_id, int(r.step)): r.state for r in rows.itertuples(index=False)}
    texts = pd.Series(None, index=progress.index, dtype=object)
    for r in rows.itertuples(index=False):
        for earlier in steps.get(r.product_id, []):
            if earlier >= int(r.step):
                break
            found = state.get((r.order_id, earlier))
            if found != "done":
                texts[r.row] = (
                    f"step {int(r.step)} is {r.state} while the order's earlier step {earlier} is "
                    + ("not in progress" if found is None else str(found))
                    + "; expected every earlier step of the order done"
                )
                break
    return problems_at("progress", progress, texts.notna(), "state", texts)


def _capacity(progress: pd.DataFrame, machines: pd.DataFrame) -> list[Problem]:
    """No machine runs more operations at once than its capacity."""
    capacity = machines.dropna(subset=["machine_id"]).drop_duplicates("machine_id")
    limit = progress["machine_id"].map(capacity.set_index("machine_id")["capacity"]).fillna(1)
    running = progress["state"] == "running"
    count = running.astype(int).groupby(progress["machine_id"]).cumsum()
    too_many = running & progress["machine_id"].notna() & (count > limit)
    total = running.astype(int).groupby(progress["machine_id"]).transform("sum")
    message = (
        "machine "
        + progress["machine_id"].astype(str)
        + " has "
        + total.astype(str)
        + " running operations; expected at most its capacity "
        + limit.astype(int).astype(str)
        + " (machines.capacity)"
    )
    return problems_at("progress", progress, too_many, "machine_id", message)


def _times(progress: pd.DataFrame, start: pd.Timestamp) -> list[Problem]:
    """started_at <= plan start; done: started_at <= finished_at <= plan start, no remaining
    minutes; running: remaining minutes and no finish."""
    done, running = progress["state"] == "done", progress["state"] == "running"
    started, finished = progress["started_at"], progress["finished_at"]
    remaining = progress["remaining_minutes"]
    plan_start = f"plan.start {start}"
    rules = [
        (
            started > start,
            "started_at",
            "found " + started.astype(str) + f"; expected at or before {plan_start}",
        ),
        (done & finished.isna(), "finished_at", "missing for a done step; expected when it finished"),
        (
            done & (finished < started),
            "finished_at",
            "found "
            + finished.astype(str)
            + " before started_at "
            + started.astype(str)
            + "; expected finished_at >= started_at",
        ),
        (
            done & (finished > start),
            "finished_at",
            "found "
            + finished.astype(str)
            + f"; expected at or before {plan_start} (a done step has finished)",
        ),
        (
            done & remaining.notna(),
            "remaining_minutes",
            "found " + remaining.astype(str) + "; expected empty for a done step",
        ),
        (
            running & finished.notna(),
            "finished_at",
            "found " + finished.astype(str) + "; expected empty for a running step",
        ),
        (
            running & remaining.isna(),
            "remaining_minutes",
            "missing for a running step; expected the working minutes it still needs from plan.start",
        ),
    ]
    problems: list[Problem] = []
    for mask, column, message in rules:
        problems += problems_at("progress", progress, mask, column, message)
    return problems


def _started_orders(progress: pd.DataFrame, tables: Tables) -> list[Problem]:
    """Warnings: a started order keeps its place on the shop floor, whatever its release and
    after_order say."""
    orders = tables["orders"].dropna(subset=["order_id"]).drop_duplicates("order_id").set_index("order_id")
    started = set(progress["order_id"].dropna()) & set(orders.index)
    if not started:
        return []
    done_steps = progress[progress["state"] == "done"].groupby("order_id")["step"].apply(set).to_dict()
    routings = tables["routings"].dropna(subset=["product_id", "step"])
    steps = steps_by_product(routings)
    product_of = orders["product_id"].to_dict()
    finished = {o for o in started if o in done_steps and set(steps.get(product_of[o], [])) <= done_steps[o]}
    frame = orders.loc[sorted(started)].reset_index()
    after = frame["after_order"]
    waiting = after.notna() & is_in(after, orders.index) & ~after.isin(list(finished))
    problems = problems_at(
        "orders",
        frame,
        waiting,
        "after_order",
        "the order has started (progress) although order "
        + after.astype(str)
        + " (after_order) has not finished; the plan keeps the shop floor as it is",
        "warning",
    )
    return problems
