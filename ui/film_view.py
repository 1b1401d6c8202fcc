"""The film: a QGraphicsView showing a radiograph rendered at screen resolution.

Scene coordinates are image coordinates (DICOM/Qt convention: (0, 0) is the top-left corner
of the top-left pixel; 1 scene unit = 1 stored pixel). The display image is produced by
:class:`vfa.films.display.Renderer` at a *resolution level* (the film downsampled by a power of two
so that it is 1-2 display pixels per screen pixel) and shown as a ``Format_Grayscale8``
QImage stretched over the film's full extent. It is re-rendered only when the display
settings, the resolution level or the film change; panning, rotating and flipping are view
transforms only.

Mouse: left = tool (place / measure / calibrate; handles drag themselves), right drag =
window/level (horizontal: width, vertical: centre), middle drag or space + left drag = pan,
wheel = zoom about the cursor.
"""

from __future__ import annotations

import math

import numpy as np
from PyQt6.QtCore import QLineF, QPoint, QPointF, QRectF, Qt, pyqtSignal
from PyQt6.QtGui import QBrush, QColor, QImage, QPainter, QPen, QTransform
from PyQt6.QtWidgets import (QGraphicsItem, QGraphicsLineItem, QGraphicsScene, QGraphicsView,
                             QLabel, QScrollBar, QWidget)

from vfa.films import display
from vfa.films.display import DisplaySettings
from vfa.films.radiograph import Radiograph, Window
from vfa.reading.session import Tool

from .graphics import TextTag, outline_path  # noqa: F401  (outline_path: re-export)

#: Zoom limits (screen pixels per image pixel).
MIN_ZOOM = 0.01
MAX_ZOOM = 32.0
#: Wheel: zoom factor per notch (120 eighths of a degree).
WHEEL_STEP = 1.2
#: Arrow keys pan by this share of the viewport (Shift: the larger one).
PAN_STEP = 0.1
PAN_STEP_FAR = 0.5
PAN_KEYS = {Qt.Key.Key_Left: (-1, 0), Qt.Key.Key_Right: (1, 0),
            Qt.Key.Key_Up: (0, -1), Qt.Key.Key_Down: (0, 1)}
#: The focus is visible: a blue outline around the panel that has it.
FOCUS_STYLE = ("QGraphicsView { border: 2px solid transparent; } "
               "QGraphicsView:focus { border: 2px solid #3d8fe0; }")

#: The tools (vfa.reading.session.Tool; kept under these names for the ui modules).
TOOL_PLACE = Tool.PLACE
TOOL_MEASURE = Tool.MEASURE
TOOL_CALIBRATE = Tool.CALIBRATE
TOOL_PROPOSE = Tool.PROPOSE   # a click inside a body proposes its six points


def resolution_factor(zoom: float) -> int:
    """Largest power of two ``f`` with ``f <= 1/zoom`` (1 when zoomed in)."""
    f = 1
    while zoom * f * 2 <= 1.0 + 1e-9 and f < 1 << 12:
        f *= 2
    return f


class ImageItem(QGraphicsItem):
    """Paints a grayscale QImage over the rectangle (0, 0, cols, rows) of the scene."""

    def __init__(self) -> None:
        super().__init__()
        self._rows = 0
        self._cols = 0
        self._buf: np.ndarray | None = None
        self._qimage: QImage | None = None
        self.setZValue(-10)
        # the film as painted at screen size is kept: a moving handle or a redrawn outline
        # repaints from this cache instead of rescaling the film under it
        self.setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache)

    def set_image(self, buf: np.ndarray, rows: int, cols: int) -> None:
        """``buf`` (uint8, C-contiguous, any size) is shown over ``cols`` x ``rows`` pixels.

        The QImage wraps ``buf`` without copying; the item keeps ``buf`` alive."""
        if (rows, cols) != (self._rows, self._cols):
            self.prepareGeometryChange()
            self._rows, self._cols = rows, cols
        self._buf = buf
        h, w = buf.shape
        # (PyQt6's stubs do not list a buffer object as the data; Qt takes it without copying)
        self._qimage = QImage(buf.data, w, h, buf.strides[0],  # type: ignore[call-overload]
                              QImage.Format.Format_Grayscale8)
        self.update()

    def set_size(self, rows: int, cols: int) -> None:
        if (rows, cols) != (self._rows, self._cols):
            self.prepareGeometryChange()
            self._rows, self._cols = rows, cols

    def clear(self) -> None:
        self.prepareGeometryChange()
        self._rows = self._cols = 0
        self._buf = self._qimage = None
        self.update()

    @property
    def qimage(self) -> QImage | None:
        return self._qimage

    def boundingRect(self) -> QRectF:  # noqa: N802 - Qt API
        return QRectF(0, 0, self._cols, self._rows)

    def paint(self, painter: QPainter | None, option, widget=None) -> None:  # noqa: D401
        assert painter is not None      # (Qt always paints with one)
        if self._qimage is None:
            return
        t = painter.worldTransform()
        screen_per_image = math.hypot(t.m11(), t.m12())
        display_per_image = self._qimage.width() / max(self._cols, 1)
        # smooth when the display image is minified on screen; crisp pixels when magnified
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform,
                              screen_per_image < display_per_image * 0.999)
        painter.drawImage(self.boundingRect(), self._qimage, QRectF(self._qimage.rect()))


