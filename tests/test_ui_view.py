"""The film view: window/level, zoom about the cursor, pan, resolution levels, rotation,
calibration and measuring, status bar values — with real mouse events."""

from __future__ import annotations


import pytest


pytest.importorskip("pytestqt")

from PyQt6.QtCore import QPoint, QPointF, Qt  # noqa: E402
from PyQt6.QtGui import QWheelEvent  # noqa: E402
from PyQt6.QtWidgets import QApplication  # noqa: E402

from ui.film_view import TOOL_CALIBRATE, TOOL_MEASURE, resolution_factor  # noqa: E402
from ui.testing import (body_points, click_image, drag_image, drag_view,  # noqa: E402
                        send_mouse, write_film)
from vfa.films.calibration import SpacingSource  # noqa: E402
from vfa.method.levels import PointSlot  # noqa: E402


def wheel(view, pos: QPoint, notches: float) -> None:
    ev = QWheelEvent(QPointF(pos), QPointF(view.viewport().mapToGlobal(pos)), QPoint(0, 0),
                     QPoint(0, int(120 * notches)), Qt.MouseButton.NoButton,
                     Qt.KeyboardModifier.NoModifier, Qt.ScrollPhase.NoScrollPhase, False)
    QApplication.sendEvent(view.viewport(), ev)


def test_resolution_factor():
    assert [resolution_factor(z) for z in (4, 1, 0.9, 0.5, 0.3, 0.25, 0.1)] == [1, 1, 1, 2, 2, 4, 8]


def test_window_level_by_right_drag(window, tmp_path):
    w = window
    w.open_file(write_film(tmp_path / "a.dcm"))
    v = w.view
    w0 = v.current_window()
    n0 = v.render_count
    centre = v.viewport().rect().center()
    drag_view(v, centre, centre + QPoint(120, 0), Qt.MouseButton.RightButton)
    w1 = v.current_window()
    assert w1.width > w0.width and w1.center == pytest.approx(w0.center)
    drag_view(v, centre, centre + QPoint(0, 80), Qt.MouseButton.RightButton)
    w2 = v.current_window()
    assert w2.center > w1.center and w2.width == pytest.approx(w1.width)
    assert v.render_count > n0
    # the spin boxes follow the model, and typing a value changes the film's window
    assert w.width_spin.value() == pytest.approx(round(w2.width), abs=1)
    assert w.preset_box.currentText() == "custom"
    w.center_spin.setValue(1500)
    assert v.current_window().center == 1500
    # presets: the file's window, then automatic; invert toggles
    w.apply_preset(0)
    assert v.current_window().center == 2000 and v.current_window().width == 3000
    img_before = v.image_item.qimage.pixelColor(10, 10).red()
    w.a_invert.trigger()
    assert v.settings.invert is True
    assert v.image_item.qimage.pixelColor(10, 10).red() == 255 - img_before or abs(
        v.image_item.qimage.pixelColor(10, 10).red() - (255 - img_before)) <= 1
    w.a_auto.trigger()
    assert v.current_window().explanation == "auto"
    w.a_reset.trigger()
    assert v.settings.invert is False and v.current_window().center == 2000


def test_zoom_about_cursor_keeps_the_image_point(window, tmp_path):
    w = window
    w.open_file(write_film(tmp_path / "a.dcm"))
    v = w.view
    pos = v.viewport().rect().center() + QPoint(90, -60)
    before = v.map_view_to_image(QPointF(pos))
    z0 = v.zoom
    wheel(v, pos, 2)
    assert v.zoom == pytest.approx(z0 * 1.44)
    after = v.map_view_to_image(QPointF(pos))
    tol = 1.0 / v.zoom   # scrolling is by whole screen pixels
    assert abs(after.x() - before.x()) <= tol and abs(after.y() - before.y()) <= tol
    wheel(v, pos, -3)
    after = v.map_view_to_image(QPointF(pos))
    assert abs(after.x() - before.x()) <= 1.0 / v.zoom and abs(after.y() - before.y()) <= 1.0 / v.zoom


