"""The Qt face of a :class:`vfa.reading.session.ReadingSession`.

The editing state and every edit live in the session (plain Python, tested without Qt).
:class:`Document` only turns the session's events into Qt signals, so that widgets connect
the Qt way, and runs the autosave timer the session asks for (``autosave_due``). Any other
attribute is the session's (``doc.reading``, ``doc.guide``, ``doc.place(x, y)``, ...).

Autosave: a change (re)starts a single-shot timer of :data:`AUTOSAVE_DELAY_S`, but never
beyond :data:`AUTOSAVE_MAX_WAIT_S` after the first change not yet written (a reader clicking
steadily is autosaved too); a grade, type, confirmation or undo is written at once
(``autosave_now``). When the timer fires the reading is written with
:meth:`vfa.reading.session.ReadingSession.autosave`. A crash therefore loses at most 2 s.
"""

from __future__ import annotations

import time

from PyQt6.QtCore import QObject, QTimer, pyqtSignal

from vfa.reading.guide import Direction
from vfa.method.levels import Level
from vfa.films.radiograph import Radiograph
from vfa.reading.reading import Reading
from vfa.reading.session import (AUTOSAVE_DELAY_S, AUTOSAVE_MAX_WAIT_S, ReadingSession, SessionEvent,
                                 SessionEventKind as K)

AUTOSAVE_DELAY_MS = int(AUTOSAVE_DELAY_S * 1000)
AUTOSAVE_MAX_WAIT_MS = int(AUTOSAVE_MAX_WAIT_S * 1000)


class Document(QObject):
    changed = pyqtSignal(object)        # ReadingEvent (also during a drag)
    modifiedChanged = pyqtSignal(bool)
    guideChanged = pyqtSignal(str)      # the guide bar's text (ReadingSession.prompt)
    error = pyqtSignal(str)
    saved = pyqtSignal(str)             # path
    autosaved = pyqtSignal(str)
    historyChanged = pyqtSignal()       # an undo step was added, undone or redone
    selectionChanged = pyqtSignal(object)   # Level or None
    toolChanged = pyqtSignal(object)        # vfa.reading.session.Tool
    displayChanged = pyqtSignal(object)     # vfa.films.windowing.WindowChoice

    def __init__(self, radiograph: Radiograph | None = None, reading: Reading | None = None,
                 workspace=None, start: Level | str = Level.T4,
                 direction: Direction | str = Direction.DOWN, *,
                 session: ReadingSession | None = None) -> None:
        super().__init__()
        if session is None:
            assert reading is not None, "a Document needs a reading (or a session)"
            session = ReadingSession(radiograph, reading, workspace, start, direction)
        self.session = session
        self.autosave_timer = QTimer(self)
        self.autosave_timer.setSingleShot(True)
        self.autosave_timer.setInterval(AUTOSAVE_DELAY_MS)
        self.autosave_timer.timeout.connect(self.autosave)
        self._due_since: float | None = None      # monotonic time of the first unwritten change
        self._signals = {K.READING: self.changed, K.MODIFIED: self.modifiedChanged,
                         K.GUIDE: self.guideChanged, K.ERROR: self.error,
                         K.SAVED: self.saved, K.AUTOSAVED: self.autosaved,
                         K.SELECTION: self.selectionChanged, K.TOOL: self.toolChanged,
                         K.DISPLAY: self.displayChanged}
        self.session.connect(self._on_event)

    def __getattr__(self, name: str):
        # only reached for names the adapter does not have: the session's
        session = self.__dict__.get("session")
        if session is None:
            raise AttributeError(name)
        return getattr(session, name)

    def _on_event(self, event: SessionEvent) -> None:
        kind = event.kind
        if kind is K.AUTOSAVE_DUE:
            now = time.monotonic()
            if self._due_since is None:
                self._due_since = now
            left_ms = AUTOSAVE_MAX_WAIT_MS - int((now - self._due_since) * 1000)
            self.autosave_timer.start(max(0, min(AUTOSAVE_DELAY_MS, left_ms)))
        elif kind is K.AUTOSAVE_NOW:
            self.autosave()
        elif kind is K.HISTORY:
            self.historyChanged.emit()
        elif kind is K.SAVED:
            self.autosave_timer.stop()
            self._due_since = None
            self.saved.emit(event.data)
        else:
            sig = self._signals.get(kind)
            if sig is not None:
                sig.emit(event.data)

    def autosave(self) -> str | None:
        self.autosave_timer.stop()
        self._due_since = None
        return self.session.autosave()

    def discard(self) -> None:
        self.autosave_timer.stop()
        self.session.discard()

    def close(self) -> None:
        """Stop listening (the document is being replaced)."""
        self.autosave_timer.stop()
        try:
            self.session.events.disconnect(self._on_event)
        except ValueError:
            pass
        self.session.close()
