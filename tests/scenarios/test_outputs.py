"""What the commands really write matches the one declaration of the output side."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from scenarios.batch.scenario_run import BatchItem
from scenarios.contract.outputs import BATCH_SUMMARY_COLUMNS, FOLDERS, OUTPUT_KINDS, files_of, output_tables
from tests.helpers.cli import invoke

ARROW_KINDS = {
    "str": (pa.types.is_string, pa.types.is_large_string, pa.types.is_dictionary),
    "int": (pa.types.is_integer,),
    "float": (pa.types.is_floating,),
    "bool": (pa.types.is_boolean,),
    "timestamp": (pa.types.is_timestamp,),
}


def _ok(code_and_output: tuple[int, str]) -> None:
    assert code_and_output[0] == 0, code_and_output[1]


def _written(out: Path) -> dict[str, Path]:
    """One folder of each command, with every optional file written: the demo (plan, grading
    with sales reps, balance and visits, complaints, promise), a grading against an earlier
    one (migrations) and a batch of the demo scenario."""
    _ok(invoke("demo", "--out", out / "demo", "--quiet"))
    scenario = out / "demo" / "scenario"
    _ok(invoke("grade", scenario, "--out", out / "regrade", "--previous", out / "demo" / "grading"))
    _ok(invoke("batch", scenario, "--out", out / "batch", "--time-limit", 1, "--workers", 1))
    return {
        "plan": out / "demo" / "plan",
        "grade": out / "regrade",
        "complaints": out / "demo" / "complaints",
        "promise": out / "demo" / "promise-ASK-A",
        "batch": out / "batch",
    }


def _files_differ(folder: str, path: Path) -> list[str]:
    present = {p.name + ("/" if p.is_dir() else "") for p in path.iterdir() if not p.name.startswith(".")}
    present -= {"scenario/"} if folder == "batch" else set()  # the batch's plan folder
    declared = set(files_of(folder))
    return [f"{folder}: found {sorted(present)}, declared {sorted(declared)}"] if present != declared else []


def _columns_differ(folder: str, path: Path) -> list[str]:
    found = []
    for file in FOLDERS[folder]:
        if not file.columns:
            continue
        schema = pq.read_schema(path / file.name)
        if schema.names != list(file.columns):
            found.append(f"{folder}/{file.name}: columns {schema.names}, declared {list(file.columns)}")
            continue
        for name, kind in file.columns.items():
            arrow = schema.field(name).type
            if not (pa.types.is_null(arrow) or any(is_kind(arrow) for is_kind in ARROW_KINDS[kind])):
                found.append(f"{folder}/{file.name} {name}: {arrow} is no {kind}")
    return found


def test_every_folder_holds_its_declared_files_columns_and_kinds(tmp_path: Path) -> None:
    """One test, so that the commands run once (not once per test worker)."""
    written = _written(tmp_path)
    assert set(written) == set(FOLDERS)
    found = [text for folder, path in written.items() for text in _files_differ(folder, path)]
    found += [text for folder, path in written.items() for text in _columns_differ(folder, path)]
    assert found == [], "\n".join(found)


def test_kinds_are_the_contract_s_and_a_file_in_two_folders_is_one_table() -> None:
    seen: dict[str, object] = {}
    for files in FOLDERS.values():
        for file in files:
            assert set(file.columns.values()) <= set(OUTPUT_KINDS), file.name
            if file.columns:
                assert seen.setdefault(file.name, dict(file.columns)) == dict(file.columns), file.name
    assert set(output_tables()) == set(seen)


def test_the_batch_summary_has_a_column_per_field_of_a_batch_item() -> None:
    assert [f.name for f in dataclasses.fields(BatchItem)] == list(BATCH_SUMMARY_COLUMNS)
