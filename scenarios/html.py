"""Self-contained HTML pages for reports: tables, figures inlined as SVG or PNG, no network."""

from __future__ import annotations

import base64
import html
import io
from collections.abc import Iterable

import matplotlib

matplotlib.use("Agg")  # reports are drawn without a screen
import matplotlib.pyplot as plt
import pandas as pd
from matplotlib.figure import Figure

STYLE = """
body { font-family: system-ui, sans-serif; margin: 2rem; color: #222; max-width: 1400px; }
h1 { font-size: 1.6rem; } h2 { font-size: 1.2rem; margin-top: 2rem; border-bottom: 1px solid #ccc; }
table { border-collapse: collapse; font-size: 0.85rem; margin: 0.5rem 0; }
th, td { border: 1px solid #ddd; padding: 3px 8px; text-align: right; }
th { background: #f3f3f3; } td.text, th.text { text-align: left; }
.note { color: #555; font-size: 0.9rem; } figure { margin: 1rem 0; }
svg, img { max-width: 100%; height: auto; }
"""
MAX_SVG_ITEMS = 4000  # above this many drawn items a figure is inlined as PNG to keep the page light


def escape(text: object) -> str:
    return html.escape(str(text))


def page(title: str, sections: Iterable[str]) -> str:
    body = "\n".join(sections)
    return (
        f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>{escape(title)}</title>'
        f"<style>{STYLE}</style></head><body><h1>{escape(title)}</h1>\n{body}\n</body></html>\n"
    )


def section(heading: str, *parts: str) -> str:
    return f"<h2>{escape(heading)}</h2>\n" + "\n".join(parts)


def paragraph(text: str) -> str:
    return f'<p class="note">{escape(text)}</p>'


def table(frame: pd.DataFrame, max_rows: int = 500, floats: str = "{:,.1f}") -> str:
    """An HTML table; text columns left-aligned, numbers right-aligned, long tables cut."""
    if frame.empty:
        return paragraph("(none)")
    shown = frame.head(max_rows)
    head = "".join(f'<th class="{_align(shown[c])}">{escape(c)}</th>' for c in shown.columns)
    rows = []
    for values in shown.itertuples(index=False):
        cells = "".join(
            f'<td class="{_align(shown[c])}">{escape(_format(v, floats))}</td>'
            for c, v in zip(shown.columns, values, strict=True)
        )
        rows.append(f"<tr>{cells}</tr>")
    more = paragraph(f"... and {len(frame) - max_rows} more rows") if len(frame) > max_rows else ""
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>{more}"


def _align(column: pd.Series) -> str:
    return (
        "num"
        if pd.api.types.is_numeric_dtype(column.dtype) and not pd.api.types.is_bool_dtype(column)
        else "text"
    )


def _format(value: object, floats: str) -> str:
    if value is None or (isinstance(value, float) and value != value) or value is pd.NaT:
        return ""
    if isinstance(value, float):
        return floats.format(value)
    if isinstance(value, pd.Timestamp):
        return value.strftime("%Y-%m-%d %H:%M")
    return str(value)


def figure(fig: Figure, caption: str = "", items: int = 0) -> str:
    """Inline a matplotlib figure (SVG, or PNG when it has very many items) and close it."""
    buffer = io.BytesIO()
    if items > MAX_SVG_ITEMS:
        fig.savefig(buffer, format="png", dpi=110, bbox_inches="tight")
        data = base64.b64encode(buffer.getvalue()).decode("ascii")
        body = f'<img alt="{escape(caption)}" src="data:image/png;base64,{data}">'
    else:
        fig.savefig(buffer, format="svg", bbox_inches="tight")
        text = buffer.getvalue().decode("utf-8")
        body = text[text.index("<svg") :]
    plt.close(fig)
    cap = f'<figcaption class="note">{escape(caption)}</figcaption>' if caption else ""
    return f"<figure>{body}{cap}</figure>"
