"""docs/contract.md names every table, column, setting, file and command the code knows, and
nothing else: checked against the code's one declaration of each side."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest

from cli import app
from scenarios.contract.outputs import FOLDERS, output_tables
from scenarios.contract.schema import REQUESTS, TABLES, Table
from scenarios.contract.settings import ALLOWED_KEYS

REPO = Path(__file__).resolve().parents[1]
CONTRACT = REPO / "docs" / "contract.md"
INPUTS: dict[str, Table] = {**TABLES, REQUESTS.name: REQUESTS}
HEADING = re.compile(r"^#### `([\w.]+)`\s*$")


def _documented_tables(text: str) -> dict[str, list[list[str]]]:
    """Each ``#### `name``` section's first Markdown table, as rows of cells (header dropped)."""
    tables: dict[str, list[list[str]]] = {}
    lines = text.splitlines()
    for i, line in enumerate(lines):
        match = HEADING.match(line)
        if not match:
            continue
        rows: list[list[str]] = []
        for following in lines[i + 1 :]:
            if following.startswith("#"):
                break
            if following.startswith("|"):
                rows.append([cell.strip() for cell in following.strip().strip("|").split("|")])
            elif rows:
                break
        assert match[1] not in tables, f"{match[1]} documented twice"
        tables[match[1]] = rows[2:]  # after the header and the |---| line
    return tables


@pytest.fixture(scope="module")
def documented() -> dict[str, list[list[str]]]:
    return _documented_tables(CONTRACT.read_text(encoding="utf-8"))


def test_the_parser_finds_a_section_and_its_rows() -> None:
    text = "#### `t`\n\nintro\n\n| column | type |\n|---|---|\n| a | int |\n| b | str |\n\n| x |\n"
    assert _documented_tables(text) == {"t": [["a", "int"], ["b", "str"]]}


def test_every_input_table_is_documented_column_by_column(documented: dict[str, list[list[str]]]) -> None:
    names = {name for name in documented if "." not in name}
    assert names == set(INPUTS), "input tables documented vs declared"
    for name, table in INPUTS.items():
        declared = [[c.name, c.kind, "yes" if c.required else "no"] for c in table.columns]
        assert [row[:3] for row in documented[name]] == declared, name


def test_every_output_table_is_documented_column_by_column(documented: dict[str, list[list[str]]]) -> None:
    names = {name for name in documented if name.endswith(".parquet")}
    assert names == set(output_tables()), "output tables documented vs declared"
    for name, columns in output_tables().items():
        assert [row[:2] for row in documented[name]] == [list(c) for c in columns.items()], name


def test_every_file_of_every_output_folder_is_named() -> None:
    text = CONTRACT.read_text(encoding="utf-8")
    missing = [f.name for files in FOLDERS.values() for f in files if f"| {f.name} |" not in text]
    assert missing == []


def test_the_settings_example_holds_every_key_and_no_other() -> None:
    text = CONTRACT.read_text(encoding="utf-8")
    blocks = re.findall(r"```toml\n(.*?)```", text, flags=re.S)
    keys: dict[str, set[str]] = {}
    for block in blocks:
        for section, values in tomllib.loads(block).items():
            keys.setdefault(section, set()).update(values)
    assert keys == ALLOWED_KEYS


def test_every_command_is_in_the_command_table() -> None:
    text = CONTRACT.read_text(encoding="utf-8")
    commands = [c.name or c.callback.__name__ for c in app.registered_commands if c.callback]
    assert len(commands) >= 10
    assert [c for c in commands if f"| `tierplan {c}" not in text] == []


def _slug(heading: str) -> str:
    """GitHub's anchor of a heading."""
    text = re.sub(r"[^\w\- ]", "", heading.strip().lower())
    return text.replace(" ", "-")


@pytest.mark.parametrize(
    ("page", "prefix"),
    [("docs/contract.md", ""), ("README.md", "docs/contract.md"), ("docs/architecture.md", "contract.md")],
)
def test_links_into_the_contract_land_on_a_heading(page: str, prefix: str) -> None:
    contract = CONTRACT.read_text(encoding="utf-8")
    anchors = {_slug(h) for h in re.findall(r"^#+ (.+)$", contract, flags=re.M)}
    text = (REPO / page).read_text(encoding="utf-8")
    targets = re.findall(rf"\]\({re.escape(prefix)}#([\w\-]+)\)", text)
    assert targets, page
    assert sorted({t for t in targets if t not in anchors}) == []


@pytest.mark.parametrize("page", ["README.md", "docs/architecture.md", "docs/scheduling.md"])
def test_every_source_file_a_page_names_exists(page: str) -> None:
    text = (REPO / page).read_text(encoding="utf-8")
    named = set(re.findall(r"`((?:\w+/)*\w+\.py)`", text))
    files = [p.relative_to(REPO).as_posix() for p in REPO.rglob("*.py") if ".venv" not in p.parts]
    assert named, page
    assert sorted(n for n in named if not any(f == n or f.endswith("/" + n) for f in files)) == []
