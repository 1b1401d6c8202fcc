"""Opening films: folders (scan, problems), command line, recent files, drag and drop,
broken files; crash recovery."""

from __future__ import annotations

from pathlib import Path

import pytest


pytest.importorskip("pytestqt")

from PyQt6.QtCore import QMimeData, QPointF, Qt, QUrl  # noqa: E402
from PyQt6.QtGui import QDropEvent  # noqa: E402
from PyQt6.QtWidgets import QApplication  # noqa: E402

from ui import app as ui_app  # noqa: E402
from ui import dialogs  # noqa: E402
from ui.mainwindow import MainWindow  # noqa: E402
from ui.testing import body_points, click_image, write_film  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
SAMPLES = REPO / "sample_dicoms"


@pytest.fixture
def window_size():
    return (1300, 850)


@pytest.fixture
def folder(tmp_path):
    """Two patients, three films in nested folders, plus junk."""
    root = tmp_path / "import"
    write_film(root / "p1" / "2020" / "a.dcm", patient_id="P1", study_date="20200105", seed=1)
    write_film(root / "p1" / "2022" / "b.dcm", patient_id="P1", study_date="20220310", seed=2)
    write_film(root / "p2" / "c.dcm", patient_id="P2", study_date="20210707", seed=3)
    (root / "p2" / "notes.dat").write_bytes(b"not a dicom file at all")
    (root / "p2" / "readme.txt").write_text("skipped by suffix")
    return root


def test_open_folder_fills_browser_lists_problems_and_opens_first(make_window, folder):
    w = make_window()
    assert w.open_folder([folder])
    assert w.doc is not None and w.doc.reading.patient_id == "P1"
    assert w.doc.reading.study_date.isoformat() == "2020-01-05"
    tree = w.browser.tree
    assert tree.topLevelItemCount() == 2
    p1 = tree.topLevelItem(0)
    assert p1.text(0).startswith("P1") and p1.childCount() == 2     # two visits by date
    assert [p1.child(i).text(0) for i in range(2)] == ["2020-01-05", "2022-03-10"]
    assert len(w.browser.film_items()) == 3
    assert all(it.text(1) == "not read" for it in w.browser.film_items())
    dlg = w._problems_dialog
    assert dlg is not None and dlg.isVisible() and "notes.dat" in dlg.text.toPlainText()
    assert not dlg.isModal()
    # activating a film in the browser opens it
    other = next(it for it in w.browser.film_items() if it.text(0).startswith("c.dcm"))
    w.browser.tree.itemActivated.emit(other, 0)
    assert w.doc.reading.patient_id == "P2"


def test_open_folder_cancel(make_window, folder, monkeypatch):
    from PyQt6.QtWidgets import QProgressDialog
    monkeypatch.setattr(QProgressDialog, "wasCanceled", lambda self: True)
    w = make_window()
    assert not w.open_folder([folder])
    assert w.doc is None


def test_broken_file_is_an_error_message_not_a_crash(make_window, folder, asked, tmp_path):
    w = make_window()
    good = folder / "p2" / "c.dcm"
    assert w.open_file(good)
    assert not w.open_file(folder / "p2" / "notes.dat")
    assert asked["errors"] and "notes.dat" in asked["errors"][-1]
    assert "Traceback" not in asked["errors"][-1]
    assert not w.open_file(tmp_path / "missing.dcm")
    assert w.doc.radiograph.path == good           # the open film stays


def test_recent_files_and_drop(make_window, folder, qtbot):
    w = make_window()
    a, b = folder / "p1" / "2020" / "a.dcm", folder / "p2" / "c.dcm"
    w.open_file(a)
    w.open_file(b)
    assert w.recent_files()[:2] == [str(b.resolve()), str(a.resolve())]
    w2 = make_window()
    assert w2.recent_files()[0] == str(b.resolve())
    w2._fill_recent()
    names = [act.text() for act in w2.recent_menu.actions()]
    assert str(a.resolve()) in names
    # drop a file onto the window
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(a))])
    ev = QDropEvent(QPointF(100, 100), Qt.DropAction.CopyAction, mime, Qt.MouseButton.NoButton,
                    Qt.KeyboardModifier.NoModifier)
    w2.dropEvent(ev)
    qtbot.waitUntil(lambda: w2.doc is not None, timeout=3000)
    assert w2.doc.radiograph.path == a
    # drop a folder: scanned
    assert w2.open_dropped([str(folder / "p1"), str(folder / "p2")])
    assert len(w2.browser.film_items()) == 3


