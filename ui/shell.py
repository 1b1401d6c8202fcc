"""What the controllers may ask of the window that hosts them.

Every controller gets the open document's :class:`ui.host.DocumentHost` and its own widgets
when it is built, and follows the document through the host (docs/architecture.md). Those
that need nothing else of the window get a few narrow callables instead of the window:

* :class:`ui.measure.MeasureLines` — ``status``, ``set_tool``, a dialog parent;
* :class:`ui.qualitative.QualitativeKeys` — ``status``, a dialog parent;
* :class:`ui.kyphosis.KyphosisLines` — the settings, a parent;
* :class:`ui.display_controls.DisplayControls` — a dialog parent.

The others hold a :class:`Shell` for what belongs to the window — showing a new document,
saving and the unsaved-changes question, the selection, the tool, the guide bar's text, the
film's name, the workspace, the settings, the status bar, the window's QActions (``a_*``,
made by :mod:`ui.actions`) and dialogs' parent:

* :class:`ui.opening.Opening` (``set_document``, ``maybe_keep_changes``, ``filmOpened``,
  ``blinded``, ``workspace``, ``settings``, ``statusBar``);
* :class:`ui.exports.Exports` (``save``, ``film_name``, ``open_folder``,
  ``update_pacs_state``, ``a_deidentify``, ``workspace``, ``settings``, ``statusBar``);
* :class:`ui.proposals.Proposer` (``select_level``, ``set_tool``, ``show_guide_text``,
  ``a_snap``, ``workspace``, ``settings``, ``statusBar``);
* :mod:`ui.actions` (the menus and toolbar: every action runs a window or controller
  method), :mod:`ui.blinded`, :mod:`ui.adjudication` and :mod:`ui.timeline`, which add docks
  and menus to the window.

:class:`ui.mainwindow.MainWindow` is a Shell; no ui module imports it (the import contract,
tests/test_import_contract.py), so the window can be replaced by another composition that
provides the same few members.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:  # pragma: no cover
    from PyQt6.QtCore import QSettings, pyqtBoundSignal
    from PyQt6.QtWidgets import QStatusBar

    from vfa.method.levels import Level
    from vfa.storage.workspace import Workspace

    from .document import Document
    from .host import DocumentHost


class Shell(Protocol):
    """The hosting window, as the controllers see it."""

    host: DocumentHost                # the open document (``host.doc``) and its signals
    workspace: Workspace | None
    settings: QSettings
    blinded: Any                      # ui.blinded.BlindedMode in a blinded session, else None
    filmOpened: pyqtBoundSignal       # (path) after a film is shown

    @property
    def doc(self) -> Document | None: ...   # host.doc

    def statusBar(self) -> QStatusBar: ...  # noqa: N802 - Qt's name

    def select_level(self, level: Level | None, centre: bool = True) -> None: ...

    def set_tool(self, tool: Any) -> None: ...

    def show_guide_text(self, text: str | None) -> None: ...

    def maybe_keep_changes(self) -> bool: ...

    def set_document(self, doc: Document, recovered: bool = False) -> None: ...

    def save(self) -> bool: ...

    def film_name(self) -> str: ...

    def open_folder(self, paths, open_first: bool = True) -> bool: ...  # noqa: ANN001

    def update_pacs_state(self) -> None: ...
