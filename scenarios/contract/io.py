"""Scenario and plan folders on disk: reading tables, writing folders atomically."""

from __future__ import annotations

import json
import os
import shutil
import socket
import tempfile
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from scenarios.contract.errors import EnvironmentFault, OutputExistsError, Problem, environment_fault
from scenarios.contract.interrupt import critical
from scenarios.contract.outputs import files_of, in_order
from scenarios.contract.schema import TABLES
from scenarios.contract.settings import SETTINGS_FILE

FORMATS = ("parquet", "csv")
PLAN_FILES = files_of("plan")
_HOST = socket.gethostname().replace(".", "_")


def table_files(folder: Path) -> tuple[dict[str, Path], list[Problem]]:
    """Which file holds each table; a table given twice or an unknown table file is a problem."""
    found: dict[str, Path] = {}
    problems: list[Problem] = []
    for name, table in TABLES.items():
        # any file that is no folder: a named pipe too (an export streamed in)
        given = [folder / f"{name}.{fmt}" for fmt in FORMATS if _is_file_like(folder / f"{name}.{fmt}")]
        if len(given) > 1:
            problems.append(
                Problem(
                    name,
                    "",
                    "",
                    f"given both as {name}.parquet and {name}.csv; expected exactly one of them",
                )
            )
        elif given:
            found[name] = given[0]
        elif table.required:
            problems.append(
                Problem(name, "", "", f"required table missing; expected {name}.parquet or {name}.csv")
            )
    for path in sorted(folder.iterdir()):
        if path.suffix in (".parquet", ".csv") and path.stem not in TABLES:
            problems.append(
                Problem(
                    path.name,
                    "",
                    "",
                    "unknown table, ignored; expected one of " + ", ".join(TABLES),
                    "warning",
                )
            )
    return found, problems


def _is_file_like(path: Path) -> bool:
    return path.exists() and not path.is_dir()


def read_table_file(path: Path, name: str) -> tuple[pd.DataFrame | None, list[Problem]]:
    """Read one table file as it is; types are converted later."""
    try:
        if path.suffix == ".csv":
            frame = pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[""], encoding="utf-8-sig")
        else:
            wanted = [c.name for c in TABLES[name].columns if c.categorical] if name in TABLES else []
            present = set(pq.read_schema(path).names)
            dictionary = [c for c in wanted if c in present]
            frame = pq.read_table(path, read_dictionary=dictionary).to_pandas(date_as_object=False)
    except (
        OSError,
        ValueError,
        pa.ArrowException,
        pd.errors.ParserError,
        UnicodeDecodeError,
    ) as exc:
        first_line = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        return None, [Problem(name, "", "", f"cannot read {path.name}: {first_line}")]
    frame.columns = [str(c).strip() for c in frame.columns]
    return frame, []


def read_settings_text(folder: Path) -> tuple[str | None, list[Problem]]:
    path = folder / SETTINGS_FILE
    if not path.is_file():
        return None, [
            Problem(
                SETTINGS_FILE,
                "",
                "",
                f"missing in {folder}; expected a {SETTINGS_FILE} with [plan] start",
            )
        ]
    try:
        return path.read_text(encoding="utf-8"), []
    except (OSError, UnicodeDecodeError) as exc:
        return None, [Problem(SETTINGS_FILE, "", "", f"cannot read: {exc}")]


def write_table(frame: pd.DataFrame, path: Path) -> None:
    """Write a table as Parquet or CSV (ISO 8601 timestamps), by the file's suffix."""
    if path.suffix == ".csv":
        frame.to_csv(path, index=False, date_format="%Y-%m-%dT%H:%M:%S")
    else:
        pq.write_table(pa.Table.from_pandas(frame, preserve_index=False), path)


def write_output(frame: pd.DataFrame, path: Path) -> None:
    """An output table of the contract (named by its file): exactly its declared columns."""
    write_table(in_order(frame, path.name), path)


def read_plan_table(folder: Path, name: str) -> pd.DataFrame:
    return pq.read_table(folder / f"{name}.parquet").to_pandas(date_as_object=False)


