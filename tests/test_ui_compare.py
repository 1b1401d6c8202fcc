"""Comparison of two visits: side by side, synchronised selection, linked window/level,
change table, trend plot — after saving and re-opening real readings."""

from __future__ import annotations


import pytest


pytest.importorskip("pytestqt")

from PyQt6.QtCore import QPoint, QPointF, Qt  # noqa: E402

from ui.testing import (body_points, click_image, drag_view, two_visit_films,  # noqa: E402
                        write_film)
from vfa.films.display import render  # noqa: E402
from vfa.method.levels import Level  # noqa: E402
from vfa.films.windowing import WindowChoice  # noqa: E402


@pytest.fixture
def window_size():
    return (1500, 950)


@pytest.fixture
def visits(tmp_path):
    base = write_film(tmp_path / "v1.dcm", patient_id="PX", study_date="20220101", seed=1)
    follow = write_film(tmp_path / "v2.dcm", patient_id="PX", study_date="20230601", seed=2,
                        pixel_spacing=(0.18, 0.18))
    return base, follow


def read(w, film, wedges):
    """Open ``film`` and place T4-T6 with the given anterior height losses (px); save."""
    assert w.open_file(film)
    for i, wedge in enumerate(wedges):
        for x, y in body_points(i, wedge_px=wedge):
            click_image(w.view, x, y)
    assert w.save()


def centre_of_view(view) -> QPointF:
    return view.map_view_to_image(QPointF(view.viewport().rect().center()))


def test_compare_two_visits(window, visits, qtbot):
    w = window
    base, follow = visits
    read(w, base, [0, 0, 0])
    read(w, follow, [0, 20, 0])           # T5 becomes a wedge fracture: incident
    w.a_compare.trigger()
    cv = w.compare_view
    assert w.stack.currentWidget() is cv and not w.table_dock.isVisible()
    assert cv.left.title.text().startswith("Baseline: 2022-01-01")
    assert cv.right.title.text().startswith("Follow-up: 2023-06-01")
    assert cv.left.view.radiograph is not None and cv.right.view.radiograph is w.doc.radiograph
    assert len(cv.left.layer.handle("T5", "superior_anterior").scene().items()) > 0
    # change table: T5 incident and highlighted
    row = Level.T5.index
    assert cv.table.item(row, 3).text() == "incident"
    assert cv.table.item(row, 1).text() == "0? crush n/a" and cv.table.item(row, 2).text() == "2? crush n/a"  # unconfirmed; T4-T6 only: too few reference levels
    assert cv.table.item(row, 0).background().color().name() != "#000000"
    assert cv.table.item(Level.T4.index, 3).text() == "unchanged"
    assert "incident: T5" in cv.headline.text()
    # selecting a level centres it on both films
    cv.table.selectRow(Level.T6.index)
    for side in (cv.left, cv.right):
        c = centre_of_view(side.view)
        lc = side.layer.level_center(Level.T6)
        assert abs(c.x() - lc.x()) <= 2 / side.view.zoom and abs(c.y() - lc.y()) <= 2 / side.view.zoom
        assert side.layer.selected_level is Level.T6
    # clicking a marker on one film selects the level on both
    h = cv.right.layer.handle("T4", "inferior_middle")
    click_image(cv.right.view, h.pos().x(), h.pos().y())
    assert cv.left.layer.selected_level is Level.T4 and cv.selected_level is Level.T4
    assert cv.table.selectedIndexes()[0].row() == Level.T4.index
    # linked window/level: right-drag on the baseline changes both
    v0 = cv.left.view
    c = v0.viewport().rect().center()
    drag_view(v0, c, c + QPoint(100, 40), Qt.MouseButton.RightButton)
    # linked in relative terms: the same share of each film's brightness range
    a = WindowChoice.of(v0.radiograph, v0.settings)
    b = WindowChoice.of(cv.right.view.radiograph, cv.right.view.settings)
    assert a.preset is None and b.dark == pytest.approx(a.dark, abs=0.01)
    assert b.bright == pytest.approx(a.bright, abs=0.01)
    cv.link_wl.setChecked(False)
    drag_view(v0, c, c + QPoint(-60, 0), Qt.MouseButton.RightButton)
    assert cv.right.view.current_window() != v0.current_window()
    # trend plot: both visits, SDI 0 -> 2
    assert [s for _d, s in cv.plot.sdi] == [0, 2]
    # ratios, not millimetres: (date, wedge, biconcave, crush) per visit
    assert cv.plot.level == "T4" and len(cv.plot.ratios) == 2
    assert all(0.9 < wedge < 1.1 for _d, wedge, _b, _c in cv.plot.ratios)
    # the change table says in words what moved
    assert cv.table.item(Level.T5.index, 8).text().startswith("wedge ratio -3")
    # live: grading the open film updates the comparison
    # (same points, baseline suggestion unconfirmed: a grade change with no measured change
    # is "uncertain" until the reader confirms the baseline, docs/clinical-method.md)
    w.doc.set_grade(Level.T6, 1)
    assert cv.table.item(Level.T6.index, 3).text() == "uncertain"
    # back to reading
    cv.back.click()
    assert w.stack.currentIndex() == 0 and w.table_dock.isVisible()


