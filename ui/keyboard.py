"""Grading from the keyboard (docs/viewer.md, Keyboard): a reader grades a spine with the six
point clicks per level and keys — no mouse trip to the grading table.

* ``0`` ``Q`` ``1`` ``2`` ``3``: the reader's Genant grade 0, ½ (questionable), 1, 2, 3 of the
  selected level (else the guide's); giving a grade confirms it (vfa/reading/reading.py);
* ``Alt+W`` ``Alt+B`` ``Alt+C``: its type wedge, biconcave, crush (the same key again clears
  it);
* ``Y``: confirm the level's grade as it stands (the suggestion); ``[`` ``]`` and
  ``PgUp`` ``PgDown``: previous / next level; ``N``: not evaluable;
* F1: the cheat-sheet of every key, made from the window's actions (:func:`cheat_sheet`).

Each key is one undo step and is autosaved at once (vfa/reading/session.py).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Callable

from PyQt6.QtCore import QObject, Qt
from PyQt6.QtGui import QAction, QKeySequence
from PyQt6.QtWidgets import (QDialog, QDialogButtonBox, QTableWidget, QTableWidgetItem,
                             QVBoxLayout, QWidget)

from vfa.method.levels import DeformityType

if TYPE_CHECKING:  # pragma: no cover
    from .host import DocumentHost

GRADE_TEXT = {0: "0", 0.5: "½", 1: "1", 2: "2", 3: "3"}


class GradingKeys(QObject):
    """Grade, type and confirm keys on the open document of ``host``; ``status(text, ms)``
    says what changed."""

    def __init__(self, host: DocumentHost, *, status: Callable[[str, int], None],
                 parent: QWidget) -> None:
        super().__init__(parent)
        self.host = host
        self.status = status

    def _level(self):  # noqa: ANN202
        doc = self.host.doc
        if doc is None:
            return None, None
        lv = doc.current_level
        if lv is None:
            self.status("Choose a level first ([ or ], or click a table row)", 4000)
        return doc, lv

    def grade(self, grade: float) -> bool:
        doc, lv = self._level()
        if doc is None or lv is None:
            return False
        ok = doc.set_grade(lv, grade)
        if ok:
            self.status(f"{lv}: grade {GRADE_TEXT.get(grade, grade)} (confirmed)", 3000)
        return bool(ok)

    def type(self, dtype: DeformityType) -> bool:
        doc, lv = self._level()
        if doc is None or lv is None:
            return False
        v = doc.reading.get(lv)
        new = None if v is not None and v.reader_type is dtype else dtype
        ok = doc.set_type(lv, new)
        if ok:
            self.status(f"{lv}: type {new.value if new else 'cleared (suggested type)'}", 3000)
        return bool(ok)


def cheat_sheet(parent: QWidget) -> QDialog:
    """F1: every action of ``parent`` that has a key, with its key(s), in one table (made from
    the actions themselves, so it never disagrees with them). Shown non-modal."""
    rows: list[tuple[str, str]] = []
    seen: set[str] = set()
    for a in parent.findChildren(QAction):
        keys = [k.toString(QKeySequence.SequenceFormat.NativeText) for k in a.shortcuts()]
        keys = [k for k in keys if k]
        text = a.text().replace("&", "").rstrip("…").strip()
        if not keys or not text or text in seen:
            continue
        seen.add(text)
        rows.append((", ".join(keys), text))
    extra = [("Arrow keys", "Pan the film (Shift: further)"),
             ("Space + drag, middle drag", "Pan the film"),
             ("Wheel", "Zoom about the cursor"),
             ("Right drag", "Window / level"),
             ("Esc", "Cancel the line or the proposal in progress"),
             ("Tab", "Next panel (the focus is outlined in blue)")]
    rows += extra
    dlg = QDialog(parent)
    dlg.setObjectName("CheatSheet")
    dlg.setWindowTitle("Keyboard")
    lay = QVBoxLayout(dlg)
    table = QTableWidget(len(rows), 2, dlg)
    table.setHorizontalHeaderLabels(["Key", "Does"])
    vh, hh = table.verticalHeader(), table.horizontalHeader()
    if vh is not None:
        vh.setVisible(False)
    table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
    for i, (k, t) in enumerate(rows):
        table.setItem(i, 0, QTableWidgetItem(k))
        table.setItem(i, 1, QTableWidgetItem(t))
    table.resizeColumnsToContents()
    if hh is not None:
        hh.setStretchLastSection(True)
    lay.addWidget(table)
    box = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
    box.rejected.connect(dlg.close)
    lay.addWidget(box)
    dlg.resize(560, 640)
    dlg.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    dlg.show()
    return dlg
