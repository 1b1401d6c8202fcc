"""A small QPainter plot of SDI and of one level's ratios across a patient's visits.

The numbers come from :func:`vfa.method.comparison.sdi_series` and :func:`vfa.method.comparison.ratio_trend`
(via :class:`ui.compare.ComparisonView`); this widget only draws them. Ratios (wedge Ha/Hp,
biconcave Hm/Hp, crush Hp/Hp_ref), not millimetres: a growing child's vertebrae get taller
between visits, and a reshaping vertebra shows its gain as a rising ratio.
"""

from __future__ import annotations

import datetime as _dt

from PyQt6.QtCore import QPointF, QRectF, QSize, Qt
from PyQt6.QtGui import QColor, QFont, QPainter, QPen
from PyQt6.QtWidgets import QWidget

SERIES_COLORS = {"SDI": QColor(30, 30, 30), "wedge": QColor(200, 60, 40),
                 "bicon.": QColor(40, 130, 60), "crush": QColor(40, 90, 200)}


class TrendPlot(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.sdi: list[tuple[_dt.date | None, int]] = []
        self.ratios: list[tuple[_dt.date | None, float | None, float | None, float | None]] = []
        self.level = ""
        self.marked: set[_dt.date] = set()
        self.setMinimumHeight(180)

    def sizeHint(self) -> QSize:  # noqa: N802
        return QSize(420, 220)

    def set_data(self, sdi, ratios, level: str, marked=()) -> None:
        """``sdi``: [(date, SDI)], ``ratios``: [(date, wedge, biconcave, crush)] of ``level``."""
        self.sdi = list(sdi)
        self.ratios = list(ratios)
        self.level = level
        self.marked = set(marked)
        self.update()

    # ------------------------------------------------------------------ drawing
    def paintEvent(self, event) -> None:  # noqa: N802
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        p.fillRect(self.rect(), QColor(255, 255, 255))
        font = QFont(self.font())
        font.setPointSize(9)
        p.setFont(font)
        w, h = self.width(), self.height()
        half = (w - 10) / 2
        self._panel(p, QRectF(4, 4, half - 4, h - 8), "SDI by visit",
                    {"SDI": [(d, v) for d, v in self.sdi]}, integer=True)
        rs = {"wedge": [(d, a) for d, a, _b, _c in self.ratios],
              "bicon.": [(d, b) for d, _a, b, _c in self.ratios],
              "crush": [(d, c) for d, _a, _b, c in self.ratios]}
        self._panel(p, QRectF(half + 8, 4, half - 4, h - 8),
                    f"{self.level} ratios" if self.level else "ratios", rs, ratio=True)
        p.end()

    def _panel(self, p: QPainter, r: QRectF, title: str, series: dict, integer: bool = False,
               ratio: bool = False) -> None:
        p.setPen(QPen(QColor(200, 200, 200)))
        p.drawRect(r)
        p.setPen(QColor(0, 0, 0))
        p.drawText(r.adjusted(6, 2, -4, 0), Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft, title)
        dates = sorted({d for pts in series.values() for d, v in pts if d is not None and v is not None})
        vals = [v for pts in series.values() for d, v in pts if d is not None and v is not None]
        plot = r.adjusted(44, 24, -14, -22)
        inner = plot.adjusted(34, 0, -34, 0)   # points away from the axes, dates unclipped
        if not dates or not vals:
            p.setPen(QColor(120, 120, 120))
            p.drawText(plot, Qt.AlignmentFlag.AlignCenter, "no saved readings")
            return
        vmin, vmax = min(vals), max(vals)
        if integer:
            vmin, vmax = 0, max(3, int(vmax) + 1)
        elif ratio:   # 1.00 = no reduction; 0.80 = 20 % (grade 1) always in view
            vmin, vmax = min(vmin, 0.75) - 0.02, max(vmax, 1.05) + 0.02
        else:
            pad = max((vmax - vmin) * 0.15, 1.0)
            vmin, vmax = vmin - pad, vmax + pad
        d0, d1 = dates[0].toordinal(), dates[-1].toordinal()
        span = max(d1 - d0, 1)

        def X(d: _dt.date) -> float:
            if d0 == d1:
                return inner.center().x()
            return inner.left() + (d.toordinal() - d0) / span * inner.width()

        def Y(v: float) -> float:
            return plot.bottom() - (v - vmin) / (vmax - vmin) * plot.height()

        # axes and labels
        p.setPen(QPen(QColor(120, 120, 120)))
        p.drawLine(QPointF(plot.left(), plot.bottom()), QPointF(plot.right(), plot.bottom()))
        p.drawLine(QPointF(plot.left(), plot.top()), QPointF(plot.left(), plot.bottom()))
        ticks = (vmin, (vmin + vmax) // 2, vmax) if integer else (vmin, (vmin + vmax) / 2, vmax)
        for v in ticks:
            txt = (f"{v:.2f}" if ratio else
                   f"{v:.0f}" if integer or abs(vmax - vmin) > 10 else f"{v:.1f}")
            p.drawText(QRectF(r.left(), Y(v) - 8, 40, 16),
                       Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter, txt)
        shown = dates if len(dates) <= 5 else [dates[0], dates[len(dates) // 2], dates[-1]]
        for d in shown:
            x = X(d)
            p.drawText(QRectF(x - 40, plot.bottom() + 3, 80, 16), Qt.AlignmentFlag.AlignHCenter,
                       d.isoformat())
        # marked visits (the two compared): a light band behind the points
        for d in self.marked:
            if d is not None and d0 <= d.toordinal() <= d1:
                p.fillRect(QRectF(X(d) - 5, plot.top(), 10, plot.height()), QColor(255, 200, 60, 90))
        # series
        lx = r.right() - 6
        for name, pts in series.items():
            pts = sorted((d, v) for d, v in pts if d is not None and v is not None)
            if not pts:
                continue
            c = SERIES_COLORS.get(name, QColor(0, 0, 0))
            p.setPen(QPen(c, 2))
            for (da, va), (db, vb) in zip(pts, pts[1:]):
                p.drawLine(QPointF(X(da), Y(va)), QPointF(X(db), Y(vb)))
            p.setBrush(c)
            for d, v in pts:
                p.drawEllipse(QPointF(X(d), Y(v)), 3.5, 3.5)
            p.setBrush(Qt.BrushStyle.NoBrush)
            if len(series) > 1:   # legend, top right, after the title
                p.drawText(QRectF(lx - 44, r.top() + 2, 44, 16), Qt.AlignmentFlag.AlignRight, name)
                lx -= 48
