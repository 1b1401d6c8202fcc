"""The window/level controls of the main window: the toolbar's *Window* preset list and C / W
boxes, View ▸ Window presets, automatic window, numeric entry and invert; and the marker
layer's orientation after a rotate or flip.

The display state itself is the film view's :class:`vfa.display.DisplaySettings`; these
controls only set it (``view.set_display`` / ``view.set_window``) and follow it
(``view.displayChanged``) inside signal blockers, so there are no loops. The presets are the
file's windows and VOI LUTs (:class:`vfa.radiograph.Radiograph`) and its automatic window.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PyQt6.QtCore import QObject, QSignalBlocker
from PyQt6.QtGui import QTransform
from PyQt6.QtWidgets import QComboBox, QDoubleSpinBox, QLabel, QToolBar

from vfa.radiograph import Radiograph, Window

from . import dialogs

if TYPE_CHECKING:  # pragma: no cover
    from .mainwindow import MainWindow


def presets(rg: Radiograph) -> list[tuple[str, tuple]]:
    """The window presets of a film: (text, ("win", Window) or ("voi", index))."""
    out = []
    for i, w in enumerate(rg.windows):
        name = w.explanation or f"window {i + 1}"
        out.append((f"{name} ({w.center:g}/{w.width:g})", ("win", w)))
    for i, lut in enumerate(rg.voi_luts):
        out.append((f"VOI LUT: {lut.explanation or i + 1}", ("voi", i)))
    aw = rg.auto_window()
    out.append((f"automatic ({aw.center:.0f}/{aw.width:.0f})", ("win", aw)))
    return out


class DisplayControls(QObject):
    """Window/level controls of one main window (the window owns the QActions)."""

    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.w = window
        self.view = window.view
        self.preset_box = QComboBox()
        self.preset_box.setMinimumWidth(170)
        self.preset_box.setToolTip("The file's windows and VOI LUTs, or automatic")
        self.center_spin = QDoubleSpinBox()
        self.width_spin = QDoubleSpinBox()
        for sp in (self.center_spin, self.width_spin):
            sp.setDecimals(0)
            sp.setRange(-1e6, 1e6)
            sp.setKeyboardTracking(False)
            sp.setMinimumWidth(80)
        self.width_spin.setRange(1, 1e6)
        self.preset_box.activated.connect(self.apply_preset)
        self.center_spin.valueChanged.connect(self._spin_changed)
        self.width_spin.valueChanged.connect(self._spin_changed)
        self.view.displayChanged.connect(self._display_changed)
        self.view.viewChanged.connect(self._view_changed)

    def add_to_toolbar(self, tb: QToolBar) -> None:
        tb.addWidget(QLabel(" Window "))
        tb.addWidget(self.preset_box)
        tb.addWidget(QLabel(" C "))
        tb.addWidget(self.center_spin)
        tb.addWidget(QLabel(" W "))
        tb.addWidget(self.width_spin)

    # ------------------------------------------------------------------ view → controls
    def _display_changed(self, settings) -> None:
        rg = self.view.radiograph
        if rg is None:
            return
        with QSignalBlocker(self.w.a_invert):
            self.w.a_invert.setChecked(settings.invert != rg.invert_default)
        w = self.view.current_window()
        with QSignalBlocker(self.center_spin), QSignalBlocker(self.width_spin):
            self.center_spin.setValue(w.center)
            self.width_spin.setValue(w.width)
        with QSignalBlocker(self.preset_box):
            items = presets(rg)
            texts = [t for t, _s in items]
            if [self.preset_box.itemText(i) for i in range(self.preset_box.count())] != texts + ["custom"]:
                self.preset_box.clear()
                self.preset_box.addItems(texts + ["custom"])
            idx = len(texts)
            for i, (_t, kind) in enumerate(items):
                if kind == ("voi", settings.voi_lut_index) or (
                        settings.voi_lut_index is None and kind == ("win", settings.window)):
                    idx = i
                    break
            self.preset_box.setCurrentIndex(idx)

    def _view_changed(self) -> None:
        """Handles and labels stay upright: the marker layer follows rotate and flip."""
        t = QTransform()
        t.rotate(self.view.rotation)
        if self.view.flipped:
            t.scale(-1, 1)
        layer = self.w.layer
        if t != layer.orientation:
            layer.orientation = t
            layer.refresh()

    # ------------------------------------------------------------------ controls → view
    def fill_presets_menu(self) -> None:
        """View ▸ Window presets, filled each time it opens."""
        menu = self.w.presets_menu
        menu.clear()
        rg = self.view.radiograph
        if rg is None:
            return
        for i, (text, _kind) in enumerate(presets(rg)):
            menu.addAction(text, lambda i=i: self.apply_preset(i))

    def apply_preset(self, index: int) -> None:
        rg = self.view.radiograph
        if rg is None or self.view.settings is None:
            return
        items = presets(rg)
        if not 0 <= index < len(items):
            return
        kind, val = items[index][1]
        s = self.view.settings
        self.view.set_display(s.with_voi_lut(val) if kind == "voi" else s.with_window(val))

    def _spin_changed(self, _v=None) -> None:
        if self.view.radiograph is None:
            return
        self.view.set_window(Window(self.center_spin.value(), self.width_spin.value(), "user"))

    def auto_window(self) -> None:
        if self.view.radiograph is not None:
            self.view.set_window(self.view.radiograph.auto_window())

    def window_dialog(self) -> None:
        rg = self.view.radiograph
        if rg is None:
            return
        w = dialogs.ask_window(self.w, self.view.current_window(), rg.value_range())
        if w is not None:
            self.view.set_window(w)

    def toggle_invert(self) -> None:
        if self.view.settings is not None:
            self.view.set_display(self.view.settings.toggled_invert())
