"""Semi-automatic placement in the viewer (Propose tool, Propose spine, Carry forward,
accept / reject, drag = moved, undo), on the sample films whose reference readings give the
true points. Clicks and drags are real mouse events at viewport points mapped from image
coordinates (view.mapFromScene)."""

from __future__ import annotations

import math
from pathlib import Path

import pytest


pytest.importorskip("pytestqt")

from PyQt6.QtCore import Qt  # noqa: E402

from ui.film_view import TOOL_PROPOSE  # noqa: E402
from ui.testing import click_image, drag_image  # noqa: E402
from vfa.method.levels import LEVELS, POINT_SLOTS, Level, PointSlot  # noqa: E402
from vfa.reading.reading import load_reading  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
SAMPLES = REPO / "sample_dicoms"
REF = SAMPLES / "reference"
CHILD_6M = SAMPLES / "child01" / "2024-09-10" / "lateral.dcm"
ADULT_BASE = SAMPLES / "adult01" / "2023-04-18" / "lateral.dcm"
ADULT_FOLLOW = SAMPLES / "adult01" / "2024-10-22" / "lateral.dcm"
SA = PointSlot.SUPERIOR_ANTERIOR


def truth(name: str):
    return load_reading(REF / f"{name}.json")


def centre(reading, level) -> tuple[float, float]:
    pts = reading.get(level).points
    return (sum(p[0] for p in pts.values()) / 6, sum(p[1] for p in pts.values()) / 6)


def show_level(w, reading, level, zoom: float = 1.5) -> tuple[float, float]:
    """Zoom in on ``level`` (handles of neighbouring levels apart on screen)."""
    w.view.set_zoom(zoom)
    c = centre(reading, level)
    w.view.center_on_image(*c)
    return c


def errors_px(reading, ref, level) -> list[float]:
    got, want = reading.get(level).points, ref.get(level).points
    return [math.dist(got[s], want[s]) for s in POINT_SLOTS]


def states(reading, level) -> set[str]:
    return {p.state for p in reading.get(level).proposals.values()}


def key(qtbot, w, k, mod=Qt.KeyboardModifier.NoModifier) -> None:
    w.view.setFocus()
    qtbot.keyClick(w.view, k, mod)


