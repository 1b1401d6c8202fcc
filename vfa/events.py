"""Change events without Qt: a list of listeners, each called with a typed event.

The reading (:class:`vfa.reading.reading.ReadingEvent`) and the session
(:class:`vfa.reading.session.SessionEvent`) announce their changes through an
:class:`EventEmitter`; the viewer's adapters turn them into Qt signals. Listeners are
isolated: one that raises is logged (its name and the exception's type and place, never
the message, which may quote patient data) and the others still run.
"""

from __future__ import annotations

import logging
import traceback
from typing import Callable, Generic, TypeVar

__all__ = ["EventEmitter"]

E = TypeVar("E")
logger = logging.getLogger(__name__)


class EventEmitter(Generic[E]):
    """A minimal, typed callback list."""

    def __init__(self) -> None:
        self._callbacks: list[Callable[[E], None]] = []

    def connect(self, callback: Callable[[E], None]) -> None:
        self._callbacks.append(callback)

    def disconnect(self, callback: Callable[[E], None]) -> None:
        """Stop calling ``callback`` (ValueError if it was not connected)."""
        self._callbacks.remove(callback)

    def emit(self, event: E) -> None:
        """Call every listener with ``event`` (in the order they connected); a listener
        that raises is logged and skipped."""
        for cb in list(self._callbacks):
            try:
                cb(event)
            except Exception as exc:  # noqa: BLE001 - one listener's bug must not silence the others
                where = traceback.extract_tb(exc.__traceback__)[-1:]
                place = f"{where[0].filename}:{where[0].lineno}" if where else "?"
                logger.error("listener %s failed on %s: %s at %s",
                             getattr(cb, "__qualname__", type(cb).__name__),
                             getattr(event, "kind", type(event).__name__), type(exc).__name__, place)
