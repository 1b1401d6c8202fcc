"""Long work without freezing the window: a busy cursor, or a worker thread with a busy dialog.

:func:`run_busy` runs a plain Python callable (a ``vfa`` call: writing a PDF, storing to the
PACS, proposing points) in a :class:`QThread` while a small modal "busy" dialog and the wait
cursor show that something is happening; the window keeps repainting. It returns the
callable's result or raises its exception in the GUI thread, so the caller handles errors
exactly as for a direct call (``VfaError`` -> ``str(error)`` in a message box).

Mouse, wheel, key and shortcut input is swallowed while the work runs (also during the
first moments before the dialog appears), so a second click or an Undo cannot start more
work on the same objects. The callable must not touch widgets; it works on ``vfa`` objects
that nothing else edits meanwhile.
"""

from __future__ import annotations

import time
from contextlib import contextmanager
from typing import Any, Callable, Iterator

from PyQt6.QtCore import QEvent, QEventLoop, QObject, Qt, QThread
from PyQt6.QtGui import QCursor
from PyQt6.QtWidgets import QApplication, QProgressDialog, QWidget

#: The busy dialog appears only if the work takes longer than this (ms).
SHOW_AFTER_MS = 300


@contextmanager
def busy_cursor() -> Iterator[None]:
    """The wait cursor while the block runs (short work on the GUI thread)."""
    QApplication.setOverrideCursor(QCursor(Qt.CursorShape.WaitCursor))
    try:
        yield
    finally:
        QApplication.restoreOverrideCursor()


_INPUT = {QEvent.Type.MouseButtonPress, QEvent.Type.MouseButtonRelease,
          QEvent.Type.MouseButtonDblClick, QEvent.Type.Wheel, QEvent.Type.KeyPress,
          QEvent.Type.KeyRelease, QEvent.Type.Shortcut, QEvent.Type.ShortcutOverride}


class _InputBlocker(QObject):
    """Swallows mouse, wheel, key and shortcut events while the work runs (before the busy
    dialog appears, the window would otherwise take a second click or an Undo that starts
    more work on the same objects). Paint and resize events pass: the window repaints."""

    def eventFilter(self, obj, event) -> bool:  # noqa: N802
        return event.type() in _INPUT


class _Worker(QThread):
    def __init__(self, fn: Callable[[], Any], parent: QWidget | None) -> None:
        super().__init__(parent)
        self._fn = fn
        self.result: Any = None
        self.error: BaseException | None = None

    def run(self) -> None:  # noqa: D401 - QThread API
        try:
            self.result = self._fn()
        except BaseException as exc:  # noqa: BLE001 - re-raised in the GUI thread
            self.error = exc


def run_busy(parent: QWidget | None, label: str, fn: Callable[[], Any]) -> Any:
    """Run ``fn()`` in a worker thread; show ``label`` in a busy dialog meanwhile."""
    worker = _Worker(fn, parent)
    dlg = QProgressDialog(label, "", 0, 0, parent)
    dlg.setWindowTitle("VFA")
    dlg.setCancelButton(None)       # the vfa calls behind this cannot be interrupted
    dlg.setWindowModality(Qt.WindowModality.WindowModal)
    dlg.setMinimumDuration(SHOW_AFTER_MS)
    loop = QEventLoop()
    worker.finished.connect(loop.quit)
    active = QApplication.activeWindow()
    t0 = time.monotonic()
    blocker = _InputBlocker()
    app = QApplication.instance()
    assert app is not None        # (a dialog is shown: the application exists)
    app.installEventFilter(blocker)
    try:
        with busy_cursor():
            worker.start()
            dlg.setValue(0)
            if not worker.isFinished():
                loop.exec()
            worker.wait()
    finally:
        app.removeEventFilter(blocker)
    dlg.reset()
    dlg.close()
    dlg.deleteLater()
    worker.deleteLater()
    if active is not None and QApplication.activeWindow() is not active:
        # the busy dialog took the activation: give it back so that the window's keyboard
        # shortcuts (Enter: accept all) work at once
        active.activateWindow()
        QApplication.processEvents()
    run_busy.last_seconds = time.monotonic() - t0  # type: ignore[attr-defined]
    if worker.error is not None:
        raise worker.error
    return worker.result


run_busy.last_seconds = 0.0  # type: ignore[attr-defined]
