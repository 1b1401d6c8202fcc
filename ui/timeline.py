"""The patient timeline: the course of the patient in view (docs/study-outcomes.md).

A level-by-visit grid (T4–L4 × visits on a time axis, coloured by final grade, marked where a
level is new, worse or reshaped since the previous visit and where a grade is unconfirmed), the
SDI over the visits on the levels read at every visit, BMD Z-scores and infusion dates on the
same axis. Clicking a cell opens that visit's film with that level selected.

Everything shown comes from :func:`vfa.study.cohort.patient_view` (Qt-free); this module only paints
it and turns clicks into ``cellClicked``. :func:`install` adds the dock, the Patient menu and its
actions to the main window.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from PyQt6.QtCore import QPointF, QRectF, QSize, Qt, QTimer, pyqtSignal
from PyQt6.QtGui import QAction, QColor, QFont, QKeySequence, QPainter, QPen, QPolygonF
from PyQt6.QtWidgets import (QDockWidget, QHBoxLayout, QLabel, QPushButton, QScrollArea,
                             QToolTip, QVBoxLayout, QWidget)

from vfa.method.levels import LEVELS, Level

from .colors import GRADE_COLORS, NOT_EVALUABLE

if TYPE_CHECKING:  # pragma: no cover
    from vfa.study.cohort import PatientView
    from vfa.study.timeline import PatientCourse

    from .shell import Shell

GRADE0 = QColor(205, 238, 210)       # grade 0 pale: fractures stand out
NEW_FRAME = QColor(200, 0, 160)      # new or worsened since the previous visit
RESHAPED_FRAME = QColor(0, 140, 60)
BMD_COLOR = QColor(120, 40, 140)
INFUSION_COLOR = QColor(30, 90, 190)
SDI_COLOR = QColor(40, 40, 40)


def _grade_text(g) -> str:
    return "0.5" if g == 0.5 else str(int(g))


class TimelineGrid(QWidget):
    """The painted grid and bands of one :class:`vfa.study.cohort.PatientView`."""

    cellClicked = pyqtSignal(int, object)        # visit index, Level

    LABEL_W = 64
    TOP = 38
    ROW_H = 18
    CELL_W = 58
    SDI_H = 58
    BMD_H = 44
    INF_H = 20
    AXIS_H = 34
    RIGHT = 24

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.view: PatientView | None = None
        self._cells: dict[tuple[int, Level], QRectF] = {}
        self.setMouseTracking(True)
        self.setMinimumHeight(self._height())

    # ------------------------------------------------------------------ data
    @property
    def course(self) -> PatientCourse:
        """The course of the view shown (the grid draws only with a view)."""
        assert self.view is not None
        return self.view.course

    def set_view(self, view: "PatientView | None") -> None:
        self.view = view
        self._cells = {}
        self.updateGeometry()
        self.update()

    def _height(self) -> int:
        return (self.TOP + len(LEVELS) * self.ROW_H + 8 + self.SDI_H + self.BMD_H + self.INF_H
                + self.AXIS_H)

    def sizeHint(self) -> QSize:  # noqa: N802
        n = len(self.view.course.visits) if self.view else 1
        return QSize(self.LABEL_W + max(n, 3) * (self.CELL_W + 40) + self.RIGHT, self._height())

    def minimumSizeHint(self) -> QSize:  # noqa: N802
        n = len(self.view.course.visits) if self.view else 1
        return QSize(self.LABEL_W + n * (self.CELL_W + 6) + self.RIGHT, self._height())

    # ------------------------------------------------------------------ geometry
    def _axis(self) -> tuple[float, float, float]:
        """(lo, hi, step) in months from baseline, covering visits, infusions and BMD."""
        c = self.course
        ms = [c.months(v.date) for v in c.visits]
        ctx = c.clinical
        if ctx is not None:
            ms += [c.months(e.date) for e in ctx.infusions if e.date] + [c.months(d) for d, _, _ in ctx.bmd_z]
        lo, hi = min(min(ms), 0.0), max(max(ms), 1.0)
        step = 3 if hi - lo <= 24 else 6 if hi - lo <= 60 else 12
        lo = math.floor(lo / step + 0.1) * step if lo < 0 else 0.0
        hi = max(hi, math.ceil(hi / step - 0.1) * step)
        return lo, hi, step

    def _x(self, months: float, lo: float, hi: float, cell_w: float) -> float:
        x0 = self.LABEL_W + cell_w / 2 + 4
        x1 = self.width() - self.RIGHT - cell_w / 2
        return x0 + (months - lo) / ((hi - lo) or 1.0) * max(1.0, x1 - x0)

    def _cell_w(self, lo: float, hi: float) -> float:
        c = self.course
        ms = [c.months(v.date) for v in c.visits]
        w = float(self.CELL_W)
        if len(ms) > 1:
            gap = min(b - a for a, b in zip(ms, ms[1:]))
            avail = self.width() - self.LABEL_W - self.RIGHT - w
            if gap > 0:
                w = min(w, 0.9 * gap / ((hi - lo) or 1.0) * avail)
        return max(w, 18.0)

    def cell_rect(self, visit: int, level: Level) -> QRectF | None:
        """Where a cell is painted (widget coordinates), for tests and tooltips."""
        if not self._cells and self.view is not None:
            self._layout()
        return self._cells.get((visit, level))

    def _layout(self) -> None:
        self._cells = {}
        if self.view is None:
            return
        lo, hi, _ = self._axis()
        cw = self._cell_w(lo, hi)
        c = self.course
        for v in c.visits:
            cx = self._x(c.months(v.date), lo, hi, cw)
            for i, lv in enumerate(LEVELS):
                self._cells[(v.index, lv)] = QRectF(cx - cw / 2, self.TOP + i * self.ROW_H, cw,
                                                    self.ROW_H)

    def resizeEvent(self, event) -> None:  # noqa: N802
        super().resizeEvent(event)
        self._cells = {}

    # ------------------------------------------------------------------ painting
    def paintEvent(self, event) -> None:  # noqa: N802
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        p.fillRect(self.rect(), QColor(255, 255, 255))
        if self.view is None:
            p.setPen(QColor(90, 90, 90))
            p.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter,
                       "No saved reading of this patient yet: save a reading to see the timeline.")
            return
        self._layout()
        c = self.course
        lo, hi, step = self._axis()
        cw = self._cell_w(lo, hi)
        f = QFont(self.font())
        f.setPointSizeF(8.5)
        p.setFont(f)
        bold = QFont(f)
        bold.setBold(True)
        # visit headers
        for v in c.visits:
            r = self._cells[(v.index, LEVELS[0])]
            p.setPen(QColor(20, 20, 20))
            head = QRectF(r.center().x() - 50, 4, 100, 16)
            p.drawText(head, Qt.AlignmentFlag.AlignCenter, v.date.isoformat())
            p.setPen(QColor(110, 110, 110))
            p.drawText(QRectF(head.x(), 19, 100, 16), Qt.AlignmentFlag.AlignCenter,
                       "baseline" if v.index == 0 else f"+{c.months(v.date):.1f} mo")
        # level labels and cells
        for i, lv in enumerate(LEVELS):
            y = self.TOP + i * self.ROW_H
            p.setPen(QColor(20, 20, 20))
            p.drawText(QRectF(0, y, self.LABEL_W - 8, self.ROW_H),
                       Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter, lv.value)
        for (vi, lv), r in self._cells.items():
            cell = c.cell(lv, vi)
            if cell.state == "graded":
                fill = GRADE0 if cell.grade in (0, None) else QColor(GRADE_COLORS.get(cell.grade, GRADE0))
            elif cell.state == "not_evaluable":
                fill = QColor(NOT_EVALUABLE)
            else:
                fill = QColor(255, 255, 255)
            p.setPen(QPen(QColor(150, 150, 150), 1))
            p.setBrush(fill)
            p.drawRect(r)
            if cell.state == "graded":
                txt = _grade_text(cell.grade) + (f" {cell.mark}" if cell.mark else "") + (
                    "" if cell.confirmed else "?")
                p.setFont(bold if cell.mark else f)
                p.setPen(QColor(0, 0, 0) if cell.confirmed or cell.mark else QColor(90, 90, 90))
                p.drawText(r, Qt.AlignmentFlag.AlignCenter, txt)
                p.setFont(f)
                if cell.change in ("incident", "worsened"):
                    p.setPen(QPen(NEW_FRAME, 2.2))
                    p.setBrush(Qt.BrushStyle.NoBrush)
                    p.drawRect(r.adjusted(1.5, 1.5, -1.5, -1.5))
                elif cell.reshaping:
                    p.setPen(QPen(RESHAPED_FRAME, 2.0, Qt.PenStyle.DashLine))
                    p.setBrush(Qt.BrushStyle.NoBrush)
                    p.drawRect(r.adjusted(1.5, 1.5, -1.5, -1.5))
            elif cell.state == "not_evaluable":
                p.setPen(QColor(30, 30, 30))
                p.drawText(r, Qt.AlignmentFlag.AlignCenter, "NE")
        # bands
        y0 = self.TOP + len(LEVELS) * self.ROW_H + 8
        self._sdi_band(p, y0, lo, hi, cw, f, bold)
        y1 = y0 + self.SDI_H
        self._bmd_band(p, y1, lo, hi, cw, f, bold)
        y2 = y1 + self.BMD_H
        self._infusion_band(p, y2, lo, hi, cw, f)
        self._axis_band(p, y2 + self.INF_H, lo, hi, step, cw, f)

    def _band_label(self, p: QPainter, y: float, h: float, text: str, color: QColor, f: QFont) -> None:
        p.setFont(f)
        p.setPen(color)
        p.drawText(QRectF(0, y, self.LABEL_W - 8, h),
                   Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter, text)

    def _sdi_band(self, p, y, lo, hi, cw, f, bold) -> None:
        c = self.course
        n = len(c.common_levels)
        self._band_label(p, y, self.SDI_H, f"SDI\n({n} lv)", SDI_COLOR, f)
        vals = [v.sdi_all_visits for v in c.visits]
        top = max(max(vals), 3)
        h = self.SDI_H - 24
        pts = []
        for v, s in zip(c.visits, vals):
            x = self._x(c.months(v.date), lo, hi, cw)
            pts.append(QPointF(x, y + 16 + h - s / top * h))
        p.setPen(QPen(QColor(225, 225, 225), 1))
        p.drawLine(QPointF(self.LABEL_W, y + 16 + h), QPointF(self.width() - self.RIGHT, y + 16 + h))
        p.setPen(QPen(SDI_COLOR, 1.6))
        for a, b in zip(pts, pts[1:]):
            p.drawLine(a, b)
        p.setBrush(SDI_COLOR)
        p.setFont(bold)
        for pt, s in zip(pts, vals):
            p.drawEllipse(pt, 3.2, 3.2)
            p.drawText(QRectF(pt.x() + 5, pt.y() - 16, 40, 14), Qt.AlignmentFlag.AlignLeft, str(s))

    def _bmd_band(self, p, y, lo, hi, cw, f, bold) -> None:
        c = self.course
        self._band_label(p, y, self.BMD_H, "BMD Z", BMD_COLOR, f)
        ctx = c.clinical
        pts = [] if ctx is None else [(d, z) for d, z, _ in ctx.bmd_z]
        if not pts:
            p.setPen(QColor(150, 150, 150))
            p.setFont(f)
            p.drawText(QRectF(self.LABEL_W + 4, y, 300, self.BMD_H),
                       Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
                       "no BMD Z-score recorded (Patient ▸ Clinical context…)")
            return
        zs = [z for _, z in pts]
        zlo, zhi = min(zs) - 0.4, max(zs) + 0.4
        h = self.BMD_H - 20

        def Y(z: float) -> float:
            return y + 16 + (zhi - z) / (zhi - zlo) * h
        if zlo < 0 < zhi:
            p.setPen(QPen(QColor(200, 200, 200), 1, Qt.PenStyle.DotLine))
            p.drawLine(QPointF(self.LABEL_W, Y(0)), QPointF(self.width() - self.RIGHT, Y(0)))
        xy = [QPointF(self._x(c.months(d), lo, hi, cw), Y(z)) for d, z in pts]
        p.setPen(QPen(BMD_COLOR, 1.3))
        for a, b in zip(xy, xy[1:]):
            p.drawLine(a, b)
        p.setBrush(BMD_COLOR)
        p.setFont(bold)
        for pt, (_, z) in zip(xy, pts):
            s = 4.5
            p.drawPolygon(QPolygonF([QPointF(pt.x(), pt.y() - s), QPointF(pt.x() + s, pt.y()),
                                     QPointF(pt.x(), pt.y() + s), QPointF(pt.x() - s, pt.y())]))
            p.drawText(QRectF(pt.x() + 5, pt.y() - 17, 60, 14), Qt.AlignmentFlag.AlignLeft,
                       f"{z:+.1f}".replace("-", "−"))

    def _infusion_band(self, p, y, lo, hi, cw, f) -> None:
        c = self.course
        self._band_label(p, y, self.INF_H, "infusion", INFUSION_COLOR, f)
        ctx = c.clinical
        p.setPen(Qt.PenStyle.NoPen)
        p.setBrush(INFUSION_COLOR)
        for e in ([] if ctx is None else ctx.infusions):
            if e.date is None:    # (infusions are dated)
                continue
            x = self._x(c.months(e.date), lo, hi, cw)
            s = 5.5
            p.drawPolygon(QPolygonF([QPointF(x - s, y + self.INF_H - 4), QPointF(x + s, y + self.INF_H - 4),
                                     QPointF(x, y + self.INF_H - 4 - 1.8 * s)]))

    def _axis_band(self, p, y, lo, hi, step, cw, f) -> None:
        p.setPen(QPen(QColor(0, 0, 0), 1))
        p.setFont(f)
        xa, xb = self._x(lo, lo, hi, cw), self._x(hi, lo, hi, cw)
        p.drawLine(QPointF(xa, y + 2), QPointF(xb, y + 2))
        m = lo
        while m <= hi + 1e-9:
            x = self._x(m, lo, hi, cw)
            p.drawLine(QPointF(x, y + 2), QPointF(x, y + 6))
            p.drawText(QRectF(x - 20, y + 6, 40, 14), Qt.AlignmentFlag.AlignCenter, f"{m:g}")
            m += step
        p.setPen(QColor(100, 100, 100))
        p.drawText(QRectF(xb - 200, y + 19, 200, 14), Qt.AlignmentFlag.AlignRight,
                   "months from baseline")

    # ------------------------------------------------------------------ mouse
    def _hit(self, pos: QPointF) -> tuple[int, Level] | None:
        if self.view is None:
            return None
        if not self._cells:
            self._layout()
        for key, r in self._cells.items():
            if r.contains(pos):
                return key
        return None

    def mousePressEvent(self, event) -> None:  # noqa: N802
        hit = self._hit(event.position())
        if hit is not None and event.button() == Qt.MouseButton.LeftButton:
            self.cellClicked.emit(hit[0], hit[1])
            event.accept()
            return
        super().mousePressEvent(event)

    def mouseMoveEvent(self, event) -> None:  # noqa: N802
        hit = self._hit(event.position())
        if hit is None:
            QToolTip.hideText()
            self.setCursor(Qt.CursorShape.ArrowCursor)
            return
        self.setCursor(Qt.CursorShape.PointingHandCursor)
        QToolTip.showText(event.globalPosition().toPoint(), self.describe(*hit), self)

    def describe(self, visit: int, level: Level) -> str:
        c = self.course
        v = c.visits[visit]
        cell = c.cell(level, visit)
        if cell.state == "not_evaluable":
            what = "not evaluable"
        elif cell.state == "not_read":
            what = "not read"
        else:
            what = f"grade {_grade_text(cell.grade)}" + ("" if cell.confirmed else " (unconfirmed)")
        change = {"incident": "new since the previous visit", "worsened": "worse since the previous visit",
                  "improved": "lower grade than at the previous visit",
                  "uncertain": "change within measurement noise (uncertain)"}.get(cell.change or "")
        if cell.reshaping:
            step = c.steps[visit - 1] if visit > 0 else None
            change = ((step.reshaping_text.get(level) if step is not None else None)
                      or f"reshaped {'completely' if cell.reshaping == 'complete' else 'partially'}")
        if change and cell.within_noise:
            change += ", within measurement noise (confirmed, smaller than the least significant change)"
        if change and cell.p_change is not None:
            change += f"; P = {cell.p_change:.2f} that it truly worsened"
        return (f"{level.value}, {v.date.isoformat()} (reader {v.reader or '?'}): {what}"
                + (f"; {change}" if change else "") + ". Click to open this film at this level.")


class TimelinePanel(QWidget):
    """Header (patient, clinical context, readings used), the grid, the legend."""

    openRequested = pyqtSignal(str, object)      # film path, Level
    clinicalRequested = pyqtSignal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.header = QLabel("")
        self.header.setWordWrap(True)
        self.header.setTextFormat(Qt.TextFormat.RichText)
        self.grid = TimelineGrid()
        self.scroll_area = QScrollArea()        # (not "scroll": QWidget.scroll())
        self.scroll_area.setWidgetResizable(True)
        self.scroll_area.setWidget(self.grid)
        self.legend = QLabel(
            "Cells: final grade (pale green 0, yellow 1, orange 2, red 3, grey NE not evaluable, "
            "white not read); <b>N</b> new, <b>W</b> worse since the previous visit (magenta frame); "
            "<b>R</b>/<b>r</b> reshaped completely/partially (green dashed frame); <b>?</b> "
            "unconfirmed grade. SDI on the levels read at every visit. Click a cell to open that film.")
        self.legend.setWordWrap(True)
        self.legend.setStyleSheet("color: #444;")
        self.clinical_button = QPushButton("Clinical context…")
        self.refresh_button = QPushButton("Refresh")
        buttons = QHBoxLayout()
        buttons.addWidget(self.clinical_button)
        buttons.addWidget(self.refresh_button)
        buttons.addStretch(1)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(6, 4, 6, 4)
        lay.addWidget(self.header)
        lay.addWidget(self.scroll_area, 1)
        lay.addWidget(self.legend)
        lay.addLayout(buttons)
        self.clinical_button.clicked.connect(self.clinicalRequested)
        self.grid.cellClicked.connect(self._cell_clicked)
        self.patient_id: str | None = None

    def set_view(self, patient_id: str | None, view: "PatientView | None") -> None:
        self.patient_id = patient_id
        self.grid.set_view(view)
        self.clinical_button.setEnabled(bool(patient_id))
        if view is None:
            self.header.setText(f"<b>{patient_id or 'No patient'}</b>" if patient_id else
                                "<b>No patient</b>: open a film")
            return
        d = view.outcome.to_dict()
        age = (f"{d['age_at_baseline']:.1f} y at baseline" if d["age_at_baseline"] is not None
               else "age unknown")
        bits = [f"<b>{_esc(d['patient_id'])}</b> — {_esc(d['sex'] or '?')}, {age}",
                (f"{d['visits']} visits over {d['months_followup']:.1f} months"
                 if d["months_followup"] is not None else "1 visit (no follow-up yet)")]
        if d["diagnosis"]:
            bits.append(_esc(d["diagnosis"]))
        lines = [" · ".join(bits)]
        figs = [f"prevalent {d['prevalent_fractures']}"
                + (f" ({', '.join(d['prevalent_levels'])})" if d["prevalent_levels"] else "")]
        if d["visits"] > 1:
            figs += [f"new {d['incident_fractures']}"
                     + (f" ({', '.join(d['incident_levels_any_interval'])})"
                        if d["incident_levels_any_interval"] else ""),
                     f"worse {d['worsened']}",
                     (f"reshaped {d['reshaped']}" + (f" ({', '.join(d['reshaped_levels'])})"
                                                      if d["reshaped_levels"] else ""))
                     if d["reshaping_assessed"] is not False else "reshaping not assessed (age unknown)",
                     f"SDI {d['sdi_baseline_common']} → {d['sdi_last_common']} on "
                     f"{d['common_levels']} levels"]
            figs += [f"{w} ({', '.join(d[k])})" for k, w in (("within_noise_levels", "within noise"),
                                                             ("uncertain_levels", "uncertain"))
                     if d[k]]
        if d["unconfirmed"]:
            figs.append(f"<span style='color:#a05000'>{d['unconfirmed']} unconfirmed grade(s)</span>")
        lines.append("; ".join(figs))
        if d["treatment"]:
            lines.append(f"<span style='color:{INFUSION_COLOR.name()}'>Bisphosphonate: "
                         f"{_esc(d['treatment'])}</span>")
        lines.append(f"<span style='color:#666'>Readings: {_esc(view.readings_used)}"
                     + ("; " + _esc("; ".join(view.notes)) if view.notes else "") + "</span>")
        self.header.setText("<br/>".join(lines))

    def _cell_clicked(self, visit: int, level: Level) -> None:
        v = self.grid.view
        if v is None:
            return
        path = v.films[visit]
        self.openRequested.emit(path or "", level)


def _esc(s: str) -> str:
    import html
    return html.escape(str(s))


# --------------------------------------------------------------------------------------
# The hook into the main window
# --------------------------------------------------------------------------------------
class TimelineController:
    """The Patient menu: the timeline dock and the clinical-context panel."""

    def __init__(self, w: Shell) -> None:
        """``w``: the main window (its ``host`` — the open document, followed here —
        ``workspace``, ``open_file``, ``select_level``, status bar, docks and menu bar); not
        imported here, so that no ui module depends on it."""
        self.w = w
        self.host = w.host
        self.panel = TimelinePanel()
        self.dock = QDockWidget("Patient timeline", w.widget())
        self.dock.setObjectName("TimelineDock")
        self.dock.setWidget(self.panel)
        # beside the film, with the grading table and patient list: never over it (issue 21)
        w.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, self.dock)
        w.tabifyDockWidget(w.table_dock, self.dock)
        w.table_dock.raise_()
        self.dock.hide()
        action = self.dock.toggleViewAction()
        assert action is not None     # (PyQt6's stubs: Optional; a dock always has it)
        self.action = action
        self.action.setText("Patient &timeline")
        self.action.setShortcut(QKeySequence("Ctrl+T"))
        # a tab beside the grading table: shown means brought to the front
        self.action.triggered.connect(lambda on: self.dock.raise_() if on else None)
        self.action.setToolTip("The patient's course over the saved visits: grades by level and "
                               "visit, SDI, BMD Z-scores and infusions")
        self.clinical_action = QAction("&Clinical context…", w.widget())
        self.clinical_action.setToolTip("Diagnosis, drugs, bisphosphonate infusions, BMD "
                                        "Z-scores and notes of the patient in view")
        self.clinical_action.triggered.connect(self.edit_clinical)
        menu = w.menuBar().addMenu("Pa&tient")
        assert menu is not None
        menu.addAction(self.action)
        menu.addAction(self.clinical_action)
        self.menu = menu
        self.panel.openRequested.connect(self.open_cell)
        self.panel.clinicalRequested.connect(self.edit_clinical)
        self.panel.refresh_button.clicked.connect(self.refresh)
        self.dock.visibilityChanged.connect(lambda on: self.refresh() if on else None)
        self.host.documentChanged.connect(lambda _doc: self._later())   # another film
        self.host.saved.connect(lambda _path: self._later())           # a visit saved
        self._timer = QTimer(w.widget())
        self._timer.setSingleShot(True)
        self._timer.setInterval(0)
        self._timer.timeout.connect(self.refresh)

    def _later(self) -> None:
        if self.dock.isVisible():
            self._timer.start()

    def _blinded_off(self, surface: str) -> str | None:
        """Why ``surface`` is off in the window's blinded session (None: not blinded, or on)."""
        b = getattr(self.w, "blinded", None)
        if b is None or b.session.allows(surface):
            return None
        return b.session.why_not(surface)

    def patient_id(self) -> str | None:
        doc = self.host.doc
        return (doc.reading.patient_id or None) if doc is not None else None

    def refresh(self) -> None:
        from vfa.study.cohort import patient_view
        from vfa.errors import VfaError
        from vfa.storage.workspace import default_reader
        pid = self.patient_id()
        ws = self.w.workspace
        if self._blinded_off("patient timeline"):      # the blinding policy decides
            self.panel.set_view(None, None)
            self.dock.hide()
            return
        self.clinical_action.setEnabled(bool(pid and ws is not None))
        if not pid or ws is None:
            self.panel.set_view(pid, None)
            return
        reader = (self.host.doc.reading.reader if self.host.doc is not None else None) or default_reader()
        try:
            view = patient_view(ws, pid, reader)
        except VfaError as exc:
            self.w.statusBar().showMessage(f"Timeline: {exc}", 8000)
            view = None
        self.panel.set_view(pid, view)

    def open_cell(self, path: str, level: Level) -> None:
        if not path:
            self.w.statusBar().showMessage("The film of this visit cannot be found (moved or "
                                           "not in the index): open it with File ▸ Open", 8000)
            return
        if self.w.open_file(path):
            self.w.select_level(level, centre=True)

    def edit_clinical(self) -> None:
        why = self._blinded_off("clinical context")
        if why:
            self.w.statusBar().showMessage(why, 6000)
            return
        pid = self.patient_id()
        ws = self.w.workspace
        if not pid or ws is None:
            self.w.statusBar().showMessage("Open a film of the patient first", 4000)
            return
        from .patient_panel import ClinicalDialog
        dlg = ClinicalDialog(ws, pid, self.w.widget())
        if dlg.exec():
            self.refresh()


def install(w: Shell) -> TimelineController:
    """Add the Patient menu (timeline dock, clinical context) to the main window."""
    return TimelineController(w)


__all__ = ["TimelineGrid", "TimelinePanel", "TimelineController", "install"]
