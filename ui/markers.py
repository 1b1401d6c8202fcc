"""Markers of a reading on a film: six handles per vertebra, its outline and its label.

Items live in image (scene) coordinates; handles and labels ignore the view transform so
they keep their screen size and stay upright under zoom, rotation and flip. The layer never
edits the reading: a handle drag emits :attr:`MarkerLayer.pointDragged` (many times) and
:attr:`MarkerLayer.dragFinished` (once, on release); the owner applies them to the reading,
whose events then move the items (model → view, one direction only).

Proposed points (:mod:`vfa.reading.autoplace`, ``VertebraReading.proposals`` in state *proposed*) are
drawn hollow and dashed in :data:`ui.colors.PROPOSED` (low confidence: dashed in
:data:`ui.colors.LOW_CONFIDENCE` with a "!"), the outline of such a level is dashed and its
label says "proposed"; the tooltip gives the method and confidence. Accepted or moved points
look like points the reader placed.
"""

from __future__ import annotations

import math

from PyQt6.QtCore import QObject, QPointF, QRectF, Qt, pyqtSignal
from PyQt6.QtGui import QColor, QPainter, QPainterPath, QPen, QTransform
from PyQt6.QtWidgets import QGraphicsItem, QGraphicsPathItem, QGraphicsScene

from vfa.reading.proposal import Proposal
from vfa.method.levels import LEVELS, Level, PointSlot, Status
from vfa.method.morphometry import ReadingSummary
from vfa.reading.reading import Reading

from . import colors
from .graphics import TextTag, outline_path

S = PointSlot

#: A handle's radius on screen (px) is this share of its vertebra's height on screen, within
#: [MIN_RADIUS, RADIUS]: at fit zoom on a child's film the rings stay smaller than the disc
#: space, so adjacent endplate points do not overlap; zoomed in they are full size.
HANDLE_SHARE = 0.12
MIN_RADIUS = 2.5


def handle_radius(height_on_screen: float | None, largest: float = 5.0) -> float:
    """Screen radius of a handle on a vertebra ``height_on_screen`` px tall (None: unknown)."""
    if height_on_screen is None:
        return largest
    r = min(max(HANDLE_SHARE * height_on_screen, MIN_RADIUS), largest)
    return round(r * 4) / 4      # quarter pixels: a drag does not resize handles at each step


def vertebra_height_px(points: dict) -> float | None:
    """Mean of the anterior and posterior heights of the points placed (image px)."""
    hs = [math.hypot(points[a][0] - points[b][0], points[a][1] - points[b][1])
          for a, b in ((S.SUPERIOR_ANTERIOR, S.INFERIOR_ANTERIOR),
                       (S.SUPERIOR_POSTERIOR, S.INFERIOR_POSTERIOR))
          if a in points and b in points]
    return sum(hs) / len(hs) if hs else None
#: Outline order around the body.
OUTLINE = (S.SUPERIOR_ANTERIOR, S.SUPERIOR_MIDDLE, S.SUPERIOR_POSTERIOR,
           S.INFERIOR_POSTERIOR, S.INFERIOR_MIDDLE, S.INFERIOR_ANTERIOR)
SHORT = {S.SUPERIOR_ANTERIOR: "SA", S.SUPERIOR_MIDDLE: "SM", S.SUPERIOR_POSTERIOR: "SP",
         S.INFERIOR_ANTERIOR: "IA", S.INFERIOR_MIDDLE: "IM", S.INFERIOR_POSTERIOR: "IP"}


