"""The library's log: each phase of the search as an INFO line of the ``tierplan`` logger.

Library code only logs; the caller decides where the lines go (:func:`lines_to`).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager

log = logging.getLogger("tierplan")


@contextmanager
def lines_to(handler: logging.Handler, form: str, date_form: str | None = None) -> Iterator[None]:
    """While inside, the library's INFO lines go to ``handler`` in the format ``form``."""
    handler.setFormatter(logging.Formatter(form, date_form))
    log.addHandler(handler)
    level = log.level
    log.setLevel(logging.INFO)  # setLevel, not assignment: it clears the logger's level cache
    try:
        yield
    finally:
        log.removeHandler(handler)
        log.setLevel(level)
        handler.close()
