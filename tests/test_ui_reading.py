"""The reading view driven with real mouse events: place, drag, grade, undo, save, re-open."""

from __future__ import annotations


import pytest

# `ui` is not in the editable install made before it existed: import it from the checkout.

pytest.importorskip("PyQt6")
pytest.importorskip("pytestqt")

from PyQt6.QtCore import QPoint, Qt  # noqa: E402

from ui import dialogs  # noqa: E402
from ui.testing import click_image, drag_image, write_film  # noqa: E402
from vfa.method.levels import Level, PointSlot, Status  # noqa: E402

ORDER = [PointSlot.SUPERIOR_ANTERIOR, PointSlot.SUPERIOR_MIDDLE, PointSlot.SUPERIOR_POSTERIOR,
         PointSlot.INFERIOR_ANTERIOR, PointSlot.INFERIOR_MIDDLE, PointSlot.INFERIOR_POSTERIOR]


def body(i: int, wedge_px: float = 0.0) -> list[tuple[float, float]]:
    """Six points (guide order) on block ``i`` of the synthetic film; ``wedge_px`` lowers the
    superior anterior corner (anterior height loss)."""
    y0 = 640 / 7 * (i + 0.6)
    y1 = y0 + 64
    return [(180, y0 + wedge_px), (256, y0 + 1), (330, y0), (180, y1), (256, y1 - 1), (330, y1)]


@pytest.fixture
def answers(asked):
    """Every dialog answered without blocking (tests/conftest.py); what was asked is recorded."""
    return asked


@pytest.fixture
def film(tmp_path):
    return write_film(tmp_path / "films" / "lat.dcm", sop_uid="1.2.826.0.1.3680043.10.99.1",
                      study_uid="1.2.826.0.1.3680043.10.99")


def place(w, points):
    for x, y in points:
        click_image(w.view, x, y)


def test_place_two_levels_and_read_table(make_window, film, answers):
    w = make_window()
    assert w.open_file(film)
    assert w.guide_bar.next_label.text() == "Next: T4 — superior anterior corner"
    place(w, body(0)[:1])
    assert w.guide_bar.next_label.text() == "Next: T4 — superior endplate middle"
    place(w, body(0)[1:])
    assert w.guide_bar.next_label.text() == "Next: T5 — superior anterior corner"
    place(w, body(1, wedge_px=20))
    assert w.doc.reading.get("T4").complete and w.doc.reading.get("T5").complete
    # points are stored in image coordinates (within one screen pixel of the click)
    x, y = w.doc.reading.get("T4").points[PointSlot.SUPERIOR_POSTERIOR]
    tol = 1.0 / w.view.zoom + 1e-6
    assert abs(x - 330) <= tol and abs(y - 640 / 7 * 0.6) <= tol

    t4 = w.table.row_texts("T4")
    t5 = w.table.row_texts("T5")
    assert t4["Suggested"].startswith("0 ")
    # grade, then the reduction it comes from; the type is in the Type column
    assert t5["Suggested"] == "2 (31.6 %)"        # Ha 44 / Hp 64 -> 31 %
    assert t5["Type"] == "(wedge)"
    assert float(t5["Ha"]) == pytest.approx(44 * 0.2, abs=0.5)   # mm (Pixel Spacing 0.2)
    assert t5["Grade"] == "(2) ?"    # the suggestion, in brackets, not yet confirmed
    assert "SDI 2" in w.table.summary_label.text()
    assert "fractured 1" in w.table.summary_label.text()
    assert w.isWindowModified()
    assert answers["errors"] == []


def test_drag_point_updates_table_live_and_undo_is_one_step(make_window, film, qtbot):
    w = make_window()
    w.open_file(film)
    place(w, body(0) + body(1))
    before = w.table.row_texts("T5")["Ha"]
    steps_seen = []
    w.doc.changed.connect(lambda e: steps_seen.append(w.table.row_texts("T5")["Ha"]))
    x0, y0 = body(1)[0]
    undo_steps = len(w.doc.history)
    drag_image(w.view, x0, y0, x0, y0 + 20, steps=4)
    after = w.table.row_texts("T5")["Ha"]
    assert float(after) == pytest.approx(float(before) - 20 * 0.2, abs=0.4)
    assert len(set(steps_seen)) >= 3            # the table followed the drag
    assert len(w.doc.history) == undo_steps + 1  # one undo step for the whole drag
    assert not w.view.loupe.isVisible()
    w.undo()
    assert w.table.row_texts("T5")["Ha"] == before
    w.redo()
    assert w.table.row_texts("T5")["Ha"] == after