class HandleItem(QGraphicsItem):
    """One point: a small ring of constant screen size that can be dragged."""

    RADIUS = 5.0
    is_handle = True    # what the film view looks for under a click

    def __init__(self, layer: "MarkerLayer", level: Level, slot: PointSlot) -> None:
        super().__init__()
        self.layer = layer
        self.level = level
        self.slot = slot
        self.color = QColor(colors.UNGRADED)
        self.setFlag(QGraphicsItem.GraphicsItemFlag.ItemIgnoresTransformations)
        self.setFlag(QGraphicsItem.GraphicsItemFlag.ItemIsSelectable, layer.editable)
        self.setZValue(30)
        # painted once into a small pixmap; moving or redrawing it is a blit
        self.setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache)
        self.setAcceptHoverEvents(layer.editable)
        self.setToolTip(f"{level} — {slot.label}")
        self._offset = QPointF()
        self._dragging = False
        self.radius = self.RADIUS if layer.editable else 2.5   # then set by the layer
        self.proposal: Proposal | None = None

    @property
    def proposed(self) -> bool:
        """Drawn as a proposal: a pending proposed point (not accepted, not moved)."""
        return self.proposal is not None and self.proposal.pending

    def set_proposal(self, proposal: Proposal | None) -> None:
        if proposal == self.proposal:
            return
        self.proposal = proposal
        tip = f"{self.level} — {self.slot.label}"
        if proposal is not None:
            tip += (f"\n{proposal.state} ({proposal.method}), confidence {proposal.confidence:.2f}")
            if proposal.pending and proposal.low_confidence:
                tip += " — low: check this point carefully"
            if proposal.pending:
                tip += "\nEnter accepts all proposals; drag to correct"
        self.setToolTip(tip)
        self.update()

    def set_radius(self, radius: float) -> None:
        if radius != self.radius:
            self.prepareGeometryChange()
            self.radius = radius
            self.update()

    def boundingRect(self) -> QRectF:  # noqa: N802
        r = self.radius + 5
        return QRectF(-r, -r, 2 * r, 2 * r)

    def hit_radius(self) -> float:
        """The ring as drawn (its outline included), in screen px: what a click must hit to
        grab the handle. It scales with zoom as the ring does (:func:`handle_radius`)."""
        return self.radius + (1.5 if self.proposed else 0.0) + 1.75

    def shape(self) -> QPainterPath:
        """The hit area is the drawn ring, not the bounding square: a guided click just
        beside a neighbour's corner places its point instead of grabbing the neighbour."""
        path = QPainterPath()
        r = self.hit_radius()
        path.addEllipse(QPointF(), r, r)
        return path

    def paint(self, painter: QPainter | None, option, widget=None) -> None:
        assert painter is not None      # (Qt always paints with one)
        r = self.radius
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        if self.proposal is not None and self.proposal.pending:      # self.proposed
            low = self.proposal.low_confidence
            color = colors.LOW_CONFIDENCE if low else colors.PROPOSED
            r += 1.5                      # a little larger than a placed point, no centre dot
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.setPen(QPen(QColor(0, 0, 0, 200), 3.5))
            painter.drawEllipse(QPointF(), r, r)
            pen = QPen(colors.HIGHLIGHT if self.isSelected() else color,
                       2.5 if self.isSelected() else 2.0)
            pen.setDashPattern([2.2, 1.8])   # in pen widths: ~4 dashes around the ring
            pen.setCapStyle(Qt.PenCapStyle.FlatCap)
            painter.setPen(pen)
            painter.drawEllipse(QPointF(), r, r)
            if low:
                painter.setPen(QPen(color, 2.0))
                painter.drawLine(QPointF(r + 1.5, -r - 1), QPointF(r + 1.5, -1.5))
                painter.drawPoint(QPointF(r + 1.5, 1.2))
            return
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.setPen(QPen(QColor(0, 0, 0, 200), 3.5))
        painter.drawEllipse(QPointF(), r, r)
        pen = QPen(colors.HIGHLIGHT if self.isSelected() else self.color,
                   2.5 if self.isSelected() else 1.8)
        painter.setPen(pen)
        painter.drawEllipse(QPointF(), r, r)
        painter.drawPoint(QPointF())

    def set_color(self, color: QColor) -> None:
        if color != self.color:
            self.color = QColor(color)
            self.update()

    # dragging: the handle does not move itself; the reading moves it
    def mousePressEvent(self, event) -> None:  # noqa: N802
        if event.button() != Qt.MouseButton.LeftButton:
            event.ignore()
            return
        if not self.layer.editable:      # read-only: a click selects the level
            self.layer.levelClicked.emit(self.level)
            event.accept()
            return
        scene = self.scene()
        if scene is not None:
            scene.clearSelection()
        self.setSelected(True)
        self._offset = self.pos() - event.scenePos()
        self._dragging = True
        self.layer.handle_pressed(self)
        event.accept()

    def mouseMoveEvent(self, event) -> None:  # noqa: N802
        if self._dragging:
            self.layer.handle_dragged(self, event.scenePos() + self._offset)
            event.accept()

    def mouseReleaseEvent(self, event) -> None:  # noqa: N802
        if self._dragging:
            self._dragging = False
            self.layer.handle_released(self)
            event.accept()

    def hoverEnterEvent(self, event) -> None:  # noqa: N802
        self.setCursor(Qt.CursorShape.SizeAllCursor)

    def hoverLeaveEvent(self, event) -> None:  # noqa: N802
        self.unsetCursor()


