"""The Measure and Calibrate tools: the line drawn on the film, its length in the status bar,
and a manual calibration from a known length.

Distances come from :func:`vfa.method.geometry.distance` with the reading's spacing (mm, *px* on an
uncalibrated film, *at detector* when not corrected for magnification); a calibration is
:meth:`ui.document.Document.calibrate` (``Spacing.manual``, one undo step).
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Callable

from PyQt6.QtCore import QObject, QPointF
from PyQt6.QtWidgets import QLabel, QWidget

from vfa.method.geometry import distance

from . import dialogs
from .film_view import TOOL_CALIBRATE, TOOL_MEASURE, TOOL_PLACE, FilmView

if TYPE_CHECKING:  # pragma: no cover
    from .host import DocumentHost


class MeasureLines(QObject):
    """Follows the film view's measure/calibrate line.

    It gets the open document's ``host``, its own widgets (the film view, the status bar's
    distance label), ``status(text, ms)`` for messages, ``set_tool(tool)`` to go back to
    Place after a calibration, and the ``parent`` widget of its dialog."""

    def __init__(self, view: FilmView, dist_label: QLabel, host: DocumentHost, *,
                 status: Callable[[str, int], None], set_tool: Callable[[str], None],
                 parent: QWidget) -> None:
        super().__init__(parent)
        self.host = host
        self.parent_widget = parent
        self.status = status
        self.set_tool = set_tool
        self.view = view
        self.dist_label = dist_label
        view.lineChanged.connect(self._line_changed)
        view.lineDrawn.connect(self._line_drawn)

    def distance_text(self, p0: QPointF, p1: QPointF) -> str:
        doc = self.host.doc
        if doc is None:
            return ""
        sp = doc.reading.spacing
        d = distance((p0.x(), p0.y()), (p1.x(), p1.y()), sp.row_mm, sp.col_mm)
        if not sp.calibrated:
            return f"{d:.1f} px"
        return f"{d:.1f} mm" + (" (at detector)" if sp.at_detector_only else "")

    def _line_changed(self, tool: str, p0: QPointF, p1: QPointF) -> None:
        if tool == TOOL_MEASURE:
            t = self.distance_text(p0, p1)
        else:
            t = f"{math.hypot(p1.x() - p0.x(), p1.y() - p0.y()):.1f} px"
        self.view.line.set_points(p0, p1, t)
        self.dist_label.setText(f"distance {t}")

    def _line_drawn(self, tool: str, p0: QPointF, p1: QPointF) -> None:
        self._line_changed(tool, p0, p1)
        doc = self.host.doc
        if tool != TOOL_CALIBRATE or doc is None:
            return
        px = math.hypot(p1.x() - p0.x(), p1.y() - p0.y())
        if px < 2:
            self.status("Calibration line too short: draw it over a known length", 5000)
            return
        mm = dialogs.ask_length_mm(self.parent_widget, px)
        if mm is None:
            self.view.line.hide_all()
            return
        if doc.calibrate((p0.x(), p0.y()), (p1.x(), p1.y()), mm):
            self.status(f"Calibrated: {doc.reading.spacing.description}", 8000)
            self.set_tool(TOOL_PLACE)
