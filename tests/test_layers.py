"""Data flows one way: cli -> scenarios -> grading/scheduler/complaints -> results -> reports."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
CORE = ("grading", "scheduler", "complaints")


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(a.name.split(".")[0] for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


@pytest.mark.parametrize("package", CORE)
def test_the_core_packages_know_nothing_of_scenarios_or_pages(package: str) -> None:
    offenders = {}
    for path in sorted((REPO / package).rglob("*.py")):
        bad = _imports(path) & {"scenarios", "reports", "cli", "matplotlib", "plotly", "jinja2"}
        text = path.read_text(encoding="utf-8").lower()
        if "<html" in text or "<div" in text or "<table" in text:
            bad.add("HTML")
        if bad:
            offenders[str(path.relative_to(REPO))] = sorted(bad)
    assert offenders == {}


def test_reports_do_not_reach_back_into_scenarios() -> None:
    offenders = {
        str(p.relative_to(REPO)): sorted(_imports(p) & {"scenarios", "cli"})
        for p in sorted((REPO / "reports").rglob("*.py"))
        if _imports(p) & {"scenarios", "cli"}
    }
    assert offenders == {}
