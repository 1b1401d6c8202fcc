"""Defects of the reading view found in a radiologist's end-to-end session (issue 10): the
film as the dominant pane, handles that scale, the guide bar per tool, level actions on the
level the bar shows, the recovery dialog, plain words, early heights, Open's start folder,
the selection on a new film, the saved path in the status bar."""

from __future__ import annotations

import pytest

pytest.importorskip("pytestqt")

from PyQt6.QtCore import QTimer  # noqa: E402
from PyQt6.QtWidgets import QApplication, QMessageBox  # noqa: E402

from ui import dialogs  # noqa: E402
from ui.markers import MIN_RADIUS, handle_radius  # noqa: E402
from ui.testing import body_points, click_image, write_film  # noqa: E402
from vfa.method.levels import Level, Status  # noqa: E402
from vfa.reading.session import Tool, describe_autosave  # noqa: E402


@pytest.fixture
def film(tmp_path):
    return write_film(tmp_path / "films" / "lat.dcm")


def place(w, pts):
    for x, y in pts:
        click_image(w.view, x, y)


@pytest.mark.parametrize("size", [(1600, 1000), (1920, 1080)])
def test_the_film_is_the_dominant_pane_and_panels_collapse(make_window, film, qtbot, size):
    w = make_window()
    w.resize(*size)
    qtbot.waitUntil(lambda: w.width() == size[0], timeout=2000)
    w.size_docks()
    qtbot.waitUntil(lambda: w.table_dock.width() >= w.table.preferred_width() - 20, timeout=2000)
    assert w.open_file(film)
    assert w.view.width() >= 0.55 * w.width()
    # and every column of the grading table is visible in its panel
    assert w.table.table.horizontalScrollBar().maximum() == 0
    w.a_panels.trigger()              # collapse the side panels
    qtbot.waitUntil(lambda: not w.table_dock.isVisible())
    assert not w.browser_dock.isVisible()
    qtbot.waitUntil(lambda: w.view.width() >= 0.95 * w.width(), timeout=2000)
    w.a_panels.trigger()
    qtbot.waitUntil(lambda: w.table_dock.isVisible())


def test_handles_scale_with_zoom_and_vertebra_size(window, film):
    assert handle_radius(None) == 5.0
    assert handle_radius(10.0) == MIN_RADIUS          # a child's vertebra at fit zoom
    assert handle_radius(400.0) == 5.0                # zoomed in: full size
    w = window
    w.open_file(film)
    place(w, body_points(0))
    h = w.layer.handle("T4", "superior_anterior")
    w.view.fit()
    fit_r = h.radius
    height_on_screen = (640 / 7 * 0.7) * w.view.zoom
    assert fit_r == pytest.approx(handle_radius(height_on_screen))
    # at fit zoom the rings of the superior and inferior points never overlap
    assert 2 * fit_r + 2 < height_on_screen
    w.view.zoom_by(0.4)
    assert h.radius < fit_r or h.radius == MIN_RADIUS
    w.view.zoom_by(20)
    assert h.radius == 5.0


def test_guide_bar_speaks_for_the_active_tool(window, film):
    w = window
    w.open_file(film)
    assert w.guide_bar.next_label.text() == "Next: T4 — superior anterior corner"
    w.set_tool(Tool.PROPOSE)
    text = w.guide_bar.next_label.text()
    assert text.startswith("Propose T4: click inside the body of T4") and "Next:" not in text
    w.set_tool(Tool.MEASURE)
    assert w.guide_bar.next_label.text().startswith("Measure")
    w.set_tool(Tool.CALIBRATE)
    assert "known length" in w.guide_bar.next_label.text()
    w.set_tool(Tool.PLACE)
    assert w.guide_bar.next_label.text() == "Next: T4 — superior anterior corner"


def test_not_evaluable_acts_on_the_level_the_bar_shows(window, film, asked):
    w = window
    w.open_file(film)
    place(w, body_points(0) + body_points(1))          # T4, T5 done; guide on T6
    w.select_level(Level.T4, centre=False)             # the reader looks at T4 in the table
    bar = w.guide_bar.next_label.text()
    assert bar.startswith("T4 selected (complete)") and "T6" in bar
    assert w.guide_bar.level_box.currentText() == "T4"
    w.a_ne.trigger()
    assert w.doc.reading.get("T4").status is Status.NOT_EVALUABLE
    assert w.doc.reading.get("T6") is None
    # afterwards the bar shows the guide's level again, and N acts on it
    assert w.guide_bar.next_label.text() == "Next: T6 — superior anterior corner"
    w.a_ne.trigger()
    assert w.doc.reading.get("T6").status is Status.NOT_EVALUABLE