def test_compare_from_the_earlier_visit_and_without_other_readings(window, visits):
    w = window
    base, follow = visits
    w.open_file(base)
    w.a_compare.trigger()
    assert "No other saved reading" in w.compare_view.headline.text()
    w.show_compare(False)
    read(w, follow, [0, 0, 0])
    read(w, base, [0, 0, 0])   # now the open film is the earlier one
    w.show_compare(True)
    cv = w.compare_view
    assert cv.left.reading is w.doc.reading     # the open film is the baseline
    assert cv.right.title.text().startswith("Follow-up: 2023-06-01")
    assert all(cv.table.item(r, 3).text() == "unchanged" for r in range(3))


def test_click_inside_a_vertebra_selects_it_on_both(window, visits):
    w = window
    base, follow = visits
    read(w, base, [0, 0, 0])
    read(w, follow, [0, 0, 0])
    w.show_compare(True)
    cv = w.compare_view
    c = cv.left.layer.level_center(Level.T5)
    click_image(cv.left.view, c.x(), c.y())
    assert cv.selected_level is Level.T5 and cv.right.layer.selected_level is Level.T5


def pane_image(side):
    """What a comparison pane shows of its film (its display buffer, as rendered)."""
    import numpy as np
    return np.asarray(side.view.image_item._buf, dtype=float)


