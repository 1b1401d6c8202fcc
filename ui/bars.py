"""The two bars above the film: the guide bar (what the next click is) and the calibration
banner. Widgets only: the main window connects them to the open document (its host)."""

from __future__ import annotations

from PyQt6.QtCore import QSignalBlocker
from PyQt6.QtWidgets import (QComboBox, QFrame, QHBoxLayout, QLabel, QPushButton, QVBoxLayout,
                             QWidget)

from vfa.reading.guide import Direction
from vfa.method.levels import LEVELS, Level


class GuideBar(QFrame):
    """'Next: T12 — superior anterior corner', level, direction, skip, not evaluable."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("GuideBar")
        self.setStyleSheet("#GuideBar { background: #20303a; } QLabel { color: white; }")
        outer = QVBoxLayout(self)
        outer.setContentsMargins(8, 4, 8, 4)
        outer.setSpacing(2)
        self.next_label = QLabel("Open a film (File ▸ Open, or drop it here)")
        f = self.next_label.font()
        f.setPointSize(f.pointSize() + 3)
        f.setBold(True)
        self.next_label.setFont(f)
        self.next_label.setMinimumWidth(120)
        outer.addWidget(self.next_label)
        lay = QHBoxLayout()
        lay.setSpacing(6)
        outer.addLayout(lay)
        lay.addWidget(QLabel("Level:"))
        self.level_box = QComboBox()
        self.level_box.addItems([lv.value for lv in LEVELS])
        self.level_box.setToolTip("Start at or jump to a level ([ and ] step)")
        lay.addWidget(self.level_box)
        self.direction_box = QComboBox()
        self.direction_box.addItems(["down ↓", "up ↑"])
        self.direction_box.setToolTip("After six points, go to the level below (down) or above (up)")
        lay.addWidget(self.direction_box)
        self.skip_button = QPushButton("Skip")
        self.skip_button.setToolTip("Leave this level unannotated and go to the next (S)")
        lay.addWidget(self.skip_button)
        self.ne_button = QPushButton("Not evaluable…")
        self.ne_button.setToolTip("Mark this level not evaluable with a reason (N)")
        lay.addWidget(self.ne_button)
        lay.addStretch(1)

    def direction(self) -> Direction:
        """The direction chosen in the bar (a new film's guide starts with it)."""
        return Direction.UP if self.direction_box.currentIndex() == 1 else Direction.DOWN

    def show_prompt(self, text: str, level: Level | None = None) -> None:
        """What the next click does; the Level box shows ``level`` (None: unchanged)."""
        self.next_label.setText(text)
        if level is not None:
            with QSignalBlocker(self.level_box):
                self.level_box.setCurrentIndex(level.index)


class Banner(QFrame):
    """A yellow warning above the film about its calibration."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("Banner")
        self.setStyleSheet("#Banner { background: #ffe27a; } QLabel { color: #3a2c00; }")
        lay = QHBoxLayout(self)
        lay.setContentsMargins(8, 3, 8, 3)
        self.label = QLabel("")
        self.label.setWordWrap(True)
        lay.addWidget(self.label, 1)
        self.button = QPushButton("Calibrate…")
        self.button.setToolTip("Draw a line over a known length and type it in mm (C)")
        lay.addWidget(self.button)
        self.hide()
