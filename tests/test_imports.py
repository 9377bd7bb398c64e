"""The module graph: no import cycles (counting imports inside functions), OR-Tools in one room."""

from __future__ import annotations

import ast
from pathlib import Path

import networkx as nx

REPO = Path(__file__).resolve().parents[1]
PACKAGES = ("grading", "scheduler", "scenarios", "complaints", "reports")
# The modules that may import OR-Tools: the CP-SAT adapter of the scheduler, and the
# grading's one model (the portfolio balance), which must not reach into the scheduler.
ORTOOLS_ROOMS = ("scheduler/cpsat/", "grading/balance_model.py")


def _modules() -> dict[str, Path]:
    found = {"cli": REPO / "cli.py"}
    for package in PACKAGES:
        for path in sorted((REPO / package).rglob("*.py")):
            parts = path.relative_to(REPO).with_suffix("").parts
            found[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return found


def _imported(path: Path) -> set[str]:
    """Every module ``path`` imports, at the top or inside a function."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
            names.update(f"{node.module}.{a.name}" for a in node.names)
    return names


def import_graph() -> nx.DiGraph:
    modules = _modules()
    graph = nx.DiGraph()
    graph.add_nodes_from(modules)
    for name, path in modules.items():
        graph.add_edges_from((name, other) for other in _imported(path) if other in modules and other != name)
    return graph


def test_no_module_imports_itself_through_others() -> None:
    cycles = sorted(sorted(c) for c in nx.simple_cycles(import_graph()) if len(c) > 1)
    assert cycles == []


def test_the_graph_sees_imports_inside_functions() -> None:
    graph = import_graph()
    assert graph.has_edge("cli", "scenarios.demo.run")  # imported inside the demo command
    assert "scheduler.cpsat.model" in nx.descendants(graph, "scheduler.solve")


def test_only_the_cpsat_adapter_and_the_balance_model_import_ortools() -> None:
    offenders = sorted(
        str(path.relative_to(REPO))
        for path in _modules().values()
        if any(n.split(".")[0] == "ortools" for n in _imported(path))
        and not str(path.relative_to(REPO)).startswith(ORTOOLS_ROOMS)
    )
    assert offenders == []