def test_recovery_dialog_says_recover_later_discard(qtbot, tmp_path):
    seen = {}

    def answer():
        box = next(b for b in QApplication.topLevelWidgets()
                   if isinstance(b, QMessageBox) and b.isVisible())
        seen["buttons"] = sorted(b.text() for b in box.buttons())
        seen["text"] = box.text()
        next(b for b in box.buttons() if b.text() == "Later").click()
    QTimer.singleShot(50, answer)
    assert dialogs.ask_recover(None, ["Jane Doe (ID P1) — lat.dcm of 2024-03-12"]) == \
        dialogs.LATER
    assert seen["buttons"] == ["Discard", "Later", "Recover"]
    assert "Jane Doe (ID P1)" in seen["text"]
    for which, expected in (("Recover", dialogs.RECOVER), ("Discard", dialogs.DISCARD)):
        QTimer.singleShot(50, lambda which=which: next(
            b for b in next(x for x in QApplication.topLevelWidgets()
                            if isinstance(x, QMessageBox) and x.isVisible()).buttons()
            if b.text() == which).click())
        assert dialogs.ask_recover(None, ["x"]) == expected


def test_recovery_line_names_patient_film_levels_in_local_time(window, film):
    import datetime as dt
    w = window
    w.open_file(film)
    place(w, body_points(0) + body_points(1) + body_points(2)[:2])
    path = w.doc.autosave()
    line = describe_autosave(path)
    assert line.startswith("Test Patient (ID TEST001) — lat.dcm of 2024-01-10 — T4–T6 (14 points)")
    local = dt.datetime.now().astimezone().strftime("%d %b %Y, %H:")
    assert f"autosaved {local}" in line and "+00:00" not in line and "T" not in line.split("autosaved")[1]


def test_heights_show_as_soon_as_their_points_are_placed(window, film):
    w = window
    w.open_file(film)
    pts = body_points(0)
    place(w, pts[:3])
    assert w.table.row_texts("T4")["Ha"] == "—"
    place(w, pts[3:4])                 # the fourth point: Ha is known
    row = w.table.row_texts("T4")
    assert row["Ha"] != "—" and row["Hm"] == "—" and row["Hp"] == "—"
    place(w, pts[4:5])
    assert w.table.row_texts("T4")["Hm"] != "—"
    assert w.table.row_texts("T4")["Suggested"] == "5/6 points"


def test_suggested_column_and_pending_line_in_plain_words(window, film):
    w = window
    w.open_file(film)
    place(w, body_points(0, wedge_px=20))
    sugg = w.table.row_texts("T4")["Suggested"]
    assert sugg.count("(") == 1 and sugg.endswith(" %)") and "advisory" not in sugg
    # the pending line is one line that does not move the table
    y = w.table.table.y()
    w.doc.propose({Level.T8: {}}, "nothing")           # no-op proposal: nothing pending
    assert w.table.pending_label.text() == "" and w.table.table.y() == y
    assert not w.table.pending_label.wordWrap()


def test_open_starts_in_the_current_films_folder(window, film, monkeypatch, tmp_path):
    from PyQt6.QtWidgets import QFileDialog
    w = window
    seen = {}

    def fake(parent, title, start, flt=""):
        seen["start"] = start
        return "", ""
    monkeypatch.setattr(QFileDialog, "getOpenFileName", fake)
    w.opening.open_file_dialog()
    assert seen["start"]                       # no film: last folder or home
    w.open_file(film)
    w.opening.open_file_dialog()
    assert seen["start"] == str(film.parent.resolve())


def test_a_new_film_starts_without_a_selection(window, film, tmp_path):
    w = window
    other = write_film(tmp_path / "films" / "other.dcm", seed=4)
    w.open_file(film)
    place(w, body_points(0) + body_points(1))
    w.select_level(Level.T5)
    assert w.table.table.selectedIndexes()
    w.doc.history.mark_saved()
    w.open_file(other)
    assert w.selected_level is None and w.layer.selected_level is None
    assert not w.table.table.selectedIndexes()


