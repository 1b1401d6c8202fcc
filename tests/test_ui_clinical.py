"""Clinical method v2 in the viewer: confirming grades (Enter on a row, Confirm all, undo),
the age of a patient whose film has none, and ratio trends / reshaping in the change table."""

from __future__ import annotations

import pytest

pytest.importorskip("pytestqt")

from PyQt6.QtCore import Qt  # noqa: E402

from ui.testing import body_points, click_image, write_film  # noqa: E402
from vfa.method.levels import Level  # noqa: E402


def place(w, levels_wedges):
    start = len([v for v in w.doc.reading if v.complete]) if w.doc is not None else 0
    for i, wedge in enumerate(levels_wedges, start):
        for x, y in body_points(i, wedge_px=wedge):
            click_image(w.view, x, y)


def test_enter_on_a_row_confirms_and_confirm_all_is_one_undo_step(window, tmp_path, qtbot):
    w = window
    assert w.open_file(write_film(tmp_path / "a.dcm"))
    place(w, [0, 20, 0])
    t = w.table
    assert t.row_texts("T5")["Grade"] == "(2) ?"
    assert "unconfirmed 3" in t.summary_label.text()
    # Enter on the T5 row confirms T5 only
    t.table.setCurrentCell(Level.T5.index, 0)
    t.table.setFocus()
    qtbot.keyClick(t.table, Qt.Key.Key_Return)
    assert w.doc.reading.get("T5").confirmed
    assert t.row_texts("T5")["Grade"] == "(2) ✓"
    assert "unconfirmed 2" in t.summary_label.text()
    w.a_undo.trigger()
    assert not w.doc.reading.get("T5").confirmed
    # Confirm all graded levels: one step, undone at once; with three levels read, no
    # crush is assessable (too few reference levels): all are skipped, and the bar says why
    w.a_confirm_all.trigger()
    assert not any(w.doc.reading.get(lv).confirmed for lv in ("T4", "T5", "T6"))
    assert w.statusBar().currentMessage() == (
        "Confirmed 0 levels; skipped 3: 3 crush n/a (too few reference levels) (T4, T5, T6) — "
        "confirm those one by one")
    place(w, [0, 0, 0])                                     # T7, T8, T9
    w.a_confirm_all.trigger()
    done = ("T4", "T5", "T6", "T7")
    assert all(w.doc.reading.get(lv).confirmed for lv in done)
    # T8's and T9's six nearest hold three candidates each (T5, graded 2, is none)
    assert not w.doc.reading.get("T8").confirmed and not w.doc.reading.get("T9").confirmed
    assert "skipped 2: 2 crush n/a (too few reference levels) (T8, T9)" in w.statusBar().currentMessage()
    assert "unconfirmed 2" in t.summary_label.text()
    assert "confirm all graded levels" in w.a_undo.text()
    w.a_undo.trigger()
    assert not any(w.doc.reading.get(lv).confirmed for lv in done)
    # a reader grade confirms by itself
    w.doc.set_grade(Level.T6, 1)
    assert w.doc.summary().results[Level.T6.index].confirmed


def test_age_unknown_is_entered_once_per_patient(window, tmp_path, asked):
    w = window
    first = write_film(tmp_path / "v1.dcm", patient_id="KID", birth_date="",
                       study_date="20230101", sop_uid="1.2.826.0.1.3680043.10.98.1")
    second = write_film(tmp_path / "v2.dcm", patient_id="KID", birth_date="",
                        study_date="20240101", sop_uid="1.2.826.0.1.3680043.10.98.2")
    assert w.open_file(first)
    place(w, [0, 20])
    t = w.table
    assert t.age_button.isVisible() and "Age unknown: adult rules apply" in t.detail_label.text()
    # "advisory" is said once, in the header (*) and the line above, not in every cell
    assert t.table.horizontalHeaderItem(7).text() == "Suggested"
    assert "advisory" not in t.detail_label.text()
    t.age_button.click()
    assert asked["ages"] == [None]
    assert w.doc.reading.age_years == 11.0
    assert t.table.horizontalHeaderItem(7).text() == "Suggested*"
    assert "suggested grades are advisory" in t.detail_label.text()
    assert "advisory" not in t.row_texts("T5")["Suggested"]
    assert "Age 11.0 y (entered)" in t.detail_label.text()
    w.a_undo.trigger()
    assert w.doc.reading.age_years is None
    w.a_redo.trigger()
    assert w.save()
    # the next visit of the patient takes the age from the first one
    assert w.open_file(second)
    assert w.doc.reading.age_years == pytest.approx(12.0, abs=0.01)
    assert w.doc.summary().paediatric is True
    assert len(asked["ages"]) == 1
