"""Every question the viewer asks, in one place (tests monkeypatch these or QMessageBox).

The modal ones use Qt's static dialog functions so that a test can replace
``QMessageBox.question`` / ``QInputDialog.getDouble`` or the function here.
"""

from __future__ import annotations

from pathlib import Path

from PyQt6.QtWidgets import (QComboBox, QDialog, QDialogButtonBox, QDoubleSpinBox, QFormLayout,
                             QInputDialog, QLabel, QMessageBox, QPlainTextEdit, QVBoxLayout,
                             QWidget)

from vfa.method.levels import LEVELS, NOT_EVALUABLE_REASONS, Level
from vfa.films.radiograph import Window

SAVE, DISCARD, CANCEL = "save", "discard", "cancel"
RECOVER, LATER = "recover", "later"


def show_error(parent: QWidget | None, error: Exception | str, title: str = "VFA") -> None:
    """``str(error)`` in a warning box (never a traceback)."""
    QMessageBox.warning(parent, title, str(error))


def ask_unsaved(parent: QWidget | None, what: str) -> str:
    """Save / Discard / Cancel for a reading with unsaved changes."""
    B = QMessageBox.StandardButton
    ans = QMessageBox.question(
        parent, "Unsaved reading",
        f"The reading of {what} has unsaved changes.\nSave them in the workspace?",
        B.Save | B.Discard | B.Cancel, B.Save)
    return {B.Save: SAVE, B.Discard: DISCARD}.get(ans, CANCEL)


def ask_recover(parent: QWidget | None, descriptions: list[str]) -> str:
    """The previous session did not close cleanly: Recover / Later / Discard."""
    lines = "\n".join(f"• {d}" for d in descriptions[:10])
    more = f"\n… and {len(descriptions) - 10} more" if len(descriptions) > 10 else ""
    box = QMessageBox(QMessageBox.Icon.Question, "Recover unsaved readings",
                      "VFA found unsaved work from a session that did not close normally:\n\n"
                      f"{lines}{more}", QMessageBox.StandardButton.NoButton, parent)
    box.setInformativeText("Recover opens it again (not yet saved: save it with Ctrl+S). "
                           "Later keeps it for the next start. Discard deletes it.")
    recover = box.addButton("Recover", QMessageBox.ButtonRole.AcceptRole)
    later = box.addButton("Later", QMessageBox.ButtonRole.RejectRole)
    discard = box.addButton("Discard", QMessageBox.ButtonRole.DestructiveRole)
    box.setDefaultButton(recover)
    box.setEscapeButton(later)
    box.exec()
    clicked = box.clickedButton()
    return RECOVER if clicked is recover else DISCARD if clicked is discard else LATER


def ask_length_mm(parent: QWidget | None, pixels: float) -> float | None:
    """Known length of the calibration line, in millimetres."""
    value, ok = QInputDialog.getDouble(
        parent, "Calibrate",
        f"The line is {pixels:.1f} px long.\nIts real length in millimetres:",
        10.0, 0.01, 10000.0, 2)
    return float(value) if ok else None


def ask_reason(parent: QWidget | None, level: str) -> str | None:
    """Why a level cannot be evaluated (a listed reason or free text)."""
    text, ok = QInputDialog.getItem(parent, "Not evaluable", f"Why is {level} not evaluable?",
                                    list(NOT_EVALUABLE_REASONS), 0, True)
    text = text.strip()
    return text if ok and text else None


def ask_age(parent: QWidget | None, current: float | None) -> float | None:
    """The patient's age at this study in years (the film gives none); None when cancelled."""
    value, ok = QInputDialog.getDouble(
        parent, "Patient's age",
        "The film has no birth date and no Patient's Age.\n"
        "Age at this study, in years (e.g. 11.5); other visits of the patient follow from it:",
        current if current is not None else 10.0, 0.0, 130.0, 1)
    return float(value) if ok else None


def ask_shift(parent: QWidget | None) -> int | None:
    value, ok = QInputDialog.getInt(
        parent, "Relabel levels",
        "Shift every level by (+1: each vertebra becomes the one below it, -1: above):",
        1, -12, 12, 1)
    return int(value) if ok and value else None


def ask_save_path(parent: QWidget | None, title: str, suggested: str | Path,
                  file_filter: str) -> Path | None:
    """Where to write an export (a file save dialog); None when cancelled."""
    from PyQt6.QtWidgets import QFileDialog
    path, _ = QFileDialog.getSaveFileName(parent, title, str(suggested), file_filter)
    return Path(path) if path else None


def ask_save_first(parent: QWidget | None, what: str) -> bool:
    """Exports hold saved readings only: save the open reading's changes first?"""
    B = QMessageBox.StandardButton
    ans = QMessageBox.question(
        parent, "Save before export",
        f"The reading of {what} has unsaved changes. Exports contain the saved reading.\n"
        "Save it now and export?", B.Save | B.Cancel, B.Save)
    return ans == B.Save


