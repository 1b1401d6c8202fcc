"""Focus stays where the reader put it (issue 21, item 5): choosing a table row, the
comparison and back, a tool, guided clicks and grading keys never take the keyboard focus
from the panel the reader is working in."""

from __future__ import annotations

import pytest

pytest.importorskip("pytestqt")

from PyQt6.QtCore import Qt  # noqa: E402
from PyQt6.QtWidgets import QApplication  # noqa: E402

from ui.table import C_LEVEL  # noqa: E402
from ui.testing import body_points, click_image, write_film  # noqa: E402
from vfa.method.levels import Level  # noqa: E402


def place(w, n: int, start: int = 0) -> None:
    for i in range(start, start + n):
        for x, y in body_points(i):
            click_image(w.view, x, y)


def click_row(qtbot, w, level: Level) -> None:
    """A real click on the Level cell of ``level``'s row of the grading table."""
    t = w.table.table
    rect = t.visualItemRect(t.item(level.index, C_LEVEL))
    qtbot.mouseClick(t.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())


def focus_in(widget) -> bool:
    f = QApplication.focusWidget()
    return f is not None and (f is widget or widget.isAncestorOf(f))


@pytest.fixture
def read(window, tmp_path):
    w = window
    assert w.open_file(write_film(tmp_path / "a.dcm"))
    place(w, 3)
    return w


def test_choosing_a_row_keeps_the_focus_in_the_table(read, qtbot):
    w = read
    click_row(qtbot, w, Level.T5)
    assert w.doc.current_level is Level.T5
    qtbot.waitUntil(lambda: focus_in(w.table.table))
    click_row(qtbot, w, Level.T9)                 # a level still to place: the guide jumps there
    assert w.doc.guide.level is Level.T9
    assert focus_in(w.table.table)
    qtbot.keyClick(w.table.table, Qt.Key.Key_Up)  # the keys still work in the table
    assert w.doc.current_level is Level.T8
    assert focus_in(w.table.table)


def test_the_focus_comes_back_after_compare(read, qtbot):
    w = read
    assert w.save()
    click_row(qtbot, w, Level.T5)
    qtbot.waitUntil(lambda: focus_in(w.table.table))
    w.a_compare.trigger()
    assert w.stack.currentIndex() == 1
    w.a_compare.trigger()
    assert w.stack.currentIndex() == 0
    assert focus_in(w.table.table)                # not the patient list, not the film
    # and from the film: back on the film
    w.view.setFocus()
    qtbot.waitUntil(lambda: focus_in(w.view))
    w.a_compare.trigger()
    qtbot.mouseClick(w.compare_view.back, Qt.MouseButton.LeftButton)   # "Back to reading"
    assert w.stack.currentIndex() == 0
    assert focus_in(w.view)


def test_a_tool_leaves_the_focus_in_the_table(read, qtbot):
    w = read
    click_row(qtbot, w, Level.T5)
    qtbot.waitUntil(lambda: focus_in(w.table.table))
    w.a_tool_measure.trigger()
    assert w.view.tool == "measure"
    assert focus_in(w.table.table)
    w.a_tool_place.trigger()
    assert focus_in(w.table.table)
    # the next click on the film puts the focus there, as any click does
    place(w, 1, start=3)
    assert focus_in(w.view)


def test_guided_clicks_and_grading_keys_keep_the_focus_on_the_film(read, qtbot):
    w = read
    w.view.setFocus()
    qtbot.waitUntil(lambda: focus_in(w.view))
    place(w, 1, start=3)                          # T7: the guide moves on, the table follows
    assert w.doc.reading.get("T7").complete and w.doc.guide.level is Level.T8
    assert focus_in(w.view)
    qtbot.keyClick(w.view, Qt.Key.Key_BracketLeft)   # back to T7
    assert w.doc.current_level is Level.T7
    qtbot.keyClick(w.view, Qt.Key.Key_2)
    assert w.doc.reading.get("T7").reader_grade == 2
    qtbot.keyClick(w.view, Qt.Key.Key_W, Qt.KeyboardModifier.AltModifier)
    assert w.doc.reading.get("T7").reader_type is not None
    assert focus_in(w.view)
