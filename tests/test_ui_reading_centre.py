"""Viewer: blinded reading-centre mode and the adjudication view, driven with real clicks."""

from __future__ import annotations

import datetime as dt

import pytest
from PyQt6.QtCore import Qt
from PyQt6.QtTest import QTest

from readings_factory import make_reading
from test_sr import make_film
from vfa.study.adjudication import decided_by
from vfa.reading.blinding import activate
from vfa.method.levels import Status
from vfa.storage.workspace import Workspace
from vfa.reading.worklist import assign

NAME = "Doe^Jane"


def _films(tmp_path, n=2):
    """Films of one patient at n visits, registered in the (test) default workspace."""
    ws = Workspace()
    readings = []
    for i in range(n):
        r = make_reading(patient_id="PID-4711", date=dt.date(2021 + i, 3, 1),
                         sop=f"1.2.826.0.1.3680043.10.9.{i}", reader="nobody")
        path = tmp_path / f"visit{i}_doe.dcm"
        make_film(path, r, name=NAME)
        ws.register_identity(r, str(path), "DX", "LL")
        readings.append((r, path))
    return ws, readings


def _click_row(qtbot, lst, row, double=False):
    """A click on the row (then a double-click, as a user's second click makes it)."""
    rect = lst.visualItemRect(lst.item(row))
    QTest.mouseClick(lst.viewport(), Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier,
                     rect.center())
    if double:
        QTest.mouseDClick(lst.viewport(), Qt.MouseButton.LeftButton,
                          Qt.KeyboardModifier.NoModifier, rect.center())


@pytest.fixture
def blinded_window(tmp_path, make_window):
    ws, films = _films(tmp_path)
    assign(ws.index, "R1", [r.sop_instance_uid for r, _ in films], ["test-reader", "other"], seed=11)
    activate(ws, "R1")
    # the other reader already read film 0, with a grade the test reader must not see
    theirs = make_reading(sop=films[0][0].sop_instance_uid, patient_id="PID-4711",
                          date=films[0][0].study_date, reader="other")
    theirs.set_reader_grade("T12", 3)
    ws.save(theirs)
    ws.close()
    return make_window(), films


def test_blinded_mode_hides_identity_and_others_marks(qtbot, blinded_window, asked):
    w, films = blinded_window
    assert w.blinded is not None
    assert not w.browser_dock.isVisible() and w.blinded.dock.isVisible()
    lst = w.blinded.panel.list
    assert lst.count() == 2
    labels = [lst.item(i).text() for i in range(2)]
    assert all("Case 00" in t for t in labels) and not any("PID" in t or "2021" in t for t in labels)
    _click_row(qtbot, lst, 0, double=True)
    qtbot.waitUntil(lambda: w.doc is not None)
    first = w.blinded.session.items[0]
    assert w.doc.reading.sop_instance_uid == first.sop_instance_uid
    title = w.windowTitle()
    assert first.label in title and "1 of 2" in title and "blinded" in title
    for leak in ("PID-4711", "Doe", "visit", ".dcm", "2021", "2022"):
        assert leak not in title
    assert w.film_name() == first.label          # also in questions ("save changes to …?")
    # only the reader's own reading: the other reader's grade is not loaded
    assert w.doc.reading.reader == "test-reader"
    assert all(v.reader_grade is None for v in w.doc.reading)
    # exports and carry-forward are off
    assert not w.a_export_pdf.isEnabled() and not w.a_export_csv_all.isEnabled()
    assert not w.a_carry.isEnabled() and not w.a_open_pacs.isEnabled()
    assert not w.a_open_folder.isEnabled() and not w.recent_menu.isEnabled()
    # the comparison is refused until the reader's own reading is saved
    w.a_compare.trigger()
    assert w.stack.currentIndex() == 0 and not w.a_compare.isChecked()
    assert any("save your own reading of this film first" in e for e in asked["errors"])


def test_blinded_compare_after_saving_shows_only_own_readings(qtbot, blinded_window, asked):
    w, films = blinded_window
    lst = w.blinded.panel.list
    # read both cases in the list order, saving each
    for row in range(2):
        _click_row(qtbot, lst, row, double=True)
        qtbot.waitUntil(lambda r=row: w.doc is not None and
                        w.doc.reading.sop_instance_uid == w.blinded.session.items[r].sop_instance_uid)
        w.doc.reading.set_reader_grade("T10", 1)
        w.a_save.trigger()
    # saved, but only T10 graded: "◐" (saved, levels missing), not "✓" (complete)
    assert "◐" in lst.item(0).text() and "◐" in lst.item(1).text()
    assert "2/2 read" in w.blinded.status.text()
    # the other reader saves film 0 again, after ours: newest, but not ours
    theirs = w.workspace.load(films[0][0].sop_instance_uid, "other")
    theirs.set_reader_grade("T5", 2)
    w.workspace.save(theirs)
    w.a_compare.trigger()
    assert w.stack.currentIndex() == 1
    # the other reader's reading of the other film is not offered
    assert [r.reader for r in w.compare_view.others] == ["test-reader"]
    w.show_compare(False)


def test_blinded_mode_refuses_films_not_on_the_list(qtbot, blinded_window, asked, tmp_path):
    w, _ = blinded_window
    stray = make_reading(patient_id="X9", sop="1.2.826.0.1.3680043.10.9.99", reader="nobody")
    path = tmp_path / "stray.dcm"
    make_film(path, stray, name="Other^Patient")
    w.open_file(path)
    assert w.doc is None
    assert any("not on your reading list" in e for e in asked["errors"])


