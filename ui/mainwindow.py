"""The main window: the composition root of the viewer.

It builds the film view, the bars above it, the grading table, the browser and the
comparison page, and wires them to the open document — held by a
:class:`~ui.host.DocumentHost`, to which everything that shows the film subscribes once
(:meth:`MainWindow._wire`; the controllers subscribe themselves) — and to the controllers
that do the work of each menu (docs/viewer.md):

* :mod:`ui.actions` — every QAction, the menus and the toolbar, and when they are enabled;
* :class:`~ui.opening.Opening` — open file / folder / recent / dropped files, recovery;
* :class:`~ui.display_controls.DisplayControls` — window/level presets, C / W, invert;
* :class:`~ui.measure.MeasureLines` — the Measure and Calibrate lines;
* :class:`~ui.exports.Exports` — File ▸ Export, Open from PACS;
* :class:`~ui.proposals.Proposer` — proposed points.

The window itself keeps what ties them together: the selected level, editing through the
guide, the tool, saving, switching to the comparison, and the guide bar, banner, title and
status bar that show the document. Opening a film is ``set_document(doc)``: the window's own
state (the reading page, the tool), then ``host.set(doc)``.
"""

from __future__ import annotations

import math
import os
from collections.abc import Sequence
from pathlib import Path

from typing import TYPE_CHECKING

from PyQt6.QtCore import QSettings, QSignalBlocker, Qt, QTimer, pyqtSignal
from PyQt6.QtGui import QAction, QActionGroup
from PyQt6.QtWidgets import (QApplication, QDockWidget, QLabel, QMainWindow, QMenu, QMenuBar,
                             QStackedWidget, QStatusBar, QVBoxLayout, QWidget)

from vfa.errors import VfaError
from vfa.reading.guide import Direction
from vfa.method.levels import LEVELS, Level, Status
from vfa.reading.reading import ReadingEventKind
from vfa.reading.session import Mode, ReadingSession, Tool
from vfa.films.windowing import WindowChoice
from vfa.storage.workspace import Workspace

from . import actions, dialogs
from .bars import Banner, GuideBar
from .browser import Browser
from .compare import ComparisonView
from .display_controls import DisplayControls
from .document import Document
from .exports import Exports
from .film_view import TOOL_CALIBRATE, TOOL_MEASURE, TOOL_PLACE, TOOL_PROPOSE, FilmView
from .host import DocumentHost
from .keyboard import GradingKeys, cheat_sheet
from .kyphosis import KyphosisLines
from .markers import MarkerLayer
from .measure import MeasureLines
from .opening import Opening
from .proposals import Proposer
from .qualitative import QualitativeKeys
from .table import GradingTable

if TYPE_CHECKING:  # pragma: no cover
    from .blinded import BlindedMode

__all__ = ["Banner", "GuideBar", "MainWindow", "app_settings"]


def app_settings() -> QSettings:
    """The viewer's preferences (recent files, guide direction): ``$VFA_SETTINGS`` or an ini
    file in the user's config folder."""
    path = os.environ.get("VFA_SETTINGS")
    if not path:
        import platformdirs
        path = str(Path(platformdirs.user_config_dir("vfa", appauthor=False)) / "viewer.ini")
    return QSettings(path, QSettings.Format.IniFormat)


