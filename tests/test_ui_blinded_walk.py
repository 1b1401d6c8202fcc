"""The blinded walk (issue 21): in a blinded session, every action of the window is triggered
and every dock shown; no patient identifier, date, file name or other reader's mark may
reach the screen (any visible text: titles, labels, lists, tables, trees, the status bar,
the film's labels) or a file name an export would propose."""

from __future__ import annotations

import pytest

pytest.importorskip("pytestqt")

from PyQt6.QtCore import Qt  # noqa: E402
from PyQt6.QtGui import QAction  # noqa: E402
from PyQt6.QtWidgets import (QAbstractButton, QAbstractItemView, QApplication, QComboBox,  # noqa: E402
                             QDialog, QDockWidget, QFileDialog, QGraphicsSimpleTextItem,
                             QGraphicsTextItem, QInputDialog, QLabel, QLineEdit, QMessageBox,
                             QPlainTextEdit, QTextEdit, QWidget)

from test_ui_reading_centre import NAME, _click_row, blinded_window  # noqa: E402,F401

#: What must never show: the patient's ID and name, the film file names, the visit dates (in
#: any form), the other reader's name.
LEAKS = ("PID-4711", "Doe", "Jane", "visit0", "visit1", "_doe", ".dcm", "2021", "2022",
         "03-01", "01.03.", "Mar 2021", "Mar 2022", "other")
#: Actions not walked: leaving the window, and the comparison (opened only after the
#: reader's own save, then with the reader's own readings: tests/test_ui_reading_centre.py).
SKIP = {"a_quit", "a_compare"}


def _cols(model, parent):
    try:
        return max(model.columnCount(parent), 1)
    except TypeError:          # a list model: one column
        return 1


def _model_texts(model, parent=None):
    from PyQt6.QtCore import QModelIndex
    parent = parent or QModelIndex()
    for r in range(model.rowCount(parent)):
        for c in range(_cols(model, parent)):
            idx = model.index(r, c, parent)
            for role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
                v = model.data(idx, role)
                if v is not None:
                    yield str(v)
            if c == 0:
                try:
                    if model.rowCount(idx) > 0:
                        yield from _model_texts(model, idx)
                except TypeError:
                    pass
    for c in range(_cols(model, parent)):
        v = model.headerData(c, Qt.Orientation.Horizontal, Qt.ItemDataRole.DisplayRole)
        if v is not None:
            yield str(v)


def screen_texts():
    """Every text a reader can see now, in every visible window."""
    for top in QApplication.topLevelWidgets():
        if not top.isVisible():
            continue
        yield top.windowTitle()
        for w in [top, *top.findChildren(QWidget)]:
            if not w.isVisible():
                continue
            if isinstance(w, QLabel):
                yield w.text()
            elif isinstance(w, QAbstractButton):
                yield w.text()
            elif isinstance(w, QLineEdit):
                yield w.text()
            elif isinstance(w, (QTextEdit, QPlainTextEdit)):
                yield w.toPlainText()
            elif isinstance(w, QComboBox):
                yield from (w.itemText(i) for i in range(w.count()))
            elif isinstance(w, QAbstractItemView) and w.model() is not None:
                yield from _model_texts(w.model())
            elif isinstance(w, QDockWidget):
                yield w.windowTitle()
            if hasattr(w, "scene") and callable(w.scene) and w.scene() is not None:
                for it in w.scene().items():
                    if isinstance(it, (QGraphicsSimpleTextItem, QGraphicsTextItem)):
                        yield it.text() if hasattr(it, "text") else it.toPlainText()
                    elif hasattr(it, "text") and isinstance(getattr(it, "text"), str):
                        yield it.text
        if hasattr(top, "statusBar"):
            yield top.statusBar().currentMessage()


@pytest.fixture
def no_modal(monkeypatch):
    """Every modal dialog is recorded and cancelled (never blocks)."""
    seen: list[str] = []

    def dialog_exec(self, *a, **k):
        seen.append(self.windowTitle())
        seen.extend(t for t in _texts_of(self))
        return 0

    for cls in (QDialog, QMessageBox, QInputDialog, QFileDialog):
        monkeypatch.setattr(cls, "exec", dialog_exec)
    monkeypatch.setattr(QFileDialog, "getSaveFileName",
                        staticmethod(lambda *a, **k: (seen.extend(map(str, a[1:])), ("", ""))[1]))
    monkeypatch.setattr(QFileDialog, "getOpenFileName",
                        staticmethod(lambda *a, **k: (seen.extend(map(str, a[1:])), ("", ""))[1]))
    monkeypatch.setattr(QFileDialog, "getOpenFileNames",
                        staticmethod(lambda *a, **k: (seen.extend(map(str, a[1:])), ([], ""))[1]))
    monkeypatch.setattr(QFileDialog, "getExistingDirectory",
                        staticmethod(lambda *a, **k: (seen.extend(map(str, a[1:])), "")[1]))
    for name in ("getItem", "getText", "getDouble", "getInt"):
        monkeypatch.setattr(QInputDialog, name,
                            staticmethod(lambda *a, **k: (seen.extend(map(str, a[1:4])), (None, False))[1]))
    for name in ("question", "warning", "information", "critical"):
        monkeypatch.setattr(QMessageBox, name,
                            staticmethod(lambda *a, **k: (seen.extend(map(str, a[1:3])),
                                                          QMessageBox.StandardButton.Cancel)[1]))
    return seen