class VertebraItems:
    """The outline, label and handles of one level."""

    def __init__(self, layer: "MarkerLayer", level: Level) -> None:
        self.layer = layer
        self.level = level
        self.outline = QGraphicsPathItem()
        self.outline.setZValue(20)
        self.label = TextTag(str(level), colors.UNGRADED)
        self.handles: dict[PointSlot, HandleItem] = {}
        layer.scene.addItem(self.outline)
        layer.scene.addItem(self.label)
        self.color = QColor(colors.UNGRADED)
        self.selected = False
        self.error = False
        self.pending = False
        self._state: tuple | None = None

    def remove(self) -> None:
        sc = self.layer.scene
        for it in [self.outline, self.label, *self.handles.values()]:
            if it.scene() is sc:
                sc.removeItem(it)
        self.handles.clear()

    def update(self, reading: Reading, summary: ReadingSummary | None,
               error: str | None) -> None:
        v = reading.get(self.level)
        pts = dict(v.points) if v is not None else {}
        props = dict(v.proposals) if v is not None else {}
        status = v.status if v is not None else Status.EVALUABLE
        res = summary.results[self.level.index] if summary is not None else None
        grade = res.grade if res is not None else None
        unconfirmed = bool(res is not None and res.unconfirmed)
        own = vertebra_height_px(pts)
        height = own if own is not None else self.layer.typical_height
        radius = handle_radius(None if height is None else height * self.layer.zoom,
                               HandleItem.RADIUS if self.layer.editable else 3.0)
        state = (tuple(sorted(pts.items())), tuple(sorted(props.items())), status, grade, error,
                 self.selected, self.layer.orientation, unconfirmed, radius)
        if state == self._state:     # nothing to redraw (most levels during a drag)
            return
        self._state = state
        # handles
        for slot in list(self.handles):
            if slot not in pts:
                self.layer.scene.removeItem(self.handles.pop(slot))
        for slot, (x, y) in pts.items():
            h = self.handles.get(slot)
            if h is None:
                h = self.handles[slot] = HandleItem(self.layer, self.level, slot)
                self.layer.scene.addItem(h)
            if h.pos() != QPointF(x, y):
                h.setPos(x, y)
            h.set_radius(radius)
            h.set_proposal(props.get(slot))
        pending = [p for p in props.values() if p.pending]
        self.pending = bool(pending)
        # colour from the final grade
        self.error = error is not None
        color = colors.GEOMETRY_ERROR if self.error else colors.grade_color(grade, status)
        self.color = color
        for h in self.handles.values():
            h.set_color(color)
        # outline
        qpts = [QPointF(*pts[s]) for s in OUTLINE if s in pts]
        complete = len(pts) == 6
        low = any(p.low_confidence for p in pending)
        line_color = (colors.LOW_CONFIDENCE if low else colors.PROPOSED) if pending and not self.error else color
        pen = QPen(line_color, 3.0 if self.selected else 1.6)
        pen.setCosmetic(True)
        if self.error or status is Status.NOT_EVALUABLE:
            pen.setStyle(Qt.PenStyle.DashLine)
        elif pending:
            pen.setDashPattern([4.0, 3.0])
        self.outline.setPen(pen)
        self.outline.setPath(outline_path(qpts, complete))
        # label
        text = str(self.level)
        if status is Status.NOT_EVALUABLE:
            text += " · NE"
        elif self.error:
            text += " · ⚠ check points"
        elif pending:
            text += " · proposed" + (" ⚠ low confidence" if low else "")
        elif grade is not None and complete:
            text += f" · {colors.grade_text(grade)}" + ("?" if unconfirmed else "")
        self.label.set_text(text)
        self.label.set_color(colors.HIGHLIGHT if self.selected else line_color)
        self.label.font.setUnderline(self.selected)
        self._place_label(pts)
        visible = bool(pts) or status is Status.NOT_EVALUABLE
        self.label.setVisible(bool(pts))
        self.outline.setVisible(visible)

    def _place_label(self, pts: dict[PointSlot, tuple[float, float]]) -> None:
        if not pts:
            return
        ant = [pts[s] for s in (S.SUPERIOR_ANTERIOR, S.INFERIOR_ANTERIOR) if s in pts]
        post = [pts[s] for s in (S.SUPERIOR_POSTERIOR, S.INFERIOR_POSTERIOR) if s in pts]
        if ant and post:
            ax, ay = sum(p[0] for p in ant) / len(ant), sum(p[1] for p in ant) / len(ant)
            px, py = sum(p[0] for p in post) / len(post), sum(p[1] for p in post) / len(post)
            # beside the anterior wall, on the screen side the anterior faces
            sd = self.layer.orientation.map(QPointF(ax - px, ay - py))
            d = math.hypot(sd.x(), sd.y()) or 1.0
            half_w = self.label.boundingRect().width() / 2
            self.label.setPos(ax, ay)
            self.label.set_offset(QPointF(sd.x() / d * (half_w + 14), sd.y() / d * 10))
        else:
            x, y = next(iter(pts.values()))
            self.label.setPos(x, y)
            self.label.set_offset(QPointF(0, -18))
        self.label.update()


