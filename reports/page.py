"""Rendering pages: the Jinja2 templates, sortable tables, Plotly figures with plotly.js inlined once."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from importlib.resources import files

import pandas as pd
import plotly.graph_objects as go
import plotly.io as pio
from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import Markup, escape

TIER_COLOURS = ("#1f4e9c", "#4f8fd6", "#9cc3ee", "#c8dcf3", "#e3edf8")


@dataclass
class Section:
    heading: str
    parts: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    id: str = ""


@cache
def environment() -> Environment:
    return Environment(
        loader=PackageLoader("reports", "templates"), autoescape=select_autoescape(["j2", "html"])
    )


@cache
def plotly_js() -> str:
    """plotly.min.js as shipped with the plotly package: pages open offline."""
    return (files("plotly") / "package_data" / "plotly.min.js").read_text(encoding="utf-8")


def render(
    template: str, title: str, notes: list[str] | None = None, charts: bool = True, **context: object
) -> str:
    page = environment().get_template(template)
    return page.render(
        title=title, notes=notes or [], plotly_js=Markup(plotly_js()) if charts else "", **context
    )


def sections_page(title: str, sections: list[Section], notes: list[str] | None = None) -> str:
    return render("sections.html.j2", title, notes, sections=sections)


class Figure:
    """A figure as plain data: traces and layout are dicts, given to plotly.js as they are.

    Plotly's validated objects copy and check every array (a second for the Gantt chart of
    2,000 orders); the large charts are built this way instead, with ``trace``.
    """

    def __init__(self) -> None:
        self.data: list[dict[str, object]] = []
        self.layout: dict[str, object] = {}

    def add_trace(self, trace: dict[str, object]) -> None:
        self.data.append(trace)

    def update_layout(self, **values: object) -> None:
        for key, value in values.items():
            old = self.layout.get(key)
            self.layout[key] = (
                {**old, **value} if isinstance(old, dict) and isinstance(value, dict) else value
            )


def trace(kind: str, **properties: object) -> dict[str, object]:
    """A trace of ``kind`` (scatter, scattergl, bar...) as plotly.js reads it."""
    return {"type": kind, **properties}


@cache
def _template(name: str) -> dict[str, object]:
    return pio.templates[name].to_plotly_json()


def figure(fig: go.Figure | Figure, div_id: str, height: int | None = None) -> str:
    """A Plotly figure as a div (plotly.js comes with the page)."""
    fig.update_layout(margin={"l": 60, "r": 20, "t": 40, "b": 40})
    if height:
        fig.update_layout(height=height)
    config = {"displaylogo": False}
    if isinstance(fig, Figure):
        layout = {"template": _template("plotly_white"), **fig.layout}
        return str(
            pio.to_html(
                {"data": fig.data, "layout": layout},
                full_html=False,
                include_plotlyjs=False,
                div_id=div_id,
                config=config,
                validate=False,
            )
        )
    fig.update_layout(template="plotly_white")
    return fig.to_html(full_html=False, include_plotlyjs=False, div_id=div_id, config=config)


def _cell(value: object, floats: str) -> tuple[str, str]:
    """Text shown and the value sorted by."""
    if value is None or value is pd.NaT or (isinstance(value, float) and value != value):
        return "", ""
    if isinstance(value, bool):
        return str(value), str(int(value))
    if isinstance(value, float):
        return floats.format(value), repr(value)
    if isinstance(value, int):
        return f"{value:,}" if abs(value) >= 10_000 else str(value), str(value)
    if isinstance(value, pd.Timestamp):
        return value.strftime("%Y-%m-%d %H:%M"), value.isoformat()
    return str(value), str(value)


def table(frame: pd.DataFrame, max_rows: int = 2000, floats: str = "{:,.1f}", table_id: str = "") -> str:
    """A sortable HTML table; text left, numbers right; long tables cut (and said so)."""
    if frame.empty:
        return '<p class="note">(none)</p>'
    shown = frame.head(max_rows)
    kinds = [
        "num"
        if pd.api.types.is_numeric_dtype(shown[c]) and not pd.api.types.is_bool_dtype(shown[c])
        else "text"
        for c in shown.columns
    ]
    head = "".join(f'<th class="{k}">{escape(c)}</th>' for c, k in zip(shown.columns, kinds, strict=True))
    rows = []
    for values in shown.itertuples(index=False):
        cells = []
        for value, kind in zip(values, kinds, strict=True):
            text, key = _cell(value, floats)
            cells.append(f'<td class="{kind}" data-sort="{escape(key)}">{escape(text)}</td>')
        rows.append("<tr>" + "".join(cells) + "</tr>")
    more = (
        f'<p class="note">... and {len(frame) - max_rows:,} more rows (in the Parquet file)</p>'
        if len(frame) > max_rows
        else ""
    )
    ident = f' id="{table_id}"' if table_id else ""
    return (
        f'<div class="scroll"><table class="data"{ident}><thead><tr>{head}</tr></thead>'
        f"<tbody>{''.join(rows)}</tbody></table></div>{more}"
    )


def tier_colours(names: tuple[str, ...] | list[str]) -> dict[str, str]:
    return {t: TIER_COLOURS[min(i, len(TIER_COLOURS) - 1)] for i, t in enumerate(names)}
