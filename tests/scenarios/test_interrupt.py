"""Signals counted one by one, even when Python hands two of them to one handler call."""

from __future__ import annotations

import subprocess
import sys
import textwrap

# A thread raises the signal twice while the main thread waits inside one C call (join):
# the C-level handler runs twice, Python's handler once, after the join.
TWO_SIGNALS_IN_ONE_C_CALL = textwrap.dedent(
    """
    import signal, threading
    from scenarios.contract.interrupt import Aborted, stop_on_signals
    from scheduler.stop import StopRequest

    def send(times):
        for _ in range(times):
            signal.raise_signal(signal.SIGTERM)

    stop = StopRequest()
    try:
        with stop_on_signals(stop):
            sender = threading.Thread(target=send, args=({times},))
            sender.start()
            sender.join()
            sum(range(1000))  # the handler runs between these bytecodes
        print("stopped" if stop.requested else "running")
    except Aborted as abort:
        print("aborted", abort.exit_code)
    """
)


def _outcome(times: int) -> str:
    script = TWO_SIGNALS_IN_ONE_C_CALL.format(times=times)
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def test_two_signals_python_sees_as_one_still_abort() -> None:
    assert _outcome(2) == "aborted 143"


def test_one_signal_only_stops() -> None:
    assert _outcome(1) == "stopped"
