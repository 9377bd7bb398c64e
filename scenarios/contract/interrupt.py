"""Signals during unattended runs: the first SIGINT or SIGTERM ends the search, a second aborts.

The first signal requests a stop: the search ends within moments and the best plan found
so far is checked and written as usual. A second signal aborts at once: nothing more is
written, and the staging folders are removed on the way out. An abort is held back only
while a finished folder is being renamed into place (:func:`critical`), so that a replaced
folder is never left missing.
"""

from __future__ import annotations

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

    def handler(signum: int, frame: FrameType | None) -> None:
        if not stop.requested:
            stop.request(signal.Signals(signum).name)
            return
        abort = Aborted(signum)
        if _Critical.depth:
            _Critical.pending = abort
            return
        raise abort

    previous = {s: signal.signal(s, handler) for s in SIGNALS}
    try:
        yield
    finally:
        for s, old in previous.items():
            signal.signal(s, old)


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
