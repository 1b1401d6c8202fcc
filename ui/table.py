"""The grading table: one row per level T4-L4, from :func:`vfa.method.morphometry.summarize`.

Heights, ratios and the suggested grade are shown as computed by vfa; the reader's grade,
type, status and note are edited in place (each edit is one undo step through the
:class:`~ui.document.Document`). A level with proposed points not yet accepted is marked
:data:`PROPOSED_MARK` in its level cell, tinted in the proposal colour (amber when a point has
a low confidence; the tooltip gives how many and the lowest confidence), and the line above
the table names the levels still proposed. The table refreshes on every change of the reading,
including each step of a point drag.
"""

from __future__ import annotations

from PyQt6.QtCore import QEvent, QSignalBlocker, Qt, pyqtSignal
from PyQt6.QtGui import QBrush, QColor, QFont
from PyQt6.QtWidgets import (QAbstractItemView, QComboBox, QHBoxLayout, QHeaderView, QLabel,
                             QPushButton, QSizePolicy, QTableWidget, QTableWidgetItem,
                             QVBoxLayout, QWidget)

from vfa.reading.proposal import LOW_CONFIDENCE
from vfa.method.morphometry import partial_heights
from vfa.method.levels import (LEVELS, NOT_EVALUABLE_REASONS, READER_GRADES, DeformityType, Level,
                        Status)

from . import colors

COLUMNS = ["Level", "Ha", "Hm", "Hp", "Wedge", "Bicon.", "Crush", "Suggested", "Grade", "Type",
           "Status", "Note", "Observations"]
C_LEVEL, C_HA, C_HM, C_HP, C_WEDGE, C_BICON, C_CRUSH, C_SUGG, C_GRADE, C_TYPE, C_STATUS, C_NOTE, C_OBS = range(13)
TYPES = [t.value for t in DeformityType]
EVALUABLE_TEXT = "evaluable"
#: The Status cell's words: short enough for the column at 1600 px; the full status ("NE: <reason>")
#: is the item's data and, with "not evaluable: <reason>", its tooltip.
STATUS_WORDS = {"not visible": "not visible", "rotated/oblique": "rotated", "hardware": "hardware",
                "technically inadequate": "technical"}
#: The Type cell's words (the whole type on hover): "biconcave" is too wide for the column at 1600 px.
TYPE_WORDS = {"wedge": "wedge", "biconcave": "bicon.", "crush": "crush"}
#: The Note column's least width (it takes the rest of the panel; a long note in full on hover).
NOTE_MIN = 44
#: Column widths (px): together about 650 px, so that the film keeps most of the window.
WIDTHS = [46, 42, 42, 42, 42, 42, 42, 76, 48, 80, 84, 22, 160]
#: Level cell mark of a level with proposed points not yet accepted (a dashed circle, like
#: the proposed handles on the film).
PROPOSED_MARK = "◌"


def _num(v, fmt: str) -> str:
    return "—" if v is None else format(v, fmt)


def p_fracture_tip(r, settings) -> str:
    """The probability behind a level's grade, for its tooltip (domain.md §4)."""
    if r.p_fracture is None:
        return ""
    t1 = settings.grade_thresholds_pct[0]
    return (f"P = {r.p_fracture:.2f} that the true reduction is at or above {t1:g} % (grade 1), "
            f"at a measurement SD of {settings.precision_sd_pct:g} points")


#: Text colour of the Crush cell of a level whose crush could not be assessable ("n/a").
CRUSH_NA_COLOR = "#8a5a00"


#: Mark of a grade the reader has not confirmed (docs/clinical-method.md, "Confirmation").
UNCONFIRMED_MARK = "?"
CONFIRMED_MARK = "✓"


