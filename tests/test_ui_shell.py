"""The viewer's seam (ui/shell.py): the controllers ask the window only for what the Shell
protocol lists. mypy checks every use against it (``mypy vfa ui``); these tests check what
mypy cannot: that the real window has every member at run time, that every QAction made by
ui/actions.py is declared, and that no controller reaches into the window's private members
or hangs new attributes on it."""

from __future__ import annotations

import ast
import inspect
from pathlib import Path

import pytest

pytest.importorskip("PyQt6")
pytest.importorskip("pytestqt")

from PyQt6.QtGui import QAction, QActionGroup  # noqa: E402
from PyQt6.QtWidgets import QMenu, QMenuBar, QStatusBar  # noqa: E402

from ui import actions  # noqa: E402
from ui.shell import Shell  # noqa: E402

UI = Path(__file__).resolve().parents[1] / "ui"


def shell_attributes() -> dict[str, str]:
    """The Shell's data members: name -> annotation text."""
    return dict(Shell.__annotations__)


def shell_methods() -> set[str]:
    return {name for name, value in vars(Shell).items()
            if not name.startswith("_") and (inspect.isfunction(value) or isinstance(value, property))}


def test_the_window_has_every_member_of_the_shell(window):
    w = window
    for name, annotation in shell_attributes().items():
        assert hasattr(w, name), f"MainWindow has no {name} (declared in ui.shell.Shell)"
        value = getattr(w, name)
        if annotation == "QAction":
            assert isinstance(value, QAction), name
        elif annotation == "QMenu":
            assert isinstance(value, QMenu), name
        elif annotation == "QActionGroup":
            assert isinstance(value, QActionGroup), name
    for name in shell_methods():
        assert hasattr(w, name), f"MainWindow has no {name}() (declared in ui.shell.Shell)"
        if name != "doc":
            assert callable(getattr(w, name)), name
    assert w.widget() is w
    assert isinstance(w.statusBar(), QStatusBar) and isinstance(w.menuBar(), QMenuBar)


def test_every_action_the_window_gets_is_declared():
    declared = shell_attributes()
    made = [a.name for a in actions.ACTIONS] + ["a_accept_all", "a_adjudicate", "a_next_case"]
    assert len(made) == len(set(made))
    assert [n for n in made if declared.get(n) != "QAction"] == []
    from ui.mainwindow import MainWindow
    mine = MainWindow.__annotations__
    assert [n for n in made if mine.get(n) != "QAction"] == []     # the window declares them too


def test_the_reading_centre_menu_and_blinded_mode_go_through_public_members(window, tmp_path):
    w = window
    assert w.a_adjudicate.text().startswith("&Adjudicate")
    assert w.adjudication_view is None
    w.a_adjudicate.trigger()                  # the window keeps the view it opened
    from ui.adjudication import AdjudicationView
    assert isinstance(w.adjudication_view, AdjudicationView) and w.adjudication_view.isVisible()
    w.adjudication_view.close()
    assert w.blinded is None
    assert w.a_export_csv_all.isEnabled()         # a workspace is open
    from ui.blinded import BlindedMode
    from vfa.reading.blinding import BlindedSession
    from vfa.reading.worklist import ReadingList
    mode = BlindedMode(w, BlindedSession(ReadingList("(no list)", "dr")))
    w.set_blinded(mode)
    assert w.blinded is mode
    assert not w.a_export_csv_all.isEnabled()     # the window's actions were updated: identities stay hidden
    assert "Not available in blinded reading" in w.a_export_csv_all.toolTip()
    assert not w.recent_menu.isEnabled()


def _window_refs(module: ast.Module) -> list[tuple[ast.Attribute, bool]]:
    """Attribute uses on the window in a controller: ``w.x``, ``window.x``, ``self.w.x``,
    ``self.shell.x`` (with whether each is assigned to)."""
    out = []
    for node in ast.walk(module):
        if not isinstance(node, ast.Attribute):
            continue
        v = node.value
        is_window = (isinstance(v, ast.Name) and v.id in ("w", "window")) or (
            isinstance(v, ast.Attribute) and isinstance(v.value, ast.Name) and v.value.id == "self"
            and v.attr in ("w", "shell"))
        if is_window:
            out.append((node, isinstance(node.ctx, ast.Store)))
    return out


def test_no_controller_uses_private_window_members_or_adds_attributes():
    declared = set(shell_attributes())
    holders = [p for p in sorted(UI.glob("*.py"))
               if p.name not in ("mainwindow.py", "shell.py") and "Shell" in p.read_text(encoding="utf-8")]
    assert {p.name for p in holders} >= {"actions.py", "opening.py", "exports.py", "proposals.py",
                                         "blinded.py", "adjudication.py", "timeline.py"}
    problems = []
    for path in holders:
        tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
        for node, stored in _window_refs(tree):
            where = f"{path.name}:{node.lineno} .{node.attr}"
            if node.attr.startswith("_"):
                problems.append(f"{where}: a private member of the window")
            elif stored and node.attr not in declared:
                problems.append(f"{where}: sets an attribute the Shell does not declare")
    assert problems == []
