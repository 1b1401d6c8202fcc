"""Snap clicks to edges (Propose ▸ Snap clicks to edges, E): guided clicks and dropped points
are refined onto the nearby corner / endplate edge (vfa.reading.autoplace.refine.refine_point) and
recorded as pending 'refine' proposals, or left exactly where the reader put them when the
evidence is weak. On a sample film against its reference reading."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

pytest.importorskip("pytestqt")

from PyQt6.QtCore import QPointF, Qt  # noqa: E402

from ui.testing import click_image, drag_image, view_point  # noqa: E402
from vfa.method.levels import POINT_SLOTS, Level, PointSlot  # noqa: E402
from vfa.reading.reading import load_reading  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
SAMPLES = REPO / "sample_dicoms"
ADULT = SAMPLES / "adult01" / "2023-04-18" / "lateral.dcm"
REF = SAMPLES / "reference" / "adult01_2023-04-18.json"
SA = PointSlot.SUPERIOR_ANTERIOR
MM = 0.25            # the adult film's pixel spacing (mm)


@pytest.fixture
def ref():
    return load_reading(REF)


def off(p, mm: float, deg: float) -> tuple[float, float]:
    """``p`` moved ``mm`` in direction ``deg`` (image coordinates)."""
    return (p[0] + mm / MM * math.cos(math.radians(deg)), p[1] + mm / MM * math.sin(math.radians(deg)))


def clicked(w, x: float, y: float) -> tuple[float, float]:
    """The image point a click at (x, y) really lands on (viewport pixels are whole)."""
    p = w.view.map_view_to_image(QPointF(view_point(w.view, x, y)))
    return (p.x(), p.y())


def show(w, ref, level: Level, zoom: float = 2.0) -> None:
    pts = ref.get(level).points.values()
    w.view.set_zoom(zoom)
    w.view.center_on_image(sum(p[0] for p in pts) / 6, sum(p[1] for p in pts) / 6)


def mm_between(a, b) -> float:
    return math.dist(a, b) * MM


def key(qtbot, w, k) -> None:
    w.view.setFocus()
    qtbot.keyClick(w.view, k)


def test_snap_action_is_checkable_and_remembered(window, qtbot):
    from ui.mainwindow import MainWindow
    w = window
    assert w.a_snap.isCheckable() and not w.a_snap.isChecked()           # opt-in
    assert w.a_snap in w.propose_menu.actions()
    assert w.a_snap.shortcut().toString() == "E"
    assert w.open_file(ADULT)
    key(qtbot, w, Qt.Key.Key_E)
    assert w.a_snap.isChecked() and "Snap clicks to edges: on" in w.statusBar().currentMessage()
    assert w.settings.value("propose/snap") == "true"
    w2 = MainWindow()                                                   # the same settings file
    qtbot.addWidget(w2)
    assert w2.a_snap.isChecked()
    w2.close()
    key(qtbot, w, Qt.Key.Key_E)
    assert not w.a_snap.isChecked() and w.settings.value("propose/snap") == "false"


@pytest.mark.parametrize("level, mm, deg", [(Level.T12, 1.25, 30), (Level.L2, 1.5, 200),
                                            (Level.T8, 1.0, 300)])
def test_click_near_a_corner_snaps_to_it_as_a_proposal(window, ref, qtbot, level, mm, deg):
    w = window
    assert w.open_file(ADULT)
    w.a_snap.trigger()
    w._guide_jump(level)
    show(w, ref, level)
    true = ref.get(level).points[SA]
    x, y = off(true, mm, deg)
    n = len(w.doc.history)
    click_image(w.view, x, y)
    v = w.doc.reading.get(level)
    assert mm_between(v.points[SA], true) < 0.3                          # onto the true corner
    assert mm_between(clicked(w, x, y), true) > 0.9
    prop = v.proposals[SA]
    assert (prop.method, prop.state) == ("refine", "proposed")
    assert (prop.x, prop.y) == v.points[SA]
    assert w.doc.pending_levels() == [level]
    h = w.layer.handle(level, SA)
    assert h.proposed and "refine" in h.toolTip() and "confidence" in h.toolTip()
    msg = w.statusBar().currentMessage()
    assert msg.startswith(f"{level} superior anterior: snapped ") and "mm to the corner" in msg
    assert f"(confidence {prop.confidence:.2f}" in msg
    # one undo step; the guide moved on as after any click
    assert len(w.doc.history) == n + 1
    assert w.a_undo.text() == f"&Undo place {level} superior anterior corner (snapped)"
    assert w.doc.guide.target.slot is PointSlot.SUPERIOR_MIDDLE
    # Enter accepts: the reader's point now
    key(qtbot, w, Qt.Key.Key_Return)
    v = w.doc.reading.get(level)
    assert v.proposals[SA].state == "accepted" and mm_between(v.points[SA], true) < 0.3
    assert not w.layer.handle(level, SA).proposed and not w.doc.pending_levels()
    # undo: proposed again; undo: no point, the guide asks for it again
    w.a_undo.trigger()
    assert w.doc.reading.get(level).proposals[SA].state == "proposed"
    w.a_undo.trigger()
    v = w.doc.reading.get(level)
    assert v is None or (SA not in v.points and not v.proposals)
    assert w.doc.guide.target.level is level and w.doc.guide.target.slot is SA


def test_accept_level_accepts_a_snapped_point(window, ref):
    w = window
    assert w.open_file(ADULT)
    w.a_snap.trigger()
    w._guide_jump(Level.L1)
    show(w, ref, Level.L1)
    click_image(w.view, *off(ref.get("L1").points[SA], 1.2, 135))
    w.select_level(Level.L1)
    w.a_accept_level.trigger()
    assert w.doc.reading.get("L1").proposals[SA].state == "accepted"


def test_snapping_off_places_exactly_where_clicked(window, ref):
    w = window
    assert w.open_file(ADULT)
    assert not w.a_snap.isChecked()
    w._guide_jump(Level.T12)
    show(w, ref, Level.T12)
    x, y = off(ref.get("T12").points[SA], 1.25, 30)
    click_image(w.view, x, y)
    v = w.doc.reading.get("T12")
    assert v.points[SA] == clicked(w, x, y) and not v.proposals
    assert w.a_undo.text() == "&Undo place T12 superior anterior corner"


def test_click_in_flat_background_stays_where_clicked(window, ref):
    w = window
    assert w.open_file(ADULT)
    w.a_snap.trigger()
    w._guide_jump(Level.T4)
    w.view.set_zoom(1.0)
    w.view.center_on_image(1200, 100)                                    # soft tissue, no edge
    n = len(w.doc.history)
    click_image(w.view, 1200, 100)
    v = w.doc.reading.get("T4")
    assert v.points[SA] == clicked(w, 1200, 100) and not v.proposals     # the reader's point
    assert not w.doc.pending_levels()
    assert w.statusBar().currentMessage() == "T4 superior anterior: left where clicked: weak edge"
    assert len(w.doc.history) == n + 1
    assert w.a_undo.text() == "&Undo place T4 superior anterior corner"
    w.a_undo.trigger()
    v = w.doc.reading.get("T4")
    assert v is None or SA not in v.points


def test_dropped_point_snaps_and_undo_restores(window, ref):
    w = window
    assert w.open_file(ADULT)
    w._guide_jump(Level.T12)
    show(w, ref, Level.T12, zoom=2.5)
    for slot in POINT_SLOTS:                                              # placed, snapping off
        click_image(w.view, *ref.get("T12").points[slot])
    placed = dict(w.doc.reading.get("T12").points)
    w.a_snap.trigger()
    n = len(w.doc.history)
    # a click on a handle that does not move it changes nothing
    click_image(w.view, *placed[SA])
    assert w.doc.reading.get("T12").points == placed and len(w.doc.history) == n
    # drag the corner 1.2 mm off: on the drop it snaps back onto the corner, as a proposal
    true = ref.get("T12").points[SA]
    drag_image(w.view, *placed[SA], *off(true, 1.2, 60))
    v = w.doc.reading.get("T12")
    assert mm_between(v.points[SA], true) < 0.3
    assert (v.proposals[SA].method, v.proposals[SA].state) == ("refine", "proposed")
    assert {s for s in POINT_SLOTS if s in v.proposals} == {SA}         # the others untouched
    assert "snapped" in w.statusBar().currentMessage()
    assert len(w.doc.history) == n + 1
    assert w.a_undo.text() == "&Undo move T12 superior anterior corner (snapped)"
    snapped = v.points[SA]
    # dragging the snapped point is the reader's correction: not snapped again
    drag_image(w.view, *snapped, *off(true, 1.2, 60))
    v = w.doc.reading.get("T12")
    assert v.proposals[SA].state == "moved" and (v.proposals[SA].x, v.proposals[SA].y) == snapped
    assert mm_between(v.points[SA], true) > 0.9 and not w.doc.pending_levels()
    assert "correction kept" in w.statusBar().currentMessage()
    # undo twice: the reader's original point, no proposal
    w.a_undo.trigger()
    assert w.doc.reading.get("T12").proposals[SA].state == "proposed"
    w.a_undo.trigger()
    v = w.doc.reading.get("T12")
    assert v.points == placed and not v.proposals


def test_drop_with_snapping_off_is_unchanged(window, ref):
    w = window
    assert w.open_file(ADULT)
    w._guide_jump(Level.T12)
    show(w, ref, Level.T12, zoom=2.5)
    for slot in POINT_SLOTS:
        click_image(w.view, *ref.get("T12").points[slot])
    p = w.doc.reading.get("T12").points[SA]
    target = off(ref.get("T12").points[SA], 1.2, 60)
    drag_image(w.view, *p, *target)
    v = w.doc.reading.get("T12")
    assert not v.proposals and mm_between(v.points[SA], target) < 0.2
    assert w.a_undo.text() == "&Undo move T12 superior anterior corner"
