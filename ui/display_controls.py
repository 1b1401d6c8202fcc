"""The window/level controls of the main window: the toolbar's *Window* preset list and C / W
boxes, View ▸ Window presets, automatic window, numeric entry and invert; and the marker
layer's orientation after a rotate or flip.

The film view renders with absolute :class:`vfa.films.display.DisplaySettings`; the session
keeps what they mean on the film (:class:`vfa.films.windowing.WindowChoice`, recorded by the main
window). These controls only set the view (``view.set_display`` / ``view.set_window``) and
follow it (``view.displayChanged``) inside signal blockers, so there are no loops. The presets
are :func:`vfa.films.windowing.presets`: the file's windows and VOI LUTs and its automatic window.

The controls get their own widgets (the view, the marker layer) and a parent for dialogs;
the window sets :attr:`DisplayControls.invert_action` once the actions exist.

While the comparison shows two films, the controls follow the open film's view there
(:meth:`DisplayControls.follow`): the C / W boxes show and set the window of the film the reader
is working on, and the comparison links the other film to it; after the comparison they follow
the reading view again.
"""

from __future__ import annotations

from PyQt6.QtCore import QObject, QSignalBlocker
from PyQt6.QtGui import QAction, QTransform
from PyQt6.QtWidgets import QComboBox, QDoubleSpinBox, QLabel, QMenu, QToolBar, QWidget

from vfa.films.radiograph import Radiograph, Window
from vfa.films.windowing import WindowChoice, presets

from . import dialogs
from .film_view import FilmView
from .markers import MarkerLayer

__all__ = ["DisplayControls", "presets", "preset_settings"]


def preset_settings(rg: Radiograph, choice: WindowChoice, invert: bool):
    """The absolute settings of a preset on ``rg`` with the view's current ``invert``."""
    from dataclasses import replace
    return replace(choice.settings(rg), invert=invert)


class DisplayControls(QObject):
    """Window/level controls of one film view (the window owns the QActions)."""

    def __init__(self, view: FilmView, layer: MarkerLayer, parent: QWidget) -> None:
        super().__init__(parent)
        self.parent_widget = parent
        self.view = view
        #: the view the controls show and set: ``view``, or the open film's view of the comparison
        self.target = view
        self.layer = layer
        self.invert_action: QAction | None = None
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

    def follow(self, view: FilmView | None) -> None:
        """Show and set the window of ``view`` (``None``: the reading view again)."""
        view = view if view is not None else self.view
        if view is self.target:
            return
        try:
            self.target.displayChanged.disconnect(self._display_changed)
        except TypeError:
            pass
        self.target = view
        view.displayChanged.connect(self._display_changed)
        if view.settings is not None:
            self._display_changed(view.settings)

    def add_to_toolbar(self, tb: QToolBar) -> None:
        tb.addWidget(QLabel(" Window "))
        tb.addWidget(self.preset_box)
        tb.addWidget(QLabel(" C "))
        tb.addWidget(self.center_spin)
        tb.addWidget(QLabel(" W "))
        tb.addWidget(self.width_spin)

    # ------------------------------------------------------------------ view → controls
    def _display_changed(self, settings) -> None:
        rg = self.target.radiograph
        if rg is None:
            return
        if self.invert_action is not None:
            with QSignalBlocker(self.invert_action):
                self.invert_action.setChecked(settings.invert != rg.invert_default)
        w = self.target.current_window()
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
            for i, (_t, choice) in enumerate(items):
                if preset_settings(rg, choice, settings.invert) == settings:
                    idx = i
                    break
            self.preset_box.setCurrentIndex(idx)

    def _view_changed(self) -> None:
        """Handles and labels stay upright: the marker layer follows rotate and flip."""
        t = QTransform()
        t.rotate(self.view.rotation)
        if self.view.flipped:
            t.scale(-1, 1)
        layer = self.layer
        if t != layer.orientation:
            layer.orientation = t
            layer.refresh()

    # ------------------------------------------------------------------ controls → view
    def fill_presets_menu(self, menu: QMenu) -> None:
        """View ▸ Window presets, filled each time it opens."""
        menu.clear()
        rg = self.target.radiograph
        if rg is None:
            return
        for i, (text, _kind) in enumerate(presets(rg)):
            menu.addAction(text, lambda i=i: self.apply_preset(i))

    def apply_preset(self, index: int) -> None:
        rg = self.target.radiograph
        if rg is None or self.target.settings is None:
            return
        items = presets(rg)
        if not 0 <= index < len(items):
            return
        self.target.set_display(preset_settings(rg, items[index][1], self.target.settings.invert))

    def _spin_changed(self, _v=None) -> None:
        if self.target.radiograph is None:
            return
        self.target.set_window(Window(self.center_spin.value(), self.width_spin.value(), "user"))

    def auto_window(self) -> None:
        if self.target.radiograph is not None:
            self.target.set_window(self.target.radiograph.auto_window())

    def window_dialog(self) -> None:
        rg = self.target.radiograph
        if rg is None:
            return
        w = dialogs.ask_window(self.parent_widget, self.target.current_window(), rg.value_range())
        if w is not None:
            self.target.set_window(w)

    def toggle_invert(self) -> None:
        if self.target.settings is not None:
            self.target.set_display(self.target.settings.toggled_invert())
