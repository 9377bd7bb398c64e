"""Folders are written whole or not at all."""

from __future__ import annotations

from pathlib import Path

import pytest

from scenarios.contract.errors import OutputExistsError
from scenarios.contract.io import write_folder


def test_written_whole(tmp_path: Path) -> None:
    write_folder(
        tmp_path / "out", {"a.txt": lambda p: p.write_text("a"), "b.txt": lambda p: p.write_text("b")}
    )
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["a.txt", "b.txt"]
    assert [p.name for p in tmp_path.iterdir()] == ["out"]


def test_failure_leaves_nothing(tmp_path: Path) -> None:
    def boom(path: Path) -> None:
        raise RuntimeError("disk full")

    with pytest.raises(RuntimeError):
        write_folder(tmp_path / "out", {"a.txt": lambda p: p.write_text("a"), "b.txt": boom})
    assert list(tmp_path.iterdir()) == []


def test_existing_folder_needs_force(tmp_path: Path) -> None:
    write_folder(tmp_path / "out", {"a.txt": lambda p: p.write_text("old")})
    with pytest.raises(OutputExistsError):
        write_folder(tmp_path / "out", {"a.txt": lambda p: p.write_text("new")})
    assert (tmp_path / "out" / "a.txt").read_text() == "old"
    write_folder(tmp_path / "out", {"b.txt": lambda p: p.write_text("new")}, force=True)
    assert [p.name for p in (tmp_path / "out").iterdir()] == ["b.txt"]
    assert [p.name for p in tmp_path.iterdir()] == ["out"]


def test_failed_replacement_keeps_the_old_folder(tmp_path: Path) -> None:
    write_folder(tmp_path / "out", {"a.txt": lambda p: p.write_text("old")})

    def boom(path: Path) -> None:
        raise RuntimeError("killed")

    with pytest.raises(RuntimeError):
        write_folder(tmp_path / "out", {"a.txt": boom}, force=True)
    assert (tmp_path / "out" / "a.txt").read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["out"]
