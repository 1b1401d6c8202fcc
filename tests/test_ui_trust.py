"""A reading session a trial can trust (issue 21): autosave that tells the truth, guided
clicks that go where they should, grading from the keyboard, the layout that keeps the film."""

from __future__ import annotations

import time

import pytest

pytest.importorskip("pytestqt")

from PyQt6.QtCore import QPoint, Qt  # noqa: E402
from PyQt6.QtTest import QTest  # noqa: E402
from PyQt6.QtWidgets import QApplication  # noqa: E402

from ui import dialogs  # noqa: E402
from ui.testing import body_points, click_image, film_array, make_dataset, view_point, write_film  # noqa: E402
from vfa.method.levels import LEVELS, DeformityType, Level  # noqa: E402
from vfa.reading.reading import load_reading  # noqa: E402


@pytest.fixture
def film(tmp_path):
    return write_film(tmp_path / "films" / "a.dcm", patient_id="TRUST1", study_date="20240110")


@pytest.fixture
def spine(tmp_path):
    """A whole spine: thirteen blocks, T4 to L4."""
    ds = make_dataset(1400, 512, patient_id="SPINE1", pixels=film_array(1400, 512, blocks=13))
    path = tmp_path / "films" / "spine.dcm"
    path.parent.mkdir(parents=True, exist_ok=True)
    ds.save_as(path, enforce_file_format=True)
    return path


def active(w, qtbot):
    """Keys reach the window's shortcuts only when it is the active window (as on a desk)."""
    w.activateWindow()
    w.view.setFocus()
    qtbot.waitUntil(w.isActiveWindow, timeout=3000)
    return w


def spine_points(i: int) -> list[tuple[float, float]]:
    return body_points(i, rows=1400, blocks=13)


# ------------------------------------------------------------------ autosave
def test_undone_edit_is_not_offered_after_a_normal_quit(make_window, film, qtbot, asked):
    w1 = make_window()
    w1.open_file(film)
    auto = w1.workspace.autosave_path(w1.doc.reading)
    for x, y in body_points(0)[:2]:
        click_image(w1.view, x, y)
    w1.doc.autosave()                       # the edit was autosaved (waited 2 s)
    assert auto.exists()
    w1.undo()
    w1.undo()                               # back to nothing: the autosave goes
    assert not auto.exists()
    assert not w1.doc.modified
    w1.close()                              # a normal quit asks nothing
    w2 = make_window()
    assert not w2.check_recoveries()
    assert asked["recover"] == []           # nothing offered


def test_rejected_proposals_are_not_offered(make_window, film, qtbot, asked):
    """Proposals made, autosaved, then rejected: the autosave goes; a quit offers nothing."""
    from vfa.method.levels import POINT_SLOTS
    from vfa.reading.proposal import Proposal
    w1 = make_window()
    w1.open_file(film)
    assert w1.save()                        # a saved (empty) reading
    auto = w1.workspace.autosave_path(w1.doc.reading)
    pts = dict(zip(POINT_SLOTS, body_points(0)))
    proposals = {Level.T4: {s: Proposal(x, y, 0.9, "one-click") for s, (x, y) in pts.items()}}
    assert w1.doc.propose(proposals, "propose T4")
    assert w1.doc.pending_levels() == [Level.T4]
    w1.doc.autosave()
    assert auto.exists()
    assert w1.doc.reject_proposals()
    assert not auto.exists() and not w1.doc.modified
    w1.close()
    w2 = make_window()
    assert not w2.check_recoveries()
    assert asked["recover"] == []


def test_an_autosave_equal_to_the_saved_reading_is_dropped(make_window, film, qtbot, asked):
    """A leftover autosave (e.g. of a killed session) that equals the saved reading."""
    w1 = make_window()
    w1.open_file(film)
    click_image(w1.view, *body_points(0)[0])
    assert w1.save()
    auto = w1.workspace.autosave_path(w1.doc.reading)
    from vfa.reading.reading import save_reading
    save_reading(w1.doc.reading, auto)
    w1.hide()
    w2 = make_window()
    assert not w2.check_recoveries()
    assert asked["recover"] == [] and not auto.exists()


