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


# The rooms of scenarios/ and the rooms each may use: the contract stands alone, every
# command's pipeline builds on it, studies and batches run pipelines, the demo runs them.
ROOMS = {
    "contract": set(),
    "generators": {"contract"},
    "pipelines": {"contract"},
    "batch": {"contract", "pipelines"},
    "studies": {"contract", "pipelines", "batch"},
    "demo": {"contract", "pipelines"},
}


def _rooms_used(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    used: set[str] = set()
    for node in ast.walk(tree):
        modules = []
        if isinstance(node, ast.Import):
            modules = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            modules = [node.module]
        used.update(m.split(".")[1] for m in modules if m.startswith("scenarios.") and m.count(".") >= 1)
    return used


def test_scenarios_has_a_room_per_concern_and_nothing_loose() -> None:
    loose = sorted(p.name for p in (REPO / "scenarios").glob("*.py") if p.name != "__init__.py")
    rooms = sorted(p.parent.name for p in (REPO / "scenarios").glob("*/__init__.py"))
    assert loose == []
    assert rooms == sorted(ROOMS)


@pytest.mark.parametrize("room", sorted(ROOMS))
def test_each_room_of_scenarios_uses_only_the_rooms_below_it(room: str) -> None:
    offenders = {}
    for path in sorted((REPO / "scenarios" / room).rglob("*.py")):
        bad = _rooms_used(path) - ROOMS[room] - {room}
        if bad:
            offenders[str(path.relative_to(REPO))] = sorted(bad)
    assert offenders == {}


def test_test_modules_share_code_only_through_the_helpers() -> None:
    """A test module never imports another: what several need lives in tests/helpers/."""
    offenders = {}
    for path in sorted((REPO / "tests").rglob("test_*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            modules = [a.name for a in node.names] if isinstance(node, ast.Import) else []
            if isinstance(node, ast.ImportFrom) and node.module:
                modules = [node.module]
            bad = [m for m in modules if m.startswith("tests.") and not m.startswith("tests.helpers")]
            if bad:
                offenders[str(path.relative_to(REPO))] = bad
    assert offenders == {}