def test_linked_window_level_maps_through_each_films_own_display(window, tmp_path, qtbot):
    """A 12-bit MONOCHROME1 baseline beside a 16-bit MONOCHROME2 follow-up: linked, both look
    like each film shown alone (not black, not a negative), after a right-drag too; unlinking
    leaves them as they are and a drag then moves one film only."""
    w = window
    base, follow = two_visit_films(tmp_path / "films")
    for film in (base, follow):
        assert w.open_file(film)
        for x, y in body_points(0):
            click_image(w.view, x, y)
        assert w.save()
    alone = {}
    for film in (base, follow):
        assert w.open_file(film)
        alone[film.name] = render(w.doc.radiograph).astype(float)
    w.a_compare.trigger()
    cv = w.compare_view
    left, right = pane_image(cv.left), pane_image(cv.right)
    assert cv.link_wl.isChecked()
    assert cv.left.view.radiograph.photometric == "MONOCHROME1"
    for img, ref in ((left, alone[base.name]), (right, alone[follow.name])):
        assert abs(img.mean() - ref.mean()) < 8 and abs(img.std() - ref.std()) < 8
        assert img.mean() > 40          # not almost black
    # a right-drag on the follow-up (narrower, lower centre: brighter) moves the baseline
    # the same way
    c = cv.right.view.viewport().rect().center()
    drag_view(cv.right.view, c, c + QPoint(-80, -60), Qt.MouseButton.RightButton)
    left2, right2 = pane_image(cv.left), pane_image(cv.right)
    assert right2.mean() > right.mean() + 10 and left2.mean() > left.mean() + 10
    assert abs(left2.mean() - right2.mean()) < 12 and abs(left2.std() - right2.std()) < 12
    # not a negative: bone (the bright blocks of the film) stays brighter than background
    for img in (left2, right2):
        h, wd = img.shape
        body = img[int(h * 0.6 / 7):int(h * 1.2 / 7), int(wd * 0.4):int(wd * 0.6)].mean()
        background = img[:, :max(1, wd // 10)].mean()
        assert body > background + 20
    # unlinking keeps both; then a drag moves one film only
    cv.link_wl.setChecked(False)
    assert (pane_image(cv.left) == left2).all()
    drag_view(cv.right.view, c, c + QPoint(60, 0), Qt.MouseButton.RightButton)
    assert (pane_image(cv.left) == left2).all() and not (pane_image(cv.right) == right2).all()
    # linking again: the baseline follows the open film
    cv.link_wl.setChecked(True)
    assert abs(pane_image(cv.left).std() - pane_image(cv.right).std()) < 12


def test_plot_level_defaults_to_the_first_incident_level(window, visits, qtbot):
    w = window
    base, follow = visits
    read(w, base, [0, 0, 0])
    read(w, follow, [0, 20, 0])            # T5: incident
    w.a_compare.trigger()
    assert w.compare_view.level_box.currentText() == "T5"
    assert w.compare_view.plot.level == "T5"


def type_into(qtbot, spin, value: float) -> None:
    """Type ``value`` into a toolbar spin box as a reader does: select all, type, Enter."""
    spin.setFocus()
    le = spin.lineEdit()
    qtbot.keyClick(le, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)
    qtbot.keyClicks(le, f"{value:.0f}")
    qtbot.keyClick(le, Qt.Key.Key_Return)


def test_toolbar_window_boxes_follow_compare(window, visits, qtbot):
    """While comparing, the toolbar's C / W boxes show and set the open film's window there
    (the other film follows through the link); after Compare they show the reading film's."""
    w = window
    base, follow = visits
    read(w, base, [0, 0, 0])
    read(w, follow, [0, 20, 0])
    reading_window = w.view.current_window()
    assert w.display.width_spin.value() == pytest.approx(reading_window.width, abs=1)
    w.a_compare.trigger()
    cv = w.compare_view
    open_view = cv.right.view                 # the open film (the follow-up) is on the right
    assert open_view.radiograph is w.doc.radiograph
    # the boxes show the open film's window in the comparison
    ow = open_view.current_window()
    assert w.display.center_spin.value() == pytest.approx(ow.center, abs=1)
    assert w.display.width_spin.value() == pytest.approx(ow.width, abs=1)
    # a right-drag on the open film there: the boxes follow it
    c = open_view.viewport().rect().center()
    drag_view(open_view, c, c + QPoint(60, -40), button=Qt.MouseButton.RightButton)
    ow = open_view.current_window()
    assert w.display.center_spin.value() == pytest.approx(ow.center, abs=1)
    assert w.display.width_spin.value() == pytest.approx(ow.width, abs=1)
    # typing a width in the toolbar sets the open film's window there; the baseline follows
    other_before = cv.left.view.current_window()
    new_width = round(ow.width * 0.5)
    type_into(qtbot, w.display.width_spin, new_width)
    assert open_view.current_window().width == pytest.approx(new_width, abs=1)
    assert open_view.current_window().center == pytest.approx(ow.center, abs=1)
    assert cv.left.view.current_window() != other_before
    assert w.view.current_window() == reading_window   # the reading view was not touched
    # back to reading: the boxes show the reading film's window again and set it
    w.a_compare.trigger()
    assert w.stack.currentIndex() == 0
    assert w.display.width_spin.value() == pytest.approx(reading_window.width, abs=1)
    assert w.display.center_spin.value() == pytest.approx(reading_window.center, abs=1)
    compare_window = open_view.current_window()
    type_into(qtbot, w.display.width_spin, round(reading_window.width * 0.7))
    assert w.view.current_window().width == pytest.approx(round(reading_window.width * 0.7), abs=1)
    assert open_view.current_window() == compare_window   # the comparison's film no longer follows