def test_command_line_opens_folder(monkeypatch, qtbot, folder, asked, tmp_path):
    """`vfa-viewer FOLDER` opens the first film and fills the browser."""
    monkeypatch.setenv("VFA_SETTINGS", str(tmp_path / "viewer.ini"))
    target = SAMPLES if (SAMPLES / "manifest.json").exists() else folder
    seen = {}

    def fake_exec(self=None):
        win = next(x for x in QApplication.topLevelWidgets()
                   if isinstance(x, MainWindow) and x.isVisible())
        qtbot.addWidget(win)
        qtbot.waitUntil(lambda: win.doc is not None, timeout=10000)
        seen["patients"] = win.browser.tree.topLevelItemCount()
        seen["films"] = len(win.browser.film_items())
        seen["path"] = win.doc.radiograph.path
        win.close()
        return 0

    monkeypatch.setattr(QApplication, "exec", fake_exec)
    assert ui_app.main([str(target)]) == 0
    assert seen["patients"] >= 2 and seen["films"] >= 3
    assert Path(seen["path"]).is_relative_to(target)


def test_recovery_after_crash(make_window, folder, qtbot, asked):
    film = folder / "p1" / "2020" / "a.dcm"
    w1 = make_window()
    w1.open_file(film)
    w1.doc.autosave_timer.setInterval(30)
    for x, y in body_points(0) + body_points(1)[:2]:
        click_image(w1.view, x, y)
    auto = w1.workspace.autosave_path(w1.doc.reading)
    qtbot.waitUntil(auto.exists, timeout=3000)
    placed = w1.doc.reading.to_dict()["vertebrae"]
    # crash: the window dies without closing (no save, no discard)
    w1.doc.autosave_timer.stop()
    w1.doc.history.mark_saved()
    w1.hide()

    w2 = make_window()
    asked["answers"]["recover"] = dialogs.RECOVER
    assert w2.check_recoveries()
    assert asked["recover"] and "8 points" in asked["recover"][-1][0]
    assert w2.doc.reading.to_dict()["vertebrae"] == placed
    assert w2.isWindowModified()                    # recovered, not yet saved
    assert w2.doc.guide.target.level.value == "T5"  # continue where the crash happened
    assert w2.save()
    assert w2.workspace.pending_recoveries() == []


def test_recovery_later_then_offered_when_the_film_opens(make_window, folder, qtbot, asked):
    film = folder / "p2" / "c.dcm"
    w1 = make_window()
    w1.open_file(film)
    click_image(w1.view, *body_points(0)[0])
    w1.doc.autosave()
    w1.doc.history.mark_saved()
    w1.hide()
    w2 = make_window()
    asked["answers"]["recover"] = dialogs.LATER
    assert not w2.check_recoveries()
    assert len(w2.workspace.pending_recoveries()) == 1
    asked["answers"]["recover"] = dialogs.RECOVER
    w2.open_file(film)
    assert len(asked["recover"]) == 2
    assert len(w2.doc.reading.get("T4").points) == 1 and w2.isWindowModified()
    # Discard at start removes the autosaves
    w3 = make_window()
    asked["answers"]["recover"] = dialogs.DISCARD
    w3.check_recoveries()
    assert w3.workspace.pending_recoveries() == []


def test_unusable_workspace_is_explained_and_films_still_open(qtbot, tmp_path, monkeypatch, asked):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("x")
    monkeypatch.setenv("VFA_WORKSPACE", str(blocker / "ws"))
    monkeypatch.setenv("VFA_SETTINGS", str(tmp_path / "viewer.ini"))
    w = MainWindow()
    qtbot.addWidget(w)
    w.show()
    qtbot.waitUntil(lambda: bool(asked["errors"]), timeout=3000)
    assert "cannot use" in str(asked["errors"][0]) and "workspace" in str(asked["errors"][0])
    assert w.workspace is None
    assert w.open_file(SAMPLES / "adult01" / "2023-04-18" / "lateral.dcm")
    assert w.doc is not None and not w.save()
    w.close()