def test_loupe_shows_while_dragging(make_window, film):
    from ui.testing import send_mouse, view_point
    w = make_window()
    w.open_file(film)
    place(w, body(0))
    x, y = body(0)[2]
    vp = w.view.viewport()
    p = view_point(w.view, x, y)
    send_mouse(vp, "press", p, Qt.MouseButton.LeftButton)
    send_mouse(vp, "move", p + QPoint(5, 5), Qt.MouseButton.LeftButton)
    assert w.view.loupe.isVisible()
    send_mouse(vp, "release", p + QPoint(5, 5), Qt.MouseButton.LeftButton)
    assert not w.view.loupe.isVisible()


def test_grade_type_status_note_edits_and_undo(make_window, film):
    w = make_window()
    w.open_file(film)
    place(w, body(0) + body(1))
    row = Level.T4.index
    w.table.grade_boxes[row].activated.emit(1 + 1)    # "0.5"
    assert w.doc.reading.get("T4").reader_grade == 0.5
    w.table.type_boxes[row].activated.emit(2)         # biconcave
    assert w.doc.reading.get("T4").reader_type.value == "biconcave"
    st = w.table.status_boxes[Level.T6.index]
    st.activated.emit(st.findData("NE: hardware"))
    assert w.doc.reading.get("T6").status is Status.NOT_EVALUABLE
    assert "not evaluable 1" in w.table.summary_label.text()
    w.table.table.item(row, 11).setText("Schmorl node")
    assert w.doc.reading.get("T4").note == "Schmorl node"
    for _ in range(4):
        w.undo()
    assert w.doc.reading.get("T4").reader_grade is None
    assert w.table.grade_boxes[row].currentText() == "(0) ?"  # the suggestion again, unconfirmed


def test_delete_point_vertebra_skip_not_evaluable_relabel(make_window, film, answers, monkeypatch):
    w = make_window()
    w.open_file(film)
    place(w, body(0) + body(1))
    # select a handle by clicking it, then Delete
    x, y = body(1)[4]
    click_image(w.view, x, y)
    assert w.selected_level is Level.T5
    w.a_del_point.trigger()
    assert PointSlot.INFERIOR_MIDDLE not in w.doc.reading.get("T5").points
    assert w.guide_bar.next_label.text() == "Next: T5 — inferior endplate middle"
    w.a_del_vertebra.trigger()
    assert w.doc.reading.get("T5") is None
    w.undo()
    assert len(w.doc.reading.get("T5").points) == 5
    # skip and not evaluable from the guide bar
    w._guide_jump(Level.T6)
    w.guide_bar.skip_button.click()
    assert w.doc.guide.level is Level.T7
    w.guide_bar.ne_button.click()
    assert w.doc.reading.get("T7").status is Status.NOT_EVALUABLE
    assert w.doc.reading.get("T7").reason == "hardware"
    assert w.doc.guide.level is Level.T8
    # relabel: everything one level down
    monkeypatch.setattr(dialogs, "ask_shift", lambda parent: 1)
    w.a_relabel.trigger()
    assert w.doc.reading.get("T5").complete and w.doc.reading.get("T8").status is Status.NOT_EVALUABLE
    w.undo()
    assert w.doc.reading.get("T4").complete


def test_geometry_error_is_a_warning_not_a_crash(make_window, film, answers):
    w = make_window()
    w.open_file(film)
    pts = body(0)
    # superior anterior placed below the inferior anterior: impossible
    pts[0] = (180, pts[3][1] + 30)
    place(w, pts)
    assert Level.T4 in w.doc.geometry_errors()
    assert "⚠" in w.table.row_texts("T4")["Suggested"]
    assert "T4" in w.geom_label.text()
    assert not w.save()                       # refused with a clear message
    assert answers["errors"] and "T4" in answers["errors"][-1]
    w.undo()                                  # fixing it clears the warning
    place(w, [body(0)[5]])
    w.doc.reading.set_point("T4", "superior_anterior", body(0)[0])
    assert w.doc.geometry_errors() == {}
    assert w.geom_label.text() == ""


