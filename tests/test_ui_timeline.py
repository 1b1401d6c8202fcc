"""The patient timeline and the clinical-context panel in the viewer, with real clicks, on the
bundled samples (child01: new T9 at 6 months, L1 reshaping at 12 months)."""

from __future__ import annotations

import pytest

pytest.importorskip("pytestqt")

from PyQt6.QtCore import QPoint, Qt  # noqa: E402

from conftest import SAMPLES  # noqa: E402
from vfa.study.clinical import load_csv  # noqa: E402
from vfa.method.levels import Level  # noqa: E402
from vfa.storage.workspace import Workspace  # noqa: E402


@pytest.fixture
def window_size():
    return (1500, 1150)


@pytest.fixture
def sample_workspace():
    """The default (isolated) workspace with the sample readings and clinical context."""
    ws = Workspace()
    try:
        for f in sorted((SAMPLES / "reference").glob("child01_*.json")):
            ws.import_reading(f)
        ws.import_clinical(load_csv(SAMPLES / "clinical.csv"))
    finally:
        ws.close()


def click_cell(qtbot, grid, visit, level):
    r = grid.cell_rect(visit, level)
    assert r is not None
    qtbot.mouseClick(grid, Qt.MouseButton.LeftButton, pos=QPoint(int(r.center().x()), int(r.center().y())))


def test_timeline_shows_the_course_and_a_click_opens_the_film(sample_workspace, window, qtbot):
    w = window
    assert w.open_file(SAMPLES / "child01" / "2025-03-11" / "lateral.dcm")
    assert not w.timeline.dock.isVisible()
    w.timeline.action.trigger()                            # Patient ▸ Patient timeline
    qtbot.waitUntil(lambda: w.timeline.panel.grid.view is not None)
    panel = w.timeline.panel
    grid = panel.grid
    course = grid.view.course
    assert [v.date.isoformat() for v in course.visits] == ["2024-03-12", "2024-09-10", "2025-03-11"]
    assert course.cell(Level.T9, 1).mark == "N" and course.cell(Level.L1, 2).reshaping == "partial"
    assert [v.sdi_all_visits for v in course.visits] == [5, 6, 5]
    text = panel.header.text()
    assert "VFA-CHILD-01" in text and "new 1 (T9)" in text and "reshaped 1 (L1)" in text
    assert "pamidronate 1 mg/kg/day x 3 days: 2024-03-19" in text
    assert "reader &#x27;reference&#x27;" in text
    assert "T9, 2024-09-10" in grid.describe(1, Level.T9) and "new since" in grid.describe(1, Level.T9)
    assert "L1 reshaped partially: biconcave ratio +9 points" in grid.describe(2, Level.L1)
    # a real click on T9 at 6 months opens that film with T9 selected
    grid.resize(grid.width(), grid.height())
    click_cell(qtbot, grid, 1, Level.T9)
    qtbot.waitUntil(lambda: w.doc is not None and w.doc.reading.study_date.isoformat() == "2024-09-10")
    assert w.selected_level is Level.T9
    assert w.table.table.currentRow() == Level.T9.index and w.layer.selected_level is Level.T9
    # the timeline follows the opened film (same patient, same course)
    qtbot.waitUntil(lambda: panel.grid.view is not None and panel.patient_id == "VFA-CHILD-01")
    # clicking a cell of the film in view only selects the level
    click_cell(qtbot, panel.grid, 1, Level.L1)
    assert w.selected_level is Level.L1 and w.doc.reading.study_date.isoformat() == "2024-09-10"


def test_clinical_panel_validates_and_saves(sample_workspace, window, qtbot):
    from ui.patient_panel import ClinicalDialog
    w = window
    assert w.open_file(SAMPLES / "child01" / "2024-03-12" / "lateral.dcm")
    dlg = ClinicalDialog(w.workspace, "VFA-CHILD-01", w)
    qtbot.addWidget(dlg)
    dlg.show()
    n = dlg.table.rowCount()
    assert n == 11                                          # the sample's rows for the child
    qtbot.mouseClick(dlg.add_button, Qt.MouseButton.LeftButton)
    assert dlg.table.rowCount() == n + 1
    row = n
    dlg.kind_box(row).setCurrentText("bmd_z")
    dlg.table.item(row, 0).setText("2025-09-31")            # no such day
    dlg.table.item(row, 2).setText("-1.8")
    qtbot.mouseClick(dlg.save_button, Qt.MouseButton.LeftButton)
    assert dlg.isVisible()
    assert dlg.errors.text() == (f"Not saved — row {row + 1}: date: expected a date YYYY-MM-DD, "
                                 "got '2025-09-31'")
    assert dlg.table.item(row, 0).background().color().name() == "#ffd7d7"
    dlg.table.item(row, 0).setText("2025-09-09")
    qtbot.mouseClick(dlg.save_button, Qt.MouseButton.LeftButton)
    assert not dlg.isVisible() and dlg.result() == dlg.DialogCode.Accepted
    ctx = w.workspace.clinical("VFA-CHILD-01")
    assert [z for _, z, _ in ctx.bmd_z] == [-3.4, -2.9, -2.2, -1.8]
    # removing a row and saving removes the fact
    dlg2 = ClinicalDialog(w.workspace, "VFA-CHILD-01", w)
    qtbot.addWidget(dlg2)
    dlg2.show()
    last = dlg2.table.rowCount() - 1
    assert dlg2.table.item(last, 2).text() == "-1.8"        # sorted by date: the newest last
    dlg2.table.setCurrentCell(last, 2)
    qtbot.mouseClick(dlg2.remove_button, Qt.MouseButton.LeftButton)
    qtbot.mouseClick(dlg2.save_button, Qt.MouseButton.LeftButton)
    assert [z for _, z, _ in w.workspace.clinical("VFA-CHILD-01").bmd_z] == [-3.4, -2.9, -2.2]
    assert [z for _, z, _ in w.workspace.clinical("VFA-ADULT-01").bmd_z] == [-1.6, -1.4]  # untouched


def test_saving_a_reading_refreshes_the_timeline_with_your_reading(sample_workspace, window, qtbot):
    w = window
    assert w.open_file(SAMPLES / "child01" / "2024-09-10" / "lateral.dcm")   # test-reader: new
    w.timeline.action.trigger()
    qtbot.waitUntil(lambda: w.timeline.panel.grid.view is not None)
    grid = w.timeline.panel.grid
    assert grid.view.course.visits[1].reader == "reference"
    assert w.doc.set_grade(Level.T4, 1)
    assert w.save()
    qtbot.waitUntil(lambda: grid.view.course.visits[1].reader == "test-reader")
    cell = grid.view.course.cell(Level.T4, 1)
    assert cell.grade == 1 and cell.confirmed and cell.change == "incident"
    assert grid.view.course.cell(Level.T9, 1).state == "not_read"        # not placed by you
    assert "reader &#x27;test-reader&#x27; (yours) (1 film(s))" in w.timeline.panel.header.text()
