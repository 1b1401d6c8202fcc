"""What the controllers may ask of the window that hosts them.

The controllers (:mod:`ui.opening`, :mod:`ui.exports`, :mod:`ui.proposals`,
:mod:`ui.measure`, and :mod:`ui.actions` that builds the menus) are given the open session's
Qt adapter and their own widgets; for the few things that belong to the window — the status
bar, the selection, the tool, the guide bar's text, dialogs' parent — they hold a
:class:`Shell`. :class:`ui.mainwindow.MainWindow` is one; no ui module imports it (the
import contract, tests/test_import_contract.py), so the window can be replaced by another
composition (a blinded-reading or adjudication window) that provides the same few members.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:  # pragma: no cover
    from PyQt6.QtCore import QSettings
    from PyQt6.QtWidgets import QStatusBar

    from vfa.levels import Level
    from vfa.workspace import Workspace

    from .document import Document


class Shell(Protocol):
    """The hosting window, as the controllers see it."""

    doc: Document | None              # the open session's Qt adapter
    workspace: Workspace | None
    settings: QSettings

    def statusBar(self) -> QStatusBar: ...  # noqa: N802 - Qt's name

    def select_level(self, level: Level | None, centre: bool = True) -> None: ...

    def set_tool(self, tool: Any) -> None: ...

    def show_guide_text(self, text: str | None) -> None: ...

    def maybe_keep_changes(self) -> bool: ...

    def set_document(self, doc: Document, recovered: bool = False) -> None: ...

    def save(self) -> bool: ...

    def film_name(self) -> str: ...
