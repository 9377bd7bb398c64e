"""The tierplan command line, run in this process."""

from __future__ import annotations

from typer.testing import CliRunner

from cli import app

runner = CliRunner()


def invoke(*args: object) -> tuple[int, str]:
    """Exit code and output of ``tierplan ARGS``; a traceback fails the test."""
    result = runner.invoke(app, [str(a) for a in args])
    assert "Traceback" not in result.output, result.output
    return result.exit_code, result.output
