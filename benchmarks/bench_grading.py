"""Grading speed: tierplan against DuckDB on the same Parquet files, in the same run.

5,000,000 sales rows and 1,000,000 payments for 50,000 customers (smaller with --scale).
Both sides read the Parquet files and compute the per-customer metrics, normalised
scores, composite and ratio tiers; tierplan also validates every cell on the way in
(types, nulls, ranges), as `tierplan grade` does. Prints the medians and the ratio.

    python benchmarks/bench_grading.py [--repeat 3] [--scale 1.0]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from grading import GradingConfig, grade
from scenarios.contract.convert import convert_table
from scenarios.contract.io import read_table_file
from scenarios.contract.schema import TABLES

AS_OF = pd.Timestamp("2026-11-30")


def write_data(folder: Path, scale: float, seed: int = 0) -> None:
    rng = np.random.default_rng(seed)
    n_customers, n_sales, n_payments = int(50_000 * scale), int(5_000_000 * scale), int(1_000_000 * scale)
    ids = np.array([f"C{i:06d}" for i in range(n_customers)], dtype=object)
    size = rng.pareto(1.16, n_customers) + 1
    p = size / size.sum()
    day0 = np.datetime64("2025-08-30")
    cust = rng.choice(n_customers, n_sales, p=p)
    amount = np.round(rng.lognormal(7.5, 0.8, n_sales), 2)
    cost = np.where(rng.random(n_sales) < 0.03, np.nan, np.round(amount * rng.uniform(0.6, 0.95, n_sales), 2))
    sales = pa.table(
        {
            "customer_id": pa.array(ids[cust], pa.string()),
            "order_date": pa.array(
                day0 + rng.integers(0, 455, n_sales).astype("timedelta64[D]"), pa.date32()
            ),
            "amount": amount,
            "cost": pa.array(cost, pa.float64(), from_pandas=True),
            "quantity": rng.integers(1, 500, n_sales).astype(float),
        }
    )
    pq.write_table(sales, folder / "sales_history.parquet")
    cust = rng.choice(n_customers, n_payments, p=p)
    due = day0 + rng.integers(0, 455, n_payments).astype("timedelta64[D]")
    delay = np.where(
        rng.random(n_payments) < 0.3, rng.integers(1, 60, n_payments), -rng.integers(0, 5, n_payments)
    )
    paid = due + delay.astype("timedelta64[D]")
    unpaid = (paid > np.datetime64("2026-11-30")) | (rng.random(n_payments) < 0.02)
    payments = pa.table(
        {
            "customer_id": pa.array(ids[cust], pa.string()),
            "invoice_id": pa.array([f"I{i:08d}" for i in range(n_payments)], pa.string()),
            "amount": np.round(rng.lognormal(7.5, 0.8, n_payments), 2),
            "due_date": pa.array(due, pa.date32()),
            "paid_date": pa.array(paid, pa.date32(), mask=unpaid),
        }
    )
    pq.write_table(payments, folder / "payments.parquet")
    customers = pa.table(
        {
            "customer_id": pa.array(ids, pa.string()),
            "prospect_score": pa.array(np.round(rng.uniform(0, 100, n_customers)), pa.float64()),
        }
    )
    pq.write_table(customers, folder / "customers.parquet")


def tierplan_grading(folder: Path) -> pd.DataFrame:
    tables = {}
    for name in ("customers", "sales_history", "payments"):
        raw, problems = read_table_file(folder / f"{name}.parquet", name)
        converted = convert_table(raw, TABLES[name])
        assert raw is not None and not problems and not converted.problems
        tables[name] = converted.frame
    config = GradingConfig(as_of=AS_OF)
    return grade(tables["customers"], tables["sales_history"], tables["payments"], config)


DUCKDB_SQL = """
WITH p AS (
    SELECT customer_id, amount, due_date,
           paid_date IS NOT NULL AND paid_date <= DATE '{as_of}' AS paid,
           greatest(date_diff('day', due_date,
                    CASE WHEN paid_date IS NOT NULL AND paid_date <= DATE '{as_of}' THEN paid_date
                         ELSE DATE '{as_of}' END), 0) AS days_late
    FROM read_parquet('{folder}/payments.parquet')
    WHERE due_date > DATE '{start}' AND due_date <= DATE '{as_of}'
), credit AS (
    SELECT customer_id, count(*) AS invoices, sum(amount) AS invoiced,
           sum(CASE WHEN days_late > 0 THEN 0 ELSE amount END) / nullif(sum(amount), 0) AS on_time_share,
           avg(days_late) AS avg_days_late, max(days_late) AS max_days_late,
           sum(CASE WHEN NOT paid AND due_date < DATE '{as_of}' THEN amount ELSE 0 END) AS overdue_amount
    FROM p GROUP BY customer_id
), sales AS (
    SELECT customer_id, count(*) AS sales_rows, sum(amount) AS amount, sum(quantity) AS quantity,
           sum(CASE WHEN cost IS NULL THEN amount * 0.25 ELSE amount - cost END) AS profit,
           sum(CASE WHEN cost IS NULL THEN 1 ELSE 0 END) AS cost_missing_rows
    FROM read_parquet('{folder}/sales_history.parquet')
    WHERE order_date > DATE '{start}' AND order_date <= DATE '{as_of}'
    GROUP BY customer_id
), joined AS (
    SELECT c.customer_id, credit.*, sales.* EXCLUDE (customer_id),
           40 * on_time_share + 20 * greatest(0, 1 - avg_days_late / 30)
             + 15 * greatest(0, 1 - max_days_late / 90)
             + 25 * (1 - least(1, overdue_amount / nullif(invoiced, 0))) AS credit
    FROM read_parquet('{folder}/customers.parquet') c
    LEFT JOIN credit USING (customer_id) LEFT JOIN sales USING (customer_id)
), scored AS (
    SELECT *, 100 * percent_rank() OVER (ORDER BY credit) AS credit_score,
              100 * percent_rank() OVER (ORDER BY amount) AS amount_score,
              100 * percent_rank() OVER (ORDER BY profit) AS profit_score
    FROM joined WHERE sales_rows > 0
), composite AS (
    SELECT *, 0.1 * coalesce(credit_score, 50) + 0.3 * amount_score + 0.6 * profit_score AS composite
    FROM scored
)
SELECT *, row_number() OVER (ORDER BY composite DESC, profit DESC, amount DESC, customer_id) AS rank,
       CASE WHEN rank <= round(0.2 * count(*) OVER ()) THEN 'A'
            WHEN rank <= round(0.5 * count(*) OVER ()) THEN 'B' ELSE 'C' END AS tier