def test_save_reopen_restores_exactly(make_window, film, answers):
    w = make_window()
    w.open_file(film)
    place(w, body(0) + body(1, wedge_px=20))
    w.table.grade_boxes[Level.T5.index].activated.emit(5)     # reader grade 3
    assert w.save()
    assert not w.isWindowModified()
    saved = w.doc.reading.to_dict()
    # browser shows the film with its SDI
    films = w.browser.film_items()
    assert len(films) == 1 and films[0].text(1).startswith("SDI 3")
    w.close()

    w2 = make_window()
    assert w2.open_file(film)
    again = w2.doc.reading.to_dict()
    for k in ("vertebrae", "sop_instance_uid", "spacing_source", "pixel_spacing_mm"):
        assert again[k] == saved[k]
    assert w2.table.row_texts("T5")["Grade"] == "3"
    assert not w2.isWindowModified()
    assert w2.doc.guide.level is Level.T6   # guide continues after the read levels


def test_close_with_unsaved_changes_asks(make_window, film, answers):
    w = make_window()
    w.open_file(film)
    place(w, body(0)[:2])
    assert w.windowTitle().endswith("[*]") and w.isWindowModified()
    answers["answers"]["unsaved"] = dialogs.CANCEL
    assert not w.close()
    assert w.isVisible()
    answers["answers"]["unsaved"] = dialogs.SAVE
    assert w.close()
    assert len(answers["unsaved"]) == 2
    assert w.workspace is not None


def test_autosave_after_change(make_window, film, qtbot):
    w = make_window()
    w.open_file(film)
    w.doc.autosave_timer.setInterval(50)
    place(w, body(0)[:3])
    path = w.workspace.autosave_path(w.doc.reading)
    qtbot.waitUntil(path.exists, timeout=3000)
    assert w.workspace.pending_recoveries() == [path]
    assert w.save()
    assert not path.exists()


def test_undo_menu_names_the_last_step(make_window, film):
    w = make_window()
    w.open_file(film)
    assert not w.a_undo.isEnabled()
    place(w, body(0)[:1])
    assert w.a_undo.text() == "&Undo place T4 superior anterior corner"
    x, y = body(0)[0]
    drag_image(w.view, x, y, x + 10, y)
    assert w.a_undo.text() == "&Undo move T4 superior anterior corner"
    w.undo()
    assert w.a_redo.isEnabled() and w.a_redo.text() == "&Redo move T4 superior anterior corner"


def test_model_changes_update_the_view(make_window, film):
    """napari's rule: a change of the model (here the Reading) updates markers and table."""
    from ui import colors
    w = make_window()
    w.open_file(film)
    pts = dict(zip([s.value for s in ORDER], body(2)))
    w.doc.reading.set_points("T6", pts)
    h = w.layer.handle("T6", "inferior_posterior")
    assert (h.pos().x(), h.pos().y()) == pts["inferior_posterior"]
    assert w.table.row_texts("T6")["Suggested"].startswith("0 ")
    assert w.layer.items[Level.T6].color == colors.grade_color(0)
    w.doc.reading.set_reader_grade("T6", 3)
    assert w.table.row_texts("T6")["Grade"] == "3"
    assert w.layer.items[Level.T6].color == colors.grade_color(3)
    assert w.layer.items[Level.T6].label.text == "T6 · 3"      # a reader grade: confirmed
    w.doc.reading.set_reader_grade("T6", None)
    assert w.layer.items[Level.T6].label.text == "T6 · 0?"     # the suggestion, unconfirmed
    w.doc.reading.set_reader_grade("T6", 3)
    w.doc.reading.set_status("T6", Status.NOT_EVALUABLE, "rotated/oblique")
    assert w.layer.items[Level.T6].color == colors.NOT_EVALUABLE
    assert w.table.row_texts("T6")["Status"] == "NE: rotated/oblique"
    w.doc.reading.set_point("T6", "inferior_posterior", (300.0, 400.0))
    assert (h.pos().x(), h.pos().y()) == (300.0, 400.0)


def test_selecting_a_row_centres_the_film_on_the_vertebra(make_window, film):
    from PyQt6.QtCore import QPointF
    w = make_window()
    w.open_file(film)
    place(w, body(0) + body(4))
    w.view.zoom_by(3)
    # T5 (placed on the fifth block) is already the selected row: a click centres it again
    from PyQt6.QtTest import QTest
    t = w.table.table
    QTest.mouseClick(t.viewport(), Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier,
                     t.visualItemRect(t.item(Level.T5.index, 0)).center())
    assert w.selected_level is Level.T5 and w.layer.selected_level is Level.T5
    c = w.view.map_view_to_image(QPointF(w.view.viewport().rect().center()))
    lc = w.layer.level_center(Level.T5)
    assert abs(c.x() - lc.x()) <= 1 and abs(c.y() - lc.y()) <= 1
    w.table.table.selectRow(Level.T12.index)   # not annotated: the guide goes there
    assert w.doc.guide.level is Level.T12
