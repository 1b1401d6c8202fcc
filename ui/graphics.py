"""Small graphics items shared by the film view and the markers (no other ui imports)."""

from __future__ import annotations

from PyQt6.QtCore import QPointF, QRectF, Qt
from PyQt6.QtGui import QColor, QFont, QPainter, QPainterPath
from PyQt6.QtWidgets import QGraphicsItem


class TextTag(QGraphicsItem):
    """A small text with a dark box, constant screen size, centred on its position plus
    ``offset`` (screen pixels)."""

    def __init__(self, text: str, color: QColor, bold: bool = True) -> None:
        super().__init__()
        self.setFlag(QGraphicsItem.GraphicsItemFlag.ItemIgnoresTransformations)
        self.setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache)
        self.setZValue(40)
        self._text = text
        self.color = QColor(color)
        self.font = QFont()
        self.font.setPointSize(10)
        self.font.setBold(bold)
        self.offset = QPointF(0, 0)
        self._rect = QRectF()
        self._measure()

    def _measure(self) -> None:
        from PyQt6.QtGui import QFontMetricsF
        fm = QFontMetricsF(self.font)
        w = fm.horizontalAdvance(self._text) + 8
        h = fm.height() + 4
        self._rect = QRectF(-w / 2, -h / 2, w, h)

    def set_offset(self, offset: QPointF) -> None:
        if offset != self.offset:
            self.prepareGeometryChange()
            self.offset = QPointF(offset)

    def set_text(self, text: str) -> None:
        if text != self._text:
            self.prepareGeometryChange()
            self._text = text
            self._measure()
            self.update()

    @property
    def text(self) -> str:
        return self._text

    def set_color(self, color: QColor) -> None:
        if color != self.color:
            self.color = QColor(color)
            self.update()

    def boundingRect(self) -> QRectF:  # noqa: N802
        return self._rect.translated(self.offset).adjusted(-1, -1, 1, 1)

    def paint(self, painter: QPainter | None, option, widget=None) -> None:
        assert painter is not None      # (Qt always paints with one)
        r = self._rect.translated(self.offset)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(QColor(0, 0, 0, 170))
        painter.drawRoundedRect(r, 3, 3)
        painter.setFont(self.font)
        painter.setPen(self.color)
        painter.drawText(r, Qt.AlignmentFlag.AlignCenter, self._text)


def outline_path(points: list[QPointF], closed: bool) -> QPainterPath:
    path = QPainterPath()
    if not points:
        return path
    path.moveTo(points[0])
    for p in points[1:]:
        path.lineTo(p)
    if closed:
        path.closeSubpath()
    return path
