"""Signals during unattended runs: the first SIGINT or SIGTERM ends the search, a second aborts.

The first signal requests a stop: the search ends within moments and the best plan found
so far is checked and written as usual. A second signal aborts at once: nothing more is
written, and the staging folders are removed on the way out. An abort is held back only
while a finished folder is being renamed into place (:func:`critical`), so that a replaced
folder is never left missing.

Two signals that arrive while the main thread is inside one long C call (a solver step, a
Parquet write) reach Python as a single handler call. The C-level handler also writes every
signal's number to a wakeup pipe, so the handler counts the signals from there and a quick
double Ctrl-C still aborts.
"""

from __future__ import annotations

import os
import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType

from scheduler.stop import StopRequest

SIGNALS = (signal.SIGINT, signal.SIGTERM)


class Aborted(BaseException):
    """A second signal: leave at once (a BaseException, so that nothing catches it by accident)."""

    def __init__(self, signum: int) -> None:
        self.signum = signum
        super().__init__(signal.Signals(signum).name)

    @property
    def exit_code(self) -> int:
        return 128 + self.signum  # the shell's convention: 130 for SIGINT, 143 for SIGTERM


class _Critical:
    depth = 0
    pending: Aborted | None = None


@contextmanager
def stop_on_signals(stop: StopRequest) -> Iterator[None]:
    """While inside, SIGINT and SIGTERM request ``stop``; a second one raises :class:`Aborted`."""
    if threading.current_thread() is not threading.main_thread():
        yield  # only the main thread may handle signals; a worker is stopped through ``stop``
        return

    reader, writer = os.pipe()
    os.set_blocking(reader, False)
    os.set_blocking(writer, False)
    received = 0

    def handler(signum: int, frame: FrameType | None) -> None:
        nonlocal received
        received += max(1, _signals_in(reader))  # 1 when the pipe was not ours to read
        if not stop.requested:
            stop.request(signal.Signals(signum).name)
            if received < 2:
                return
        abort = Aborted(signum)
        if _Critical.depth:
            _Critical.pending = abort
            return
        raise abort

    previous = {s: signal.signal(s, handler) for s in SIGNALS}
    previous_fd = signal.set_wakeup_fd(writer, warn_on_full_buffer=False)
    try:
        yield
    finally:
        signal.set_wakeup_fd(previous_fd)
        for s, old in previous.items():
            signal.signal(s, old)
        os.close(reader)
        os.close(writer)


def _signals_in(reader: int) -> int:
    """How many SIGINT and SIGTERM the C-level handler has noted in the wakeup pipe since the last call."""
    count = 0
    while True:
        try:
            noted = os.read(reader, 512)
        except BlockingIOError:
            return count
        if not noted:
            return count
        count += sum(1 for number in noted if number in SIGNALS)


@contextmanager
def critical() -> Iterator[None]:
    """A step an abort must not cut in half; an abort that arrives meanwhile is raised after it."""
    _Critical.depth += 1
    try:
        yield
    finally:
        _Critical.depth -= 1
        pending, _Critical.pending = _Critical.pending, None
        if pending is not None and _Critical.depth == 0:
            raise pending
