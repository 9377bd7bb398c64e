"""Planning in a child process watched by the parent: what the machine does to one scenario
(a hang, a crash, an abort, the OOM killer) ends that scenario, not the run.

The child is a fresh interpreter (``spawn``): it shares no open file and no lock with the
parent, and it is told to stop (SIGTERM) when the parent dies. The parent waits for its
answer; a requested stop is passed on as SIGTERM (the child writes its best plan so far);
past the watchdog's time the child gets SIGTERM, then SIGKILL. A child that ends without an
answer is reported with its cause: the signal or exit code, and the last lines of its log.
"""

from __future__ import annotations

import contextlib
import ctypes
import multiprocessing
import signal
import time
from collections.abc import Callable
from dataclasses import dataclass
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from scheduler.stop import StopRequest

GRACE_S = 10.0  # after SIGTERM, how long a child may take to write its plan before SIGKILL
WATCHDOG_MARGIN_S = 120.0  # beyond twice the time limit: reading, grading, checking, writing
LOG_LINES = 5


def watchdog_seconds(time_limit_s: float) -> float:
    """How long a child may take: twice its search's time limit plus WATCHDOG_MARGIN_S."""
    return 2 * time_limit_s + WATCHDOG_MARGIN_S


@dataclass(frozen=True)
class ChildFailure:
    """Why a child gave no answer."""

    cause: str  # "hung", "killed", "aborted", "exited", "crashed"
    message: str


def run_supervised(
    job: Callable[..., Any],
    args: tuple[Any, ...],
    watchdog_s: float,
    stop: StopRequest,
    log_path: Path | None = None,
) -> Any:
    """``job(*args, stop=...)`` in a child process; its result, or a :class:`ChildFailure`."""
    context = multiprocessing.get_context("spawn")
    receive, send = context.Pipe(duplex=False)
    child = context.Process(target=_child, args=(send, job, args), daemon=False)
    child.start()
    send.close()
    deadline = time.monotonic() + watchdog_s
    passed_on = watchdog = False
    answer: Any = None
    try:
        while True:
            if receive.poll(0.2):
                try:
                    answer = receive.recv()
                except EOFError:
                    answer = None
                break
            if not child.is_alive():
                break
            if stop.requested and not passed_on:
                _signal(child, signal.SIGTERM)  # the child stops its search and writes its best plan
                passed_on, deadline = True, min(deadline, time.monotonic() + GRACE_S + 30)
            if time.monotonic() > deadline:
                watchdog = True
                _end(child)
                break
    finally:
        child.join(GRACE_S)
        if child.is_alive():
            _end(child)
        receive.close()
    if isinstance(answer, tuple) and len(answer) == 2:
        ok, value = answer
        return value if ok else ChildFailure("crashed", f"the planning raised {value}" + _tail(log_path))
    if watchdog:
        return ChildFailure(
            "hung",
            f"no answer within the watchdog's {watchdog_s:.0f} s: ended (SIGTERM, then SIGKILL)"
            + _tail(log_path),
        )
    code = child.exitcode
    if code is not None and code < 0:
        name = signal.Signals(-code).name
        why = " (the OOM killer sends it too)" if -code == signal.SIGKILL else ""
        cause = "aborted" if -code == signal.SIGABRT else "killed"
        return ChildFailure(cause, f"the planning process was killed by {name}{why}" + _tail(log_path))
    return ChildFailure(
        "exited", f"the planning process exited with code {code} without an answer" + _tail(log_path)
    )


def _child(send: Connection, job: Callable[..., Any], args: tuple[Any, ...]) -> None:
    """In the child: stop when the parent dies; SIGINT/SIGTERM stop the search; answer once."""
    with contextlib.suppress(OSError, AttributeError):  # Linux: SIGTERM when the parent dies
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    from scenarios.contract.interrupt import stop_on_signals

    stop = StopRequest()
    try:
        with stop_on_signals(stop):
            result = job(*args, stop=stop)
        send.send((True, result))
    except Exception as exc:  # a bug in the job: the parent reports it for this scenario
        send.send((False, f"{type(exc).__name__}: {exc}"))
    finally:
        send.close()


def _signal(child: multiprocessing.process.BaseProcess, signum: int) -> None:
    if child.pid is not None:
        with contextlib.suppress(ProcessLookupError):
            import os

            os.kill(child.pid, signum)


def _end(child: multiprocessing.process.BaseProcess) -> None:
    """SIGTERM, a grace period, then SIGKILL."""
    _signal(child, signal.SIGTERM)
    child.join(GRACE_S)
    if child.is_alive():
        child.kill()
        child.join(GRACE_S)


def _tail(log_path: Path | None) -> str:
    """'; last log lines: ...' from the scenario's log, when there is one."""
    if log_path is None or not log_path.is_file():
        return ""
    with contextlib.suppress(OSError, UnicodeDecodeError):
        lines = [line.strip() for line in log_path.read_text(encoding="utf-8").splitlines() if line.strip()]
        if lines:
            return "; last log lines: " + " | ".join(lines[-LOG_LINES:])
    return ""