def show_warning(parent: QWidget | None, text: str, title: str = "VFA") -> None:
    """Something the reader must check (not an error: the work was done)."""
    QMessageBox.warning(parent, title, text)


def ask_item(parent: QWidget | None, title: str, label: str, items: list[str],
             current: int = 0) -> int | None:
    """One of ``items`` (its index), or None when cancelled."""
    if not items:
        return None
    text, ok = QInputDialog.getItem(parent, title, label, items, current, False)
    if not ok or text not in items:
        return None
    return items.index(text)


class SpanDialog(QDialog):
    """Propose spine: the levels of the two bodies the reader will click."""

    def __init__(self, parent: QWidget | None, first: Level, last: Level) -> None:
        super().__init__(parent)
        self.setWindowTitle("Propose spine")
        form = QFormLayout(self)
        form.addRow(QLabel("Click inside two vertebral bodies; every level between them is\n"
                           "proposed. Which levels will you click?"))
        self.first = QComboBox()
        self.last = QComboBox()
        for box, lv in ((self.first, first), (self.last, last)):
            box.addItems([x.value for x in LEVELS])
            box.setCurrentIndex(lv.index)
        form.addRow("First click (upper body)", self.first)
        form.addRow("Second click (lower body)", self.last)
        self.error = QLabel("")
        self.error.setStyleSheet("color: #b00020")
        form.addRow(self.error)
        bb = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok
                              | QDialogButtonBox.StandardButton.Cancel)
        bb.accepted.connect(self._ok)
        bb.rejected.connect(self.reject)
        form.addRow(bb)

    def levels(self) -> tuple[Level, Level]:
        return LEVELS[self.first.currentIndex()], LEVELS[self.last.currentIndex()]

    def _ok(self) -> None:
        a, b = self.levels()
        if a == b:
            self.error.setText("Choose two different levels.")
            return
        self.accept()


def ask_span_levels(parent: QWidget | None, first: Level = Level.T4,
                    last: Level = Level.L4) -> tuple[Level, Level] | None:
    """The two levels of Propose spine (the reader clicks inside these bodies)."""
    dlg = SpanDialog(parent, first, last)
    try:
        return dlg.levels() if dlg.exec() == QDialog.DialogCode.Accepted else None
    finally:
        dlg.deleteLater()


class WindowDialog(QDialog):
    """Numeric entry of a window (centre and width, modality units)."""

    def __init__(self, parent: QWidget | None, window: Window,
                 value_range: tuple[float, float]) -> None:
        super().__init__(parent)
        self.setWindowTitle("Window")
        lo, hi = value_range
        span = max(hi - lo, 1.0)
        form = QFormLayout(self)
        self.center = QDoubleSpinBox()
        self.center.setRange(lo - 2 * span, hi + 2 * span)
        self.center.setDecimals(1)
        self.center.setValue(window.center)
        self.width_box = QDoubleSpinBox()       # (not "width": QWidget.width())
        self.width_box.setRange(1.0, 4 * span)
        self.width_box.setDecimals(1)
        self.width_box.setValue(window.width)
        form.addRow("Centre", self.center)
        form.addRow("Width", self.width_box)
        bb = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok
                              | QDialogButtonBox.StandardButton.Cancel)
        bb.accepted.connect(self.accept)
        bb.rejected.connect(self.reject)
        form.addRow(bb)

    def chosen(self) -> Window:       # (not "window": QWidget.window())
        return Window(self.center.value(), self.width_box.value(), "user")


def ask_window(parent: QWidget | None, window: Window,
               value_range: tuple[float, float]) -> Window | None:
    dlg = WindowDialog(parent, window, value_range)
    return dlg.chosen() if dlg.exec() == QDialog.DialogCode.Accepted else None


class ProblemsDialog(QDialog):
    """Files that could not be opened during a folder scan (not modal, not fatal)."""

    def __init__(self, parent: QWidget | None, problems: list[tuple[Path, str]],
                 films: int) -> None:
        super().__init__(parent)
        self.setWindowTitle("Some files were not opened")
        self.resize(720, 360)
        lay = QVBoxLayout(self)
        lay.addWidget(QLabel(f"{films} film(s) found. {len(problems)} file(s) were skipped:"))
        self.text = QPlainTextEdit()
        self.text.setReadOnly(True)
        self.text.setPlainText("\n".join(f"{p}: {msg}" for p, msg in problems))
        lay.addWidget(self.text)
        bb = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        bb.rejected.connect(self.close)
        bb.accepted.connect(self.close)
        lay.addWidget(bb)
