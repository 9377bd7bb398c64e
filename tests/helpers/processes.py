"""The tierplan command as a separate process: started, watched, finished."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

TIERPLAN = str(Path(sys.executable).parent / "tierplan")


def start(*args: object) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [TIERPLAN, *map(str, args)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )


def wait_for(process: subprocess.Popen[str], line: str, timeout: float = 60.0) -> str:
    """Read stderr (the --verbose log) until ``line`` appears."""
    assert process.stderr is not None
    seen = ""
    deadline = time.monotonic() + timeout
    while line not in seen:
        assert time.monotonic() < deadline, f"{line!r} never came:\n{seen}"
        text = process.stderr.readline()
        assert text or process.poll() is None, f"exited before {line!r}:\n{seen}"
        seen += text
    return seen


def finish(process: subprocess.Popen[str]) -> tuple[int, str, float]:
    began = time.monotonic()
    out, err = process.communicate(timeout=120)
    return process.returncode, out + err, time.monotonic() - began