def test_recovery_says_what_differs_from_the_saved_reading(make_window, film, qtbot, asked):
    w1 = make_window()
    w1.open_file(film)
    for x, y in body_points(0):
        click_image(w1.view, x, y)
    assert w1.save()
    for x, y in body_points(1)[:3]:
        click_image(w1.view, x, y)
    w1.doc.autosave()
    w1.doc.history.mark_saved()             # the window dies without asking
    w1.hide()
    w2 = make_window()
    asked["answers"]["recover"] = dialogs.RECOVER
    assert w2.check_recoveries()
    assert "T5 differ from the saved reading" in asked["recover"][-1][0]
    # undoing the recovered work back to the saved reading leaves nothing unsaved
    assert w2.doc.modified
    w2.doc.reading.remove_vertebra(Level.T5)
    w2.doc.history.commit("remove")
    assert not w2.doc.modified


def test_grade_type_confirm_autosave_at_once(make_window, film, qtbot):
    w = make_window()
    w.open_file(film)
    auto = w.workspace.autosave_path(w.doc.reading)
    w.doc.autosave_timer.setInterval(60_000)
    active(w, qtbot)
    w.select_level(Level.T6, centre=False)
    qtbot.keyClick(w.view, Qt.Key.Key_2)
    assert auto.exists() and load_reading(auto, check_geometry=False).get("T6").reader_grade == 2
    auto.unlink()
    qtbot.keyClick(w.view, Qt.Key.Key_C, Qt.KeyboardModifier.AltModifier)
    assert load_reading(auto, check_geometry=False).get("T6").reader_type is DeformityType.CRUSH


def test_steady_work_is_autosaved_within_the_maximum_wait(make_window, film, qtbot):
    """A reader clicking every 0.4 s: the quiet-period timer alone would never fire."""
    w = make_window()
    w.open_file(film)
    auto = w.workspace.autosave_path(w.doc.reading)
    pts = body_points(0) + body_points(1) + body_points(2)
    first = None
    for x, y in pts:
        click_image(w.view, x, y)
        first = first or time.monotonic()
        qtbot.wait(400)
        if auto.exists():
            break
    assert auto.exists(), "never autosaved during steady work"
    assert time.monotonic() - first < 2.0 + 0.8     # the maximum wait (+ one click's delay)
    assert len(load_reading(auto, check_geometry=False).get("T4").points) >= 4


# ------------------------------------------------------------------ guided clicks
def test_click_12px_beside_a_neighbours_corner_places_the_expected_point(make_window, film, qtbot):
    w = make_window()
    w.open_file(film)
    w.view.fit()
    for x, y in body_points(0):
        click_image(w.view, x, y)
    assert w.doc.guide.target.level is Level.T5
    corner = view_point(w.view, *body_points(0)[3])       # T4's inferior anterior corner
    h = w.layer.handle(Level.T4, "inferior_anterior")
    assert h is not None and h.hit_radius() < 9            # the ring as drawn
    click = corner + QPoint(8, 9)                          # ~12 px away, inside the old square
    QTest.mouseClick(w.view.viewport(), Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier,
                     click)
    t5 = w.doc.reading.get(Level.T5)
    assert t5 is not None and len(t5.points) == 1           # the point went to T5
    p = w.view.map_view_to_image(click)
    (px, py), = t5.points.values()
    assert abs(px - p.x()) < 1.5 and abs(py - p.y()) < 1.5
    assert len(w.doc.reading.get(Level.T4).points) == 6
    # inside the visible ring: the handle is grabbed, no point placed
    QTest.mouseClick(w.view.viewport(), Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier,
                     corner + QPoint(1, 1))
    assert len(w.doc.reading.get(Level.T5).points) == 1
    assert h.isSelected()