class MainWindow(QMainWindow):
    """The viewer's window: a :class:`ui.shell.Shell` (what the controllers may use of it)."""

    filmOpened = pyqtSignal(str)

    # made by ui.actions (one QAction per row of actions.ACTIONS, the menus, the tool group)
    # and by ui.adjudication's Reading centre menu; declared here as in ui.shell.Shell
    recent_menu: QMenu
    export_menu: QMenu
    propose_menu: QMenu
    presets_menu: QMenu
    tool_group: QActionGroup
    a_open: QAction
    a_open_folder: QAction
    a_open_pacs: QAction
    a_save: QAction
    a_export_sr: QAction
    a_store_sr: QAction
    a_export_gsps: QAction
    a_export_capture: QAction
    a_store_gsps: QAction
    a_export_pdf: QAction
    a_deidentify: QAction
    a_export_csv: QAction
    a_export_csv_all: QAction
    a_pacs_settings: QAction
    a_quit: QAction
    a_undo: QAction
    a_redo: QAction
    a_del_point: QAction
    a_del_vertebra: QAction
    a_relabel: QAction
    a_ne: QAction
    a_skip: QAction
    a_confirm_level: QAction
    a_confirm_all: QAction
    a_age: QAction
    a_abq: QAction
    a_endplate: QAction
    a_downgrade: QAction
    a_prev_level: QAction
    a_next_level: QAction
    a_fit: QAction
    a_1to1: QAction
    a_zoom_in: QAction
    a_zoom_out: QAction
    a_rotate: QAction
    a_flip: QAction
    a_invert: QAction
    a_auto: QAction
    a_window: QAction
    a_reset: QAction
    a_panels: QAction
    a_kyphosis: QAction
    a_compare: QAction
    a_tool_place: QAction
    a_tool_measure: QAction
    a_tool_cal: QAction
    a_tool_propose: QAction
    a_propose_span: QAction
    a_carry: QAction
    a_snap: QAction
    a_accept_level: QAction
    a_reject_level: QAction
    a_reject_all: QAction
    a_accept_all: QAction
    a_adjudicate: QAction
    a_next_case: QAction
    a_open_reading: QAction
    a_import_readings: QAction
    a_grade_0: QAction
    a_grade_half: QAction
    a_grade_1: QAction
    a_grade_2: QAction
    a_grade_3: QAction
    a_type_wedge: QAction
    a_type_biconcave: QAction
    a_type_crush: QAction
    a_keys: QAction

    def __init__(self, workspace: Workspace | str | os.PathLike | None = None, *,
                 open_workspace: bool = True) -> None:
        """``open_workspace=False``: the workspace (and SQLAlchemy with its index) opens only
        when :meth:`attach_workspace` is called — ``vfa-viewer FILM`` paints the film first
        (docs/performance.md)."""
        super().__init__()
        self.setWindowTitle("VFA[*]")
        self.settings = app_settings()
        self.workspace: Workspace | None = None
        self._workspace_arg = workspace
        self._workspace_attached = False
        if open_workspace:
            self._open_workspace()
        self.host = DocumentHost(self)    # the open document; see _wire for who follows it
        self.blinded: BlindedMode | None = None     # in reading-centre mode (set_blinded)
        self.adjudication_view: QWidget | None = None   # the open adjudication window
        self._docks_before = (True, True)           # dock visibility before comparing
        self._front_dock: QDockWidget | None = None  # the side tab in front before comparing
        self._focus_before: QWidget | None = None  # the widget with the focus before comparing

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
        if self._workspace_attached:
            self.browser.set_workspace(self.workspace)
        self.browser_dock = QDockWidget("Patients", self)
        self.browser_dock.setObjectName("BrowserDock")
        self.browser_dock.setWidget(self.browser)
        self.table = GradingTable()
        self.table_dock = QDockWidget("Grading", self)
        self.table_dock.setObjectName("GradingDock")
        self.table_dock.setWidget(self.table)
        # the film is the dominant pane: the panels share one column on the right, as tabs
        # (View ▸ Side panels, F9, collapses them)
        self.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, self.table_dock)
        self.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, self.browser_dock)
        self.tabifyDockWidget(self.table_dock, self.browser_dock)
        self.table_dock.raise_()
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

        # controllers: each does the work of its menus (docs/viewer.md, Architecture)
        self.opening = Opening(self.host, self.browser, self.guide_bar.direction, self)
        self.display = DisplayControls(self.view, self.layer, self)
        self.preset_box = self.display.preset_box       # the toolbar's Window, C and W
        self.center_spin = self.display.center_spin
        self.width_spin = self.display.width_spin
        self.measure = MeasureLines(self.view, self.dist_label, self.host,
                                    status=sb.showMessage, set_tool=self.set_tool, parent=self)
        self.exports = Exports(self.host, self.view, self)
        self.proposer = Proposer(self.host, self)
        # View ▸ Kyphosis lines; B / D / V: the reader's observations
        self.kyphosis = KyphosisLines(self.view, self.host, self.settings, self)
        self.qualitative = QualitativeKeys(self.host, status=sb.showMessage, parent=self)
        # 0 Q 1 2 3, Alt+W/B/C: grade and type of the selected level (ui/keyboard.py)
        self.grading_keys = GradingKeys(self.host, status=sb.showMessage, parent=self)
        self.pacs_configured = self.exports.pacs_settings() is not None
        actions.make_actions(self)
        actions.make_menus(self)
        actions.make_toolbar(self)
        from .timeline import install as install_timeline
        self.timeline = install_timeline(self)      # Patient menu: timeline, clinical context
        self._connect()
        self._wire()
        self.setAcceptDrops(True)
        self._first_size()
        self._update_title()
        self._update_actions()
        from . import adjudication
        self.a_adjudicate, self.a_next_case = adjudication.add_menu(self)
        if self._workspace_attached:
            self._workspace_opened()

    def _open_workspace(self) -> None:
        ws = self._workspace_arg
        self._workspace_attached = True
        try:
            self.workspace = ws if isinstance(ws, Workspace) else Workspace(ws)
        except VfaError as exc:  # the film can still be read; saving then says why it can't
            QTimer.singleShot(0, lambda e=exc: dialogs.show_error(self, e))

    def _workspace_opened(self) -> None:
        from . import blinded
        blinded.start(self)      # a workspace in reading-centre mode starts blinded

    def attach_workspace(self) -> None:
        """Open the workspace given at construction (``open_workspace=False``): the patient
        list fills, a reading-centre workspace turns the window blinded. Once."""
        if self._workspace_attached:
            return
        self._open_workspace()
        self.browser.set_workspace(self.workspace)
        self._workspace_opened()
        self._update_actions()

    def show_film_first(self, radiograph) -> None:  # noqa: ANN001
        """Paint ``radiograph`` before anything else is loaded (start-up): the view only,
        without a document; :meth:`Opening.show_radiograph` makes it a document after the
        workspace is attached."""
        self.view.set_film(radiograph)

    # ================================================================== construction
    def _first_size(self) -> None:
        """The window fills the screen's available area (a film needs all the height it can
        get); on a screen larger than 2560 × 1600 it opens at that size, centred."""
        screen = self.screen() or QApplication.primaryScreen()
        if screen is None:
            self.resize(1600, 1000)
            return
        avail = screen.availableGeometry()
        w, h = min(avail.width(), 2560), min(avail.height(), 1600)
        self.resize(w, h)
        self.move(avail.x() + (avail.width() - w) // 2, avail.y() + (avail.height() - h) // 2)

    def _connect(self) -> None:
        v = self.view
        v.cursorMoved.connect(self._cursor_moved)
        v.imageClicked.connect(self._image_clicked)
        v.escapePressed.connect(self.proposer.cancel)
        v.viewChanged.connect(lambda: self.layer.set_zoom(v.zoom))
        v.displayChanged.connect(self._display_changed)
        self.layer.pointDragged.connect(self._point_dragged)
        self.layer.dragStarted.connect(self._drag_started)
        self.layer.dragFinished.connect(self._drag_finished)
        self.layer.levelClicked.connect(lambda lv: self.select_level(lv, centre=False))
        self.table.levelSelected.connect(self._table_level)
        self.table.confirmRequested.connect(self.confirm_level)
        self.table.ageRequested.connect(self.enter_age)
        self.browser.openRequested.connect(self.open_file)
        self.guide_bar.level_box.activated.connect(
            lambda i: self._guide_jump(LEVELS[i]))
        self.guide_bar.direction_box.activated.connect(
            lambda i: self._set_direction(Direction.DOWN if i == 0 else Direction.UP))
        self.guide_bar.skip_button.clicked.connect(self.skip_level)
        self.guide_bar.ne_button.clicked.connect(self.mark_not_evaluable)
        self.banner.button.clicked.connect(lambda: self.set_tool(TOOL_CALIBRATE))
        self.compare_view.closeRequested.connect(lambda: self.show_compare(False))
        self.compare_view.levelSelected.connect(lambda lv: self.select_level(lv, centre=True))
        # the toolbar's window/level boxes: the open film's view while comparing
        self.compare_view.openViewChanged.connect(
            lambda v: self.display.follow(v if self.stack.currentIndex() == 1 else None))
        d = self.settings.value("guide/direction", "down")
        with QSignalBlocker(self.guide_bar.direction_box):
            self.guide_bar.direction_box.setCurrentIndex(1 if d == "up" else 0)

    def _wire(self) -> None:
        """The window's widgets follow the open document: every connection is made once,
        here, to the host (ui/host.py), which relays the current document's signals.
        ``set_document`` only hands a new document to the host. (Controllers that follow the
        document subscribe themselves: the proposer, the kyphosis lines, the timeline.)"""
        h = self.host
        # the film and its markers; the grading table; the selection; the patient list
        h.documentChanged.connect(self._show_film)
        h.documentChanged.connect(self.table.set_document)
        h.documentChanged.connect(
            lambda d: self._selection_changed(d.selected_level if d is not None else None))
        h.documentChanged.connect(
            lambda d: self.browser.refresh(d.reading.sop_instance_uid if d is not None else None))
        h.documentChanged.connect(self._document_shown)   # guide bar, banner, title, actions
        h.changed.connect(self._doc_changed)
        h.modifiedChanged.connect(lambda _m: self._update_title())
        h.guideChanged.connect(self._guide_changed)
        h.historyChanged.connect(self._update_actions)
        h.selectionChanged.connect(self._selection_changed)
        h.error.connect(self._doc_error)
        h.saved.connect(self._say_saved)
        # "Autosaved" never hides what the last action said (e.g. a snapped point)
        h.autosaved.connect(self._say_autosaved)

    def _show_film(self, doc: Document | None) -> None:
        """The film view and the marker layer show ``doc``'s film and reading."""
        if doc is None:
            self.view.set_film(None)
            self.layer.set_reading(None)
            return
        self.view.set_film(doc.radiograph, doc.display_settings())
        self.layer.set_bounds(self.view.image_rect())
        self.layer.set_reading(doc.reading, doc.summary, doc.geometry_errors)
        self.layer.set_zoom(self.view.zoom)

    def _document_shown(self, doc: Document | None) -> None:
        """The guide bar, banner, title, actions and geometry warning of the new film."""
        if doc is not None:
            self._guide_changed(doc.prompt())
        else:
            self.guide_bar.next_label.setText(ReadingSession.tool_hint(self.view.tool))
        self._update_banner()
        self._update_title()
        self._update_actions()
        self._update_geometry_label()

    def showEvent(self, event) -> None:  # noqa: N802
        super().showEvent(event)
        if not self._docks_sized:
            self._docks_sized = True
            QTimer.singleShot(0, self.size_docks)

    def size_docks(self) -> None:
        """The side panels as wide as the grading table's columns, at most 43 % of the
        window: the film keeps the rest."""
        width = min(self.table.preferred_width(), int(self.width() * 0.43))
        self.resizeDocks([self.table_dock], [width], Qt.Orientation.Horizontal)

    def set_panels_visible(self, on: bool) -> None:
        """Show or collapse the side panels (grading table and patient list)."""
        self.table_dock.setVisible(on)
        self.browser_dock.setVisible(on)
        if on:
            self.table_dock.raise_()

    # ---- the window as a Qt widget (ui.shell.Shell)
    def widget(self) -> QWidget:
        """The window itself: the parent of the controllers' dialogs and QObjects."""
        return self

    def statusBar(self) -> QStatusBar:  # noqa: N802 - Qt's name
        """Qt's status bar of the window (Qt makes it on first use: never None)."""
        sb = super().statusBar()
        assert sb is not None
        return sb

    def menuBar(self) -> QMenuBar:  # noqa: N802 - Qt's name
        """Qt's menu bar of the window (Qt makes it on first use: never None)."""
        mb = super().menuBar()
        assert mb is not None
        return mb

    def set_blinded(self, mode: BlindedMode | None) -> None:
        """Enter (or leave, None) a blinded reading-centre session (ui/blinded.py): the title
        shows the case's label, and the actions that show identities are off."""
        self.blinded = mode
        self._update_title()
        self._update_actions()

    @property
    def doc(self) -> Document | None:
        """The open document (the host's), or None."""
        return self.host.doc

    @property
    def selected_level(self) -> Level | None:
        """The selected level (the session's)."""
        return self.doc.selected_level if self.doc is not None else None

    # ================================================================== opening films
    # (the work is in ui/opening.py and ui/display_controls.py; tests and ui.app call these)
    def open_path(self, path: str | os.PathLike, open_first: bool = True) -> bool:
        return self.opening.open_path(path, open_first)

    def open_file(self, path: str | os.PathLike) -> bool:
        return self.opening.open_file(path)

    def open_folder(self, paths: Sequence[str | os.PathLike[str]], open_first: bool = True) -> bool:
        return self.opening.open_folder(paths, open_first)

    def open_dropped(self, paths: list[str]) -> bool:
        return self.opening.open_dropped(paths)

    def check_recoveries(self) -> bool:
        return self.opening.check_recoveries()

    def recent_files(self) -> list[str]:
        return self.opening.recent_files()

    def _fill_recent(self) -> None:
        self.opening.fill_recent(self.recent_menu)

    @property
    def _problems_dialog(self):
        return self.opening.problems_dialog

    def dragEnterEvent(self, event) -> None:  # noqa: N802
        if event.mimeData().hasUrls():
            event.acceptProposedAction()

    def dropEvent(self, event) -> None:  # noqa: N802
        self.opening.drop(event)

    def apply_preset(self, index: int) -> None:
        self.display.apply_preset(index)

    def set_document(self, doc: Document, recovered: bool = False) -> None:
        """Show ``doc``, the film just opened (ui/opening.py): the host closes the previous
        document and every widget and controller that follows the host (:meth:`_wire`)
        shows the new one."""
        if self.blinded is not None and not self.blinded.accept(doc):
            self._show_film(self.doc)        # nothing of the refused film stays in view
            return
        self.show_compare(False)             # the reading page (the window's)
        doc.set_tool(self.view.tool)         # the tool stays what the toolbar shows
        if recovered:
            saved = None
            if self.workspace is not None and doc.reading.sop_instance_uid:
                try:
                    saved = self.workspace.load(doc.reading.sop_instance_uid, doc.reading.reader)
                except VfaError:
                    saved = None
            doc.mark_recovered(saved)
        self.host.set(doc)

    # ================================================================== saving
    def save(self) -> bool:
        if self.doc is None:
            return False
        if self.doc.geometry_errors():
            dialogs.show_error(self, self.doc.save_problem(), "Check the points")
            return False
        ok = self.doc.save() is not None
        if ok:
            if self.blinded is not None:
                self.blinded.saved()
            self.browser.refresh(self.doc.reading.sop_instance_uid)
            self._update_title()
        return ok

    def maybe_keep_changes(self) -> bool:
        """Before leaving the film: True if it is fine to go on (saved or discarded)."""
        if self.doc is None or not self.doc.modified:
            return True
        ans = dialogs.ask_unsaved(self, self.film_name())
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
        if self.doc is not None and not self.doc.modified:
            self.doc.discard()       # no autosave outlives a clean close
        self.host.close()
        if self.workspace is not None:
            self.workspace.close()
        event.accept()

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
        if self.proposer.snapping:
            self.proposer.place_snapped(x, y)
        else:
            self.doc.place(x, y)      # the selection follows the guide (vfa.reading.session)

    def _drag_started(self, level, slot) -> None:
        if self.doc is not None:
            self.doc.begin_drag(level, slot)     # selects the level

    def _point_dragged(self, level, slot, x: float, y: float) -> None:
        if self.doc is None:
            return
        self.doc.drag_point(level, slot, x, y)
        self.view.loupe.show_at(self.view, x, y)

    def _drag_finished(self, level, slot) -> None:
        self.view.loupe.hide()
        if self.doc is not None:
            self.proposer.drop(level, slot)     # end_drag, snapped if asked for

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
        lv = self.doc.current_level
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
        lv = self.doc.current_level        # the level the guide bar shows
        if lv is None:
            self.statusBar().showMessage("Choose a level first", 4000)
            return
        reason = dialogs.ask_reason(self, str(lv))
        if reason:
            self.doc.mark_not_evaluable(reason, lv)

    def confirm_level(self, level: Level | None = None) -> None:
        """Confirm the grade of ``level`` (default: the level the guide bar shows) as it
        stands."""
        if self.doc is None:
            return
        lv = level or self.doc.current_level
        if lv is None:
            self.statusBar().showMessage("Select a level first (click a table row)", 4000)
            return
        if self.doc.confirm_level(lv):
            self.statusBar().showMessage(f"{lv}: grade confirmed", 3000)

    def confirm_all(self) -> None:
        if self.doc is None:
            return
        res = self.doc.confirm_all()
        self.statusBar().showMessage(
            res.summary() if (res.confirmed or res.skipped) else "Nothing to confirm", 8000)

    def enter_age(self) -> None:
        """The reader gives the patient's age at this study (films without birth date and
        without Patient's Age)."""
        if self.doc is None:
            return
        age = dialogs.ask_age(self, self.doc.reading.age_at_study())
        if age is not None:
            self.doc.set_age(age)

    def skip_level(self) -> None:
        if self.doc is not None:
            self.doc.skip()

    def step_level(self, step: int) -> None:
        if self.doc is None:
            return
        cur = self.doc.current_level or LEVELS[0]
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
        self.pacs_configured = self.exports.pacs_settings() is not None
        self._update_actions()

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
        """Select ``level`` (film, table and guide bar follow the session); centre the film
        on it."""
        if self.doc is not None:
            self.doc.select(level)
        self._selection_changed(level)
        if centre and level is not None:
            c = self.layer.level_center(level)
            if c is not None and not self._on_screen(c):
                self.view.center_on_image(c.x(), c.y())   # only when it is out of sight

    def front_dock(self) -> QDockWidget | None:
        """The side panel whose tab is in front (the others of its tab group are off screen)."""
        return next((d for d in (self.table_dock, self.browser_dock, self.timeline.dock)
                     if d.isVisible() and not d.visibleRegion().isEmpty()), None)

    def _on_screen(self, p) -> bool:  # noqa: ANN001
        """Is image point ``p`` well inside the film view (a tenth of the view from its edges)?
        A fitted film is never re-centred to show a level it already shows (issue 21)."""
        vp = self.view.viewport().rect()
        q = self.view.mapFromScene(p)
        mx, my = vp.width() // 10, vp.height() // 10
        return vp.adjusted(mx, my, -mx, -my).contains(q)

    # ------------------------------------------------------------------ tools
    def set_tool(self, tool: str) -> None:
        """Make ``tool`` (:class:`vfa.reading.session.Tool`) active; the guide bar says what a click
        now does."""
        tool = Tool(tool)
        self.view.tool = tool
        {TOOL_PLACE: self.a_tool_place, TOOL_MEASURE: self.a_tool_measure,
         TOOL_CALIBRATE: self.a_tool_cal, TOOL_PROPOSE: self.a_tool_propose}[tool].setChecked(True)
        if tool != TOOL_PROPOSE:
            self.proposer.cancel()
        if tool in (TOOL_PLACE, TOOL_PROPOSE):
            self.view.line.hide_all()
        if self.doc is not None:
            self.doc.set_tool(tool)
        else:
            self.guide_bar.next_label.setText(ReadingSession.tool_hint(tool))
        # the film takes the focus only when no panel has it: a tool chosen while grading in
        # the table (or set by a proposal or a calibration) leaves the focus where it was
        focus = QApplication.focusWidget()
        if focus is None or not focus.isVisible() or focus.window() is not self:
            self.view.setFocus()

    def show_cheat_sheet(self) -> None:
        """F1: every key in one table (ui/keyboard.py)."""
        cheat_sheet(self)

    # ================================================================== comparison
    def toggle_compare(self) -> None:
        self.show_compare(self.stack.currentIndex() == 0)

    def show_compare(self, on: bool) -> None:
        if on and (self.doc is None or self.workspace is None):
            self.statusBar().showMessage("Open a film first", 4000)
            on = False
        if on and self.blinded is not None and not self.blinded.may_compare():
            on = False
        with QSignalBlocker(self.a_compare):
            self.a_compare.setChecked(on)
        back_to: QWidget | None = None
        if on and self.stack.currentIndex() == 0:
            # the two films need the room: docks hide while comparing; which were open and
            # which tab was in front come back after (the Patients tab does not jump forward)
            docks = (self.browser_dock, self.table_dock)
            shown = [a.isChecked() for d in docks if (a := d.toggleViewAction()) is not None]
            self._docks_before = (shown[0], shown[1])
            self._front_dock = self.front_dock()
            # the focus comes back to where the reader had it (not the first widget Qt finds)
            self._focus_before = QApplication.focusWidget()
            self.browser_dock.hide()
            self.table_dock.hide()
        elif not on and self.stack.currentIndex() == 1:
            b, t = self._docks_before
            self.browser_dock.setVisible(b)
            self.table_dock.setVisible(t)
            front = self._front_dock
            toggle = front.toggleViewAction() if front is not None else None
            if front is not None and toggle is not None and toggle.isChecked():
                front.raise_()
            back_to = self._focus_before
            self._focus_before = None
        if on and self.doc is not None:     # (on: a film is open)
            self.stack.setCurrentIndex(1)
            self.doc.set_mode(Mode.COMPARE)
            self.compare_view.set_context(self.workspace, self.doc)
        else:
            was_comparing = self.stack.currentIndex() == 1
            self.stack.setCurrentIndex(0)
            self.display.follow(None)        # the C / W boxes show the reading film's window again
            if was_comparing:
                self._restore_focus(back_to)
            if self.doc is not None:
                self.doc.set_mode(Mode.READING)

    def _restore_focus(self, widget: QWidget | None) -> None:
        """Give the focus back to ``widget`` (where the reader had it before the comparison) if
        it is still shown; else to the film."""
        if self.stack.currentIndex() != 0:
            return
        try:
            alive = widget is not None and widget.isVisible() and widget.window() is self
        except RuntimeError:      # deleted meanwhile
            alive = False
        (widget if alive and widget is not None else self.view).setFocus(Qt.FocusReason.OtherFocusReason)

    # ================================================================== model → widgets
    def _doc_changed(self, event) -> None:
        self.layer.refresh()
        if event.kind in (ReadingEventKind.SPACING, ReadingEventKind.RESET):
            self._update_banner()
        self._update_geometry_label()
        if self.doc is not None and not self.doc.dragging:
            self._update_actions()

    def _doc_error(self, message: str) -> None:
        self.statusBar().showMessage(message, 8000)
        dialogs.show_error(self, message)

    def show_guide_text(self, text: str | None) -> None:
        """Show ``text`` in the guide bar instead of the tool's prompt (None: the prompt
        again)."""
        if self.doc is not None:
            self.doc.set_prompt(text)
        elif text is not None:
            self.guide_bar.next_label.setText(text)

    def _guide_changed(self, text: str) -> None:
        self.guide_bar.show_prompt(text, self.doc.current_level if self.doc else None)

    def _display_changed(self, settings) -> None:
        """The view's window/level changed: the session records what it means on this film."""
        if self.doc is not None and self.view.radiograph is self.doc.radiograph and \
                self.doc.radiograph is not None:
            self.doc.set_display(WindowChoice.of(self.doc.radiograph, settings))

    def _selection_changed(self, level) -> None:
        self.layer.select_level(level)
        self.table.select_level(level)

    def _say_autosaved(self, _path: str) -> None:
        if not self.statusBar().currentMessage():
            self.statusBar().showMessage("Autosaved", 1500)

    def _say_saved(self, path: str) -> None:
        """'Saved: <path>' in the status bar, the path shortened in the middle (the file
        name stays readable); the full path in the tooltip."""
        sb = self.statusBar()
        room = max(200, sb.width() - sum(w.width() for w in (
            self.geom_label, self.pos_label, self.value_label, self.dist_label,
            self.spacing_label) if w.isVisible()) - 60)
        fm = sb.fontMetrics()
        sb.showMessage("Saved: " + fm.elidedText(path, Qt.TextElideMode.ElideMiddle,
                                                 room - fm.horizontalAdvance("Saved: ")), 5000)
        sb.setToolTip(f"Saved: {path}")

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

    def refresh_title_and_actions(self) -> None:
        """Show the title and the actions' state again (after the mode changed)."""
        self._update_title()
        self._update_actions()

    def _update_title(self) -> None:
        if self.doc is None:
            self.setWindowTitle("VFA[*]")
            self.setWindowModified(False)
            return
        if self.blinded is not None:  # no file name, patient ID or date (reading centre)
            self.setWindowTitle(self.blinded.title() + "[*]")
            self.setWindowModified(self.doc.modified)
            return
        r = self.doc.reading
        parts = [self.film_name()]
        if r.patient_id:
            parts.append(r.patient_id)
        if r.study_date:
            parts.append(r.study_date.isoformat())
        self.setWindowTitle("VFA — " + " — ".join(parts) + "[*]")
        self.setWindowModified(self.doc.modified)

    def _update_actions(self) -> None:
        actions.update_actions(self)
        if self.blinded is not None:
            self.blinded.update_actions()

    def film_name(self) -> str:
        """The open film's file name (title bar, questions, export file names); its neutral
        label in a blinded session (file names can name the patient)."""
        if self.blinded is not None and self.doc is not None:
            return self.blinded.session.identity_text(self.doc.reading.sop_instance_uid)
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
