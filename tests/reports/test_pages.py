"""The pages people look at, opened in a real headless Chromium: they draw, hover and filter."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest

from cli import app
from tests.helpers.browser import browser_page
from tests.helpers.cli import runner
from tests.helpers.promise import GAPS, ask, gaps_shop, planned, request

pytestmark = pytest.mark.browser

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("demo")
    result = runner.invoke(app, ["demo", "--out", str(out), "--quiet"])
    assert result.exit_code == 0, result.output
    return out


@pytest.fixture(scope="module")
def study(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The bundled what-if study of the demo (five variants), with short time limits."""
    folder = tmp_path_factory.mktemp("study")
    shutil.copytree(REPO / "scenarios" / "demo", folder / "scenarios" / "demo")
    text = (REPO / "docs" / "examples" / "demo-study.toml").read_text()
    (folder / "docs" / "examples").mkdir(parents=True)
    spec = folder / "docs" / "examples" / "demo-study.toml"
    spec.write_text(text.replace("time_limit_s = 5", "time_limit_s = 1\nworkers = 1"))
    result = runner.invoke(app, ["run", str(spec), "--out", str(folder / "out")])
    assert result.exit_code == 0, result.output
    return folder / "out"


POINT_ON_SCREEN = """([div, c, p]) => {
  const gd = document.getElementById(div), trace = gd._fullData[c], layout = gd._fullLayout;
  if (trace.type === 'bar') {  // the middle of the trace's first bar that has a height
    const bars = gd.querySelectorAll('.barlayer .trace')[c].querySelectorAll('.point path');
    const box = Array.from(bars).map(b => b.getBoundingClientRect()).find(r => r.height > 2);
    return box ? [box.left + box.width / 2, box.top + box.height / 2] : null;
  }
  const xa = layout[trace.xaxis.replace('x', 'xaxis')], ya = layout[trace.yaxis.replace('y', 'yaxis')];
  const area = gd.querySelector('.draglayer .nsewdrag').getBoundingClientRect();
  return [area.left + xa.d2p(trace.x[p]), area.top + ya.d2p(trace.y[p])];
}"""


def _hover_text(page, div: str, curve: int, point: int) -> str:
    """Move the mouse over a data point, as a person would, and read the hover label."""
    page.locator(f"#{div}").scroll_into_view_if_needed()
    where = page.evaluate(POINT_ON_SCREEN, [div, curve, point])
    assert where is not None, f"trace {curve} of {div} draws nothing to hover"
    x, y = where
    page.mouse.move(x - 3, y - 3)
    page.mouse.move(x, y, steps=3)
    page.wait_for_selector(f"#{div} .hoverlayer .hovertext", timeout=10_000)
    return str(page.evaluate("d => document.querySelector(`#${d} .hoverlayer`).textContent", div))


def test_plan_page_draws_hovers_filters_and_picks(demo: Path, tmp_path: Path) -> None:
    schedule = pd.read_parquet(demo / "plan" / "schedule.parquet")
    orders = pd.read_parquet(demo / "plan" / "orders.parquet")
    with browser_page(demo / "plan" / "report.html", tmp_path / "plan.png") as opened:
        page = opened.page
        opened.charts_drawn(2)  # the Gantt chart and at least one stock chart
        traces = page.evaluate(
            "() => document.getElementById('gantt').data.map(t => ({meta: t.meta || {}, "
            "n: (t.customdata || []).length, order: t.customdata && t.customdata[0] && t.customdata[0][0]}))"
        )
        details = [i for i, t in enumerate(traces) if t["meta"].get("details") and t["n"]]
        assert sum(traces[i]["n"] for i in details) == len(schedule)
        first = details[0]
        order_id = traces[first]["order"]
        text = _hover_text(page, "gantt", first, 0)
        row = orders.set_index("order_id").loc[order_id]
        assert order_id in text and f"tier {row['tier']}" in text and "due" in text

        # Tier filter: unticking the lowest tier hides its bars and its rows in the tables.
        lowest = str(sorted(orders["tier"].unique())[-1])
        page.uncheck(f"#tier-filter input[value='{lowest}']")
        visible = page.evaluate(
            "t => document.getElementById('gantt').data.filter(d => d.meta && d.meta.tier === t)"
            ".map(d => d.visible)",
            lowest,
        )
        assert visible and all(v is False for v in visible)
        shown = page.evaluate(
            "t => Array.from(document.querySelectorAll('#late tbody tr, #unscheduled tbody tr'))"
            ".filter(r => r.style.display !== 'none').map(r => r.cells[2].textContent)",
            lowest,
        )
        assert lowest not in shown
        page.check(f"#tier-filter input[value='{lowest}']")

        # Picking an order highlights every one of its steps across machines.
        busiest = schedule["order_id"].value_counts().index[0]
        page.fill("#order-search", busiest)
        page.press("#order-search", "Enter")
        page.wait_for_function("() => document.getElementById('picked').textContent.length > 0")
        steps = int((schedule["order_id"] == busiest).sum())
        assert page.inner_text("#picked") == f"{busiest}: {steps} step{'s' if steps != 1 else ''} highlighted"
        page.fill("#order-search", "NO-SUCH-ORDER")
        page.press("#order-search", "Enter")
        page.wait_for_function("() => document.getElementById('picked').textContent.includes('not in')")
    assert opened.errors == []