class MarkerLayer(QObject):
    """All markers of one reading in one scene."""

    pointDragged = pyqtSignal(object, object, float, float)   # Level, PointSlot, x, y
    dragStarted = pyqtSignal(object, object)                 # Level, PointSlot
    dragFinished = pyqtSignal(object, object)                # Level, PointSlot
    levelClicked = pyqtSignal(object)                        # Level

    def __init__(self, scene: QGraphicsScene, editable: bool = True) -> None:
        super().__init__()
        self.scene = scene
        self.editable = editable
        self.reading: Reading | None = None
        self.items: dict[Level, VertebraItems] = {}
        self.selected_level: Level | None = None
        self.bounds = QRectF()
        self.summary_fn = None
        self.errors_fn = None
        #: Rotation/flip of the view (no scale): puts labels on the anterior side on screen.
        self.orientation = QTransform()
        #: Screen px per image px (handles scale with it, see :func:`handle_radius`).
        self.zoom = 1.0
        #: Median vertebra height (image px) of the reading, for levels with too few points.
        self.typical_height: float | None = None

    def set_zoom(self, zoom: float) -> None:
        """The view's zoom changed: handle sizes follow."""
        if abs(zoom - self.zoom) > 1e-6 * max(zoom, 1e-9):
            self.zoom = zoom
            self.refresh()

    def set_reading(self, reading: Reading | None, summary_fn=None, errors_fn=None) -> None:
        """Show ``reading``; ``summary_fn()``/``errors_fn()`` give its current summary and
        geometry errors ({Level: message}) so that the owner computes them once."""
        for vi in self.items.values():
            vi.remove()
        self.items.clear()
        self.reading = reading
        self.summary_fn = summary_fn
        self.errors_fn = errors_fn
        if reading is not None:
            self.items = {lv: VertebraItems(self, lv) for lv in LEVELS}
        self.refresh()

    def set_bounds(self, rect: QRectF) -> None:
        """Handles are kept inside this rectangle (the film)."""
        self.bounds = QRectF(rect)

    def refresh(self, level: Level | None = None) -> None:
        if self.reading is None:
            return
        summary = self.summary_fn() if self.summary_fn else None
        errors: dict[Level, str] = self.errors_fn() if self.errors_fn else {}
        hs = sorted(h for h in (vertebra_height_px(v.points) for v in self.reading)
                    if h is not None)
        self.typical_height = hs[len(hs) // 2] if hs else None
        for lv, vi in self.items.items():
            vi.selected = lv == self.selected_level
            vi.update(self.reading, summary, errors.get(lv))

    def select_level(self, level: Level | None) -> None:
        if level == self.selected_level:
            return
        self.selected_level = level
        self.refresh()

    def handle(self, level: Level | str, slot: PointSlot | str) -> HandleItem | None:
        vi = self.items.get(Level.parse(level))
        return vi.handles.get(PointSlot.parse(slot)) if vi else None

    def level_at(self, x: float, y: float) -> Level | None:
        """The level whose outline contains the image point (x, y)."""
        for lv, vi in self.items.items():
            if vi.outline.isVisible() and vi.outline.path().contains(QPointF(x, y)):
                return lv
        return None

    def level_center(self, level: Level) -> QPointF | None:
        v = self.reading.get(level) if self.reading else None
        if v is None or not v.points:
            return None
        xs = [p[0] for p in v.points.values()]
        ys = [p[1] for p in v.points.values()]
        return QPointF(sum(xs) / len(xs), sum(ys) / len(ys))

    # ------------------------------------------------------------------ from handles
    def handle_pressed(self, h: HandleItem) -> None:
        self.levelClicked.emit(h.level)
        self.dragStarted.emit(h.level, h.slot)

    def handle_dragged(self, h: HandleItem, pos: QPointF) -> None:
        if not self.bounds.isEmpty():
            pos = QPointF(min(max(pos.x(), self.bounds.left()), self.bounds.right()),
                          min(max(pos.y(), self.bounds.top()), self.bounds.bottom()))
        self.pointDragged.emit(h.level, h.slot, pos.x(), pos.y())

    def handle_released(self, h: HandleItem) -> None:
        self.dragFinished.emit(h.level, h.slot)

    def selected_handles(self) -> list[HandleItem]:
        return [it for it in self.scene.selectedItems() if isinstance(it, HandleItem)]


__all__ = ["HandleItem", "MarkerLayer", "SHORT"]
