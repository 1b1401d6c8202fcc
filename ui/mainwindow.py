"""The main window: film view, guide bar, grading table, browser, comparison.

What each part shows (docs/viewer.md):

* :class:`~ui.film_view.FilmView` — the :class:`vfa.radiograph.Radiograph` through
  :class:`vfa.display.Renderer` with the window/level of a :class:`vfa.display.DisplaySettings`;
* :class:`~ui.markers.MarkerLayer` — the points of the :class:`vfa.reading.Reading`, coloured
  by the final grades of :func:`vfa.morphometry.summarize`;
* the guide bar — :class:`vfa.guide.Guide` (next level and point);
* :class:`~ui.table.GradingTable` — :class:`vfa.morphometry.ReadingSummary`;
* :class:`~ui.browser.Browser` — the :class:`vfa.workspace.Workspace` index;
* :class:`~ui.compare.ComparisonView` — :func:`vfa.comparison.compare` of two visits.
"""

from __future__ import annotations

import math
import os
from pathlib import Path

from PyQt6.QtCore import QPointF, QSettings, QSignalBlocker, Qt, QTimer, pyqtSignal
from PyQt6.QtGui import QAction, QActionGroup, QKeySequence, QTransform
from PyQt6.QtWidgets import (QApplication, QComboBox, QDockWidget, QDoubleSpinBox, QFrame,
                             QHBoxLayout, QLabel, QMainWindow, QProgressDialog,
                             QPushButton, QStackedWidget, QToolBar, QVBoxLayout, QWidget)

from vfa.errors import VfaError
from vfa.geometry import distance
from vfa.guide import Direction
from vfa.levels import LEVELS, Level, Status
from vfa.radiograph import Radiograph, Window, load_radiograph
from vfa.reading import Reading
from vfa.scan import scan_paths
from vfa.workspace import Workspace, default_reader

from . import dialogs
from .browser import Browser
from .compare import ComparisonView
from .document import Document
from .exports import Exports
from .film_view import TOOL_CALIBRATE, TOOL_MEASURE, TOOL_PLACE, TOOL_PROPOSE, FilmView
from .markers import MarkerLayer
from .proposals import Proposer
from .table import GradingTable

MAX_RECENT = 10


def app_settings() -> QSettings:
    """The viewer's preferences (recent files, guide direction): ``$VFA_SETTINGS`` or an ini
    file in the user's config folder."""
    path = os.environ.get("VFA_SETTINGS")
    if not path:
        import platformdirs
        path = str(Path(platformdirs.user_config_dir("vfa", appauthor=False)) / "viewer.ini")
    return QSettings(path, QSettings.Format.IniFormat)


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