def test_plan_page_tables_sort(demo: Path, tmp_path: Path) -> None:
    with browser_page(demo / "plan" / "report.html", tmp_path / "plan.png") as opened:
        page = opened.page
        opened.charts_drawn(1)
        assert page.locator("#machines tbody tr").count() == 6
        header = page.locator("#machines th", has_text="utilisation")
        header.click()
        header.click()  # descending
        values = page.evaluate(
            "() => { const t = document.getElementById('machines');"
            " const c = Array.from(t.tHead.rows[0].cells).findIndex(h => h.textContent.trim()"
            " .startsWith('utilisation'));"
            " return Array.from(t.tBodies[0].rows)"
            ".map(r => parseFloat(r.cells[c].textContent.replace(/,/g, '')))}"
        )
        assert values == sorted(values, reverse=True) and len(set(values)) > 1
    assert opened.errors == []


def test_plan_page_shows_the_shop_floor(demo: Path, tmp_path: Path) -> None:
    """The demo has work in progress: running operations outlined on the Gantt chart (and
    said so when hovered), done orders counted in the KPIs."""
    schedule = pd.read_parquet(demo / "plan" / "schedule.parquet")
    running = schedule[schedule["state"] == "running"]
    done = int((pd.read_parquet(demo / "plan" / "orders.parquet")["status"] == "done").sum())
    assert len(running) >= 2 and done >= 1
    with browser_page(demo / "plan" / "report.html", tmp_path / "plan.png") as opened:
        page = opened.page
        opened.charts_drawn(1)
        outline = page.evaluate(
            "() => document.getElementById('gantt').data.filter(t => t.meta && t.meta.kind === 'running')"
            ".map(t => t.x.filter(v => v !== null).length)"
        )
        assert outline == [2 * len(running)]  # a segment per running operation
        traces = page.evaluate(
            "() => document.getElementById('gantt').data"
            ".map(t => (t.customdata || []).map(c => c[0] + '|' + c[1]))"
        )
        first = running.iloc[0]
        wanted = f"{first['order_id']}|{first['start']}"
        curve = next(i for i, t in enumerate(traces) if wanted in t)
        text = _hover_text(page, "gantt", curve, traces[curve].index(wanted))
        assert first["order_id"] in text and "running on the shop floor" in text
        header = page.evaluate(
            "() => Array.from(document.querySelectorAll('#kpis th')).map(h => h.textContent)"
        )
        assert any("done" in h for h in header)
        assert page.locator("text=operation(s) running").count() >= 1
    assert opened.errors == []


def test_grading_page(demo: Path, tmp_path: Path) -> None:
    tiers = pd.read_parquet(demo / "grading" / "tiers.parquet")
    with browser_page(demo / "grading" / "grading.html", tmp_path / "grading.png") as opened:
        page = opened.page
        opened.charts_drawn(2)  # tier shares and the Pareto curve
        text = _hover_text(page, "pareto", 1, 0)
        assert any(c in text for c in tiers["customer_id"])
        rows = page.locator("#customers tbody tr").count()
        assert rows == len(tiers)
    assert opened.errors == []


