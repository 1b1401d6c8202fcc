"""Adjudication mode: the discordant levels of two readers, side by side, and the decision.

Left and right: the film twice, with reader A's and reader B's points of the DISCORDANT levels
only (concordant levels are decided by agreement and not shown). The level list says what
each reader graded and what was decided; the grade buttons record the adjudicator's final
grade of the selected level (with whose points to keep); "Save consensus" writes the
consensus reading (reader ``consensus``, ``decided_by`` per level) into the workspace once
every discordant level is decided. The rules are :class:`vfa.study.adjudication.Adjudication`'s.

Opened from the main window's Reading centre menu, or ``vfa-viewer --adjudicate``.
"""

from __future__ import annotations

import copy
from typing import TYPE_CHECKING

from PyQt6.QtCore import Qt, pyqtSignal
from PyQt6.QtGui import QAction, QBrush, QColor
from PyQt6.QtWidgets import (QButtonGroup, QComboBox, QGridLayout, QGroupBox, QHBoxLayout,
                             QLabel, QListWidget, QListWidgetItem, QPushButton, QRadioButton,
                             QSplitter, QVBoxLayout, QWidget)

from vfa.study.adjudication import Adjudication, Decision, adjudication_queue
from vfa.errors import VfaError
from vfa.method.levels import Level
from vfa.films.radiograph import load_radiograph
from vfa.reading.reading import check_film
from vfa.storage.workspace import default_reader

from . import dialogs
from .compare import Side

if TYPE_CHECKING:  # pragma: no cover
    from .shell import Shell

ROLE_LEVEL = Qt.ItemDataRole.UserRole + 1
GRADES = (("0", 0.0), ("0.5", 0.5), ("1", 1.0), ("2", 2.0), ("3", 3.0))


def _g(grade, status: str) -> str:  # noqa: ANN001
    if grade is None:
        return status.replace("_", " ")
    return "0.5" if grade == 0.5 else str(int(grade))


def _only(reading, levels):  # noqa: ANN001
    """A copy of ``reading`` with only ``levels`` (the discordant ones) on it."""
    r = reading.copy()
    r.vertebrae = {lv: copy.deepcopy(v) for lv, v in reading.vertebrae.items() if lv in levels}
    return r


class _Side(Side):
    """A side that draws only the discordant levels but labels them with the grades of the
    reader's whole reading (a level's suggestion depends on its neighbours' Hp)."""

    full = None

    def show_levels(self, radiograph, reading, levels) -> None:  # noqa: ANN001
        self.full = reading
        self.show_film(radiograph, _only(reading, levels))

    def summary(self):  # noqa: ANN201
        if self._summary is None and self.full is not None:
            from vfa.method.morphometry import summarize
            self._summary = summarize(self.full)
        return self._summary