class LineOverlay(QGraphicsLineItem):
    """The measure / calibration line (cosmetic pen) with its text."""

    def __init__(self) -> None:
        super().__init__()
        pen = QPen(QColor(255, 230, 0), 2)
        pen.setCosmetic(True)
        self.setPen(pen)
        self.setZValue(50)
        self.label = TextTag("", QColor(255, 230, 0))
        self.label.setParentItem(None)
        self.hide()

    def add_to(self, scene: QGraphicsScene) -> None:
        scene.addItem(self)
        scene.addItem(self.label)

    def set_points(self, p0: QPointF, p1: QPointF, text: str = "") -> None:
        self.setLine(QLineF(p0, p1))
        self.label.set_text(text)
        self.label.setPos(p1)
        self.label.set_offset(QPointF(0, -16))
        self.show()
        self.label.setVisible(bool(text))

    def hide_all(self) -> None:
        self.hide()
        self.label.hide()


class Loupe(QLabel):
    """A magnifier shown in a corner of the view while a point is dragged (full-resolution
    pixels around the point, through the same lookup table as the film)."""

    RADIUS_IMAGE_PX = 24   # half-size of the magnified patch, in stored pixels
    SIZE = 168             # on screen

    def __init__(self, parent: QWidget) -> None:
        super().__init__(parent)
        self.setFixedSize(self.SIZE, self.SIZE)
        self.setStyleSheet("border: 2px solid #ffe600; background: black;")
        self.hide()
        self._buf: np.ndarray | None = None

    def show_at(self, view: "FilmView", x: float, y: float) -> None:
        rg, renderer = view.radiograph, view.renderer
        if rg is None or renderer is None or view.settings is None:
            return
        r = self.RADIUS_IMAGE_PX
        c0, r0 = int(math.floor(x)) - r, int(math.floor(y)) - r
        patch = np.zeros((2 * r, 2 * r), dtype=np.uint8)
        rs, cs = max(r0, 0), max(c0, 0)
        re_, ce = min(r0 + 2 * r, rg.rows), min(c0 + 2 * r, rg.cols)
        if re_ > rs and ce > cs:
            table = renderer.lut(view.settings)
            idx = display.lut_index(rg, rg.stored[rs:re_, cs:ce])
            if idx.dtype.kind != "u":
                idx = np.clip(idx, 0, len(table) - 1)
            patch[rs - r0:re_ - r0, cs - c0:ce - c0] = table[idx]
        self._buf = np.ascontiguousarray(patch)
        img = QImage(self._buf.data, 2 * r, 2 * r, self._buf.strides[0],  # type: ignore[call-overload]  # buffer
                     QImage.Format.Format_Grayscale8)
        from PyQt6.QtGui import QPixmap
        pm = QPixmap(self.SIZE, self.SIZE)
        p = QPainter(pm)
        p.drawImage(QRectF(0, 0, self.SIZE, self.SIZE), img)
        scale = self.SIZE / (2 * r)
        cx = (x - c0) * scale
        cy = (y - r0) * scale
        pen = QPen(QColor(255, 230, 0), 1)
        p.setPen(pen)
        p.drawLine(QPointF(cx - 12, cy), QPointF(cx - 3, cy))
        p.drawLine(QPointF(cx + 3, cy), QPointF(cx + 12, cy))
        p.drawLine(QPointF(cx, cy - 12), QPointF(cx, cy - 3))
        p.drawLine(QPointF(cx, cy + 3), QPointF(cx, cy + 12))
        p.end()
        self.setPixmap(pm)
        # the corner away from the cursor
        vp = view.mapFromScene(QPointF(x, y))
        left = vp.x() > view.viewport().width() / 2
        self.move(8 if left else view.viewport().width() - self.SIZE - 8, 8)
        self.show()
        self.raise_()