def test_complaints_page(demo: Path, tmp_path: Path) -> None:
    with browser_page(demo / "complaints" / "complaints.html", tmp_path / "complaints.png") as opened:
        opened.charts_drawn(1)
        text = _hover_text(opened.page, "delay-chart", 0, 0)
        assert "tier" in text.lower() or any(t in text for t in ("A", "B", "C"))
    assert opened.errors == []


def test_comparison_page_of_a_study(study: Path, tmp_path: Path) -> None:
    plans = sorted(p.name for p in study.iterdir() if (p / "summary.json").exists())
    assert len(plans) >= 5  # base and at least four variants
    with browser_page(study / "comparison.html", tmp_path / "comparison.png") as opened:
        page = opened.page
        opened.charts_drawn(2)  # outcomes per tier and weighted tardiness per tier
        names = page.evaluate("() => document.getElementById('outcomes').data.map(t => t.name)")
        assert names
        text = _hover_text(page, "tardiness", 0, 0)
        assert text.strip()
        changed = pd.read_parquet(study / "changed_orders.parquet")
        assert page.locator("#changes tbody tr").count() == changed["order_id"].nunique()
    assert opened.errors == []


def test_a_promise_page_marks_the_promised_and_the_moved_orders(tmp_path: Path) -> None:
    """A tier-A request on the gaps shop moves both tier-C orders within their slack (worked
    out by hand in tests/scenarios/test_promise.py): the held plan's page outlines the request
    and the moved orders on the Gantt chart and lists the quote. Not the demo's promise: the
    demo's plan varies from run to run, and on some of its plans nothing needs to move."""
    folder = planned(tmp_path, gaps_shop(), GAPS)
    ask(tmp_path, folder, [request("R", 40, "CA")], "lower-slack", "slack")
    moved = pd.read_parquet(tmp_path / "slack" / "moved.parquet")
    schedule = pd.read_parquet(tmp_path / "slack" / "plan" / "schedule.parquet")
    assert sorted(moved["order_id"]) == ["O1", "O3"]
    with browser_page(tmp_path / "slack" / "plan" / "report.html", tmp_path / "promise.png") as opened:
        page = opened.page
        opened.charts_drawn(1)
        marks = page.evaluate(
            "() => Object.fromEntries(document.getElementById('gantt').data"
            ".filter(t => t.meta && ['promised', 'moved'].includes(t.meta.kind))"
            ".map(t => [t.meta.kind, t.x.filter(v => v !== null).length]))"
        )
        steps = {
            kind: int(schedule["order_id"].isin(ids).sum())
            for kind, ids in (("promised", ["R"]), ("moved", list(moved["order_id"])))
        }
        assert steps == {"promised": 1, "moved": 2}
        assert marks == {kind: 2 * n for kind, n in steps.items()}
        assert page.locator("#quotes tbody tr").count() == 1
        assert "R" in page.inner_text("#quotes td:first-child")
    assert opened.errors == []


def test_grading_page_shows_portfolios_moves_and_overdue_visits(demo: Path, tmp_path: Path) -> None:
    moves = pd.read_parquet(demo / "grading" / "reassign.parquet")
    visits = pd.read_parquet(demo / "grading" / "visits.parquet")
    portfolio = pd.read_parquet(demo / "grading" / "portfolio.parquet")
    with browser_page(demo / "grading" / "grading.html", tmp_path / "grading-sales.png") as opened:
        page = opened.page
        opened.charts_drawn(4)  # tier shares, Pareto curve, portfolios, profit shares
        bars = page.evaluate(
            "() => document.getElementById('portfolios').data.map(t => ({name: t.name, n: t.y.length}))"
        )
        reps = portfolio["sales_rep"].nunique()
        assert {b["name"] for b in bars} == {"tier A", "tier B", "tier C"}
        assert len(bars) == 6 and all(b["n"] == reps for b in bars)  # stacked by tier, now and after
        text = _hover_text(page, "portfolios", 0, 0)
        assert "customers of tier A" in text
        assert page.locator("#moves tbody tr").count() == len(moves)
        assert page.locator("#visits tbody tr").count() == int((visits["overdue_days"] > 0).sum())
        assert page.locator("#portfolio-table tbody tr").count() == reps
    assert opened.errors == []