class GradingTable(QWidget):
    levelSelected = pyqtSignal(object)   # Level
    confirmRequested = pyqtSignal(object)  # Level: Enter on a row
    ageRequested = pyqtSignal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.doc = None
        lay = QVBoxLayout(self)
        lay.setContentsMargins(4, 4, 4, 4)
        self.summary_label = QLabel("No film")
        f = self.summary_label.font()
        f.setPointSize(f.pointSize() + 1)
        f.setBold(True)
        self.summary_label.setFont(f)
        self.summary_label.setWordWrap(True)
        self.detail_label = QLabel("")
        self.detail_label.setWordWrap(True)
        # one line, never wrapped (it must not push the table down); full text in the tooltip
        self.pending_label = QLabel("")
        self.pending_label.setWordWrap(False)
        self.pending_label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Fixed)
        self.pending_label.setStyleSheet(f"color: {colors.PROPOSED.darker(160).name()};")
        lay.addWidget(self.summary_label)
        row_lay = QHBoxLayout()
        row_lay.setContentsMargins(0, 0, 0, 0)
        row_lay.addWidget(self.detail_label, 1)
        self.age_button = QPushButton("Enter age…")
        self.age_button.setToolTip("The film has no birth date and no Patient's Age: give the "
                                   "patient's age at this study (once per patient)")
        self.age_button.clicked.connect(self.ageRequested.emit)
        self.age_button.hide()
        row_lay.addWidget(self.age_button, 0, Qt.AlignmentFlag.AlignTop)
        lay.addLayout(row_lay)
        lay.addWidget(self.pending_label)
        self.table = QTableWidget(len(LEVELS), len(COLUMNS), self)
        self.table.setHorizontalHeaderLabels(COLUMNS)
        # The level names also label the rows, shown only while the table is scrolled
        # sideways (e.g. with the Observations column): a row never loses its level.
        self.table.setVerticalHeaderLabels([lv.value for lv in LEVELS])
        vh, sb = self.table.verticalHeader(), self.table.horizontalScrollBar()
        assert vh is not None and sb is not None      # (PyQt6's stubs: Optional; a table has them)
        vh.hide()
        sb.valueChanged.connect(lambda v: vh.setVisible(v > 0))
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.DoubleClicked
                                   | QAbstractItemView.EditTrigger.EditKeyPressed
                                   | QAbstractItemView.EditTrigger.AnyKeyPressed)
        self.table.setAlternatingRowColors(False)
        vh.setDefaultSectionSize(26)
        hh = self.table.horizontalHeader()
        assert hh is not None
        hh.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        hh.setStretchLastSection(True)
        widths = WIDTHS
        for c, w in enumerate(widths):
            self.table.setColumnWidth(c, w)
        tips = {C_HA: "anterior height", C_HM: "middle height", C_HP: "posterior height",
                C_WEDGE: "Ha / Hp", C_BICON: "Hm / Hp", C_CRUSH: "Hp / Hp of the neighbours",
                C_SUGG: "suggested Genant grade, with the largest height reduction in brackets "
                        "(a suggestion only; the reader's grade is final)",
                C_GRADE: "final grade: the reader's, or (in brackets) the suggestion; "
                         f"{UNCONFIRMED_MARK} = not confirmed (Enter on the row confirms), "
                         f"{CONFIRMED_MARK} = suggestion confirmed",
                C_TYPE: "final deformity type: the reader's, or (in brackets) the suggestion",
                C_STATUS: "evaluable, or the reason it is not",
                C_OBS: "the reader's observations, never used by the grade: ABQ call (key B), "
                       "endplate depression (D), downgrade reason / normal variant (V)"}
        for c, tip in tips.items():
            head = self.table.horizontalHeaderItem(c)
            if head is not None:
                head.setToolTip(tip)
        lay.addWidget(self.table, 1)

        self.grade_boxes: list[QComboBox] = []
        self.type_boxes: list[QComboBox] = []
        self.status_boxes: list[QComboBox] = []
        bold = QFont()
        bold.setBold(True)
        for row, lv in enumerate(LEVELS):
            for c in range(len(COLUMNS)):
                if c in (C_GRADE, C_TYPE, C_STATUS):
                    continue
                it = QTableWidgetItem("")
                flags = Qt.ItemFlag.ItemIsSelectable | Qt.ItemFlag.ItemIsEnabled
                if c == C_NOTE:
                    flags |= Qt.ItemFlag.ItemIsEditable
                it.setFlags(flags)
                if c in (C_HA, C_HM, C_HP, C_WEDGE, C_BICON, C_CRUSH):
                    it.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                self.table.setItem(row, c, it)
            level_item = self.table.item(row, C_LEVEL)
            assert level_item is not None     # (just set)
            level_item.setText(lv.value)
            level_item.setFont(bold)
            g = QComboBox()
            g.addItems(["auto"] + [("0.5" if x == 0.5 else str(int(x))) for x in READER_GRADES])
            g.activated.connect(lambda i, lv=lv: self._grade_chosen(lv, i))
            t = QComboBox()
            t.addItem("auto")
            for name in TYPES:
                t.addItem(TYPE_WORDS.get(name, name))
                t.setItemData(t.count() - 1, name, Qt.ItemDataRole.ToolTipRole)
            t.activated.connect(lambda i, lv=lv: self._type_chosen(lv, i))
            s = QComboBox()
            s.addItem(EVALUABLE_TEXT, EVALUABLE_TEXT)
            s.setItemData(0, "evaluable", Qt.ItemDataRole.ToolTipRole)
            for reason in NOT_EVALUABLE_REASONS:
                self._add_status(s, reason)
            s.activated.connect(lambda i, lv=lv, s=s: self._status_chosen(lv, str(s.itemData(i))))
            for box, col in ((g, C_GRADE), (t, C_TYPE), (s, C_STATUS)):
                box.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
                self.table.setCellWidget(row, col, box)
            self.grade_boxes.append(g)
            self.type_boxes.append(t)
            self.status_boxes.append(s)
        # the grade always shows with its mark ("(0.5) ?", "(2) ✓") in this style and font
        # (issue 21): the column is as wide as such a combo box needs (the narrow number
        # columns give the room back)
        # Type and Status: as wide as their longest word ("(biconcave)", "not visible"), so that
        # nothing is cut at 1600 px either; the Note column takes the rest of the panel
        self._widths = list(WIDTHS)
        samples = {C_GRADE: [f"(0.5) {UNCONFIRMED_MARK}"],
                   C_TYPE: [f"({TYPE_WORDS.get(t, t)})" for t in TYPES],
                   C_STATUS: [EVALUABLE_TEXT] + list(STATUS_WORDS.values())}
        for col, texts in samples.items():
            probe = QComboBox()
            probe.addItems(texts)
            probe.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
            need = probe.sizeHint().width() + (4 if col == C_GRADE else 0)
            if need > self._widths[col]:
                self._widths[col] = need
                self.table.setColumnWidth(col, need)
        self._widths[C_NOTE] = max(self._widths[C_NOTE], NOTE_MIN)
        self.table.setColumnWidth(C_NOTE, self._widths[C_NOTE])
        self.table.installEventFilter(self)
        self.table.itemChanged.connect(self._item_changed)
        self.table.itemSelectionChanged.connect(self._selection_changed)
        # a click on the row that is already selected centres the film again
        self.table.cellClicked.connect(lambda row, _col: self.levelSelected.emit(LEVELS[row]))
        # The Observations column appears once the reader records one (keys B, D, V), so that
        # the usual table keeps the width that leaves the film the dominant pane.
        self.table.setColumnHidden(C_OBS, True)
        self.setEnabled(False)

    def preferred_width(self) -> int:
        """Width that shows every column without scrolling."""
        widths = getattr(self, "_widths", WIDTHS)
        shown = sum(w for c, w in enumerate(widths) if not self.table.isColumnHidden(c))
        return shown + 2 * self.table.frameWidth() + 28

    def eventFilter(self, obj, event) -> bool:  # noqa: N802 - Qt API
        """Enter on a row (not while editing a cell) confirms that level's grade."""
        if (obj is self.table and event.type() == QEvent.Type.KeyPress
                and event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter)
                and event.modifiers() == Qt.KeyboardModifier.NoModifier
                and self.table.state() != QAbstractItemView.State.EditingState):
            row = self.table.currentRow()
            if 0 <= row < len(LEVELS):
                self.confirmRequested.emit(LEVELS[row])
                return True
        return super().eventFilter(obj, event)

    # ------------------------------------------------------------------ model
    def set_document(self, doc) -> None:
        if self.doc is not None:
            try:
                self.doc.changed.disconnect(self._on_changed)
            except TypeError:
                pass
        self.doc = doc
        self.setEnabled(doc is not None)
        if doc is not None:
            doc.changed.connect(self._on_changed)
        self.refresh()

    def _on_changed(self, _event=None) -> None:
        self.refresh()

    def refresh(self) -> None:
        """Model → widgets, with the widgets' signals blocked (no edit loops)."""
        if self.doc is None:
            self.summary_label.setText("No film open")
            self.detail_label.setText("")
            return
        s = self.doc.summary()
        errors = self.doc.geometry_errors()
        reading = self.doc.reading
        unit = s.unit
        advisory = bool(s.paediatric)
        from .kyphosis import angles_summary
        unconfirmed = s.unconfirmed
        self.summary_label.setText(
            f"SDI {s.sdi}   ·   fractured {s.fractured}   ·   not evaluable {s.not_evaluable}"
            f"   ·   graded {s.graded}/{len(LEVELS)}"
            + (f"   ·   unconfirmed {len(unconfirmed)}" if unconfirmed else "")
            + f"\n{angles_summary(reading)}")
        detail = f"Heights in {unit} — {reading.spacing.description}."
        if advisory:
            detail += " Paediatric study: suggested grades are advisory."
        if s.paediatric is None:
            detail += " Age unknown: adult rules apply."
        elif s.age_source == "entered by the reader":
            detail += f" Age {s.age_years:.1f} y (entered)."
        if unconfirmed:
            detail += (f" {UNCONFIRMED_MARK} = grade not confirmed (Enter on a row, or Edit ▸ "
                       "Confirm all graded levels).")
        self.age_button.setVisible(s.paediatric is None
                                   or s.age_source == "entered by the reader")
        self.age_button.setText("Enter age…" if s.paediatric is None else "Age…")
        if errors:
            detail += " ⚠ Check the points of " + ", ".join(str(lv) for lv in errors) + "."
        pending_levels = [v.level for v in reading if v.pending_proposals]
        self._show_pending(reading, pending_levels)
        self.detail_label.setText(detail)
        self.detail_label.setStyleSheet("color: #b00000;" if errors else "")
        hdr = {C_HA: f"Ha {unit}", C_HM: f"Hm {unit}", C_HP: f"Hp {unit}",
               C_SUGG: "Suggested*" if advisory else "Suggested"}
        self.table.horizontalHeaderItem(C_SUGG).setToolTip(
            ("* Paediatric study: suggested grades are advisory. " if advisory else "")
            + "Suggested Genant grade, with the largest height reduction in brackets "
              "(a suggestion only; the reader's grade is final)")
        for c, text in hdr.items():
            if self.table.horizontalHeaderItem(c).text() != text:
                self.table.horizontalHeaderItem(c).setText(text)

        from .qualitative import observations
        self.table.setColumnHidden(C_OBS, not any(v.has_qualitative for v in reading))
        with QSignalBlocker(self.table):
            for row, r in enumerate(s.results):
                lv = r.level
                h = r.heights
                err = errors.get(lv)
                if h is not None:
                    hs = h.as_dict()
                else:   # still placing: each height as soon as its two points are there
                    v = reading.get(lv)
                    sp = reading.spacing
                    hs = partial_heights(v.points, sp.row_mm, sp.col_mm) \
                        if v is not None and r.evaluable else {}
                self._set(row, C_HA, _num(hs.get("ha"), ".1f"))
                self._set(row, C_HM, _num(hs.get("hm"), ".1f"))
                self._set(row, C_HP, _num(hs.get("hp"), ".1f"))
                self._set(row, C_WEDGE, _num(r.wedge, ".2f"))
                self._set(row, C_BICON, _num(r.biconcave, ".2f"))
                # "n/a" right beside the suggested grade (the panel has no room for more words
                # within 43 % of the window): brown, and said in full on hover here and on the grade
                self._set(row, C_CRUSH, ("n/a" if not r.crush_assessable else _num(r.crush, ".2f"))
                          if r.heights else "—",
                          tooltip=f"crush n/a: {r.crush_reason or 'not assessable'}" if r.crush_na else "")
                crush_item = self.table.item(row, C_CRUSH)
                crush_item.setForeground(QBrush(QColor(CRUSH_NA_COLOR)) if r.crush_na else QBrush())
                if err:
                    sugg = "⚠ check"          # which points and why: on hover
                elif r.suggested_grade is not None:
                    # "1 (22.3 %)": the grade, then the reduction it comes from; the type is
                    # in the Type column, "advisory" in the header (*) and the line above
                    sugg = f"{colors.grade_text(r.suggested_grade)} ({r.percent:.1f} %)"
                elif not r.evaluable:
                    sugg = "NE"               # the Status column says why
                elif r.annotated:
                    sugg = "—"
                else:
                    v = reading.get(lv)
                    n = len(v.points) if v else 0
                    sugg = f"{n}/6 points" if n else ""
                v = reading.get(lv)
                pending = [v.proposals[sl] for sl in v.pending_proposals] if v is not None else []
                prop_tip = ""
                if pending:
                    low = min(p.confidence for p in pending)
                    prop_tip = (f"{len(pending)} proposed point(s) not yet accepted (lowest "
                                f"confidence {low:.2f}{', check carefully' if low < LOW_CONFIDENCE else ''})."
                                " Enter accepts all proposals; drag a point to correct it.")
                p_tip = p_fracture_tip(r, reading.settings)
                na_tip = (f"crush n/a: {r.crush_reason or 'not assessable'}; the suggestion rests on "
                          "wedge and biconcave alone") if r.crush_na else ""
                self._set(row, C_SUGG, sugg,
                          tooltip=err or prop_tip or "\n".join(t for t in (
                              p_tip, na_tip, "" if r.evaluable else f"not evaluable: {r.reason}") if t))
                sugg_item = self.table.item(row, C_SUGG)
                sugg_item.setForeground(QBrush(QColor(176, 0, 0)) if err else QBrush())
                self._set(row, C_OBS, observations(reading.get(lv)))
                note_item = self.table.item(row, C_NOTE)
                if note_item.text() != (r.note or ""):
                    note_item.setText(r.note or "")
                if note_item.toolTip() != (r.note or ""):
                    note_item.setToolTip(r.note or "")     # a long note in full on hover
                # level cell coloured by final grade
                lvl_item = self.table.item(row, C_LEVEL)
                if err:
                    bg = QColor(colors.GEOMETRY_ERROR).lighter(150)
                elif pending:
                    bg = QColor(colors.LOW_CONFIDENCE if low < LOW_CONFIDENCE
                                else colors.PROPOSED).lighter(150)
                elif not r.evaluable:
                    bg = QColor(colors.NOT_EVALUABLE).lighter(130)
                elif r.grade is not None:
                    bg = colors.grade_color(r.grade).lighter(140)
                else:
                    bg = None
                lvl_item.setBackground(QBrush(bg) if bg is not None else QBrush())
                self._set(row, C_LEVEL, f"{lv} {PROPOSED_MARK}" if pending else lv.value)
                lvl_item.setToolTip(err or prop_tip)
                # combos
                g = self.grade_boxes[row]
                with QSignalBlocker(g):
                    auto = "auto" if r.suggested_grade is None else f"({r.suggested_grade})"
                    if r.suggested_grade is not None and r.reader_grade is None:
                        auto += f" {UNCONFIRMED_MARK}" if r.unconfirmed else f" {CONFIRMED_MARK}"
                    g.setToolTip("\n".join(t for t in (
                        "not confirmed: Enter on the row confirms" if r.unconfirmed
                        else ("confirmed" if r.graded else ""), p_tip, na_tip) if t))
                    if g.itemText(0) != auto:
                        g.setItemText(0, auto)
                    idx = 0
                    if r.reader_grade is not None:
                        idx = 1 + list(READER_GRADES).index(r.reader_grade)
                    g.setCurrentIndex(idx)
                    g.setEnabled(r.evaluable)
                t = self.type_boxes[row]
                with QSignalBlocker(t):
                    st = r.suggested_type.value if r.suggested_type else None
                    auto = "auto" if st is None else f"({TYPE_WORDS.get(st, st)})"
                    if t.itemText(0) != auto:
                        t.setItemText(0, auto)
                        t.setItemData(0, "auto" if st is None else f"suggested: {st}",
                                      Qt.ItemDataRole.ToolTipRole)
                    t.setCurrentIndex(0 if r.reader_type is None else 1 + TYPES.index(r.reader_type.value))
                    t.setEnabled(r.evaluable)
                    t.setToolTip(str(t.itemData(t.currentIndex(), Qt.ItemDataRole.ToolTipRole) or ""))
                sb = self.status_boxes[row]
                with QSignalBlocker(sb):
                    if r.evaluable:
                        sb.setCurrentIndex(0)
                    else:
                        i = sb.findData(f"NE: {r.reason}")
                        if i < 0:
                            i = self._add_status(sb, str(r.reason))
                        sb.setCurrentIndex(i)
                    sb.setToolTip(str(sb.itemData(sb.currentIndex(), Qt.ItemDataRole.ToolTipRole)))

    def _show_pending(self, reading, pending_levels) -> None:
        """The one line naming the levels whose proposed points await the reader: the
        proposal tools' levels, and apart from them the levels with snapped clicks."""
        if not pending_levels:
            self.pending_label.setText("")
            self.pending_label.setToolTip("")   # stays, empty: the table never moves
            return
        snapped: list[Level] = []
        proposed: list[Level] = []
        for lv in pending_levels:
            v = reading.get(lv)
            methods = {v.proposals[sl].method for sl in v.pending_proposals}
            (snapped if methods == {"refine"} else proposed).append(lv)

        def names(lvls):
            if len(lvls) <= 4:
                return ", ".join(str(lv) for lv in lvls)
            return f"{lvls[0]}–{lvls[-1]} ({len(lvls)} levels)"
        parts = []
        if proposed:
            parts.append(f"proposed {names(proposed)}")
        if snapped:
            parts.append(f"snapped points of {names(snapped)}")
        text = f"{PROPOSED_MARK} To accept: " + "; ".join(parts) + " (Enter on the film accepts all)"
        self.pending_label.setToolTip(text)
        fm = self.pending_label.fontMetrics()
        width = max(self.pending_label.width(), 200)
        self.pending_label.setText(fm.elidedText(text, Qt.TextElideMode.ElideRight, width))

    def resizeEvent(self, event) -> None:  # noqa: N802
        super().resizeEvent(event)
        tip = self.pending_label.toolTip()
        if tip:
            fm = self.pending_label.fontMetrics()
            self.pending_label.setText(fm.elidedText(tip, Qt.TextElideMode.ElideRight,
                                                     max(self.pending_label.width(), 200)))

    def _set(self, row: int, col: int, text: str, tooltip: str | None = None) -> None:
        it = self.table.item(row, col)
        assert it is not None     # (every cell has its item, made with the table)
        if it.text() != text:
            it.setText(text)
        if tooltip is not None and it.toolTip() != tooltip:
            it.setToolTip(tooltip)

    # ------------------------------------------------------------------ widgets → model
    def _grade_chosen(self, level: Level, index: int) -> None:
        if self.doc is None:
            return
        grade = None if index == 0 else READER_GRADES[index - 1]
        if not self.doc.set_grade(level, grade):
            self.refresh()

    def _type_chosen(self, level: Level, index: int) -> None:
        if self.doc is None:
            return
        dtype = None if index == 0 else TYPES[index - 1]
        if not self.doc.set_type(level, dtype):
            self.refresh()

    @staticmethod
    def _add_status(box: QComboBox, reason: str) -> int:
        """A not-evaluable status in ``box``: its short word shown, ``NE: <reason>`` its data,
        the full reason on hover; returns its index."""
        box.addItem(STATUS_WORDS.get(reason, reason), f"NE: {reason}")
        i = box.count() - 1
        box.setItemData(i, f"not evaluable: {reason}", Qt.ItemDataRole.ToolTipRole)
        return i

    def _status_chosen(self, level: Level, text: str) -> None:
        if self.doc is None:
            return
        if text == EVALUABLE_TEXT:
            ok = self.doc.set_status(level, Status.EVALUABLE)
        else:
            ok = self.doc.set_status(level, Status.NOT_EVALUABLE, text.removeprefix("NE: "))
        if not ok:
            self.refresh()

    def _item_changed(self, item: QTableWidgetItem) -> None:
        if self.doc is None or item.column() != C_NOTE:
            return
        self.doc.set_note(LEVELS[item.row()], item.text().strip() or None)

    def _selection_changed(self) -> None:
        rows = {i.row() for i in self.table.selectedIndexes()}
        if len(rows) == 1:
            self.levelSelected.emit(LEVELS[rows.pop()])

    def select_level(self, level: Level | None) -> None:
        """Select the row of ``level`` without emitting :attr:`levelSelected`."""
        with QSignalBlocker(self.table):
            if level is None:
                self.table.clearSelection()
            else:
                self.table.selectRow(level.index)
        vp = self.table.viewport()
        if vp is not None:
            vp.update()

    def row_texts(self, level: Level | str) -> dict[str, str]:
        """The row of a level as {column: text} (tests, screenshots); Status in full."""
        row = Level.parse(level).index
        out = {}
        for c, name in enumerate(COLUMNS):
            w = self.table.cellWidget(row, c)
            it = self.table.item(row, c)
            if c == C_STATUS and isinstance(w, QComboBox):
                out[name] = str(w.currentData())     # the full status ("NE: rotated/oblique")
                continue
            out[name] = w.currentText() if isinstance(w, QComboBox) else it.text() if it is not None else ""
        return out