class FilmView(QGraphicsView):
    """Shows one radiograph; owns zoom, pan, rotation, flip and the display settings."""

    cursorMoved = pyqtSignal(object)          # QPointF in image coords, or None
    displayChanged = pyqtSignal(object)       # DisplaySettings
    viewChanged = pyqtSignal()                # zoom / rotation / flip / pan
    imageClicked = pyqtSignal(float, float)   # left click on the film (place / propose tool)
    escapePressed = pyqtSignal()              # Esc with nothing to cancel in the view itself
    lineChanged = pyqtSignal(str, object, object)   # tool, QPointF, QPointF (while drawing)
    lineDrawn = pyqtSignal(str, object, object)     # tool, QPointF, QPointF (on release)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setScene(QGraphicsScene(self))
        self.image_item = ImageItem()
        self.scene().addItem(self.image_item)
        self.line = LineOverlay()
        self.line.add_to(self.scene())
        self.loupe = Loupe(self.viewport())
        self.setBackgroundBrush(QBrush(QColor(0, 0, 0)))
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setTransformationAnchor(QGraphicsView.ViewportAnchor.NoAnchor)
        self.setResizeAnchor(QGraphicsView.ViewportAnchor.AnchorViewCenter)
        self.setDragMode(QGraphicsView.DragMode.NoDrag)
        self.setMouseTracking(True)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setViewportUpdateMode(QGraphicsView.ViewportUpdateMode.SmartViewportUpdate)
        self.setOptimizationFlag(QGraphicsView.OptimizationFlag.DontSavePainterState, True)
        self.viewport().setCursor(Qt.CursorShape.CrossCursor)
        self.setFrameShape(QGraphicsView.Shape.NoFrame)
        self.setStyleSheet(FOCUS_STYLE)

        self.radiograph: Radiograph | None = None
        self.renderer: display.Renderer | None = None
        self.settings: DisplaySettings | None = None
        self.tool = TOOL_PLACE
        self.render_count = 0        # for tests and benchmarks
        self._zoom = 1.0
        self._rotation = 0
        self._flip = False
        self._factor: int | None = None
        self._bufs: dict[tuple[int, int], np.ndarray] = {}
        self._space = False
        self._wl_drag: tuple[QPointF, Window] | None = None
        self._pan_drag: QPointF | None = None
        self._line_start: QPointF | None = None
        self._fitted = True

    # ------------------------------------------------------------------ film

    # PyQt6's stubs make these Optional; this view always has them (made in __init__ or by Qt)
    def scene(self) -> QGraphicsScene:
        sc = super().scene()
        assert sc is not None
        return sc

    def viewport(self) -> QWidget:
        vp = super().viewport()
        assert vp is not None
        return vp

    def horizontalScrollBar(self) -> QScrollBar:  # noqa: N802 - Qt's name
        sb = super().horizontalScrollBar()
        assert sb is not None
        return sb

    def verticalScrollBar(self) -> QScrollBar:  # noqa: N802 - Qt's name
        sb = super().verticalScrollBar()
        assert sb is not None
        return sb
    def set_film(self, radiograph: Radiograph | None,
                 settings: DisplaySettings | None = None) -> None:
        self.radiograph = radiograph
        self._bufs.clear()
        self._factor = None
        self.line.hide_all()
        if radiograph is None:
            self.renderer = None
            self.settings = None
            self.image_item.clear()
            return
        self.renderer = display.renderer_for(radiograph)
        self.settings = settings or display.default_settings(radiograph)
        self.image_item.set_size(radiograph.rows, radiograph.cols)
        big = max(radiograph.rows, radiograph.cols) * 3
        self.setSceneRect(QRectF(-big, -big, radiograph.cols + 2 * big, radiograph.rows + 2 * big))
        self._rotation, self._flip = 0, False
        self.fit()
        self._render()
        self.displayChanged.emit(self.settings)

    def image_rect(self) -> QRectF:
        return self.image_item.boundingRect()

    # ------------------------------------------------------------------ display settings
    def set_display(self, settings: DisplaySettings) -> None:
        """Show the film with ``settings`` (re-renders only if they changed)."""
        if self.radiograph is None or settings == self.settings:
            return
        self.settings = settings
        self._render()
        self.displayChanged.emit(settings)

    def current_window(self) -> Window:
        """The window in use (the file's first window or the automatic one under a VOI LUT)."""
        rg = self.radiograph
        s = self.settings
        if s is not None and s.window is not None and s.voi_lut_index is None:
            return s.window
        if rg is not None and rg.windows:
            return rg.windows[0]
        return rg.auto_window() if rg is not None else Window(0.5, 1.0)

    def set_window(self, window: Window) -> None:
        if self.settings is not None:
            self.set_display(self.settings.with_window(window))

    def set_invert(self, invert: bool) -> None:
        if self.settings is not None and self.settings.invert != invert:
            from dataclasses import replace
            self.set_display(replace(self.settings, invert=invert))

    def _render(self) -> None:
        rg, renderer = self.radiograph, self.renderer
        if rg is None or renderer is None or self.settings is None:
            return
        f = resolution_factor(self._zoom)
        shape = (max(1, round(rg.rows / f)), max(1, round(rg.cols / f)))
        buf = self._bufs.get(shape)
        if buf is None:
            if len(self._bufs) >= 3:
                self._bufs.pop(next(iter(self._bufs)))
            buf = self._bufs[shape] = np.empty(shape, dtype=np.uint8)
        renderer.render(self.settings, None if f == 1 else shape, out=buf)
        self._factor = f
        self.image_item.set_image(buf, rg.rows, rg.cols)
        self.render_count += 1

    @property
    def resolution(self) -> int:
        """The downsampling factor of the current display image (1 = full resolution)."""
        return self._factor or 1

    # ------------------------------------------------------------------ view transform
    @property
    def zoom(self) -> float:
        return self._zoom

    @property
    def rotation(self) -> int:
        return self._rotation

    @property
    def flipped(self) -> bool:
        return self._flip

    def _apply_transform(self, anchor_view: QPointF | None = None,
                         anchor_scene: QPointF | None = None) -> None:
        if anchor_view is None:
            anchor_view = QPointF(self.viewport().rect().center())
        if anchor_scene is None:
            anchor_scene = self.mapToScene(anchor_view.toPoint())
            # sub-pixel: mapToScene of a QPoint loses precision; use the inverse transform
            inv, ok = self.viewportTransform().inverted()
            if ok:
                anchor_scene = inv.map(anchor_view)
        t = QTransform()
        t.rotate(self._rotation)
        t.scale(-self._zoom if self._flip else self._zoom, self._zoom)
        self.setTransform(t)
        self._keep(anchor_scene, anchor_view)
        if resolution_factor(self._zoom) != self._factor:
            self._render()
        self.viewChanged.emit()

    def _keep(self, scene_pt: QPointF, view_pt: QPointF) -> None:
        """Scroll so that ``scene_pt`` is under ``view_pt``."""
        for _ in range(2):
            now = self.viewportTransform().map(scene_pt)
            dx, dy = now.x() - view_pt.x(), now.y() - view_pt.y()
            if abs(dx) < 0.5 and abs(dy) < 0.5:
                break
            h, v = self.horizontalScrollBar(), self.verticalScrollBar()
            h.setValue(h.value() + round(dx))
            v.setValue(v.value() + round(dy))

    def zoom_by(self, factor: float, view_pos: QPointF | None = None) -> None:
        """Zoom by ``factor`` keeping the image point under ``view_pos`` (viewport coords)."""
        new = min(max(self._zoom * factor, MIN_ZOOM), MAX_ZOOM)
        if new == self._zoom:
            return
        self._zoom = new
        self._fitted = False
        self._apply_transform(view_pos)

    def set_zoom(self, zoom: float) -> None:
        self.zoom_by(zoom / self._zoom)

    def fit(self) -> None:
        """Whole film in the viewport."""
        rect = self.image_rect()
        if rect.isEmpty():
            return
        vw, vh = max(self.viewport().width(), 1), max(self.viewport().height(), 1)
        w, h = rect.width(), rect.height()
        if self._rotation in (90, 270):
            w, h = h, w
        self._zoom = min(max(min(vw / w, vh / h) * 0.98, MIN_ZOOM), MAX_ZOOM)
        self._fitted = True
        self._apply_transform(QPointF(vw / 2, vh / 2), rect.center())

    def one_to_one(self) -> None:
        self._zoom = 1.0
        self._fitted = False
        self._apply_transform()

    def rotate90(self) -> None:
        self._rotation = (self._rotation + 90) % 360
        self.fit() if self._fitted else self._apply_transform()

    def flip_horizontal(self) -> None:
        self._flip = not self._flip
        self._apply_transform()

    def reset_view(self) -> None:
        """Default presentation: no rotation or flip, whole film, the file's window."""
        self._rotation, self._flip = 0, False
        self.fit()
        if self.radiograph is not None:
            self.set_display(display.default_settings(self.radiograph))

    def center_on_image(self, x: float, y: float) -> None:
        self._keep(QPointF(x, y), QPointF(self.viewport().rect().center()))
        self.viewChanged.emit()

    def map_image_to_view(self, x: float, y: float) -> QPoint:
        """Viewport pixel of an image point (what tests click)."""
        return self.mapFromScene(QPointF(x, y))

    def map_view_to_image(self, pos: QPointF) -> QPointF:
        inv, _ok = self.viewportTransform().inverted()
        return inv.map(QPointF(pos))

    def resizeEvent(self, event) -> None:  # noqa: N802
        super().resizeEvent(event)
        if self._fitted and self.radiograph is not None:
            self.fit()

    # ------------------------------------------------------------------ mouse
    def _handle_at(self, pos: QPoint):
        for item in self.items(pos):
            if getattr(item, "is_handle", False):   # a marker handle (ui.markers)
                return item
        return None

    def mousePressEvent(self, event) -> None:  # noqa: N802
        pos = event.position()
        btn = event.button()
        if self.radiograph is None:
            return super().mousePressEvent(event)
        if btn == Qt.MouseButton.RightButton:
            self._wl_drag = (pos, self.current_window())
            self.viewport().setCursor(Qt.CursorShape.SizeAllCursor)
            event.accept()
            return
        if btn == Qt.MouseButton.MiddleButton or (btn == Qt.MouseButton.LeftButton and self._space):
            self._pan_drag = pos
            self.viewport().setCursor(Qt.CursorShape.ClosedHandCursor)
            event.accept()
            return
        if btn == Qt.MouseButton.LeftButton:
            if self.tool in (TOOL_PLACE, TOOL_PROPOSE):
                if self._handle_at(pos.toPoint()) is not None:
                    return super().mousePressEvent(event)  # the handle drags itself
                p = self.map_view_to_image(pos)
                self.scene().clearSelection()
                if self.image_rect().contains(p):
                    self.imageClicked.emit(p.x(), p.y())
                event.accept()
                return
            if self.tool in (TOOL_MEASURE, TOOL_CALIBRATE):
                self._line_start = self._clamp(self.map_view_to_image(pos))
                self.line.set_points(self._line_start, self._line_start)
                event.accept()
                return
        super().mousePressEvent(event)

    def _clamp(self, p: QPointF) -> QPointF:
        r = self.image_rect()
        return QPointF(min(max(p.x(), r.left()), r.right()), min(max(p.y(), r.top()), r.bottom()))

    def mouseMoveEvent(self, event) -> None:  # noqa: N802
        pos = event.position()
        p = self.map_view_to_image(pos)
        self.cursorMoved.emit(p if self.image_rect().contains(p) else None)
        if self._wl_drag is not None:
            start, w0 = self._wl_drag
            dx, dy = pos.x() - start.x(), pos.y() - start.y()
            self.set_window(self.window_after_drag(w0, dx, dy))
            event.accept()
            return
        if self._pan_drag is not None:
            d = pos - self._pan_drag
            self._pan_drag = pos
            h, v = self.horizontalScrollBar(), self.verticalScrollBar()
            h.setValue(h.value() - round(d.x()))
            v.setValue(v.value() - round(d.y()))
            self.viewChanged.emit()
            event.accept()
            return
        if self._line_start is not None:
            q = self._clamp(p)
            self.line.set_points(self._line_start, q, self.line.label.text)
            self.lineChanged.emit(self.tool, self._line_start, q)
            event.accept()
            return
        super().mouseMoveEvent(event)

    def window_after_drag(self, w0: Window, dx: float, dy: float) -> Window:
        """Right drag: right widens, left narrows; down raises the centre, up lowers it."""
        rg = self.radiograph
        lo, hi = rg.value_range() if rg is not None else (0.0, 1.0)
        span = max(hi - lo, 1.0)
        k = max(w0.width, span / 50.0) / 250.0
        return w0.with_delta(d_center=dy * k, d_width=dx * k, min_width=1.0,
                             value_range=(lo - span, hi + span))

    def mouseReleaseEvent(self, event) -> None:  # noqa: N802
        if self._wl_drag is not None and event.button() == Qt.MouseButton.RightButton:
            self._wl_drag = None
            self.viewport().setCursor(Qt.CursorShape.CrossCursor)
            event.accept()
            return
        if self._pan_drag is not None and event.button() in (Qt.MouseButton.MiddleButton,
                                                             Qt.MouseButton.LeftButton):
            self._pan_drag = None
            self.viewport().setCursor(Qt.CursorShape.CrossCursor)
            event.accept()
            return
        if self._line_start is not None and event.button() == Qt.MouseButton.LeftButton:
            p0, p1 = self._line_start, self._clamp(self.map_view_to_image(event.position()))
            self._line_start = None
            self.line.set_points(p0, p1, self.line.label.text)
            self.lineDrawn.emit(self.tool, p0, p1)
            event.accept()
            return
        super().mouseReleaseEvent(event)

    def wheelEvent(self, event) -> None:  # noqa: N802
        steps = event.angleDelta().y() / 120.0
        if steps and self.radiograph is not None:
            self.zoom_by(WHEEL_STEP ** steps, event.position())
        event.accept()

    def keyPressEvent(self, event) -> None:  # noqa: N802
        if event.key() == Qt.Key.Key_Space and not event.isAutoRepeat():
            self._space = True
            self.viewport().setCursor(Qt.CursorShape.OpenHandCursor)
            event.accept()
            return
        if event.key() == Qt.Key.Key_Escape and self._line_start is not None:
            self._line_start = None
            self.line.hide_all()
            event.accept()
            return
        if event.key() == Qt.Key.Key_Escape:
            self.escapePressed.emit()
            event.accept()
            return
        step = PAN_KEYS.get(Qt.Key(event.key())) if self.radiograph is not None else None
        if step is not None:
            far = bool(event.modifiers() & Qt.KeyboardModifier.ShiftModifier)
            self.pan_by(step[0], step[1], PAN_STEP_FAR if far else PAN_STEP)
            event.accept()
            return
        super().keyPressEvent(event)

    def pan_by(self, dx: int, dy: int, share: float = 0.1) -> None:
        """Arrow keys: move the film by ``share`` of the viewport (the film goes the way the
        arrow points, as when dragging it)."""
        vp = self.viewport()
        h, v = self.horizontalScrollBar(), self.verticalScrollBar()
        h.setValue(h.value() - round(dx * share * vp.width()))
        v.setValue(v.value() - round(dy * share * vp.height()))
        self._fitted = False
        self.viewChanged.emit()

    def keyReleaseEvent(self, event) -> None:  # noqa: N802
        if event.key() == Qt.Key.Key_Space and not event.isAutoRepeat():
            self._space = False
            self._pan_drag = None
            self.viewport().setCursor(Qt.CursorShape.CrossCursor)
            event.accept()
            return
        super().keyReleaseEvent(event)

    def leaveEvent(self, event) -> None:  # noqa: N802
        self.cursorMoved.emit(None)
        super().leaveEvent(event)
