"""complaints.html: the open queue and the delay report per tier."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from scenarios.html import figure, page, paragraph, section, table


def delay_chart(delays: pd.DataFrame) -> str:
    per_tier = delays[delays["tier"] != "all"]
    fig, ax = plt.subplots(figsize=(7, 3.2))
    x = np.arange(len(per_tier))
    ax.bar(x - 0.2, per_tier["open"], width=0.4, label="open", color="#9cc3ee")
    ax.bar(x + 0.2, per_tier["overdue"], width=0.4, label="overdue", color="#d62728")
    ax.set_xticks(x, per_tier["tier"])
    ax.set_ylabel("complaints")
    ax.legend(frameon=False)
    return figure(fig, "Open and overdue complaints per tier")


def complaints_report(
    queue: pd.DataFrame, delays: pd.DataFrame, as_of: pd.Timestamp, sla_days: dict[str, float]
) -> str:
    open_queue = queue[queue["queue_position"].notna()]
    overdue = queue[queue["state"].isin(["overdue", "closed_late"])].sort_values(
        "days_overdue", ascending=False
    )
    assumed = int((queue["tier_note"] != "").sum())
    notes = [
        f"As of {as_of:%Y-%m-%d %H:%M}; deadlines per tier: "
        + ", ".join(f"{t} {d:g} days" for t, d in sla_days.items())
        + "."
    ]
    if assumed:
        notes.append(f"{assumed} complaints are from customers without a tier: the lowest tier is assumed.")
    return page(
        "tierplan: complaints",
        [
            *(paragraph(n) for n in notes),
            section("Delays per tier", table(delays, floats="{:,.2f}"), delay_chart(delays)),
            section("Open queue (tier, then deadline)", table(open_queue)),
            section("Overdue and closed late", table(overdue)),
        ],
    )
