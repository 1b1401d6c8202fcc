"""The open document of one window, as the widgets and controllers subscribe to it.

:class:`DocumentHost` holds the :class:`~ui.document.Document` (the Qt adapter of a
:class:`vfa.reading.session.ReadingSession`) that a window shows. Whoever shows or acts on the open
film subscribes once, when it is built:

* ``documentChanged(doc)`` — another film was opened (``doc`` may be None): show it;
* the open document's own signals, relayed (``changed``, ``modifiedChanged``,
  ``guideChanged``, ``historyChanged``, ``selectionChanged``, ``toolChanged``,
  ``displayChanged``, ``error``, ``saved``, ``autosaved``): always the current document's,
  so nobody connects to a document or disconnects from the previous one.

:meth:`DocumentHost.set` closes the previous document, connects the relays to the new one and
then emits ``documentChanged`` — in that order, so that a subscriber that reads ``host.doc``
or acts on it (an edit, a prompt) already reaches the new document and is heard by the
others. The main window is the composition root that makes the connections
(docs/architecture.md).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PyQt6.QtCore import QObject, pyqtSignal

if TYPE_CHECKING:  # pragma: no cover
    from .document import Document

#: The document signals a host relays (same names on the host).
RELAYED = ("changed", "modifiedChanged", "guideChanged", "historyChanged", "selectionChanged",
           "toolChanged", "displayChanged", "error", "saved", "autosaved")


class DocumentHost(QObject):
    """The open document of one window (None before the first film)."""

    documentChanged = pyqtSignal(object)    # Document or None
    changed = pyqtSignal(object)            # ReadingEvent (also during a drag)
    modifiedChanged = pyqtSignal(bool)
    guideChanged = pyqtSignal(str)
    historyChanged = pyqtSignal()
    selectionChanged = pyqtSignal(object)   # Level or None
    toolChanged = pyqtSignal(object)
    displayChanged = pyqtSignal(object)
    error = pyqtSignal(str)
    saved = pyqtSignal(str)
    autosaved = pyqtSignal(str)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._doc: Document | None = None

    @property
    def doc(self) -> Document | None:
        """The open document, or None."""
        return self._doc

    def set(self, doc: Document | None) -> None:
        """Show ``doc`` everywhere: the previous document is closed (its autosave timer
        stopped, its session no longer heard), the relays follow ``doc``, then
        ``documentChanged(doc)``."""
        old = self._doc
        if old is not None:
            self._relay(old, False)
            if old is not doc:
                old.close()
        self._doc = doc
        if doc is not None:
            self._relay(doc, True)
        self.documentChanged.emit(doc)

    def close(self) -> None:
        """The window closes: the document stops (no autosave after this)."""
        if self._doc is not None:
            self._doc.close()

    def _relay(self, doc: Document, on: bool) -> None:
        for name in RELAYED:
            source, target = getattr(doc, name), getattr(self, name)
            if on:
                source.connect(target)
            else:
                try:
                    source.disconnect(target)
                except TypeError:
                    pass


__all__ = ["DocumentHost", "RELAYED"]