@contextmanager
def atomic_folder(target: Path, force: bool = False, needed: int | None = None) -> Iterator[Path]:
    """Yield a temporary folder next to ``target``; on success it becomes ``target``.

    A failure (or a kill) leaves ``target`` as it was: nothing half-written is ever
    seen under its name. With ``force`` an existing ``target`` is replaced. A failure of
    the machine (no space, permission denied, a read-only or vanished folder) is raised as
    :class:`EnvironmentFault`, saying how much space the folder needs when ``needed`` is known.
    """
    target = Path(target)
    ensure_writable(target, force)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        remove_stale_staging(target.parent, target.name)
        owner = f".{target.name}.{_HOST}-{os.getpid()}-"  # whose it is, for cleaning up after a kill
        staging = Path(tempfile.mkdtemp(prefix=owner, suffix=".partial", dir=target.parent))
        staging.chmod(0o777 & ~_umask())  # mkdtemp makes it private; the result is an ordinary folder
    except OSError as exc:
        raise _fault(exc, "cannot create a folder in", target.parent, needed) from None
    try:
        yield staging
        with critical():  # an abort now would leave a replaced folder missing
            if target.exists():
                retired = Path(tempfile.mkdtemp(prefix=owner, suffix=".old", dir=target.parent))
                target.rename(retired / target.name)
                staging.rename(target)
                shutil.rmtree(retired, ignore_errors=True)
            else:
                staging.rename(target)
    except OSError as exc:
        raise _fault(exc, "cannot write", target, needed) from None
    finally:
        if staging.exists():
            shutil.rmtree(staging, ignore_errors=True)


def _fault(exc: OSError, what: str, path: Path, needed: int | None) -> Exception:
    """An OSError as an EnvironmentFault where the machine is to blame; else the error itself."""
    return environment_fault(exc, what, path, needed) or exc


def remove_stale_staging(folder: Path, name: str | None = None, everyone: bool = False) -> list[Path]:
    """Remove staging folders that killed runs left in ``folder`` (of target ``name``, or all).

    A staging folder is stale when the process that made it, on this host, is gone; with
    ``everyone`` (a locked batch folder, where no other run can be writing) every one is.
    """
    removed = []
    pattern = f".{name}.*" if name else ".*"
    for path in folder.glob(pattern):
        if path.suffix not in (".partial", ".old") or not path.is_dir():
            continue
        owner = path.name[: -len(path.suffix)].rsplit(".", 1)[-1]
        if everyone or _owner_is_gone(owner):
            shutil.rmtree(path, ignore_errors=True)
            removed.append(path)
    return removed


def _owner_is_gone(owner: str) -> bool:
    """``owner`` is HOST-PID-RANDOM; only a local process can be looked up."""
    parts = owner.rsplit("-", 2)
    if len(parts) != 3 or parts[0] != _HOST or not parts[1].isdigit():
        return False
    try:
        os.kill(int(parts[1]), 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


def write_json(path: Path, data: object) -> None:
    """A JSON file replaced whole (written next to it, then renamed)."""
    partial = path.with_name(f".{path.name}.tmp")
    partial.write_text(json.dumps(data, indent=2, default=str), encoding="utf-8")
    os.replace(partial, path)


def _umask() -> int:
    current = os.umask(0)
    os.umask(current)
    return current


def ensure_writable(target: Path, force: bool) -> None:
    """Raise when ``target`` exists and may not be replaced."""
    if target.exists() and not force:
        raise OutputExistsError(f"{target} exists; use --force to replace it")
    if target.exists() and not target.is_dir():
        raise OutputExistsError(f"{target} exists and is not a folder")


def write_folder(
    target: Path, writers: Mapping[str, Callable[[Path], object] | bytes], force: bool = False
) -> Path:
    """Write every file of a folder atomically: ``writers`` maps file name to a writer, or to
    the file's bytes. When every file is bytes, the space they need is checked first."""
    sizes = [len(w) for w in writers.values() if isinstance(w, bytes)]
    needed = sum(sizes) if len(sizes) == len(writers) else None
    if needed is not None:
        _enough_space(Path(target), needed)
    with atomic_folder(target, force, needed) as staging:
        for name, write in writers.items():
            if isinstance(write, bytes):
                (staging / name).write_bytes(write)
            else:
                write(staging / name)
    return target


SPACE_MARGIN = 1.1  # file system overhead on top of the files' bytes


def _enough_space(target: Path, needed: int) -> None:
    """Before writing anything: the folder's file system has room for ``needed`` bytes."""
    for folder in (target.parent, *target.parent.parents):
        if folder.exists():
            try:
                free = shutil.disk_usage(folder).free
            except OSError:
                return
            if free < needed * SPACE_MARGIN:
                raise EnvironmentFault(
                    f"cannot write {target}: no space left on the device; it needs about "
                    f"{needed / 1e6:,.1f} MB, {free / 1e6:,.1f} MB are free there; nothing was written"
                )
            return


def table_bytes(frame: pd.DataFrame) -> bytes:
    """A table as Parquet bytes (what :func:`write_table` writes to a .parquet file)."""
    sink = pa.BufferOutputStream()
    pq.write_table(pa.Table.from_pandas(frame, preserve_index=False), sink)
    return bytes(sink.getvalue().to_pybytes())