# ------------------------------------------------------------------ keyboard
def test_a_whole_spine_graded_with_clicks_and_keys_only(make_window, spine, qtbot):
    w = make_window()
    w.open_file(spine)
    w.view.fit()
    for i in range(13):
        for x, y in spine_points(i):
            click_image(w.view, x, y)
    assert all(w.doc.reading.get(lv).complete for lv in LEVELS)
    active(w, qtbot)
    view = w.view
    for _ in range(12):
        qtbot.keyClick(view, Qt.Key.Key_PageUp)
    assert w.doc.current_level is Level.T4
    keys = {Level.T7: [Qt.Key.Key_2], Level.T12: [Qt.Key.Key_Q], Level.L1: [Qt.Key.Key_1]}
    for lv in LEVELS:
        assert w.doc.current_level is lv
        for k in keys.get(lv, [Qt.Key.Key_Y]):
            qtbot.keyClick(view, k)
        if lv is Level.T7:
            qtbot.keyClick(view, Qt.Key.Key_W, Qt.KeyboardModifier.AltModifier)
        qtbot.keyClick(view, Qt.Key.Key_BracketRight)
    s = w.doc.summary()
    assert all(r.confirmed for r in s.results)
    r = w.doc.reading
    assert r.get(Level.T7).reader_grade == 2 and r.get(Level.T7).reader_type is DeformityType.WEDGE
    assert r.get(Level.T12).reader_grade == 0.5 and r.get(Level.L1).reader_grade == 1
    qtbot.keyClick(view, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)
    assert not w.doc.modified


def test_zoom_keys_do_not_collide_and_arrows_pan(make_window, film, qtbot):
    w = make_window()
    w.open_file(film)
    active(w, qtbot)
    z = w.view.zoom
    qtbot.keyClick(w.view, Qt.Key.Key_Plus)
    assert w.view.zoom > z
    qtbot.keyClick(w.view, Qt.Key.Key_Minus)
    assert abs(w.view.zoom - z) < 1e-6
    qtbot.keyClick(w.view, Qt.Key.Key_1, Qt.KeyboardModifier.ControlModifier)
    assert w.view.zoom == 1.0
    before = w.view.map_view_to_image(w.view.viewport().rect().center())
    qtbot.keyClick(w.view, Qt.Key.Key_Right)
    after = w.view.map_view_to_image(w.view.viewport().rect().center())
    assert after.x() < before.x() - 5                      # the film moved right
    assert "border: 2px solid #3d8fe0" in w.view.styleSheet()   # the focus is drawn


def test_f1_shows_every_key(make_window, qtbot):
    w = active(make_window(), qtbot)
    qtbot.keyClick(w.view, Qt.Key.Key_F1)
    dlg = next(d for d in QApplication.topLevelWidgets() if d.objectName() == "CheatSheet")
    t = dlg.findChild(type(w.table.table))
    rows = {t.item(i, 1).text(): t.item(i, 0).text() for i in range(t.rowCount())}
    assert rows["Grade 2"] == "2" and rows["Type wedge"] == "Alt+W"
    assert rows["Confirm grade of the level"] == "Y"
    dlg.close()


# ------------------------------------------------------------------ layout
def test_choosing_a_visible_row_does_not_move_the_film(make_window, film, qtbot):
    w = make_window()
    w.open_file(film)
    for i in range(5):                                     # T4 to T8
        for x, y in body_points(i):
            click_image(w.view, x, y)
    w.view.fit()
    centre = w.view.map_view_to_image(w.view.viewport().rect().center())
    t = w.table.table
    rect = t.visualRect(t.model().index(LEVELS.index(Level.T5), 0))
    QTest.mouseClick(t.viewport(), Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier,
                     rect.center())
    assert w.doc.selected_level is Level.T5
    again = w.view.map_view_to_image(w.view.viewport().rect().center())
    assert abs(again.x() - centre.x()) < 0.5 and abs(again.y() - centre.y()) < 0.5
    # zoomed in, a level out of sight is brought to the centre
    w.view.set_zoom(6.0)
    w.view.center_on_image(*body_points(0)[0])
    rect = t.visualRect(t.model().index(LEVELS.index(Level.T4) + 4, 0))     # T8 (block 4)
    QTest.mouseClick(t.viewport(), Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier,
                     rect.center())
    c = w.layer.level_center(Level.T8)
    assert w._on_screen(c)


