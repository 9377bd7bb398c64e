"""Ending a search early on request (a signal, a batch being stopped), keeping the best plan so far."""

from __future__ import annotations

import threading


class Stopped(Exception):
    """Raised inside a phase that has nothing to hand back when a stop is requested."""


class StopRequest:
    """Set once from anywhere (a signal handler, another thread); every phase of a solve checks it."""

    def __init__(self) -> None:
        self._event = threading.Event()
        self.reason = ""

    @property
    def requested(self) -> bool:
        return self._event.is_set()

    def request(self, reason: str = "stop requested") -> None:
        if not self._event.is_set():
            self.reason = reason
            self._event.set()

    def check(self) -> None:
        """Raise :class:`Stopped` when a stop has been requested."""
        if self._event.is_set():
            raise Stopped(self.reason)
