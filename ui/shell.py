"""What the controllers may ask of the window that hosts them.

Every controller gets the open document's :class:`ui.host.DocumentHost` and its own widgets
when it is built, and follows the document through the host (docs/architecture.md). Those
that need nothing else of the window get a few narrow callables instead of the window:

* :class:`ui.measure.MeasureLines` — ``status``, ``set_tool``, a dialog parent;
* :class:`ui.qualitative.QualitativeKeys` — ``status``, a dialog parent;
* :class:`ui.kyphosis.KyphosisLines` — the settings, a parent;
* :class:`ui.display_controls.DisplayControls` — a dialog parent.

The others hold a :class:`Shell`: the members below are exactly what they use, and mypy
checks every use against this list (``mypy vfa ui``):

* :class:`ui.opening.Opening` (``set_document``, ``maybe_keep_changes``, ``filmOpened``,
  ``blinded``, ``workspace``, ``settings``, ``statusBar``, ``widget``);
* :class:`ui.exports.Exports` (``save``, ``film_name``, ``open_folder``,
  ``update_pacs_state``, ``a_deidentify``, ``workspace``, ``settings``, ``statusBar``,
  ``widget``);
* :class:`ui.proposals.Proposer` (``select_level``, ``set_tool``, ``show_guide_text``,
  ``a_snap``, ``workspace``, ``settings``, ``statusBar``, ``widget``);
* :mod:`ui.blinded` (``doc``, ``workspace``, ``open_file``, ``set_blinded``, the patient
  list's dock, the comparison page, docks and status bar);
* :mod:`ui.adjudication` (``workspace``, ``blinded``, ``adjudication_view``, the menu bar;
  it returns its two QActions to the window);
* :mod:`ui.timeline` (``host``, ``workspace``, ``open_file``, ``select_level``, docks, menu
  bar, status bar);
* :mod:`ui.actions` — the menus and toolbar: it makes the window's QActions (``a_*``, one per
  row of :data:`ui.actions.ACTIONS`), menus and tool group, declared here, and every action
  runs a window or controller method listed here.

No controller calls a private member of the window or adds an attribute to it.
:class:`ui.mainwindow.MainWindow` is a Shell (mypy checks it where it passes itself);
no ui module imports it (the import contract, tests/test_import_contract.py), so the window
can be replaced by another composition that provides the same members.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:  # pragma: no cover
    import os
    from collections.abc import Sequence

    from PyQt6.QtCore import QSettings, Qt, pyqtBoundSignal
    from PyQt6.QtGui import QAction, QActionGroup
    from PyQt6.QtWidgets import QDockWidget, QMenu, QMenuBar, QStatusBar, QToolBar, QWidget

    from vfa.method.levels import Level
    from vfa.reading.session import Tool
    from vfa.storage.workspace import Workspace

    from .blinded import BlindedMode
    from .compare import ComparisonView
    from .display_controls import DisplayControls
    from .document import Document
    from .exports import Exports
    from .film_view import FilmView
    from .host import DocumentHost
    from .keyboard import GradingKeys
    from .kyphosis import KyphosisLines
    from .opening import Opening
    from .proposals import Proposer
    from .qualitative import QualitativeKeys


class Shell(Protocol):
    """The hosting window, as the controllers see it."""

    # ---- the document, the workspace, the preferences
    host: DocumentHost                # the open document (``host.doc``) and its signals
    workspace: Workspace | None
    settings: QSettings
    blinded: BlindedMode | None       # a blinded reading-centre session (ui/blinded.py), else None
    filmOpened: pyqtBoundSignal       # (path) after a film is shown
    pacs_configured: bool

    @property
    def doc(self) -> Document | None: ...   # host.doc

    # ---- the window's parts and controllers (the actions run their methods)
    view: FilmView
    compare_view: ComparisonView
    browser_dock: QDockWidget
    table_dock: QDockWidget
    opening: Opening
    display: DisplayControls
    exports: Exports
    proposer: Proposer
    kyphosis: KyphosisLines
    qualitative: QualitativeKeys
    adjudication_view: QWidget | None   # the open adjudication window (ui/adjudication.py)

    # ---- menus and QActions, made by ui/actions.py (and the Reading centre menu)
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
    grading_keys: GradingKeys      # keyboard grading of the selected level (ui.keyboard)

    # ---- the window as a Qt widget
    def widget(self) -> QWidget: ...        # the window itself: parent of dialogs and controllers

    def statusBar(self) -> QStatusBar: ...  # noqa: N802 - Qt's name

    def menuBar(self) -> QMenuBar: ...      # noqa: N802 - Qt's name

    def addAction(self, action: QAction | None) -> None: ...  # noqa: N802 - Qt's name

    def addToolBar(self, toolbar: QToolBar | None) -> None: ...  # noqa: N802 - Qt's name

    def tabifyDockWidget(self, first: QDockWidget | None, second: QDockWidget | None) -> None: ...  # noqa: N802

    def show_cheat_sheet(self) -> None: ...

    def addDockWidget(self, area: Qt.DockWidgetArea, dockwidget: QDockWidget | None) -> None: ...  # noqa: N802

    def close(self) -> bool: ...

    # ---- what the window does
    def select_level(self, level: Level | None, centre: bool = True) -> None: ...

    def set_tool(self, tool: Tool | str) -> None: ...

    def show_guide_text(self, text: str | None) -> None: ...

    def maybe_keep_changes(self) -> bool: ...

    def set_document(self, doc: Document, recovered: bool = False) -> None: ...

    def set_blinded(self, mode: BlindedMode | None) -> None: ...

    def open_file(self, path: str | os.PathLike[str]) -> bool: ...

    def open_folder(self, paths: Sequence[str | os.PathLike[str]], open_first: bool = True) -> bool: ...

    def save(self) -> bool: ...

    def film_name(self) -> str: ...

    def update_pacs_state(self) -> None: ...

    def undo(self) -> None: ...

    def redo(self) -> None: ...

    def delete_selected_point(self) -> None: ...

    def delete_selected_vertebra(self) -> None: ...

    def relabel_dialog(self) -> None: ...

    def mark_not_evaluable(self) -> None: ...

    def skip_level(self) -> None: ...

    def step_level(self, step: int) -> None: ...

    def confirm_level(self, level: Level | None = None) -> None: ...

    def confirm_all(self) -> None: ...

    def enter_age(self) -> None: ...

    def set_panels_visible(self, on: bool) -> None: ...

    def toggle_compare(self) -> None: ...
