"""View ▸ Kyphosis lines: the endplate lines of the kyphosis (T4 superior, T12 inferior) and
of the L1–L4 angle drawn over the film, with their values (docs/beyond-the-grade.md).

Nothing is computed here: the lines and angles come from :func:`vfa.method.angles.spine_angle`
(the end levels actually used, e.g. T5–T12 when T4 is not evaluable). The values are also in
the grading table's summary, whether the lines are shown or not.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PyQt6.QtCore import QLineF, QObject, QPointF
from PyQt6.QtGui import QColor, QPen
from PyQt6.QtWidgets import QGraphicsLineItem

from vfa.method.angles import REGIONS, describe, spine_angle

from .film_view import TextTag

if TYPE_CHECKING:  # pragma: no cover
    from PyQt6.QtCore import QSettings

    from .film_view import FilmView
    from .host import DocumentHost

#: Line colours: kyphosis cyan, lordosis magenta (distinct from the grade colours).
COLOURS = {"kyphosis": QColor(0, 220, 255), "lordosis_l1_l4": QColor(255, 80, 255)}
LABELS = {"kyphosis": "Kyphosis", "lordosis_l1_l4": "Lordosis"}
#: Each endplate line is drawn this many endplate lengths beyond each corner.
EXTEND = 1.5


def angles_summary(reading) -> str:
    """``Kyphosis T4–T12: Cobb 42.3°, centroid 37.6° · Lordosis L1–L4: …`` (table summary)."""
    return "   ·   ".join(describe(spine_angle(reading, n), LABELS[n]) for n in REGIONS)


class KyphosisLines(QObject):
    """The overlay on one film view; shown while View ▸ Kyphosis lines is checked. It
    follows the open document of ``host`` (another film, an edit) by itself."""

    def __init__(self, view: "FilmView", host: "DocumentHost", settings: "QSettings",
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.host = host
        self.view = view
        self.settings = settings
        self.items: list = []
        self.shown = settings.value("view/kyphosis_lines", "false") == "true"
        host.documentChanged.connect(lambda _doc: self.refresh())
        host.changed.connect(lambda _event: self.refresh())

    def set_shown(self, shown: bool) -> None:
        """View ▸ Kyphosis lines (K): remembered in the viewer's settings."""
        self.shown = bool(shown)
        self.settings.setValue("view/kyphosis_lines", "true" if self.shown else "false")
        self.refresh()

    def clear(self) -> None:
        scene = self.view.scene()
        for it in self.items:
            if it.scene() is scene:
                scene.removeItem(it)
        self.items = []

    def refresh(self) -> None:
        self.clear()
        doc = self.host.doc
        if not self.shown or doc is None:
            return
        scene = self.view.scene()
        for name in REGIONS:
            a = spine_angle(doc.reading, name)
            if a is None:
                continue
            pen = QPen(COLOURS[name], 2)
            pen.setCosmetic(True)
            for (ax, ay), (px, py) in (a.upper_line, a.lower_line):
                dx, dy = px - ax, py - ay
                line = QGraphicsLineItem(QLineF(QPointF(ax - EXTEND * dx, ay - EXTEND * dy),
                                                QPointF(px + EXTEND * dx, py + EXTEND * dy)))
                line.setPen(pen)
                line.setZValue(15)
                scene.addItem(line)
                self.items.append(line)
            tag = TextTag(f"{LABELS[name]} {a.cobb_deg:.1f}°", COLOURS[name])  # Cobb; all in the summary
            # above the posterior end of the upper line: clear of the level labels, which
            # sit on the anterior side
            (ax, ay), (px, py) = a.upper_line
            tag.setPos(QPointF(px + (px - ax), py + (py - ay)))
            tag.set_offset(QPointF(0, -18))
            scene.addItem(tag)
            self.items.append(tag)


__all__ = ["KyphosisLines", "angles_summary", "COLOURS"]