# ---------------------------------------------------------------------- one click
def test_propose_tool_accept_undo(window, asked, qtbot):
    w = window
    ref = truth("child01_2024-09-10")
    assert w.open_file(CHILD_6M)
    key(qtbot, w, Qt.Key.Key_G)                                          # Propose tool
    assert w.view.tool == TOOL_PROPOSE and w.a_tool_propose.isChecked()
    w._guide_jump(Level.T9)
    c = show_level(w, ref, "T9")
    click_image(w.view, *c)
    assert asked["errors"] == [] and asked["warnings"] == []
    v = w.doc.reading.get("T9")
    assert v.complete and states(w.doc.reading, "T9") == {"proposed"}
    assert {p.method for p in v.proposals.values()} == {"one-click"}
    assert max(errors_px(w.doc.reading, ref, "T9")) < 3.0
    assert w.doc.guide.level is Level.T10                                # the guide advanced
    # drawn as proposed; the table says so
    h = w.layer.handle("T9", SA)
    assert h.proposed and "confidence" in h.toolTip()
    assert "proposed" in w.layer.items[Level.T9].label.text
    assert w.table.row_texts("T9")["Level"] == "T9 ◌"
    assert "To accept: proposed T9" in w.table.pending_label.text()
    assert "confidence" in w.table.table.item(Level.T9.index, 0).toolTip()
    assert w.a_accept_all.isEnabled() and w.doc.modified
    assert w.doc.autosave_timer.isActive()                               # autosaved like edits
    auto = load_reading(w.doc.autosave(), check_geometry=False)
    assert states(auto, "T9") == {"proposed"}

    # Enter on the film (Accept all) leaves a lone level: its crush has no reference level,
    # so the reader accepts it on its own (Ctrl+Enter)
    key(qtbot, w, Qt.Key.Key_Return)
    assert states(w.doc.reading, "T9") == {"proposed"}
    assert "T9 crush not assessable" in w.statusBar().currentMessage()
    key(qtbot, w, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    assert states(w.doc.reading, "T9") == {"accepted"}
    assert not w.layer.handle("T9", SA).proposed
    assert w.table.row_texts("T9")["Level"] == "T9"
    assert w.table.pending_label.text() == ""
    assert not w.a_accept_all.isEnabled()
    assert w.a_undo.text() == "&Undo accept T9"
    # undo -> proposed again; undo -> no points; redo twice -> accepted
    w.a_undo.trigger()
    assert states(w.doc.reading, "T9") == {"proposed"} and w.layer.handle("T9", SA).proposed
    w.a_undo.trigger()
    assert w.doc.reading.get("T9") is None or not w.doc.reading.get("T9").points
    assert w.layer.handle("T9", SA) is None
    assert w.a_redo.isEnabled()          # also when everything was undone
    w.a_redo.trigger()
    w.a_redo.trigger()
    assert states(w.doc.reading, "T9") == {"accepted"}


def test_drag_marks_moved_and_undo_restores(window, asked):
    w = window
    ref = truth("child01_2024-09-10")
    assert w.open_file(CHILD_6M)
    w.a_tool_propose.trigger()
    w._guide_jump(Level.T12)
    c = show_level(w, ref, "T12", zoom=2.0)
    click_image(w.view, *c)
    assert states(w.doc.reading, "T12") == {"proposed"}
    x0, y0 = w.doc.reading.get("T12").points[SA]
    drag_image(w.view, x0, y0, x0 + 6, y0 + 4)                            # drag with the Propose tool
    v = w.doc.reading.get("T12")
    assert v.proposals[SA].state == "moved"
    assert (v.proposals[SA].x, v.proposals[SA].y) == pytest.approx((x0, y0))   # where it was proposed
    assert math.dist(v.points[SA], (x0 + 6, y0 + 4)) < 1.0
    assert {v.proposals[s].state for s in POINT_SLOTS if s is not SA} == {"proposed"}
    assert not w.layer.handle("T12", SA).proposed and w.layer.handle("T12", PointSlot.INFERIOR_MIDDLE).proposed
    assert w.a_undo.text().startswith("&Undo move T12")
    w.a_undo.trigger()
    v = w.doc.reading.get("T12")
    assert v.proposals[SA].state == "proposed" and v.points[SA] == pytest.approx((x0, y0))
    # accepting the level keeps the moved point's state: accept, then everything is the reader's
    w.a_redo.trigger()
    w.select_level(Level.T12)
    w.a_accept_level.trigger()
    assert states(w.doc.reading, "T12") == {"accepted", "moved"}
    assert not w.doc.pending_levels()


def test_reject_level_removes_the_proposal(window, asked, qtbot):
    w = window
    ref = truth("child01_2024-09-10")
    assert w.open_file(CHILD_6M)
    w.a_tool_propose.trigger()
    w._guide_jump(Level.L1)
    click_image(w.view, *show_level(w, ref, "L1"))
    assert states(w.doc.reading, "L1") == {"proposed"}
    key(qtbot, w, Qt.Key.Key_X)                                           # reject the level
    v = w.doc.reading.get("L1")
    assert v is None or (not v.points and not v.proposals)
    assert w.doc.guide.level is Level.L1                                 # asks for L1 again
    assert w.layer.handle("L1", SA) is None
    w.a_undo.trigger()
    assert states(w.doc.reading, "L1") == {"proposed"}


def test_known_facing_is_used_for_single_clicks(window, asked):
    """Once the reader has placed a vertebra, its facing (anterior on the left here) goes
    with every single-click proposal on the film."""
    w = window
    ref = truth("child01_2024-03-12")
    assert w.open_file(SAMPLES / "child01" / "2024-03-12" / "lateral.dcm")
    assert w.proposer.facing() is None
    w._guide_jump(Level.T6)
    show_level(w, ref, "T6")
    for slot in POINT_SLOTS:
        click_image(w.view, *ref.get("T6").points[slot])
    assert w.proposer.facing() == "left"
    w.a_tool_propose.trigger()
    w._guide_jump(Level.T7)
    click_image(w.view, *show_level(w, ref, "T7"))
    assert max(errors_px(w.doc.reading, ref, "T7")) < 3.0


def test_reader_points_are_never_replaced(window, asked):
    w = window
    ref = truth("child01_2024-09-10")
    assert w.open_file(CHILD_6M)
    w._guide_jump(Level.T5)
    c = show_level(w, ref, "T5")
    for slot in POINT_SLOTS:                                             # placed by the reader
        click_image(w.view, *ref.get("T5").points[slot])
    placed = dict(w.doc.reading.get("T5").points)
    n = len(w.doc.history)
    w.a_tool_propose.trigger()
    w._guide_jump(Level.T5)
    click_image(w.view, *c)
    assert w.doc.reading.get("T5").points == placed and not w.doc.reading.get("T5").proposals
    assert len(w.doc.history) == n and "already has the reader's points" in w.statusBar().currentMessage()


def test_export_refused_while_proposals_are_pending(window, asked, tmp_path):
    w = window
    ref = truth("child01_2024-09-10")
    assert w.open_file(CHILD_6M)
    w.a_tool_propose.trigger()
    w._guide_jump(Level.T7)
    click_image(w.view, *show_level(w, ref, "T7"))
    asked["answers"]["save_path"] = tmp_path / "x.dcm"
    w.a_export_sr.trigger()
    assert not (tmp_path / "x.dcm").exists()
    assert len(asked["errors"]) == 1 and "T7" in asked["errors"][0] and "accept" in asked["errors"][0]


def test_click_outside_a_body_says_why(window, asked):
    w = window
    assert w.open_file(CHILD_6M)
    w.a_tool_propose.trigger()
    w.view.fit()
    n = len(w.doc.history)
    click_image(w.view, 5, 5)                                             # the corner of the film
    assert len(w.doc.history) == n
    if asked["errors"]:                                                   # no body there
        assert "Traceback" not in asked["errors"][0]
        assert "⚠" in w.statusBar().currentMessage()


# ---------------------------------------------------------------------- two clicks
def test_propose_spine_two_clicks(window, asked, qtbot):
    w = window
    ref = truth("child01_2024-09-10")
    assert w.open_file(CHILD_6M)
    w.view.fit()
    w.a_propose_span.trigger()
    assert asked["spans"] == [(Level.T4, Level.L4)]                      # offered from the guide
    assert w.view.tool == TOOL_PROPOSE
    assert "T4" in w.guide_bar.next_label.text() and "1 of 2" in w.guide_bar.next_label.text()
    click_image(w.view, *centre(ref, "T4"))
    assert "L4" in w.guide_bar.next_label.text() and "2 of 2" in w.guide_bar.next_label.text()
    click_image(w.view, *centre(ref, "L4"))
    assert asked["errors"] == []
    r = w.doc.reading
    assert w.doc.pending_levels() == list(LEVELS)
    assert {p.method for v in r for p in v.proposals.values()} == {"span"}
    errs = [e for lv in LEVELS for e in errors_px(r, ref, lv)]
    assert max(errs) < 6.0 and sum(errs) / len(errs) < 2.5
    # the Propose tool is still active and nothing is left: the bar says so
    assert w.guide_bar.next_label.text().startswith("Propose: all levels are done")
    assert w.a_undo.text() == "&Undo propose T4–L4"
    key(qtbot, w, Qt.Key.Key_X, Qt.KeyboardModifier.ControlModifier
        | Qt.KeyboardModifier.ShiftModifier)                             # reject all
    assert not any(v.points for v in w.doc.reading)
    w.a_undo.trigger()
    assert w.doc.pending_levels() == list(LEVELS)


def test_propose_spine_escape_cancels(window, asked, qtbot):
    w = window
    ref = truth("child01_2024-09-10")
    assert w.open_file(CHILD_6M)
    w.view.fit()
    w.a_propose_span.trigger()
    click_image(w.view, *centre(ref, "T4"))
    key(qtbot, w, Qt.Key.Key_Escape)
    assert w.proposer.span is None and w.guide_bar.next_label.text().startswith("Propose T4:")
    assert not any(v.points for v in w.doc.reading)
    asked["answers"]["span"] = None                                       # dialog cancelled
    w.a_propose_span.trigger()
    assert w.proposer.span is None


# ---------------------------------------------------------------------- carry forward
def test_carry_forward_from_the_saved_earlier_visit(window, asked, qtbot):
    w = window
    w.workspace.import_reading(REF / "adult01_2023-04-18.json")          # the saved earlier visit
    ref = truth("adult01_2024-10-22")
    assert w.open_file(ADULT_FOLLOW)
    w.a_carry.trigger()
    title, items, current = asked["items"][0]
    assert len(items) == 1 and items[0].startswith("2023-04-18") and current == 0
    # the anchor click: L1 offered, T12 chosen with the Level box, then clicked
    assert "inside the body of L1" in w.guide_bar.next_label.text()
    assert w.view.tool == TOOL_PROPOSE and not any(v.points for v in w.doc.reading)
    w.guide_bar.level_box.activated.emit(Level.T12.index)
    assert "inside the body of T12" in w.guide_bar.next_label.text()
    w.view.fit()
    click_image(w.view, *centre(ref, "T12"))
    assert asked["errors"] == []
    assert not w.proposer.waiting and not w.guide_bar.next_label.text().startswith("Carry")
    r = w.doc.reading
    assert w.doc.pending_levels() == list(LEVELS)
    assert {p.method for v in r for p in v.proposals.values()} == {"carry-forward"}
    errs = {lv: max(errors_px(r, ref, lv)) for lv in LEVELS}
    # the viewer shows what vfa.reading.autoplace returns; its accuracy is tested in the core's
    # tests, so one stray level is tolerated here
    assert sum(e < 4.0 for e in errs.values()) >= 12, errs
    assert errs[Level.T12] < 4.0            # fractured since the earlier visit: the NEW shape
    assert w.a_undo.text() == "&Undo carry forward from 2023-04-18"
    w.a_reject_all.trigger()
    assert not any(v.points for v in w.doc.reading)


def test_carry_forward_escape_cancels(window, asked, qtbot):
    w = window
    w.workspace.import_reading(REF / "adult01_2023-04-18.json")
    assert w.open_file(ADULT_FOLLOW)
    w.a_carry.trigger()
    assert w.proposer.carry is not None
    key(qtbot, w, Qt.Key.Key_Escape)
    assert w.proposer.carry is None and w.guide_bar.next_label.text().startswith("Propose T4:")
    asked["answers"]["item"] = None                                       # list cancelled
    w.a_carry.trigger()
    assert w.proposer.carry is None and not any(v.points for v in w.doc.reading)


def test_carry_forward_without_earlier_reading(window, asked):
    w = window
    assert w.open_file(ADULT_FOLLOW)
    w.a_carry.trigger()
    assert len(asked["errors"]) == 1 and "earlier" in asked["errors"][0]
    assert not any(v.points for v in w.doc.reading)


def test_saved_pending_proposals_block_patient_exports(window, asked, tmp_path):
    """A reading saved with proposals pending (work in progress) is not reported."""
    w = window
    ref = truth("child01_2024-09-10")
    assert w.open_file(CHILD_6M)
    w.a_tool_propose.trigger()
    w._guide_jump(Level.T9)
    click_image(w.view, *show_level(w, ref, "T9"))
    assert w.save() and not w.doc.modified                               # saving is allowed
    assert w.open_file(SAMPLES / "child01" / "2024-03-12" / "lateral.dcm")
    asked["answers"]["save_path"] = tmp_path / "r.pdf"
    w.a_export_pdf.trigger()
    asked["answers"]["save_path"] = tmp_path / "r.csv"
    w.a_export_csv.trigger()
    assert not (tmp_path / "r.pdf").exists() and not (tmp_path / "r.csv").exists()
    assert len(asked["errors"]) == 2
    assert all("2024-09-10 (test-reader" in e and "not yet accepted" in e for e in asked["errors"])


def test_input_is_blocked_while_work_runs(window, asked):
    """run_busy: a click that arrives while the worker runs (before the busy dialog shows)
    does not start more work on the same film."""
    import time

    from PyQt6.QtCore import QTimer

    from ui.tasks import run_busy
    w = window
    ref = truth("child01_2024-09-10")
    assert w.open_file(CHILD_6M)
    w.a_tool_propose.trigger()
    w._guide_jump(Level.T9)
    c = show_level(w, ref, "T9")
    clicked = []
    QTimer.singleShot(20, lambda: (click_image(w.view, *c), clicked.append(True)))
    assert run_busy(w, "working…", lambda: time.sleep(0.15) or 42) == 42
    assert clicked and not any(v.points for v in w.doc.reading)
    click_image(w.view, *c)                                              # and afterwards it works
    assert states(w.doc.reading, "T9") == {"proposed"}


# ---------------------------------------------------------------------- facing (issue 20)
CHILD_BASE_REF = REF / "child01_2024-03-12.json"      # anterior on the left


def _span(w, ref) -> None:
    w.view.fit()
    w.a_propose_span.trigger()
    click_image(w.view, *centre(ref, "T4"))
    click_image(w.view, *centre(ref, "L4"))


def _check_spine(w, ref) -> None:
    from vfa.method.angles import kyphosis
    r = w.doc.reading
    assert w.doc.pending_levels() == list(LEVELS)
    errs = {lv: max(errors_px(r, ref, lv)) for lv in LEVELS}
    assert max(errs.values()) < 6.0, errs
    k = kyphosis(r)
    assert k is not None and k.cobb_deg > 0, k


def test_facing_of_a_mirrored_carry_forward_does_not_survive_undo_or_reject(window, asked, qtbot):
    """The 6-month film faces right, the baseline left: carry-forward mirrors the baseline
    points and says so; after undo (and after reject) two clicks per spine on the same film
    decide the facing from this film again: right points, positive kyphosis."""
    w = window
    w.workspace.import_reading(CHILD_BASE_REF)
    ref = truth("child01_2024-09-10")
    assert w.open_file(CHILD_6M)

    def carry() -> None:
        w.a_carry.trigger()
        assert "inside the body of L1" in w.guide_bar.next_label.text()
        w.view.fit()
        click_image(w.view, *centre(ref, "L1"))
        assert asked["errors"] == []
        said = " ".join(str(x) for x in asked["warnings"])
        assert "faces the other way" in said, asked["warnings"]
        _check_spine(w, ref)

    carry()
    w.a_undo.trigger()
    assert not any(v.points for v in w.doc.reading) and w.proposer.facing() is None
    _span(w, ref)
    _check_spine(w, ref)
    w.a_undo.trigger()
    carry()
    w.a_reject_all.trigger()
    assert not any(v.points for v in w.doc.reading) and w.proposer.facing() is None
    _span(w, ref)
    _check_spine(w, ref)


def test_accept_all_in_the_viewer_leaves_the_low_confidence_level(window, asked, qtbot):
    """Enter accepts every confident level and leaves the one below 0.5 selected, named in
    the status bar; Ctrl+Enter then accepts it on its own. (The adult's baseline film: every
    level's crush is assessable there, so confidence alone decides.)"""
    from vfa.reading.proposal import Proposal
    w = window
    ref = truth("adult01_2023-04-18")
    assert w.open_file(ADULT_BASE)
    props = {lv: {s: Proposal(*ref.get(lv).points[s], 0.3 if lv is Level.T12 else 0.9, "span")
                  for s in PointSlot} for lv in LEVELS}
    assert w.doc.propose(props, "propose T4–L4")
    key(qtbot, w, Qt.Key.Key_Return)
    assert w.doc.pending_levels() == [Level.T12]
    assert all(states(w.doc.reading, lv) == {"accepted"} for lv in LEVELS if lv is not Level.T12)
    msg = w.statusBar().currentMessage()
    assert "Accepted 12 level(s)" in msg and "T12 low confidence (0.30)" in msg, msg
    assert w.doc.current_level is Level.T12
    assert w.a_undo.text() == "&Undo accept all proposals"
    key(qtbot, w, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    assert w.doc.pending_levels() == []