class MainWindow(QMainWindow):
    filmOpened = pyqtSignal(str)

    def __init__(self, workspace: Workspace | str | os.PathLike | None = None) -> None:
        super().__init__()
        self.setWindowTitle("VFA[*]")
        self.settings = app_settings()
        self.workspace: Workspace | None = None
        try:
            self.workspace = workspace if isinstance(workspace, Workspace) else Workspace(workspace)
        except VfaError as exc:  # the film can still be read; saving then says why it can't
            QTimer.singleShot(0, lambda e=exc: dialogs.show_error(self, e))
        self.doc: Document | None = None
        self.selected_level: Level | None = None
        self._problems_dialog = None
        self._reported_errors: set[str] = set()

        # central: reading page and comparison page
        self.view = FilmView()
        self.layer = MarkerLayer(self.view.scene(), editable=True)
        self.guide_bar = GuideBar()
        self.banner = Banner()
        page = QWidget()
        pl = QVBoxLayout(page)
        pl.setContentsMargins(0, 0, 0, 0)
        pl.setSpacing(0)
        pl.addWidget(self.guide_bar)
        pl.addWidget(self.banner)
        pl.addWidget(self.view, 1)
        self.compare_view = ComparisonView()
        # its layout's minimum must not widen the reading page (docks hide when comparing)
        self.compare_view.setMinimumSize(1, 1)
        self.stack = QStackedWidget()
        self.stack.addWidget(page)
        self.stack.addWidget(self.compare_view)
        self.setCentralWidget(self.stack)

        # docks
        self.browser = Browser()
        self.browser.setMinimumWidth(170)
        self.browser.set_workspace(self.workspace)
        self.browser_dock = QDockWidget("Patients", self)
        self.browser_dock.setObjectName("BrowserDock")
        self.browser_dock.setWidget(self.browser)
        self.addDockWidget(Qt.DockWidgetArea.LeftDockWidgetArea, self.browser_dock)
        self.table = GradingTable()
        self.table_dock = QDockWidget("Grading", self)
        self.table_dock.setObjectName("GradingDock")
        self.table_dock.setWidget(self.table)
        self.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, self.table_dock)
        self._docks_sized = False

        # status bar
        sb = self.statusBar()
        self.geom_label = QLabel("")
        self.geom_label.setStyleSheet("color: #b00000; font-weight: bold;")
        self.pos_label = QLabel("")
        self.value_label = QLabel("")
        self.dist_label = QLabel("")
        self.spacing_label = QLabel("")
        for w in (self.geom_label, self.pos_label, self.value_label, self.dist_label,
                  self.spacing_label):
            sb.addPermanentWidget(w)

        self.exports = Exports(self)
        self.proposer = Proposer(self)
        self._pacs_configured = self.exports.pacs_settings() is not None
        self._make_actions()
        self._make_menus()
        self._make_toolbar()
        self._connect()
        self.setAcceptDrops(True)
        self.resize(1600, 1000)
        self._update_title()
        self._update_actions()

    # ================================================================== construction
    def _act(self, text: str, slot, shortcut=None, checkable=False, tip: str = "",
             short: str | None = None) -> QAction:
        a = QAction(text, self)
        if short:
            a.setIconText(short)
        if shortcut is not None:
            if isinstance(shortcut, (list, tuple)):
                a.setShortcuts([QKeySequence(s) for s in shortcut])
            else:
                a.setShortcut(QKeySequence(shortcut))
        a.setCheckable(checkable)
        if tip:
            a.setToolTip(tip)
            a.setStatusTip(tip)
        a.triggered.connect(slot)
        self.addAction(a)
        return a

    def _make_actions(self) -> None:
        K = QKeySequence.StandardKey
        self.a_open = self._act("&Open file…", self.open_file_dialog, K.Open, short="Open")
        self.a_open_folder = self._act("Open &folder…", self.open_folder_dialog, "Ctrl+Shift+O",
                                       tip="Scan a folder (and its subfolders or DICOMDIR) for films", short="Folder")
        self.a_open_pacs = self._act("Open from &PACS…", lambda: self.exports.open_from_pacs(),
                                     "Ctrl+Shift+P", tip="Search the PACS (DICOMweb), retrieve "
                                     "studies into the cache and open their films")
        self.a_save = self._act("&Save reading", self.save, K.Save, short="Save")
        self.a_export_sr = self._act("DICOM &SR…", lambda: self.exports.export_sr(),
                                     tip="Write the reading as a DICOM structured report (TID 1500)")
        self.a_store_sr = self._act("Store SR to &PACS", lambda: self.exports.store_sr(),
                                    tip="Send the reading as a DICOM SR to the configured PACS")
        self.a_export_pdf = self._act("P&DF report…", lambda: self.exports.export_pdf(),
                                      tip="The patient's report: every saved visit, changes "
                                          "against baseline, trends")
        self.a_deidentify = self._act("De-identify PDF report", self._deidentify_toggled,
                                      checkable=True, tip="No name, patient ID or birth date in "
                                      "the PDF report (age only)")
        self.a_deidentify.setChecked(self.settings.value("export/deidentify", "false") == "true")
        self.a_export_csv = self._act("&CSV of this patient…", lambda: self.exports.export_csv("patient"),
                                      tip="Per-level and per-visit CSV of the patient's saved readings")
        self.a_export_csv_all = self._act("CSV of the whole &workspace…",
                                          lambda: self.exports.export_csv("workspace"),
                                          tip="Per-level and per-visit CSV of every saved reading")
        self.a_pacs_settings = self._act("PACS server settings…",
                                         lambda: self.exports.edit_pacs_settings(),
                                         tip="DICOMweb URL, user, password and timeout")
        self.a_quit = self._act("&Quit", self.close, K.Quit)
        self.a_undo = self._act("&Undo", self.undo, K.Undo, short="Undo")
        self.a_redo = self._act("&Redo", self.redo, ["Ctrl+Shift+Z", "Ctrl+Y"], short="Redo")
        self.a_del_point = self._act("Delete selected point", self.delete_selected_point,
                                     [QKeySequence(Qt.Key.Key_Delete), QKeySequence(Qt.Key.Key_Backspace)])
        self.a_del_vertebra = self._act("Delete vertebra of the selected level",
                                        self.delete_selected_vertebra, "Shift+Del")
        self.a_relabel = self._act("Relabel levels…", self.relabel_dialog)
        self.a_ne = self._act("Mark level not evaluable…", self.mark_not_evaluable, "N")
        self.a_skip = self._act("Skip level", self.skip_level, "S")
        self.a_prev_level = self._act("Previous level", lambda: self.step_level(-1), "[")
        self.a_next_level = self._act("Next level", lambda: self.step_level(+1), "]")
        self.a_fit = self._act("&Fit film", self.view.fit, "F", short="Fit")
        self.a_1to1 = self._act("1:1 pixels", self.view.one_to_one, "1", short="1:1")
        self.a_zoom_in = self._act("Zoom in", lambda: self.view.zoom_by(1.25), K.ZoomIn)
        self.a_zoom_out = self._act("Zoom out", lambda: self.view.zoom_by(0.8), K.ZoomOut)
        self.a_rotate = self._act("Rotate 90°", self._rotate, "R", short="Rotate")
        self.a_flip = self._act("Flip horizontally", self._flip, "H", short="Flip")
        self.a_invert = self._act("Invert", self._toggle_invert, "I", checkable=True)
        self.a_auto = self._act("Automatic window", self.auto_window, "A")
        self.a_window = self._act("Window numeric…", self.window_dialog, "W")
        self.a_reset = self._act("Reset view", self.reset_view, "0", short="Reset")
        self.a_compare = self._act("&Compare visits", self.toggle_compare, "Ctrl+K", checkable=True, short="Compare")
        self.tool_group = QActionGroup(self)
        self.a_tool_place = self._act("Place points", lambda: self.set_tool(TOOL_PLACE), "P", True,
                                      "Guided placement: click the next point; drag points to adjust", "Place")
        self.a_tool_measure = self._act("Measure", lambda: self.set_tool(TOOL_MEASURE), "M", True,
                                        "Drag to measure a distance (mm, or px when uncalibrated)")
        self.a_tool_cal = self._act("Calibrate", lambda: self.set_tool(TOOL_CALIBRATE), "C", True,
                                    "Draw a line over a known length, then type it in mm")
        self.a_tool_propose = self._act("Propose points", lambda: self.set_tool(TOOL_PROPOSE),
                                        "G", True, "Click inside a vertebral body: its six "
                                        "points are proposed for the guide's level", "Propose")
        for a in (self.a_tool_place, self.a_tool_measure, self.a_tool_cal, self.a_tool_propose):
            self.tool_group.addAction(a)
        self.a_tool_place.setChecked(True)
        # semi-automatic placement (ui/proposals.py). No "Shift+<letter>" beside a
        # "<letter>" shortcut: Qt also tries the key without Shift and then finds both
        # ambiguous, so neither would fire.
        P = self.proposer
        self.a_propose_span = self._act("Propose spine (two clicks)…", lambda: P.start_span(),
                                        "Ctrl+G", tip="Name two levels, click inside those two "
                                        "bodies: every level between is proposed")
        self.a_carry = self._act("Carry forward from visit…", lambda: P.carry_forward(),
                                 tip="Propose the points of an earlier saved reading of this "
                                     "patient on this film")
        # Enter accepts only while the film has the focus (the table's editors keep Enter)
        self.a_accept_all = QAction("Accept all proposals", self)
        self.a_accept_all.setShortcuts([QKeySequence(Qt.Key.Key_Return), QKeySequence(Qt.Key.Key_Enter)])
        self.a_accept_all.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        self.a_accept_all.setToolTip("Accept every proposed point (Enter on the film)")
        self.a_accept_all.setIconText("Accept all")
        self.a_accept_all.triggered.connect(lambda: P.accept_all())
        self.view.addAction(self.a_accept_all)
        self.a_accept_level = self._act("Accept proposals of the level", lambda: P.accept_level(),
                                        "Ctrl+Return", tip="Accept the proposed points of the "
                                        "selected level")
        self.a_reject_level = self._act("Reject proposals of the level", lambda: P.reject_level(),
                                        "X", tip="Remove the proposed points of the selected level")
        self.a_reject_all = self._act("Reject all proposals", lambda: P.reject_all(), "Ctrl+Shift+X",
                                      tip="Remove every proposed point not yet accepted")

    def _make_menus(self) -> None:
        mb = self.menuBar()
        m = mb.addMenu("&File")
        m.addAction(self.a_open)
        m.addAction(self.a_open_folder)
        m.addAction(self.a_open_pacs)
        self.recent_menu = m.addMenu("Open &recent")
        self.recent_menu.aboutToShow.connect(self._fill_recent)
        m.addSeparator()
        m.addAction(self.a_save)
        self.export_menu = m.addMenu("&Export")
        for a in (self.a_export_sr, self.a_store_sr, None, self.a_export_pdf, self.a_deidentify,
                  None, self.a_export_csv, self.a_export_csv_all):
            self.export_menu.addSeparator() if a is None else self.export_menu.addAction(a)
        self.export_menu.aboutToShow.connect(self.update_pacs_state)
        m.addSeparator()
        m.addAction(self.a_quit)
        m = mb.addMenu("&Edit")
        for a in (self.a_undo, self.a_redo, None, self.a_del_point, self.a_del_vertebra,
                  self.a_relabel, None, self.a_ne, self.a_skip, self.a_prev_level, self.a_next_level):
            m.addSeparator() if a is None else m.addAction(a)
        m = mb.addMenu("&Propose")
        self.propose_menu = m
        for a in (self.a_tool_propose, self.a_propose_span, self.a_carry, None, self.a_accept_all,
                  self.a_accept_level, None, self.a_reject_level, self.a_reject_all):
            m.addSeparator() if a is None else m.addAction(a)
        m = mb.addMenu("&View")
        for a in (self.a_fit, self.a_1to1, self.a_zoom_in, self.a_zoom_out, None, self.a_rotate,
                  self.a_flip, None, self.a_invert, self.a_auto, self.a_window, self.a_reset, None,
                  self.a_compare):
            m.addSeparator() if a is None else m.addAction(a)
        self.presets_menu = m.addMenu("Window presets")
        self.presets_menu.aboutToShow.connect(self._fill_presets_menu)
        m.addSeparator()
        m.addAction(self.browser_dock.toggleViewAction())
        m.addAction(self.table_dock.toggleViewAction())
        m = mb.addMenu("&Tools")
        for a in (self.a_tool_place, self.a_tool_measure, self.a_tool_cal, self.a_tool_propose):
            m.addAction(a)
        m.addSeparator()
        m.addAction(self.a_pacs_settings)

    def _make_toolbar(self) -> None:
        tb = QToolBar("Film")
        tb.setObjectName("FilmToolbar")
        self.addToolBar(tb)
        for a in (self.a_open, self.a_open_folder, self.a_save, None, self.a_undo, self.a_redo,
                  None, self.a_tool_place, self.a_tool_measure, self.a_tool_cal,
                  self.a_tool_propose, self.a_accept_all, None, self.a_fit,
                  self.a_1to1, self.a_rotate, self.a_flip, self.a_invert, self.a_reset):
            tb.addSeparator() if a is None else tb.addAction(a)
        tb.addSeparator()
        tb.addWidget(QLabel(" Window "))
        self.preset_box = QComboBox()
        self.preset_box.setMinimumWidth(170)
        self.preset_box.setToolTip("The file's windows and VOI LUTs, or automatic")
        tb.addWidget(self.preset_box)
        tb.addWidget(QLabel(" C "))
        self.center_spin = QDoubleSpinBox()
        self.width_spin = QDoubleSpinBox()
        for sp in (self.center_spin, self.width_spin):
            sp.setDecimals(0)
            sp.setRange(-1e6, 1e6)
            sp.setKeyboardTracking(False)
            sp.setMinimumWidth(80)
        self.width_spin.setRange(1, 1e6)
        tb.addWidget(self.center_spin)
        tb.addWidget(QLabel(" W "))
        tb.addWidget(self.width_spin)
        tb.addSeparator()
        tb.addAction(self.a_compare)

    def _connect(self) -> None:
        v = self.view
        v.cursorMoved.connect(self._cursor_moved)
        v.imageClicked.connect(self._image_clicked)
        v.lineChanged.connect(self._line_changed)
        v.lineDrawn.connect(self._line_drawn)
        v.displayChanged.connect(self._display_changed)
        v.viewChanged.connect(self._view_changed)
        v.escapePressed.connect(self.proposer.cancel)
        self.layer.pointDragged.connect(self._point_dragged)
        self.layer.dragStarted.connect(self._drag_started)
        self.layer.dragFinished.connect(self._drag_finished)
        self.layer.levelClicked.connect(lambda lv: self.select_level(lv, centre=False))
        self.table.levelSelected.connect(self._table_level)
        self.browser.openRequested.connect(self.open_file)
        self.guide_bar.level_box.activated.connect(
            lambda i: self._guide_jump(LEVELS[i]))
        self.guide_bar.direction_box.activated.connect(
            lambda i: self._set_direction(Direction.DOWN if i == 0 else Direction.UP))
        self.guide_bar.skip_button.clicked.connect(self.skip_level)
        self.guide_bar.ne_button.clicked.connect(self.mark_not_evaluable)
        self.banner.button.clicked.connect(lambda: self.set_tool(TOOL_CALIBRATE))
        self.preset_box.activated.connect(self._preset_chosen)
        self.center_spin.valueChanged.connect(self._spin_changed)
        self.width_spin.valueChanged.connect(self._spin_changed)
        self.compare_view.closeRequested.connect(lambda: self.show_compare(False))
        self.compare_view.levelSelected.connect(lambda lv: self.select_level(lv, centre=True))
        d = self.settings.value("guide/direction", "down")
        with QSignalBlocker(self.guide_bar.direction_box):
            self.guide_bar.direction_box.setCurrentIndex(1 if d == "up" else 0)

    def showEvent(self, event) -> None:  # noqa: N802
        super().showEvent(event)
        if not self._docks_sized:
            self._docks_sized = True
            QTimer.singleShot(0, self.size_docks)

    def size_docks(self) -> None:
        """Browser narrow, grading table wide enough for all its columns."""
        self.resizeDocks([self.browser_dock, self.table_dock], [225, 930],
                         Qt.Orientation.Horizontal)

    # ================================================================== opening films
    def open_path(self, path: str | os.PathLike, open_first: bool = True) -> bool:
        """A file opens as a film; a folder is scanned (its first film opens)."""
        p = Path(path)
        if p.is_dir() or p.name.upper() == "DICOMDIR":
            return self.open_folder([p], open_first=open_first)
        return self.open_file(p)

    def open_file_dialog(self) -> None:
        from PyQt6.QtWidgets import QFileDialog
        start = self.settings.value("last_dir", str(Path.home()))
        path, _ = QFileDialog.getOpenFileName(self, "Open radiograph", start,
                                              "DICOM files (*.dcm *.DCM *.dicom *);;All files (*)")
        if path:
            self.settings.setValue("last_dir", str(Path(path).parent))
            self.open_file(path)

    def open_folder_dialog(self) -> None:
        from PyQt6.QtWidgets import QFileDialog
        start = self.settings.value("last_dir", str(Path.home()))
        path = QFileDialog.getExistingDirectory(self, "Open folder of radiographs", start)
        if path:
            self.settings.setValue("last_dir", path)
            self.open_folder([path])

    def open_file(self, path: str | os.PathLike) -> bool:
        """Open one film and its reading (saved one, recovered autosave, or a new one)."""
        path = Path(path)
        if self.doc is not None and self.doc.radiograph is not None and \
                self.doc.radiograph.path is not None and \
                Path(self.doc.radiograph.path).resolve() == path.resolve():
            return True
        if not self.maybe_keep_changes():
            return False
        try:
            rg = load_radiograph(path)
        except VfaError as exc:
            dialogs.show_error(self, exc, "Cannot open film")
            return False
        return self._show_radiograph(rg)

    def _show_radiograph(self, rg: Radiograph, reading: Reading | None = None,
                         recovered: bool = False) -> bool:
        ws = self.workspace
        if ws is not None:
            try:
                ws.register_radiograph(rg)
            except VfaError as exc:
                self.statusBar().showMessage(str(exc), 8000)
        if reading is None:
            reading, recovered = self._reading_for(rg)
            if reading is None:
                return False
        self._set_document(Document(rg, reading, ws, *self._guide_prefs()), recovered)
        if rg.path is not None:
            self._add_recent(str(Path(rg.path).resolve()))
        for w in rg.warnings:
            self.statusBar().showMessage(f"Note: {w}", 8000)
        self.filmOpened.emit(str(rg.path or ""))
        return True

    def _guide_prefs(self) -> tuple[Level, Direction]:
        d = Direction.UP if self.guide_bar.direction_box.currentIndex() == 1 else Direction.DOWN
        start = Level.L4 if d is Direction.UP else Level.T4
        return start, d

    def _reading_for(self, rg: Radiograph) -> tuple[Reading | None, bool]:
        """The reader's saved reading of this film, or its autosave, or a new reading."""
        me = default_reader()
        fresh = Reading.for_radiograph(rg, reader=me)
        ws = self.workspace
        if ws is None or not fresh.sop_instance_uid:
            return fresh, False
        try:
            auto = ws.autosave_path(fresh)
        except VfaError:
            auto = None
        if auto is not None and auto.exists():
            ans = dialogs.ask_recover(self, [ws.describe_recovery(auto)])
            if ans == dialogs.RECOVER:
                try:
                    return ws.recover(auto), True
                except VfaError as exc:
                    dialogs.show_error(self, f"The autosave could not be read: {exc}. It was kept "
                                             f"at {auto}.")
            elif ans == dialogs.DISCARD:
                auto.unlink(missing_ok=True)
        try:
            saved = ws.load(fresh.sop_instance_uid, reader=me)
        except VfaError as exc:
            dialogs.show_error(self, f"The saved reading of this film could not be read: {exc}\n"
                                     "The film opens without it; the file is left untouched "
                                     "until you save.")
            saved = None
        return (saved or fresh), False

    def _set_document(self, doc: Document, recovered: bool = False) -> None:
        self.proposer.cancel()
        if self.doc is not None:
            self.doc.close()
        self.show_compare(False)
        self.doc = doc
        self.selected_level = None
        if recovered:
            doc.history.mark_unsaved()
            doc._modified = True
        doc.changed.connect(self._doc_changed)
        doc.modifiedChanged.connect(lambda _m: self._update_title())
        doc.guideChanged.connect(self._guide_changed)
        doc.historyChanged.connect(self._update_actions)
        doc.error.connect(self._doc_error)
        doc.saved.connect(lambda p: self.statusBar().showMessage(f"Saved: {p}", 5000))
        doc.autosaved.connect(lambda p: self.statusBar().showMessage("Autosaved", 1500))
        self.view.set_film(doc.radiograph)
        self.layer.set_bounds(self.view.image_rect())
        self.layer.set_reading(doc.reading, doc.summary, doc.geometry_errors)
        self.table.set_document(doc)
        self.browser.refresh(doc.reading.sop_instance_uid)
        self._guide_changed(doc.guide.text)
        self._update_banner()
        self._update_title()
        self._update_actions()
        self._update_geometry_label()
        if recovered:
            doc.autosave_timer.start()

    # ------------------------------------------------------------------ folders
    def open_folder(self, paths, open_first: bool = True) -> bool:
        """Scan files/folders for films (progress, cancel), list them in the browser, show
        the files that are not films, and open the first film."""
        paths = [Path(p) for p in paths]
        dlg = QProgressDialog("Looking for radiographs…", "Cancel", 0, 0, self)
        dlg.setWindowTitle("Open folder")
        dlg.setWindowModality(Qt.WindowModality.WindowModal)
        dlg.setMinimumDuration(400)

        def progress(done: int, total: int) -> None:
            if dlg.maximum() != total:
                dlg.setMaximum(total)
            dlg.setValue(done)
            QApplication.processEvents()

        try:
            result = scan_paths(paths, progress=progress, cancel=dlg.wasCanceled)
        finally:
            dlg.reset()
            dlg.close()
            dlg.deleteLater()
        films = result.sorted_films()
        ws = self.workspace
        if ws is not None:
            for f in films:
                r = Reading(patient_id=f.patient_id, study_date=f.study_date,
                            study_instance_uid=f.study_instance_uid,
                            series_instance_uid=f.series_instance_uid,
                            sop_instance_uid=f.sop_instance_uid, image_path=str(Path(f.path).resolve()))
                try:
                    ws.register_identity(r, str(Path(f.path).resolve()), f.modality or None,
                                         f.view_position or None)
                except VfaError as exc:
                    result.problems.append((f.path, str(exc)))
            self.browser.refresh()
        if result.problems:
            self._problems_dialog = dialogs.ProblemsDialog(self, result.problems, len(films))
            self._problems_dialog.show()
        msg = f"{len(films)} film(s) found" + (" (scan cancelled)" if result.cancelled else "")
        self.statusBar().showMessage(msg, 6000)
        if not films:
            if not result.cancelled:
                dialogs.show_error(self, "No radiographs were found in "
                                   + ", ".join(str(p) for p in paths), "Open folder")
            return False
        self.scan_result = result
        if open_first:
            return self.open_file(films[0].path)
        return True

    # ------------------------------------------------------------------ recent files
    def recent_files(self) -> list[str]:
        v = self.settings.value("recent", [])
        if isinstance(v, str):
            v = [v]
        return [str(x) for x in (v or [])]

    def _add_recent(self, path: str) -> None:
        rec = [p for p in self.recent_files() if p != path]
        rec.insert(0, path)
        self.settings.setValue("recent", rec[:MAX_RECENT])
        self.settings.sync()

    def _fill_recent(self) -> None:
        self.recent_menu.clear()
        rec = self.recent_files()
        if not rec:
            a = self.recent_menu.addAction("(none)")
            a.setEnabled(False)
        for p in rec:
            self.recent_menu.addAction(p, lambda p=p: self.open_file(p))

    # ------------------------------------------------------------------ drag and drop
    def dragEnterEvent(self, event) -> None:  # noqa: N802
        if event.mimeData().hasUrls():
            event.acceptProposedAction()

    def dropEvent(self, event) -> None:  # noqa: N802
        paths = [u.toLocalFile() for u in event.mimeData().urls() if u.isLocalFile()]
        event.acceptProposedAction()
        if not paths:
            return
        QTimer.singleShot(0, lambda: self.open_dropped(paths))

    def open_dropped(self, paths: list[str]) -> bool:
        if len(paths) == 1:
            return self.open_path(paths[0])
        return self.open_folder(paths)

    # ================================================================== saving
    def save(self) -> bool:
        if self.doc is None:
            return False
        errs = self.doc.geometry_errors()
        if errs:
            dialogs.show_error(self, "Some vertebrae have impossible points and the reading "
                               "cannot be saved until they are fixed:\n\n"
                               + "\n".join(errs.values()), "Check the points")
            return False
        ok = self.doc.save() is not None
        if ok:
            self.browser.refresh(self.doc.reading.sop_instance_uid)
            self._update_title()
        return ok

    def maybe_keep_changes(self) -> bool:
        """Before leaving the film: True if it is fine to go on (saved or discarded)."""
        if self.doc is None or not self.doc.modified:
            return True
        ans = dialogs.ask_unsaved(self, self._film_name())
        if ans == dialogs.SAVE:
            return self.save()
        if ans == dialogs.DISCARD:
            self.doc.discard()
            return True
        return False

    def closeEvent(self, event) -> None:  # noqa: N802
        if not self.maybe_keep_changes():
            event.ignore()
            return
        if self.doc is not None:
            self.doc.close()
        if self.workspace is not None:
            self.workspace.close()
        event.accept()

    def check_recoveries(self) -> bool:
        """At start: offer the autosaves of a session that did not close cleanly.
        Returns True when a reading was recovered and opened."""
        ws = self.workspace
        if ws is None:
            return False
        pending = ws.pending_recoveries()
        if not pending:
            return False
        ans = dialogs.ask_recover(self, [ws.describe_recovery(p) for p in pending])
        if ans == dialogs.DISCARD:
            for p in pending:
                p.unlink(missing_ok=True)
            return False
        if ans != dialogs.RECOVER:
            return False
        newest = max(pending, key=lambda p: p.stat().st_mtime)
        try:
            reading = ws.recover(newest)
        except VfaError as exc:
            dialogs.show_error(self, f"The autosave {newest.name} could not be read: {exc}. "
                                     "It was kept in the workspace's autosave folder.")
            return False
        paths = [reading.image_path]
        try:
            rec = ws.index.image(reading.sop_instance_uid)
            if rec is not None:
                paths.append(rec.path)
        except VfaError:
            pass
        for p in paths:
            if p and Path(p).is_file():
                try:
                    rg = load_radiograph(p)
                except VfaError:
                    continue
                if not self.maybe_keep_changes():
                    return False
                self._show_radiograph(rg, reading, recovered=True)
                self.statusBar().showMessage("Recovered reading: not yet saved (Ctrl+S)", 8000)
                return True
        # the film is gone: keep the work in the workspace all the same
        try:
            path = ws.save(reading)
        except VfaError as exc:
            dialogs.show_error(self, f"The recovered reading could not be saved: {exc}")
            return False
        dialogs.show_error(self, f"The film of the recovered reading could not be found; the "
                                 f"reading was saved in the workspace ({path}).", "Recovered")
        self.browser.refresh()
        return False

    # ================================================================== editing
    def _image_clicked(self, x: float, y: float) -> None:
        if self.doc is None:
            return
        if self.view.tool == TOOL_PROPOSE or self.proposer.waiting:
            self.proposer.click(x, y)
            return
        t = self.doc.guide.target
        if t is None:
            self.statusBar().showMessage(self.doc.guide.text, 4000)
            return
        if self.doc.place(x, y):
            self.select_level(t.level, centre=False)

    def _drag_started(self, level, slot) -> None:
        if self.doc is not None:
            self.doc.begin_drag(level, slot)
            self.select_level(level, centre=False)

    def _point_dragged(self, level, slot, x: float, y: float) -> None:
        if self.doc is None:
            return
        self.doc.drag_point(level, slot, x, y)
        self.view.loupe.show_at(self.view, x, y)

    def _drag_finished(self, level, slot) -> None:
        self.view.loupe.hide()
        if self.doc is not None:
            self.doc.end_drag(level, slot)

    def undo(self) -> None:
        if self.doc is not None:
            self.doc.undo()
            self._update_actions()

    def redo(self) -> None:
        if self.doc is not None:
            self.doc.redo()
            self._update_actions()

    def delete_selected_point(self) -> None:
        if self.doc is None:
            return
        hs = self.layer.selected_handles()
        if not hs:
            self.statusBar().showMessage("Click a point first, then press Delete", 4000)
            return
        h = hs[0]
        self.doc.delete_point(h.level, h.slot)

    def delete_selected_vertebra(self) -> None:
        if self.doc is None:
            return
        lv = self.selected_level
        if lv is None:
            self.statusBar().showMessage("Select a level first (click a point or a table row)", 4000)
            return
        self.doc.delete_vertebra(lv)

    def relabel_dialog(self) -> None:
        if self.doc is None:
            return
        n = dialogs.ask_shift(self)
        if n:
            self.doc.relabel(n)

    def mark_not_evaluable(self) -> None:
        if self.doc is None:
            return
        lv = self.doc.guide.level or self.selected_level
        if lv is None:
            self.statusBar().showMessage("Choose a level first", 4000)
            return
        reason = dialogs.ask_reason(self, str(lv))
        if reason:
            self.doc.mark_not_evaluable(reason, lv)

    def skip_level(self) -> None:
        if self.doc is not None:
            self.doc.skip()

    def step_level(self, step: int) -> None:
        if self.doc is None:
            return
        cur = self.doc.guide.level or self.selected_level or LEVELS[0]
        nxt = cur.shifted(step) or cur
        self._guide_jump(nxt)

    def _guide_jump(self, level: Level) -> None:
        if self.doc is None:
            return
        self.doc.jump(level)
        self.select_level(level, centre=True)
        self.proposer.level_chosen(level)

    def update_pacs_state(self) -> None:
        """Store SR to PACS is offered when a PACS is configured (read when the Export menu
        opens and after the settings dialog)."""
        self._pacs_configured = self.exports.pacs_settings() is not None
        self._update_actions()

    def _deidentify_toggled(self) -> None:
        self.settings.setValue("export/deidentify", "true" if self.a_deidentify.isChecked() else "false")

    def _set_direction(self, d: Direction) -> None:
        self.settings.setValue("guide/direction", d.value)
        if self.doc is not None:
            self.doc.set_direction(d)

    def _table_level(self, level: Level) -> None:
        self.select_level(level, centre=True)
        if self.doc is not None:
            v = self.doc.reading.get(level)
            if v is None or (not v.complete and v.status is Status.EVALUABLE):
                self.doc.jump(level)

    def select_level(self, level: Level | None, centre: bool = True) -> None:
        """Highlight ``level`` on the film and in the table; centre the film on it."""
        self.selected_level = level
        self.layer.select_level(level)
        self.table.select_level(level)
        if centre and level is not None:
            c = self.layer.level_center(level)
            if c is not None:
                self.view.center_on_image(c.x(), c.y())

    # ------------------------------------------------------------------ tools
    def set_tool(self, tool: str) -> None:
        self.view.tool = tool
        {TOOL_PLACE: self.a_tool_place, TOOL_MEASURE: self.a_tool_measure,
         TOOL_CALIBRATE: self.a_tool_cal, TOOL_PROPOSE: self.a_tool_propose}[tool].setChecked(True)
        if tool != TOOL_PROPOSE:
            self.proposer.cancel()
        if tool in (TOOL_PLACE, TOOL_PROPOSE):
            self.view.line.hide_all()
        if tool == TOOL_PROPOSE and not self.proposer.waiting:
            self.statusBar().showMessage("Propose: click inside the body of the guide's level; "
                                         "its six points are proposed (Enter accepts all)", 8000)
        elif tool == TOOL_CALIBRATE:
            self.statusBar().showMessage("Calibrate: draw a line over a known length "
                                         "(e.g. a ruler or calibration ball), then type it in mm", 8000)
        self.view.setFocus()

    def _distance_text(self, p0: QPointF, p1: QPointF) -> str:
        if self.doc is None:
            return ""
        sp = self.doc.reading.spacing
        d = distance((p0.x(), p0.y()), (p1.x(), p1.y()), sp.row_mm, sp.col_mm)
        if not sp.calibrated:
            return f"{d:.1f} px"
        return f"{d:.1f} mm" + (" (at detector)" if sp.at_detector_only else "")

    def _line_changed(self, tool: str, p0: QPointF, p1: QPointF) -> None:
        if tool == TOOL_MEASURE:
            t = self._distance_text(p0, p1)
        else:
            t = f"{math.hypot(p1.x() - p0.x(), p1.y() - p0.y()):.1f} px"
        self.view.line.set_points(p0, p1, t)
        self.dist_label.setText(f"distance {t}")

    def _line_drawn(self, tool: str, p0: QPointF, p1: QPointF) -> None:
        self._line_changed(tool, p0, p1)
        if tool != TOOL_CALIBRATE or self.doc is None:
            return
        px = math.hypot(p1.x() - p0.x(), p1.y() - p0.y())
        if px < 2:
            self.statusBar().showMessage("Calibration line too short: draw it over a known length", 5000)
            return
        mm = dialogs.ask_length_mm(self, px)
        if mm is None:
            self.view.line.hide_all()
            return
        if self.doc.calibrate((p0.x(), p0.y()), (p1.x(), p1.y()), mm):
            self.statusBar().showMessage(f"Calibrated: {self.doc.reading.spacing.description}", 8000)
            self.set_tool(TOOL_PLACE)

    # ================================================================== display
    def _display_changed(self, settings) -> None:
        rg = self.view.radiograph
        if rg is None:
            return
        with QSignalBlocker(self.a_invert):
            self.a_invert.setChecked(settings.invert != rg.invert_default)
        w = self.view.current_window()
        with QSignalBlocker(self.center_spin), QSignalBlocker(self.width_spin):
            self.center_spin.setValue(w.center)
            self.width_spin.setValue(w.width)
        with QSignalBlocker(self.preset_box):
            items = self._presets(rg)
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

    def _presets(self, rg: Radiograph) -> list[tuple[str, tuple]]:
        out = []
        for i, w in enumerate(rg.windows):
            name = w.explanation or f"window {i + 1}"
            out.append((f"{name} ({w.center:g}/{w.width:g})", ("win", w)))
        for i, lut in enumerate(rg.voi_luts):
            out.append((f"VOI LUT: {lut.explanation or i + 1}", ("voi", i)))
        aw = rg.auto_window()
        out.append((f"automatic ({aw.center:.0f}/{aw.width:.0f})", ("win", aw)))
        return out

    def _fill_presets_menu(self) -> None:
        self.presets_menu.clear()
        rg = self.view.radiograph
        if rg is None:
            return
        for i, (text, _kind) in enumerate(self._presets(rg)):
            self.presets_menu.addAction(text, lambda i=i: self.apply_preset(i))

    def apply_preset(self, index: int) -> None:
        rg = self.view.radiograph
        if rg is None or self.view.settings is None:
            return
        items = self._presets(rg)
        if not 0 <= index < len(items):
            return
        kind, val = items[index][1]
        s = self.view.settings
        self.view.set_display(s.with_voi_lut(val) if kind == "voi" else s.with_window(val))

    def _preset_chosen(self, index: int) -> None:
        self.apply_preset(index)

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
        w = dialogs.ask_window(self, self.view.current_window(), rg.value_range())
        if w is not None:
            self.view.set_window(w)

    def _toggle_invert(self) -> None:
        if self.view.settings is not None:
            self.view.set_display(self.view.settings.toggled_invert())

    def _rotate(self) -> None:
        self.view.rotate90()

    def _flip(self) -> None:
        self.view.flip_horizontal()

    def reset_view(self) -> None:
        self.view.reset_view()

    def _view_changed(self) -> None:
        t = QTransform()
        t.rotate(self.view.rotation)
        if self.view.flipped:
            t.scale(-1, 1)
        if t != self.layer.orientation:
            self.layer.orientation = t
            self.layer.refresh()

    # ================================================================== comparison
    def toggle_compare(self) -> None:
        self.show_compare(self.stack.currentIndex() == 0)

    def show_compare(self, on: bool) -> None:
        if on and (self.doc is None or self.workspace is None):
            self.statusBar().showMessage("Open a film first", 4000)
            on = False
        with QSignalBlocker(self.a_compare):
            self.a_compare.setChecked(on)
        if on and self.stack.currentIndex() == 0:
            # the two films need the room: docks hide while comparing
            self._docks_before = (self.browser_dock.isVisible(), self.table_dock.isVisible())
            self.browser_dock.hide()
            self.table_dock.hide()
        elif not on and self.stack.currentIndex() == 1:
            b, t = getattr(self, "_docks_before", (True, True))
            self.browser_dock.setVisible(b)
            self.table_dock.setVisible(t)
        if on:
            self.stack.setCurrentIndex(1)
            self.compare_view.set_context(self.workspace, self.doc)
        else:
            self.stack.setCurrentIndex(0)

    # ================================================================== model → widgets
    def _doc_changed(self, event) -> None:
        self.layer.refresh()
        if event.kind in ("spacing", "reset"):
            self._update_banner()
        self._update_geometry_label()
        if not self.doc.dragging:
            self._update_actions()

    def _doc_error(self, message: str) -> None:
        self.statusBar().showMessage(message, 8000)
        dialogs.show_error(self, message)

    def show_guide_text(self, text: str | None) -> None:
        """Show ``text`` in the guide bar instead of the guide (None: the guide again)."""
        self._guide_override = text
        if text is not None:
            self.guide_bar.next_label.setText(text)
        elif self.doc is not None:
            self._guide_changed(self.doc.guide.text)

    def _guide_changed(self, text: str) -> None:
        if getattr(self, "_guide_override", None):
            self.guide_bar.next_label.setText(self._guide_override)
        else:
            self.guide_bar.next_label.setText(f"Next: {text}" if self.doc and self.doc.guide.target else text)
        lv = self.doc.guide.level if self.doc else None
        if lv is not None:
            with QSignalBlocker(self.guide_bar.level_box):
                self.guide_bar.level_box.setCurrentIndex(lv.index)

    def _update_geometry_label(self) -> None:
        errs = self.doc.geometry_errors() if self.doc else {}
        if errs:
            first = next(iter(errs.values()))
            self.geom_label.setText("⚠ " + (first if len(errs) == 1 else f"{first} (+{len(errs) - 1} more)"))
            self.geom_label.setToolTip("\n".join(errs.values()))
        else:
            self.geom_label.setText("")

    def _update_banner(self) -> None:
        if self.doc is None:
            self.banner.hide()
            return
        sp = self.doc.reading.spacing
        if not sp.calibrated:
            self.banner.label.setText("⚠ Uncalibrated film: heights are in pixels and millimetre "
                                      "rules are off. Calibrate on a known length to measure in mm.")
            self.banner.show()
        elif sp.at_detector_only:
            self.banner.label.setText(f"⚠ Spacing {sp.description}: millimetres are at the "
                                      "detector and overstate anatomy (ratios and grades are "
                                      "unaffected). Calibrate on a known length if needed.")
            self.banner.show()
        else:
            self.banner.hide()
        self.spacing_label.setText(f"{sp.unit}: {sp.description}")

    def _update_title(self) -> None:
        if self.doc is None:
            self.setWindowTitle("VFA[*]")
            self.setWindowModified(False)
            return
        r = self.doc.reading
        parts = [self._film_name()]
        if r.patient_id:
            parts.append(r.patient_id)
        if r.study_date:
            parts.append(r.study_date.isoformat())
        self.setWindowTitle("VFA — " + " — ".join(parts) + "[*]")
        self.setWindowModified(self.doc.modified)

    def _update_actions(self) -> None:
        has = self.doc is not None
        h = self.doc.history if has else None   # (History has __len__: test "is not None")
        self.a_undo.setEnabled(h is not None and h.can_undo)
        self.a_redo.setEnabled(h is not None and h.can_redo)
        self.a_undo.setText(f"&Undo {h.undo_label}" if h is not None and h.undo_label else "&Undo")
        self.a_redo.setText(f"&Redo {h.redo_label}" if h is not None and h.redo_label else "&Redo")
        self.a_undo.setIconText("Undo")
        self.a_redo.setIconText("Redo")
        self.a_undo.setToolTip(self.a_undo.text().replace("&", ""))
        self.a_redo.setToolTip(self.a_redo.text().replace("&", ""))
        for a in (self.a_save, self.a_compare, self.a_del_point, self.a_del_vertebra,
                  self.a_relabel, self.a_ne, self.a_skip, self.a_export_sr, self.a_export_pdf,
                  self.a_export_csv):
            a.setEnabled(has)
        self.a_export_csv_all.setEnabled(self.workspace is not None)
        for a in (self.a_tool_propose, self.a_propose_span, self.a_carry):
            a.setEnabled(has)
        pending = bool(has and self.doc.pending_levels())
        for a in (self.a_accept_all, self.a_accept_level, self.a_reject_level, self.a_reject_all):
            a.setEnabled(pending)
        configured = has and self._pacs_configured
        self.a_store_sr.setEnabled(configured)
        self.a_store_sr.setText("Store SR to &PACS" if configured or not has else
                                "Store SR to PACS (no PACS configured: Tools ▸ PACS server settings…)")
        self.a_store_sr.setToolTip("Send the reading as a DICOM SR to the configured PACS"
                                   if configured or not has else
                                   "No PACS configured: Tools ▸ PACS server settings…")

    def _film_name(self) -> str:
        if self.doc is None or self.doc.radiograph is None or self.doc.radiograph.path is None:
            return "film"
        return Path(self.doc.radiograph.path).name

    def _cursor_moved(self, p) -> None:
        rg = self.view.radiograph
        if p is None or rg is None:
            self.pos_label.setText("")
            self.value_label.setText("")
            return
        col, row = int(math.floor(p.x())), int(math.floor(p.y()))
        if not (0 <= row < rg.rows and 0 <= col < rg.cols):
            return
        stored = rg.stored[row, col]
        value = rg.modality_value_at(row, col)
        self.pos_label.setText(f"x {p.x():.1f}  y {p.y():.1f}  (col {col}, row {row})")
        self.value_label.setText(f"stored {int(stored)}  value {value:g}")