def _texts_of(widget):
    for w in [widget, *widget.findChildren(QWidget)]:
        if isinstance(w, (QLabel, QAbstractButton, QLineEdit)):
            yield w.text()
        elif isinstance(w, (QTextEdit, QPlainTextEdit)):
            yield w.toPlainText()
        elif isinstance(w, QAbstractItemView) and w.model() is not None:
            yield from _model_texts(w.model())
    if isinstance(widget, QMessageBox):
        yield widget.text()
        yield widget.informativeText()


def _leaks(texts):
    """(leak, text) pairs; a file dialog's type filter ("DICOM files (*.dcm)") is no leak."""
    import re
    return sorted({(leak, t) for t in texts if t and "(*" not in str(t)
                   for leak in LEAKS if re.search(r"(?<![A-Za-z])" + re.escape(leak)
                                                  + r"(?![a-z])", str(t))})


def test_blinded_walk_every_action_and_dock(qtbot, blinded_window, asked, no_modal):  # noqa: F811
    w, films = blinded_window
    lst = w.blinded.panel.list
    _click_row(qtbot, lst, 0, double=True)
    qtbot.waitUntil(lambda: w.doc is not None)
    # place a few points and grade: the walk covers a reading in progress
    from ui.testing import click_image
    for x, y in [(100, 100), (150, 101), (200, 100)]:
        click_image(w.view, x, y)
    assert w.doc.reading.reader == "test-reader"
    found = _leaks(screen_texts())
    assert not found, f"on screen before the walk: {found}"
    walked = []
    for a in w.findChildren(QAction):
        name = next((n for n in dir(w) if n.startswith("a_") and getattr(w, n, None) is a), None)
        if name in SKIP or a.isSeparator() or not a.text() or a.menu() is not None:
            continue
        if not a.isEnabled():
            continue
        a.trigger()
        QApplication.processEvents()
        walked.append(a.text())
        found = _leaks(screen_texts())
        assert not found, f"after {a.text()!r}: {found}"
        found = _leaks(no_modal)
        assert not found, f"a dialog of {a.text()!r}: {found}"
        found = _leaks(str(x) for v in asked.values() if isinstance(v, list) for x in v)
        assert not found, f"a question of {a.text()!r}: {found}"
        for top in QApplication.topLevelWidgets():        # close what the action opened
            if top is not w and top.isVisible() and top.objectName() != "":
                top.close()
    assert len(walked) > 30
    # every dock the reader can show
    for dock in w.findChildren(QDockWidget):
        if dock.toggleViewAction().isEnabled():
            dock.show()
            dock.raise_()
            QApplication.processEvents()
            found = _leaks(screen_texts())
            assert not found, f"dock {dock.windowTitle()!r}: {found}"
    # the surfaces the policy turns off are off, with its reason
    from vfa.reading.blinding import POLICY
    assert not w.timeline.action.isEnabled() and not w.timeline.clinical_action.isEnabled()
    for name in ("a_open", "a_export_gsps", "a_export_capture", "a_export_sr", "a_export_pdf",
                 "a_export_csv", "a_open_reading", "a_import_readings", "a_open_pacs"):
        assert not getattr(w, name).isEnabled(), name
        assert "Not available in blinded reading" in getattr(w, name).toolTip()
    assert not w.recent_menu.isEnabled()
    assert all(not allowed or s.value == "comparison with other visits"
               for s, (allowed, _why) in POLICY.items())


def test_blinded_crash_recovery_text_is_neutral(qtbot, blinded_window, asked, make_window):  # noqa: F811
    w, films = blinded_window
    _click_row(qtbot, w.blinded.panel.list, 0, double=True)
    qtbot.waitUntil(lambda: w.doc is not None)
    from ui.testing import click_image
    click_image(w.view, 100, 100)
    w.doc.autosave()
    w.doc.history.mark_saved()
    w.hide()
    w2 = make_window()
    assert w2.blinded is not None
    w2.check_recoveries()
    assert asked["recover"]
    line = asked["recover"][-1][0]
    assert "1 points" in line and "blinded" in line
    assert not _leaks([line])