FROM composite
"""


def duckdb_grading(folder: Path) -> pd.DataFrame:
    start = (AS_OF - pd.DateOffset(months=12)).date()
    sql = DUCKDB_SQL.format(folder=folder, as_of=AS_OF.date(), start=start)
    with duckdb.connect() as con:
        return con.execute(sql).df()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--scale", type=float, default=1.0)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        began = time.perf_counter()
        write_data(folder, args.scale)
        print(
            f"data: {args.scale * 5:g}M sales, {args.scale:g}M payments, "
            f"{int(50_000 * args.scale):,} customers written in {time.perf_counter() - began:.1f} s"
        )
        ours, theirs = [], []
        for _ in range(args.repeat):  # side by side, alternating, so both see the same machine noise
            t = time.perf_counter()
            graded = tierplan_grading(folder)
            ours.append(time.perf_counter() - t)
            t = time.perf_counter()
            reference = duckdb_grading(folder)
            theirs.append(time.perf_counter() - t)
        a, b = statistics.median(ours), statistics.median(theirs)
        print(f"tierplan grading (read, validate, grade): median {a:.2f} s  {[round(x, 2) for x in ours]}")
        print(f"duckdb same aggregation:                 median {b:.2f} s  {[round(x, 2) for x in theirs]}")
        print(f"ratio tierplan / duckdb: {a / b:.2f}x  (target <= 1.5x)")
        graded = graded[~graded["is_new"]].set_index("customer_id")
        reference = reference.set_index("customer_id")
        same = np.isclose(graded["profit"], reference.loc[graded.index, "profit"]).mean()
        print(f"profit agrees for {same:.1%} of {len(graded):,} graded customers")


if __name__ == "__main__":
    main()
