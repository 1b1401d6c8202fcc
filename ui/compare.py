"""Comparison of two visits of one patient, side by side.

Left: the earlier film (baseline), right: the later one (follow-up), each with its markers
(read-only here). One of the two is the film open in the viewer (its live reading, saved or
not); the other is chosen from the patient's saved readings (default: the earliest).
Selecting a level (table row or a marker) centres that level on both films; window/level can
be linked. The change table and the trend plot show :func:`vfa.method.comparison.compare` and
:func:`vfa.method.comparison.sdi_series`.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from PyQt6.QtCore import QSignalBlocker, Qt, pyqtSignal
from PyQt6.QtGui import QBrush, QColor, QFont
from PyQt6.QtWidgets import (QAbstractItemView, QCheckBox, QComboBox, QHBoxLayout, QHeaderView,
                             QLabel, QPushButton, QSplitter, QTableWidget, QTableWidgetItem,
                             QVBoxLayout, QWidget)

from vfa.method.comparison import RATIO_NAMES, Comparison, compare, ratio_trend, sdi_series
from vfa.errors import VfaError
from vfa.method.levels import LEVELS, Level
from vfa.method.morphometry import summarize
from vfa.films.radiograph import Radiograph, load_radiograph
from vfa.reading.reading import Reading, check_film, resolve_image_path
from vfa.films.windowing import WindowChoice

from . import colors
from .film_view import FilmView
from .markers import MarkerLayer
from .trend import TrendPlot

if TYPE_CHECKING:  # pragma: no cover
    from vfa.storage.workspace import Workspace

    from .document import Document

CHANGE_COLUMNS = ["Level", "Baseline", "Follow-up", "Change", "P", "Height loss", "Loss mm", "FIT rule",
                  "Ratio change / reshaping"]
C_CHANGE, C_P, C_FIT = 3, 4, 7
#: Shading of a confirmed change smaller than the least significant change (domain.md §4).
NOISE_BG = QColor(255, 236, 179)


def footnote(comp: Comparison) -> str:
    """The line under the change table: the millimetre (FIT) rule and what limits it, in
    whole sentences."""
    st = comp.settings
    out = [f"FIT rule: a loss of at least {st.fit_loss_pct:g} % and {st.fit_loss_mm:g} mm "
           "in one height."]
    if comp.mm_rule_note:
        text = comp.mm_rule_note.rstrip(".")
        if text.startswith("not applicable: "):
            text = text[len("not applicable: "):]
        out.append(f"Here it does not apply: {text}.")
    if comp.baseline.paediatric or comp.followup.paediatric:
        out.append("Paediatric study: an improvement can be real reshaping.")
    elif comp.paediatric is None:
        out.append("Age unknown: adult rules apply.")
    if comp.uncertain:
        out.append(f"Uncertain: a grade changed with less than the least significant change "
                   f"({comp.lsc_pct:.1f} points) of measured change behind an unconfirmed grade "
                   "(? in the table).")
    if comp.within_noise:
        out.append("Within noise (shaded): "
                   + "; ".join(ch.describe() or "" for ch in comp.changes if ch.within_noise)
                   + ". The confirmed grades stand.")
    if not comp.reshaping_assessed:
        out.append("Reshaping not assessed: the age is unknown.")
    out.append(f"P = probability that the level truly got worse; measurement noise "
               f"{comp.measurement_noise.describe()}.")
    return " ".join(out)


def grade_cell(g, confirmed: bool, result) -> str:
    """A grade of the change table, with "crush n/a" beside it when its crush was not assessable."""
    text = _grade(g, confirmed)
    return f"{text} crush n/a" if g is not None and result.crush_na else text


def p_text(ch) -> str:
    """The compact probability column: "P 0.97" that the level truly got worse."""
    if ch.p_change is None or ch.change.value in ("unchanged", "not_comparable"):
        return ""
    return f"P {ch.p_change:.2f}"


def _grade(g, confirmed: bool = True) -> str:
    """A grade, with ``?`` when the reader has not confirmed it."""
    return (colors.grade_text(g) + ("" if confirmed else "?")) if g is not None else "—"


def change_words(ch) -> str:
    """The last column of the change table, in the words a clinician reads."""
    if ch.reshaping:
        return ch.reshaping_text() or ""
    if ch.tentative_change is not None:
        pc = f"{ch.percent_change:+.1f}" if ch.percent_change is not None else "?"
        return (f"{ch.tentative_change.value}? measured change {pc} points: confirm the grades "
                "to decide")
    pp = ch.ratio_change_pp
    if not pp:
        return ""
    best = max(((k, v) for k, v in pp.items() if v is not None), key=lambda kv: abs(kv[1]),
               default=None)
    if best is None or abs(best[1]) < 0.05:
        return "ratios unchanged"
    return f"{best[0]} ratio {best[1]:+.1f} points"


class Side(QWidget):
    """One film of the comparison with its title and markers."""

    def __init__(self, title: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.setSpacing(2)
        self.title = QLabel(title)
        f = self.title.font()
        f.setBold(True)
        self.title.setFont(f)
        lay.addWidget(self.title)
        self.view = FilmView(self)
        lay.addWidget(self.view, 1)
        self.layer = MarkerLayer(self.view.scene(), editable=False)
        self.reading: Reading | None = None
        self._summary = None

    def show_film(self, radiograph: Radiograph | None, reading: Reading | None) -> None:
        self.view.set_film(radiograph)
        self.layer.set_bounds(self.view.image_rect())
        self.set_reading(reading)

    def set_reading(self, reading: Reading | None) -> None:
        self.reading = reading
        self._summary = None
        self.layer.set_reading(reading, self.summary, self.errors)

    def summary(self):
        if self._summary is None and self.reading is not None:
            self._summary = summarize(self.reading)
        return self._summary

    def errors(self):
        return {}

    def invalidate(self) -> None:
        self._summary = None
        self.layer.refresh()

    def centre_on(self, level: Level) -> None:
        self.layer.select_level(level)
        c = self.layer.level_center(level)
        if c is not None:
            self.view.center_on_image(c.x(), c.y())


class ComparisonView(QWidget):
    closeRequested = pyqtSignal()
    levelSelected = pyqtSignal(object)
    #: the view showing the open film (the one the reader works on) changed sides, or was shown
    openViewChanged = pyqtSignal(object)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.workspace: Workspace | None = None
        self.doc: Document | None = None
        #: only this reader's readings are compared (blinded reading-centre mode), else any
        self.reader_filter: str | None = None
        self.others: list[Reading] = []
        self.all_readings: list[Reading] = []
        self.comparison: Comparison | None = None
        self.selected_level: Level | None = None
        self._films: dict[str, Radiograph | None] = {}
        self._syncing = False
        self._level_chosen = False      # the reader chose the plot level (else: first incident)

        lay = QVBoxLayout(self)
        lay.setContentsMargins(4, 4, 4, 4)
        bar = QHBoxLayout()
        bar.addWidget(QLabel("Compare with:"))
        self.other_box = QComboBox()
        self.other_box.setMinimumWidth(260)
        self.other_box.activated.connect(self._other_chosen)
        bar.addWidget(self.other_box)
        self.link_wl = QCheckBox("Link window/level")
        self.link_wl.setChecked(True)
        self.link_wl.setToolTip("A window/level change on one film is made on the other in "
                                "the same relative terms (its own brightness range and "
                                "polarity)")
        self.link_wl.toggled.connect(self._link_toggled)
        bar.addWidget(self.link_wl)
        bar.addWidget(QLabel("Plot level:"))
        self.level_box = QComboBox()
        self.level_box.addItems([lv.value for lv in LEVELS])
        self.level_box.setCurrentText("T12")
        self.level_box.activated.connect(self._plot_level_chosen)
        bar.addWidget(self.level_box)
        bar.addStretch(1)
        self.back = QPushButton("Back to reading")
        self.back.clicked.connect(self.closeRequested)
        bar.addWidget(self.back)
        lay.addLayout(bar)

        self.headline = QLabel("")
        self.headline.setWordWrap(True)
        f = self.headline.font()
        f.setBold(True)
        self.headline.setFont(f)
        lay.addWidget(self.headline)

        split = QSplitter(Qt.Orientation.Vertical)
        films = QSplitter(Qt.Orientation.Horizontal)
        self.left = Side("Baseline")
        self.right = Side("Follow-up")
        films.addWidget(self.left)
        films.addWidget(self.right)
        split.addWidget(films)
        bottom = QSplitter(Qt.Orientation.Horizontal)
        self.table = QTableWidget(len(LEVELS), len(CHANGE_COLUMNS))
        self.table.setHorizontalHeaderLabels(CHANGE_COLUMNS)
        vh = self.table.verticalHeader()
        assert vh is not None     # (PyQt6's stubs: Optional; a table always has its headers)
        vh.hide()
        vh.setDefaultSectionSize(22)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        hh = self.table.horizontalHeader()
        assert hh is not None
        hh.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        hh.setStretchLastSection(True)
        for c, wdt in enumerate([48, 96, 96, 140, 52, 100, 60, 56, 260]):
            self.table.setColumnWidth(c, wdt)
        self.table.setMinimumWidth(600)
        self.table.itemSelectionChanged.connect(self._row_selected)
        bottom.addWidget(self.table)
        self.plot = TrendPlot()
        bottom.addWidget(self.plot)
        bottom.setSizes([580, 700])
        split.addWidget(bottom)
        split.setStretchFactor(0, 3)
        split.setStretchFactor(1, 2)
        split.setSizes([560, 330])
        self.split = split
        lay.addWidget(split, 1)
        self.note = QLabel("")
        self.note.setWordWrap(True)
        # room for three lines: the FIT rule, changes within noise, the measurement noise
        self.note.setMinimumHeight(3 * self.note.fontMetrics().lineSpacing() + 4)
        lay.addWidget(self.note)

        for side in (self.left, self.right):
            side.layer.levelClicked.connect(self.select_level)
            side.view.imageClicked.connect(
                lambda x, y, side=side: self._clicked(side, x, y))
        self.left.view.displayChanged.connect(lambda s: self._link(self.left, self.right, s))
        self.right.view.displayChanged.connect(lambda s: self._link(self.right, self.left, s))

    # ------------------------------------------------------------------ context
    def set_context(self, workspace, doc) -> None:
        """Compare ``doc`` (the open film) with the patient's other saved readings."""
        if self.doc is not None:
            try:
                self.doc.changed.disconnect(self._doc_changed)
            except TypeError:
                pass
        self.workspace = workspace
        self.doc = doc
        self._level_chosen = False
        self._films.clear()
        self.others = []
        self.all_readings = []
        if doc is None or workspace is None:
            self.headline.setText("Open a film to compare visits.")
            return
        doc.changed.connect(self._doc_changed)
        cur = doc.reading
        try:
            saved = (workspace.readings_for_patient(cur.patient_id, reader=self.reader_filter)
                     if cur.patient_id else [])
        except VfaError as exc:
            saved = []
            self.note.setText(str(exc))
        self.others = [r for r in saved if r.sop_instance_uid != cur.sop_instance_uid]
        self.all_readings = self.others + [cur]
        with QSignalBlocker(self.other_box):
            self.other_box.clear()
            for r in self.others:
                date = r.study_date.isoformat() if r.study_date else "no date"
                name = Path(r.image_path).name if r.image_path else r.sop_instance_uid[-10:]
                self.other_box.addItem(f"{date} — {name}")
        if not self.others:
            self.headline.setText(
                f"No other saved reading of patient {cur.patient_id or '(no ID)'}: save the "
                "reading of another visit of this patient to compare.")
            self.left.show_film(None, None)
            self.right.show_film(doc.radiograph, cur)
            self.openViewChanged.emit(self.right.view)
            self.table.clearContents()
            self._update_plot()
            return
        self.other_box.setCurrentIndex(0)   # earliest
        self._show_pair(0)

    def _other_chosen(self, index: int) -> None:
        self._show_pair(index)

    def _film_for(self, reading: Reading) -> Radiograph | None:
        key = reading.sop_instance_uid
        if key in self._films:
            return self._films[key]
        rg = None
        found = resolve_image_path(reading)  # relative to the reading file (or older forms)
        paths = [str(found) if found else reading.image_path]
        try:
            rec = self.workspace.index.image(reading.sop_instance_uid) if self.workspace is not None else None
            if rec is not None:
                paths.append(rec.path)
        except VfaError:
            pass
        err = "no file location is known"
        for p in paths:
            if not p:
                continue
            try:
                rg = load_radiograph(p)
                check_film(reading, rg, p)  # never another patient's film under these points
                break
            except VfaError as exc:
                rg = None
                err = str(exc)
        if rg is None:
            self.note.setText(f"The film of {reading.study_date} cannot be shown: {err}")
        self._films[key] = rg
        return rg

    def _show_pair(self, index: int) -> None:
        other = self.others[index]
        assert self.doc is not None       # (the pairs are of the open film)
        cur = self.doc.reading
        key = lambda r: (r.study_date is None, r.study_date)  # noqa: E731
        base, follow = (other, cur) if key(other) <= key(cur) else (cur, other)
        self.note.setText("")
        for side, r, what in ((self.left, base, "Baseline"), (self.right, follow, "Follow-up")):
            rg = self.doc.radiograph if r is cur else self._film_for(r)
            side.show_film(rg, r)
            date = r.study_date.isoformat() if r.study_date else "no date"
            side.title.setText(f"{what}: {date}" + ("  (open film)" if r is cur else ""))
        self.base, self.follow = base, follow
        # the open film as the reader windowed it; the other follows when linked
        open_side = self.left if base is cur else self.right
        if self.doc.radiograph is not None and open_side.view.radiograph is self.doc.radiograph:
            open_side.view.set_display(self.doc.display_settings())
        self.openViewChanged.emit(open_side.view)
        self._recompute()
        if self.selected_level is not None:
            self.select_level(self.selected_level)

    def _doc_changed(self, _event=None) -> None:
        if not self.isVisible() or not self.others or self.doc is None:
            return
        for side in (self.left, self.right):
            if side.reading is self.doc.reading:
                side.invalidate()
        self._recompute()

    # ------------------------------------------------------------------ numbers
    def _recompute(self) -> None:
        try:
            # the reader's saved precision study gives the measurement noise (domain.md §4, §9)
            from vfa.storage.precision_studies import noise_for_readers
            noise = noise_for_readers(self.workspace.root if self.workspace is not None else None,
                                      self.follow.settings, self.base.reader, self.follow.reader)
            comp = compare(self.base, self.follow, noise=noise)
        except (VfaError, ValueError) as exc:
            self.note.setText(str(exc))
            return
        self.comparison = comp
        s0, s1 = comp.baseline, comp.followup
        parts = [f"SDI {s0.sdi} → {s1.sdi}"]
        if (comp.sdi_baseline_common, comp.sdi_followup_common) != (s0.sdi, s1.sdi):
            parts.append(f"over levels read at both {comp.sdi_baseline_common} → "
                         f"{comp.sdi_followup_common}")
        for name, lvls in (("incident", comp.incident), ("worsened", comp.worsened),
                           ("improved", comp.improved), ("uncertain", comp.uncertain),
                           ("within noise", comp.within_noise), ("reshaped", comp.reshaped)):
            if lvls:
                parts.append(f"{name}: {', '.join(str(lv) for lv in lvls)}")
        if not comp.reshaping_assessed:
            parts.append("reshaping not assessed (age unknown)")
        if not (comp.incident or comp.worsened):
            parts.append("no new or worse fracture")
        if s0.not_evaluable or s1.not_evaluable:
            parts.append(f"not evaluable {s0.not_evaluable} / {s1.not_evaluable}")
        self.headline.setText("   ·   ".join(parts))
        self.note.setText(footnote(comp))
        bold = QFont()
        bold.setBold(True)
        with QSignalBlocker(self.table):
            for row, ch in enumerate(comp.changes):
                ml = ch.max_loss
                i = ch.level.index
                texts = [
                    ch.level.value, grade_cell(ch.baseline_grade, ch.baseline_confirmed, s0.results[i]),
                    grade_cell(ch.followup_grade, ch.followup_confirmed, s1.results[i]),
                    ch.change.value.replace("_", " ") + (" (noise)" if ch.within_noise else ""),
                    p_text(ch),
                    f"{round(ml.loss_pct, 1) + 0.0:.1f} % ({ml.height.capitalize()})" if ml else "—",
                    f"{ch.loss_mm:.1f}" if ch.loss_mm is not None else ("n/a" if ml else "—"),
                    {True: "yes", False: "no", None: "n/a"}[ch.fit_rule] if ml else "—",
                    change_words(ch),
                ]
                for c, t in enumerate(texts):
                    it = self.table.item(row, c)
                    if it is None:
                        it = QTableWidgetItem()
                        self.table.setItem(row, c, it)
                    it.setText(t)
                    if ch.highlighted:
                        it.setBackground(QBrush(NOISE_BG if ch.within_noise else colors.CHANGE_BG))
                        it.setFont(bold)
                    else:
                        it.setBackground(QBrush(NOISE_BG) if ch.within_noise else QBrush())
                        it.setFont(QFont())
                    tip = ""
                    if c in (C_CHANGE, C_P):
                        tip = ch.describe() or ""
                    elif c == C_FIT and ch.fit_note:
                        tip = ch.fit_note
                    it.setToolTip(tip)
        if not self._level_chosen:
            # the plot shows the level that matters: the first incident (else worsened) one
            first = next(iter(comp.incident or comp.worsened), None)
            if first is not None:
                with QSignalBlocker(self.level_box):
                    self.level_box.setCurrentText(first.value)
        self._update_plot()

    def _update_plot(self) -> None:
        readings = self.all_readings
        if self.doc is None or not readings:
            self.plot.set_data([], [], "")
            return
        lv = Level.parse(self.level_box.currentText())
        series = sdi_series(readings)
        ratios = []
        for tv in ratio_trend(readings):
            x = tv.ratios.get(lv)
            ratios.append((tv.study_date, *(x[k] if x else None for k in RATIO_NAMES)))
        self.plot.setToolTip("Wedge Ha/Hp, biconcave Hm/Hp and crush Hp/Hp_ref of the level per "
                             "visit: 1.00 = no reduction, 0.80 = 20 %")
        marked = []
        if self.others and hasattr(self, "base"):
            marked = [self.base.study_date, self.follow.study_date]
        self.plot.set_data([(d, s) for d, s, _ne in series], ratios, lv.value, marked)

    def _plot_level_chosen(self, _index: int) -> None:
        self._level_chosen = True
        self._update_plot()

    # ------------------------------------------------------------------ selection / W/L
    def _row_selected(self) -> None:
        rows = {i.row() for i in self.table.selectedIndexes()}
        if len(rows) == 1:
            self.select_level(LEVELS[rows.pop()])

    def _clicked(self, side: Side, x: float, y: float) -> None:
        lv = side.layer.level_at(x, y)
        if lv is not None:
            self.select_level(lv)

    def select_level(self, level: Level) -> None:
        """Select ``level`` on both films (centred) and in the table."""
        self.selected_level = level
        self._level_chosen = True
        for side in (self.left, self.right):
            side.centre_on(level)
        with QSignalBlocker(self.table):
            self.table.selectRow(level.index)
        with QSignalBlocker(self.level_box):
            self.level_box.setCurrentText(level.value)
        self._update_plot()
        self.levelSelected.emit(level)

    def _link(self, src: Side, dst: Side, settings) -> None:
        """Linked window/level: what ``settings`` mean on ``src``'s film (its preset, or its
        window in percentiles of its own brightness, and invert relative to its own
        polarity — :class:`vfa.films.windowing.WindowChoice`) applied to ``dst``'s film. Never the
        absolute centre/width: the films may differ in photometric interpretation, bit depth
        and value range."""
        if self._syncing or not self.link_wl.isChecked() or dst.view.radiograph is None \
                or src.view.radiograph is None:
            return
        self._syncing = True
        try:
            choice = WindowChoice.of(src.view.radiograph, settings)
            dst.view.set_display(choice.settings(dst.view.radiograph))
        finally:
            self._syncing = False

    def _link_toggled(self, on: bool) -> None:
        """Linking again: the other film follows the open film's window/level."""
        if on:
            src = self.right if self.right.reading is (self.doc.reading if self.doc else None) \
                else self.left
            dst = self.left if src is self.right else self.right
            if src.view.settings is not None:
                self._link(src, dst, src.view.settings)