def test_pan_with_middle_drag_and_space_drag(window, tmp_path, qtbot):
    w = window
    w.open_file(write_film(tmp_path / "a.dcm"))
    v = w.view
    c = v.viewport().rect().center()
    before = v.map_view_to_image(QPointF(c))
    n = v.render_count
    drag_view(v, c, c + QPoint(40, 30), Qt.MouseButton.MiddleButton)
    after = v.map_view_to_image(QPointF(c))
    assert after.x() == pytest.approx(before.x() - 40 / v.zoom, abs=0.01)
    assert after.y() == pytest.approx(before.y() - 30 / v.zoom, abs=0.01)
    v.setFocus()
    qtbot.keyPress(v, Qt.Key.Key_Space)
    drag_view(v, c, c - QPoint(40, 30), Qt.MouseButton.LeftButton)
    qtbot.keyRelease(v, Qt.Key.Key_Space)
    back = v.map_view_to_image(QPointF(c))
    assert back.x() == pytest.approx(before.x(), abs=0.01)
    assert w.doc.reading.vertebrae == {}          # space + drag placed no point
    assert v.render_count == n                    # panning never re-renders


def test_rendered_at_screen_resolution_and_only_when_needed(window, tmp_path):
    w = window
    w.open_file(write_film(tmp_path / "big.dcm", rows=2400, cols=1600))
    v = w.view
    assert v.zoom < 0.5
    f = v.resolution
    assert f == resolution_factor(v.zoom) and f >= 2
    img = v.image_item.qimage
    assert img.format() == img.Format.Format_Grayscale8
    assert img.height() == round(2400 / f) and img.width() == round(1600 / f)
    n = v.render_count
    v.zoom_by(1.05)              # same resolution level: no render
    if resolution_factor(v.zoom) == f:
        assert v.render_count == n
    v.one_to_one()
    assert v.resolution == 1 and v.image_item.qimage.height() == 2400
    assert v.render_count == n + 1
    v.rotate90()
    v.flip_horizontal()
    assert v.render_count == n + 1


def test_rotate_and_flip_keep_points_in_image_coordinates(window, tmp_path):
    w = window
    w.open_file(write_film(tmp_path / "a.dcm"))
    v = w.view
    pts = body_points(0)
    click_image(v, *pts[0])
    stored = w.doc.reading.get("T4").points[PointSlot.SUPERIOR_ANTERIOR]
    w.a_rotate.trigger()
    w.a_flip.trigger()
    assert v.rotation == 90 and v.flipped
    # the handle is still at the same image point; a click on the rotated film lands right
    h = w.layer.handle("T4", "superior_anterior")
    assert (h.pos().x(), h.pos().y()) == stored
    click_image(v, *pts[1])
    x, y = w.doc.reading.get("T4").points[PointSlot.SUPERIOR_MIDDLE]
    assert abs(x - pts[1][0]) <= 1 / v.zoom + 1e-6 and abs(y - pts[1][1]) <= 1 / v.zoom + 1e-6
    w.a_reset.trigger()
    assert v.rotation == 0 and not v.flipped


def test_handles_keep_screen_size_under_zoom(window, tmp_path):
    w = window
    w.open_file(write_film(tmp_path / "a.dcm"))
    click_image(w.view, *body_points(0)[0])
    h = w.layer.handle("T4", "superior_anterior")
    size0 = h.deviceTransform(w.view.viewportTransform()).mapRect(h.boundingRect()).width()
    w.view.zoom_by(4)
    size1 = h.deviceTransform(w.view.viewportTransform()).mapRect(h.boundingRect()).width()
    assert size0 == pytest.approx(size1)