def test_status_bar_shows_the_saved_path_elided_in_the_middle(window, film):
    w = window
    w.open_file(film)
    place(w, body_points(0))
    assert w.save()
    msg = w.statusBar().currentMessage()
    path = w.statusBar().toolTip().removeprefix("Saved: ")
    assert msg.startswith("Saved: ") and path.endswith(".json")
    fm = w.statusBar().fontMetrics()
    assert fm.horizontalAdvance(msg) <= w.statusBar().width()
    # the file name (the end of the path) is always readable
    assert msg.endswith(path[-12:])


def _edit_width(box) -> int:
    """Width of the text field of a combo box as it is drawn (without its arrow and frame)."""
    from PyQt6.QtWidgets import QStyle, QStyleOptionComboBox
    opt = QStyleOptionComboBox()
    box.initStyleOption(opt)
    return box.style().subControlRect(QStyle.ComplexControl.CC_ComboBox, opt,
                                      QStyle.SubControl.SC_ComboBoxEditField, box).width()


@pytest.mark.parametrize("size", [(1600, 1000), (1920, 1080)])
def test_grade_type_status_and_note_are_never_cut(make_window, film, qtbot, size):
    """At 1600 and 1920 px the Grade (with ? / ✓), Type, Status and Note cells show their whole
    text inside the panel, and the panels keep at most 43 % of the window."""
    from PyQt6.QtCore import Qt
    from ui.table import C_GRADE, C_NOTE, C_STATUS, C_TYPE
    from vfa.method.levels import NOT_EVALUABLE_REASONS, Level
    w = make_window()
    w.resize(*size)
    qtbot.waitUntil(lambda: w.width() == size[0], timeout=2000)
    w.size_docks()
    assert w.open_file(film)
    for i in range(7):
        place(w, body_points(i, wedge_px=20 if i == 1 else 0.0))
    t = w.table
    tt = t.table
    # the widest words of each column: every not-evaluable reason, a biconcave type, a grade with ?
    for lv, reason in zip((Level.T8, Level.T9, Level.T10, Level.T11), NOT_EVALUABLE_REASONS):
        box = t.status_boxes[lv.index]
        box.activated.emit(box.findData(f"NE: {reason}"))
        assert w.doc.reading.get(lv).reason == reason
    t.type_boxes[Level.T5.index].activated.emit(2)             # biconcave
    t.type_boxes[Level.T6.index].activated.emit(0)             # auto: "(wedge)" or "—"
    tt.item(Level.T4.index, C_NOTE).setText("Schmorl")
    assert w.doc.reading.get("T4").note == "Schmorl"
    qtbot.waitUntil(lambda: w.table_dock.width() >= min(t.preferred_width(), int(w.width() * 0.43)) - 20,
                    timeout=2000)
    qtbot.wait(50)
    assert w.table_dock.width() <= 0.43 * w.width() + 1          # the film keeps the rest
    assert w.view.width() >= 0.55 * w.width()
    vp = tt.viewport().width()
    assert tt.horizontalScrollBar().maximum() == 0               # no column off the panel
    for c in (C_GRADE, C_TYPE, C_STATUS, C_NOTE):
        assert tt.columnViewportPosition(c) + tt.columnWidth(c) <= vp, f"column {c} is cut"
    assert "?" in t.row_texts("T4")["Grade"]
    fm = tt.fontMetrics()
    for row in range(len(t.grade_boxes)):
        for box in (t.grade_boxes[row], t.type_boxes[row], t.status_boxes[row]):
            assert fm.horizontalAdvance(box.currentText()) <= _edit_width(box), \
                f"row {row}: {box.currentText()!r} is cut"
    # a status shows its short word, says the whole status on hover
    box = t.status_boxes[Level.T11.index]
    assert box.toolTip() == "not evaluable: technically inadequate"
    assert t.row_texts("T11")["Status"] == "NE: technically inadequate"
    # the note: whole in its cell, and on hover
    note = tt.item(Level.T4.index, C_NOTE)
    assert fm.horizontalAdvance(note.text()) + 8 <= tt.columnWidth(C_NOTE)
    assert note.toolTip() == "Schmorl"
    assert tt.item(Level.T4.index, C_NOTE).data(Qt.ItemDataRole.DisplayRole) == "Schmorl"
