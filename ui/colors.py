"""Colours of the viewer (grade colours of outlines and table cells)."""

from __future__ import annotations

from PyQt6.QtGui import QColor

from vfa.method.levels import Status

GRADE_COLORS = {
    0: QColor(60, 200, 90),      # green
    0.5: QColor(240, 220, 40),   # yellow
    1: QColor(240, 220, 40),     # yellow
    2: QColor(255, 140, 20),     # orange
    3: QColor(235, 40, 40),      # red
}
NOT_EVALUABLE = QColor(150, 150, 150)
UNGRADED = QColor(80, 190, 255)    # points being placed, no grade yet
GEOMETRY_ERROR = QColor(255, 60, 220)
HIGHLIGHT = QColor(255, 255, 255)
CHANGE_BG = QColor(255, 200, 200)  # incident / worsened rows
PROPOSED = QColor(0, 235, 235)     # proposed points not yet accepted (dashed, hollow)
LOW_CONFIDENCE = QColor(255, 176, 0)  # proposed with a low confidence: look carefully


def grade_color(grade, status=Status.EVALUABLE) -> QColor:
    """Colour of a vertebra by its final grade (grey when not evaluable)."""
    if status is Status.NOT_EVALUABLE:
        return QColor(NOT_EVALUABLE)
    if grade is None:
        return QColor(UNGRADED)
    return QColor(GRADE_COLORS.get(grade, UNGRADED))


def grade_text(grade) -> str:
    if grade is None:
        return "—"
    return "0.5" if grade == 0.5 else str(int(grade))