class AdjudicationView(QWidget):
    consensusSaved = pyqtSignal(str)

    def __init__(self, workspace, adjudicator: str | None = None,  # noqa: ANN001
                 readers: list[str] | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("VFA — adjudication")
        self.workspace = workspace
        self.adjudicator = adjudicator or default_reader()
        self.queue: list[Adjudication] = []
        self.current: Adjudication | None = None
        self.level: Level | None = None

        lay = QVBoxLayout(self)
        bar = QHBoxLayout()
        bar.addWidget(QLabel("Film:"))
        self.film_box = QComboBox()
        self.film_box.setMinimumWidth(380)
        self.film_box.activated.connect(self.show_film)
        bar.addWidget(self.film_box)
        self.headline = QLabel("")
        bar.addWidget(self.headline, 1)
        lay.addLayout(bar)

        split = QSplitter(Qt.Orientation.Horizontal)
        self.left = _Side("Reader A")
        self.right = _Side("Reader B")
        split.addWidget(self.left)
        split.addWidget(self.right)

        panel = QWidget()
        pl = QVBoxLayout(panel)
        pl.addWidget(QLabel("<b>Discordant levels</b>"))
        self.levels = QListWidget()
        self.levels.currentItemChanged.connect(self._level_chosen)
        pl.addWidget(self.levels, 1)
        box = QGroupBox("Decision for the selected level")
        bl = QVBoxLayout(box)
        src = QHBoxLayout()
        src.addWidget(QLabel("Points from:"))
        self.from_auto = QRadioButton("auto")
        self.from_auto.setToolTip("the reader whose grade you choose (A when both or neither)")
        self.from_a = QRadioButton("A")
        self.from_b = QRadioButton("B")
        self.from_auto.setChecked(True)
        self.from_group = QButtonGroup(self)
        for b in (self.from_auto, self.from_a, self.from_b):
            self.from_group.addButton(b)
            src.addWidget(b)
        src.addStretch(1)
        bl.addLayout(src)
        grid = QGridLayout()
        self.grade_buttons: dict[str, QPushButton] = {}
        for i, (text, _g0) in enumerate(GRADES):
            gb = QPushButton(f"Grade {text}")
            gb.clicked.connect(lambda _c=False, t=text: self.decide(t))
            grid.addWidget(gb, i // 3, i % 3)
            self.grade_buttons[text] = gb
        ne = QPushButton("Not evaluable")
        ne.clicked.connect(lambda: self.decide("not_evaluable"))
        grid.addWidget(ne, 1, 2)
        self.grade_buttons["not_evaluable"] = ne
        bl.addLayout(grid)
        self.undo_button = QPushButton("Undo decision")
        self.undo_button.clicked.connect(self.undo)
        bl.addWidget(self.undo_button)
        pl.addWidget(box)
        self.save_button = QPushButton("Save consensus")
        self.save_button.clicked.connect(self.save)
        pl.addWidget(self.save_button)
        self.note = QLabel("")
        self.note.setWordWrap(True)
        pl.addWidget(self.note)
        panel.setMinimumWidth(280)
        split.addWidget(panel)
        split.setStretchFactor(0, 3)
        split.setStretchFactor(1, 3)
        split.setStretchFactor(2, 1)
        lay.addWidget(split, 1)
        self.load(readers)

    # ------------------------------------------------------------------ data
    def load(self, readers: list[str] | None = None) -> None:
        try:
            self.queue = adjudication_queue(self.workspace, self.adjudicator, readers)
        except VfaError as exc:
            self.queue = []
            self.headline.setText(str(exc))
        self.film_box.clear()
        for n, adj in enumerate(self.queue, 1):
            self.film_box.addItem(f"Film {n} of {len(self.queue)} — …{adj.a.sop_instance_uid[-12:]} "
                                  f"— {len(adj.discordant)} discordant level(s)")
        if self.queue:
            self.show_film(0)
        else:
            if not self.headline.text():
                self.headline.setText("No film with discordant levels: nothing to adjudicate.")
            self._update_buttons()

    def show_film(self, index: int) -> None:
        self.current = self.queue[index]
        adj = self.current
        self.headline.setText(f"{adj.a.reader} (A) and {adj.b.reader} (B); adjudicator "
                              f"{self.adjudicator}")
        self.left.title.setText(f"Reader A: {adj.a.reader}")
        self.right.title.setText(f"Reader B: {adj.b.reader}")
        self.from_a.setText(f"A ({adj.a.reader})")
        self.from_b.setText(f"B ({adj.b.reader})")
        rg = None
        img = self.workspace.index.image(adj.a.sop_instance_uid)
        path = (img.path if img else None) or adj.a.image_path
        try:
            rg = load_radiograph(path) if path else None
            if rg is not None:
                check_film(adj.a, rg, path)
        except VfaError as exc:
            rg = None
            self.note.setText(f"The film cannot be shown: {exc}")
        levels = {p.level for p in adj.discordant}
        self.left.show_levels(rg, adj.a, levels)
        self.right.show_levels(rg, adj.b, levels)
        self._fill_levels()
        self.levels.setCurrentRow(0)

    def _fill_levels(self) -> None:
        adj = self.current
        if adj is None:
            return
        keep = self.levels.currentRow()
        self.levels.blockSignals(True)
        self.levels.clear()
        for p in adj.discordant:
            d = adj.decisions.get(p.level)
            text = (f"{p.level.value}:  {adj.a.reader} {_g(p.grade_a, p.status_a)}  /  "
                    f"{adj.b.reader} {_g(p.grade_b, p.status_b)}  ({p.discordance})")
            if d is None:
                text += "  — undecided"
            else:
                what = "not evaluable" if d.not_evaluable else _g(d.grade, "")
                text += f"  → {what} (points {adj.points_source(p.level)})"
            row = QListWidgetItem(text)
            row.setData(ROLE_LEVEL, p.level.value)
            row.setForeground(QBrush(QColor("#b71c1c" if d is None else "#2e7d32")))
            self.levels.addItem(row)
        self.levels.blockSignals(False)
        if keep >= 0:
            self.levels.setCurrentRow(min(keep, self.levels.count() - 1))
        self._update_buttons()

    # ------------------------------------------------------------------ actions
    def _level_chosen(self, row, _prev=None) -> None:  # noqa: ANN001
        if row is None:
            self.level = None
            return
        self.level = Level.parse(row.data(ROLE_LEVEL))
        self.left.centre_on(self.level)
        self.right.centre_on(self.level)
        self._update_buttons()

    def select_level(self, level: Level | str) -> None:
        lv = Level.parse(level)
        for i in range(self.levels.count()):
            row = self.levels.item(i)
            if row is not None and row.data(ROLE_LEVEL) == lv.value:
                self.levels.setCurrentRow(i)
                return

    def decide(self, grade: str) -> None:
        if self.current is None or self.level is None:
            return
        who = "B" if self.from_b.isChecked() else ("A" if self.from_a.isChecked() else None)
        try:
            self.current.decide(Decision.parse(self.level, grade, who))
        except VfaError as exc:
            dialogs.show_error(self, exc, "Adjudication")
            return
        self._fill_levels()
        # move on to the next undecided level
        und = [p.level for p in self.current.undecided]
        if und:
            self.select_level(und[0])

    def undo(self) -> None:
        if self.current is not None and self.level is not None:
            self.current.undo(self.level)
            self._fill_levels()

    def save(self) -> str | None:
        adj = self.current
        if adj is None:
            return None
        try:
            path = self.workspace.save(adj.consensus(), replace=True)
        except VfaError as exc:
            dialogs.show_error(self, exc, "Adjudication")
            return None
        self.note.setText(f"Consensus saved: {path.name}")
        self.consensusSaved.emit(str(path))
        return str(path)

    def _update_buttons(self) -> None:
        has = self.current is not None and self.level is not None
        for b in self.grade_buttons.values():
            b.setEnabled(has)
        self.undo_button.setEnabled(has and self.level in (self.current.decisions if self.current else {}))
        done = self.current is not None and self.current.complete
        self.save_button.setEnabled(done)
        if self.current is not None:
            n = len(self.current.undecided)
            self.save_button.setText("Save consensus" if done else f"Save consensus ({n} undecided)")


def open_adjudication(window: Shell, readers: list[str] | None = None) -> AdjudicationView | None:
    if window.workspace is None:
        dialogs.show_error(window.widget(), "No workspace is open: adjudication needs the readers' "
                                            "saved readings.", "Adjudication")
        return None
    if window.blinded is not None:
        dialogs.show_error(window.widget(), "Adjudication is not available in a blinded reading "
                                            "session.", "Adjudication")
        return None
    view = AdjudicationView(window.workspace, readers=readers)
    view.resize(1500, 950)
    view.show()
    window.adjudication_view = view
    return view


def add_menu(window: Shell) -> tuple[QAction, QAction]:
    """The main window's Reading centre menu; its two actions (Adjudicate, Next case)."""
    m = window.menuBar().addMenu("&Reading centre")
    assert m is not None      # (PyQt6's stubs: Optional; Qt always returns the new menu)
    a = m.addAction("&Adjudicate discordant levels…")
    b = m.addAction("&Next case on my list")
    assert a is not None and b is not None
    a.triggered.connect(lambda: open_adjudication(window))
    b.triggered.connect(lambda: window.blinded.open_next() if window.blinded else None)
    return a, b