# --------------------------------------------------------------------------- adjudication
SOP = "1.2.826.0.1.3680043.10.9.50"


@pytest.fixture
def adjudication_view(qtbot, tmp_path):
    from ui.adjudication import AdjudicationView
    a = make_reading(sop=SOP, reader="alice", heights={"T12": (70.0, 95.0, 100.0)})
    b = make_reading(sop=SOP, reader="bob", heights={"T12": (88.0, 96.0, 100.0)})
    a.set_reader_grade("T12", 2)          # bob: suggestion 0 -> fracture discordance
    a.set_reader_grade("L2", 1)
    b.set_reader_grade("L2", 3)           # grade discordance
    b.set_status("T4", "not_evaluable", "scapula")   # evaluability
    film = tmp_path / "film.dcm"
    make_film(film, a, name=NAME)
    ws = Workspace(tmp_path / "ws")
    ws.register_identity(a, str(film), "DX", "LL")
    ws.save(a)
    ws.save(b)
    view = AdjudicationView(ws, "carol")
    qtbot.addWidget(view)
    view.resize(1400, 900)
    view.show()
    qtbot.waitExposed(view)
    yield view, ws
    ws.close()


def test_adjudication_view_records_decisions_and_saves_consensus(qtbot, adjudication_view, asked):
    view, ws = adjudication_view
    assert view.levels.count() == 3
    texts = [view.levels.item(i).text() for i in range(3)]
    assert texts[1].startswith("T12:  alice 2  /  bob 0  (fracture)  — undecided")
    # only the discordant levels are drawn, on both sides
    assert set(view.left.reading.vertebrae) == set(view.right.reading.vertebrae) == {
        p.level for p in view.current.discordant}
    assert not view.save_button.isEnabled()
    # T12: grade 0, points "auto" -> bob's (he graded 0); then redone as grade 2 -> alice's
    _click_row(qtbot, view.levels, 1)
    assert view.level.value == "T12" and view.from_auto.isChecked()
    qtbot.mouseClick(view.grade_buttons["0"], Qt.MouseButton.LeftButton)
    assert "→ 0 (points B)" in view.levels.item(1).text()
    _click_row(qtbot, view.levels, 1)
    qtbot.mouseClick(view.grade_buttons["2"], Qt.MouseButton.LeftButton)
    assert "→ 2 (points A)" in view.levels.item(1).text()
    # L2: grade 3 with bob's points
    _click_row(qtbot, view.levels, 2)
    qtbot.mouseClick(view.from_b, Qt.MouseButton.LeftButton)
    qtbot.mouseClick(view.grade_buttons["3"], Qt.MouseButton.LeftButton)
    # T4: not evaluable
    _click_row(qtbot, view.levels, 0)
    qtbot.mouseClick(view.grade_buttons["not_evaluable"], Qt.MouseButton.LeftButton)
    assert view.save_button.isEnabled()
    qtbot.mouseClick(view.save_button, Qt.MouseButton.LeftButton)
    c = ws.load(SOP, reader="consensus")
    assert c is not None
    assert c.get("T12").reader_grade == 2 and decided_by(c.get("T12")) == "carol"
    assert c.get("L2").reader_grade == 3 and c.get("L2").points == ws.load(SOP, "bob").get("L2").points
    assert c.get("T4").status is Status.NOT_EVALUABLE
    assert decided_by(c.get("T8")) == "agreement"
    assert "Consensus saved" in view.note.text()


def test_adjudication_undo(qtbot, adjudication_view, asked):
    view, ws = adjudication_view
    _click_row(qtbot, view.levels, 1)
    qtbot.mouseClick(view.grade_buttons["1"], Qt.MouseButton.LeftButton)
    _click_row(qtbot, view.levels, 1)
    assert view.undo_button.isEnabled()
    qtbot.mouseClick(view.undo_button, Qt.MouseButton.LeftButton)
    assert "undecided" in view.levels.item(1).text()


def test_reading_centre_menu_opens_adjudication(qtbot, make_window, asked):
    w = make_window()
    w.a_adjudicate.trigger()
    view = w.adjudication_view
    qtbot.addWidget(view)
    assert "nothing to adjudicate" in view.headline.text() or "reader" in view.headline.text()


def test_recovery_offers_only_own_autosaves_and_blinded_hides_the_date(qtbot, make_window, asked,
                                                                       tmp_path):
    ws = Workspace()
    mine = make_reading(sop="1.2.826.0.1.3680043.10.9.70", reader="test-reader")
    theirs = make_reading(sop="1.2.826.0.1.3680043.10.9.70", reader="other")
    ws.autosave(mine)
    ws.autosave(theirs)
    assert len(ws.pending_recoveries()) == 2
    assert [p.name for p in ws.pending_recoveries("test-reader")] == [
        "1.2.826.0.1.3680043.10.9.70.test-reader.json"]
    assert "2024-01-10" not in ws.describe_recovery(ws.pending_recoveries("other")[0], blinded=True)
    ws.close()
    w = make_window()
    w.check_recoveries()
    [offered] = asked["recover"]
    assert len(offered) == 1 and "2024-01-10" in offered[0]   # own autosave only