def test_uncalibrated_banner_and_manual_calibration(window, tmp_path, asked):
    w = window
    w.open_file(write_film(tmp_path / "u.dcm", pixel_spacing=None, imager_spacing=None))
    assert w.banner.isVisible() and "Uncalibrated" in w.banner.label.text()
    for x, y in body_points(0):
        click_image(w.view, x, y)
    assert w.table.table.horizontalHeaderItem(1).text() == "Ha px"
    ha_px = float(w.table.row_texts("T4")["Ha"])
    # calibrate: a 100-pixel line is 20 mm
    w.banner.button.click()
    assert w.view.tool == TOOL_CALIBRATE
    drag_image(w.view, 100, 300, 200, 300)
    assert asked["lengths"] and asked["lengths"][0] == pytest.approx(100, abs=2 / w.view.zoom)
    sp = w.doc.reading.spacing
    assert sp.source is SpacingSource.MANUAL and sp.col_mm == pytest.approx(0.2, rel=0.03)
    assert not w.banner.isVisible()
    assert w.table.table.horizontalHeaderItem(1).text() == "Ha mm"
    assert float(w.table.row_texts("T4")["Ha"]) == pytest.approx(ha_px * sp.col_mm, abs=0.06)
    assert w.view.tool != TOOL_CALIBRATE
    w.undo()
    assert not w.doc.reading.spacing.calibrated and w.banner.isVisible()


def test_drawn_calibration_outside_the_range_is_refused_in_the_viewer(window, tmp_path, asked):
    """domain §5: a drawn length that would give more than 2 mm per pixel is refused, with
    the spacing it would give; the film stays uncalibrated."""
    w = window
    w.open_file(write_film(tmp_path / "u.dcm", pixel_spacing=None, imager_spacing=None))
    asked["answers"]["length"] = 5000.0            # 5000 mm over 100 px: 50 mm per pixel
    w.banner.button.click()
    drag_image(w.view, 100, 300, 200, 300)
    assert asked["lengths"]
    assert not w.doc.reading.spacing.calibrated and w.banner.isVisible()
    assert any("would give a spacing of" in str(e) and "outside 0.02-2 mm" in str(e)
               for e in asked["errors"]), asked["errors"]


def test_detector_spacing_banner(window, tmp_path):
    w = window
    w.open_file(write_film(tmp_path / "d.dcm", pixel_spacing=(0.2, 0.2), imager_spacing=None))
    assert w.banner.isVisible() and "at the detector" in w.banner.label.text()
    w.open_file(write_film(tmp_path / "c.dcm"))   # Pixel Spacing != Imager: calibrated
    assert not w.banner.isVisible()


def test_measure_tool_and_status_bar_values(window, tmp_path):
    w = window
    path = write_film(tmp_path / "a.dcm")
    w.open_file(path)
    v = w.view
    w.a_tool_measure.trigger()
    assert v.tool == TOOL_MEASURE
    drag_image(v, 100, 100, 100, 200)
    assert "mm" in w.dist_label.text()
    mm = float(w.dist_label.text().split()[1])
    assert mm == pytest.approx(100 * 0.2, abs=0.2 / v.zoom + 0.2)
    assert w.doc.reading.vertebrae == {}
    # status bar: position and the stored/modality value of the pixel under the cursor
    p = v.map_image_to_view(250.5, 300.5)
    send_mouse(v.viewport(), "move", p, Qt.MouseButton.NoButton, Qt.MouseButton.NoButton)
    img = v.map_view_to_image(QPointF(p))
    row, col = int(img.y()), int(img.x())
    assert f"col {col}, row {row}" in w.pos_label.text()
    assert f"stored {int(w.doc.radiograph.stored[row, col])}" in w.value_label.text()
    # uncalibrated films measure in px, with the word px
    w.open_file(write_film(tmp_path / "u.dcm", pixel_spacing=None, imager_spacing=None))
    w.a_tool_measure.trigger()
    drag_image(w.view, 100, 100, 100, 200)
    assert w.dist_label.text().endswith("px")