def test_grade_column_shows_the_mark(make_window, film, qtbot):
    w = make_window()
    w.open_file(film)
    for x, y in body_points(0, wedge_px=14):
        click_image(w.view, x, y)
    g = w.table.grade_boxes[0]
    assert g.currentText().endswith("?")
    fm = g.fontMetrics()
    assert fm.horizontalAdvance(g.currentText()) + 24 <= w.table.table.columnWidth(8)


def test_timeline_docks_beside_the_film_and_tabs_stay(make_window, film, qtbot):
    w = make_window()
    w.open_file(film)
    assert w.dockWidgetArea(w.timeline.dock) == Qt.DockWidgetArea.RightDockWidgetArea
    assert w.save()
    qtbot.waitUntil(lambda: w.front_dock() is w.table_dock)               # Grading in front
    w.show_compare(True)
    assert w.stack.currentIndex() == 1
    w.show_compare(False)
    qtbot.waitUntil(lambda: w.front_dock() is w.table_dock)               # ... still in front
    assert w.browser_dock.toggleViewAction().isChecked()                  # Patients kept, behind


def test_first_start_fills_the_available_screen(qtbot, tmp_path, monkeypatch):
    from ui.mainwindow import MainWindow
    monkeypatch.setenv("VFA_SETTINGS", str(tmp_path / "viewer.ini"))
    w = MainWindow(tmp_path / "ws")
    qtbot.addWidget(w)
    avail = w.screen().availableGeometry()
    assert w.width() == min(avail.width(), 2560) and w.height() == min(avail.height(), 1600)


# ------------------------------------------------------------------ start-up
def test_the_first_film_is_painted_before_the_workspace_opens(qtbot, monkeypatch, tmp_path, film):
    """``vfa-viewer FILM``: the film is in view before the workspace (SQLAlchemy, index)
    opens; then the saved reading of the film comes with it."""
    from ui import app as ui_app
    from ui.mainwindow import MainWindow
    from vfa.storage import workspace as wsmod
    monkeypatch.setenv("VFA_SETTINGS", str(tmp_path / "viewer.ini"))
    monkeypatch.setenv("VFA_LOG_DIR", str(tmp_path / "logs"))
    ws_dir = tmp_path / "ws"
    # a saved reading of the film in the workspace
    from vfa.films.radiograph import load_radiograph
    from vfa.reading.reading import Reading
    ws = wsmod.Workspace(ws_dir)
    r = Reading.for_radiograph(load_radiograph(film), reader="test-reader")
    r.set_reader_grade("T9", 2)
    ws.save(r)
    ws.close()
    order = []
    # the window this call creates (not a stale MainWindow another test left among the top levels)
    created: list = []
    real_win_init = MainWindow.__init__

    def win_init(self, *a, **k):
        created.append(self)
        real_win_init(self, *a, **k)

    monkeypatch.setattr(MainWindow, "__init__", win_init)
    real_init = wsmod.Workspace.__init__

    def init(self, *a, **k):
        win = created[0] if created else None
        order.append(("workspace", win is not None and win.view.radiograph is not None))
        real_init(self, *a, **k)

    monkeypatch.setattr(wsmod.Workspace, "__init__", init)
    seen = {}

    def fake_exec(self=None):
        assert len(created) == 1
        win = created[0]
        qtbot.addWidget(win)
        qtbot.waitUntil(lambda: win.doc is not None, timeout=10000)
        seen["grade"] = win.doc.reading.get("T9").reader_grade
        seen["browser"] = win.browser.workspace is not None
        win.close()
        return 0

    monkeypatch.setattr(QApplication, "exec", fake_exec)
    import sys
    hook = sys.excepthook
    try:
        assert ui_app.main([str(film), "--workspace", str(ws_dir)]) == 0
    finally:
        sys.excepthook = hook
    assert order == [("workspace", True)]          # opened once, with the film already in view
    assert seen == {"grade": 2, "browser": True}
