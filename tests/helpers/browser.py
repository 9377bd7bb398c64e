"""Open pages in the system's headless Chromium through Playwright; skip where it is absent."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome")


def chromium_path() -> str | None:
    return next((p for name in CHROMIUM_NAMES if (p := shutil.which(name))), None)


@dataclass
class OpenPage:
    page: Any
    errors: list[str] = field(default_factory=list)

    def charts_drawn(self, count: int, timeout_ms: int = 30_000) -> None:
        """Wait until ``count`` Plotly charts have finished drawing."""
        self.page.wait_for_function(
            "n => document.querySelectorAll('.js-plotly-plot .main-svg').length >= n"
            " && Array.from(document.querySelectorAll('.js-plotly-plot')).every(g => g._fullLayout)",
            arg=count,
            timeout=timeout_ms,
        )


@contextmanager
def browser_page(path: Path, screenshot: Path) -> Iterator[OpenPage]:
    """``path`` opened offline in headless Chromium; console errors are collected, a full-page
    screenshot is taken at the end."""
    executable = chromium_path()
    if executable is None:
        pytest.skip("chromium is not installed (Debian: apt-get install chromium); browser tests skipped")
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as driver:
        browser = driver.chromium.launch(
            executable_path=executable, args=["--no-sandbox", "--enable-unsafe-swiftshader"]
        )
        try:
            context = browser.new_context(viewport={"width": 1400, "height": 900}, offline=True)
            page = context.new_page()
            opened = OpenPage(page)
            page.on("console", lambda m: opened.errors.append(m.text) if m.type == "error" else None)
            page.on("pageerror", lambda e: opened.errors.append(str(e)))
            page.on("requestfailed", lambda r: opened.errors.append(f"request failed: {r.url}"))
            page.goto(path.as_uri())
            yield opened
            duplicates = page.evaluate(
                "() => { const ids = Array.from(document.querySelectorAll('[id]')).map(e => e.id);"
                " return ids.filter((id, i) => ids.indexOf(id) !== i); }"
            )
            assert duplicates == [], f"element ids used twice: {duplicates}"
            page.screenshot(path=str(screenshot), full_page=True)
            assert screenshot.stat().st_size > 10_000, "the screenshot is blank"
        finally:
            browser.close()
