"""Blinded reading-centre mode of the main window (docs/reading-centre.md).

The rules are :class:`vfa.reading.blinding.BlindedSession`'s; this controller only applies them to the
window: the patient browser is replaced by the reader's reading list (neutral labels, the
recorded shuffled order, done marks), the title names the case by its label, films not on the
list are refused, exports, PACS and carry-forward are off (they show or use identities and
other visits), the comparison opens only after the reader's own reading is saved and then
shows only the reader's own readings.

:func:`start` is called by the window (a workspace in reading-centre mode) or by
``vfa-viewer --reading-list FILE``.
"""

from __future__ import annotations

from pathlib import Path

from PyQt6.QtCore import Qt, QTimer
from PyQt6.QtGui import QBrush, QColor, QFont
from PyQt6.QtWidgets import (QDockWidget, QLabel, QListWidget, QListWidgetItem, QVBoxLayout,
                             QWidget)

from vfa.reading.blinding import BlindedSession, BlindingError, session_for
from vfa.errors import VfaError
from vfa.storage.workspace import default_reader

from . import dialogs

ROLE_SOP = Qt.ItemDataRole.UserRole + 1
#: Actions that would show identities or other visits (or send them away) in a blinded session.
BLOCKED_ACTIONS = ("a_open_pacs", "a_open_folder", "a_export_sr", "a_store_sr", "a_export_pdf",
                   "a_export_csv", "a_export_csv_all", "a_carry")


class ReadingListPanel(QWidget):
    """The reader's list: one row per film, by label, in the recorded order."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(4, 4, 4, 4)
        self.header = QLabel("")
        self.header.setWordWrap(True)
        lay.addWidget(self.header)
        self.list = QListWidget()
        lay.addWidget(self.list, 1)
        hint = QLabel("Double-click a case to open it. Identities, dates and visit order are "
                      "hidden; comparison opens after you save your reading.")
        hint.setWordWrap(True)
        hint.setStyleSheet("color: #555;")
        lay.addWidget(hint)

    def show_session(self, s: BlindedSession, current: str | None) -> None:
        self.header.setText(f"<b>{s.reading_list.name}</b> — reader {s.reader}<br/>"
                            f"{s.reading_list.done} of {len(s.items)} read")
        self.list.clear()
        bold = QFont()
        bold.setBold(True)
        for it in s.items:
            mark = "✓" if it.complete else ("◐" if it.done else "·")
            row = QListWidgetItem(f"{mark}  {it.position:>3}.  {it.label}")
            row.setData(ROLE_SOP, it.sop_instance_uid)
            if it.done:
                row.setForeground(QBrush(QColor("#2e7d32" if it.complete else "#8d6e00")))
                row.setToolTip("read: every level graded or not evaluable" if it.complete else
                               "saved, but some levels are neither graded nor not evaluable")
            if it.sop_instance_uid == current:
                row.setFont(bold)
                row.setSelected(True)
            self.list.addItem(row)


class BlindedMode:
    def __init__(self, window, session: BlindedSession) -> None:  # noqa: ANN001
        self.w = window
        self.session = session
        self.panel = ReadingListPanel()
        self.dock = QDockWidget("Reading list (blinded)", window)
        self.dock.setObjectName("ReadingListDock")
        self.dock.setWidget(self.panel)
        self.dock.setFeatures(QDockWidget.DockWidgetFeature.NoDockWidgetFeatures)
        window.addDockWidget(Qt.DockWidgetArea.LeftDockWidgetArea, self.dock)
        window.browser_dock.hide()
        window.browser_dock.toggleViewAction().setEnabled(False)
        window.compare_view.reader_filter = session.reader
        # double-click or Enter (one signal: opening refills the list)
        self.panel.list.itemActivated.connect(self._activated)
        self.status = QLabel("")
        self.status.setStyleSheet("color: #6a1b9a; font-weight: bold;")
        window.statusBar().addWidget(self.status)
        self.refresh()

    # ------------------------------------------------------------------ window hooks
    def title(self) -> str:
        doc = self.w.doc
        return self.session.title(doc.reading.sop_instance_uid if doc else None)

    def accept(self, doc) -> bool:  # noqa: ANN001
        """A film is about to be shown: only films of the list."""
        try:
            self.session.require_on_list(doc.reading.sop_instance_uid)
        except BlindingError as exc:
            doc.close()
            dialogs.show_error(self.w, exc, "Blinded reading")
            return False
        return True

    def may_compare(self) -> bool:
        doc = self.w.doc
        ok, why = self.session.may_compare(self.w.workspace,
                                           doc.reading.sop_instance_uid if doc else None)
        if not ok:
            self.w.statusBar().showMessage(why, 8000)
            dialogs.show_error(self.w, why, "Blinded reading")
        return ok

    def update_actions(self) -> None:
        for name in BLOCKED_ACTIONS:
            a = getattr(self.w, name, None)
            if a is not None:
                a.setEnabled(False)
                a.setToolTip("Not available in blinded reading")
        menu = getattr(self.w, "recent_menu", None)   # file names can name the patient
        if menu is not None:
            menu.setEnabled(False)

    def saved(self) -> None:
        self.refresh()

    # ------------------------------------------------------------------ list
    def refresh(self) -> None:
        self.session.refresh(self.w.workspace)
        doc = self.w.doc
        cur = doc.reading.sop_instance_uid if doc else None
        self.panel.show_session(self.session, cur)
        s = self.session
        self.status.setText(f"Blinded: {s.reader}, {s.reading_list.done}/{len(s.items)} read")

    def _activated(self, row: QListWidgetItem | None) -> None:
        if row is not None:
            sop = row.data(ROLE_SOP)
            QTimer.singleShot(0, lambda: self.open_item(sop))  # not inside the list's handler

    def open_item(self, sop: str) -> bool:
        it = self.session.item_for(sop)
        if it is None:
            return False
        if not it.path or not Path(it.path).is_file():
            dialogs.show_error(self.w, f"The film of {it.label} is not available on this "
                                       "computer; ask the reading-centre manager.", "Blinded reading")
            return False
        ok = self.w.open_file(it.path)
        self.refresh()
        return ok

    def open_next(self) -> bool:
        nxt = self.session.next_item()
        return self.open_item(nxt.sop_instance_uid) if nxt else False


def start(window, list_file: str | Path | None = None) -> BlindedMode | None:  # noqa: ANN001
    """Enter blinded mode when a reading-list file is given or the workspace is in
    reading-centre mode. When that fails (e.g. the reader has no part of the workspace's
    list), the error is shown and the window stays blinded with an empty list: a
    reading-centre workspace never opens unblinded by accident."""
    try:
        session = session_for(window.workspace, default_reader(), list_file)
    except VfaError as exc:
        dialogs.show_error(window, exc, "Blinded reading")
        from vfa.reading.worklist import ReadingList
        session = BlindedSession(ReadingList("(no list)", default_reader()))
    if session is None:
        return None
    mode = BlindedMode(window, session)
    window.blinded = mode
    window.refresh_title_and_actions()
    return mode
